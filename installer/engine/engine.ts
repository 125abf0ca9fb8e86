// The only module that talks to the Docker Engine API (through dockerode). Everything else
// speaks in intentions: buildImage, createHardened, swap, waitHealthy, removeImage.
// The API version is negotiated: the engine's own version, capped at the newest one this
// installer was written against, and refused below the oldest one it needs.
import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { compareApi, MAX_API, MIN_API, type EngineEndpoint } from './endpoint.ts';

export interface EngineInfo {
  apiVersion: string;
  serverVersion: string;
  arch: string;
  os: string;
}

export interface ContainerState {
  id: string;
  name: string;
  image: string;
  running: boolean;
  health: string | undefined;
  labels: Record<string, string>;
  exitCode: number;
  publishedPort: number | undefined;
  bind: string | undefined;
}

export interface PublishedPort {
  container: string;
  hostIp: string;
  port: number;
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

export class Engine {
  private constructor(
    /** The negotiated dockerode handle: docker-swarm.ts makes its calls through it. */
    readonly docker: Docker,
    readonly info: EngineInfo,
    readonly endpoint: EngineEndpoint,
  ) {}

  /** Connects and negotiates; throws a plain Error with a reason the caller maps to exit 5. */
  static async connect(endpoint: EngineEndpoint, timeoutMs = 5000): Promise<Engine> {
    const probe = new Docker({ ...endpoint.options, timeout: timeoutMs });
    const version = (await probe.version()) as Docker.DockerVersion & { MinAPIVersion?: string };
    const engineApi = version.ApiVersion;
    if (compareApi(engineApi, MIN_API) < 0) {
      throw new Error(`the engine speaks Docker API ${engineApi}, older than the ${MIN_API} this installer needs`);
    }
    const chosen = compareApi(engineApi, MAX_API) > 0 ? MAX_API : engineApi;
    const docker = new Docker({ ...endpoint.options, version: `v${chosen}` });
    return new Engine(
      docker,
      { apiVersion: chosen, serverVersion: version.Version, arch: version.Arch, os: version.Os },
      endpoint,
    );
  }

  async inspect(name: string): Promise<ContainerState | undefined> {
    try {
      const data = await this.docker.getContainer(name).inspect();
      const bindings = data.HostConfig.PortBindings as
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
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The raw inspect document (tests assert the hardening on it). */
  rawInspect(name: string): Promise<Docker.ContainerInspectInfo> {
    return this.docker.getContainer(name).inspect();
  }

  /** Host ports published by running containers, and ports reserved by stopped ones. */
  async publishedPorts(): Promise<PublishedPort[]> {
    const list = await this.docker.listContainers({ all: true });
    const ports: PublishedPort[] = [];
    for (const container of list) {
      const name = (container.Names[0] ?? container.Id).replace(/^\//, '');
      for (const port of container.Ports ?? []) {
        if (port.PublicPort) ports.push({ container: name, hostIp: port.IP ?? '0.0.0.0', port: port.PublicPort });
      }
    }
    return ports;
  }

  async imageExists(reference: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(reference).inspect()).Id;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Builds from a tar stream of the context; returns the image id. Build errors are thrown with the engine's message. */
  async buildImage(
    context: Readable,
    tags: string[],
    labels: Record<string, string>,
    signal?: AbortSignal,
    onLine?: (line: string) => void,
  ): Promise<string> {
    const [first, ...rest] = tags;
    const stream = (await this.docker.buildImage(
      context as unknown as NodeJS.ReadableStream,
      {
        t: first,
        labels,
        rm: true,
        forcerm: true,
        pull: false,
        abortSignal: signal,
      } as Docker.ImageBuildOptions,
    )) as NodeJS.ReadableStream;
    let imageId: string | undefined;
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (!line) continue;
          let event: { stream?: string; error?: string; errorDetail?: { message?: string }; aux?: { ID?: string } };
          try {
            event = JSON.parse(line);
          } catch {
            continue;
          }
          if (event.error) return reject(new Error(event.errorDetail?.message ?? event.error));
          if (event.aux?.ID) imageId = event.aux.ID;
          if (event.stream) onLine?.(event.stream.trimEnd());
        }
      });
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    const id = imageId ?? (await this.imageExists(first ?? ''));
    if (!id) throw new Error('the engine finished the build without reporting an image');
    for (const tag of rest) {
      const [repo, version] = splitTag(tag);
      await this.docker.getImage(id).tag({ repo, tag: version });
    }
    return id;
  }

