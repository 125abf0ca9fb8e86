import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dispatcher } from 'undici';
import { UpstreamStream, type StreamReader } from './exchange.ts';

/** undici's side of a streamed answer: records what the stream asked of it. */
function controller(): Dispatcher.DispatchController & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    aborted: false,
    paused: false,
    reason: null,
    abort: () => calls.push('abort'),
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
  };
}

function recorder(onData?: (text: string) => void): StreamReader & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    data: (chunk) => {
      seen.push(chunk.toString());
      onData?.(chunk.toString());
    },
    end: () => seen.push('end'),
    error: (error) => seen.push(`error: ${error.message}`),
  };
}

describe('UpstreamStream', () => {
  it('keeps what arrives before the reader, then delivers it in order and ends once', () => {
    const c = controller();
    const stream = new UpstreamStream(c);
    stream.push(Buffer.from('a'));
    stream.push(Buffer.from('b'));
    stream.finish(undefined);
    const r = recorder();
    stream.read(r);
    stream.finish(new Error('late'));
    assert.deepEqual(r.seen, ['a', 'b', 'end']);
    assert.deepEqual(c.calls, []);
  });

  it('passes an upstream failure to the reader as its one last call', () => {
    const stream = new UpstreamStream(controller());
    const r = recorder();
    stream.read(r);
    stream.push(Buffer.from('a'));
    stream.finish(new Error('socket hang up'));
    stream.push(Buffer.from('b'));
    assert.deepEqual(r.seen, ['a', 'error: socket hang up']);
  });

  it('aborts the upstream when the reader throws, and tells the reader once', () => {
    const c = controller();
    const stream = new UpstreamStream(c);
    stream.push(Buffer.from('bad'));
    stream.push(Buffer.from('never'));
    stream.finish(undefined);
    const r = recorder((text) => {
      if (text === 'bad') throw new Error('translator failed');
    });
    stream.read(r);
    assert.deepEqual(r.seen, ['bad', 'error: translator failed']);
    // The upstream had already finished: nothing left to abort.
    assert.deepEqual(c.calls, []);
  });

  it('cancel stops delivery and aborts an answer still in flight, once', () => {
    const c = controller();
    const stream = new UpstreamStream(c);
    const r = recorder();
    stream.read(r);
    stream.push(Buffer.from('a'));
    stream.cancel();
    stream.cancel();
    stream.push(Buffer.from('b'));
    stream.finish(new Error('aborted'));
    assert.deepEqual(r.seen, ['a']);
    assert.deepEqual(c.calls, ['abort']);
  });
});
