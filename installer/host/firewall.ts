// Docker publishes a port with its own iptables rules, which come before those of ufw and
// firewalld: a host firewall that "denies" the port does not stop anyone. An operator who
// trusts it must hear that before the port is published.
import { readFileSync, lstatSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export type HostFirewall = 'ufw' | 'firewalld';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The host firewalls that are switched on, read from their files under `root` ('/' on a host). */
export function activeFirewalls(root = '/'): HostFirewall[] {
  const found: HostFirewall[] = [];
  // `ufw enable` writes ENABLED=yes; the service applies the rules at boot only then.
  if (/^\s*ENABLED\s*=\s*yes\s*$/m.test(readText(join(root, 'etc/ufw/ufw.conf')))) found.push('ufw');
  // firewalld runs when its unit is enabled, and keeps its pid file while running.
  if (
    present(join(root, 'etc/systemd/system/multi-user.target.wants/firewalld.service')) ||
    present(join(root, 'run/firewalld.pid')) ||
    present(join(root, 'var/run/firewalld.pid'))
  )
    found.push('firewalld');
  return found;
}

/** Loopback addresses are not reachable from other hosts, firewall or not. */
export function isLoopback(bind: string): boolean {
  if (isIP(bind) === 4) return bind.startsWith('127.');
  return bind === '::1';
}

/** The one-line warning for a port published past an active host firewall, or undefined. */
export function firewallWarning(bind: string, ports: number[], firewalls: HostFirewall[]): string | undefined {
  if (isLoopback(bind) || firewalls.length === 0) return undefined;
  const which = firewalls.join(' and ');
  const list = ports.join(' and ');
  return `${which} ${firewalls.length > 1 ? 'are' : 'is'} active, but Docker publishes port ${list} on ${bind} past ${firewalls.length > 1 ? 'them' : 'it'} (its own iptables rules come first), so its rules do not restrict who connects: use --bind 127.0.0.1 (behind a reverse proxy) or an address only trusted hosts reach, or filter in the DOCKER-USER chain`;
}
