// The Swarm half of the engine: swarm membership, nodes, services, tasks, secrets and configs,
// through the same negotiated connection as the rest of engine/ (the VPS may have no docker CLI:
// Debian 13's docker.io does not ship it). Steps speak in these intentions only.
import type Docker from 'dockerode';
import { engineMessage, notFound } from './calls.ts';

export interface SwarmMembership {
  /** inactive, pending, active, error, locked */
  state: string;
  manager: boolean;
  nodeId: string;
  nodeAddr: string;
  clusterId?: string;
  /** Addresses of the managers this node knows (a worker's view of its swarm). */
  remoteManagers: string[];
  nodes?: number;
}

export interface NodeView {
  id: string;
  hostname: string;
  role: string;
  state: string;
  availability: string;
  addr: string;
}

export interface TaskView {
  id: string;
  nodeId: string;
  state: string;
  desired: string;
  error: string;
  message: string;
  image: string;
  containerId?: string;
  createdAt: string;
  serviceVersion?: number;
}

export interface ServiceView {
  id: string;
  version: number;
  spec: Docker.ServiceSpec;
  previousSpec?: Docker.ServiceSpec;
  updateState?: string;
  updateMessage?: string;
  /** When the last update finished (ISO time), to tell this run's update from an older one. */
  updateCompletedAt?: string;
}

export type SwarmObjectKind = 'secret' | 'config';

export interface NamedObject {
  id: string;
  name: string;
  labels: Record<string, string>;
}

// The engine's answers as far as this module reads them (dockerode types them loosely).
interface RawNode {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Role?: string; Availability?: string };
  Status?: { State?: string; Addr?: string };
}
interface RawService {
  ID: string;
  Version: { Index: number };
  Spec: Docker.ServiceSpec & { Name?: string };
  PreviousSpec?: Docker.ServiceSpec;
  UpdateStatus?: { State?: string; Message?: string; CompletedAt?: string };
}
interface RawTask {
  ID: string;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  Version?: { Index?: number };
  Spec?: { ContainerSpec?: { Image?: string } };
  Status?: { State?: string; Err?: string; Message?: string; ContainerStatus?: { ContainerID?: string } };
}
interface RawObject {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

export class Swarm {
  readonly #docker: Docker;

  constructor(docker: Docker) {
    this.#docker = docker;
  }

  async membership(): Promise<SwarmMembership> {
    const info = (await this.#docker.info()) as { Swarm?: Record<string, unknown> };
    const swarm = info.Swarm ?? {};
    const cluster = swarm.Cluster as { ID?: string } | undefined;
    const remote = (swarm.RemoteManagers as Array<{ Addr: string }> | null | undefined) ?? [];
    return {
      state: String(swarm.LocalNodeState ?? 'inactive'),
      manager: swarm.ControlAvailable === true,
      nodeId: String(swarm.NodeID ?? ''),
      nodeAddr: String(swarm.NodeAddr ?? ''),
      ...(cluster?.ID ? { clusterId: cluster.ID } : {}),
      remoteManagers: remote.map((m) => m.Addr),
      ...(typeof swarm.Nodes === 'number' ? { nodes: swarm.Nodes } : {}),
    };
  }

  async init(advertiseAddr: string | undefined): Promise<string> {
    return (await this.#docker.swarmInit({
      ListenAddr: '0.0.0.0:2377',
      ...(advertiseAddr ? { AdvertiseAddr: advertiseAddr } : {}),
    })) as string;
  }

