// The proxy in a shared network namespace: the installer's holder container owns the namespace
// and the published port, and the proxies join it to hand the port over without a gap
// (docs/upgrade.md). The installer turns this mode on with AI_PROXY_SHARED_NETWORK=1. Then:
// - the port is opened with SO_REUSEPORT (listen.ts), so an old and a new proxy share it;
// - 127.0.0.1:PORT may be answered by any proxy of the namespace, so a health check asking
//   there could see the old proxy answer for a broken new one. Each proxy also answers on an
//   abstract unix socket named after its PID namespace: Docker's health check runs (docker
//   exec) in the container's PID namespace with its environment and finds it, the other
//   proxies do not (abstract sockets belong to the network namespace; the name, made of the PID
//   namespace and AI_PROXY_INSTANCE, tells them apart). Not a file: nothing to clean up, and
//   /tmp comes back 0755 after a restart with Docker 20.10;
// - if the holder is restarted, it gets a new namespace and this one keeps only loopback:
//   the proxy exits so its restart policy starts it again inside the new one.
// AI_PROXY_INSTANCE names this proxy in the header of its health answers, which lets the
// installer check that a request through the published port reached the new proxy.
import { readlinkSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

export const SHARED_NETWORK_VAR = 'AI_PROXY_SHARED_NETWORK';
export const INSTANCE_VAR = 'AI_PROXY_INSTANCE';
export const INSTANCE_HEADER = 'x-ai-proxy-instance';

export function sharedNetwork(env: Record<string, string | undefined>): boolean {
  return env[SHARED_NETWORK_VAR] === '1';
}

/** The abstract unix socket of this proxy (a leading NUL: no file, Linux only). */
export function instanceSocketPath(env: Record<string, string | undefined> = process.env): string {
  return `\0ai-proxy-${readlinkSync('/proc/self/ns/pid')}-${env[INSTANCE_VAR] ?? ''}`;
}

/** True while the namespace has an interface other than loopback with an address. */
export function hasOutsideInterface(interfaces = networkInterfaces()): boolean {
  return Object.values(interfaces).some((list) => list?.some((a) => !a.internal));
}

/**
 * Calls `onLost` once the namespace has had no outside interface on two checks in a row (one
 * check could fall between Docker removing an interface and adding the next). Returns a stop.
 */
export function watchNetwork(onLost: () => void, everyMs = 2000, check = hasOutsideInterface): () => void {
  let misses = 0;
  const timer = setInterval(() => {
    misses = check() ? 0 : misses + 1;
    if (misses === 2) {
      clearInterval(timer);
      onLost();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
