import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from './logger.ts';
import { newRequestContext, requestLogMembers, type RequestContext } from './request-record.ts';

function capture(level: 'info' | 'error' = 'info'): { logger: Logger; lines: () => Record<string, unknown>[] } {
  let text = '';
  const logger = new Logger(level, { write: (chunk: string) => (text += chunk) });
  return {
    logger,
    lines: () => (
      logger.flush(),
      text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    ),
  };
}

const ctx = (over: Partial<RequestContext> = {}): RequestContext => ({
  ...newRequestContext('req-1', 'POST', '/v1/chat/completions', 0),
  ...over,
});

test('the request line is valid JSON with every present field, in order, and escapes client text', () => {
  const { logger, lines } = capture();
  const full = ctx({
    model: 'gpt "4"\n',
    provider: 'mock',
    upstreamModel: 'm\\1',
    stream: true,
    attempts: 2,
    retries: 1,
    usage: { prompt: 3, completion: 4 },
    error: 'bad\tthing',
  });
  logger.members('info', 'request', requestLogMembers(full, 200, 1.5));
  logger.members('info', 'request', requestLogMembers(ctx(), 404, 0.1));
  const [a, b] = lines();
  assert.ok(typeof a?.time === 'string' && !Number.isNaN(Date.parse(a.time)));
  const { time: _t, ...rest } = a!;
  assert.deepEqual(
    Object.entries(rest),
    Object.entries({
      level: 'info',
      msg: 'request',
      request_id: 'req-1',
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      latency_ms: 1.5,
      model: 'gpt "4"\n',
      provider: 'mock',
      upstream_model: 'm\\1',
      stream: true,
      attempts: 2,
      retries: 1,
      prompt_tokens: 3,
      completion_tokens: 4,
      error: 'bad\tthing',
    }),
  );
  assert.deepEqual(Object.keys(b!), ['time', 'level', 'msg', 'request_id', 'method', 'path', 'status', 'latency_ms']);
});

test('request lines are scrubbed of secrets and respect the level', () => {
  const { logger, lines } = capture('error');
  logger.setSecrets(['sk-secret-value-123']);
  logger.members('info', 'request', requestLogMembers(ctx(), 200, 1));
  logger.members('error', 'request', requestLogMembers(ctx({ model: 'sk-secret-value-123' }), 400, 1));
  const out = lines();
  assert.equal(out.length, 1);
  assert.equal(out[0]?.model, '[REDACTED]');
});

describe('Logger', () => {
  it('writes JSON lines at or above its level, with secrets removed', async () => {
    const out: string[] = [];
    const log = new Logger('info', { write: (s: string) => out.push(s) });
    log.setSecrets(['supersecretvalue']);
    log.debug('hidden');
    log.info('shown', { error: 'key supersecretvalue leaked' });
    log.flush();
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].msg, 'shown');
    assert.equal(lines[0].error, 'key [REDACTED] leaked');
  });
});
