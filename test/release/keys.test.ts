// The release executable keeps client keys in both stores: SQLite through node:sqlite built into
// the executable, and PostgreSQL through pg.cjs, the SEA asset evaluated only with DATABASE_URL.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { postgresSkip, startPostgres } from '../store/pg-server.ts';
import { configFrom, requireArtifacts, run, unpack } from './artifacts.ts';

const { artifacts, skip } = requireArtifacts();

async function keysRoundTrip(extraEnv: Record<string, string>): Promise<void> {
  const dir = await unpack(artifacts!.archive, ['ai-proxy', '.env.example', 'provider-config.yaml']);
  try {
    const config = join(dir, 'config');
    configFrom(dir, config);
    const cli = (...args: string[]) =>
      run(join(dir, 'ai-proxy'), [...args, '--config-dir', config], { env: { PATH: process.env.PATH, ...extraEnv } });
    const created = cli('keys', 'create', '--name', 'release-check', '--rpm', '10');
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout.trim(), /^aip_[0-9A-Za-z]{43}$/);
    const listed = cli('keys', 'list', '--json');
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(
      JSON.parse(listed.stdout).map((k: { name: string; rpm: number }) => [k.name, k.rpm]),
      [['release-check', 10]],
    );
    const usage = cli('usage', '--json');
    assert.equal(usage.status, 0, usage.stderr);
    assert.deepEqual(JSON.parse(usage.stdout).groups, []);
    assert.doesNotMatch(created.stderr + listed.stderr, /ExperimentalWarning/, 'no warning for node:sqlite');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the executable creates and lists keys in SQLite (DATA_DIR)', { skip }, async () => {
  await keysRoundTrip({ DATA_DIR: 'data' });
});

test('the executable creates and lists keys in PostgreSQL (DATABASE_URL, pg.cjs)', {
  skip: skip || postgresSkip(),
}, async () => {
  const server = await startPostgres();
  try {
    await keysRoundTrip({ DATABASE_URL: await server.createDatabase('release') });
  } finally {
    await server.stop();
  }
});
