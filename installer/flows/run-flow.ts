// The one runner of every flow (install, uninstall, each --swarm mode). It owns what the flows
// share, in this order:
//   1. the host check (always the first step), then the lock (not with --dry-run, which writes
//      nothing);
//   2. the flow's steps, each value handed to the later ones, the undo stack kept;
//   3. at the gate: the plan printed; then
//      a. a declined "Proceed?" rolls back and ends with "Cancelled: nothing was changed."
//         (exit 0, action "unchanged", cancelled: true);
//      b. nothing to change rolls back what the looking steps did, prints the flow's "Nothing
//         to do: ..." line and goes to the report, with or without --dry-run (a run that changes
//         nothing is the same run either way; --json then says dryRun: true);
//      c. --dry-run rolls back what the looking steps did and ends with "Dry run: nothing was
//         changed." (dryRun: true);
//   4. the report, which prints the outcome and returns the --json summary;
//   5. on any failure or signal: rollback, the log line, the --json error summary, the error.
// It counts the steps ahead itself (a branch counts its first path until it is chosen).
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { acquireLock, type Lock } from '../command/lock.ts';
import type { Logger } from '../command/log.ts';
import { createProgress, type Output } from '../command/progress.ts';
import { PromptCancelled, type Prompter } from '../command/prompts.ts';
import { summarize, type Summary } from '../command/summary.ts';
import type { InstallContext } from '../context.ts';
import type { Options } from '../command/args.ts';
import { checkHost } from '../steps/check-host.ts';
import { countSteps, type Flow, type FlowItem, type Gate, type HostChecked, type Outcome } from './flow.ts';
import { describe, rollback, runSteps, type AnyStep } from './run-steps.ts';
import { guardSignals } from './signals.ts';
import type { Run, Step, UndoAction } from './step.ts';

export interface RunSetup {
  ctx: InstallContext;
  options: Options;
  log: Logger;
  prompter: Prompter;
  started: number;
  /** Where the operator reads: stdout, or stderr with --json (stdout then carries only the summary). */
  out: Output;
  /** Where the --json summary goes. */
  stdout: Output;
  color: boolean;
}

/** How a gate ended the path early: a cancel or a dry run (both exit 0). */
type Stop = { stop: 'cancelled' | 'dry-run' };

