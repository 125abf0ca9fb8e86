// When to renew: a pure function of the certificate, the clock and the last failure, so every
// decision is unit-tested without waiting for a real certificate to age.

export const MIN_BACKOFF_MS = 60_000;
export const MAX_BACKOFF_MS = 6 * 3600_000;
const DAY_MS = 86_400_000;

export interface CertWindow {
  notBefore: Date;
  notAfter: Date;
}

export interface Failure {
  at: Date;
  /** Consecutive failed attempts, >= 1. */
  attempts: number;
}

/**
 * Renewal point of a certificate: 2/3 of its lifetime, or 30 days before expiry if that comes
 * first, but never before half its lifetime (short-lived certificates, like pebble's or the
 * 6-day profile, would otherwise be renewed the moment they arrive).
 */
export function renewalPoint(cert: CertWindow): Date {
  const from = cert.notBefore.getTime();
  const to = cert.notAfter.getTime();
  const life = Math.max(0, to - from);
  const at = Math.max(Math.min(from + (life * 2) / 3, to - 30 * DAY_MS), from + life / 2);
  return new Date(at);
}

/** Delay before retry number `attempts` (1 = after the first failure): 1 min doubling to 6 h, with jitter. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
  // "Equal jitter": between half and all of the base, so a fleet restarted together spreads out.
  return Math.max(MIN_BACKOFF_MS, Math.round(base / 2 + (random() * base) / 2));
}

/**
 * The time of the next order. No certificate: now, unless a failure asks to wait. A certificate:
 * its renewal point; after a failure, the later of that point and the backoff. Never before now.
 */
export function nextRenewal(
  cert: CertWindow | undefined,
  now: Date,
  lastFailure?: Failure,
  random: () => number = Math.random,
): Date {
  let at = cert ? renewalPoint(cert).getTime() : now.getTime();
  if (lastFailure) at = Math.max(at, lastFailure.at.getTime() + backoffMs(lastFailure.attempts, random));
  return new Date(Math.max(at, now.getTime()));
}

/** True when a certificate can be used as is at start: not yet at its renewal point. */
export function isFresh(cert: CertWindow, now: Date): boolean {
  return now.getTime() < renewalPoint(cert).getTime() && now.getTime() < cert.notAfter.getTime();
}
