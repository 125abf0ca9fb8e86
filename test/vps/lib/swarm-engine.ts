// The swarm made with the engine's own CLI inside the VPSes, without `--swarm`: how the harness
// proved its 3-VPS driver before the installer's swarm mode existed, and what bench/swarm.ts
// uses to deploy the same service shape on N nodes. The image comes from the real single-VPS
// install on each node (the same archive, the same build), whose container is then removed;
// the service has the hardening the swarm contract lists (docs: /work/briefs/swarm-contract.md).
import { createHash } from 'node:crypto';
import { authToken, CONFIG_DIR } from './installed.ts';
import { SERVICE, STACK, api, type SwarmNode, type SwarmVpses } from './swarm.ts';
import type { Release } from './artifacts.ts';

const hash12 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

/** The stack file: the contract's service with Swarm's spelling of each hardening option. */
export function stackFile(opts: { version: string; port: number; secret: string; config: string; replicas?: number }): string {
  const deploy = opts.replicas ? `mode: replicated\n      replicas: ${opts.replicas}` : 'mode: global';
  return `version: "3.8"
services:
  ai-proxy:
    image: ai-proxy:${opts.version}
    user: "1001:1001"
    read_only: true
    init: true
    cap_drop: [ALL]
    environment:
      PORT: "${opts.port}"
    ports:
      - { target: ${opts.port}, published: ${opts.port}, protocol: tcp, mode: host }
    volumes:
      - { type: tmpfs, target: /tmp, tmpfs: { size: 67108864 } }
    secrets:
      - { source: auth, target: AUTH_TOKEN, uid: "1001", gid: "1001", mode: 0400 }
    configs:
      - { source: providers, target: /app/config/provider-config.yaml, uid: "1001", gid: "1001", mode: 0440 }
    logging:
      driver: json-file
      options: { max-size: 10m, max-file: "3" }
    deploy:
      ${deploy}
      resources:
        limits: { cpus: "0.5", memory: 512M }
      update_config: { parallelism: 1, order: stop-first, failure_action: rollback, monitor: 10s }
      rollback_config: { parallelism: 1, order: stop-first }
secrets:
  auth: { external: true, name: ${opts.secret} }
configs:
  providers: { external: true, name: ${opts.config} }
`;
}

/** `docker swarm init` on the first VPS, `docker swarm join` on the others; returns the worker token. */
export async function formSwarm(cluster: SwarmVpses): Promise<string> {
  const m = cluster.manager;
  await m.session.vps.execOk(`docker swarm init --advertise-addr ${m.ip} >/dev/null`);
  const token = (await m.session.vps.execOk('docker swarm join-token -q worker')).stdout.trim();
  for (const w of cluster.workers) await w.session.vps.execOk(`docker swarm join --token ${token} ${m.ip}:2377 >/dev/null`);
  await cluster.waitNodes('ready', cluster.nodes.length);
  return token;
}

/**
 * The image on every node through the single-VPS installer (then its container removed), the
 * swarm formed, the secret and config created from the manager's /srv/ai-proxy, the stack
 * deployed; waits until every node's task is healthy. Returns the token clients send.
 */
export async function deployByEngine(cluster: SwarmVpses, release: Release, version: string, port: number): Promise<string> {
  await cluster.upload(release);
  for (const n of cluster.nodes) {
    const r = await n.session.installer(['--yes', '--port', String(port)]);
    if (r.code !== 0) throw new Error(`node ${n.index + 1}: the single-VPS install that builds the image exited ${r.code}:\n${r.output.slice(-2000)}`);
    await n.session.vps.execOk('docker rm -f ai-proxy >/dev/null');
  }
  await formSwarm(cluster);
  const vps = cluster.manager.session.vps;
  const token = await authToken(vps);
  const providers = await vps.readFile(`${CONFIG_DIR}/provider-config.yaml`);
  const secret = `ai-proxy-auth_token-${hash12(token)}`;
  const config = `ai-proxy-provider-config-${hash12(providers)}`;
  await vps.execOk(`printf '%s' "$(cat)" | docker secret create ${secret} - >/dev/null`, { input: token });
  await vps.execOk(`docker config create ${config} ${CONFIG_DIR}/provider-config.yaml >/dev/null`);
  await vps.execOk(`cat > /root/ai-proxy-stack.yml`, { input: stackFile({ version, port, secret, config }) });
  await vps.execOk(`docker stack deploy -c /root/ai-proxy-stack.yml ${STACK} 2>&1`);
  await waitConverged(cluster);
  return token;
}

/** Every node runs one task of the service and its container reports healthy. */
export async function waitConverged(cluster: SwarmVpses, nodes: SwarmNode[] = cluster.nodes, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const n of nodes) {
    for (;;) {
      const c = await cluster.taskContainer(n).catch(() => undefined);
      if (c?.State?.Health?.Status === 'healthy') break;
      if (Date.now() > deadline) {
        const tasks = await api(cluster.manager, `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [SERVICE] }))}`).catch((e: unknown) => String(e));
        throw new Error(`node ${n.index + 1}: no healthy task of ${SERVICE} after ${timeoutMs / 1000} s; tasks: ${tasks.slice(0, 3000)}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
