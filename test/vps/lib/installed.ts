// What every scenario checks from inside the VPS after the installer ran: the container,
// its health, /ping through the published port, an authenticated request, the hardening the
// installer promises (docker inspect), owners and modes of the config, the temp folder, the log.
import assert from 'node:assert/strict';
import type { Vps } from './vps.ts';
import type { ChatAnswer, ContainerInspect } from './inspect.ts';
import { upstreamRoundTrip } from './upstream.ts';

export const CONFIG_DIR = '/srv/ai-proxy';
export const LOG_FILE = '/var/log/ai-proxy-installer.log';
export const MiB = 1024 * 1024;

export interface Expect {
  port: number;
  /** the address the port must be published on (default 0.0.0.0) */
  bind?: string;
  /** the version the running image must carry (its tag ai-proxy:<version>) */
  version?: string;
}

/** `stat` of a path inside the VPS as "mode uid gid", e.g. "640 0 1001". */
export async function statOf(vps: Vps, path: string): Promise<string> {
  return (await vps.execOk(`stat -c '%a %u %g' '${path}'`)).stdout.trim();
}

export async function authToken(vps: Vps): Promise<string> {
  const env = await vps.readFile(`${CONFIG_DIR}/.env`);
  const line = env.split('\n').find((l) => /^\s*(export\s+)?AUTH_TOKEN\s*=/.test(l));
  assert.ok(line, `${CONFIG_DIR}/.env has no AUTH_TOKEN line:\n${env}`);
  return line
    .slice(line.indexOf('=') + 1)
    .trim()
    .replace(/^(['"])(.*)\1$/, '$2');
}

/** POST /v1/chat/completions through the published port; returns [status, parsed body or text]. */
export async function chat(
  vps: Vps,
  port: number,
  token: string | undefined,
  model: string,
  text: string,
): Promise<[number, ChatAnswer | string]> {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: text }] });
  const auth = token ? `-H 'Authorization: Bearer ${token}'` : '';
  const r = await vps.execOk(
    `curl -sS -m 20 -o /tmp/.vps-chat -w '%{http_code}' ${auth} -H 'content-type: application/json' --data-binary @- http://127.0.0.1:${port}/v1/chat/completions; echo; cat /tmp/.vps-chat; rm -f /tmp/.vps-chat`,
    { input: body },
  );
  const [status = '0', ...rest] = r.stdout.split('\n');
  const raw = rest.join('\n');
  try {
    return [Number(status), JSON.parse(raw) as ChatAnswer];
  } catch {
    return [Number(status), raw];
  }
}

/** The first choice's text of a chat answer (undefined for anything else). */
export function contentOf(answer: ChatAnswer | string): unknown {
  return typeof answer === 'string' ? undefined : answer.choices?.[0]?.message?.content;
}

export async function assertServing(vps: Vps, port: number): Promise<void> {
  const ping = await vps.exec(`curl -sS -m 5 -w ' %{http_code}' http://127.0.0.1:${port}/ping`);
  assert.equal(ping.code, 0, `GET /ping on port ${port} failed inside the VPS: ${ping.output}`);
  assert.match(ping.stdout, / 200$/, `GET /ping on port ${port} answered: ${ping.stdout}`);

  const token = await authToken(vps);
  const nonce = `vps-${Math.random().toString(36).slice(2)}`;
  const [status, answer] = await chat(vps, port, token, 'echo', nonce);
  assert.equal(status, 200, `authenticated echo request answered ${status}: ${JSON.stringify(answer)}`);
  assert.equal(contentOf(answer), nonce, `the echo model did not repeat the message: ${JSON.stringify(answer)}`);
  const [anonymous] = await chat(vps, port, undefined, 'echo', nonce);
  assert.equal(anonymous, 401, 'a request without the token must be refused');
  await upstreamRoundTrip(vps, port, token);
}

