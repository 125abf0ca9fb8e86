// The single-VPS port. `--port` (or AI_PROXY_PORT) wins; on a terminal the operator is asked
// (three tries, each mistake explained); without a terminal the installed port or 8080 is used
// and the installer says so. The port must be free on the host and not published by another
// container; the port of our own container counts as free (that is an upgrade).
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { parsePort } from '../command/port-input.ts';
import { DEFAULT_PORT } from '../../src/contract/variables.ts';
import { installedPort } from '../config-files/installed.ts';
import { labelKeys } from '../context.ts';
import type { ContainerState } from '../engine/containers.ts';
import type { Engine } from '../engine/engine.ts';
import type { Run, Step } from '../flows/step.ts';
import { overlaps, portProblem } from '../host/ports.ts';
import { chosenTls, installedTlsIn } from '../https/https-setup.ts';
import { ACME_HOST_HTTP_PORT, DEFAULT_HTTPS_PORT } from '../https/https-env.ts';

const TRIES = 3;

/** Why the port cannot be used, or undefined when it can; our own containers' ports are ours. */
async function problemWith(run: Run, input: PortInput, port: number): Promise<string | undefined> {
  const { existing, bind } = input;
  const { container, previousContainer, nextContainer, holder } = run.ctx.names;
  if (existing && existing.publishedPort === port && overlaps(existing.bind ?? '0.0.0.0', bind)) return undefined;
  const ours = new Set([container, previousContainer, nextContainer, holder, `${holder}-previous`]);
  // Our own container (or the holder, which publishes for it) may publish two ports (HTTPS and
  // ACME's 80): either one is ours to reuse.
  const problem = await portProblem(input.engine, port, bind, {
    reuse: (name) => name === container || name === holder,
    ours: (name) => ours.has(name),
  });
  return problem?.message;
}

interface PortInput {
  engine: Engine;
  existing?: ContainerState;
  bind: string;
}

export const choosePort: Step<PortInput, { port: number }> = {
  title: 'Choosing the port',
  exitCode: EXIT.portInUse,
  run: async (run, _undo, input) => {
    const { existing, bind } = input;
    const installed = installedTlsIn(run.ctx.paths.configDir);
    const tls = chosenTls(run.options, installed);
    if (tls.mode === 'acme') {
      // HTTP-01 challenges arrive on host port 80: it must be free (or already ours).
      const problem = await problemWith(run, input, ACME_HOST_HTTP_PORT);
      if (problem)
        throw new InstallError(
          EXIT.portInUse,
          `${problem} (--domain needs it for ACME HTTP-01 challenges)`,
          'stop what uses it (see: ss -ltnp), or use --tls-cert/--tls-key with a certificate you obtain yourself',
        );
    }
    // An HTTPS install's .env says PORT=8443 (inside the container): the host port is in a label.
    const installedHttps = existing?.labels[labelKeys(run.ctx).httpsPort];
    const wasTls = installed.mode !== 'off';
    const fallback =
      tls.mode !== 'off'
        ? Number(installedHttps || DEFAULT_HTTPS_PORT)
        : wasTls
          ? DEFAULT_PORT
          : (existing?.publishedPort ?? installedPort(run.ctx.paths.configDir) ?? DEFAULT_PORT);
    const source =
      tls.mode !== 'off'
        ? installedHttps
          ? 'the installed HTTPS port'
          : 'the HTTPS default'
        : !wasTls && existing?.publishedPort
          ? 'the installed port'
          : 'the default';
    const chosen = (port: number, detail: string) => ({ detail, value: { port } });
    if (run.options.port !== undefined) {
      const problem = await problemWith(run, input, run.options.port);
      if (problem)
        throw new InstallError(
          EXIT.portInUse,
          problem,
          'choose another with --port N, or stop what uses it (see: ss -ltnp)',
        );
      return chosen(run.options.port, `port ${run.options.port} on ${bind}`);
    }
    if (!run.prompter.interactive) {
      const problem = await problemWith(run, input, fallback);
      if (problem) throw new InstallError(EXIT.portInUse, problem, 'choose another with --port N (or AI_PROXY_PORT)');
      return chosen(fallback, `port ${fallback} on ${bind} (${source}: no terminal and no --port)`);
    }
    let lastCode: typeof EXIT.invalidPort | typeof EXIT.portInUse = EXIT.invalidPort;
    let lastProblem = '';
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      run.progress.pause();
      const answer = (await run.prompter.text(`Port for ai-proxy (1-65535)`, String(fallback), run.signal)).trim();
      const parsed = parsePort(answer);
      if (!parsed.ok) {
        lastCode = EXIT.invalidPort;
        lastProblem = parsed.reason;
      } else {
        const problem = await problemWith(run, input, parsed.port);
        if (!problem) return chosen(parsed.port, `port ${parsed.port} on ${bind}`);
        lastCode = EXIT.portInUse;
        lastProblem = problem;
      }
      run.progress.warn(
        `${lastProblem}${attempt < TRIES ? ` (try ${attempt} of ${TRIES}; enter a whole number such as 8080)` : ''}`,
      );
    }
    throw new InstallError(lastCode, `no usable port after ${TRIES} tries: ${lastProblem}`, 'run again with --port N');
  },
};
