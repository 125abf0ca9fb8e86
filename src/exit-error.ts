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
