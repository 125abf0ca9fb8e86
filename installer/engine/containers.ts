// Containers through the Engine API: inspect, create, start, stop, rename, remove, wait until
// healthy, read logs. Names and ids are interchangeable wherever the engine accepts both.
import type Docker from 'dockerode';
import { notFound, tolerate } from './calls.ts';
import { poll } from './poll.ts';

export interface ContainerState {
  id: string;
  name: string;
  image: string;
  running: boolean;
  health: string | undefined;
  labels: Record<string, string>;
  exitCode: number;
  /** The holder's published port and address when the container joined a holder's namespace. */
  publishedPort: number | undefined;
  bind: string | undefined;
  /** The full id of the container whose network namespace this one joined (NetworkMode container:<id>). */
  joinedTo: string | undefined;
}

/** The label Swarm puts on every task container: the name of its service. */
const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.name';

export interface PublishedPort {
  container: string;
  hostIp: string;
  port: number;
}

/** What the engine lists of a container: its id, first name, state and status line. */
export interface ContainerListing {
  id: string;
  name: string;
  state: string;
  status: string;
}

const listing = (c: Docker.ContainerInfo): ContainerListing => ({
  id: c.Id,
  name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
  state: c.State,
  status: c.Status,
});

export class Containers {
  readonly #docker: Docker;

  constructor(docker: Docker) {
    this.#docker = docker;
  }

