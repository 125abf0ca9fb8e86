// Runs steps in order, records each step's undo actions, and on a failure or a signal
// (SIGINT, SIGTERM, SIGHUP) undoes them in reverse before reporting one error. The exit code
// comes from the error (InstallError) or the failing step's default.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError, toInstallError } from '../command/errors.ts';
import type { RunState, Step, UndoAction } from './state.ts';
import { PromptCancelled } from '../command/prompts.ts';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export class Interrupted extends Error {
  constructor(readonly signalName: string) {
    super(`interrupted by ${signalName}`);
  }
}

export interface SignalGuard {
  controller: AbortController;
  /** The signal that arrived, if any. */
  received(): string | undefined;
  dispose(): void;
}

/** Turns the first signal into an abort; later ones are ignored while rollback runs. */
export function guardSignals(onSignal: (name: string) => void): SignalGuard {
  const controller = new AbortController();
  let received: string | undefined;
  const handler = (name: NodeJS.Signals) => {
    if (received) {
      onSignal(`${name} again: still rolling back, please wait`);
      return;
    }
    received = name;
    onSignal(`${name} received: stopping and rolling back`);
    controller.abort(new Interrupted(name));
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return {
    controller,
    received: () => received,
    dispose: () => {
      for (const signal of SIGNALS) process.off(signal, handler);
    },
  };
}

export async function runSteps(state: RunState, steps: Step[], undoStack: UndoAction[] = []): Promise<void> {
  for (const step of steps) {
    const title = typeof step.title === 'function' ? step.title(state) : step.title;
    if (state.signal.aborted) throw await failWith(state, undoStack, interruptedError(state));
    if (step.commits) undoStack.length = 0;
    const handle = state.progress.step(title);
    try {
      const detail = await step.run(state, (action) => undoStack.push(action));
      if (state.signal.aborted) throw state.signal.reason;
      handle.done(detail ?? undefined);
    } catch (raw) {
      const error =
        raw instanceof Interrupted || state.signal.aborted
          ? interruptedError(state)
          : raw instanceof PromptCancelled
            ? new InstallError(
                EXIT.interrupted,
                'cancelled at the prompt',
                'nothing was changed; run the installer again when ready',
              )
            : toInstallError(raw, step.exitCode, state.log.path);
      handle.fail(error.message);
      state.log.line(`error: ${describe(raw)}`);
      throw await failWith(state, undoStack, error);
    }
  }
}

function interruptedError(state: RunState): InstallError {
  const reason = state.signal.reason;
  const name = reason instanceof Interrupted ? reason.signalName : 'a signal';
  return new InstallError(
    EXIT.interrupted,
    `interrupted by ${name}`,
    'the changes were rolled back; run the installer again when ready',
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Undoes whatever is recorded (used when a failure or signal arrives between step lists). */
export function rollback(state: RunState, undoStack: UndoAction[], error: InstallError): Promise<InstallError> {
  return failWith(state, undoStack, error);
}

/** Runs the undo stack in reverse; a failing undo is logged and reported in the hint. */
async function failWith(state: RunState, undoStack: UndoAction[], error: InstallError): Promise<InstallError> {
  if (undoStack.length === 0) return error;
  state.progress.info(`Rolling back (${undoStack.length} change${undoStack.length === 1 ? '' : 's'})...`);
  const failures: string[] = [];
  const ordered = [
    ...undoStack.filter((a) => a.phase !== 'last').reverse(),
    ...undoStack.filter((a) => a.phase === 'last').reverse(),
  ];
  undoStack.length = 0;
  for (const action of ordered) {
    try {
      state.log.line(`undo: ${action.label}`);
      await action.run();
    } catch (undoError) {
      failures.push(`${action.label}: ${(undoError as Error).message}`);
      state.log.line(`undo failed: ${action.label}: ${describe(undoError)}`);
    }
  }
  if (failures.length > 0) {
    state.progress.warn(`rollback incomplete: ${failures.join('; ')}`);
    return new InstallError(
      error.exitCode as (typeof EXIT)[keyof typeof EXIT],
      error.message,
      `rollback was incomplete (${failures[0]}); see ${state.log.path}, then run the installer again`,
    );
  }
  state.progress.info('Rollback complete: the previous state is restored.');
  return error;
}
