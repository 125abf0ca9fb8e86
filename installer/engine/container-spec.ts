// The create documents of the two containers of a single-VPS installation, as pure functions so
// unit tests can read them and so one hash of them tells whether what runs is already what we
// would deploy. The holder (`ai-proxy hold`) owns the network namespace and the published ports;
// each proxy joins it (`NetworkMode: container:<holder id>`) and shares the port with SO_REUSEPORT,
// so an upgrade starts the new proxy beside the old one (docs/upgrade.md).
import type Docker from 'dockerode';
import { ACME_STATE_DIR, CONFIG_DIR, CONTAINER_GID, CONTAINER_UID, DATA_DIR } from '../../src/contract/container.ts';
import { INSTANCE_VAR, SHARED_NETWORK_VAR } from '../../src/http/shared-network.ts';

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

/** The holder only waits for SIGTERM: a fraction of the proxy's limits is plenty. */
export const HOLDER_LIMITS = {
  memoryBytes: 64 * 1024 * 1024,
  nanoCpus: 250_000_000,
  pidsLimit: 64,
  /** Connections waiting in a closing listener's queue move to another listener of the port. */
  sysctls: { 'net.ipv4.tcp_migrate_req': '1' },
} as const;

/** The proxy's place in the holder's namespace: which holder, and the name its health answers carry. */
export interface Joined {
  holderId: string;
  /** AI_PROXY_INSTANCE: tells the new proxy's answers on the shared port from the old one's. */
  instance: string;
}

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

/** The ports the holder publishes (the proxies listen on them inside its namespace). */
type HolderPorts = Pick<RunSpec, 'port' | 'bind' | 'containerPort' | 'httpPort'>;

function ports(spec: HolderPorts) {
  const portKey = `${spec.containerPort ?? spec.port}/tcp`;
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {
    [portKey]: [{ HostIp: spec.bind, HostPort: String(spec.port) }],
  };
  if (spec.httpPort)
    bindings[`${spec.httpPort.container}/tcp`] = [{ HostIp: spec.bind, HostPort: String(spec.httpPort.host) }];
  const exposed = Object.fromEntries(Object.keys(bindings).map((key) => [key, {}]));
  return { bindings, exposed };
}

/** What both containers get: CIS Docker section 5, read-only, no capability, user 1001. */
function hardened(limits: { memoryBytes: number; nanoCpus: number; pidsLimit: number }) {
  return {
    ReadonlyRootfs: true,
    Tmpfs: { '/tmp': HARDENING.tmpfs },
    // Without a seccomp= entry the engine applies its default profile: we never opt out.
    SecurityOpt: ['no-new-privileges:true'],
    CapDrop: ['ALL'],
    Privileged: false,
    Memory: limits.memoryBytes,
    MemorySwap: limits.memoryBytes,
    NanoCpus: limits.nanoCpus,
    PidsLimit: limits.pidsLimit,
    RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
    LogConfig: { Type: 'json-file', Config: { 'max-size': HARDENING.logMaxSize, 'max-file': HARDENING.logMaxFiles } },
    Init: true,
    IpcMode: 'private',
  };
}

/** The proxy, joined to the holder's network namespace: no ports of its own. */
export function containerSpec(spec: RunSpec, joined: Joined): Docker.ContainerCreateOptions {
  const mounts: Docker.MountSettings[] = [
    { Type: 'bind', Source: spec.configDir, Target: CONFIG_DIR, ReadOnly: true },
    { Type: 'bind', Source: spec.dataDir, Target: DATA_DIR, ReadOnly: false },
  ];
  if (spec.acmeDir) mounts.push({ Type: 'bind', Source: spec.acmeDir, Target: ACME_STATE_DIR, ReadOnly: false });
  return {
    name: spec.name,
    Image: spec.image,
    User: HARDENING.user,
    // The container's environment wins over .env: the key store is where the data folder is mounted
    // (DATABASE_URL in .env still wins over DATA_DIR), for the server and for `docker exec ... keys`.
    Env: [`DATA_DIR=${DATA_DIR}`, `${SHARED_NETWORK_VAR}=1`, `${INSTANCE_VAR}=${joined.instance}`],
    Labels: spec.labels,
    StopTimeout: HARDENING.stopSeconds,
    ...(spec.startIntervalMs ? { Healthcheck: { StartInterval: spec.startIntervalMs * 1_000_000 } } : {}),
    HostConfig: {
      ...hardened(HARDENING),
      Mounts: mounts,
      // Docker stores the holder's id: the holder may be renamed, never re-created under a proxy.
      NetworkMode: `container:${joined.holderId}`,
    },
  };
}

/**
 * The holder: the release image running `ai-proxy hold`, the published ports and the sysctl of
 * the namespace. No health check (the image's asks a proxy that is not there): it is alive
 * while it runs. No mounts: it reads nothing.
 */
export function holderSpec(
  spec: HolderPorts & Pick<RunSpec, 'name' | 'image' | 'labels'>,
): Docker.ContainerCreateOptions {
  const { bindings, exposed } = ports(spec);
  return {
    name: spec.name,
    Image: spec.image,
    Cmd: ['hold'],
    User: HARDENING.user,
    Labels: spec.labels,
    ExposedPorts: exposed,
    StopTimeout: HARDENING.stopSeconds,
    Healthcheck: { Test: ['NONE'] },
    HostConfig: {
      ...hardened(HOLDER_LIMITS),
      Sysctls: { ...HOLDER_LIMITS.sysctls },
      PortBindings: bindings,
      NetworkMode: 'bridge',
    },
  };
}