/** Runs `flow`; `hostCheck` is the first step (tests give their own, which connects to nothing). */
export async function runFlow(
  flow: Flow,
  setup: RunSetup,
  hostCheck: Step<unknown, HostChecked> = checkHost,
): Promise<Summary> {
  const { ctx, options, log, out } = setup;
  const counter = { color: setup.color, total: 1 + countSteps(flow.items, options) };
  const progress = createProgress(out, log, counter);
  const guard = guardSignals((message) => progress.warn(message));
  const run: Run = {
    ctx,
    options,
    log,
    progress,
    prompter: setup.prompter,
    signal: guard.controller.signal,
    started: setup.started,
  };
  const undo: UndoAction[] = [];
  const values: Record<string, unknown> = {};
  let lock: Lock | undefined;
  try {
    await runSteps(run, [hostCheck as unknown as AnyStep], undo, values);
    if (!options.dryRun) lock = takeLock(ctx.paths.lockFile);
    log.line(`flow ${flow.name}`);
    const ended = await walk(flow.items, run, undo, values, counter, out);
    const summary = 'stop' in ended ? stopped(ended, run, values) : options.dryRun ? { ...ended, dryRun: true } : ended;
    log.line(`exit 0: ${summary.action} in ${summary.durationMs} ms`);
    if (options.json) setup.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary;
  } catch (raw) {
    let error =
      raw instanceof PromptCancelled || guard.received()
        ? new InstallError(
            EXIT.interrupted,
            guard.received() ? `interrupted by ${guard.received()}` : 'cancelled at the prompt',
            'nothing is left half done; run the installer again when ready',
          )
        : raw instanceof InstallError
          ? raw
          : new InstallError(
              EXIT.internal,
              `unexpected internal error: ${(raw as Error).message}`,
              `see the full log in ${log.path}`,
            );
    if (!(raw instanceof InstallError)) log.line(`unexpected: ${describe(raw)}`);
    // Step failures were rolled back by runSteps; this covers a failure between steps.
    if (undo.length > 0) error = await rollback(run, undo, error);
    log.line(`exit ${error.exitCode}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
    if (options.json) setup.stdout.write(`${JSON.stringify(summarize(run, values, error))}\n`);
    throw error;
  } finally {
    lock?.release();
    guard.dispose();
  }
}

function takeLock(path: string): Lock {
  const taken = acquireLock(path);
  if ('heldBy' in taken)
    throw new InstallError(
      EXIT.internal,
      `another installer is running (pid ${taken.heldBy})`,
      `wait for it to finish; if it is gone, remove ${path}`,
    );
  return taken;
}

/** Runs the items of one path; returns its report's summary, or how a gate stopped it. */
async function walk(
  items: readonly FlowItem[],
  run: Run,
  undo: UndoAction[],
  values: Record<string, unknown>,
  counter: { total: number },
  out: Output,
): Promise<Summary | Stop> {
  let outcome: Outcome = 'applied';
  let phase = '';
  for (const [index, item] of items.entries()) {
    if (outcome === 'unchanged' && item.kind !== 'report') continue;
    switch (item.kind) {
      case 'step':
        if (item.phase !== phase) run.log.line(`phase ${(phase = item.phase)}`);
        await runSteps(run, [item.step], undo, values);
        break;
      case 'derive':
        Object.assign(values, item.derive(run, values as never));
        break;
      case 'gate': {
        const result = await passGate(item.gate, run, undo, values);
        if (result === 'unchanged') outcome = 'unchanged';
        else if (result !== 'go') return { stop: result };
        break;
      }
      case 'branch': {
        const chosen = await item.choose(run, values as never);
        const path = item.paths.find((p) => p.name === chosen.path);
        if (!path) throw new Error(`flow has no path "${chosen.path}"`);
        Object.assign(values, chosen.value ?? {});
        counter.total = run.progress.timings.length + countSteps(path.items, run.options);
        run.log.line(`path ${chosen.path}`);
        return walk(path.items, run, undo, values, counter, out);
      }
      case 'report':
        if (index !== items.length - 1) throw new Error('a report ends its path');
        return item.report(run, values as never, outcome, out);
    }
  }
  throw new Error('a flow path ends with a report');
}

/** The gate (see the order at the top): 'go' on, 'unchanged' to the report, or a stop. */
async function passGate(
  gate: Gate<never>,
  run: Run,
  undo: UndoAction[],
  values: Record<string, unknown>,
): Promise<'go' | 'unchanged' | Stop['stop']> {
  const { options, progress, prompter } = run;
  for (const line of gate.plan?.(run, values as never) ?? []) progress.info(line);
  const nothingToDo = gate.unchanged?.(run, values as never);
  if (gate.confirm && !nothingToDo && !options.dryRun && !options.yes) {
    if (!prompter.interactive) {
      progress.info('No terminal: proceeding without confirmation (pass --yes to say so explicitly).');
    } else {
      progress.pause();
      if (!(await prompter.confirm('Proceed?', true, run.signal))) {
        await rollback(run, undo, new InstallError(EXIT.ok, 'cancelled'));
        progress.info('Cancelled: nothing was changed.');
        return 'cancelled';
      }
    }
  }
  if (nothingToDo) {
    await rollback(run, undo, new InstallError(EXIT.ok, 'unchanged'));
    progress.info(nothingToDo);
    return 'unchanged';
  }
  if (options.dryRun) {
    await rollback(run, undo, new InstallError(EXIT.ok, 'dry run'));
    progress.info('Dry run: nothing was changed.');
    return 'dry-run';
  }
  return 'go';
}

function stopped(ended: Stop, run: Run, values: Record<string, unknown>): Summary {
  const summary = summarize(run, values);
  return ended.stop === 'cancelled'
    ? { ...summary, action: 'unchanged', cancelled: true }
    : { ...summary, dryRun: true };
}
