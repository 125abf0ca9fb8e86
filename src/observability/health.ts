// /health, /health/live and /health/ready. They only read state the proxy already has: no
// upstream call, so a health probe can never cost money or hang.
import { version } from '../version.ts';
import type { TlsStatusSource } from '../tls/served.ts';
import type { Runtime } from '../proxy/runtime.ts';
import type { GatewayHealth } from '../gateway/gateway.ts';

/** Consecutive failed attempts after which a provider shows as failing in /health. */
const FAILING_AFTER = 3;

export interface HealthState {
  runtime: Runtime;
  startedAt: number;
  lastReloadError: string | undefined;
  draining: boolean;
  /** Present when PORT serves HTTPS. */
  tls?: TlsStatusSource | undefined;
  /** Present when client keys and the ledger are on (a store is configured). */
  gateway?: { health(): GatewayHealth } | undefined;
}

export function isReady(s: HealthState): boolean {
  if (s.draining) return false;
  if (s.tls && !s.tls.loaded()) return false;
  for (const p of s.runtime.providers.values()) if (!p.unusable) return true;
  return false;
}

/**
 * /health for a visitor who neither presents AUTH_TOKEN (client keys included) nor is local: the status and the
 * version, nothing about providers, variables, upstream errors or certificates.
 */
export function publicHealthReport(s: HealthState): { status: 'ok' | 'degraded' | 'error'; body: string } {
  const { status } = healthReport(s);
  return { status, body: JSON.stringify({ status, version }) };
}

/** The full /health: for AUTH_TOKEN and for loopback (the container's own probe, an operator). */
export function healthReport(s: HealthState): { status: 'ok' | 'degraded' | 'error'; body: string } {
  const providers: Record<string, unknown> = {};
  let usable = 0;
  let degraded = s.lastReloadError !== undefined;
  for (const p of s.runtime.providers.values()) {
    let status: string;
    if (p.unusable) status = 'disabled';
    else if (p.state.consecutiveFailures >= FAILING_AFTER) status = 'failing';
    else status = 'ok';
    if (!p.unusable) usable++;
    if (status !== 'ok') degraded = true;
    providers[p.name] = {
      status,
      type: p.type,
      ...(p.unusable ? { reason: p.unusable } : {}),
      ...(p.state.lastError
        ? { last_error: p.state.lastError, last_error_at: new Date(p.state.lastErrorAt!).toISOString() }
        : {}),
    };
  }
  const tls = s.tls?.health();
  // A failed renewal while the current certificate still serves is worth a look, not an outage.
  if (tls && tls.status !== 'ok') degraded = true;
  // A store that cannot be written is worth a look: requests are still served (see docs/keys.md).
  const gateway = s.gateway?.health();
  if (gateway && gateway.status !== 'ok') degraded = true;
  const status = usable === 0 || s.draining || (s.tls && !s.tls.loaded()) ? 'error' : degraded ? 'degraded' : 'ok';
  const body = JSON.stringify({
    status,
    version,
    uptime_seconds: Math.floor((Date.now() - s.startedAt) / 1000),
    components: {
      config: {
        status: s.lastReloadError ? 'degraded' : 'ok',
        loaded_at: new Date(s.runtime.loadedAt).toISOString(),
        routes: s.runtime.routes.size,
        ...(s.lastReloadError ? { last_reload_error: s.lastReloadError } : {}),
      },
      providers,
      ...(tls ? { tls } : {}),
      ...(gateway ? { store: gateway.store, keys: gateway.keys, ledger: gateway.ledger, limits: gateway.limits } : {}),
    },
  });
  return { status, body };
}
