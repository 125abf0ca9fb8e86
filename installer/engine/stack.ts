// Names of the swarm objects. Docker secrets and configs are immutable, so each one is named by
// its content: a changed token or key is a new object and the service moves over to it; the old
// one is removed once the update succeeded (kept when Swarm rolled back, the old tasks use it).
import { createHash } from 'node:crypto';

export const STACK = 'ai-proxy';
export const SERVICE = `${STACK}_${STACK}`;
export const OBJECT_PREFIX = `${STACK}-`;
/** `docker stack ls/ps` finds the service (and our secrets and configs) by this label. */
export const STACK_LABEL = 'com.docker.stack.namespace';
export const STACK_FILTER = `${STACK_LABEL}=${STACK}`;
export const OBJECT_KINDS = ['secret', 'config'] as const;
export const LABELS = {
  version: 'ai-proxy.version',
  configHash: 'ai-proxy.config-hash',
  variable: 'ai-proxy.variable',
  imageCheck: 'ai-proxy.image-check',
} as const;

/** Docker limits secret and config names to 64 characters of [a-zA-Z0-9-_.]. */
const MAX_NAME = 64;

export function hash12(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 12);
}

/** `ai-proxy-<lowercased var>-<hash12>`, the variable part shortened when the name would pass 64. */
export function secretName(variable: string, content: string): string {
  const suffix = `-${hash12(content)}`;
  const room = MAX_NAME - OBJECT_PREFIX.length - suffix.length;
  return `${OBJECT_PREFIX}${variable.toLowerCase().slice(0, room)}${suffix}`;
}

export function providerConfigName(content: string): string {
  return `${OBJECT_PREFIX}provider-config-${hash12(content)}`;
}

/** Our secret/config names the service no longer references (removed after a successful update). */
export function staleObjects(existing: string[], wanted: string[]): string[] {
  const keep = new Set(wanted);
  return existing.filter((name) => name.startsWith(OBJECT_PREFIX) && !keep.has(name)).sort();
}
