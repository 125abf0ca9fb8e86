import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Charge, MemoryBudget } from '../limits/budget.ts';
import { FREE_EVENT_BYTES, SseEventTooLarge, SseParser } from './sse.ts';

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

  it('understands CRLF and CR line ends and keeps the raw event', () => {
    const [ev] = new SseParser().push('event: x\r\ndata: y\r\n\r\n');
    assert.deepEqual(ev, { event: 'x', data: 'y', raw: 'event: x\ndata: y' });
    assert.deepEqual(
      new SseParser().push('event: x\rdata: y\r\r').map((e) => [e.event, e.data]),
      [['x', 'y']],
    );
  });

  it('reads a CRLF split across two chunks as one line end', () => {
    const crlf = text.replaceAll('\n', '\r\n');
    const whole = new SseParser().push(crlf);
    for (let at = 1; at < crlf.length; at++) {
      if (crlf[at - 1] !== '\r') continue;
      const p = new SseParser();
      const got = [...p.push(crlf.slice(0, at)), ...p.push(crlf.slice(at))];
      assert.deepEqual(got, whole, `split after offset ${at}`);
    }
  });

  it('returns a final event without its blank line on flush', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('data: tail'), []);
    assert.deepEqual(
      p.flush().map((e) => e.data),
      ['tail'],
    );
  });

  it('refuses an event over the cap, however it arrives, and not the events under it', () => {
    const p = new SseParser(1000);
    for (let i = 0; i < 100; i++) assert.equal(p.push(`data: ${'x'.repeat(900)}\n\n`).length, 1);
    assert.throws(() => p.push(`data: ${'x'.repeat(1000)}\n\n`), SseEventTooLarge);
    const lines = new SseParser(1000);
    assert.throws(() => {
      for (let i = 0; i < 100; i++) lines.push('data: 0123456789\n');
    }, /over 1000 bytes \(server\.max_event_bytes\)/);
  });

  it('reads a line that never ends in linear time (a rescan per chunk would take minutes here)', {
    timeout: 20_000,
  }, async () => {
    const p = new SseParser(64 * 1024 * 1024);
    const chunk = 'x'.repeat(1024);
    p.push('data: ');
    for (let i = 0; i < 40_000; i++) {
      assert.equal(p.push(chunk).length, 0);
      if (i % 500 === 0) await new Promise((r) => setImmediate(r)); // lets the test's timeout fire
    }
    assert.equal(p.push('\n\n')[0]!.data.length, 40_000 * 1024);
  });

  it('charges a large event to the memory budget and gives it back once the event is out', () => {
    const budget = new MemoryBudget(10 * FREE_EVENT_BYTES, 0);
    const charge = new Charge(budget);
    const p = new SseParser(64 * 1024 * 1024, charge);
    p.push(`data: ${'x'.repeat(3 * FREE_EVENT_BYTES)}`);
    assert.ok(budget.inUse >= 2 * FREE_EVENT_BYTES, `charged ${budget.inUse}`);
    assert.equal(p.push('\n\n').length, 1);
    assert.equal(budget.inUse, 0);
    assert.throws(() => p.push(`data: ${'x'.repeat(12 * FREE_EVENT_BYTES)}`), /no memory left/);
  });
});
