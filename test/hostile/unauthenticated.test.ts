// Attacks that need no token: what any scanner on the internet sends. The proxy must stay
// within a fixed memory, keep /metrics small and parsable, and log a rate-limited summary
// instead of one line per request, while well-behaved clients carry on.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { round1, underAttack } from './lib/attack.ts';
import { preconditions } from './lib/executable.ts';
import { flood, rawRequest } from './lib/raw-http.ts';

const { skip, executable } = preconditions();
const PADDING = 'a'.repeat(15 * 1024);
/** Log lines an attack of a few seconds may add: a summary per second, not a line per request. */
const MAX_LOG_LINES = 40;

/** The attack's own log lines: the bystanders' requests are logged one by one, as they should be. */
const attackLines = (o: { attackLogLines: number; figures: { bystanderRequests: number } }) =>
  o.attackLogLines - o.figures.bystanderRequests;
const MAX_LOG_LINE = 4096;
/** Idle is ~55 MiB; an unauthenticated client gets nothing it could make the proxy keep. */
const PEAK_RSS_MIB = 100;
/**
 * The padded-path flood leaves 60 MB of garbage strings for the collector: its peak was 85-100
 * MiB with nothing kept (/metrics and the log, asserted below, are what a leak would grow), and
 * 133 MiB when every path became a label.
 */
const PADDED_FLOOD_PEAK_RSS_MIB = 120;

describe('hostile: unauthenticated floods', { skip }, () => {
  let bin: string;
  before(async () => {
    bin = await executable();
  });

  it('4,000 unknown /v1/ paths with 15 KB of padding', async (t) => {
    const outcome = await underAttack(t, bin, { peakRssMiB: PADDED_FLOOD_PEAK_RSS_MIB }, async (proxy) => {
      const r = await flood(proxy.port, 4000, 8, (i) => `GET /v1/${i}${PADDING} HTTP/1.1\r\nhost: x\r\n\r\n`);
      assert.equal(r.statuses[404], 4000, JSON.stringify(r));
      return { floodSeconds: round1(r.seconds) };
    });
    const { figures } = outcome;
    assert.ok(figures.metricsBytes < 64 * 1024, `/metrics grew to ${figures.metricsBytes} bytes`);
    assert.ok(attackLines(outcome) < MAX_LOG_LINES, `${attackLines(outcome)} log lines for one flood`);
    assert.ok(figures.longestLogLine <= MAX_LOG_LINE, `a log line of ${figures.longestLogLine} bytes`);
  });

  it('quotes and backslashes in the path keep /metrics parsable', async (t) => {
    await underAttack(t, bin, { peakRssMiB: PEAK_RSS_MIB }, async (proxy) => {
      for (const path of ['/v1/"x', '/v1/x\\', '/v1/%22}%0a', '/v1/\\"}%0A'])
        assert.equal(await rawRequest(proxy.port, `GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`), 404, path);
      return {};
    });
  });

  it('4,000 requests with a wrong token and a body', async (t) => {
    const body = JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'x'.repeat(4000) }] });
    const outcome = await underAttack(t, bin, { peakRssMiB: PEAK_RSS_MIB }, async (proxy) => {
      const r = await flood(
        proxy.port,
        4000,
        8,
        (i) =>
          `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer guess-${i}\r\n` +
          `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
      assert.equal(r.statuses[401], 4000, JSON.stringify(r));
      return { floodSeconds: round1(r.seconds) };
    });
    assert.ok(attackLines(outcome) < MAX_LOG_LINES, `${attackLines(outcome)} log lines for one flood`);
  });

  it('1,000 requests with 64 KB of headers', async (t) => {
    await underAttack(t, bin, { peakRssMiB: PEAK_RSS_MIB }, async (proxy) => {
      const header = `x-junk: ${'h'.repeat(64 * 1024)}\r\n`;
      const r = await flood(proxy.port, 1000, 8, () => `GET /v1/models HTTP/1.1\r\nhost: x\r\n${header}\r\n`);
      assert.equal((r.statuses[431] ?? 0) + r.connectionErrors, 1000, JSON.stringify(r));
      return { floodSeconds: round1(r.seconds) };
    });
  });
});
