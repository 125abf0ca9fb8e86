// Every path and name the installer touches, in one object. Operators get the defaults;
// integration tests on the shared engine pass their own (prefix aip-inst-, temp dirs) without
// any flag an operator could see.
import { join } from 'node:path';
import { CONTAINER_GID, CONTAINER_UID } from '../src/contract/container.ts';

/** The data folder's name inside the configuration folder. */
export const DATA_FOLDER = 'data';

export interface InstallPaths {
  /** Extraction folder and build context. */
  workDir: string;
  /** Configuration folder, bind-mounted read-only into the container. */
  configDir: string;
  /** Client keys and the usage ledger (inside configDir), bind-mounted read-write; deleted only by --purge. */
  dataDir: string;
  logFile: string;
  lockFile: string;
  /** The systemd unit that starts the holder, then the proxy, at boot (written only where systemd is the init). */
  bootUnit: string;
}

export interface InstallNames {
  container: string;
  /** The old container while a new one is being proven. */
  previousContainer: string;
  /** The new container before it takes over the name. */
  nextContainer: string;
  /** Owns the network namespace and the published ports that the proxy containers join. */
  holder: string;
  /** An old proxy still finishing its requests after a hand-over is `<drainingPrefix><its id>`. */
  drainingPrefix: string;
  /** Image repository: images are `<repo>:<version>` and `<repo>:latest`. */
  imageRepo: string;
}

export interface InstallContext {
  paths: InstallPaths;
  names: InstallNames;
  /** uid/gid of the container user; config files are root:<gid> 0640. */
  containerUid: number;
  containerGid: number;
  /** Label prefix on containers and images this installer made. */
  labelPrefix: string;
  /** Test-only: skip the root check (the tests still run as root on the real engine). */
  requireRoot: boolean;
  /** Marker file that must exist, next to AI_PROXY_INSTALLER_FAULT, for fault injection (faults.ts). */
  faultMarker: string;
  /** Environment (read for AI_PROXY_* defaults, DOCKER_HOST, NO_COLOR). */
  env: NodeJS.ProcessEnv;
  /** Where the host's /etc and /run are read (firewall state, groups): '/' except in tests. */
  hostRoot: string;
}

export function defaultContext(env: NodeJS.ProcessEnv = process.env): InstallContext {
  return {
    paths: {
      workDir: '/tmp/ai-proxy',
      configDir: '/srv/ai-proxy',
      dataDir: join('/srv/ai-proxy', DATA_FOLDER),
      logFile: '/var/log/ai-proxy-installer.log',
      lockFile: '/run/lock/ai-proxy-installer.lock',
      bootUnit: '/etc/systemd/system/ai-proxy.service',
    },
    names: {
      container: 'ai-proxy',
      previousContainer: 'ai-proxy-previous',
      nextContainer: 'ai-proxy-next',
      holder: 'ai-proxy-holder',
      drainingPrefix: 'ai-proxy-draining-',
      imageRepo: 'ai-proxy',
    },
    containerUid: CONTAINER_UID,
    containerGid: CONTAINER_GID,
    labelPrefix: 'io.ai-proxy',
    requireRoot: true,
    faultMarker: '/etc/ai-proxy-installer-fault-injection',
    env,
    hostRoot: '/',
  };
}

/** A context for another container name (tests): every derived name follows it. */
export function contextFor(
  base: string,
  dirs: { workDir: string; configDir: string; logFile: string; lockFile: string; hostRoot?: string },
  env: NodeJS.ProcessEnv = process.env,
): InstallContext {
  const { hostRoot, ...paths } = dirs;
  const context = defaultContext(env);
  return {
    ...context,
    ...(hostRoot ? { hostRoot } : {}),
    paths: {
      ...paths,
      dataDir: join(paths.configDir, DATA_FOLDER),
      // under the host root like every host file: a test's temp root has no systemd, so nothing is written
      bootUnit: join(hostRoot ?? context.hostRoot, 'etc/systemd/system', `${base}.service`),
    },
    names: {
      container: base,
      previousContainer: `${base}-previous`,
      nextContainer: `${base}-next`,
      holder: `${base}-holder`,
      drainingPrefix: `${base}-draining-`,
      imageRepo: base,
    },
  };
}

/** The labels this installer puts on its containers and images (under ctx.labelPrefix). */
export function labelKeys(ctx: InstallContext) {
  const p = ctx.labelPrefix;
  return {
    version: `${p}.version`,
    archive: `${p}.archive-sha256`,
    config: `${p}.config-sha256`,
    spec: `${p}.spec-sha256`,
    repo: `${p}.repo`,
    /** The host's HTTPS port: .env holds the container's (8443), so a re-run reads it here. */
    httpsPort: `${p}.https-port`,
    /** What a container is for: `holder` on the holder; proxies have none (older installers set none). */
    role: `${p}.role`,
  };
}

/**
 * Whether a container is one this installer created, told by its labels and never by its name
 * alone: an operator's own container called `ai-proxy` (or `ai-proxy-next`) is not ours to
 * remove. The spec label is set on the container only, never on the image, so a container an
 * operator started from our image does not count either.
 */
export function madeByInstaller(labels: Record<string, string>, ctx: InstallContext): boolean {
  const keys = labelKeys(ctx);
  return labels[keys.repo] === ctx.names.imageRepo && keys.spec in labels;
}

/** The name an old proxy drains under after a hand-over: unique, so several can drain at once. */
export function drainingName(ctx: InstallContext, id: string): string {
  return `${ctx.names.drainingPrefix}${id.slice(0, 12)}`;
}
