// `ai-proxy hold`: the process of the installer's holder container. The container owns the
// network namespace and the published ports that the proxy containers join (docs/upgrade.md),
// so that an old and a new proxy can share the port during an upgrade; its process only has to
// stay alive. It waits for SIGTERM or SIGINT and returns: Docker's stop is immediate.
import { parseFlags } from './args.ts';

export async function holdCommand(argv: string[]): Promise<void> {
  parseFlags(argv, [], 'hold');
  await new Promise<void>((resolve) => {
    // a pending timer keeps the event loop, and so the process, alive
    const alive = setInterval(() => {}, 2 ** 31 - 1);
    const done = () => {
      clearInterval(alive);
      resolve();
    };
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
}
