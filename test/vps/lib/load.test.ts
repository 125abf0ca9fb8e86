import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Load, type LoadRequest, failedCount } from './load.ts';

test('every way an answer can fail is counted as what a client saw, none retried', async () => {
  const server = createServer((req, res) => {
    res.setHeader('x-version', '1.0.0');
    if (req.url === '/reset') return req.socket.destroy();
    if (req.url === '/status') return res.writeHead(503).end('busy');
    if (req.url === '/plain') return res.end('pong');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: 1\n\n');
    if (req.url === '/cut') return setTimeout(() => req.socket.destroy(), 20);
    if (req.url === '/short') return res.end('data: 2\n\n');
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const done = 'data: [DONE]';
  const mix: LoadRequest[] = [
    { method: 'GET', path: '/plain' },
    { method: 'GET', path: '/stream', streamEnd: done },
    { method: 'GET', path: '/cut', streamEnd: done },
    { method: 'GET', path: '/short', streamEnd: done },
    { method: 'GET', path: '/reset' },
    { method: 'GET', path: '/status' },
  ];
  const load = Load.start({ host: '127.0.0.1', port, ratePerSecond: 100, mix, countHeader: 'x-version' });
  await new Promise((r) => setTimeout(r, 300));
  const report = await load.stop();
  server.close();
  // each entry of the mix was sent this many times, in turn
  const sent = (i: number) => Math.floor((report.sent - 1 - i) / mix.length) + 1;
  assert.ok(report.sent >= mix.length, `only ${report.sent} requests were sent`);
  assert.equal(report.ok, sent(0) + sent(1));
  assert.deepEqual(report.failed, {
    refused: 0,
    reset: sent(4),
    timeout: 0,
    status: sent(5),
    cut: sent(2) + sent(3),
    other: 0,
  });
  assert.deepEqual(report.streams, {
    sent: sent(1) + sent(2) + sent(3),
    finished: sent(1),
    cut: sent(2) + sent(3),
    longestMs: report.streams.longestMs,
  });
  assert.deepEqual(report.answeredBy, { '1.0.0': report.ok });
  assert.equal(failedCount(report), report.sent - report.ok);
  assert.ok(report.examples.length > 0);
});

test('a port nobody listens on counts as refused connections', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  const load = Load.start({ host: '127.0.0.1', port, ratePerSecond: 50, mix: [{ method: 'GET', path: '/' }] });
  await new Promise((r) => setTimeout(r, 100));
  const report = await load.stop();
  assert.ok(report.sent > 0);
  assert.equal(report.failed.refused, report.sent);
  assert.equal(report.ok, 0);
});
