// Step 3: what will happen. The existing configuration is validated and the new one computed
// in memory (nothing is written yet), the container that would be deployed is hashed and
// compared with the running one, and the operator confirms (unless --yes or no terminal).
import { createHash } from 'node:crypto';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { ConfigInvalid, configChange } from '../config/config-change.ts';
import { setDockerfilePort } from '../archive/dockerfile.ts';
import { containerSpec } from '../engine/container-spec.ts';
import { supportsStartInterval } from '../engine/endpoint.ts';
import { httpsSetup, withHttps } from '../https/https-setup.ts';
import { describeCert } from '../https/certificates.ts';
import { join } from 'node:path';
import { ENV_FILE, PROVIDER_FILE } from '../../src/contract/container.ts';
import type { InstallContext } from '../context.ts';
import type { Action, RunState, Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

export function labelKeys(ctx: InstallContext) {
  const p = ctx.labelPrefix;
  return {
    version: `${p}.version`,
    archive: `${p}.archive-sha256`,
    config: `${p}.config-sha256`,
    spec: `${p}.spec-sha256`,
    repo: `${p}.repo`,
  };
}

/** Faster first health checks where the engine supports them (API 1.44+). */
export function startInterval(state: RunState): { startIntervalMs?: number } {
  return state.engine && supportsStartInterval(state.engine.info.apiVersion) ? { startIntervalMs: 1000 } : {};
}

export function containerLabels(state: RunState): Record<string, string> {
  const keys = labelKeys(state.ctx);
  return {
    [keys.version]: need(state.manifest, 'manifest').version,
    [keys.archive]: need(state.archiveSha, 'archive sha'),
    [keys.config]: need(state.config, 'config').configHash,
    [keys.spec]: need(state.specHash, 'spec hash'),
    [keys.repo]: state.ctx.names.imageRepo,
    // The host's HTTPS port: .env holds the container's (8443), so a re-run reads it here.
    ...(state.tls && state.tls.settings.mode !== 'off'
      ? { [`${state.ctx.labelPrefix}.https-port`]: String(need(state.port, 'port')) }
      : {}),
  };
}

/** The TLS parts of the container spec (ports, the ACME mount); empty for plain HTTP. */
export function tlsSpec(state: RunState): {
  containerPort?: number;
  httpPort?: { host: number; container: number };
  acmeDir?: string;
} {
  const tls = state.tls;
  if (!tls || tls.settings.mode === 'off') return {};
  return {
    containerPort: tls.containerPort,
    ...(tls.httpPort ? { httpPort: tls.httpPort } : {}),
    ...(tls.acmeDir ? { acmeDir: tls.acmeDir } : {}),
  };
}

function specHash(state: RunState, imageRef: string): string {
  const spec = containerSpec({
    name: state.ctx.names.container,
    image: imageRef,
    port: need(state.port, 'port'),
    bind: need(state.bind, 'bind'),
    configDir: state.ctx.paths.configDir,
    labels: {},
    ...startInterval(state),
    ...tlsSpec(state),
  });
  return createHash('sha256').update(JSON.stringify(spec)).update(need(state.archiveSha, 'archive sha')).digest('hex');
}

function decideAction(state: RunState): Action {
  const existing = state.existing;
  if (!existing) return 'install';
  const keys = labelKeys(state.ctx);
  const labels = existing.labels;
  const same =
    labels[keys.archive] === state.archiveSha &&
    labels[keys.spec] === state.specHash &&
    labels[keys.config] === state.config?.configHash;
  if (same && existing.running && existing.health === 'healthy' && !state.options.force) return 'unchanged';
  if (labels[keys.archive] !== state.archiveSha && labels[keys.version] !== state.manifest?.version) return 'upgrade';
  if (!same && labels[keys.archive] === state.archiveSha) return 'reconfigure';
  return 'reinstall';
}

export function planLines(state: RunState): string[] {
  const manifest = need(state.manifest, 'manifest');
  const existing = state.existing;
  const config = need(state.config, 'config');
  const oldVersion = existing?.labels[labelKeys(state.ctx).version] ?? 'unknown version';
  const what: Record<Action, string> = {
    install: 'none installed: a new container will be created',
    upgrade: `${state.ctx.names.container} ${oldVersion} will be replaced; it is kept as ${state.ctx.names.previousContainer} until the new one is healthy`,
    reconfigure: `${state.ctx.names.container} will be recreated with the new settings; the old one is kept until the new one is healthy`,
    reinstall: `${state.ctx.names.container} will be rebuilt and recreated${state.options.force ? ' (--force)' : ''}; the old one is kept until the new one is healthy`,
    unchanged: `${state.ctx.names.container} ${oldVersion} is running, healthy and identical: nothing to do`,
    uninstall: '',
  };
  return [
    'Plan:',
    ...tlsLines(state),
    `  version    ${manifest.version}${manifest.commit ? ` (commit ${manifest.commit.slice(0, 12)})` : ''}, ${manifest.arch}`,
    `  port       ${state.port} published on ${state.bind}`,
    `  existing   ${what[need(state.action, 'action')]}`,
    `  config     ${state.ctx.paths.configDir}: ${config.firstInstall ? 'created from the templates with a new AUTH_TOKEN' : `kept as it is${config.next.env !== config.current.env?.toString('utf8') ? `, PORT set to ${state.tls?.containerPort ?? state.port}` : ''}`}`,
  ];
}

function tlsLines(state: RunState): string[] {
  const tls = state.tls;
  if (!tls || tls.settings.mode === 'off') return [];
  if (tls.settings.mode === 'file') return [`  https      your certificate: ${tls.cert ? describeCert(tls.cert) : ''}`];
  return [
    `  https      automatic ACME certificate for ${tls.settings.domains.join(', ')} (${tls.settings.directoryUrl ?? "Let's Encrypt"}); host port ${tls.httpPort?.host} answers its HTTP-01 challenges`,
  ];
}

export const makePlan: Step = {
  title: 'Planning',
  exitCode: EXIT.configFailed,
  async run(state) {
    const texts = need(state.texts, 'archive texts');
    const port = need(state.port, 'port');
    try {
      state.config = configChange(
        state.ctx.paths.configDir,
        { env: texts.get('.env.example') ?? '', provider: texts.get(PROVIDER_FILE) ?? '' },
        port,
      );
    } catch (error) {
      if (error instanceof ConfigInvalid)
        throw new InstallError(
          EXIT.configFailed,
          error.message,
          'fix the file (or move it away to start from the template), then run the installer again; nothing was changed',
        );
      throw new InstallError(
        EXIT.configFailed,
        `cannot read ${state.ctx.paths.configDir}: ${(error as Error).message}`,
        'check the folder and its permissions; nothing was changed',
      );
    }
    // Before anything changes: the certificate and key (exit 11), then the TLS lines of .env.
    state.tls = httpsSetup(state.options, state.ctx.paths.configDir, port);
    state.config = withHttps(state.config, state.tls, port, join(state.ctx.paths.configDir, ENV_FILE));
    try {
      state.dockerfile = setDockerfilePort(texts.get('Dockerfile') ?? '', state.tls.containerPort);
    } catch (error) {
      throw new InstallError(
        EXIT.configFailed,
        `cannot set the port in the archive's Dockerfile: ${(error as Error).message}`,
        'use a release archive made for this installer',
      );
    }
    state.imageRef = `${state.ctx.names.imageRepo}:${need(state.manifest, 'manifest').version}`;
    state.specHash = specHash(state, state.imageRef);
    state.action = decideAction(state);
    return state.action;
  },
};

/** Prints the plan and asks; returns false when the operator declines. */
export async function confirmPlan(state: RunState): Promise<boolean> {
  for (const line of planLines(state)) state.progress.info(line);
  if (state.action === 'unchanged' || state.options.dryRun || state.options.yes) return true;
  if (!state.prompter.interactive) {
    state.progress.info('No terminal: proceeding without confirmation (pass --yes to say so explicitly).');
    return true;
  }
  state.progress.pause();
  return state.prompter.confirm('Proceed?', true, state.signal);
}
