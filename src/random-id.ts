// Ids for requests and echo responses: correlation ids, never secrets, so V8's Math.random is
// enough. node:crypto's randomUUID would load the whole crypto binding (~3 MB of resident memory
// in every idle proxy) for ids that only need to be unique enough to find a log line.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function randomBytes16(): number[] {
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    // 32 bits at a time: V8's generator yields 52 good bits per call.
    const n = Math.floor(Math.random() * 0x1_0000_0000);
    out.push(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  return out;
}

/** A random id in the UUID version 4 layout (8-4-4-4-12 lowercase hex). */
export function randomId(): string {
  const b = randomBytes16();
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => HEX[x]!);
  return `${h.slice(0, 4).join('')}-${h.slice(4, 6).join('')}-${h.slice(6, 8).join('')}-${h.slice(8, 10).join('')}-${h.slice(10).join('')}`;
}
