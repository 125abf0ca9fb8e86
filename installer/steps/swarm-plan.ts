// The manager's port and plan. The configuration is planned exactly as for one VPS (same
// templates, same validation, same /srv/ai-proxy on the manager as the operator's copy); what
// differs is where it goes: content-named secrets and a config instead of a bind mount.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { isPortFree } from '../command/port-input.ts';
import { DEFAULT_PORT } from '../../src/contract/variables.ts';
import { installedPort } from '../config/installed.ts';
import { makePlan } from './plan-install.ts';
import { LABELS, SERVICE } from '../engine/stack.ts';
import { swarmConfig } from '../config/swarm-config.ts';
import type { ServiceView } from '../engine/swarm.ts';
import type { RunState, Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

export function servicePort(service: ServiceView | undefined): number | undefined {
  return service?.spec.EndpointSpec?.Ports?.[0]?.PublishedPort;
}

export function serviceReplicas(service: ServiceView | undefined): number | undefined {
  return service?.spec.Mode?.Replicated?.Replicas;
}

export const swarmPort: Step = {
  title: 'Choosing the port',
  exitCode: EXIT.portInUse,
  async run(state) {
    const swarm = need(state.swarm, 'swarm');
    const current = servicePort(swarm.service);
    const port = state.options.port ?? current ?? installedPort(state.ctx.paths.configDir) ?? DEFAULT_PORT;
    state.port = port;
    state.bind = '0.0.0.0';
    if (port === current) return `port ${port} (the service's)`;
    // Only this node can be checked from here; a node where the port is taken fails its task, which the rollout reports.
    const taken = (await need(state.engine, 'engine').containers.publishedPorts()).find(
      (p) => p.port === port && !p.container.startsWith(`${SERVICE}.`),
    );
    if (taken)
      throw new InstallError(
        EXIT.portInUse,
        `port ${port} is already published by the container "${taken.container}"`,
        'choose another with --port N',
      );
    if (!(await isPortFree(port, '0.0.0.0')))
      throw new InstallError(
        EXIT.portInUse,
        `port ${port} is already in use on this node by another program`,
        'choose another with --port N, or stop what uses it (see: ss -ltnp)',
      );
    return `port ${port} in host mode on every node${current ? ` (was ${current})` : ''}`;
  },
};

export const swarmPlan: Step = {
  title: 'Planning',
  exitCode: EXIT.configFailed,
  async run(state, undo) {
    await makePlan.run(state, undo);
    if (state.tls && state.tls.settings.mode !== 'off') {
      // Certificates live in the manager's /srv/ai-proxy, which tasks on other nodes cannot see.
      throw new InstallError(
        EXIT.usage,
        `${state.ctx.paths.configDir}/.env has HTTPS settings (${state.tls.settings.mode === 'acme' ? 'ACME_DOMAIN' : 'TLS_CERT_FILE'}), which --swarm does not deploy`,
        `terminate HTTPS at the load balancer in front of the nodes (docs/scale-out.md) and remove the TLS_*, ACME_* and HTTP_PORT lines from ${state.ctx.paths.configDir}/.env; nothing was changed`,
      );
    }
    const swarm = need(state.swarm, 'swarm');
    // Every node builds the archive's Dockerfile as it is, so the images agree; the service's
    // own health check carries the port.
    state.dockerfile = need(state.texts, 'texts').get('Dockerfile') ?? '';
    const config = need(state.config, 'config');
    if (swarm.service && config.firstInstall) {
      // A new token here would lock every client out of the running service.
      throw new InstallError(
        EXIT.configFailed,
        `${SERVICE} is deployed but this manager has no ${state.ctx.paths.configDir}/.env: it was deployed from another manager`,
        `copy ${state.ctx.paths.configDir} from the manager where --swarm init ran, keeping owner and modes, then run again; nothing was changed`,
      );
    }
    swarm.plan = swarmConfig(config.next.env, config.next.provider, need(state.port, 'port'));
    const service = swarm.service;
    const version = need(state.manifest, 'manifest').version;
    const replicas = state.options.swarm?.replicas ?? serviceReplicas(service);
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
      service.spec.Labels?.[LABELS.configHash] === swarm.plan.configHash &&
      servicePort(service) === state.port &&
      serviceReplicas(service) === replicas;
    state.action = !service
      ? 'install'
      : same && !state.options.force
        ? 'unchanged'
        : service.spec.Labels?.[LABELS.version] !== version
          ? 'upgrade'
          : 'reconfigure';
    if (replicas !== undefined && state.options.swarm) state.options.swarm.replicas = replicas;
    return state.action;
  },
};

export function swarmPlanLines(state: RunState): string[] {
  const swarm = need(state.swarm, 'swarm');
  const manifest = need(state.manifest, 'manifest');
  const plan = need(swarm.plan, 'swarm plan');
  const nodes = swarm.nodes?.length ?? 1;
  const replicas = state.options.swarm?.replicas;
  const what: Record<string, string> = {
    install: `the stack ai-proxy will be deployed (service ${SERVICE})`,
    upgrade: `${SERVICE} ${swarm.service?.spec.Labels?.[LABELS.version] ?? '?'} will be updated one node at a time; Swarm rolls back on failure`,
    reconfigure: `${SERVICE} will be updated with the new settings, one node at a time`,
    reinstall: `${SERVICE} will be updated (--force)`,
    unchanged: `${SERVICE} already runs ${manifest.version} with these settings`,
  };
  return [
    'Plan (Docker Swarm):',
    `  version    ${manifest.version}, ${manifest.arch}`,
    `  swarm      ${swarm.membership.state === 'active' ? `existing, ${nodes} node${nodes === 1 ? '' : 's'}` : 'a new swarm will be created on this node'}`,
    `  service    ${replicas === undefined ? 'one task per node (global)' : `${replicas} replica${replicas === 1 ? '' : 's'}`}, port ${state.port} in host mode on each node`,
    `  existing   ${what[need(state.action, 'action')] ?? ''}`,
    `  secrets    ${plan.secrets.map((s) => s.variable).join(', ')}; config provider-config.yaml (from ${state.ctx.paths.configDir})`,
  ];
}
