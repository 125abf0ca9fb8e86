// The container's create document, as a pure function so unit tests can read it and so one
// hash of it tells whether the running container is already what we would deploy.
import type Docker from 'dockerode';
import { ACME_STATE_DIR, CONFIG_DIR, CONTAINER_GID, CONTAINER_UID, DATA_DIR } from '../../src/contract/container.ts';

export const HARDENING = {
  user: `${CONTAINER_UID}:${CONTAINER_GID}`,
  memoryBytes: 512 * 1024 * 1024,
  nanoCpus: 500_000_000,
  pidsLimit: 256,
  tmpfs: 'rw,noexec,nosuid,nodev,size=64m,mode=1777',
  logMaxSize: '10m',
  logMaxFiles: '3',
  stopSeconds: 10,
} as const;

export interface RunSpec {
  name: string;
  image: string;
  port: number;
  bind: string;
  configDir: string;
  /** Client keys and the usage ledger on the host, mounted read-write at /app/data (DATA_DIR in the container). */
  dataDir: string;
  labels: Record<string, string>;
  /**
   * Engines with API 1.44+ can probe faster during the start period. Docker merges an
   * otherwise empty Healthcheck with the image's, so the Dockerfile's command, interval and
   * retries still apply: only the first checks come sooner (install time, not steady load).
   */
  startIntervalMs?: number;
  /** The port inside the container when it differs from the host's (HTTPS: 8443). */
  containerPort?: number;
  /** A second published port (ACME: host 80 -> the container's plain-HTTP port). */
  httpPort?: { host: number; container: number };
  /** ACME state folder on the host, mounted read-write at /app/acme (only with --domain). */
  acmeDir?: string;
}

export function containerSpec(spec: RunSpec): Docker.ContainerCreateOptions {
  const portKey = `${spec.containerPort ?? spec.port}/tcp`;
  const httpKey = spec.httpPort ? `${spec.httpPort.container}/tcp` : undefined;
  const mounts: Docker.MountSettings[] = [
    { Type: 'bind', Source: spec.configDir, Target: CONFIG_DIR, ReadOnly: true },
    { Type: 'bind', Source: spec.dataDir, Target: DATA_DIR, ReadOnly: false },
  ];
  if (spec.acmeDir) mounts.push({ Type: 'bind', Source: spec.acmeDir, Target: ACME_STATE_DIR, ReadOnly: false });
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {
    [portKey]: [{ HostIp: spec.bind, HostPort: String(spec.port) }],
  };
  if (httpKey && spec.httpPort) bindings[httpKey] = [{ HostIp: spec.bind, HostPort: String(spec.httpPort.host) }];
  return {
    name: spec.name,
    Image: spec.image,
    User: HARDENING.user,
    // The container's environment wins over .env: the key store is where the data folder is mounted
    // (DATABASE_URL in .env still wins over DATA_DIR), for the server and for `docker exec ... keys`.
    Env: [`DATA_DIR=${DATA_DIR}`],
    Labels: spec.labels,
    ExposedPorts: { [portKey]: {}, ...(httpKey ? { [httpKey]: {} } : {}) },
    StopTimeout: HARDENING.stopSeconds,
    ...(spec.startIntervalMs ? { Healthcheck: { StartInterval: spec.startIntervalMs * 1_000_000 } } : {}),
    HostConfig: {
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': HARDENING.tmpfs },
      // Without a seccomp= entry the engine applies its default profile: we never opt out.
      SecurityOpt: ['no-new-privileges:true'],
      CapDrop: ['ALL'],
      Privileged: false,
      Memory: HARDENING.memoryBytes,
      MemorySwap: HARDENING.memoryBytes,
      NanoCpus: HARDENING.nanoCpus,
      PidsLimit: HARDENING.pidsLimit,
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      Mounts: mounts,
      PortBindings: bindings,
      LogConfig: { Type: 'json-file', Config: { 'max-size': HARDENING.logMaxSize, 'max-file': HARDENING.logMaxFiles } },
      Init: true,
      NetworkMode: 'bridge',
      IpcMode: 'private',
    },
  };
}