/** CIS Docker section 5 as the engine applied it, on the proxy or on the holder. */
function assertHardening(c: ContainerInspect, which: string, memoryMiB: number): void {
  const h = c.HostConfig!;
  assert.equal(c.Config?.User, '1001:1001', `${which} runs as 1001:1001`);
  assert.equal(h.ReadonlyRootfs, true, `${which}: read-only root filesystem`);
  const tmpfs: string = h.Tmpfs?.['/tmp'] ?? '';
  for (const opt of ['noexec', 'nosuid', 'nodev'])
    assert.ok(tmpfs.split(',').includes(opt), `${which}: tmpfs /tmp has ${opt}: "${tmpfs}"`);
  assert.match(tmpfs, /(^|,)size=\d+[kmg]?(,|$)/i, `${which}: tmpfs /tmp is size-limited: "${tmpfs}"`);
  const secopt: string[] = h.SecurityOpt ?? [];
  assert.ok(
    secopt.some((o) => /^no-new-privileges(:true|=true)?$/.test(o)),
    `${which}: no-new-privileges: ${JSON.stringify(secopt)}`,
  );
  assert.ok(!secopt.some((o) => /seccomp[:=]unconfined/.test(o)), `${which}: the default seccomp profile is kept`);
  assert.deepEqual(h.CapDrop, ['ALL'], `${which}: all capabilities dropped`);
  assert.ok(!h.CapAdd || h.CapAdd.length === 0, `${which}: no capability added back: ${JSON.stringify(h.CapAdd)}`);
  assert.equal(h.Memory, memoryMiB * MiB, `${which}: memory ${memoryMiB} MiB`);
  assert.equal(h.MemorySwap, memoryMiB * MiB, `${which}: no swap beyond the memory limit`);
  assert.ok((h.NanoCpus ?? 0) > 0 && (h.NanoCpus ?? 0) <= 500_000_000, `${which}: at most 0.5 CPU`);
  assert.ok((h.PidsLimit ?? 0) > 0, `${which}: a pids limit: ${h.PidsLimit}`);
  assert.equal(h.RestartPolicy?.Name, 'unless-stopped', which);
  assert.equal(h.LogConfig?.Type, 'json-file', which);
  assert.ok(
    h.LogConfig?.Config?.['max-size'] && h.LogConfig?.Config?.['max-file'],
    `${which}: log rotation: ${JSON.stringify(h.LogConfig)}`,
  );
  assert.equal(h.Init, true, `${which}: an init process`);
  assert.equal(h.Privileged, false, `${which}: not privileged`);
  for (const [mode, value] of [
    ['NetworkMode', h.NetworkMode],
    ['PidMode', h.PidMode],
    ['IpcMode', h.IpcMode],
    ['UTSMode', h.UTSMode],
  ]) {
    assert.notEqual(value, 'host', `${which}: ${mode} is not host`);
  }
}

