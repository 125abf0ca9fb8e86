// The single entry point of the release executable: one binary, several subcommands.
// Each subcommand is imported lazily so `ai-proxy healthcheck` (run every few seconds by
// Docker) does not pay for loading the server or the installer.
import { ExitError } from './exit-error.ts';
import { build } from './version.ts';

const USAGE = `Usage: ai-proxy [command] [options]

Commands:
  serve [--config-dir DIR]   run the proxy (default command)
  healthcheck [--ready]      exit 0 if the local proxy answers /health/live (--ready: /health/ready) within 3 s
  config [--config-dir DIR]  validate the configuration and print it with secrets redacted
  hold                       keep a container alive doing nothing (the installer's port holder)
  keys <command>             client keys: create, list, show, update, revoke, rotate (see: ai-proxy keys --help)
  usage [options]            the usage ledger by key, model, provider, day (see: ai-proxy usage --help)
  console hash-password      the CONSOLE_PASSWORD_HASH line for a web console password (docs/console.md)
  install [options]          install or upgrade on this host (see: ai-proxy install --help)
  --version                  print the version
  --help                     print this help

The config folder is /app/config unless --config-dir or AI_PROXY_CONFIG_DIR says otherwise.`;

async function run(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`ai-proxy ${build.version} (commit ${build.commit}, node ${process.version})\n`);
      return;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    case 'serve':
      return (await import('./cli/serve.ts')).serveCommand(rest);
    case 'healthcheck':
      return (await import('./cli/healthcheck.ts')).healthcheckCommand(rest);
    case 'hold':
      return (await import('./cli/hold.ts')).holdCommand(rest);
    case 'config':
      return (await import('./cli/config-check.ts')).configCommand(rest);
    case 'keys':
      return (await import('./cli/keys.ts')).keysCommand(rest);
    case 'usage':
      return (await import('./cli/usage.ts')).usageCommand(rest);
    case 'console':
      return (await import('./cli/console.ts')).consoleCommand(rest);
    case 'install':
      return (await import('../installer/cli.ts')).installCommand(rest);
    default:
      if (command.startsWith('--')) return (await import('./cli/serve.ts')).serveCommand(argv);
      throw new ExitError(2, `unknown command "${command}"`, 'run `ai-proxy --help` for the list of commands');
  }
}

run(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    if (error instanceof ExitError) {
      process.stderr.write(`ai-proxy: ${error.message}${error.hint ? ` (${error.hint})` : ''}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(
      `ai-proxy: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
