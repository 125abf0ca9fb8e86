import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdtempSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupFile, ensureConfigDir, restoreConfigFile, writeConfigFile, BACKUPS_KEPT } from './config-dir.ts';
import { ConfigInvalid, configChange as planConfig } from './config-change.ts';
import { getEnvValue } from './env-editor.ts';

const templates = {
  env: readFileSync(new URL('../../release-template/.env.example', import.meta.url), 'utf8'),
  provider: readFileSync(new URL('../../release-template/provider-config.yaml', import.meta.url), 'utf8'),
};
const root = mkdtempSync(join(tmpdir(), 'aip-inst-config-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `c${n++}`);

test('first install: .env from the template with PORT and a fresh 256-bit AUTH_TOKEN, comments kept', () => {
  const plan = planConfig(freshDir(), templates, 9090);
  assert.equal(plan.firstInstall, true);
  assert.ok(plan.generatedToken && Buffer.from(plan.generatedToken, 'base64url').length === 32);
  assert.equal(getEnvValue(plan.next.env, 'AUTH_TOKEN'), plan.generatedToken);
  assert.equal(getEnvValue(plan.next.env, 'PORT'), '9090');
  assert.equal(plan.next.provider, templates.provider);
  const otherLines = (text: string) => text.split('\n').filter((line) => !/^(PORT|AUTH_TOKEN)=/.test(line));
  assert.deepEqual(otherLines(plan.next.env), otherLines(templates.env));
  assert.notEqual(planConfig(freshDir(), templates, 9090).generatedToken, plan.generatedToken);
});

test('later runs keep every value, comment and order; only PORT changes', () => {
  const dir = freshDir();
  mkdirSync(dir);
  const env =
    '# mine\nAUTH_TOKEN=operator-chosen-token-with-more-than-32-chars\nPORT=8080\nOPENAI_API_KEY=sk-1 # key\n';
  const provider = '# my providers\nproviders:\n  - name: echo\n    type: echo\n    models: [echo, mine]\n';
  writeFileSync(join(dir, '.env'), env);
  writeFileSync(join(dir, 'provider-config.yaml'), provider);
  const plan = planConfig(dir, templates, 9191);
  assert.equal(plan.firstInstall, false);
  assert.equal(plan.generatedToken, undefined);
  assert.equal(plan.next.env, env.replace('PORT=8080', 'PORT=9191'));
  assert.equal(plan.next.provider, provider);
  assert.deepEqual(plan.current.env, Buffer.from(env));
  assert.equal(planConfig(dir, templates, 8080).next.env, env, 'same port: byte-identical');
});

test('an existing file that does not validate stops with its exact error', () => {
  const dir = freshDir();
  mkdirSync(dir);
  writeFileSync(join(dir, '.env'), 'PORT=8080\nAUTH_TOKEN=operator-chosen-token-with-more-than-32-chars\n');
  writeFileSync(join(dir, 'provider-config.yaml'), 'providers:\n  - name: x\n    type: nonsense\n    models: [a]\n');
  assert.throws(
    () => planConfig(dir, templates, 8080),
    (error: Error) => error instanceof ConfigInvalid && /provider-config\.yaml:\d+ providers\[0\]/.test(error.message),
  );
  writeFileSync(join(dir, '.env'), 'PORT=8080\nAUTH_TOKEN=short\n');
  assert.throws(
    () => planConfig(dir, templates, 8080),
    (error: Error) => error instanceof ConfigInvalid && /AUTH_TOKEN: too short/.test(error.message),
  );
});

test('a symlinked config folder or file is refused', () => {
  const target = freshDir();
  mkdirSync(target);
  const link = freshDir();
  symlinkSync(target, link);
  assert.throws(() => planConfig(link, templates, 8080), /symbolic link/);
  const dir = freshDir();
  mkdirSync(dir);
  writeFileSync(join(target, 'real.env'), 'PORT=1\n');
  symlinkSync(join(target, 'real.env'), join(dir, '.env'));
  assert.throws(() => planConfig(dir, templates, 8080), /symbolic link/);
});

test('the folder is 0750 root:1001, files 0640 root:1001, backups keep the last 5, restore is byte for byte', () => {
  const dir = freshDir();
  assert.equal(ensureConfigDir(dir, 1001), true);
  assert.equal(statSync(dir).mode & 0o777, 0o750);
  if (process.getuid?.() === 0) assert.equal(statSync(dir).gid, 1001);
  writeConfigFile(dir, '.env', 'PORT=1\n', 1001);
  assert.equal(statSync(join(dir, '.env')).mode & 0o777, 0o640);
  for (let i = 0; i < BACKUPS_KEPT + 3; i++) {
    backupFile(dir, '.env', `2026010${i}T000000Z`);
    writeConfigFile(dir, '.env', `PORT=${i + 2}\n`, 1001);
  }
  const backups = readdirSync(join(dir, '.backup')).sort();
  assert.equal(backups.length, BACKUPS_KEPT);
  assert.equal(readFileSync(join(dir, '.backup', backups[BACKUPS_KEPT - 1]!), 'utf8'), `PORT=${BACKUPS_KEPT + 3}\n`);
  const original = Buffer.from('# exact\r\nPORT=1\n\n');
  restoreConfigFile(dir, '.env', original, 1001);
  assert.deepEqual(readFileSync(join(dir, '.env')), original);
  restoreConfigFile(dir, '.env', undefined, 1001);
  assert.deepEqual(readdirSync(dir).sort(), ['.backup']);
});
