// Whether a host port can be published: free on this host, and not published by a container
// that is not ours. Both the single-VPS port step and the Swarm manager's ask this.
import { createServer } from 'node:net';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { Engine } from '../engine/engine.ts';

/**
 * True when nothing on this host listens on bind:port. It binds for real: that is the only
 * check that sees every process (and docker-proxy) without parsing /proc.
 */
export function isPortFree(port: number, bind: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else if (error.code === 'EADDRNOTAVAIL')
        reject(new Error(`the bind address ${bind} is not an address of this host`));
      else reject(error);
    });
    server.listen({ port, host: bind, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Whether two bind addresses can clash: equal, or either one is every address. */
export function overlaps(a: string, b: string): boolean {
  const any = (ip: string) => ip === '0.0.0.0' || ip === '::' || ip === '';
  return any(a) || any(b) || a === b;
}

/** Which containers' ports are ours: to take over (`reuse`: skip the bind test, they hold it), or just not foreign. */
export interface OurContainers {
  reuse(container: string): boolean;
  ours(container: string): boolean;
}

export interface PortProblem {
  message: string;
  /** Published by another container, or held by a process of this host. */
  by: 'container' | 'program';
}

/** Why `port` on `bind` cannot be published, or undefined when it can. `where` names the host in the message. */
export async function portProblem(
  engine: Engine,
  port: number,
  bind: string,
  containers: OurContainers,
  where = bind,
): Promise<PortProblem | undefined> {
  const published = (await engine.containers.publishedPorts()).filter(
    (entry) => entry.port === port && overlaps(entry.hostIp, bind),
  );
  if (published.some((entry) => containers.reuse(entry.container))) return undefined;
  const other = published.find((entry) => !containers.ours(entry.container));
  if (other)
    return { message: `port ${port} is already published by the container "${other.container}"`, by: 'container' };
  try {
    if (!(await isPortFree(port, bind)))
      return { message: `port ${port} is already in use on ${where} by another program`, by: 'program' };
  } catch (error) {
    throw new InstallError(
      EXIT.usage,
      (error as Error).message,
      'pass an address of this host with --bind, or 0.0.0.0 for all',
    );
  }
  return undefined;
}
