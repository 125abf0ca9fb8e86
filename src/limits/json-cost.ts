// What parsing a JSON body will cost, found before parsing it: one pass over the bytes that
// counts containers and separators outside strings (strings are skipped with indexOf) and
// tracks the nesting depth. JSON.parse of `[{},{},...]` needs ~22 bytes of heap per byte of
// input; this lets the proxy refuse or budget such a body instead of finding out.

/** Nesting deeper than this is refused: no API body needs it, and recursion over it can overflow the stack. */
export const MAX_JSON_DEPTH = 128;

// Measured on Node 24 (V8 heap after JSON.parse, 10 MiB inputs): an empty object 64 bytes
// with its slot, an empty array 40, a number or short string in an array 10-21 bytes per
// element; strings cost about their length. The constants round up, so the estimate is 1.2-2x
// the real heap for every shape tried (objects, arrays, numbers, strings, chat messages).
const CONTAINER_BYTES = 64;
const SEPARATOR_BYTES = 16;

export interface JsonShape {
  /** Objects and arrays. */
  containers: number;
  /** Commas: one per element or member after the first. */
  separators: number;
  /** The deepest nesting seen, up to MAX_JSON_DEPTH + 1 (the scan stops there). */
  depth: number;
}

/** Scans a JSON text's structure; stops as soon as it is nested deeper than maxDepth. */
export function scanJson(buf: Uint8Array, maxDepth = MAX_JSON_DEPTH): JsonShape {
  const shape: JsonShape = { containers: 0, separators: 0, depth: 0 };
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let depth = 0;
  const n = view.length;
  for (let i = 0; i < n; i++) {
    const c = view[i]!;
    if (c === 0x22) {
      // Jump to the closing quote: one not preceded by an odd number of backslashes.
      let j = i;
      for (;;) {
        j = view.indexOf(0x22, j + 1);
        if (j === -1) return shape; // unterminated: JSON.parse will say so
        let backslashes = 0;
        while (view[j - 1 - backslashes] === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      shape.containers++;
      if (++depth > shape.depth) {
        shape.depth = depth;
        if (depth > maxDepth) return shape;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c) shape.separators++;
  }
  return shape;
}

/** Bytes of heap the parsed value will take, estimated on the high side. */
export function parsedBytes(textBytes: number, shape: JsonShape): number {
  return textBytes + shape.containers * CONTAINER_BYTES + shape.separators * SEPARATOR_BYTES;
}
