// The one error type that ends a command with a chosen exit code. Subcommands throw it;
// only src/main.ts turns it into an exit, so no module deep inside calls process.exit.
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ExitError';
  }
}

/** A listener that could not open: a taken or forbidden port is a configuration problem (78). */
export function listenFailure(what: string, error: unknown, hintWhenTaken: string): ExitError {
  const code = (error as NodeJS.ErrnoException).code;
  return new ExitError(
    code === 'EADDRINUSE' || code === 'EACCES' ? 78 : 1,
    `cannot listen on ${what}: ${code ?? (error as Error).message}`,
    code === 'EADDRINUSE' ? hintWhenTaken : undefined,
  );
}
