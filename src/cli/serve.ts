// `ai-proxy serve`: load the config (exit 78 when invalid), listen, reload on SIGHUP, drain on
// SIGTERM/SIGINT. Resolves after a graceful shutdown; src/main.ts does the exit.
import { ExitError } from '../exit-error.ts';
import { resolveConfigDir } from '../config/dir.ts';
import { ProxyServer } from '../server/app.ts';
import { build } from '../version.ts';
import { parseFlags } from './args.ts';
import { loadOrExit } from './config-check.ts';

export const SHUTDOWN_GRACE_MS = 10_000;

export async function serveCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, ['config-dir', 'port', 'host'], 'serve');
  const config = loadOrExit(resolveConfigDir(flags['config-dir']));
  const port = flags.port !== undefined ? Number(flags.port) : config.env.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ExitError(2, `serve: invalid --port "${flags.port}"`);
  const proxy = new ProxyServer(config);
  const log = proxy.logger;
  for (const w of config.warnings) log.warn(w);
  // A bug in one request must not take every other request down with it.
  const onRejection = (reason: unknown) =>
    log.error('unhandled promise rejection', { error: log.scrub(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)) });
  process.on('unhandledRejection', onRejection);
  try {
    const addr = await proxy.listen(port, flags.host ?? '0.0.0.0');
    log.info('listening', { address: addr.address, port: addr.port, version: build.version, commit: build.commit, node: process.version, config_dir: config.dir, providers: config.providers.length, routes: config.routes.size });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    log.flush();
    throw new ExitError(code === 'EADDRINUSE' || code === 'EACCES' ? 78 : 1, `cannot listen on port ${port}: ${code ?? (error as Error).message}`, code === 'EADDRINUSE' ? 'another process uses it; set PORT in .env' : undefined);
  }
  await new Promise<void>((resolve) => {
    const onHup = () => proxy.reload();
    const onStop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onHup);
      process.off('unhandledRejection', onRejection);
      log.info('shutting down', { signal, grace_ms: SHUTDOWN_GRACE_MS });
      proxy.shutdown(SHUTDOWN_GRACE_MS).then(() => {
        log.info('stopped');
        log.flush();
        resolve();
      });
    };
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
  });
}
