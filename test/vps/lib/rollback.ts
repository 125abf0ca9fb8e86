// "Nothing changed": a snapshot of what a failed run must leave exactly as it found it.
import assert from 'node:assert/strict';
import type { Vps } from './vps.ts';
import { CONFIG_DIR, assertFiles, assertHardened, assertHealthy, assertServing } from './installed.ts';

export interface Snapshot {
  /** name, image id and container id of every container */
  containers: string[];
  /** every image id, intermediate ones included */
  images: string[];
  /** sha256 of each config file */
  config: string;
  port: number;
}

export async function snapshot(vps: Vps, port: number): Promise<Snapshot> {
  const lines = async (cmd: string) => (await vps.execOk(cmd)).stdout.split('\n').filter(Boolean).sort();
  return {
    containers: await lines(`docker ps -a --no-trunc --format '{{.Names}} {{.ID}} {{.Image}}'`),
    images: await lines(`docker image ls -a -q --no-trunc | sort -u`),
    config: await configDigest(vps),
    port,
  };
}

export async function configDigest(vps: Vps): Promise<string> {
  return (await vps.execOk(`cd ${CONFIG_DIR} && sha256sum .env provider-config.yaml`)).stdout;
}

/** The previous installation still serves, config byte-identical, nothing new left behind. */
export async function assertRolledBack(vps: Vps, before: Snapshot): Promise<void> {
  await assertHealthy(vps);
  const after = await snapshot(vps, before.port);
  assert.deepEqual(
    after.containers,
    before.containers,
    'the same containers as before (the previous one kept, no new one left)',
  );
  assert.deepEqual(after.images, before.images, 'the same images as before (no new image left)');
  assert.equal(after.config, before.config, 'the config files are byte-identical');
  await assertServing(vps, before.port);
  // the container that serves is still the hardened one, the files keep owners and modes,
  // /tmp/ai-proxy is gone and the log is there
  await assertHardened(vps, { port: before.port });
  await assertFiles(vps);
}
