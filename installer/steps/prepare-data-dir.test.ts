import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstallError } from '../command/errors.ts';
import { contextFor } from '../context.ts';
import type { Run, UndoAction } from '../flows/step.ts';
import { prepareDataDir } from './prepare-data-dir.ts';

const root = mkdtempSync(join(tmpdir(), 'aip-inst-data-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A run whose context has a fresh configuration folder; the step needs nothing else. */
function fresh(): { run: Run; undos: UndoAction[]; dataDir: string } {
  const base = join(root, `r${n++}`);
  const ctx = contextFor('aip-inst-data', {
    workDir: join(base, 'work'),
    configDir: join(base, 'srv'),
    logFile: join(base, 'log'),
    lockFile: join(base, 'lock'),
  });
  mkdirSync(ctx.paths.configDir, { recursive: true });
  return { run: { ctx } as Run, undos: [], dataDir: ctx.paths.dataDir };
}

const asRoot = process.getuid?.() === 0 ? false : 'chown to the container group needs root';

test('the data folder is the configuration folder\'s "data"', () => {
  const { dataDir, run } = fresh();
  assert.equal(dataDir, join(run.ctx.paths.configDir, 'data'));
});

test('created 2770 root:<container gid>, removed again by its undo', { skip: asRoot }, async () => {
  const { run, undos, dataDir } = fresh();
  const detail = await prepareDataDir.run(run, (u) => undos.push(u), {});
  assert.equal(detail, 'created');
  const stat = statSync(dataDir);
  assert.equal(stat.mode & 0o7777, 0o2770);
  assert.deepEqual([stat.uid, stat.gid], [0, run.ctx.containerGid]);
  assert.equal(undos.length, 1);
  await undos[0]!.run();
  assert.throws(() => statSync(dataDir), /ENOENT/);
});

test('an existing folder and its files are kept (no undo that could delete keys), its mode repaired', {
  skip: asRoot,
}, async () => {
  const { run, undos, dataDir } = fresh();
  mkdirSync(dataDir, { mode: 0o755 });
  writeFileSync(join(dataDir, 'ai-proxy.db'), 'keys');
  const detail = await prepareDataDir.run(run, (u) => undos.push(u), {});
  assert.match(String(detail), /kept/);
  assert.equal(undos.length, 0);
  assert.equal(statSync(dataDir).mode & 0o7777, 0o2770);
  assert.equal(statSync(join(dataDir, 'ai-proxy.db')).size, 4);
});

test('a file where the folder should be stops the install with exit 11', async () => {
  const { run, dataDir } = fresh();
  writeFileSync(dataDir, 'not a folder');
  await assert.rejects(
    prepareDataDir.run(run, () => {}, {}),
    (e: unknown) => e instanceof InstallError && e.exitCode === 11 && /not a directory/.test(e.message),
  );
});
