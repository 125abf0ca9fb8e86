// Probes of what this host can reach: the proxy's /ping over HTTP and HTTPS through a published
// port (what a client will do), and a TCP port of another host (a swarm manager).
import { type IncomingMessage, request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { INSTANCE_HEADER } from '../../src/http/shared-network.ts';
import { poll } from '../engine/poll.ts';

/** The address a local client uses for a container published on `bind`. */
export function probeHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '') return '127.0.0.1';
  if (bind === '::') return '::1';
  return bind;
}

export function ping(host: string, port: number, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/ping', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET /ping with backoff (200 ms doubling to 2 s) until 200 or the deadline. */
export async function pingUntilOk(host: string, port: number, deadlineMs: number, signal?: AbortSignal): Promise<void> {
  let last = '';
  const ok = await poll(
    async () => {
      try {
        const status = await ping(host, port);
        if (status === 200) return true;
        last = `HTTP ${status}`;
      } catch (error) {
        last = (error as Error).message;
      }
      return undefined;
    },
    { timeoutMs: deadlineMs - Date.now(), signal, delayMs: 200, maxDelayMs: 2000 },
  );
  if (!ok) throw new Error(`GET http://${host.includes(':') ? `[${host}]` : host}:${port}/ping failed: ${last}`);
}

/**
 * GET /ping over HTTPS with SNI = `name`; resolves with the status and the names of the
 * certificate presented. The issuer is not verified (it may be a private CA): the question is
 * whether the proxy serves a certificate for the name, not whether this host trusts it.
 */
export function tlsPing(
  host: string,
  port: number,
  name: string,
  timeoutMs = 3000,
): Promise<{ status: number; names: string[] }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port,
        path: '/ping',
        method: 'GET',
        timeout: timeoutMs,
        agent: false,
        rejectUnauthorized: false,
        ...(isIP(name) ? {} : { servername: name }),
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        const names = (peer.subjectaltname ?? '')
          .split(/,\s*/)
          .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
          .filter(Boolean);
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, names }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * GET /health/ready on a new connection (HTTPS when `tlsName` is given, SNI = that name, issuer
 * not verified): the status and the `x-ai-proxy-instance` of whichever proxy the kernel handed
 * the connection to, when several share the port.
 */
export function readyAnswer(
  host: string,
  port: number,
  tlsName?: string,
  timeoutMs = 3000,
): Promise<{ status: number; instance: string | undefined }> {
  return new Promise((resolve, reject) => {
    const options = { host, port, path: '/health/ready', method: 'GET', timeout: timeoutMs, agent: false };
    const onResponse = (res: IncomingMessage) => {
      const instance = res.headers[INSTANCE_HEADER];
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, instance: typeof instance === 'string' ? instance : undefined }),
      );
    };
    const req = tlsName
      ? httpsRequest(
          { ...options, rejectUnauthorized: false, ...(isIP(tlsName) ? {} : { servername: tlsName }) },
          onResponse,
        )
      : request(options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** TCP reachability of the manager's swarm port, so an unreachable manager costs seconds and changes nothing. */
export function reachable(address: string, timeoutMs: number): Promise<string | undefined> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}
