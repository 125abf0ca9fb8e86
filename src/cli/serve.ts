// `ai-proxy serve`: load the config (exit 78 when invalid), listen, reload on SIGHUP, drain on
// SIGTERM/SIGINT. Resolves after a graceful shutdown; src/main.ts does the exit.
// With TLS (src/tls/, imported only then) PORT serves HTTPS and HTTP_PORT the plain listener;
// with ACME_DOMAIN, PORT opens once the first certificate is there.
import type { AddressInfo } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { ExitError, listenFailure } from '../exit-error.ts';
import { resolveConfigDir } from '../config/dir.ts';
import type { ConsoleEnv } from '../config/console-env.ts';
import { DEFAULT_CONSOLE_HOST } from '../contract/variables.ts';
import { ProxyServer } from '../http/server.ts';
import { INSTANCE_VAR, sharedNetwork, watchNetwork } from '../http/shared-network.ts';
import { drainSettingsNow } from '../config/drain-now.ts';
import { healthReport } from '../observability/health.ts';
import { Logger } from '../observability/logger.ts';
import { openStore, storeTarget } from '../store/open.ts';
import type { RunningConsole } from '../console/start.ts';
import type { TlsSetup } from '../tls/setup.ts';
import { build } from '../version.ts';
import { parseFlags } from './args.ts';
import { describeConfig, loadOrExit } from './config-check.ts';
import { logDrain } from './drain-log.ts';

/** sysexits' "temporary failure, try again": the restart policy does. */
const EX_TEMPFAIL = 75;

/**
 * Once nothing has run for this long during a drain, idle keep-alive connections are closed.
 * Only worth it when someone else takes the new connections meanwhile (another proxy on the
 * shared port, or a load balancer during DRAIN_DELAY): a proxy alone on its port closes them at
 * once, because whoever replaces it (`docker stop` then start, a Swarm stop-first update) waits
 * for it to exit, and every second it lingers is a second nobody accepts.
 */
export const IDLE_GRACE_MS = 5000;

export function idleGraceMs(shared: boolean, delaySeconds: number): number {
  return shared || delaySeconds > 0 ? IDLE_GRACE_MS : 0;
}
const DRAIN_REPORT_MS = 5000;

