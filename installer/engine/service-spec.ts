// The Swarm service document as a pure function: the single-VPS container's hardening
// (container-spec.ts) expressed in the fields a Swarm service has. Engine API 1.41 (Docker 20.10,
// Debian 11/12) is the floor: CapabilityDrop, Ulimits and Limits.Pids arrived there. A service
// spec has no field for security options, so no-new-privileges is reported as not applied,
// never claimed.
//
// How a node leaves and comes back in a rolling update (docs/scale-out.md, "The upgrade
// guarantee"): the old task gets SIGTERM, answers 503 on /health/ready while it still accepts
// for DRAIN_DELAY seconds (a load balancer takes the node out meanwhile), then finishes its
// requests and streams within DRAIN_TIMEOUT; the stop grace period covers both, so Swarm never
// SIGKILLs a drain. The new task counts as running only once its health check passed, and the
// next node waits another DRAIN_DELAY, so the load balancer has taken this one back in first.
import type Docker from 'dockerode';
import { HARDENING } from './container-spec.ts';
import { validateDrainEnv, type DrainEnv } from '../../src/config/drain-env.ts';
import { CONFIG_DIR, CONTAINER_GID, CONTAINER_UID, EXECUTABLE, PROVIDER_FILE } from '../../src/contract/container.ts';
import { compareApi, supportsStartInterval } from './endpoint.ts';
import { LABELS, SERVICE, STACK, STACK_LABEL } from './stack.ts';

export const SWARM_MIN_API = '1.41';
const SECOND = 1_000_000_000;

/** The task's health check (Docker's HEALTHCHECK fields), in seconds. */
export const HEALTH = { intervalSeconds: 5, timeoutSeconds: 3, startPeriodSeconds: 10, retries: 3 } as const;

export const ROLLOUT = {
  /**
   * Long enough to see a task fail its health checks after it first reported healthy: `retries`
   * failed checks `interval` apart, the last one taking up to `timeout`, plus one interval of
   * margin. Shorter, an update whose task turns unhealthy at once would count as a success.
   */
  monitorSeconds: HEALTH.intervalSeconds * (HEALTH.retries + 1) + HEALTH.timeoutSeconds,
  /** The pause between two nodes when DRAIN_DELAY is 0 (no load balancer to wait for). */
  minDelaySeconds: 2,
  restartDelaySeconds: 5,
} as const;

/**
 * DRAIN_DELAY when .env sets none: a load balancer that checks /health/ready every 2 s and
 * takes a node out after 3 failed checks needs 6 s; 4 s of margin. The rule for another one:
 * check interval x fall count + a few seconds (docs/scale-out.md).
 */
export const SWARM_DRAIN_DELAY_S = 10;
/** After a drain the proxy closes idle keep-alive connections once nothing ran for 5 s; then margin. */
const STOP_MARGIN_S = 10;

export interface ServiceInput {
  image: string;
  version: string;
  port: number;
  /** undefined: one task per node (global); N: replicated with N tasks. */
  replicas?: number;
  env: Record<string, string>;
  secrets: Array<{ variable: string; id: string; name: string }>;
  provider: { id: string; name: string };
  configHash: string;
  apiVersion: string;
}

export function swarmSupported(apiVersion: string): boolean {
  return compareApi(apiVersion, SWARM_MIN_API) >= 0;
}

/** DRAIN_TIMEOUT and DRAIN_DELAY as the task will read them: .env's (plain settings), else the defaults. */
export function serviceDrain(env: Record<string, string>): DrainEnv {
  return validateDrainEnv({ DRAIN_DELAY: String(SWARM_DRAIN_DELAY_S), ...env });
}

/** Swarm's limit for a task's stop: the whole drain (delay, then the longest stream) and margin. */
export function stopGraceSeconds(drain: DrainEnv): number {
  return drain.delaySeconds + drain.timeoutSeconds + STOP_MARGIN_S;
}

/**
 * The image's check with the service's port (images on every node are built alike, port 8080).
 * Readiness, not liveness: a task counts as running only once healthy, so a rolling update moves
 * on only from a task the load balancer (which checks /health/ready) would send traffic to; a
 * task that is live but never ready (no usable provider) fails the update and Swarm rolls back.
 */
