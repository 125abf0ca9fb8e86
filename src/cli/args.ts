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

export interface CommandLineSpec {
  /** Options that take a value (`--name alice`, `--name=alice`). */
  values?: readonly string[];
  /** Options that may be given several times (`--meta a=1 --meta b=2`). */
  lists?: readonly string[];
  /** Options without a value (`--json`). */
  booleans?: readonly string[];
  /** How many plain arguments (`keys revoke alice`) are allowed. */
  maxPositional?: number;
}

export interface CommandLine {
  positional: string[];
  values: Record<string, string>;
  lists: Record<string, string[]>;
  booleans: Set<string>;
}

/** parseFlags for commands with plain arguments, repeated options and switches. */
export function parseCommandLine(argv: string[], spec: CommandLineSpec, command: string): CommandLine {
  const out: CommandLine = { positional: [], values: {}, lists: {}, booleans: new Set() };
  const known = [...(spec.values ?? []), ...(spec.lists ?? []), ...(spec.booleans ?? [])];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      if (out.positional.length >= (spec.maxPositional ?? 0))
        throw new ExitError(2, `${command}: unexpected argument "${arg}"`, `run \`ai-proxy ${command} --help\``);
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!known.includes(name))
      throw new ExitError(2, `${command}: unknown option --${name}`, `known: ${known.map((k) => `--${k}`).join(', ')}`);
    if (spec.booleans?.includes(name)) {
      if (eq !== -1) throw new ExitError(2, `${command}: --${name} takes no value`);
      out.booleans.add(name);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (value === '' && !spec.lists?.includes(name)))
      throw new ExitError(2, `${command}: --${name} needs a value`);
    if (spec.lists?.includes(name)) (out.lists[name] ??= []).push(value);
    else if (name in out.values) throw new ExitError(2, `${command}: --${name} is given twice`);
    else out.values[name] = value;
  }
  return out;
}
