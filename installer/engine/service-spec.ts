// The Swarm service document as a pure function: the single-VPS container's hardening
// (container-spec.ts) expressed in the fields a Swarm service has. Engine API 1.41 (Docker 20.10,
// Debian 11/12) is the floor: CapabilityDrop, Ulimits and Limits.Pids arrived there. A service
// spec has no field for security options, so no-new-privileges is reported as not applied,
// never claimed.
import type Docker from 'dockerode';
import { HARDENING } from './container-spec.ts';
import { CONFIG_DIR, CONTAINER_GID, CONTAINER_UID, EXECUTABLE, PROVIDER_FILE } from '../../src/contract/container.ts';
import { compareApi, supportsStartInterval } from './endpoint.ts';
import { LABELS, SERVICE, STACK, STACK_LABEL } from './stack.ts';

export const SWARM_MIN_API = '1.41';
const SECOND = 1_000_000_000;

export const ROLLOUT = {
  /** Long enough to see a task fail its health checks after it first reported healthy. */
  monitorSeconds: 15,
  delaySeconds: 2,
  restartDelaySeconds: 5,
} as const;

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

/** The image's check with the service's port (images on every node are built alike, port 8080). */
function healthCheck(port: number, apiVersion: string): Docker.HealthConfig & { StartInterval?: number } {
  return {
    Test: ['CMD', EXECUTABLE, 'healthcheck', '--port', String(port)],
    Interval: 5 * SECOND,
    Timeout: 3 * SECOND,
    StartPeriod: 10 * SECOND,
    Retries: 3,
    ...(supportsStartInterval(apiVersion) ? { StartInterval: SECOND } : {}),
  };
}

export function serviceSpec(input: ServiceInput): Docker.ServiceSpec {
  const uid = String(CONTAINER_UID);
  const gid = String(CONTAINER_GID);
  const labels = { [STACK_LABEL]: STACK, [LABELS.version]: input.version, [LABELS.configHash]: input.configHash };
  const rollout = (failureAction: string): Docker.UpdateConfig => ({
    Parallelism: 1,
    Delay: ROLLOUT.delaySeconds * SECOND,
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
        Env: Object.entries(input.env)
          .map(([k, v]) => `${k}=${v}`)
          .sort(),
        User: HARDENING.user,
        ReadOnly: true,
        Init: true,
        CapabilityDrop: ['ALL'],
        StopGracePeriod: HARDENING.stopSeconds * SECOND,
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
