// Step 8: the new container must be reported healthy by Docker within --health-timeout, and
// answer GET /ping from the host through the published port (what a client will do).
import { request } from 'node:http';
import { EXIT } from '../exit-codes.ts';
import { InstallError } from '../errors.ts';
import { sleep } from '../docker.ts';
import type { RunState, Step } from '../state.ts';
import { need } from '../state.ts';

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
  let delay = 200;
  let last = '';
  while (true) {
    try {
      const status = await ping(host, port);
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() + delay > deadlineMs) throw new Error(`GET http://${host.includes(':') ? `[${host}]` : host}:${port}/ping failed: ${last}`);
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 2000);
  }
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
    const restoredHint = state.existing ? 'the previous version was restored and keeps serving' : 'nothing was left running';
    try {
      await engine.waitHealthy(id, timeoutMs, state.signal);
      await pingUntilOk(probeHost(need(state.bind, 'bind')), port, Math.max(started + timeoutMs, Date.now() + 5000), state.signal);
    } catch (error) {
      if (state.signal.aborted) throw error;
      const logs = await engine.logsTail(id, 5);
      if (logs) state.log.line(`container log tail:\n${logs}`);
      throw new InstallError(EXIT.startFailed, `the new container failed its health check: ${(error as Error).message}`, `${restoredHint}; see \`docker logs\` output in ${state.log.path}`);
    }
    return `healthy after ${((Date.now() - started) / 1000).toFixed(1)} s, /ping answers on port ${port}`;
  },
};
