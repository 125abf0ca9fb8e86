// The Swarm manager's plan. The configuration is planned exactly as for one VPS (same templates,
// same validation, same /srv/ai-proxy on the manager as the operator's copy); what differs is
// where it goes: content-named secrets and a config instead of a bind mount.
import { PROVIDER_FILE } from '../../src/contract/container.ts';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { ConfigChange } from '../config-files/config-change.ts';
import { swarmConfig, type SwarmConfig } from '../config-files/swarm-config.ts';
import { LABELS, SERVICE } from '../engine/stack.ts';
import type { NodeView, ServiceView, SwarmMembership } from '../engine/swarm.ts';
import type { Run, Step } from '../flows/step.ts';
import type { HttpsSetup } from '../https/https-setup.ts';
import { planConfiguration, type Action } from './plan-install.ts';
import { servicePort } from './swarm-port.ts';
import type { VerifiedArchive } from './verify-archive.ts';

/** What the manager's plan decides. */
export interface SwarmPlan {
  config: ConfigChange;
  https: HttpsSetup;
  dockerfile: string;
  imageRef: string;
  swarmConfig: SwarmConfig;
  /** undefined: one task per node (global); N: replicated (--replicas, else the service's). */
  replicas?: number;
  action: Action;
}

interface SwarmPlanInput {
  archive: VerifiedArchive;
  port: number;
  membership: SwarmMembership;
  service?: ServiceView;
  nodes?: NodeView[];
}

function serviceReplicas(service: ServiceView | undefined): number | undefined {
  return service?.spec.Mode?.Replicated?.Replicas;
}

export const swarmPlan: Step<SwarmPlanInput, SwarmPlan> = {
  title: 'Planning',
  exitCode: EXIT.configFailed,
  run: async (run, _undo, { archive, port, service }) => {
    const { configDir } = run.ctx.paths;
    const { config, https } = planConfiguration(run, archive, port);
    if (https.settings.mode !== 'off') {
      // Certificates live in the manager's /srv/ai-proxy, which tasks on other nodes cannot see.
      throw new InstallError(
        EXIT.usage,
        `${configDir}/.env has HTTPS settings (${https.settings.mode === 'acme' ? 'ACME_DOMAIN' : 'TLS_CERT_FILE'}), which --swarm does not deploy`,
        `terminate HTTPS at the load balancer in front of the nodes (docs/scale-out.md) and remove the TLS_*, ACME_* and HTTP_PORT lines from ${configDir}/.env; nothing was changed`,
      );
    }
    if (service && config.firstInstall) {
      // A new token here would lock every client out of the running service.
      throw new InstallError(
        EXIT.configFailed,
        `${SERVICE} is deployed but this manager has no ${configDir}/.env: it was deployed from another manager`,
        `copy ${configDir} from the manager where --swarm init ran, keeping owner and modes, then run again; nothing was changed`,
      );
    }
    const objects = swarmConfig(config.next.env, config.next.provider, port);
    const version = archive.manifest.version;
    const replicas = run.options.swarm?.replicas ?? serviceReplicas(service);
    if (service && replicas !== undefined && serviceReplicas(service) === undefined) {
      throw new InstallError(
        EXIT.usage,
        `${SERVICE} runs one task per node (global); Swarm cannot change a service's mode`,
        'drop --replicas to keep global mode, or remove the stack with --uninstall first, then run --swarm init --replicas N',
      );
    }
    const same =
      service &&
      service.spec.Labels?.[LABELS.version] === version &&
      service.spec.Labels?.[LABELS.configHash] === objects.configHash &&
      servicePort(service) === port &&
      serviceReplicas(service) === replicas;
    const action: Action = !service
      ? 'install'
      : same && !run.options.force
        ? 'unchanged'
        : service.spec.Labels?.[LABELS.version] !== version
          ? 'upgrade'
          : 'reconfigure';
    return {
      detail: action,
      value: {
        config,
        https,
        // Every node builds the archive's Dockerfile as it is, so the images agree; the
        // service's own health check carries the port.
        dockerfile: archive.texts.get('Dockerfile') ?? '',
        imageRef: `${run.ctx.names.imageRepo}:${version}`,
        swarmConfig: objects,
        ...(replicas !== undefined ? { replicas } : {}),
        action,
      },
    };
  },
};

/** The plan the gate shows. */
export function swarmPlanLines(run: Run, input: SwarmPlanInput & SwarmPlan): string[] {
  const { manifest } = input.archive;
  const { membership, service, replicas } = input;
  const nodes = input.nodes?.length ?? 1;
  const what: Record<Action, string> = {
    install: `the stack ai-proxy will be deployed (service ${SERVICE})`,
    upgrade: `${SERVICE} ${service?.spec.Labels?.[LABELS.version] ?? '?'} will be updated one node at a time; Swarm rolls back on failure`,
    reconfigure: `${SERVICE} will be updated with the new settings, one node at a time`,
    reinstall: `${SERVICE} will be updated (--force)`,
    unchanged: `${SERVICE} already runs ${manifest.version} with these settings`,
  };
  return [
    'Plan (Docker Swarm):',
    `  version    ${manifest.version}, ${manifest.arch}`,
    `  swarm      ${membership.state === 'active' ? `existing, ${nodes} node${nodes === 1 ? '' : 's'}` : 'a new swarm will be created on this node'}`,
    `  service    ${replicas === undefined ? 'one task per node (global)' : `${replicas} replica${replicas === 1 ? '' : 's'}`}, port ${input.port} in host mode on each node`,
    `  existing   ${what[input.action]}`,
    `  secrets    ${input.swarmConfig.secrets.map((s) => s.variable).join(', ')}; config ${PROVIDER_FILE} (from ${run.ctx.paths.configDir})`,
  ];
}

/** The gate's line when the service already runs this plan. */
export function swarmUnchangedLine(_run: Run, input: { archive: VerifiedArchive; action: Action }): string | undefined {
  return input.action === 'unchanged'
    ? `Nothing to do: ${SERVICE} already runs ${input.archive.manifest.version} with these settings (use --force to redeploy).`
    : undefined;
}
