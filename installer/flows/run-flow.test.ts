import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions } from '../command/args.ts';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { nullLog } from '../command/log.ts';
import { defaultsPrompter, type Prompter } from '../command/prompts.ts';
import { contextFor } from '../context.ts';
import type { Engine } from '../engine/engine.ts';
import { flow, type HostChecked } from './flow.ts';
import { runFlow } from './run-flow.ts';
import type { Step } from './step.ts';

const root = mkdtempSync(join(tmpdir(), 'aip-inst-flow-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The host check of these tests: no engine is connected, the steps below never use one. */
const noHost: Step<unknown, HostChecked> = {
  title: 'Checking the host',
  exitCode: EXIT.engineUnavailable,
  run: async () => ({ value: { engine: {} as Engine } }),
};

function harness(argv: string[], prompter: Prompter = defaultsPrompter()) {
  let out = '';
  let stdout = '';
  const ctx = contextFor('aip-inst-flow', {
    workDir: join(root, 'work'),
    configDir: join(root, 'config'),
    logFile: join(root, 'log'),
    lockFile: join(root, 'lock'),
  });
  const options = parseOptions(argv, {});
  const setup = {
    ctx,
    options,
    log: nullLog(ctx.paths.logFile),
    prompter,
    started: Date.now(),
    out: { isTTY: false, write: (text: string) => void (out += text) },
    stdout: { isTTY: false, write: (text: string) => void (stdout += text) },
    color: false,
  };
  return { setup, out: () => out, stdout: () => stdout };
}

/** A flow that looks (one step with an undo), plans `action`, and then would change something. */
function sample(action: string, changed: string[], undone: string[], locked: boolean[] = []) {
  const look: Step<HostChecked, { looked: boolean }> = {
    title: 'Looking',
    exitCode: EXIT.internal,
    run: async (run, undo) => {
      locked.push(existsSync(run.ctx.paths.lockFile));
      undo({ label: 'undo look', run: () => void undone.push('look') });
      return { value: { looked: true } };
    },
  };
  const plan: Step<{ looked: boolean }, { action: string }> = {
    title: 'Planning',
    exitCode: EXIT.internal,
    run: async () => ({ detail: action, value: { action } }),
  };
  const change: Step<{ action: string }> = {
    title: 'Changing',
    exitCode: EXIT.internal,
    run: async () => void changed.push('change'),
  };
  return flow('sample')
    .phase('inspect')
    .step(look)
    .step(plan)
    .gate({
      plan: (_run, facts) => [`Plan: ${facts.action}`],
      confirm: true,
      unchanged: (_run, facts) => (facts.action === 'unchanged' ? 'Nothing to do: already so.' : undefined),
    })
    .phase('apply')
    .step(change)
    .report((_run, facts, outcome) => ({
      ok: true,
      exitCode: 0,
      action: `${facts.action} (${outcome})`,
      durationMs: 0,
    }));
}

test('an unchanged --dry-run says "Nothing to do" and reports, like a run without --dry-run', async () => {
  for (const argv of [['--dry-run', '--json'], ['--json']]) {
    const changed: string[] = [];
    const undone: string[] = [];
    const h = harness(argv);
    const summary = await runFlow(sample('unchanged', changed, undone), h.setup, noHost);
    assert.match(h.out(), /Plan: unchanged\n[\s\S]*\nNothing to do: already so\.\n$/);
    assert.doesNotMatch(h.out(), /Dry run/);
    assert.equal(summary.action, 'unchanged (unchanged)', 'the report ran');
    assert.equal(summary.dryRun, argv.includes('--dry-run') ? true : undefined);
    assert.deepEqual(changed, []);
    assert.deepEqual(undone, ['look'], 'what the looking steps did is undone');
    assert.equal(JSON.parse(h.stdout()).action, summary.action, 'one --json line');
  }
});

test('--dry-run stops at the gate, undoes the looking steps and takes no lock', async () => {
  const changed: string[] = [];
  const undone: string[] = [];
  const locked: boolean[] = [];
  const h = harness(['--dry-run']);
  const summary = await runFlow(sample('install', changed, undone, locked), h.setup, noHost);
  assert.match(h.out(), /Plan: install\n/);
  assert.match(h.out(), /Dry run: nothing was changed\.\n$/);
  assert.equal(summary.dryRun, true);
  assert.equal(summary.action, 'install');
  assert.deepEqual(changed, []);
  assert.deepEqual(undone, ['look']);
  assert.deepEqual(locked, [false], 'no lock while looking');
});

test('a declined confirmation cancels: rolled back, exit 0, action unchanged', async () => {
  const changed: string[] = [];
  const undone: string[] = [];
  const asked: string[] = [];
  const no: Prompter = {
    interactive: true,
    text: async (_message, value) => value,
    confirm: async (message) => {
      asked.push(message);
      return false;
    },
  };
  const h = harness([], no);
  const summary = await runFlow(sample('upgrade', changed, undone), h.setup, noHost);
  assert.deepEqual(asked, ['Proceed?']);
  assert.match(h.out(), /Cancelled: nothing was changed\.\n$/);
  assert.equal(summary.cancelled, true);
  assert.equal(summary.action, 'unchanged');
  assert.deepEqual(changed, []);
  assert.deepEqual(undone, ['look']);
});

test('a run goes through the gate (saying so without a terminal), counts its steps and releases the lock', async () => {
  const changed: string[] = [];
  const locked: boolean[] = [];
  const h = harness([]);
  const summary = await runFlow(sample('install', changed, [], locked), h.setup, noHost);
  assert.match(h.out(), /No terminal: proceeding without confirmation/);
  assert.match(h.out(), /✓ \[1\/4\] Checking the host/);
  assert.match(h.out(), /✓ \[4\/4\] Changing/);
  assert.equal(summary.action, 'install (applied)');
  assert.deepEqual(changed, ['change']);
  assert.deepEqual(locked, [true], 'the lock is held after the host check');
  assert.equal(existsSync(join(root, 'lock')), false, 'and released at the end');
});

test('a branch counts its first path until it is chosen, then the chosen one', async () => {
  const step = (title: string): Step => ({ title, exitCode: EXIT.internal, run: async () => 'ok' });
  const branched = flow('branched')
    .step(step('Deciding'))
    .branch(async (): Promise<{ path: 'long' | 'short' }> => ({ path: 'short' }), {
      long: (f) =>
        f
          .step(step('One'))
          .step(step('Two'))
          .step(step('Three'))
          .report(() => ({ ok: true, exitCode: 0, action: 'long', durationMs: 0 })),
      short: (f) => f.step(step('Only')).report(() => ({ ok: true, exitCode: 0, action: 'short', durationMs: 0 })),
    });
  const h = harness(['--yes']);
  const summary = await runFlow(branched, h.setup, noHost);
  assert.equal(summary.action, 'short');
  assert.match(h.out(), /\[1\/5\] Checking the host/);
  assert.match(h.out(), /\[2\/5\] Deciding/);
  assert.match(h.out(), /\[3\/3\] Only/);
});

test('a failure between steps (a branch refusing) rolls back and ends with its exit code and the --json error line', async () => {
  const undone: string[] = [];
  const made: Step<HostChecked> = {
    title: 'Making',
    exitCode: EXIT.internal,
    run: async (_run, undo) => void undo({ label: 'unmake', run: () => void undone.push('made') }),
  };
  const refusing = flow('refusing')
    .gate({})
    .step(made)
    .branch(
      async (): Promise<{ path: 'never' }> => {
        throw new InstallError(EXIT.usage, 'this node cannot do that', 'do something else');
      },
      { never: (f) => f.report(() => ({ ok: true, exitCode: 0, action: 'never', durationMs: 0 })) },
    );
  const h = harness(['--json']);
  await assert.rejects(
    runFlow(refusing, h.setup, noHost),
    (error: InstallError) => error.exitCode === EXIT.usage && error.message === 'this node cannot do that',
  );
  assert.deepEqual(undone, ['made']);
  assert.match(h.out(), /Rollback complete/);
  const line = JSON.parse(h.stdout());
  assert.equal(line.ok, false);
  assert.equal(line.exitCode, EXIT.usage);
  assert.equal(line.hint, 'do something else');
});
