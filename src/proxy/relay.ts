// Sends an upstream 2xx answer to the client: JSON (translated or as is) or SSE event by event.
// Nothing goes to the client until there is something to send, so a response that fails before
// its first byte can still fall back to the next target.
import type { ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { ClientAbort } from '../upstream/abort.ts';
import type { UpstreamAnswer, UpstreamStream } from '../upstream/exchange.ts';
import { classifyNetworkError } from '../upstream/attempt.ts';
import { SseParser } from '../upstream/sse.ts';
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
  | { ok: false; error: ProxyError; reason: string };

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

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

export interface StreamHooks {
  onCommit(): void;
  slowClientMs: number;
}

/**
 * Relays an SSE answer event by event as its chunks arrive. When the client's socket is full the
 * upstream is paused until it drains; a client that stays full for slowClientMs is cut off.
 */
export function relayStream(
  res: ServerResponse,
  stream: UpstreamStream,
  plan: Plan,
  providerName: string,
  signal: ClientAbort,
  hooks: StreamHooks,
): Promise<RelayResult> {
  return new Promise((resolve) => {
    const parser = new SseParser();
    const decoder = new StringDecoder('utf8');
    const tr = plan.streamTranslator();
    let committed = false;
    let slowTimer: NodeJS.Timeout | undefined;

    const settle = (result: RelayResult): void => {
      clearTimeout(slowTimer);
      res.off('drain', onDrain);
      resolve(result);
    };
    const onDrain = (): void => {
      clearTimeout(slowTimer);
      slowTimer = undefined;
      stream.resume();
    };
    const onSlowClient = (): void => {
      stream.cancel();
      res.destroy();
      settle({ ok: true, usage: tr.usage, error: 'client stopped reading (slow client timeout)' });
    };
    const write = (text: string): void => {
      if (text === '') return;
      if (!committed) {
        committed = true;
        res.writeHead(200, SSE_HEADERS);
        hooks.onCommit();
      }
      if (!res.write(text) && slowTimer === undefined) {
        stream.pause();
        slowTimer = setTimeout(onSlowClient, hooks.slowClientMs);
        res.once('drain', onDrain);
      }
    };
    /** Relays what the text completes; false once the upstream sent an error event. */
    const relay = (text: string): boolean => {
      for (const ev of parser.push(text)) {
        write(tr.event(ev));
        if (tr.failed) {
          stream.cancel();
          res.end();
          settle({ ok: true, usage: tr.usage, error: 'upstream sent an error event', reason: 'stream_error_event' });
          return false;
        }
      }
      return true;
    };
    const fail = (error: Error | undefined): void => {
      if (signal.aborted || res.destroyed) return settle({ ok: true, usage: tr.usage, error: 'client closed' });
      const c = error
        ? classifyNetworkError(error, providerName)
        : {
            reason: 'truncated',
            error: new ProxyError(
              502,
              'api_error',
              `upstream ${providerName} ended the stream before it was complete`,
              'upstream_stream_truncated',
            ),
          };
      if (!committed) return settle({ ok: false, error: c.error, reason: c.reason });
      // Headers are gone: the only honest signal left is an error event in the stream itself.
      res.end(tr.error(c.error.message, c.error.type));
      settle({ ok: true, usage: tr.usage, error: c.error.message, reason: c.reason });
    };

    stream.read({
      // After settle() the stream has no reader (ended, failed or cancelled): nothing arrives here.
      data: (chunk) => {
        relay(decoder.write(chunk));
      },
      end: () => {
        if (!relay(decoder.end())) return;
        for (const ev of parser.flush()) write(tr.event(ev));
        const tail = tr.end();
        if (tail === undefined) return fail(undefined);
        write(tail);
        res.end();
        settle({ ok: true, usage: tr.usage });
      },
      error: fail,
    });
  });
}
