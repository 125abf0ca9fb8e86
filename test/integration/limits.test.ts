// The proxy's bounds over real sockets and real SDK clients: the write timeout (a client that
// reads nothing is cut, one that reads slowly is not), max_connections, the caps on an upstream's
// buffered answer and SSE event (502, not retried), and a reload error that carries a secret.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startOpenAIMock } from '../mocks/openai.ts';
import type { MockUpstream } from '../mocks/server.ts';
import { openaiProvider, startInProcessProxy, TOKEN, type InProcessProxy } from './harness.ts';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A raw connection that asks for a streamed echo of many short words (~60 bytes out per byte in:
 * more than the kernel's socket buffers hold) and then reads only when told to.
 */
function requester(url: string, words: number): { socket: Socket; received: () => number } {
  const content = 'ab '.repeat(words);
  const body = JSON.stringify({ model: 'echo', stream: true, messages: [{ role: 'user', content }] });
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  socket.pause();
  socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.on('error', () => {});
  return { socket, received: () => socket.bytesRead };
}

describe('write timeout', () => {
  let px: InProcessProxy;
  before(async () => {
    px = await startInProcessProxy(
      'providers:\n  - {name: echo, type: echo, models: [echo]}\nserver:\n  write_timeout: 3\n',
    );
  });
  after(() => px.close());

  it('cuts an answer its client takes nothing of, and keeps one its client reads slowly', async () => {
    const stalled = requester(px.url, 300_000);
    const slow = requester(px.url, 300_000);
    // The slow client takes 512 KiB every 100 ms: below what the proxy offers, never nothing. Progress is
    // what the kernel accepts, so a reader must empty the socket buffers (~4 MB on loopback) within the timeout.
    const reader = setInterval(() => slow.socket.read(512 * 1024), 100);
    try {
      await sleep(500);
      assert.equal(px.proxy.app.inFlight.size, 2, 'both answers are being written');
      for (let i = 0; i < 100 && px.proxy.app.inFlight.size > 1; i++) await sleep(100);
      assert.equal(px.proxy.app.inFlight.size, 1, 'the stalled answer was cut within a few seconds');
      const before = slow.received();
      await sleep(4000);
      assert.equal(px.proxy.app.inFlight.size, 1, 'the slow one is still being written');
      assert.ok(slow.received() > before, 'and its client still receives it');
    } finally {
      clearInterval(reader);
      stalled.socket.destroy();
      slow.socket.destroy();
    }
  });
});

describe('max_connections', () => {
  it('closes connections beyond the limit at once and serves the others', async () => {
    const px = await startInProcessProxy(
      'providers:\n  - {name: echo, type: echo, models: [echo]}\nserver:\n  max_connections: 16\n',
    );
    const sockets: Socket[] = [];
    try {
      const closed: boolean[] = [];
      for (let i = 0; i < 24; i++) {
        const s = connect(Number(new URL(px.url).port), '127.0.0.1');
        const index = i;
        closed[index] = false;
        s.on('close', () => (closed[index] = true));
        s.on('error', () => {});
        sockets.push(s);
        await new Promise((r) => s.once('connect', r));
      }
      await sleep(300);
      assert.equal(closed.filter(Boolean).length, 8, 'the 8 connections over the limit were closed');
      for (const s of sockets.slice(0, 16)) s.destroy();
      await sleep(100);
      assert.equal((await fetch(`${px.url}/ping`)).status, 200, 'served again once under the limit');
    } finally {
      for (const s of sockets) s.destroy();
      await px.close();
    }
  });
});

describe('caps on what an upstream sends', () => {
  let upstream: MockUpstream;
  let px: InProcessProxy;
  let client: OpenAI;
  before(async () => {
    upstream = await startOpenAIMock();
    px = await startInProcessProxy(`providers:
${openaiProvider('up', upstream.url, '    max_retries: 2\n    models: [m]\n')}server:
  retry_base_delay: 0.01
  max_response_bytes: 1048576
  max_event_bytes: 65536
`);
    client = new OpenAI({ apiKey: TOKEN, baseURL: `${px.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await px.close();
    await upstream.close();
  });

  it('answers 502 to a JSON answer over max_response_bytes, once: the same answer is not asked for again', async () => {
    const n = upstream.requests.length;
    upstream.script({ kind: 'huge', bytes: 4 * MiB });
    await assert.rejects(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      (e: InstanceType<typeof OpenAI.APIError>) =>
        e.status === 502 && e.code === 'upstream_answer_too_large' && /over 1048576 bytes/.test(e.message),
    );
    assert.equal(upstream.requests.length, n + 1);
  });

  it('answers 502 to an SSE event over max_event_bytes, once, and cancels the stream upstream', async () => {
    const n = upstream.requests.length;
    upstream.script({ kind: 'endless-line' });
    await assert.rejects(
      (async () => {
        const stream = await client.chat.completions.create({
          model: 'm',
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        });
        for await (const _ of stream);
      })(),
      (e: InstanceType<typeof OpenAI.APIError>) =>
        e.status === 502 &&
        e.code === 'upstream_event_too_large' &&
        /over 65536 bytes \(server.max_event_bytes\)/.test(e.message),
    );
    assert.equal(upstream.requests.length, n + 1);
    assert.ok(await upstream.waitForAbort(n, 5000), 'the upstream stream was cancelled');
    assert.ok(upstream.requests.at(-1)!.flooded < 16 * MiB, 'the proxy stopped reading at the cap');
  });
});

describe('a config reload that fails', () => {
  it('keeps secrets out of /health and the log', async () => {
    const px = await startInProcessProxy('providers:\n  - {name: echo, type: echo, models: [echo]}\n');
    try {
      // A route naming the token as a provider: the error message quotes it.
      writeFileSync(
        join(px.dir, 'provider-config.yaml'),
        `providers:\n  - {name: echo, type: echo, models: [echo]}\nroutes:\n  r: ["${TOKEN}/m"]\n`,
      );
      const result = px.proxy.reload();
      assert.equal(result.ok, false);
      const health = await (await fetch(`${px.url}/health`)).text();
      assert.match(health, /last_reload_error/);
      assert.doesNotMatch(health, new RegExp(TOKEN));
      px.proxy.logger.flush();
      assert.ok(!px.logs.some((l) => l.includes(TOKEN)), 'the token is not in the log');
      assert.ok(px.logs.some((l) => l.includes('[REDACTED]')));
    } finally {
      await px.close();
    }
  });
});
