import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSteps } from './run-steps.ts';
import { guardSignals, Interrupted } from './signals.ts';
import { createProgress } from '../command/progress.ts';
import { nullLog } from '../command/log.ts';
import { defaultsPrompter } from '../command/prompts.ts';
import { defaultContext } from '../context.ts';
import { parseOptions } from '../command/args.ts';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { Run as RunState, Step, UndoAction } from './step.ts';

function makeState(controller = new AbortController()): { state: RunState; output: () => string } {
  let output = '';
  const log = nullLog('/dev/null');
  const state: RunState = {
    ctx: defaultContext({}),
    options: parseOptions([], {}),
    log,
    progress: createProgress({ isTTY: false, write: (text) => void (output += text) }, log, { color: false, total: 3 }),
    prompter: defaultsPrompter(),
    signal: controller.signal,
    started: Date.now(),
  };
  return { state, output: () => output };
}

const step = (
  title: string,
  run: Step['run'],
  exitCode: Step['exitCode'] = EXIT.buildFailed,
  commits = false,
): Step => ({ title, exitCode, run, commits });

test('a failing step rolls back every recorded action in reverse, "last" ones at the very end', async () => {
  const { state, output } = makeState();
  const order: string[] = [];
  const record = (label: string, phase?: 'last'): UndoAction => ({
    label,
    ...(phase ? { phase } : {}),
    run: () => void order.push(label),
  });
  const steps = [
    step('one', async (_s, undo) => undo(record('undo one'))),
    step('two', async (_s, undo) => {
      undo(record('restart old', 'last'));
      undo(record('undo two'));
    }),
    step('three', async () => {
      throw new Error('engine said no');
    }),
  ];
  await assert.rejects(
    runSteps(state, steps),
    (error: InstallError) => error.exitCode === EXIT.buildFailed && error.message === 'engine said no',
  );
  assert.deepEqual(order, ['undo two', 'undo one', 'restart old']);
  assert.match(output(), /✓ \[1\/3\] one/);
  assert.match(output(), /✗ \[3\/3\] three — engine said no/);
  assert.match(output(), /Rollback complete/);
});

test('an InstallError keeps its own code; a failing undo is reported, the others still run', async () => {
  const { state } = makeState();
  const order: string[] = [];
  const steps = [
    step('one', async (_s, undo) => {
      undo({ label: 'fine', run: () => void order.push('fine') });
      undo({
        label: 'broken',
        run: () => {
          throw new Error('disk gone');
        },
      });
    }),
    step('two', async () => {
      throw new InstallError(EXIT.portInUse, 'port taken', 'pick another');
    }),
  ];
  await assert.rejects(
    runSteps(state, steps),
    (error: InstallError) =>
      error.exitCode === EXIT.portInUse && /rollback was incomplete \(broken: disk gone\)/.test(error.hint ?? ''),
  );
  assert.deepEqual(order, ['fine']);
});

test('a committing step drops the undo stack: nothing after the point of no return is undone', async () => {
  const { state } = makeState();
  const order: string[] = [];
  const steps = [
    step('healthy', async (_s, undo) => undo({ label: 'remove new', run: () => void order.push('remove new') })),
    step(
      'cleanup',
      async () => {
        throw new Error('could not remove old image');
      },
      EXIT.internal,
      true,
    ),
  ];
  await assert.rejects(runSteps(state, steps), (error: InstallError) => error.exitCode === EXIT.internal);
  assert.deepEqual(order, []);
});

test('a signal during a step ends in 130 after the rollback', async () => {
  const controller = new AbortController();
  const { state } = makeState(controller);
  const order: string[] = [];
  const steps = [
    step('one', async (_s, undo) => undo({ label: 'undo one', run: () => void order.push('undo one') })),
    step('slow', async (s) => {
      controller.abort(new Interrupted('SIGTERM'));
      if (s.signal.aborted) throw s.signal.reason;
    }),
    step('never', async () => void order.push('ran never')),
  ];
  await assert.rejects(
    runSteps(state, steps),
    (error: InstallError) => error.exitCode === 130 && /SIGTERM/.test(error.message),
  );
  assert.deepEqual(order, ['undo one']);
});

test('a signal in or after the step that commits rolls nothing back, and says the new version stays', async () => {
  const controller = new AbortController();
  const { state } = makeState(controller);
  const order: string[] = [];
  const steps = [
    step('start', async (_s, undo) => undo({ label: 'remove new', run: () => void order.push('remove new') })),
    step(
      'hand over',
      async () => {
        controller.abort(new Interrupted('SIGINT'));
      },
      EXIT.startFailed,
      true,
    ),
    step('clean up', async () => void order.push('ran clean up')),
  ];
  await assert.rejects(
    runSteps(state, steps),
    (error: InstallError) => error.exitCode === 130 && /new version stays/.test(error.hint ?? ''),
  );
  assert.deepEqual(order, [], 'nothing undone, no later step');
});

test('a real SIGINT sent while a step does no I/O stops that step, not a later one', async () => {
  // A signal reaches JavaScript only when the event loop polls: without a pause after each step,
  // the next step would already run (and change the host) before the Ctrl-C is seen.
  const guard = guardSignals(() => {});
  try {
    const { state } = makeState(guard.controller);
    const ran: string[] = [];
    const steps = [
      step('planning', async () => {
        ran.push('planning');
        process.kill(process.pid, 'SIGINT');
      }),
      step('writing the configuration', async () => void ran.push('writing the configuration')),
    ];
    await assert.rejects(
      runSteps(state, steps),
      (error: InstallError) => error.exitCode === 130 && /SIGINT/.test(error.message),
    );
    assert.deepEqual(ran, ['planning']);
  } finally {
    guard.dispose();
  }
});
