import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePatterns, patternProblem, splitPatterns } from './patterns.ts';

describe('model patterns', () => {
  it('matches names exactly and * / ? as wildcards, "/" included', () => {
    const m = compilePatterns(['gpt-4o*', 'smart', 'openai/*', 'claude-?']);
    for (const ok of ['gpt-4o', 'gpt-4o-mini', 'smart', 'openai/gpt-5', 'claude-3']) assert.ok(m.allows(ok), ok);
    for (const no of ['gpt-4', 'smart2', 'Smart', 'anthropic/x', 'claude-35', 'xgpt-4o']) assert.ok(!m.allows(no), no);
    assert.equal(m.all, false);
  });

  it('treats regex characters literally', () => {
    const m = compilePatterns(['a.b', 'x+(y)*']);
    assert.ok(m.allows('a.b'));
    assert.ok(!m.allows('aXb'));
    assert.ok(m.allows('x+(y)-anything'));
  });

  it('allows everything with no list or a lone *', () => {
    assert.ok(compilePatterns([]).all);
    assert.ok(compilePatterns(['gpt', '*']).allows('anything'));
  });

  it('splits the CLI list and rejects unusable patterns', () => {
    assert.deepEqual(splitPatterns(' gpt-4o* , smart,,smart '), ['gpt-4o*', 'smart']);
    assert.match(patternProblem(['a b']) ?? '', /contains a space/);
    assert.match(patternProblem(['x'.repeat(201)]) ?? '', /1-200 characters/);
    assert.match(patternProblem(Array.from({ length: 101 }, (_, i) => `m${i}`)) ?? '', /at most 100/);
    assert.equal(patternProblem(['gpt-4o*']), undefined);
  });
});
