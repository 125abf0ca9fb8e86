// The installer's one error type. It carries the exit code from exit-codes.ts, a one-line
// message (what happened) and a hint (what to do); src/main.ts prints both and exits.
import { ExitError } from '../../src/exit-error.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';

export class InstallError extends ExitError {
  constructor(
    code: ExitCode,
    message: string,
    hint?: string,
    readonly detail?: unknown,
  ) {
    super(code, message, hint);
    this.name = 'InstallError';
  }
}

/** Maps anything thrown inside a step to an InstallError with the step's exit code. */
export function toInstallError(error: unknown, fallback: ExitCode, logPath: string): InstallError {
  if (error instanceof InstallError) return error;
  if (error instanceof ExitError) return new InstallError(error.exitCode as ExitCode, error.message, error.hint);
  const message = error instanceof Error ? error.message : String(error);
  if (fallback === EXIT.internal) {
    return new InstallError(
      EXIT.internal,
      `unexpected internal error: ${message}`,
      `see the full log in ${logPath}`,
      error,
    );
  }
  return new InstallError(fallback, message, `see the full log in ${logPath}`, error);
}
