// `node --import tsx bench/request-path.ts [--src DIR,DIR...] [--requests N] [--rounds N]`: the
// CPU one chat completion costs in ai-proxy's own JavaScript, without sockets, wrk or an
// upstream: the request handler driven in memory (src/http/in-memory.ts) with the built-in echo
// provider, one request after another, log lines at info written to a sink. Several builds
// (--src: checkouts' roots) are loaded into this one process and measured in turns, round after
// round, so a busy shared machine disturbs them alike; compare their minimums and medians.
// Absolute numbers include the in-memory harness and are not a request's real cost (`npm run
// bench` measures that).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    src: { type: 'string', default: resolve(import.meta.dirname, '..') },
    requests: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '15' },
  },
});
const roots = values.src.split(',').map((d) => resolve(d));
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);

const YAML = 'providers:\n  - name: echo\n    type: echo\n    models: [echo]\n';
// What the request log costs belongs to the request: written at info, to a sink instead of stdout.
const sink = { write: () => true };
const body = JSON.stringify({
  model: 'echo',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Say hello to the benchmark, briefly please.' },
  ],
  max_tokens: 16,
});

interface Build {
  root: string;
  run: (n: number) => Promise<number>;
  samples: number[];
}

async function load(root: string): Promise<Build> {
  const { inMemoryApp, requestInMemory, TEST_TOKEN } = (await import(
    `${root}/src/http/in-memory.ts`
  )) as typeof import('../src/http/in-memory.ts');
  const { Logger } = (await import(
    `${root}/src/observability/logger.ts`
  )) as typeof import('../src/observability/logger.ts');
  const app = inMemoryApp(YAML, {}, new Logger('info', sink));
  const init = {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
    body,
  };
  const run = async (n: number): Promise<number> => {
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const r = await requestInMemory(app.handle, '/v1/chat/completions', init);
      if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body.toString()}`);
    }
    const used = process.cpuUsage(start);
    return (used.user + used.system) / n;
  };
  return { root, run, samples: [] };
}

const builds: Build[] = [];
for (const root of roots) builds.push(await load(root));
for (const b of builds) await b.run(4 * REQUESTS); // warm-up: let TurboFan settle
for (let i = 0; i < ROUNDS; i++) for (const b of builds) b.samples.push(await b.run(REQUESTS));
for (const b of builds) {
  const s = [...b.samples].sort((x, y) => x - y);
  const median = s[Math.floor(s.length / 2)]!;
  process.stdout.write(
    `${JSON.stringify({ src: b.root, requests: REQUESTS, rounds: ROUNDS, minUs: +s[0]!.toFixed(2), medianUs: +median.toFixed(2) })}\n`,
  );
}
