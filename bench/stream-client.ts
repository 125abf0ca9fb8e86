// Streaming load client, run in its own process (Node 24 strips the types). Raw TCP sockets, one
// connection per stream and no HTTP client library, so the timings are the target's, not a
// client parser's.
//
//   latency mode: --url U --headers JSON --concurrency C --duration-ms D [--warmup-ms W]
//     [--body-file F --done-marker M]: send F's JSON (stream: true) instead of a chat request,
//     and count a stream as complete once M (default "[DONE]") was seen
//     C workers each run streams back to back; prints {"ttfb_us":[...],"gap_us":[...],...}
//     TTFB = request written -> first SSE event; gap = time between SSE-bearing reads.
//   hold mode: --hold --url U --headers JSON --steps 1000,2000,5000
//     opens streams up to each step, prints {"open":N,"failed":F}, waits for a line on stdin,
//     then goes on; after the last step (or when a whole batch failed to open: "stalled") it
//     prints {"done":true} and exits when stdin closes.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    headers: { type: 'string', default: '{}' },
    concurrency: { type: 'string', default: '10' },
    'duration-ms': { type: 'string', default: '5000' },
    'warmup-ms': { type: 'string', default: '1000' },
    hold: { type: 'boolean', default: false },
    steps: { type: 'string', default: '1000,2000,3000,4000,5000' },
    'open-timeout-ms': { type: 'string', default: '10000' },
    'body-file': { type: 'string' },
    'done-marker': { type: 'string', default: '[DONE]' },
  },
});
const doneMarker = values['done-marker'];
if (!values.url) throw new Error('stream-client: --url is required');
const target = new URL(values.url);
const extraHeaders = JSON.parse(values.headers) as Record<string, string>;

function requestBytes(content: string): Buffer {
  const body = values['body-file']
    ? readFileSync(values['body-file'], 'utf8')
    : JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content }] });
  const lines = [
    `POST ${target.pathname} HTTP/1.1`,
    `Host: ${target.host}`,
    'Content-Type: application/json',
    'Accept: text/event-stream',
    'Connection: close',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(extraHeaders).map(([name, value]) => `${name}: ${value}`),
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

const port = Number(target.port);
const host = target.hostname;
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

interface StreamResult {
  ok: boolean;
  ttfbUs: number;
  gapsUs: number[];
  events: number;
}

function oneStream(request: Buffer): Promise<StreamResult> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setNoDelay(true);
    let sentAt = 0;
    let lastAt = 0;
    let ttfbUs = -1;
    let events = 0;
    let status = '';
    let sawDone = false;
    const gapsUs: number[] = [];
    socket.on('connect', () => {
      sentAt = nowUs();
      socket.write(request);
    });
    socket.on('data', (data: Buffer) => {
      const at = nowUs();
      const text = data.toString('latin1');
      if (!status) status = text.slice(9, 12);
      const count = text.split('data: ').length - 1;
      if (count > 0) {
        if (ttfbUs < 0) ttfbUs = at - sentAt;
        else gapsUs.push(at - lastAt);
        lastAt = at;
        events += count;
        if (text.includes(doneMarker)) sawDone = true;
      }
      // Some servers keep the socket despite "Connection: close": the stream is over once the
      // last chunk of the chunked body is in, so do not wait for their idle timeout.
      if (sawDone && text.endsWith('0\r\n\r\n')) socket.destroy();
    });
    const finish = (): void => resolve({ ok: status === '200' && sawDone, ttfbUs, gapsUs, events });
    socket.on('close', finish);
    socket.on('error', () => undefined);
  });
}

async function latencyMode(): Promise<void> {
  const request = requestBytes('Say hello in twenty words.');
  const concurrency = Number(values.concurrency);
  const warmupEnd = Date.now() + Number(values['warmup-ms']);
  const end = warmupEnd + Number(values['duration-ms']);
  const ttfb: number[] = [];
  const gaps: number[] = [];
  let streams = 0;
  let allStreams = 0;
  let failed = 0;
  let events = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      const result = await oneStream(request);
      allStreams += 1;
      if (Date.now() < warmupEnd) continue;
      streams += 1;
      if (!result.ok) {
        failed += 1;
        continue;
      }
      ttfb.push(result.ttfbUs);
      gaps.push(...result.gapsUs);
      events += result.events;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  process.stdout.write(
    `${JSON.stringify({ streams, all_streams: allStreams, failed, events, ttfb_us: ttfb, gap_us: gaps })}\n`,
  );
}

async function holdMode(): Promise<void> {
  const request = requestBytes('HOLD_STREAM: keep this stream open.');
  const steps = values.steps.split(',').map(Number);
  const sockets: Socket[] = [];
  let open = 0;
  let failed = 0;
  const input = createInterface({ input: process.stdin });
  const lines = input[Symbol.asyncIterator]();
  const openOne = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect(port, host);
      sockets.push(socket);
      let settled = false;
      let isOpen = false;
      const settle = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        isOpen = ok;
        if (ok) open += 1;
        else failed += 1;
        resolve();
      };
      const timer = setTimeout(() => settle(false), Number(values['open-timeout-ms']));
      socket.on('connect', () => socket.write(request));
      socket.on('data', (data: Buffer) => {
        if (data.toString('latin1').includes('data: ')) settle(true);
      });
      socket.on('close', () => {
        if (isOpen) {
          // A stream that was open and then dropped (the target died or shed it).
          isOpen = false;
          open -= 1;
          failed += 1;
        }
        settle(false);
      });
      socket.on('error', () => undefined);
    });
  let opened = 0;
  let stalled = false;
  for (const step of steps) {
    // Open in batches of 100 so a slow target is measured, not the client's connect burst.
    // A batch in which no stream opened means the target has stopped taking streams: going on
    // would only wait out the open timeout once per batch.
    while (opened < step && !stalled) {
      const batch = Math.min(100, step - opened);
      const openBefore = open;
      await Promise.all(Array.from({ length: batch }, openOne));
      opened += batch;
      stalled = open === openBefore;
    }
    process.stdout.write(`${JSON.stringify({ step, open, failed, stalled })}\n`);
    if (stalled) break;
    const next = await lines.next();
    if (next.done) break;
  }
  process.stdout.write(`${JSON.stringify({ done: true, open, failed })}\n`);
  for (const socket of sockets) socket.destroy();
  input.close();
}

if (values.hold) await holdMode();
else await latencyMode();
