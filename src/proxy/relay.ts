// Sends an upstream 2xx JSON answer to the client, translated or as is (relay-stream.ts does SSE),
// and what every relay reports back. Nothing goes to the client until there is something to send,
// so a response that fails before its first byte can still fall back to the next target.
import type { ServerResponse } from 'node:http';
import type { UpstreamAnswer } from '../upstream/exchange.ts';
import type { Json, Usage } from '../translate/types.ts';
import { ProxyError } from '../http/errors.ts';
import type { Plan } from './plan.ts';

/**
 * ok: the client got its answer (or is gone); `error` says what went wrong after the first byte
 * and `reason` is set when that was the upstream's fault. Not ok: nothing was sent yet, so the
 * next attempt or target may still answer.
 */
export type RelayResult =
  | { ok: true; usage: Usage | undefined; error?: string; reason?: string }
  | { ok: false; error: ProxyError; reason: string; retryable?: boolean };

/** Finds the last "usage" object in a JSON text and parses just that, not the whole body. */
export function extractUsageObject(text: string): Json | undefined {
  const at = text.lastIndexOf('"usage"');
  if (at === -1) return undefined;
  const open = text.indexOf('{', at);
  if (open === -1 || text.slice(at + 7, open).trim() !== ':') return undefined;
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) {
      try {
        return JSON.parse(text.slice(open, i + 1)) as Json;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Sends a complete 2xx JSON answer, translated when the client speaks another API. */
export function relayJson(res: ServerResponse, answer: UpstreamAnswer, plan: Plan, providerName: string): RelayResult {
  const buf = answer.body!;
  let out: string | Buffer = buf;
  let usage: Usage | undefined;
  if (plan.translateJson) {
    let parsed: Json;
    try {
      parsed = JSON.parse(buf.toString('utf8')) as Json;
    } catch {
      return {
        ok: false,
        error: new ProxyError(
          502,
          'api_error',
          `upstream ${providerName} sent a response that is not JSON`,
          'upstream_bad_response',
        ),
        reason: 'bad_response',
      };
    }
    usage = plan.usageOf(parsed);
    out = JSON.stringify(plan.translateJson(parsed));
  } else {
    // Only the tail from the last "usage" key is decoded: embeddings bodies can be megabytes.
    const at = buf.lastIndexOf('"usage"');
    const u = at === -1 ? undefined : extractUsageObject(buf.toString('utf8', at));
    usage = u ? plan.usageOf({ usage: u }) : undefined;
  }
  const ct = answer.headers['content-type'];
  res.writeHead(200, {
    'content-type': plan.translateJson ? 'application/json' : ((Array.isArray(ct) ? ct[0] : ct) ?? 'application/json'),
    'content-length': Buffer.byteLength(out),
  });
  res.end(out);
  return { ok: true, usage };
}
