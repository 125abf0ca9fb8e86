// Several simulated VPSes of one recipe on one user-defined network, each with its own engine
// (ENVIRONMENT.md section 9): the nodes of a Docker Swarm. Each VPS gets a fixed address on
// that network so that a VPS stopped and started again comes back where the swarm expects it;
// its default bridge is disconnected so the swarm network is its only outside interface. The
// network carries the same owner label as the VPS containers, so removeStale() cleans it too.
import { Vps, PREFIX } from './vps.ts';
import { docker, dockerOk } from './run.ts';
import { recipe } from './recipes.ts';
import { Session } from './session.ts';
import type { Release } from './artifacts.ts';
import type { ContainerInspect } from './inspect.ts';
import { get as httpGet } from 'node:http';

export const SERVICE = 'ai-proxy_ai-proxy';
const LABEL = 'aip-vps.owner-pid';

export interface SwarmNode {
  /** 0 = the first VPS (the manager once the swarm is made) */
  index: number;
  /** address on the swarm network, reachable from this host too */
  ip: string;
  session: Session;
}

/** A node as the engine API's GET /nodes reports it (the fields read here). */
export interface NodeState {
  hostname: string;
  role: string;
  state: string;
  availability: string;
  addr: string;
  leader: boolean;
}

interface ApiNode {
  Description?: { Hostname?: string };
  Spec?: { Role?: string; Availability?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean };
}

let clusters = 0;

export class SwarmVpses {
  /** every VPS made, the swarm's and spares, so remove() finds them all */
  private made: SwarmNode[] = [];

  private constructor(
    readonly network: string,
    private readonly subnetPrefix: string,
    readonly nodes: SwarmNode[],
  ) {}

  /** `count` VPSes named `...-swarm-<name>-<i>` on a network of their own. */
  static async start(count: number, name: string, recipeName = 'bookworm'): Promise<SwarmVpses> {
    const network = `${PREFIX}${process.pid}-swarm-${++clusters}-net`;
    const subnet = await createNetwork(network);
    const cluster = new SwarmVpses(network, subnet, []);
    try {
      // one at a time: two VPS engines starting at once on 2 cores only slows both
      for (let i = 0; i < count; i++) cluster.nodes.push(await cluster.addVps(`${name}-${i + 1}`, recipeName, i));
    } catch (error) {
      await cluster.remove();
      throw error;
    }
    return cluster;
  }

  /** prefix of the network's /24, e.g. 172.29.7 */
  get subnet(): string {
    return this.subnetPrefix;
  }

  /**
   * A VPS on the swarm network at address .10+index. The swarm's own are made by start(); a
   * scenario adds a spare one (not in `nodes`) as a machine that is not in the swarm.
   */
  async addVps(name: string, recipeName: string, index: number): Promise<SwarmNode> {
    const vps = await Vps.start(recipe(recipeName), { name: `swarm-${name}` });
    const node = { index, ip: `${this.subnetPrefix}.${10 + index}`, session: new Session(vps) };
    this.made.push(node);
    await dockerOk(['network', 'connect', '--ip', node.ip, this.network, vps.name]);
    await dockerOk(['network', 'disconnect', 'bridge', vps.name]);
    return node;
  }

  /** Removes a VPS made by addVps (and not in `nodes`). */
  async removeVps(node: SwarmNode): Promise<void> {
    this.made = this.made.filter((n) => n !== node);
    await node.session.close();
  }

  get manager(): SwarmNode {
    const m = this.nodes[0];
    if (!m) throw new Error('the swarm has no VPS');
    return m;
  }

  get workers(): SwarmNode[] {
    return this.nodes.slice(1);
  }

  /** The test's `scp` of both release files to every VPS (default /tmp). */
  async upload(release: Release, nodes = this.nodes): Promise<void> {
    for (const n of nodes) await n.session.upload(release);
  }

  /** `docker stop` of the VPS container itself: the machine is off, its engine and tasks with it. */
  async stopVps(node: SwarmNode): Promise<void> {
    await dockerOk(['stop', '-t', '5', node.session.vps.name], { timeoutMs: 60_000 });
  }

  /** Powers the VPS on again: boot (cgroup mounts), then its engine, as an init system would. */
  async startVps(node: SwarmNode): Promise<void> {
    const vps = node.session.vps;
    await dockerOk(['start', vps.name], { timeoutMs: 60_000 });
    await vps.waitFor('test -e /run/vps-booted', 30_000, 'the VPS did not finish booting after a restart');
    await vps.startEngine();
  }

