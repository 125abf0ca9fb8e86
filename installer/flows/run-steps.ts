// Runs steps in order, records each step's undo actions, and on a failure or a signal (SIGINT,
// SIGTERM, SIGHUP) undoes them in reverse before reporting one error. The exit code comes from
// the error (InstallError) or the failing step's default. Each step's value is added to the
// values the later steps receive.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError, toInstallError } from '../command/errors.ts';
import { PromptCancelled } from '../command/prompts.ts';
import { Interrupted } from './signals.ts';
import type { Run, Step, UndoAction } from './step.ts';

/** Any step, as a flow stores it: what it needs was checked when the flow was built. */
export type AnyStep = Omit<Step, 'title' | 'run'> & {
  title: string | ((run: Run, input: never) => string);
  run: (run: Run, undo: (action: UndoAction) => void, input: never) => Promise<unknown>;
};

function stepTitle(step: AnyStep, run: Run, values: object): string {
  return typeof step.title === 'function' ? step.title(run, values as never) : step.title;
}

/** Runs `steps` on `values` (which each step's value extends) and returns them. */
export async function runSteps(
  run: Run,
  steps: readonly AnyStep[],
  undoStack: UndoAction[] = [],
  values: object = {},
): Promise<object> {
  let committed = false;
  for (const step of steps) {
    if (step.when && !step.when(run.options)) continue;
    const title = stepTitle(step, run, values);
    if (run.signal.aborted) throw await failWith(run, undoStack, interruptedError(run, committed));
    if (step.commits) {
      undoStack.length = 0;
      committed = true;
    }
    const handle = run.progress.step(title);
    try {
      const result = await step.run(run, (action) => undoStack.push(action), values as never);
      await signalsDelivered();
      if (run.signal.aborted) throw run.signal.reason;
      if (result !== null && typeof result === 'object') {
        const { detail, value } = result as { detail?: string; value: object };
        Object.assign(values, value);
        handle.done(detail);
      } else handle.done(typeof result === 'string' ? result : undefined);
    } catch (raw) {
      const error =
        raw instanceof Interrupted || run.signal.aborted
          ? interruptedError(run, committed)
          : raw instanceof PromptCancelled
            ? new InstallError(
                EXIT.interrupted,
                'cancelled at the prompt',
                'nothing was changed; run the installer again when ready',
              )
            : toInstallError(raw, step.exitCode, run.log.path);
      handle.fail(error.message);
      run.log.line(`error: ${describe(raw)}`);
      throw await failWith(run, undoStack, error);
    }
  }
  return values;
}

/**
 * A signal is handed to JavaScript only when the event loop polls for it. A step that never
 * waits on I/O (choosing the port, planning, writing the configuration) would carry a Ctrl-C
 * over into later steps, which then make changes first. Two turns of the loop include one poll.
 */
function signalsDelivered(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

function interruptedError(run: Run, committed: boolean): InstallError {
  const reason = run.signal.reason;
  const name = reason instanceof Interrupted ? reason.signalName : 'a signal';
  return new InstallError(
    EXIT.interrupted,
    `interrupted by ${name}`,
    committed
      ? 'past the point of no return: the new version stays; run the installer again to finish the clean-up'
      : 'the changes were rolled back; run the installer again when ready',
  );
}

export function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Undoes whatever is recorded (a cancel, an unchanged plan, a failure between steps). */
export function rollback(run: Run, undoStack: UndoAction[], error: InstallError): Promise<InstallError> {
  return failWith(run, undoStack, error);
}

/** Runs the undo stack in reverse; a failing undo is logged and reported in the hint. */
async function failWith(run: Run, undoStack: UndoAction[], error: InstallError): Promise<InstallError> {
  if (undoStack.length === 0) return error;
  run.progress.info(`Rolling back (${undoStack.length} change${undoStack.length === 1 ? '' : 's'})...`);
  const failures: string[] = [];
  const ordered = [
    ...undoStack.filter((a) => a.phase !== 'last').reverse(),
    ...undoStack.filter((a) => a.phase === 'last').reverse(),
  ];
  undoStack.length = 0;
  for (const action of ordered) {
    try {
      run.log.line(`undo: ${action.label}`);
      await action.run();
    } catch (undoError) {
      failures.push(`${action.label}: ${(undoError as Error).message}`);
      run.log.line(`undo failed: ${action.label}: ${describe(undoError)}`);
    }
  }
  if (failures.length > 0) {
    run.progress.warn(`rollback incomplete: ${failures.join('; ')}`);
    return new InstallError(
      error.exitCode as (typeof EXIT)[keyof typeof EXIT],
      error.message,
      `rollback was incomplete (${failures[0]}); see ${run.log.path}, then run the installer again`,
    );
  }
  run.progress.info('Rollback complete: the previous state is restored.');
  return error;
}