export async function serveCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, ['config-dir', 'port', 'host', 'console-port'], 'serve');
  const config = loadOrExit(resolveConfigDir(flags['config-dir']));
  const port = flags.port !== undefined ? Number(flags.port) : config.env.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ExitError(2, `serve: invalid --port "${flags.port}"`);
  const host = flags.host ?? '0.0.0.0';
  const shared = sharedNetwork(process.env);
  const log = new Logger(config.env.logLevel);
  const tls: TlsSetup | undefined = config.env.tls
    ? await (await import('../tls/setup.ts')).TlsSetup.prepare(config.env.tls, config.dir, log)
    : undefined;
  const proxy = new ProxyServer(config, {
    logger: log,
    instance: process.env[INSTANCE_VAR],
    ...(tls ? { tls: { options: tls.serverOptions(), status: tls.served } } : {}),
  });
  for (const w of config.warnings) log.warn(w);
  await proxy.startGateway();
  const webConsole = await openConsole(consoleSettings(config.env.console, flags['console-port']), proxy, log);
  // A bug in one request must not take every other request down with it.
  const onRejection = (reason: unknown) =>
    log.error('unhandled promise rejection', {
      error: log.scrub(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)),
    });
  process.on('unhandledRejection', onRejection);
  const listen = async () => {
    let addr: AddressInfo;
    try {
      addr = await proxy.listen(port, host, shared);
    } catch (error) {
      throw listenFailure(`port ${port}`, error, 'another process uses it; set PORT in .env');
    }
    log.info('listening', {
      address: addr.address,
      port: addr.port,
      protocol: tls ? 'https' : 'http',
      version: build.version,
      commit: build.commit,
      node: process.version,
      config_dir: config.dir,
      providers: config.providers.length,
      routes: config.routes.size,
      ...(shared ? { shared_network: true } : {}),
    });
  };
  let stop: (signal: NodeJS.Signals | 'error' | 'network') => void = () => {};
  let unwatch = () => {};
  try {
    if (shared) {
      await proxy.listenInstanceSocket();
      unwatch = watchNetwork(() => {
        log.error('the shared network lost its interface (its holder container was restarted?): exiting', {
          hint: 'the restart policy starts this container again inside the new network',
        });
        process.exitCode = EX_TEMPFAIL;
        stop('network');
      });
    }
    if (!tls) await listen();
    else {
      let first: Promise<void> | undefined;
      let started = false;
      await tls.start(
        proxy.server as unknown as TlsServer,
        host,
        proxy.probes(),
        () => {
          if (!started) {
            first = listen();
            return;
          }
          listen().catch((error: ExitError) => {
            // The port opened late (first ACME certificate): no caller is waiting, so stop here.
            log.error(error.message, { hint: error.hint });
            process.exitCode = error.exitCode;
            stop('error');
          });
        },
        shared,
      );
      started = true;
      if (first) await first;
      else
        log.info('waiting for the first certificate before opening the HTTPS port', {
          port,
          names: tls.served.health().names,
        });
    }
  } catch (error) {
    process.off('unhandledRejection', onRejection);
    await Promise.all([tls?.close(), webConsole?.close()]);
    log.flush();
    throw error;
  }
  await new Promise<void>((resolve, reject) => {
    const onHup = () => {
      proxy.reload();
      tls?.reload();
    };
    let stopping = false;
    stop = (signal) => {
      if (stopping) return;
      stopping = true;
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.off('SIGHUP', onHup);
      process.off('unhandledRejection', onRejection);
      unwatch();
      const { drain, problem } = drainSettingsNow(config.dir, config.env.drain);
      if (problem) log.warn('drain settings: keeping the ones read at the start', { problem });
      // a lost network has nobody left to finish answering: no point in waiting
      const lost = signal === 'network';
      log.info('draining', { signal, limit_s: lost ? 0 : drain.timeoutSeconds, delay_s: drain.delaySeconds });
      const drained = proxy.drain({
        delayMs: lost ? 0 : drain.delaySeconds * 1000,
        limitMs: lost ? 0 : drain.timeoutSeconds * 1000,
        idleGraceMs: idleGraceMs(shared, drain.delaySeconds),
        reportEveryMs: DRAIN_REPORT_MS,
        report: (p) => logDrain(log, p),
      });
      Promise.all([drained, tls?.close(), webConsole?.close()]).then(() => {
        log.info('stopped');
        log.flush();
        resolve();
      }, reject);
    };
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** CONSOLE_* from the config; `--console-port N` (0: any free port, for tests) turns it on too. */
function consoleSettings(env: ConsoleEnv | undefined, portFlag: string | undefined): ConsoleEnv | undefined {
  if (portFlag === undefined) return env;
  const port = Number(portFlag);
  if (!/^\d+$/.test(portFlag) || port > 65535) throw new ExitError(2, `serve: invalid --console-port "${portFlag}"`);
  return { host: DEFAULT_CONSOLE_HOST, onPublicPort: false, passwordHash: undefined, ...env, port };
}

/** The web console (src/console/, loaded only when it is on): its own listener, /console/ on PORT or both. */
async function openConsole(
  env: ConsoleEnv | undefined,
  proxy: ProxyServer,
  log: Logger,
): Promise<RunningConsole | undefined> {
  if (!env) return undefined;
  const { startConsole } = await import('../console/start.ts');
  const config = proxy.runtime.config;
  let running: RunningConsole;
  try {
    running = await startConsole({
      env,
      logger: log,
      health: () => JSON.parse(healthReport(proxy.app.health).body) as Record<string, unknown>,
      config: () => describeConfig(proxy.runtime.config),
      authToken: () => proxy.runtime.config.env.authToken,
      storeTarget: storeTarget(config.env.store ?? { databaseUrl: undefined, dataDir: undefined }, config.dir),
      openStore: (target) => openStore(target, { postgresQueryTimeoutMs: 15_000 }),
      reusePort: sharedNetwork(process.env),
    });
  } catch (error) {
    throw listenFailure(`console port ${env.port}`, error, 'another process uses it; set CONSOLE_PORT in .env');
  }
  if (env.onPublicPort) proxy.mount('/console', running.publicListener);
  return running;
}
