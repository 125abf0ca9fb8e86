// A real OpenAI-wire-format upstream inside the VPS, to prove an authenticated request travels
// through the installed proxy to a provider. There is no Node on the VPS, but the installed
// image holds the proxy itself: a second container from it, configured with only the built-in
// echo provider, answers chat completions exactly as an OpenAI-compatible server does. The
// installed proxy gets an `openai-compatible` provider pointing at it through the VPS's docker0
// address and the mock's published port, so the installed container itself is left as the
// installer made it (no extra network attached).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseDocument } from 'yaml';
import type { Vps } from './vps.ts';
import { CONFIG_DIR, chat, contentOf } from './installed.ts';

export const MOCK_NAME = 'vps-mock-upstream';
export const MOCK_PORT = 9000;
const MOCK_DIR = '/srv/vps-mock-upstream';
const PROVIDER = 'vps-mock';

async function mockLogLines(vps: Vps): Promise<number> {
  const r = await vps.execOk(`docker logs ${MOCK_NAME} 2>&1 | wc -l`);
  return Number(r.stdout.trim());
}

async function waitHealthy(vps: Vps): Promise<void> {
  await vps.waitFor(
    `[ "$(docker inspect --format '{{.State.Health.Status}}' ai-proxy)" = healthy ]`,
    90_000,
    'ai-proxy did not become healthy again after the restart',
  );
}

/**
 * The VPSes that got the mock upstream: on those the round trip is required, so a mock container
 * gone missing (removed by a rollback, an uninstall, a failed restart) is a failure, not a pass.
 */
const withMock = new WeakSet<Vps>();

/** The scenario removes the mock on purpose (uninstall): from now on no round trip is expected. */
export function forgetMockUpstream(vps: Vps): void {
  withMock.delete(vps);
}

export const hasMockUpstream = (vps: Vps): boolean => withMock.has(vps);

/**
 * Appends a provider to the installed provider-config.yaml as an editor saving in place would:
 * `cat >` keeps the file's inode, owner and mode. The proxy sees it after a reload or a restart.
 */
export async function addProvider(vps: Vps, provider: Record<string, unknown>): Promise<void> {
  const path = `${CONFIG_DIR}/provider-config.yaml`;
  const doc = parseDocument(await vps.readFile(path));
  const providers = doc.get('providers') as { add(item: unknown): void } | undefined;
  assert.ok(providers, `${path} has no providers list`);
  providers.add(doc.createNode(provider));
  await vps.execOk(`cat > ${path}`, { input: doc.toString() });
}

/** Starts the mock upstream and adds it to the installed proxy's configuration (then restarts it). */
export async function addMockUpstream(vps: Vps): Promise<void> {
  const token = randomBytes(32).toString('hex');
  // the tag keeps the mock's image alive when the installer later untags or removes ai-proxy images
  await vps.execOk(
    [
      `mkdir -p ${MOCK_DIR}`,
      `printf 'PORT=${MOCK_PORT}\\nAUTH_TOKEN=${token}\\n' > ${MOCK_DIR}/.env`,
      `printf 'providers:\\n  - name: echo\\n    type: echo\\n    models: [echo]\\n' > ${MOCK_DIR}/provider-config.yaml`,
      `chown -R 0:1001 ${MOCK_DIR} && chmod 0750 ${MOCK_DIR} && chmod 0640 ${MOCK_DIR}/*`,
      `docker tag ai-proxy:latest ${MOCK_NAME}:1`,
      `docker run -d --name ${MOCK_NAME} --restart unless-stopped --no-healthcheck -p ${MOCK_PORT}:${MOCK_PORT} -v ${MOCK_DIR}:/app/config:ro ${MOCK_NAME}:1 >/dev/null`,
    ].join(' && '),
  );
  await vps.waitFor(
    `curl -fsS -m 2 http://127.0.0.1:${MOCK_PORT}/ping`,
    60_000,
    'the mock upstream never answered /ping',
  );
  const gateway = (await vps.execOk(`ip -4 -o addr show docker0`)).stdout.match(/inet (\d+\.\d+\.\d+\.\d+)/)?.[1];
  assert.ok(gateway, 'docker0 has no IPv4 address in the VPS');

  await addProvider(vps, {
    name: PROVIDER,
    type: 'openai-compatible',
    base_url: `http://${gateway}:${MOCK_PORT}/v1`,
    api_key: token,
    models: ['echo'],
  });
  await vps.execOk('docker restart ai-proxy >/dev/null');
  await waitHealthy(vps);
  withMock.add(vps);
}

/**
 * On a VPS that got the mock upstream, a request for model vps-mock/echo must arrive there; the
 * mock container must still exist. Returns whether the round trip was checked (false: this VPS
 * never had a mock, the caller's check covers the built-in echo model only).
 */
export async function upstreamRoundTrip(vps: Vps, port: number, token: string): Promise<boolean> {
  if (!withMock.has(vps)) return false;
  const present = await vps.exec(`docker inspect --format '{{.State.Status}}' ${MOCK_NAME}`);
  assert.equal(present.code, 0, `the mock upstream container ${MOCK_NAME} is gone: ${present.output}`);
  // it has no health check of its own; after an engine restart it may still be starting
  await vps.waitFor(
    `curl -fsS -m 2 http://127.0.0.1:${MOCK_PORT}/ping`,
    60_000,
    'the mock upstream does not answer /ping',
  );
  const before = await mockLogLines(vps);
  const nonce = `upstream-${Math.random().toString(36).slice(2)}`;
  const [status, answer] = await chat(vps, port, token, `${PROVIDER}/echo`, nonce);
  assert.equal(status, 200, `request through the mock upstream answered ${status}: ${JSON.stringify(answer)}`);
  assert.equal(contentOf(answer), nonce, `the upstream's echo did not come back: ${JSON.stringify(answer)}`);
  assert.ok((await mockLogLines(vps)) > before, 'the mock upstream logged no request: the answer did not come from it');
  return true;
}
