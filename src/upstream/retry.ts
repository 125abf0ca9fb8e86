// When to try again and how long to wait: exponential backoff with jitter, never sooner than
// the upstream's Retry-After (retry-after-ms, seconds, or an HTTP date).
import type { IncomingHttpHeaders } from 'node:http';

/** Statuses worth another attempt: the upstream may answer differently in a moment. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/** Statuses that say this provider cannot serve it (bad key, unknown model): try the next target. */
export function isProviderFault(status: number): boolean {
  return status === 401 || status === 403 || status === 404;
}

/** "Equal jitter": half the exponential step fixed, half random, capped. attempt counts from 1. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

type HeaderBag = IncomingHttpHeaders | Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The delay the upstream asked for, in ms, or undefined when it did not say. */
export function retryAfterMs(headers: HeaderBag, now: number = Date.now()): number | undefined {
  const ms = first(headers['retry-after-ms']);
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const ra = first(headers['retry-after'])?.trim();
  if (ra === undefined || ra === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Math.ceil(Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RetryDecision {
  retry: boolean;
  delayMs: number;
}

/**
 * After failed attempt number `attempt` (1-based): retry on this target, or move on. A Retry-After
 * longer than maxMs means "not soon": the next target is a better bet than waiting.
 */
export function decideRetry(
  attempt: number,
  maxRetries: number,
  retryAfter: number | undefined,
  baseMs: number,
  maxMs: number,
  random?: () => number,
): RetryDecision {
  if (attempt > maxRetries) return { retry: false, delayMs: 0 };
  if (retryAfter !== undefined && retryAfter > maxMs) return { retry: false, delayMs: 0 };
  const delay = Math.max(backoffMs(attempt, baseMs, maxMs, random), retryAfter ?? 0);
  return { retry: true, delayMs: delay };
}
