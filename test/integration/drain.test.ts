// The drain controller (src/http/drain.ts) on real sockets: what a client on an idle keep-alive
// connection, a client in the middle of a stream and a new client see while a server drains,
// and the hand-over between two servers that share a port with SO_REUSEPORT.
import assert from 'node:assert/strict';
import { Agent, createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { type DrainProgress, type OpenRequest, drain } from '../../src/http/drain.ts';
import { listenOn } from '../../src/http/listen.ts';

/** A server whose /stream answers one event per `tick` until released, and /ping at once. */
function testServer(name: string) {
  const open = new Map<ServerResponse, OpenRequest>();
  let draining = false;
  let release: () => void = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    open.set(res, {
      id: String(open.size),
      path: req.url ?? '',
      model: '',
      stream: req.url === '/stream',
      startedAt: performance.now(),
    });
    res.on('close', () => open.delete(res));
    res.setHeader('x-server', name);
    if (draining) res.setHeader('connection', 'close');
    if (req.url !== '/stream') return res.end('pong');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: first\n\n');
    void released.then(() => res.end('data: [DONE]\n\n'));
  });
  return {
    server,
    release,
    start: (opts: { limitMs?: number; idleGraceMs?: number; reports?: DrainProgress[] } = {}) => {
      draining = true;
      return drain(
        {
          server,
          openRequests: () => [...open.values()],
          closeIdle: () => server.closeIdleConnections(),
          cutAll: () => server.closeAllConnections(),
        },
        {
          delayMs: 0,
          limitMs: opts.limitMs ?? 30_000,
          idleGraceMs: opts.idleGraceMs ?? 30_000,
          reportEveryMs: 20,
          report: (p) => opts.reports?.push(p),
        },
      );
    },
  };
}

interface Answer {
  status: number;
  server: string;
  connection: string;
  body: string;
  complete: boolean;
}

/** Sends GET `path`; `answered` resolves at the answer's first byte, `done` when it ended. */
function send(port: number, path: string, agent: Agent | false = false) {
  let answered: (server: string) => void = () => {};
  const first = new Promise<string>((r) => {
    answered = r;
  });
  const done = new Promise<Answer>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (!body) answered(String(res.headers['x-server']));
        body += c;
      });
      res.on('error', () => {});
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          server: String(res.headers['x-server']),
          connection: String(res.headers.connection),
          body,
          complete: res.complete,
        }),
      );
    }).on('error', reject);
  });
  return { first, done };
}

const request = (port: number, path: string, agent: Agent | false = false) => send(port, path, agent).done;

function newConnection(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('drain', { timeout: 20_000 }, () => {
  it('keeps idle keep-alive connections: a request sent on one after the drain began is answered, with Connection: close', async () => {
    const a = testServer('a');
    const { port } = await listenOn(a.server, { port: 0, host: '127.0.0.1' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await request(port, '/ping', agent)).body, 'pong');
    const drained = a.start();
    assert.equal(await newConnection(port), 'ECONNREFUSED', 'the port no longer accepts');
    // the agent's one socket is the idle connection opened before the drain
    const answer = await request(port, '/ping', agent);
    assert.deepEqual([answer.status, answer.body, answer.connection], [200, 'pong', 'close']);
    const result = await drained;
    assert.equal(result.cut, 0);
    agent.destroy();
  });

  it('closes idle keep-alive connections once nothing has run for the idle grace, and ends', async () => {
    const a = testServer('a');
    const { port } = await listenOn(a.server, { port: 0, host: '127.0.0.1' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await request(port, '/ping', agent)).body, 'pong');
    const result = await a.start({ idleGraceMs: 200, limitMs: 10_000 });
    assert.equal(result.cut, 0, 'an idle connection is closed, not cut');
    assert.ok(
      result.ms < 10_000,
      `the drain waited for its limit (${result.ms} ms) instead of closing the idle connection`,
    );
    agent.destroy();
  });

  it('lets a stream that began before the drain finish, and reports it while waiting', async () => {
    const a = testServer('a');
    const { port } = await listenOn(a.server, { port: 0, host: '127.0.0.1' });
    const stream = send(port, '/stream');
    await stream.first;
    const reports: DrainProgress[] = [];
    const drained = a.start({ reports });
    let finished = false;
    void drained.then(() => {
      finished = true;
    });
    while (!reports.some((r) => r.phase === 'waiting')) await new Promise((r) => setTimeout(r, 10));
    assert.equal(finished, false, 'the drain waits for the stream');
    const waiting = reports.find((r) => r.phase === 'waiting');
    assert.equal(waiting?.streams, 1, 'the open stream is reported');
    assert.equal(waiting?.oldest[0]?.path, '/stream');
    a.release();
    const answer = await stream.done;
    assert.ok(answer.complete && answer.body.endsWith('data: [DONE]\n\n'), `the stream was cut: ${answer.body}`);
    assert.equal((await drained).cut, 0);
    assert.equal(reports.at(-1)?.phase, 'done');
  });

  it('cuts what is still open at the limit and says how many', async () => {
    const a = testServer('a');
    const { port } = await listenOn(a.server, { port: 0, host: '127.0.0.1' });
    const stream = send(port, '/stream');
    await stream.first;
    const reports: DrainProgress[] = [];
    const result = await a.start({ limitMs: 200, reports });
    assert.equal(result.cut, 1);
    assert.equal(reports.at(-1)?.phase, 'cut');
    assert.equal((await stream.done).complete, false, 'the client sees its stream cut');
  });

  it('hands a shared port (SO_REUSEPORT) over: new connections reach the newer server, the older one finishes its stream', async () => {
    const a = testServer('a');
    const b = testServer('b');
    const { port } = await listenOn(a.server, { port: 0, host: '127.0.0.1', reusePort: true });
    await listenOn(b.server, { port, host: '127.0.0.1', reusePort: true });
    // a stream on a: the kernel picks a listener per connection, so open streams until a has one
    let onA: Promise<Answer> | undefined;
    for (let i = 0; i < 200 && !onA; i++) {
      const stream = send(port, '/stream');
      if ((await stream.first) === 'a') onA = stream.done;
    }
    assert.ok(onA, 'the kernel never chose server a');
    const drained = a.start();
    const after = await Promise.all(Array.from({ length: 20 }, () => request(port, '/ping', false)));
    assert.deepEqual(
      new Set(after.map((r) => r.server)),
      new Set(['b']),
      'only the newer server takes new connections',
    );
    a.release();
    assert.ok((await onA).complete, 'the older server finished its stream');
    assert.equal((await drained).cut, 0);
    b.release();
    await new Promise<void>((r) => b.server.close(() => r()));
  });
});
