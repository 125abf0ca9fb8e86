// Sends an upstream 2xx answer to the client: JSON (translated or as is) or SSE event by event.
// Nothing goes to the client until there is something to send, so a response that fails before
// its first byte can still fall back to the next target.
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { ClientAbort } from '../upstream/abort.ts';
import type { UpstreamAnswer } from '../upstream/exchange.ts';
import { classifyNetworkError } from '../upstream/attempt.ts';
import { SseParser } from '../upstream/sse.ts';
import type { Json, Usage } from '../translate/types.ts';
import { ProxyError } from './errors.ts';
import type { Plan } from './plan.ts';

/**
 * ok: the client got its answer (or is gone); `error` says what went wrong after the first byte
 * and `reason` is set when that was the upstream's fault. Not ok: nothing was sent yet, so the
 * next attempt or target may still answer.
 */
export type RelayResult = { ok: true; usage: Usage | undefined; error?: string; reason?: string } | { ok: false; error: ProxyError; reason: string };

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

export class SlowClient extends Error {}

/** Waits for the client to take more data; a client that stops reading is cut off. */
function drain(res: ServerResponse, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new SlowClient());
    }, timeoutMs);
    const done = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      res.off('drain', done);
      res.off('close', done);
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

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
      return { ok: false, error: new ProxyError(502, 'api_error', `upstream ${providerName} sent a response that is not JSON`, 'upstream_bad_response'), reason: 'bad_response' };
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

export interface StreamHooks {
  onCommit(): void;
  slowClientMs: number;
}

export async function relayStream(
  res: ServerResponse,
  body: Readable,
  plan: Plan,
  providerName: string,
  signal: ClientAbort,
  hooks: StreamHooks,
): Promise<RelayResult> {
  const parser = new SseParser();
  const tr = plan.streamTranslator();
  let committed = false;
  const write = async (text: string) => {
    if (text === '') return;
    if (!committed) {
      committed = true;
      res.writeHead(200, SSE_HEADERS);
      hooks.onCommit();
    }
    if (!res.write(text)) await drain(res, hooks.slowClientMs);
  };
  body.setEncoding('utf8');
  try {
    for await (const chunk of body) {
      for (const ev of parser.push(chunk as string)) {
        await write(tr.event(ev));
        if (tr.failed) break;
      }
      if (tr.failed) break;
    }
    if (tr.failed) {
      body.destroy();
      res.end();
      return { ok: true, usage: tr.usage, error: 'upstream sent an error event', reason: 'stream_error_event' };
    }
    for (const ev of parser.flush()) await write(tr.event(ev));
    const tail = tr.end();
    if (tail === undefined) throw Object.assign(new Error('upstream stream ended before completion'), { code: 'STREAM_TRUNCATED' });
    await write(tail);
    res.end();
    return { ok: true, usage: tr.usage };
  } catch (error) {
    if (error instanceof SlowClient) {
      body.destroy();
      res.destroy();
      return { ok: true, usage: tr.usage, error: 'client stopped reading (slow client timeout)' };
    }
    if (signal.aborted || res.destroyed) return { ok: true, usage: tr.usage, error: 'client closed' };
    const truncated = (error as { code?: string }).code === 'STREAM_TRUNCATED';
    const c = truncated
      ? { reason: 'truncated', error: new ProxyError(502, 'api_error', `upstream ${providerName} ended the stream before it was complete`, 'upstream_stream_truncated') }
      : classifyNetworkError(error, providerName);
    if (!committed) return { ok: false, error: c.error, reason: c.reason };
    // Headers are gone: the only honest signal left is an error event in the stream itself.
    res.end(tr.error(c.error.message, c.error.type));
    return { ok: true, usage: tr.usage, error: c.error.message, reason: c.reason };
  }
}
