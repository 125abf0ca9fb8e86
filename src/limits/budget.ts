// The memory budget: everything the proxy holds whose size a client or an upstream chooses
// (request bodies being read and parsed, buffered upstream answers, SSE events being put
// together) is charged here before it is held, so the total stays under a fixed number of
// bytes whatever arrives. docs/architecture.md ("Memory model") derives the numbers.

/** A charge whose whole size stays at or under this may use the reserve: small requests keep working when large ones fill the budget. */
export const SMALL_CHARGE_BYTES = 64 * 1024;

export class MemoryBudget {
  private used = 0;

  /**
   * @param total   bytes that may be held at once, all charges together
   * @param reserve the part of `total` only small charges (SMALL_CHARGE_BYTES) may use
   */
  constructor(
    readonly total: number,
    readonly reserve: number,
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes n bytes, or nothing (false) when that would go over what a charge of this size may use. */
  tryTake(n: number, small: boolean): boolean {
    if (this.used + n > (small ? this.total : this.total - this.reserve)) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used -= n;
  }
}

/** What one connection holds at once (HTTP/1.1 pipelining can put several requests on it). */
export class ConnectionShare {
  held = 0;
  constructor(readonly limit: number) {}
}

/** Why a charge could not grow: its connection already holds its share, or the whole proxy its budget. */
export type Refusal = 'connection' | 'proxy';

/**
 * What one request (or one upstream answer) holds: grows as its data arrives, is released once
 * when that data is no longer referenced. The connection share applies to request bodies only.
 */
export class Charge {
  private held = 0;
  private released = false;
  refusal: Refusal | undefined;

  constructor(
    private readonly budget: MemoryBudget,
    private readonly connection?: ConnectionShare,
  ) {}

  get bytes(): number {
    return this.held;
  }

  /** Adds n bytes to the charge; false (and `refusal` set) when there is no room for them. */
  tryTake(n: number): boolean {
    if (this.released) return false;
    if (this.connection && this.connection.held + n > this.connection.limit) {
      this.refusal = 'connection';
      return false;
    }
    if (!this.budget.tryTake(n, this.held + n <= SMALL_CHARGE_BYTES)) {
      this.refusal = 'proxy';
      return false;
    }
    this.held += n;
    if (this.connection) this.connection.held += n;
    return true;
  }

  /** Gives back part of the charge (data dropped early). */
  shrink(n: number): void {
    const give = Math.min(n, this.held);
    this.held -= give;
    this.budget.release(give);
    if (this.connection) this.connection.held -= give;
  }

  /** Gives everything back; later calls do nothing. */
  release(): void {
    if (this.released) return;
    this.shrink(this.held);
    this.released = true;
  }
}

/**
 * The memory of one API request: its body (read, then parsed; counted against its connection's
 * share too) and its upstream answers (buffered JSON, SSE events being put together). Released
 * together when the response is closed, the moment nothing of the request is referenced any more.
 */
export class RequestMemory {
  readonly body: Charge;
  readonly answers: Charge;

  constructor(budget: MemoryBudget, connection: ConnectionShare) {
    this.body = new Charge(budget, connection);
    this.answers = new Charge(budget);
  }

  release(): void {
    this.body.release();
    this.answers.release();
  }
}
