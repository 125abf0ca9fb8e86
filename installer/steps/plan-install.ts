// The plan of a single-VPS install: what will happen. The existing configuration is validated
// and the new one computed in memory (nothing is written yet), the container that would be
// deployed is hashed and compared with the running one. The gate after this step shows the plan
// (planLines) and asks.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ENV_FILE, PROVIDER_FILE } from '../../src/contract/container.ts';
import { DRAIN_TIMEOUT_VAR } from '../../src/contract/variables.ts';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { setDockerfilePort } from '../archive/dockerfile.ts';
import { ConfigInvalid, configChange, type ConfigChange } from '../config-files/config-change.ts';
import { setEnvValue } from '../config-files/env-editor.ts';
import { labelKeys } from '../context.ts';
import { activeFirewalls, firewallWarning } from '../host/firewall.ts';
import { gidHolders, judgeGid } from '../host/groups.ts';
import { describeBootUnit, planBootUnit, type BootUnitPlan } from '../host/boot-unit.ts';
import { readBootHost } from '../host/systemd.ts';
import type { ContainerState } from '../engine/containers.ts';
import { containerSpec, holderSpec, type RunSpec } from '../engine/container-spec.ts';
import type { Engine } from '../engine/engine.ts';
import { supportsStartInterval } from '../engine/endpoint.ts';
import type { Run, Step } from '../flows/step.ts';
import { describeCert } from '../https/operator-certificate.ts';
import { httpsSetup, withHttps, type HttpsSetup } from '../https/https-setup.ts';
import type { VerifiedArchive } from './verify-archive.ts';

export type Action = 'install' | 'upgrade' | 'reconfigure' | 'reinstall' | 'unchanged';

/** What the plan step decides: the configuration, HTTPS, the build's Dockerfile, the image and what happens. */
export interface InstallPlan {
  config: ConfigChange;
  https: HttpsSetup;
  dockerfile: string;
  imageRef: string;
  /** Covers the proxy's spec, the holder's and the archive: the proxy's spec label. */
  specHash: string;
  /** The holder's spec without its image (an upgrade keeps the holder): the holder's spec label. */
  holderHash: string;
  action: Action;
  /** The systemd unit that starts the holder before the proxy at boot. */
  bootUnit: BootUnitPlan;
}

interface PlanInput {
  engine: Engine;
  existing?: ContainerState;
  holder?: ContainerState;
  archive: VerifiedArchive;
  port: number;
  bind: string;
}

/** The container's settings for `name`: the same for the spec hash of the plan and the container the start step creates. */
export function runSpec(
  run: Run,
  input: { engine: Engine; port: number; bind: string; https: HttpsSetup },
  name: string,
  image: string,
  labels: Record<string, string>,
): RunSpec {
  const { https } = input;
  return {
    name,
    image,
    port: input.port,
    bind: input.bind,
    configDir: run.ctx.paths.configDir,
    dataDir: run.ctx.paths.dataDir,
    labels,
    // Faster first health checks where the engine supports them (API 1.44+).
    ...(supportsStartInterval(input.engine.info.apiVersion) ? { startIntervalMs: 1000 } : {}),
    ...(https.settings.mode === 'off'
      ? {}
      : {
          containerPort: https.containerPort,
          ...(https.httpPort ? { httpPort: https.httpPort } : {}),
          ...(https.acmeDir ? { acmeDir: https.acmeDir } : {}),
        }),
  };
}

/** The holder's settings: its name, the published ports, the labels; the image is the caller's. */
export function holderRunSpec(run: Run, input: { port: number; bind: string; https: HttpsSetup }, image: string) {
  const { https } = input;
  const keys = labelKeys(run.ctx);
  return {
    name: run.ctx.names.holder,
    image,
    port: input.port,
    bind: input.bind,
    labels: { [keys.repo]: run.ctx.names.imageRepo, [keys.role]: 'holder' },
    ...(https.settings.mode === 'off'
      ? {}
      : { containerPort: https.containerPort, ...(https.httpPort ? { httpPort: https.httpPort } : {}) }),
  };
}

