// What a step is. A step does one thing the operator sees as one numbered progress line,
// declares how to undo it, and hands what it found or made to the steps after it as a typed
// value: `Step<In, Out>` needs In (what earlier steps produced) and adds Out. The flow builder
// (flow.ts) checks at compile time that every step gets what it needs.
import type { Options } from '../command/args.ts';
import type { ExitCode } from '../command/exit-codes.ts';
import type { Logger } from '../command/log.ts';
import type { Progress } from '../command/progress.ts';
import type { Prompter } from '../command/prompts.ts';
import type { InstallContext } from '../context.ts';

/** What every step of a run can use; none of it changes while the run goes on. */
export interface Run {
  ctx: InstallContext;
  options: Options;
  log: Logger;
  progress: Progress;
  prompter: Prompter;
  /** Aborted by SIGINT, SIGTERM or SIGHUP: long waits end early and the runner rolls back. */
  signal: AbortSignal;
  started: number;
}

export interface UndoAction {
  label: string;
  /** 'last' actions run after every other undo (e.g. restart the old container once its config is back). */
  phase?: 'last';
  run(): Promise<void> | void;
}

export type Undo = (action: UndoAction) => void;

/** A step that adds nothing reports only its progress line's detail. */
export type NoValue = Record<never, never>;

/** What a step's run returns: the detail of its progress line and, when it adds something, the value. */
export type StepResult<Out> = [keyof Out] extends [never] ? string | undefined : { detail?: string; value: Out };

export interface Step<In = NoValue, Out extends object = NoValue> {
  // Function-typed properties, not methods: TypeScript then checks `In` contravariantly, so a
  // flow cannot hand a step less than it needs.
  title: string | ((run: Run, input: In) => string);
  /** Exit code for a failure of this step that is not already an InstallError. */
  exitCode: ExitCode;
  /** The point of no return: the undo stack is dropped before this step runs. */
  commits?: boolean;
  /** Only when the options ask for it (--purge); a step left out is not counted either. */
  when?: (options: Options) => boolean;
  run: (run: Run, undo: Undo, input: In) => Promise<StepResult<Out> | void>;
}
