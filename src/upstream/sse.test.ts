import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from './sse.ts';

describe('SseParser', () => {
  const text =
    'event: message_start\ndata: {"a":1}\n\n: comment\n\nevent: ping\ndata: {}\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';

  it('yields the same events however the text is split', () => {
    const whole = new SseParser().push(text);
    assert.deepEqual(
      whole.map((e) => [e.event, e.data]),
      [
        ['message_start', '{"a":1}'],
        ['ping', '{}'],
        ['', 'line1\nline2'],
        ['', '[DONE]'],
      ],
    );
    for (let size = 1; size < 12; size++) {
      const p = new SseParser();
      const got = [];
      for (let i = 0; i < text.length; i += size) got.push(...p.push(text.slice(i, i + size)));
      assert.deepEqual(got, whole, `chunks of ${size}`);
    }
  });

  it('understands CRLF and keeps the raw event', () => {
    const [ev] = new SseParser().push('event: x\r\ndata: y\r\n\r\n');
    assert.deepEqual(ev, { event: 'x', data: 'y', raw: 'event: x\ndata: y' });
  });

  it('returns a final event without its blank line on flush', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('data: tail'), []);
    assert.deepEqual(
      p.flush().map((e) => e.data),
      ['tail'],
    );
  });
});
