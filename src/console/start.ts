// Starts the console when CONSOLE_PORT or CONSOLE_ON_PUBLIC_PORT is set (serve imports this
// module only then; the release executable keeps it in a separate file that is evaluated here
// and nowhere else). Its listener is its own node:http server: nothing is added to the proxy's
// request path, and on PORT only a path prefix check routes /console/ here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConsoleEnv } from '../config/console-env.ts';
import { TokenAuth } from '../http/auth.ts';
import { listenOn } from '../http/listen.ts';
import type { Logger } from '../observability/logger.ts';
import type { StoreTarget } from '../store/open.ts';
import { StoreError, type Store } from '../store/types.ts';
import { ConsoleApp } from './app.ts';
import { OverviewCache } from './overview.ts';
import { verifyPassword } from './password.ts';
import { Sessions } from './sessions.ts';
import { REFUSAL_WINDOW_MS, RefusedSignIns, SignInLimiter } from './sign-in-limit.ts';
import { openConsoleStore } from './store-thread.ts';
import { readUiFiles } from './ui-files.ts';

/**
 * What the console takes from the running proxy. Config parsing, /health and the store opener
 * come in as functions from the main script rather than as imports, so the console's file does
 * not carry a second copy of them (and of the YAML parser and zod they pull in).
 */
export interface ConsoleDeps {
  env: ConsoleEnv;
  logger: Logger;
  /** /health's report of the running proxy (providers, the store, keys, ledger), as an object. */
  health: () => Record<string, unknown>;
  /** `ai-proxy config`'s view of the running configuration, secrets redacted. */
  config: () => Record<string, unknown>;
  /** The current AUTH_TOKEN (a reload may change the secret files it comes from). */
  authToken: () => string;
  /** Where keys and the ledger are, and how the proxy opens a store that is not SQLite. */
  storeTarget: StoreTarget;
  openStore: (target: Exclude<StoreTarget, { kind: 'none' | 'sqlite' }>) => Promise<Store>;
  /** Share CONSOLE_PORT with the other proxies of the namespace (the installer's holder: shared-network.ts). */
  reusePort?: boolean;
}

export interface RunningConsole {
  /** For /console/ on PORT (HTTPS): the request listener to mount there. */
  publicListener: (req: IncomingMessage, res: ServerResponse) => void;
  /** The console's own listener's address, when CONSOLE_PORT is set. */
  address: AddressInfo | undefined;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** A console nobody has used for this long gives its store (and the SQLite thread's memory) back. */
const STORE_IDLE_MS = 5 * 60_000;

/** Opens the store on first use and closes it when idle; a failed open is retried after a few seconds. */
function lazyStore(open: () => Promise<Store>): { get: () => Promise<Store>; close: () => Promise<void> } {
  let store: Promise<Store> | undefined;
  let failedAt = 0;
  let idle: NodeJS.Timeout | undefined;
  const close = async () => {
    clearTimeout(idle);
    const current = store;
    store = undefined;
    const s = await current?.catch(() => undefined);
    await s?.close();
  };
  return {
    get: () => {
      clearTimeout(idle);
      idle = setTimeout(() => void close(), STORE_IDLE_MS).unref();
      if (store && !(failedAt && Date.now() - failedAt > 5000)) return store;
      failedAt = 0;
      store = open();
      store.catch(() => (failedAt = Date.now()));
      return store;
    },
    close,
  };
}

/** The console's handler and its store, without a listener (tests drive it in memory). */
export function buildConsole(deps: ConsoleDeps): { app: ConsoleApp; closeStore: () => Promise<void> } {
  const { env, logger } = deps;
  const target = deps.storeTarget;
  const store = lazyStore(() =>
    target.kind === 'none'
      ? Promise.reject(new StoreError(`no store configured (${target.reason}): keys and the ledger are off`))
      : openConsoleStore(target, deps.openStore),
  );
  const passwordHash = env.passwordHash;
  const app = new ConsoleApp({
    files: readUiFiles(),
    logger,
    api: {
      sessions: new Sessions(),
      limiter: new SignInLimiter(),
      refused: new RefusedSignIns((count, addresses) =>
        logger.warn('console: sign-in refused, too many failed attempts', {
          count,
          addresses,
          window_ms: REFUSAL_WINDOW_MS,
        }),
      ),
      logger,
      signInWith: passwordHash ? 'password' : 'token',
      checkSecret: async (secret) =>
        passwordHash ? verifyPassword(secret, passwordHash) : new TokenAuth(deps.authToken()).check(secret),
      store: store.get,
      overview: new OverviewCache(),
      health: deps.health,
      config: deps.config,
    },
  });
  return { app, closeStore: store.close };
}

/** Browsers open about six connections per origin; this leaves room for a handful of people. */
const MAX_CONSOLE_CONNECTIONS = 64;

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
    // A few people with a browser each: a bound on connections keeps its memory bounded too.
    server.maxConnections = MAX_CONSOLE_CONNECTIONS;
    // An old and a new proxy run side by side during an upgrade: both open the console's port.
    address = await listenOn(server, { port: env.port, host: env.host, reusePort: deps.reusePort ?? false });
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
