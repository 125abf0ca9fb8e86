// Where the Docker engine is and which API versions this installer speaks: pure decisions,
// kept apart from docker.ts (the module that talks to the engine) so they need no engine to test.
import type Docker from 'dockerode';
import { existsSync } from 'node:fs';

export const MIN_API = '1.40';
export const MAX_API = '1.45';

export interface EngineEndpoint {
  /** What the operator sees in messages: a socket path or a tcp URL. */
  description: string;
  options: Docker.DockerOptions;
}

/** Docker API 1.44 added Healthcheck.StartInterval. */
export function supportsStartInterval(apiVersion: string): boolean {
  return compareApi(apiVersion, '1.44') >= 0;
}

export function compareApi(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj - bmaj || amin - bmin;
}

/** Candidate engine sockets, in order: DOCKER_HOST, Docker's, Podman's (root and rootless). */
export function findEndpoint(env: NodeJS.ProcessEnv): EngineEndpoint | undefined {
  const host = env.DOCKER_HOST;
  if (host) {
    if (host.startsWith('unix://')) return { description: host, options: { socketPath: host.slice(7) } };
    const url = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(host);
    if (url) return { description: host, options: { host: url[1], port: Number(url[2]), protocol: 'http' } };
    return { description: host, options: { socketPath: host } };
  }
  const candidates = ['/var/run/docker.sock', '/run/docker.sock', '/run/podman/podman.sock'];
  if (env.XDG_RUNTIME_DIR) candidates.push(`${env.XDG_RUNTIME_DIR}/podman/podman.sock`);
  const socket = candidates.find((path) => existsSync(path));
  return socket ? { description: socket, options: { socketPath: socket } } : undefined;
}