  async create(body: Docker.ContainerCreateOptions): Promise<string> {
    return (await this.docker.createContainer(body)).id;
  }

  async start(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).start();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 304) return;
      throw error;
    }
  }

  async stop(name: string, seconds: number): Promise<void> {
    try {
      await this.docker.getContainer(name).stop({ t: seconds });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 304 || status === 404) return;
      throw error;
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await this.docker.getContainer(from).rename({ name: to });
  }

  async remove(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).remove({ force: true, v: true });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
  }

  /** Removes an image by id or reference; an image still in use (409) or gone (404) is left alone. */
  async removeImage(reference: string): Promise<boolean> {
    try {
      await this.docker.getImage(reference).remove({ noprune: false });
      return true;
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404 || status === 409) return false;
      throw error;
    }
  }

  /** Points `repo:tag` at an image id (moving the tag off whatever had it). */
  async tag(imageId: string, reference: string): Promise<void> {
    const [repo, tag] = splitTag(reference);
    await this.docker.getImage(imageId).tag({ repo, tag });
  }

  /**
   * Waits until Docker reports the container healthy. Fails early when it stops running or is
   * reported unhealthy, so a crash-looping container does not cost the whole timeout.
   */
  async waitHealthy(name: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: ContainerState | undefined;
    while (Date.now() < deadline) {
      if (signal?.aborted) throw signal.reason;
      last = await this.inspect(name);
      if (!last) throw new Error(`the container ${name} disappeared`);
      if (last.health === 'healthy') return;
      if (last.health === undefined && last.running) return;
      if (!last.running) {
        const logs = await this.logsTail(name, 3);
        throw new Error(`the container exited with code ${last.exitCode}${logs ? `: ${logs.split('\n').pop()}` : ''}`);
      }
      if (last.health === 'unhealthy')
        throw new Error(`the container is unhealthy (${await this.lastHealthLog(name)})`);
      await sleep(Math.min(250, Math.max(0, deadline - Date.now())), signal);
    }
    const log = await this.lastHealthLog(name);
    throw new Error(
      `the container did not become healthy within ${Math.round(timeoutMs / 1000)} s (health: ${last?.health ?? 'unknown'}${log ? `, last check ${log}` : ''})`,
    );
  }

  /** Image ids (with their tags) in one repository. */
  async imagesOf(repo: string): Promise<Array<{ id: string; tags: string[] }>> {
    const images = await this.docker.listImages({ filters: JSON.stringify({ reference: [repo] }) });
    return images.map((image) => ({
      id: image.Id,
      tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
    }));
  }

  /** Images carrying a label (`key=value`), tagged or not. */
  async imagesOfLabel(label: string): Promise<Array<{ id: string; tags: string[] }>> {
    const images = await this.docker.listImages({ all: false, filters: JSON.stringify({ label: [label] }) });
    return images.map((image) => ({
      id: image.Id,
      tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
    }));
  }

  /** Image ids used by any container, running or not. */
  async imagesInUse(): Promise<Set<string>> {
    const list = await this.docker.listContainers({ all: true });
    return new Set(list.map((container) => container.ImageID));
  }

  async lastHealthLog(name: string): Promise<string> {
    try {
      const data = await this.docker.getContainer(name).inspect();
      const log = data.State.Health?.Log ?? [];
      const last = log[log.length - 1];
      return last ? `exit ${last.ExitCode}: ${last.Output.trim().slice(0, 300)}` : '';
    } catch {
      return '';
    }
  }

  async logsTail(name: string, lines = 5): Promise<string> {
    try {
      const buffer = (await this.docker
        .getContainer(name)
        .logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
      return demux(buffer).trim();
    } catch {
      return '';
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
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

export function splitTag(reference: string): [string, string] {
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/')
    ? [reference.slice(0, colon), reference.slice(colon + 1)]
    : [reference, 'latest'];
}
