// Flag parsing shared by the subcommands: --name VALUE or --name=VALUE; anything else is a
// usage error (exit 2) naming the flag.
import { ExitError } from '../exit-error.ts';

export function parseFlags(argv: string[], known: readonly string[], command: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--'))
      throw new ExitError(2, `${command}: unexpected argument "${arg}"`, `run \`ai-proxy --help\``);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!known.includes(name))
      throw new ExitError(2, `${command}: unknown option --${name}`, `known: ${known.map((k) => `--${k}`).join(', ')}`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new ExitError(2, `${command}: --${name} needs a value`);
    out[name] = value;
  }
  return out;
}
