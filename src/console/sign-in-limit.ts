// Failed sign-ins, counted per client address and overall: a few guesses per address per quarter
// hour, and a ceiling for everyone together so many addresses cannot share the work. A success
// does not reset the overall count. Memory stays bounded: at most MAX_ADDRESSES entries.

export interface SignInLimits {
  perAddress: number;
  perAddressWindowMs: number;
  overall: number;
  overallWindowMs: number;
}

export const SIGN_IN_LIMITS: SignInLimits = {
  perAddress: 5,
  perAddressWindowMs: 15 * 60_000,
  overall: 30,
  overallWindowMs: 60_000,
};
const MAX_ADDRESSES = 10_000;

interface Window {
  start: number;
  failures: number;
}

/** Secret checks at once: a password check holds 32 MiB for tens of milliseconds. */
const MAX_CHECKS = 2;

export class SignInLimiter {
  private readonly addresses = new Map<string, Window>();
  private overall: Window = { start: 0, failures: 0 };
  private checking = 0;

  /** A slot for one secret check, or false while MAX_CHECKS are running (answer 429). */
  beginCheck(): boolean {
    if (this.checking >= MAX_CHECKS) return false;
    this.checking++;
    return true;
  }

  endCheck(): void {
    this.checking--;
  }

  constructor(private readonly limits: SignInLimits = SIGN_IN_LIMITS) {}

  /** Seconds to wait before this address may try again; 0: it may try now. */
  retryAfter(address: string, now = Date.now()): number {
    const l = this.limits;
    const own = this.addresses.get(address);
    const waits = [0];
    if (own && now - own.start < l.perAddressWindowMs && own.failures >= l.perAddress)
      waits.push(own.start + l.perAddressWindowMs - now);
    if (now - this.overall.start < l.overallWindowMs && this.overall.failures >= l.overall)
      waits.push(this.overall.start + l.overallWindowMs - now);
    return Math.ceil(Math.max(...waits) / 1000);
  }

  failed(address: string, now = Date.now()): void {
    const l = this.limits;
    if (now - this.overall.start >= l.overallWindowMs) this.overall = { start: now, failures: 0 };
    this.overall.failures++;
    let own = this.addresses.get(address);
    if (!own || now - own.start >= l.perAddressWindowMs) {
      if (!own && this.addresses.size >= MAX_ADDRESSES) this.prune(now);
      own = { start: now, failures: 0 };
      this.addresses.set(address, own);
    }
    own.failures++;
  }

  succeeded(address: string): void {
    this.addresses.delete(address);
  }

  private prune(now: number): void {
    for (const [a, w] of this.addresses) if (now - w.start >= this.limits.perAddressWindowMs) this.addresses.delete(a);
    // Still full of live entries: drop the oldest rather than grow.
    while (this.addresses.size >= MAX_ADDRESSES) this.addresses.delete(this.addresses.keys().next().value!);
  }
}

/** How many addresses a refusal summary names (the count covers them all). */
const NAMED_ADDRESSES = 5;
export const REFUSAL_WINDOW_MS = 1000;

/**
 * Sign-ins refused by the limits above, reported as one line per second with their count: once
 * an address is stopped, a flood of further attempts must not flood the log too.
 */
export class RefusedSignIns {
  private count = 0;
  private addresses = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly report: (count: number, addresses: string[]) => void) {}

  add(address: string): void {
    if (this.count === 0) {
      this.timer = setTimeout(this.flush, REFUSAL_WINDOW_MS);
      this.timer.unref();
    }
    this.count++;
    if (this.addresses.size < NAMED_ADDRESSES) this.addresses.add(address);
  }

  readonly flush = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.count === 0) return;
    this.report(this.count, [...this.addresses]);
    this.count = 0;
    this.addresses = new Set();
  };
}
