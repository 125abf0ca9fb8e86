// The floor must speak the OpenAI wire format exactly, or every target is measured against a
// server no real client could use: drive bench/upstream.ts with the official openai SDK.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startWithPortLine, type Proc } from './lib/proc.ts';

let upstream: { proc: Proc; port: number };
let client: OpenAI;
const log = join(process.env.TMPDIR ?? '/tmp', `aip-bench-upstream-test-${process.pid}.log`);

before(async () => {
  upstream = await startWithPortLine(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'upstream.ts'), '--chunks', '3', '--interval-ms', '1'],
    log,
  );
  client = new OpenAI({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${upstream.port}/v1`, maxRetries: 0 });
});
after(async () => {
  await upstream.proc.stop();
  rmSync(log, { force: true });
});

test('non-streaming answers parse as a chat.completion with usage', async () => {
  const completion = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.choices[0]?.finish_reason, 'stop');
  assert.match(completion.choices[0]?.message.content ?? '', /quick brown fox/);
  assert.equal(completion.usage?.total_tokens, 64);
});

test('streams parse chunk by chunk and end with finish_reason stop', async () => {
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.equal(chunks.length, 5); // role chunk, 3 words, final chunk
  assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'word word word ');
  assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
});
