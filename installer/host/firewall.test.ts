import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeFirewalls, firewallWarning } from './firewall.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-inst-fw-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function host(files: Record<string, string>, links: Record<string, string> = {}): string {
  const root = mkdtempSync(join(dir, 'root-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  for (const [path, target] of Object.entries(links)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  return root;
}

test('ufw counts when enabled, firewalld when its unit is enabled or it runs', () => {
  assert.deepEqual(activeFirewalls(host({})), []);
  assert.deepEqual(activeFirewalls(host({ 'etc/ufw/ufw.conf': '# installed\nENABLED=no\n' })), []);
  assert.deepEqual(activeFirewalls(host({ 'etc/ufw/ufw.conf': '# comment\nENABLED=yes\nLOGLEVEL=low\n' })), ['ufw']);
  assert.deepEqual(
    activeFirewalls(
      host(
        {},
        { 'etc/systemd/system/multi-user.target.wants/firewalld.service': '/lib/systemd/system/firewalld.service' },
      ),
    ),
    ['firewalld'],
  );
  assert.deepEqual(activeFirewalls(host({ 'run/firewalld.pid': '812\n', 'etc/ufw/ufw.conf': 'ENABLED=yes\n' })), [
    'ufw',
    'firewalld',
  ]);
});

test('a public bind past an active firewall warns in one line that shows --bind', () => {
  const warning = firewallWarning('0.0.0.0', [8080], ['ufw']);
  assert.ok(warning);
  assert.match(warning, /^ufw is active, but Docker publishes port 8080 on 0\.0\.0\.0 past it/);
  assert.match(warning, /--bind 127\.0\.0\.1/);
  assert.doesNotMatch(warning, /\n/);
  assert.match(firewallWarning('::', [443, 80], ['firewalld']) ?? '', /port 443 and 80 on ::/);
  assert.ok(firewallWarning('10.0.0.5', [8080], ['ufw']), 'a private address is still past the firewall');
  assert.equal(firewallWarning('127.0.0.1', [8080], ['ufw']), undefined);
  assert.equal(firewallWarning('::1', [8080], ['ufw', 'firewalld']), undefined);
  assert.equal(firewallWarning('0.0.0.0', [8080], []), undefined);
});