const sha256 = (...parts: string[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

/**
 * The configuration part of a plan (the Swarm manager's too): the config folder's files validated
 * and computed, then HTTPS (the certificate and key checked, exit 11) and its lines in .env.
 */
export function planConfiguration(
  run: Run,
  archive: VerifiedArchive,
  port: number,
): { config: ConfigChange; https: HttpsSetup } {
  const { configDir } = run.ctx.paths;
  let config: ConfigChange;
  try {
    config = configChange(
      configDir,
      { env: archive.texts.get('.env.example') ?? '', provider: archive.texts.get(PROVIDER_FILE) ?? '' },
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
      `cannot read ${configDir}: ${(error as Error).message}`,
      'check the folder and its permissions; nothing was changed',
    );
  }
  // --drain-timeout is a setting like the others: written to .env (its hash follows in withHttps),
  // read by the old proxy when the hand-over sends it SIGTERM.
  if (run.options.drainTimeout !== undefined)
    config = {
      ...config,
      next: { ...config.next, env: setEnvValue(config.next.env, DRAIN_TIMEOUT_VAR, String(run.options.drainTimeout)) },
    };
  const https = httpsSetup(run.options, configDir, port);
  return { config: withHttps(config, https, port, join(configDir, ENV_FILE)), https };
}

/** The installed proxy is joined to a running holder that publishes what this plan would. */
function holderServes(input: PlanInput, holderHash: string, specLabel: string): boolean {
  const { holder, existing } = input;
  return !!holder?.running && holder.labels[specLabel] === holderHash && existing?.joinedTo === holder.id;
}

function decideAction(run: Run, input: PlanInput, config: ConfigChange, specHash: string, holderHash: string): Action {
  const { existing, archive } = input;
  if (!existing) return 'install';
  const keys = labelKeys(run.ctx);
  const labels = existing.labels;
  const same =
    labels[keys.archive] === archive.sha && labels[keys.spec] === specHash && labels[keys.config] === config.configHash;
  if (
    same &&
    existing.running &&
    existing.health === 'healthy' &&
    holderServes(input, holderHash, keys.spec) &&
    !run.options.force
  )
    return 'unchanged';
  if (labels[keys.archive] !== archive.sha && labels[keys.version] !== archive.manifest.version) return 'upgrade';
  if (!same && labels[keys.archive] === archive.sha) return 'reconfigure';
  return 'reinstall';
}

export const planInstall: Step<PlanInput, InstallPlan> = {
  title: 'Planning',
  exitCode: EXIT.configFailed,
  run: async (run, _undo, input) => {
    const { archive, port } = input;
    // Refused here, before the gate, so --dry-run says it too; reserved after it (reserve-group.ts).
    judgeGid(run.ctx.containerGid, gidHolders(run.ctx.containerGid, run.ctx.hostRoot));
    const { config, https } = planConfiguration(run, archive, port);
    let dockerfile: string;
    try {
      dockerfile = setDockerfilePort(archive.texts.get('Dockerfile') ?? '', https.containerPort);
    } catch (error) {
      throw new InstallError(
        EXIT.configFailed,
        `cannot set the port in the archive's Dockerfile: ${(error as Error).message}`,
        'use a release archive made for this installer',
      );
    }
    const imageRef = `${run.ctx.names.imageRepo}:${archive.manifest.version}`;
    // The ids and the instance name differ for every container: placeholders keep the hash stable.
    const proxy = containerSpec(runSpec(run, { ...input, https }, run.ctx.names.container, imageRef, {}), {
      holderId: 'holder',
      instance: 'instance',
    });
    const holderHash = sha256(JSON.stringify(holderSpec(holderRunSpec(run, { ...input, https }, ''))));
    const specHash = sha256(JSON.stringify(proxy), holderHash, archive.sha);
    const action = decideAction(run, input, config, specHash, holderHash);
    const published = [port, ...(https.httpPort ? [https.httpPort.host] : [])];
    const warning = firewallWarning(input.bind, published, activeFirewalls(run.ctx.hostRoot));
    if (warning) run.progress.warn(warning);
    const { paths, hostRoot, env, names } = run.ctx;
    const bootUnit = planBootUnit(
      readBootHost(hostRoot, paths.bootUnit, env),
      input.engine.endpoint,
      paths.bootUnit,
      names,
    );
    return { detail: action, value: { config, https, dockerfile, imageRef, specHash, holderHash, action, bootUnit } };
  },
};

/** The plan the gate shows. */
export function planLines(run: Run, input: PlanInput & InstallPlan): string[] {
  const { archive, existing, config, https, port, bind } = input;
  const { manifest } = archive;
  const { container, holder } = run.ctx.names;
  const keys = labelKeys(run.ctx);
  const oldVersion = existing?.labels[keys.version] ?? 'unknown version';
  const handOver = existing?.running && holderServes(input, input.holderHash, keys.spec);
  const how = handOver
    ? 'the new one starts beside it and the old one drains once the new one serves (no gap)'
    : `the old one is stopped, then ${holder} publishes the port and the new one joins it (one short gap; the old one is restored if the new one fails)`;
  const what: Record<Action, string> = {
    install: `none installed: ${holder} (the published port) and ${container} will be created`,
    upgrade: `${container} ${oldVersion} will be replaced: ${how}`,
    reconfigure: `${container} will be recreated with the new settings: ${how}`,
    reinstall: `${container} will be rebuilt and recreated${run.options.force ? ' (--force)' : ''}: ${how}`,
    unchanged: `${container} ${oldVersion} is running, healthy and identical: nothing to do`,
  };
  return [
    'Plan:',
    ...httpsLines(https),
    `  version    ${manifest.version}${manifest.commit ? ` (commit ${manifest.commit.slice(0, 12)})` : ''}, ${manifest.arch}`,
    `  port       ${port} published on ${bind}`,
    `  existing   ${what[input.action]}`,
    `  boot       ${describeBootUnit(input.bootUnit)}`,
    `  config     ${run.ctx.paths.configDir}: ${config.firstInstall ? 'created from the templates with a new AUTH_TOKEN' : `kept as it is${config.next.env !== config.current.env?.toString('utf8') ? `, PORT set to ${https.containerPort ?? port}` : ''}`}`,
  ];
}

function httpsLines(https: HttpsSetup): string[] {
  if (https.settings.mode === 'off') return [];
  if (https.settings.mode === 'file')
    return [`  https      your certificate: ${https.cert ? describeCert(https.cert) : ''}`];
  return [
    `  https      automatic ACME certificate for ${https.settings.domains.join(', ')} (${https.settings.directoryUrl ?? "Let's Encrypt"}); host port ${https.httpPort?.host} answers its HTTP-01 challenges`,
  ];
}

/** The gate's line when the installed container is already this plan. */
export function unchangedLine(run: Run, input: { archive: VerifiedArchive; action: Action }): string | undefined {
  return input.action === 'unchanged'
    ? `Nothing to do: ${run.ctx.names.container} ${input.archive.manifest.version} is already installed with these settings and healthy (use --force to reinstall).`
    : undefined;
}
