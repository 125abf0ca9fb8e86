import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { SseParser } from '../../upstream/sse.ts';
import { countTokens, pieces, respondEcho } from './respond.ts';

/** node:http's ServerResponse over a socket that takes bytes only when the test lets it: a client that stopped reading. */
function slowClient() {
  const wire: Buffer[] = [];
  let hold = true;
  const waiting: (() => void)[] = [];
  const socket = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, done) {
      wire.push(chunk);
      if (hold) waiting.push(done);
      else done();
    },
  });
  const req = new IncomingMessage(socket as unknown as Socket);
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  const res = new ServerResponse(req);
  res.assignSocket(socket as unknown as Socket);
  // What node:http's server does for the response that owns the socket.
  socket.on('drain', () => res.emit('drain'));
  return {
    res,
    socket,
    received: () => Buffer.concat(wire).toString('utf8'),
    startReading() {
      hold = false;
      for (const done of waiting.splice(0)) done();
    },
  };
}

/** The body of a chunked HTTP/1.1 response. */
function dechunk(data: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    const size = Number.parseInt(data.slice(at, lineEnd), 16);
    if (!(size > 0)) return out;
    out += data.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

describe('echo provider', () => {
  it('streams only as fast as the client reads', async () => {
    const client = slowClient();
    const text = 'ab '.repeat(50_000);
    const body = { model: 'echo', stream: true, messages: [{ role: 'user', content: text }] };
    const done = respondEcho('chat', body, 'echo', client.res);
    await new Promise((r) => setTimeout(r, 50));
    const queued = client.socket.writableLength + client.res.writableLength;
    assert.ok(queued < 256 * 1024, `${queued} bytes queued for a client that reads nothing`);
    client.startReading();
    const usage = await done;
    assert.equal(usage.completion, 50_000);
    const wire = client.received();
    const events = new SseParser().push(dechunk(wire.slice(wire.indexOf('\r\n\r\n') + 4)));
    let echoed = '';
    for (const ev of events) {
      if (ev.data === '[DONE]') continue;
      echoed += (JSON.parse(ev.data) as { choices: { delta: { content?: string } }[] }).choices[0]!.delta.content ?? '';
    }
    assert.ok(echoed === text, `the echo has ${echoed.length} of ${text.length} characters`);
  });

  it('cuts long words into pieces and counts words without splitting the text', () => {
    assert.deepEqual([...pieces('hello  world')], ['hello  ', 'world']);
    assert.deepEqual(
      [...pieces('x'.repeat(600))].map((p) => p.length),
      [256, 256, 88],
    );
    assert.deepEqual([...pieces('')], ['']);
    assert.equal(countTokens(' one two\tthree\n'), 3);
  });
});