export async function assertHardened(vps: Vps, exp: Expect): Promise<void> {
  const c = await vps.inspect('ai-proxy');
  assert.ok(c?.HostConfig && c.Config, 'container ai-proxy does not exist');
  const holder = await vps.inspect('ai-proxy-holder');
  assert.ok(holder?.HostConfig && holder.Config, 'container ai-proxy-holder does not exist');
  assertHardening(c, 'ai-proxy', 512);
  assertHardening(holder, 'ai-proxy-holder', 64);
  const h = c.HostConfig;
  const key = `${exp.port}/tcp`;
  assert.equal(h.NanoCpus, 500_000_000, '0.5 CPU');
  const mounts = c.Mounts ?? [];
  const config = mounts.find((m) => m.Destination === '/app/config');
  assert.ok(config, 'the config folder is mounted at /app/config');
  assert.equal(config.Source, CONFIG_DIR);
  assert.equal(config.RW, false, 'the config is mounted read-only');
  const data = mounts.find((m) => m.Destination === '/app/data');
  assert.ok(data, 'the data folder is mounted at /app/data');
  assert.equal(data.Source, `${CONFIG_DIR}/data`);
  assert.equal(data.RW, true, 'the data folder (client keys, ledger) is writable');
  assert.equal(mounts.length, 2, `no other mounts: ${JSON.stringify(mounts)}`);
  // the holder publishes the port; the proxy shares its network namespace and publishes nothing
  assert.equal(h.NetworkMode, `container:${holder.Id}`, "the proxy is joined to the holder's namespace");
  assert.deepEqual(Object.keys(h.PortBindings ?? {}), [], 'the proxy publishes nothing itself');
  const hp = holder.HostConfig.PortBindings;
  assert.deepEqual(Object.keys(hp ?? {}), [key], `only ${key} is published`);
  assert.deepEqual(hp?.[key], [{ HostIp: exp.bind ?? '0.0.0.0', HostPort: String(exp.port) }]);
  assert.deepEqual(holder.HostConfig.Sysctls, { 'net.ipv4.tcp_migrate_req': '1' });
  assert.equal((holder.Mounts ?? []).length, 0, 'the holder mounts nothing');
  if (exp.version) {
    const image = await vps.inspect(c.Image);
    assert.ok(
      image?.RepoTags?.includes(`ai-proxy:${exp.version}`),
      `the running image is ai-proxy:${exp.version}: ${JSON.stringify(image?.RepoTags)}`,
    );
  }
}

export async function assertFiles(vps: Vps): Promise<void> {
  assert.equal(await statOf(vps, CONFIG_DIR), '750 0 1001', `${CONFIG_DIR} is 0750 root:1001`);
  for (const f of ['.env', 'provider-config.yaml']) {
    assert.equal(await statOf(vps, `${CONFIG_DIR}/${f}`), '640 0 1001', `${CONFIG_DIR}/${f} is 0640 root:1001`);
  }
  assert.equal(
    await statOf(vps, `${CONFIG_DIR}/data`),
    '2770 0 1001',
    `${CONFIG_DIR}/data (client keys, ledger) is 2770 root:1001`,
  );
  assert.equal(await vps.fileExists('/tmp/ai-proxy'), false, '/tmp/ai-proxy is removed');
  const temps = (await vps.execOk(`find ${CONFIG_DIR} -name '.tmp-*'`)).stdout.trim();
  assert.equal(temps, '', `no temp file of an atomic write is left in ${CONFIG_DIR}`);
  assert.equal(await statOf(vps, LOG_FILE), '600 0 0', `${LOG_FILE} is 0600 root`);
  assert.ok(Number((await vps.execOk(`stat -c %s ${LOG_FILE}`)).stdout) > 0, 'the installer log is not empty');
}

/** Waits (briefly) for the container's own health check, as an operator would with docker ps. */
export async function assertHealthy(vps: Vps): Promise<void> {
  let state: ContainerInspect['State'];
  const deadline = Date.now() + 60_000;
  do {
    state = (await vps.inspect('ai-proxy'))?.State;
    if (state?.Running && state?.Health?.Status === 'healthy') return;
    await new Promise((r) => setTimeout(r, 500));
  } while (Date.now() < deadline);
  assert.fail(
    `ai-proxy is not running and healthy: ${JSON.stringify({ status: state?.Status, health: state?.Health?.Status, log: state?.Health?.Log?.slice(-2) })}`,
  );
}

/** Everything a successful installation must show. */
export async function assertInstalled(vps: Vps, exp: Expect): Promise<void> {
  await assertHealthy(vps);
  await assertHardened(vps, exp);
  await assertServing(vps, exp.port);
  await assertFiles(vps);
  // the holder stays; an old proxy of the last upgrade may still drain (it leaves on its own)
  const leftovers = (await vps.execOk("docker ps -a --format '{{.Names}}'")).stdout
    .split('\n')
    .filter((n) => /^ai-proxy-/.test(n) && n !== 'ai-proxy-holder' && !/^ai-proxy-draining-[0-9a-f]{12}$/.test(n));
  assert.deepEqual(leftovers, [], 'no ai-proxy-previous/-next container is left');
}
