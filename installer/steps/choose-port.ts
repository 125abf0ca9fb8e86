// Step 2: the port. `--port` (or AI_PROXY_PORT) wins; on a terminal the operator is asked
// (three tries, each mistake explained); without a terminal the installed port or 8080 is used
// and the installer says so. The port must be free on the host and not published by another
// container; the port of our own container counts as free (that is an upgrade).
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { isPortFree, parsePort } from '../command/port-input.ts';
import { DEFAULT_PORT } from '../../src/contract/variables.ts';
import { installedPort } from '../config/installed.ts';
import { chosenTls, installedTlsIn } from '../https/https-setup.ts';
import { ACME_HOST_HTTP_PORT, DEFAULT_HTTPS_PORT } from '../https/https-env.ts';
import type { RunState, Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

const TRIES = 3;

function overlaps(a: string, b: string): boolean {
  const any = (ip: string) => ip === '0.0.0.0' || ip === '::' || ip === '';
  return any(a) || any(b) || a === b;
}

/** Why the port cannot be used, or undefined when it can. */
export async function portProblem(state: RunState, port: number, bind: string): Promise<string | undefined> {
  const engine = need(state.engine, 'engine');
  const ours = new Set([state.ctx.names.container, state.ctx.names.previousContainer, state.ctx.names.nextContainer]);
  const existing = state.existing;
  if (existing && existing.publishedPort === port && overlaps(existing.bind ?? '0.0.0.0', bind)) return undefined;
  const published = await engine.containers.publishedPorts();
  // Our own container may publish two ports (HTTPS and ACME's 80): either one is ours to reuse.
  if (
    published.some(
      (entry) => entry.port === port && entry.container === state.ctx.names.container && overlaps(entry.hostIp, bind),
    )
  )
    return undefined;
  const other = published.find(
    (published) => published.port === port && !ours.has(published.container) && overlaps(published.hostIp, bind),
  );
  if (other) return `port ${port} is already published by the container "${other.container}"`;
  try {
    if (!(await isPortFree(port, bind))) return `port ${port} is already in use on ${bind} by another program`;
  } catch (error) {
    throw new InstallError(
      EXIT.usage,
      (error as Error).message,
      'pass an address of this host with --bind, or 0.0.0.0 for all',
    );
  }
  return undefined;
}

export const choosePort: Step = {
  title: 'Choosing the port',
  exitCode: EXIT.portInUse,
  async run(state) {
    const bind = state.bind ?? state.options.bind;
    const installed = installedTlsIn(state.ctx.paths.configDir);
    const tls = chosenTls(state.options, installed);
    if (tls.mode === 'acme') {
      // HTTP-01 challenges arrive on host port 80: it must be free (or already ours).
      const problem = await portProblem(state, ACME_HOST_HTTP_PORT, bind);
      if (problem)
        throw new InstallError(
          EXIT.portInUse,
          `${problem} (--domain needs it for ACME HTTP-01 challenges)`,
          'stop what uses it (see: ss -ltnp), or use --tls-cert/--tls-key with a certificate you obtain yourself',
        );
    }
    // An HTTPS install's .env says PORT=8443 (inside the container): the host port is in a label.
    const installedHttps = state.existing?.labels[`${state.ctx.labelPrefix}.https-port`];
    const wasTls = installed.mode !== 'off';
    const fallback =
      tls.mode !== 'off'
        ? Number(installedHttps || DEFAULT_HTTPS_PORT)
        : wasTls
          ? DEFAULT_PORT
          : (state.existing?.publishedPort ?? installedPort(state.ctx.paths.configDir) ?? DEFAULT_PORT);
    const source =
      tls.mode !== 'off'
        ? installedHttps
          ? 'the installed HTTPS port'
          : 'the HTTPS default'
        : !wasTls && state.existing?.publishedPort
          ? 'the installed port'
          : 'the default';
    if (state.options.port !== undefined) {
      const problem = await portProblem(state, state.options.port, bind);
      if (problem)
        throw new InstallError(
          EXIT.portInUse,
          problem,
          'choose another with --port N, or stop what uses it (see: ss -ltnp)',
        );
      state.port = state.options.port;
      return `port ${state.port} on ${bind}`;
    }
    if (!state.prompter.interactive) {
      const problem = await portProblem(state, fallback, bind);
      if (problem) throw new InstallError(EXIT.portInUse, problem, 'choose another with --port N (or AI_PROXY_PORT)');
      state.port = fallback;
      return `port ${fallback} on ${bind} (${source}: no terminal and no --port)`;
    }
    let lastCode: typeof EXIT.invalidPort | typeof EXIT.portInUse = EXIT.invalidPort;
    let lastProblem = '';
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      state.progress.pause();
      const answer = (await state.prompter.text(`Port for ai-proxy (1-65535)`, String(fallback), state.signal)).trim();
      const parsed = parsePort(answer);
      if (!parsed.ok) {
        lastCode = EXIT.invalidPort;
        lastProblem = parsed.reason;
      } else {
        const problem = await portProblem(state, parsed.port, bind);
        if (!problem) {
          state.port = parsed.port;
          return `port ${parsed.port} on ${bind}`;
        }
        lastCode = EXIT.portInUse;
        lastProblem = problem;
      }
      state.progress.warn(
        `${lastProblem}${attempt < TRIES ? ` (try ${attempt} of ${TRIES}; enter a whole number such as 8080)` : ''}`,
      );
    }
    throw new InstallError(lastCode, `no usable port after ${TRIES} tries: ${lastProblem}`, 'run again with --port N');
  },
};
