// The new container must be reported healthy by Docker within --health-timeout (its health
// check asks its own instance socket, not the shared port), and answer through the published
// port (what a client will do): GET /ping, then GET /health/ready answered by the new container
// itself (its x-ai-proxy-instance); with HTTPS, over TLS with a certificate for the configured
// name. Until then the old container, if any, has not been touched.
import { covers } from '../../src/contract/names.ts';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { ContainerState } from '../engine/containers.ts';
import type { Engine } from '../engine/engine.ts';
import { poll } from '../engine/poll.ts';
import type { Run, Step } from '../flows/step.ts';
import { pingUntilOk, probeHost, readyAnswer, tlsPing } from '../host/probes.ts';
import type { HttpsSetup } from '../https/https-setup.ts';

interface HealthInput {
  engine: Engine;
  existing?: ContainerState;
  containerId: string;
  instance: string;
  port: number;
  bind: string;
  https: HttpsSetup;
}

/** The last `acme order failed` error in the container's log (the proxy's JSON log lines). */
function lastAcmeError(logs: string): string | undefined {
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
  run: Run,
  input: HealthInput,
  host: string,
  name: string,
  deadlineMs: number,
): Promise<void> {
  const { engine, containerId: id, port } = input;
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
      if (input.https.settings.mode === 'acme') {
        const acmeError = lastAcmeError(await engine.containers.logsTail(id, 200));
        if (acmeError && acmeError !== shownError) {
          run.progress.warn(`ACME: ${acmeError}`);
          shownError = acmeError;
        }
        if (acmeError) last = `no certificate yet; last ACME error: ${acmeError}`;
      }
      return undefined;
    },
    { timeoutMs: deadlineMs - Date.now(), signal: run.signal, delayMs: 250, maxDelayMs: 2000 },
  );
  if (!served)
    throw new Error(
      `no certificate for ${name} on https://${host.includes(':') ? `[${host}]` : host}:${port}: ${last}`,
    );
}

/**
 * Until a request through the published port reaches the new proxy and it says ready: the
 * kernel spreads new connections over every proxy listening on the shared port, so a few tries
 * on new connections find it. Only then may the old one stop accepting.
 */
async function waitForInstance(
  run: Run,
  input: HealthInput,
  host: string,
  tlsName: string | undefined,
  deadlineMs: number,
): Promise<void> {
  let last = 'no answer yet';
  const reached = await poll(
    async () => {
      try {
        const answer = await readyAnswer(host, input.port, tlsName);
        if (answer.instance === input.instance && answer.status === 200) return true;
        last =
          answer.instance === input.instance
            ? `the new container answers /health/ready with HTTP ${answer.status}`
            : `answered by ${answer.instance ?? 'a proxy without an instance name'}`;
      } catch (error) {
        last = (error as Error).message;
      }
      return undefined;
    },
    { timeoutMs: deadlineMs - Date.now(), signal: run.signal, delayMs: 100, maxDelayMs: 500 },
  );
  if (!reached) throw new Error(`no request through port ${input.port} reached the new container: ${last}`);
}

export const waitHealthy: Step<HealthInput> = {
  title: 'Waiting until the container is healthy',
  exitCode: EXIT.startFailed,
  run: async (run, _undo, input) => {
    const { engine, containerId: id, port, bind } = input;
    const started = Date.now();
    const timeoutMs = run.options.healthTimeout * 1000;
    const restoredHint = input.existing
      ? 'the previous version was restored and keeps serving'
      : 'nothing was left running';
    const tlsName = firstName(input.https);
    try {
      await engine.containers.waitHealthy(id, timeoutMs, run.signal);
      const deadline = Math.max(started + timeoutMs, Date.now() + 5000);
      if (tlsName) await waitForCertificate(run, input, probeHost(bind), tlsName, deadline);
      else await pingUntilOk(probeHost(bind), port, deadline, run.signal);
      await waitForInstance(run, input, probeHost(bind), tlsName, deadline);
    } catch (error) {
      if (run.signal.aborted) throw error;
      const logs = await engine.containers.logsTail(id, 5);
      if (logs) run.log.line(`container log tail:\n${logs}`);
      throw new InstallError(
        EXIT.startFailed,
        `the new container failed its health check: ${(error as Error).message}`,
        `${restoredHint}; see \`docker logs\` output in ${run.log.path}`,
      );
    }
    return `healthy after ${((Date.now() - started) / 1000).toFixed(1)} s, /ping answers on port ${port} and reaches it${tlsName ? ` over HTTPS with a certificate for ${tlsName}` : ''}`;
  },
};

/** The name the HTTPS check asks for (SNI): the first --domain, or the certificate's first name. */
function firstName(https: HttpsSetup): string | undefined {
  if (https.settings.mode === 'off') return undefined;
  const name = https.settings.mode === 'acme' ? https.settings.domains[0] : https.cert?.names[0];
  // A wildcard is not a name a client sends: ask for one host it covers.
  return name?.startsWith('*.') ? `ai-proxy-check.${name.slice(2)}` : name;
}
