// `ai-proxy console hash-password`: reads a password (twice, not echoed, on a terminal; once
// from a pipe) and prints the CONSOLE_PASSWORD_HASH line for .env. The password itself is never
// stored or printed.
import { ExitError } from '../exit-error.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../console/password.ts';

export const CONSOLE_USAGE = `Usage: ai-proxy console hash-password

Reads a password from the terminal (twice, not shown) or from standard input, and prints
  CONSOLE_PASSWORD_HASH=$scrypt$...
to add to .env: the console then asks for this password instead of AUTH_TOKEN.
The password needs at least ${MIN_PASSWORD_LENGTH} characters.`;

function readPiped(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () =>
      resolve(
        Buffer.concat(chunks)
          .toString('utf8')
          .replace(/\r?\n$/, ''),
      ),
    );
    process.stdin.on('error', reject);
  });
}

/** One line from the terminal without echo (raw mode: Enter ends it, Ctrl-C cancels). */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let text = '';
  return new Promise((resolve, reject) => {
    const done = (error?: ExitError) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new ExitError(130, 'cancelled'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export async function consoleCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(`${CONSOLE_USAGE}\n`);
    if (verb === undefined) throw new ExitError(2, 'console: name a command (hash-password)');
    return;
  }
  if (verb !== 'hash-password' || rest.length > 0)
    throw new ExitError(2, `console: unknown command "${[verb, ...rest].join(' ')}"`, 'run `ai-proxy console --help`');
  let password: string;
  if (process.stdin.isTTY) {
    password = await readHidden('Console password: ');
    if ((await readHidden('Once more: ')) !== password) throw new ExitError(1, 'the two passwords differ');
  } else password = await readPiped();
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new ExitError(
      2,
      `the password is too short (${password.length} characters, need at least ${MIN_PASSWORD_LENGTH})`,
    );
  process.stdout.write(`CONSOLE_PASSWORD_HASH=${await hashPassword(password)}\n`);
}