  async join(manager: string, token: string, signal?: AbortSignal): Promise<void> {
    await this.#docker.swarmJoin({
      ListenAddr: '0.0.0.0:2377',
      RemoteAddrs: [manager],
      JoinToken: token,
      abortSignal: signal,
    } as never);
  }

  async leave(force: boolean): Promise<void> {
    await this.#docker.swarmLeave({ force });
  }

  async workerJoinToken(): Promise<string> {
    const swarm = (await this.#docker.swarmInspect()) as { JoinTokens?: { Worker?: string } };
    const token = swarm.JoinTokens?.Worker;
    if (!token) throw new Error('the swarm did not report a worker join token');
    return token;
  }

  async nodes(): Promise<NodeView[]> {
    const list = (await this.#docker.listNodes()) as RawNode[];
    return list.map((node) => ({
      id: node.ID,
      hostname: node.Description?.Hostname ?? node.ID,
      role: node.Spec?.Role ?? '',
      state: node.Status?.State ?? 'unknown',
      availability: node.Spec?.Availability ?? 'unknown',
      addr: node.Status?.Addr ?? '',
    }));
  }

  async service(name: string): Promise<ServiceView | undefined> {
    const data = (await notFound(this.#docker.getService(name).inspect())) as RawService | undefined;
    if (!data) return undefined;
    return {
      id: data.ID,
      version: data.Version.Index,
      spec: data.Spec,
      ...(data.PreviousSpec ? { previousSpec: data.PreviousSpec } : {}),
      ...(data.UpdateStatus
        ? {
            updateState: data.UpdateStatus.State,
            updateMessage: data.UpdateStatus.Message,
            updateCompletedAt: data.UpdateStatus.CompletedAt,
          }
        : {}),
    };
  }

  async createService(spec: Docker.ServiceSpec): Promise<string> {
    const created = (await this.#docker.createService(spec as Docker.CreateServiceOptions)) as unknown as {
      id?: string;
      ID?: string;
    };
    return created.id ?? created.ID ?? '';
  }

  async updateService(id: string, version: number, spec: Docker.ServiceSpec): Promise<void> {
    await this.#docker.getService(id).update({ _query: { version }, _body: spec } as never);
  }

  /** Asks Swarm to go back to the service's previous spec (its own rollback, same rollout rules). */
  async rollbackService(id: string, version: number, spec: Docker.ServiceSpec): Promise<void> {
    await this.#docker.getService(id).update({ _query: { version, rollback: 'previous' }, _body: spec } as never);
  }

  /** Removes a service; false when there was none. */
  async removeService(name: string): Promise<boolean> {
    return (
      (await notFound(
        this.#docker
          .getService(name)
          .remove()
          .then(() => true),
      )) ?? false
    );
  }

  async servicesLabelled(label: string): Promise<Array<{ id: string; name: string }>> {
    const list = (await this.#docker.listServices({
      filters: JSON.stringify({ label: [label] }),
    })) as unknown as RawService[];
    return list.map((s) => ({ id: s.ID, name: s.Spec?.Name ?? s.ID }));
  }

  async tasks(service: string): Promise<TaskView[]> {
    const list = (await this.#docker.listTasks({ filters: JSON.stringify({ service: [service] }) })) as RawTask[];
    return list.map((task) => ({
      id: task.ID,
      nodeId: task.NodeID ?? '',
      state: task.Status?.State ?? 'unknown',
      desired: task.DesiredState ?? '',
      error: task.Status?.Err ?? '',
      message: task.Status?.Message ?? '',
      image: task.Spec?.ContainerSpec?.Image ?? '',
      ...(task.Status?.ContainerStatus?.ContainerID ? { containerId: task.Status.ContainerStatus.ContainerID } : {}),
      createdAt: task.CreatedAt ?? '',
      ...(task.Version?.Index !== undefined ? { serviceVersion: task.Version.Index } : {}),
    }));
  }

  /** Secrets or configs carrying `label`: the two kinds differ only in their endpoints. */
  async objects(kind: SwarmObjectKind, label: string): Promise<NamedObject[]> {
    const filters = JSON.stringify({ label: [label] });
    const list = (kind === 'secret'
      ? await this.#docker.listSecrets({ filters })
      : await this.#docker.listConfigs({ filters })) as unknown as RawObject[];
    return list.map((o) => ({ id: o.ID, name: o.Spec?.Name ?? '', labels: o.Spec?.Labels ?? {} }));
  }

  async createObject(
    kind: SwarmObjectKind,
    name: string,
    content: string,
    labels: Record<string, string>,
  ): Promise<string> {
    const spec = { Name: name, Labels: labels, Data: Buffer.from(content).toString('base64') };
    const created = (
      kind === 'secret' ? await this.#docker.createSecret(spec) : await this.#docker.createConfig(spec)
    ) as { id?: string; ID?: string };
    return created.id ?? created.ID ?? '';
  }

  /** Removes a secret or config; one still used by a service (409, or 400 on old engines) is kept: returns false. */
  async removeObject(kind: SwarmObjectKind, id: string): Promise<boolean> {
    const object = kind === 'secret' ? this.#docker.getSecret(id) : this.#docker.getConfig(id);
    try {
      return (await notFound(object.remove().then(() => true))) ?? false;
    } catch (error) {
      if (/in use/i.test(engineMessage(error))) return false;
      throw error;
    }
  }
}
