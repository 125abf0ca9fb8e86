import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestId } from './request-id.ts';

describe('requestId', () => {
  it('keeps a safe incoming id and replaces anything else', () => {
    assert.equal(requestId('req_1.2:3-x'), 'req_1.2:3-x');
    assert.match(requestId('has space'), /^[0-9a-f-]{36}$/);
    assert.match(requestId('x'.repeat(129)), /^[0-9a-f-]{36}$/);
    assert.match(requestId(undefined), /^[0-9a-f-]{36}$/);
  });
});
