// How a proxy leaves without failing anyone: it stops accepting, lets every request and stream
// it already has finish (up to a limit), and says what it is waiting for while it does.
//
// Two rules come from measurements of upgrades under load (docs/upgrade.md):
// - Idle keep-alive connections are not closed while requests are still running. A client may
//   be sending its next request on one at that very moment: closing it is the classic
//   keep-alive race, a reset the client sees (and clients that do not retry report as a
//   failure). Instead every answer given while draining carries `Connection: close` (the caller
//   sets it), so a connection in use ends after its answer. Only once nothing has been running
//   for `idleGraceMs` are the connections still idle closed: by then an active client has sent
//   its next request on its connection (and got it closed cleanly), and one that has not is
//   unlikely to send it at the very moment of the close.
// - Only the listening socket is closed, so that with SO_REUSEPORT and tcp_migrate_req the
//   connections still waiting in its accept queue move to the newer proxy on the same port.
//   http.Server#close() would also close idle connections (Node 19+): net.Server's is used.
import { Server as NetServer } from 'node:net';

/** One request still being answered. */
export interface OpenRequest {
  id: string;
  path: string;
  /** the model asked for, when known */
  model: string;
  stream: boolean;
  /** when it started, in performance.now() milliseconds */
  startedAt: number;
}

export interface DrainTarget {
  server: NetServer;
  /** the requests still being answered */
  openRequests(): OpenRequest[];
  /** closes the connections with no request on them (http.Server#closeIdleConnections) */
  closeIdle(): void;
  /** ends every connection at once (http.Server#closeAllConnections): the limit was reached */
  cutAll(): void;
}

export interface DrainOptions {
  /**
   * Keep accepting for this long first, while readiness already says no, so that a load
   * balancer in front (Swarm nodes, Kubernetes endpoints) stops sending before the port
   * closes. 0 when a newer proxy on the same port takes over at once.
   */
  delayMs: number;
  /** the longest the whole drain may take; whatever is still open then is cut */
  limitMs: number;
  /** once no request has been running for this long, idle keep-alive connections are closed */
  idleGraceMs: number;
  /** how often to report what the drain waits for (the first report comes at once) */
  reportEveryMs: number;
  report(progress: DrainProgress): void;
}

export type DrainPhase = 'accepting' | 'closed' | 'waiting' | 'done' | 'cut';

export interface DrainProgress {
  phase: DrainPhase;
  /** milliseconds since the drain began */
  elapsedMs: number;
  limitMs: number;
  requests: number;
  streams: number;
  /** the oldest requests first, at most REPORTED of them */
  oldest: { id: string; path: string; model: string; stream: boolean; ageMs: number }[];
}

export interface DrainResult {
  ms: number;
  /** requests still open when the limit was reached */
  cut: number;
}

const REPORTED = 10;
const IDLE_CHECK_MS = 100;

export function progressOf(
  phase: DrainPhase,
  open: OpenRequest[],
  elapsedMs: number,
  limitMs: number,
  now: number,
): DrainProgress {
  const sorted = [...open].sort((a, b) => a.startedAt - b.startedAt);
  return {
    phase,
    elapsedMs: Math.round(elapsedMs),
    limitMs,
    requests: open.length,
    streams: open.filter((r) => r.stream).length,
    oldest: sorted.slice(0, REPORTED).map((r) => ({
      id: r.id,
      path: r.path,
      model: r.model,
      stream: r.stream,
      ageMs: Math.round(now - r.startedAt),
    })),
  };
}

/**
 * Drains `target`: (optionally) keeps accepting for `delayMs`, closes the listening socket,
 * waits until its last connection has ended (closing idle ones once nothing has run for
 * `idleGraceMs`) or `limitMs` has passed since the start, and then cuts what is left.
 * Resolves once the server has no connection left.
 */
export async function drain(target: DrainTarget, opts: DrainOptions): Promise<DrainResult> {
  const began = performance.now();
  const elapsed = () => performance.now() - began;
  const report = (phase: DrainPhase) =>
    opts.report(progressOf(phase, target.openRequests(), elapsed(), opts.limitMs, performance.now()));
  const timers: NodeJS.Timeout[] = [];
  const after = (ms: number) =>
    new Promise<void>((resolve) => {
      timers.push(setTimeout(resolve, Math.max(0, ms)));
    });

  if (opts.delayMs > 0) {
    report('accepting');
    await after(Math.min(opts.delayMs, opts.limitMs));
  }
  // net.Server#close: the listening socket goes, the connections stay; 'close' (and the
  // callback, with an error when it was not listening) comes once the last one has ended
  const closed = new Promise<void>((resolve) => {
    NetServer.prototype.close.call(target.server, () => resolve());
  });
  report('closed');
  timers.push(setInterval(() => report('waiting'), opts.reportEveryMs));
  let idleSince: number | undefined;
  timers.push(
    setInterval(() => {
      if (target.openRequests().length > 0) idleSince = undefined;
      else if (idleSince === undefined) idleSince = performance.now();
      else if (performance.now() - idleSince >= opts.idleGraceMs) target.closeIdle();
    }, IDLE_CHECK_MS),
  );

  let cut = 0;
  const limit = after(opts.limitMs - elapsed()).then(() => 'limit' as const);
  const outcome = await Promise.race([closed.then(() => 'closed' as const), limit]);
  if (outcome === 'limit') {
    cut = target.openRequests().length;
    report('cut');
    target.cutAll();
    await closed;
  } else report('done');
  for (const t of timers) clearTimeout(t);
  return { ms: Math.round(elapsed()), cut };
}
