// The console's handler in memory for its tests (no port): a console over a real SQLite store in
// a temp folder, a sign-in helper and a ledger row maker.
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeConfig } from '../cli/config-check.ts';
import { inMemoryApp, requestInMemory, TEST_TOKEN } from '../http/in-memory.ts';
import type { LedgerRow } from '../ledger/row.ts';
import { healthReport } from '../observability/health.ts';
import { Logger } from '../observability/logger.ts';
import { openStore, storeTarget } from '../store/open.ts';
import { buildConsole } from './start.ts';

export const YAML = 'providers:\n  - name: echo\n    type: echo\n    models: [echo]\n';
export const HOST = 'console.test';
export const SAME_ORIGIN = { host: HOST, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' };

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function setup(extraEnv: Record<string, string> = {}, logger = new Logger('silent')) {
  const dir = mkdtempSync(join(tmpdir(), 'aip-console-'));
  const proxy = inMemoryApp(YAML, { DATA_DIR: dir, ...extraEnv });
  const env = proxy.runtime.config.env.console ?? {
    port: undefined,
    host: '127.0.0.1',
    onPublicPort: false,
    passwordHash: undefined,
  };
  const config = proxy.runtime.config;
  const built = buildConsole({
    env,
    logger,
    health: () => JSON.parse(healthReport(proxy.health).body) as Record<string, unknown>,
    config: () => describeConfig(config),
    authToken: () => config.env.authToken,
    storeTarget: storeTarget(config.env.store!, config.dir),
    openStore: (target) => openStore(target),
  });
  return { dir, built, handler: built.app.listener(false, true) as Handler };
}

export async function signIn(handler: Handler, secret = TEST_TOKEN, origin = SAME_ORIGIN.origin) {
  const r = await requestInMemory(handler, '/console/api/sign-in', {
    method: 'POST',
    headers: { ...SAME_ORIGIN, origin, 'content-type': 'application/json' },
    body: { secret },
  });
  const cookie = r.headers['set-cookie']?.split(';')[0] ?? '';
  const csrf = r.status === 200 ? (r.json() as { csrf: string }).csrf : '';
  return { r, cookie, csrf };
}

export function row(over: Partial<LedgerRow>): LedgerRow {
  return {
    ts: Date.now(),
    requestId: 'req',
    keyId: null,
    endpoint: '/v1/chat/completions',
    route: 'echo',
    provider: 'echo',
    model: 'echo',
    stream: false,
    status: 200,
    inputTokens: 10,
    outputTokens: 5,
    cachedTokens: 0,
    costNano: 1000,
    latencyMs: 20,
    ttfbMs: 5,
    error: null,
    ...over,
  };
}
