// The only door to the Docker Engine API: engine/ is the only code that imports dockerode, and no
// dockerode handle leaves it. The rest of the installer speaks in intentions (containers.create,
// images.build, swarm.createService, containers.waitHealthy). The API version is negotiated: the
// engine's own version, capped at the newest one this installer was written against, and refused
// below the oldest one it needs.
import Docker from 'dockerode';
import { Containers } from './containers.ts';
import { compareApi, MAX_API, MIN_API, type EngineEndpoint } from './endpoint.ts';
import { Images } from './images.ts';
import { Swarm } from './swarm.ts';

export interface EngineInfo {
  apiVersion: string;
  serverVersion: string;
  arch: string;
  os: string;
}

export class Engine {
  readonly containers: Containers;
  readonly images: Images;
  /** Swarm mode: only on API 1.41+ (SWARM_MIN_API); the role step checks before anything uses it. */
  readonly swarm: Swarm;

  private constructor(
    docker: Docker,
    readonly info: EngineInfo,
    readonly endpoint: EngineEndpoint,
  ) {
    this.containers = new Containers(docker);
    this.images = new Images(docker);
    this.swarm = new Swarm(docker);
  }

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
}
