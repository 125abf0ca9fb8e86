import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, type IncomingMessage, type Server } from 'node:http';
import { redirectLocation, startHttpPort } from './http-port.ts';

describe('redirectLocation', () => {
  it('keeps host, path and query, drops the HTTP port, adds the public HTTPS port unless 443', () => {
    assert.equal(redirectLocation('api.example.com', '/v1/models?x=1', 443), 'https://api.example.com/v1/models?x=1');
    assert.equal(redirectLocation('API.example.com:80', '/', 443), 'https://api.example.com/');
    assert.equal(redirectLocation('api.example.com:8080', '/health', 8443), 'https://api.example.com:8443/health');
    assert.equal(redirectLocation('[2001:db8::1]:80', '/a', 443), 'https://[2001:db8::1]/a');
    assert.equal(
      redirectLocation('10.0.0.1', 'http://evil.example/x', 443),
      'https://10.0.0.1/',
      'an absolute-form target cannot pick the host',
    );
  });

  it('refuses a missing or malformed Host', () => {
    assert.equal(redirectLocation(undefined, '/', 443), undefined);
    assert.equal(redirectLocation('evil.example/x', '/', 443), undefined);
    assert.equal(redirectLocation('a b', '/', 443), undefined);
  });
});

describe('the HTTP_PORT listener', () => {
  let server: Server;
  let base: string;
  let ready = false;
  before(async () => {
    const started = await startHttpPort(0, '127.0.0.1', {
      challenge: (token) => (token === 'tok123' ? 'tok123.keyauth' : undefined),
      ready: () => ready,
      health: () => ({ status: 'error', body: '{"status":"error"}' }),
      publicHttpsPort: 443,
    });
    server = started.server;
    base = `http://127.0.0.1:${started.address.port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('answers an HTTP-01 challenge it knows, 404 for others', async () => {
    const ok = await fetch(`${base}/.well-known/acme-challenge/tok123`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'tok123.keyauth');
    assert.equal((await fetch(`${base}/.well-known/acme-challenge/other`)).status, 404);
  });

  it('serves live/ready/health to loopback, 503 while not ready', async () => {
    assert.equal((await fetch(`${base}/health/live`)).status, 200);
    assert.equal((await fetch(`${base}/health/ready`)).status, 503);
    ready = true;
    assert.equal((await fetch(`${base}/health/ready`)).status, 200);
    assert.equal((await fetch(`${base}/health`)).status, 503);
  });

  it('redirects everything else with 308, API calls included', async () => {
    // fetch cannot set Host: node:http can.
    const r = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        `${base}/v1/chat/completions`,
        { method: 'POST', headers: { host: 'api.example.com' } },
        resolve,
      );
      req.on('error', reject);
      req.end('{}');
    });
    r.resume();
    assert.equal(r.statusCode, 308);
    assert.equal(r.headers.location, 'https://api.example.com/v1/chat/completions');
    assert.equal((await fetch(`${base}/x`, { redirect: 'manual' })).headers.get('location'), `https://127.0.0.1/x`);
  });
});
