// Step 8: the new container must be reported healthy by Docker within --health-timeout, and
// answer GET /ping from the host through the published port (what a client will do).
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { covers } from '../../src/contract/names.ts';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { poll } from '../engine/poll.ts';
import type { RunState, Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

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

/** The last `acme order failed` error in the container's log (the proxy's JSON log lines). */
export function lastAcmeError(logs: string): string | undefined {
  let found: string | undefined;
  for (const line of logs.split('\n')) {
    if (!line.includes('acme order failed')) continue;
    try {
      const parsed = JSON.parse(line.slice(line.indexOf('{'))) as { error?: unknown };
      found = typeof parsed.error === 'string' ? parsed.error : line;
    } catch {
      found = line.trim();
    }
  }
  return found;
}

/** Until the deadline: a certificate covering `name` is presented on the HTTPS port and /ping answers 200. */
async function waitForCertificate(
  state: RunState,
  id: string,
  host: string,
  port: number,
  name: string,
  deadlineMs: number,
): Promise<void> {
  const engine = need(state.engine, 'engine');
  let last = '';
  let shownError: string | undefined;
  const served = await poll(
    async () => {
      try {
        const result = await tlsPing(host, port, name);
        if (result.status === 200 && covers(result.names, name)) return true;
        last =
          result.status !== 200
            ? `HTTP ${result.status}`
            : `the certificate presented covers ${result.names.join(', ') || 'no name'}, not ${name}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (state.tls?.settings.mode === 'acme') {
        const acmeError = lastAcmeError(await engine.containers.logsTail(id, 200));
        if (acmeError && acmeError !== shownError) {
          state.progress.warn(`ACME: ${acmeError}`);
          shownError = acmeError;
        }
        if (acmeError) last = `no certificate yet; last ACME error: ${acmeError}`;
      }
      return undefined;
    },
    { timeoutMs: deadlineMs - Date.now(), signal: state.signal, delayMs: 250, maxDelayMs: 2000 },
  );
  if (!served)
    throw new Error(
      `no certificate for ${name} on https://${host.includes(':') ? `[${host}]` : host}:${port}: ${last}`,
    );
}

export const health: Step = {
  title: 'Waiting until the container is healthy',
  exitCode: EXIT.startFailed,
  async run(state) {
    const engine = need(state.engine, 'engine');
    const id = need(state.containerId, 'container');
    const port = need(state.port, 'port');
    const started = Date.now();
    const timeoutMs = state.options.healthTimeout * 1000;
    const restoredHint = state.existing
      ? 'the previous version was restored and keeps serving'
      : 'nothing was left running';
    try {
      await engine.containers.waitHealthy(id, timeoutMs, state.signal);
      const deadline = Math.max(started + timeoutMs, Date.now() + 5000);
      const tlsName = firstName(state);
      if (tlsName) await waitForCertificate(state, id, probeHost(need(state.bind, 'bind')), port, tlsName, deadline);
      else await pingUntilOk(probeHost(need(state.bind, 'bind')), port, deadline, state.signal);
    } catch (error) {
      if (state.signal.aborted) throw error;
      const logs = await engine.containers.logsTail(id, 5);
      if (logs) state.log.line(`container log tail:\n${logs}`);
      throw new InstallError(
        EXIT.startFailed,
        `the new container failed its health check: ${(error as Error).message}`,
        `${restoredHint}; see \`docker logs\` output in ${state.log.path}`,
      );
    }
    const tlsName = firstName(state);
    return `healthy after ${((Date.now() - started) / 1000).toFixed(1)} s, /ping answers on port ${port}${tlsName ? ` over HTTPS with a certificate for ${tlsName}` : ''}`;
  },
};

/** The name the HTTPS check asks for (SNI): the first --domain, or the certificate's first name. */
function firstName(state: RunState): string | undefined {
  const tls = state.tls;
  if (!tls || tls.settings.mode === 'off') return undefined;
  const name = tls.settings.mode === 'acme' ? tls.settings.domains[0] : tls.cert?.names[0];
  // A wildcard is not a name a client sends: ask for one host it covers.
  return name?.startsWith('*.') ? `ai-proxy-check.${name.slice(2)}` : name;
}
