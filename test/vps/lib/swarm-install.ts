// The swarm made by the real installer, as docs/scale-out.md (section 5) defines the CLI:
// `--swarm init` on the first VPS, the join command it prints run on every other one.
import assert from 'node:assert/strict';
import { authToken } from './installed.ts';
import type { InstallerRun } from './session.ts';
import type { Release } from './artifacts.ts';
import { SERVICE, api, type SwarmNode, type SwarmVpses } from './swarm.ts';

export interface Join {
  manager: string;
  token: string;
}

/** The join command `--swarm init` prints: `echo 'SWMTKN-...' | sudo ./installer.sh --swarm join --manager ADDR:PORT --token-file -`. */
export function parseJoin(output: string): Join | undefined {
  const m = /echo '(SWMTKN-[^'\s]+)' \| sudo \.\/installer\.sh --swarm join --manager (\S+) --token-file -/.exec(
    output,
  );
  return m?.[1] && m[2] ? { manager: m[2], token: m[1] } : undefined;
}

/** Whether the release uploaded to this VPS has `--swarm` (its --help lists it). */
export async function installerHasSwarm(node: SwarmNode): Promise<boolean> {
  const r = await node.session.vps.exec('cd /tmp && sh ./installer.sh --help');
  return /--swarm\b/.test(r.output);
}

export interface Formed {
  init: InstallerRun;
  joins: InstallerRun[];
  join: Join;
}

/** init on the manager, join on each worker; throws with the output when a run fails. */
export async function initAndJoin(cluster: SwarmVpses, release?: Release): Promise<Formed> {
  const m = cluster.manager;
  const init = await m.session.installer(['--swarm', 'init', '--yes']);
  if (init.code !== 0) throw new Error(`--swarm init exited ${init.code}:\n${init.output.slice(-2000)}`);
  const join = parseJoin(init.output);
  if (!join) throw new Error(`--swarm init printed no join command:\n${init.output.slice(-2000)}`);
  const joins: InstallerRun[] = [];
  for (const w of cluster.workers) {
    await w.session.upload(release);
    // The environment rather than stdin here: the test's exec has no stdin to pipe it through.
    const j = await w.session.installer(['--swarm', 'join', '--manager', join.manager, '--yes'], {
      env: { AI_PROXY_SWARM_TOKEN: join.token },
    });
    if (j.code !== 0) throw new Error(`node ${w.index + 1}: --swarm join exited ${j.code}:\n${j.output.slice(-2000)}`);
    joins.push(j);
  }
  return { init, joins, join };
}

/** The swarm by the installer, every task healthy; returns the token clients send. */
export async function deployByInstaller(cluster: SwarmVpses, release: Release): Promise<string> {
  await cluster.manager.session.upload(release);
  await initAndJoin(cluster, release);
  await cluster.waitNodes('ready', cluster.nodes.length);
  await cluster.waitConverged();
  return authToken(cluster.manager.session.vps);
}

/** The node's own view of its swarm membership: active, inactive, pending... */
export async function swarmState(node: SwarmNode): Promise<string> {
  return (await node.session.vps.execOk(`docker info --format '{{.Swarm.LocalNodeState}}'`)).stdout.trim();
}

export interface ServiceSpec {
  Spec?: { Labels?: Record<string, string>; EndpointSpec?: { Ports?: Array<{ PublishedPort?: number }> } };
  Version?: { Index?: number };
}

/** The service as the manager's engine reports it. */
export async function service(cluster: SwarmVpses): Promise<ServiceSpec> {
  return JSON.parse(await api(cluster.manager, `/services/${SERVICE}`)) as ServiceSpec;
}

/** The installer's one-line error ("ai-proxy: what happened (what to do)"), else the last line. */
export const lastLine = (text: string) => {
  const lines = text.trim().split('\n');
  return [...lines].reverse().find((l) => l.startsWith('ai-proxy: ')) ?? lines.pop() ?? '';
};

/** A refused run says what happened and what to do in one line: "ai-proxy: ... (hint)". */
export function assertOneLineError(output: string, what: RegExp): void {
  const line = lastLine(output);
  assert.match(line, /^ai-proxy: .+\(.+\)$/, `one line with the cause and what to do: ${line}`);
  assert.match(line, what);
}
