// The operator's everyday runs against an existing healthy installation, as reusable steps:
// the bookworm scenarios run each on a VPS of its own, the other releases chain them on one.
import assert from 'node:assert/strict';
import type { Session } from '../lib/session.ts';
import { CONFIG_DIR, assertFiles, assertInstalled } from '../lib/installed.ts';
import { forgetMockUpstream, MOCK_NAME } from '../lib/upstream.ts';
import { expected } from './expected.ts';

const sha = async (s: Session, file: string) =>
  (await s.vps.execOk(`sha256sum ${CONFIG_DIR}/${file}`)).stdout.split(' ')[0];
const configDigest = async (s: Session) =>
  (await s.vps.execOk(`cd ${CONFIG_DIR} && sha256sum .env provider-config.yaml`)).stdout;

/** Same archive, same port, healthy container: nothing may change. */
export async function rerunUnchanged(s: Session, port: number, version = expected.version): Promise<void> {
  const before = await s.vps.inspect('ai-proxy');
  const r = await s.installer(['--yes']);
  s.note = `re-run took ${(r.ms / 1000).toFixed(1)} s`;
  assert.equal(r.code, 0);
  const after = await s.vps.inspect('ai-proxy');
  assert.equal(after?.Id, before?.Id, 'the same container keeps running');
  assert.equal(after?.State?.StartedAt, before?.State?.StartedAt, 'the container was not restarted');
  await assertInstalled(s.vps, { port, version });
}

/** `--port TO`: the new port serves, the old one is closed, only PORT changed in the config. */
export async function changePort(s: Session, from: number, to: number): Promise<void> {
  const envBefore = await s.vps.readFile(`${CONFIG_DIR}/.env`);
  const providersBefore = await sha(s, 'provider-config.yaml');
  const r = await s.installer(['--yes', '--port', String(to)]);
  s.note = `port change took ${(r.ms / 1000).toFixed(1)} s`;
  assert.equal(r.code, 0);
  await assertInstalled(s.vps, { port: to });
  assert.notEqual(
    (await s.vps.exec(`curl -s -m 3 http://127.0.0.1:${from}/ping`)).code,
    0,
    'the old port no longer answers',
  );
  const envAfter = await s.vps.readFile(`${CONFIG_DIR}/.env`);
  const withoutPort = (t: string) => t.split('\n').filter((l) => !/^\s*PORT\s*=/.test(l));
  assert.deepEqual(withoutPort(envAfter), withoutPort(envBefore), 'only the PORT line of .env changed');
  assert.match(envAfter, new RegExp(`^PORT=${to}$`, 'm'));
  assert.equal(await sha(s, 'provider-config.yaml'), providersBefore, 'provider-config.yaml is untouched');
}

/** `--uninstall [--purge]`: no container, no image, port closed; config kept (or deleted). */
export async function uninstall(s: Session, port: number, purge: boolean): Promise<number> {
  // the mock upstream shares the image; an operator's unrelated container is not ours to judge
  await s.vps.execOk(`docker rm -f ${MOCK_NAME} >/dev/null 2>&1; docker rmi ${MOCK_NAME}:1 >/dev/null 2>&1; true`);
  forgetMockUpstream(s.vps);
  const config = await configDigest(s);
  const r = await s.installer(purge ? ['--uninstall', '--purge', '--yes'] : ['--uninstall', '--yes']);
  assert.equal(r.code, 0);
  const names = (await s.vps.execOk(`docker ps -a --format '{{.Names}}'`)).stdout
    .split('\n')
    .filter((n) => n.startsWith('ai-proxy'));
  assert.deepEqual(names, [], 'no ai-proxy container is left');
  assert.equal((await s.vps.execOk('docker images -q ai-proxy')).stdout.trim(), '', 'no ai-proxy image is left');
  assert.notEqual(
    (await s.vps.exec(`curl -s -m 3 http://127.0.0.1:${port}/ping`)).code,
    0,
    'nothing answers on the port',
  );
  assert.equal(await s.vps.fileExists('/tmp/ai-proxy'), false);
  if (purge) {
    assert.equal(await s.vps.fileExists(CONFIG_DIR), false, `${CONFIG_DIR} is deleted by --purge`);
    return r.code;
  }
  assert.equal(await configDigest(s), config, `${CONFIG_DIR} is kept byte for byte`);
  // a later install finds the kept configuration: same token, same port
  const again = await s.installer(['--yes']);
  assert.equal(again.code, 0);
  assert.equal(await configDigest(s), config, 'the reinstall kept the configuration');
  await assertFiles(s.vps);
  return r.code;
}