  async inspect(name: string): Promise<ContainerState | undefined> {
    const data = await notFound(this.#docker.getContainer(name).inspect());
    if (!data) return undefined;
    const mode = data.HostConfig.NetworkMode ?? '';
    const joinedTo = mode.startsWith('container:') ? mode.slice('container:'.length) : undefined;
    // A joined container publishes nothing itself: its port is the holder's.
    const owner = joinedTo ? await notFound(this.#docker.getContainer(joinedTo).inspect()) : data;
    const bindings = owner?.HostConfig.PortBindings as
      | Record<string, Array<{ HostIp: string; HostPort: string }>>
      | undefined;
    const first = bindings ? Object.values(bindings)[0]?.[0] : undefined;
    return {
      id: data.Id,
      name: data.Name.replace(/^\//, ''),
      image: data.Image,
      running: data.State.Running,
      health: data.State.Health?.Status,
      labels: data.Config.Labels ?? {},
      exitCode: data.State.ExitCode,
      publishedPort: first ? Number(first.HostPort) : undefined,
      bind: first ? first.HostIp || '0.0.0.0' : undefined,
      joinedTo,
    };
  }

  /** This host's containers carrying `label` (`key=value`), running or not, with their labels. */
  async labelled(label: string): Promise<Array<ContainerListing & { labels: Record<string, string> }>> {
    const filters = JSON.stringify({ label: [label] });
    return (await this.#docker.listContainers({ all: true, filters })).map((c) => ({
      ...listing(c),
      labels: c.Labels ?? {},
    }));
  }

  /** The engine's whole inspect document (what hardening a container really got). */
  inspectDocument(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    return notFound(this.#docker.getContainer(id).inspect());
  }

  /** Host ports published by running containers, and ports reserved by stopped ones. */
  async publishedPorts(): Promise<PublishedPort[]> {
    const list = await this.#docker.listContainers({ all: true });
    const ports: PublishedPort[] = [];
    for (const container of list) {
      const name = (container.Names[0] ?? container.Id).replace(/^\//, '');
      for (const port of container.Ports ?? []) {
        if (port.PublicPort) ports.push({ container: name, hostIp: port.IP ?? '0.0.0.0', port: port.PublicPort });
      }
    }
    return ports;
  }

  /** Image ids used by any container, running or not. */
  async imagesInUse(): Promise<Set<string>> {
    const list = await this.#docker.listContainers({ all: true });
    return new Set(list.map((container) => container.ImageID));
  }

  /** This host's containers of a Swarm service's tasks (`<service>.<slot or node>.<task>`), running or not. */
  async ofService(service: string): Promise<ContainerListing[]> {
    const filters = JSON.stringify({ label: [`${SWARM_SERVICE_LABEL}=${service}`] });
    return (await this.#docker.listContainers({ all: true, filters })).map(listing);
  }

  /**
   * Removes this host's exited task containers of the Swarm services whose name starts with
   * `prefix`; returns how many. The service is read from the label Swarm puts on its tasks, not
   * from the container's name, which anyone can choose.
   */
  async removeFinished(prefix: string): Promise<number> {
    const list = await this.#docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [SWARM_SERVICE_LABEL], status: ['exited', 'created', 'dead'] }),
    });
    let removed = 0;
    for (const c of list) {
      if (!c.Labels?.[SWARM_SERVICE_LABEL]?.startsWith(prefix)) continue;
      await this.#docker
        .getContainer(c.Id)
        .remove({ v: true })
        .then(
          () => removed++,
          () => undefined,
        );
    }
    return removed;
  }

  async create(body: Docker.ContainerCreateOptions): Promise<string> {
    return (await this.#docker.createContainer(body)).id;
  }

  /** Starts a container; one already running is fine (304). */
  async start(name: string): Promise<void> {
    await tolerate(this.#docker.getContainer(name).start(), [304]);
  }

  /** Stops a container; one already stopped (304) or gone is fine. */
  async stop(name: string, seconds: number): Promise<void> {
    await notFound(this.#docker.getContainer(name).stop({ t: seconds }), [304]);
  }

  /**
   * Sends a signal through the engine (`docker kill --signal`). Unlike a stop, no timeout follows
   * a SIGTERM: a draining proxy ends when its own drain limit says so.
   */
  async signal(name: string, signal: string): Promise<void> {
    await this.#docker.getContainer(name).kill({ signal });
  }

  /** Until the container is no longer running (or gone); false when the deadline passes first. */
  async waitExited(name: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const exited = await poll(async () => ((await this.inspect(name))?.running ? undefined : true), {
      timeoutMs,
      signal,
      delayMs: 500,
      maxDelayMs: 2000,
    });
    return exited === true;
  }

  async rename(from: string, to: string): Promise<void> {
    await this.#docker.getContainer(from).rename({ name: to });
  }

  /** Removes a container and its anonymous volumes, running or not; one already gone is fine. */
  async remove(name: string): Promise<void> {
    await notFound(this.#docker.getContainer(name).remove({ force: true, v: true }));
  }

  /**
   * Waits until Docker reports the container healthy. Fails early when it stops running or is
   * reported unhealthy, so a crash-looping container does not cost the whole timeout.
   */
  async waitHealthy(name: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    let last: ContainerState | undefined;
    const healthy = await poll(
      async () => {
        last = await this.inspect(name);
        if (!last) throw new Error(`the container ${name} disappeared`);
        if (last.health === 'healthy' || (last.health === undefined && last.running)) return true;
        if (!last.running) {
          const logs = await this.logsTail(name, 3);
          throw new Error(
            `the container exited with code ${last.exitCode}${logs ? `: ${logs.split('\n').pop()}` : ''}`,
          );
        }
        if (last.health === 'unhealthy') throw new Error(await this.unhealthyReason(name, last));
        return undefined;
      },
      { timeoutMs, signal, delayMs: 250 },
    );
    if (healthy) return;
    const log = await this.lastHealthLog(name);
    throw new Error(
      `the container did not become healthy within ${Math.round(timeoutMs / 1000)} s (health: ${last?.health ?? 'unknown'}${log ? `, last check ${log}` : ''})`,
    );
  }

  /**
   * Why Docker reports the container unhealthy: the last check's output, or, when no check ever
   * ran, its exit. Docker marks a container unhealthy when it stops, and with a restart policy it
   * is running again by the next look: only its exit code and last log line say what happened.
   */
  private async unhealthyReason(name: string, state: ContainerState): Promise<string> {
    const check = await this.lastHealthLog(name);
    if (check) return `the container is unhealthy (${check})`;
    const logs = await this.logsTail(name, 3);
    return `the container exited with code ${state.exitCode}${logs ? `: ${logs.split('\n').pop()}` : ''} before any health check ran (Docker keeps restarting it)`;
  }

  /** The last health check's exit code and output, or '' when there is none. */
  async lastHealthLog(name: string): Promise<string> {
    try {
      const data = await this.#docker.getContainer(name).inspect();
      const log = data.State.Health?.Log ?? [];
      const last = log[log.length - 1];
      return last ? `exit ${last.ExitCode}: ${last.Output.trim().slice(0, 300)}` : '';
    } catch {
      return '';
    }
  }

  /** The last lines of the container's output, or '' when it cannot be read. */
  async logsTail(name: string, lines = 5): Promise<string> {
    try {
      const buffer = (await this.#docker
        .getContainer(name)
        .logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
      return demux(buffer).trim();
    } catch {
      return '';
    }
  }

  /**
   * The last lines the container wrote since it was last started. A container's log outlives a
   * `docker restart`: what its process said before (a drain of an earlier stop) must not be read
   * as what the running process says now.
   */
  async logsSinceStart(name: string, lines = 5): Promise<string> {
    try {
      const container = this.#docker.getContainer(name);
      const since = unixTimestamp((await container.inspect()).State.StartedAt);
      const buffer = (await container.logs({
        stdout: true,
        stderr: true,
        tail: lines,
        follow: false,
        // the engine reads "seconds.nanoseconds"; a number would lose the nanoseconds
        ...(since ? { since: since as unknown as number } : {}),
      })) as unknown as Buffer;
      return demux(buffer).trim();
    } catch {
      return '';
    }
  }
}

/** "2026-12-05T16:18:37.908794705Z" as the engine's "1796487517.908794705", or undefined. */
export function unixTimestamp(iso: string | undefined): string | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(iso ?? '');
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}Z`) / 1000;
  // a never-started container reports year 1: no lower bound then
  if (!(seconds > 0)) return undefined;
  return `${seconds}.${(match[2] ?? '').padEnd(9, '0')}`;
}

/** Strips the 8-byte stream headers of a non-TTY container's log. */
function demux(buffer: Buffer): string {
  const parts: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length && (buffer[offset] === 1 || buffer[offset] === 2) && buffer[offset + 1] === 0) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size).toString('utf8'));
    offset += 8 + size;
  }
  return parts.length ? parts.join('') : buffer.toString('utf8');
}
