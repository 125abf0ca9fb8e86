// `node --import tsx bench/request-path.ts [--src DIR] [--requests N] [--rounds N]`: the CPU one
// chat completion costs in ai-proxy's own JavaScript, without sockets, wrk or an upstream: the
// request handler driven in memory (src/http/in-memory.ts) with the built-in echo provider, one
// request after another, log lines at info written to a sink. Differences between two builds
// (--src: another checkout's root) show what a change to the request path costs, with far less
// noise than a whole-system run on a shared machine; absolute numbers include the in-memory
// harness and are not a request's real cost (`npm run bench` measures that).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    src: { type: 'string', default: resolve(import.meta.dirname, '..') },
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '7' },
  },
});
const root = resolve(values.src);
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);

const { inMemoryApp, requestInMemory, TEST_TOKEN } = (await import(
  `${root}/src/http/in-memory.ts`
)) as typeof import('../src/http/in-memory.ts');
const { Logger } = (await import(
  `${root}/src/observability/logger.ts`
)) as typeof import('../src/observability/logger.ts');

const YAML = 'providers:\n  - name: echo\n    type: echo\n    models: [echo]\n';
// What the request log costs belongs to the request: written at info, to a sink instead of stdout.
const sink = { write: () => true };
const app = inMemoryApp(YAML, {}, new Logger('info', sink));
const body = JSON.stringify({
  model: 'echo',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Say hello to the benchmark, briefly please.' },
  ],
  max_tokens: 16,
});
const init = {
  method: 'POST',
  headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
  body,
};

async function round(n: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const r = await requestInMemory(app.handle, '/v1/chat/completions', init);
    if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body.toString()}`);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

await round(REQUESTS); // warm-up: let TurboFan settle
const samples: number[] = [];
for (let i = 0; i < ROUNDS; i++) samples.push(await round(REQUESTS));
samples.sort((a, b) => a - b);
const median = samples[Math.floor(samples.length / 2)]!;
process.stdout.write(
  `${JSON.stringify({ src: root, requests: REQUESTS, rounds: ROUNDS, medianUs: +median.toFixed(2), minUs: +samples[0]!.toFixed(2), maxUs: +samples.at(-1)!.toFixed(2) })}\n`,
);