  /** GET /nodes of the manager's engine API (what `docker node ls` shows). */
  async nodeStates(from: SwarmNode = this.manager): Promise<NodeState[]> {
    const list = JSON.parse(await api(from, '/nodes')) as ApiNode[];
    return list
      .map((n) => ({
        hostname: n.Description?.Hostname ?? '',
        role: n.Spec?.Role ?? '',
        state: n.Status?.State ?? '',
        availability: n.Spec?.Availability ?? '',
        addr: n.Status?.Addr ?? '',
        leader: n.ManagerStatus?.Leader === true,
      }))
      .sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  /** Waits until the manager reports `want` nodes in state `state` (e.g. 3 ready, or 1 down). */
  async waitNodes(state: string, want: number, timeoutMs = 90_000): Promise<NodeState[]> {
    const deadline = Date.now() + timeoutMs;
    let states: NodeState[] = [];
    for (;;) {
      states = await this.nodeStates().catch(() => []);
      if (states.filter((s) => s.state === state).length === want) return states;
      if (Date.now() > deadline)
        throw new Error(`the swarm never had ${want} node(s) ${state}: ${JSON.stringify(states)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** The service's task container on one node, from that node's own engine (undefined: none running). */
  async taskContainer(node: SwarmNode): Promise<ContainerInspect | undefined> {
    const r = await node.session.vps.exec(`docker ps -q --filter label=com.docker.swarm.service.name=${SERVICE}`);
    const ids = r.stdout.split('\n').filter(Boolean);
    if (ids.length !== 1) return undefined;
    return node.session.vps.inspect(ids[0]);
  }

  /** Every node (or those given) runs one task of the service and its container reports healthy. */
  async waitConverged(nodes: SwarmNode[] = this.nodes, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const n of nodes) {
      for (;;) {
        const c = await this.taskContainer(n).catch(() => undefined);
        if (c?.State?.Health?.Status === 'healthy') break;
        if (Date.now() > deadline) {
          const tasks = await api(
            this.manager,
            `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [SERVICE] }))}`,
          ).catch((e: unknown) => String(e));
          throw new Error(
            `node ${n.index + 1}: no healthy task of ${SERVICE} after ${timeoutMs / 1000} s; tasks: ${tasks.slice(0, 3000)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** What the failure message should show: every node's installer output, containers, and the swarm. */
  async evidence(): Promise<string> {
    const parts: string[] = [];
    for (const n of this.nodes)
      parts.push(`=== node ${n.index + 1} (${n.ip})\n${await n.session.evidence().catch((e: unknown) => String(e))}`);
    const ps = await this.manager.session.vps
      .exec(`docker node ls 2>&1; docker service ps --no-trunc ${SERVICE} 2>&1 | head -n 20`)
      .catch(() => undefined);
    if (ps) parts.push(`=== swarm as the manager sees it\n${ps.output}`);
    return parts.join('\n');
  }

  async remove(): Promise<void> {
    for (const n of this.made) await n.session.close();
    await docker(['network', 'rm', this.network], { timeoutMs: 60_000 });
  }
}

/** The engine API of a node's own engine, through its socket (curl is on every VPS image). */
export async function api(node: SwarmNode, path: string): Promise<string> {
  return (
    await node.session.vps.execOk(`curl -sS -f --unix-socket /var/run/docker.sock 'http://localhost/v1.41${path}'`)
  ).stdout;
}

/**
 * A bridge network with a /24 of its own, returned as its first three octets. The subnet is
 * picked from 172.29.x.0/24, outside Swarm's overlay pool (10.0.0.0/8) and the VPS engines'
 * own bridges (172.17, 172.18); an address taken by another network on this engine is skipped.
 */
async function createNetwork(name: string): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const third = (process.pid + attempt * 37 + clusters * 11) % 250;
    const prefix = `172.29.${third}`;
    const r = await docker([
      'network',
      'create',
      '--label',
      `${LABEL}=${process.pid}`,
      '--subnet',
      `${prefix}.0/24`,
      name,
    ]);
    if (r.code === 0) return prefix;
    last = r.output.trim();
    if (!/overlap/i.test(last)) break;
  }
  throw new Error(`cannot create the swarm network ${name}: ${last}`);
}

/** One node's share of a probe run: how many /ping requests, how many failed, the longest gap. */
export interface NodeProbe {
  node: number;
  probes: number;
  failures: number;
  /** longest time between two successful answers (a healthy node shows ~the probe interval) */
  longestGapMs: number;
}

/**
 * GET /ping on every node's published port from this host, each node every ~50 ms, one request
 * at a time and a fresh connection each (a kept-alive one would hide a restart). Runs in this
 * process: a stopped VPS cannot host a probe loop of its own.
 */
export class SwarmProbe {
  private stopped = false;
  private readonly loops: Promise<NodeProbe>[];

  private constructor(nodes: SwarmNode[], port: number) {
    this.loops = nodes.map((n) => this.loop(n, port));
  }

  static start(nodes: SwarmNode[], port: number): SwarmProbe {
    return new SwarmProbe(nodes, port);
  }

  private async loop(node: SwarmNode, port: number): Promise<NodeProbe> {
    const result: NodeProbe = { node: node.index + 1, probes: 0, failures: 0, longestGapMs: 0 };
    let lastOk: number | undefined;
    while (!this.stopped) {
      const ok = await ping(node.ip, port);
      const now = Date.now();
      result.probes++;
      if (ok) {
        if (lastOk !== undefined) result.longestGapMs = Math.max(result.longestGapMs, now - lastOk);
        lastOk = now;
      } else result.failures++;
      await new Promise((r) => setTimeout(r, 50));
    }
    // a node that never answered again was down from its last success to the end
    if (lastOk !== undefined) result.longestGapMs = Math.max(result.longestGapMs, Date.now() - lastOk);
    return result;
  }

  async stop(): Promise<NodeProbe[]> {
    this.stopped = true;
    return Promise.all(this.loops);
  }
}

/** "node 1: 0/120 failed, longest gap 0.05 s; ..." for the report's note column. */
export function describeProbes(list: NodeProbe[]): string {
  return list
    .map((p) => `node ${p.node}: ${p.failures}/${p.probes} failed, gap ${(p.longestGapMs / 1000).toFixed(2)} s`)
    .join('; ');
}

function ping(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpGet({ host: ip, port, path: '/ping', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}
