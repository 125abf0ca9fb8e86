// Signed-in browsers: a random session id in an HttpOnly cookie, kept only in this process's
// memory (a restart signs everyone out), with an idle and an absolute lifetime, a CSRF token of
// its own, and a cap on how many exist at once.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  id: string;
  /** Sent back by the page in X-CSRF-Token on every change. */
  csrf: string;
  createdAt: number;
  seenAt: number;
}

export interface SessionLimits {
  idleMs: number;
  maxAgeMs: number;
  maxSessions: number;
}

export const SESSION_LIMITS: SessionLimits = { idleMs: 60 * 60_000, maxAgeMs: 12 * 60 * 60_000, maxSessions: 100 };

const token = () => randomBytes(32).toString('base64url');

export class Sessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly limits: SessionLimits = SESSION_LIMITS) {}

  create(now = Date.now()): Session {
    this.prune(now);
    // Map order is insertion order: the first entry is the oldest session.
    if (this.sessions.size >= this.limits.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const session = { id: token(), csrf: token(), createdAt: now, seenAt: now };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id (its idle time starts over), or undefined. */
  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (this.expired(session, now)) {
      this.sessions.delete(id);
      return undefined;
    }
    session.seenAt = now;
    return session;
  }

  /** When the session ends at the latest if it stays active. */
  expiresAt(session: Session): number {
    return session.createdAt + this.limits.maxAgeMs;
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(s: Session, now: number): boolean {
    return now - s.seenAt > this.limits.idleMs || now - s.createdAt > this.limits.maxAgeMs;
  }

  private prune(now: number): void {
    for (const [id, s] of this.sessions) if (this.expired(s, now)) this.sessions.delete(id);
  }
}

/** Constant-time equality of two tokens (a CSRF token against the session's). */
export function sameToken(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
