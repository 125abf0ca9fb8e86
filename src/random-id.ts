// Ids for requests and echo responses: correlation ids, never secrets, so V8's Math.random is
// enough. node:crypto's randomUUID would load the whole crypto binding (~3 MB of resident memory
// in every idle proxy) for ids that only need to be unique enough to find a log line.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 32 random bits (V8's generator yields 52 good bits per call). */
const random32 = (): number => Math.floor(Math.random() * 0x1_0000_0000);

/** Two hex digits per byte, most significant byte first. */
const hex32 = (n: number): string => HEX[n >>> 24]! + HEX[(n >>> 16) & 0xff]! + HEX[(n >>> 8) & 0xff]! + HEX[n & 0xff]!;

/**
 * A random id in the UUID version 4 layout (8-4-4-4-12 lowercase hex). Built from four 32-bit
 * numbers straight into one string: every request gets one, so no arrays of bytes or digits.
 */
export function randomId(): string {
  const a = random32();
  const b = random32();
  const c = random32();
  const d = random32();
  // Byte 6 carries the version (4), byte 8 the variant (10xx).
  const version = (((b >>> 8) & 0x0f) | 0x40) << 8;
  const variant = ((((c >>> 24) & 0x3f) | 0x80) << 24) >>> 0;
  const hb = hex32((b & 0xffff0000) | version | (b & 0xff));
  const hc = hex32(variant | (c & 0x00ffffff));
  const hd = hex32(d);
  return `${hex32(a)}-${hb.slice(0, 4)}-${hb.slice(4)}-${hc.slice(0, 4)}-${hc.slice(4)}${hd}`;
}
