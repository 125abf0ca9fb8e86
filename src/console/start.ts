// Starts the console when CONSOLE_PORT or CONSOLE_ON_PUBLIC_PORT is set (serve imports this
// module only then; the release executable keeps it in a separate file that is evaluated here
// and nowhere else). Its listener is its own node:http server: nothing is added to the proxy's
// request path, and on PORT only a path prefix check routes /console/ here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeConfig } from '../cli/config-check.ts';
import type { ConsoleEnv } from '../config/env.ts';
import { TokenAuth } from '../http/auth.ts';
import { healthReport, type HealthState } from '../observability/health.ts';
import type { Logger } from '../observability/logger.ts';
import { storeTarget } from '../store/open.ts';
import { StoreError, type Store } from '../store/types.ts';
import { ConsoleApp } from './app.ts';
import { OverviewCache } from './overview.ts';
import { verifyPassword } from './password.ts';
import { Sessions } from './sessions.ts';
import { SignInLimiter } from './sign-in-limit.ts';
import { openConsoleStore } from './store-thread.ts';
import { readUiFiles } from './ui-files.ts';

export interface ConsoleDeps {
  env: ConsoleEnv;
  /** The proxy's live state: its runtime (config, providers) changes on reload. */
  health: () => HealthState;
  logger: Logger;
}

export interface RunningConsole {
  /** For /console/ on PORT (HTTPS): the request listener to mount there. */
  publicListener: (req: IncomingMessage, res: ServerResponse) => void;
  /** The console's own listener's address, when CONSOLE_PORT is set. */
  address: AddressInfo | undefined;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Opens the store on first use; a failed open is retried after a few seconds. */
function lazyStore(open: () => Promise<Store>): { get: () => Promise<Store>; close: () => Promise<void> } {
  let store: Promise<Store> | undefined;
  let failedAt = 0;
  return {
    get: () => {
      if (store && !(failedAt && Date.now() - failedAt > 5000)) return store;
      failedAt = 0;
      store = open();
      store.catch(() => (failedAt = Date.now()));
      return store;
    },
    close: async () => {
      const s = await store?.catch(() => undefined);
      await s?.close();
    },
  };
}

/** The console's handler and its store, without a listener (tests drive it in memory). */
export function buildConsole(deps: ConsoleDeps): { app: ConsoleApp; closeStore: () => Promise<void> } {
  const { env, logger } = deps;
  const config = () => deps.health().runtime.config;
  const target = storeTarget(config().env.store ?? { databaseUrl: undefined, dataDir: undefined }, config().dir);
  const store = lazyStore(() =>
    target.kind === 'none'
      ? Promise.reject(new StoreError(`no store configured (${target.reason}): keys and the ledger are off`))
      : openConsoleStore(target),
  );
  const passwordHash = env.passwordHash;
  const app = new ConsoleApp({
    files: readUiFiles(),
    logger,
    api: {
      sessions: new Sessions(),
      limiter: new SignInLimiter(),
      logger,
      signInWith: passwordHash ? 'password' : 'token',
      checkSecret: async (secret) =>
        passwordHash ? verifyPassword(secret, passwordHash) : new TokenAuth(config().env.authToken).check(secret),
      store: store.get,
      overview: new OverviewCache(),
      health: () => JSON.parse(healthReport(deps.health()).body) as Record<string, unknown>,
      config: () => describeConfig(config()),
    },
  });
  return { app, closeStore: store.close };
}

export async function startConsole(deps: ConsoleDeps): Promise<RunningConsole> {
  const { env, logger } = deps;
  const { app, closeStore } = buildConsole(deps);
  let server: Server | undefined;
  let address: AddressInfo | undefined;
  if (env.port !== undefined) {
    server = createServer(
      { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 },
      app.listener(false, true),
    );
    address = await new Promise<AddressInfo>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(env.port, env.host, () => {
        server!.off('error', reject);
        resolve(server!.address() as AddressInfo);
      });
    });
    logger.info('console listening', { address: address.address, port: address.port, path: '/console/' });
    if (!LOOPBACK.test(env.host))
      logger.warn(
        'the console listens beyond loopback over plain HTTP: publish it only on the host loopback (docs/console.md)',
        {
          host: env.host,
        },
      );
  }
  if (env.onPublicPort) logger.info('console served on PORT under /console/ (HTTPS)');
  return {
    publicListener: app.listener(true, false),
    address,
    close: async () => {
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      }
      await closeStore();
    },
  };
}