function healthCheck(port: number, apiVersion: string): Docker.HealthConfig & { StartInterval?: number } {
  return {
    Test: ['CMD', EXECUTABLE, 'healthcheck', '--ready', '--port', String(port)],
    Interval: HEALTH.intervalSeconds * SECOND,
    Timeout: HEALTH.timeoutSeconds * SECOND,
    StartPeriod: HEALTH.startPeriodSeconds * SECOND,
    Retries: HEALTH.retries,
    ...(supportsStartInterval(apiVersion) ? { StartInterval: SECOND } : {}),
  };
}

export function serviceSpec(input: ServiceInput): Docker.ServiceSpec {
  const uid = String(CONTAINER_UID);
  const gid = String(CONTAINER_GID);
  const labels = { [STACK_LABEL]: STACK, [LABELS.version]: input.version, [LABELS.configHash]: input.configHash };
  const drain = serviceDrain(input.env);
  // The task reads the delay the stop grace period was computed with, whatever .env says or not.
  const env = { ...input.env, DRAIN_DELAY: String(drain.delaySeconds) };
  const rollout = (failureAction: string): Docker.UpdateConfig => ({
    Parallelism: 1,
    // A node that just came back must be in the load balancer again before the next one leaves:
    // it takes as long to take a node in (rise) as out (fall), which DRAIN_DELAY covers.
    Delay: Math.max(ROLLOUT.minDelaySeconds, drain.delaySeconds) * SECOND,
    FailureAction: failureAction,
    Monitor: ROLLOUT.monitorSeconds * SECOND,
    MaxFailureRatio: 0,
    // Host-mode ports: the old task must free the port before the new one on the same node binds it.
    Order: 'stop-first',
  });
  return {
    Name: SERVICE,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: input.image,
        Labels: { [STACK_LABEL]: STACK },
        Env: Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .sort(),
        User: HARDENING.user,
        ReadOnly: true,
        Init: true,
        CapabilityDrop: ['ALL'],
        // Swarm's default (10 s) would SIGKILL every stream still draining.
        StopGracePeriod: stopGraceSeconds(drain) * SECOND,
        HealthCheck: healthCheck(input.port, input.apiVersion),
        Mounts: [
          { Type: 'tmpfs', Source: '', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1777 } },
        ],
        Secrets: input.secrets.map((s) => ({
          SecretID: s.id,
          SecretName: s.name,
          // A relative name lands in /run/secrets (SECRETS_DIR), where the proxy reads one file per variable.
          File: { Name: s.variable, UID: uid, GID: gid, Mode: 0o400 },
        })),
        Configs: [
          {
            ConfigID: input.provider.id,
            ConfigName: input.provider.name,
            File: { Name: `${CONFIG_DIR}/${PROVIDER_FILE}`, UID: uid, GID: gid, Mode: 0o440 },
          },
        ],
      },
      Resources: {
        Limits: {
          MemoryBytes: HARDENING.memoryBytes,
          NanoCPUs: HARDENING.nanoCpus,
          Pids: HARDENING.pidsLimit,
        } as Docker.ResourceRequirements['Limits'],
      },
      RestartPolicy: { Condition: 'any', Delay: ROLLOUT.restartDelaySeconds * SECOND, MaxAttempts: 0 },
      LogDriver: {
        Name: 'json-file',
        Options: { 'max-size': HARDENING.logMaxSize, 'max-file': HARDENING.logMaxFiles },
      },
    },
    Mode: input.replicas === undefined ? { Global: {} } : { Replicated: { Replicas: input.replicas } },
    UpdateConfig: rollout('rollback'),
    RollbackConfig: rollout('pause'),
    EndpointSpec: {
      Mode: 'vip',
      Ports: [{ Protocol: 'tcp', TargetPort: input.port, PublishedPort: input.port, PublishMode: 'host' }],
    },
  };
}

/**
 * A one-shot task per node that runs the image's `--version`: who has the image. A global
 * *service* with restart "none", not a global-job: a job replaces rejected tasks endlessly
 * and its finished containers stay on every node after the job is removed (seen on 20.10
 * and 26.1); a service's are removed with it.
 */
export function imageCheckSpec(name: string, image: string): Docker.ServiceSpec {
  return {
    Name: name,
    Labels: { [LABELS.imageCheck]: image },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Args: ['--version'],
        User: HARDENING.user,
        ReadOnly: true,
        CapabilityDrop: ['ALL'],
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Resources: { Limits: { MemoryBytes: 64 * 1024 * 1024, NanoCPUs: HARDENING.nanoCpus } },
    },
    Mode: { Global: {} },
  };
}
