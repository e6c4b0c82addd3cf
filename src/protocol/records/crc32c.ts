// Checksums of the record formats.
//
// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) covers a v2 record batch from `attributes` to its end
// (KIP-98 moved batches from CRC32 to CRC32C because CPUs compute it in hardware). Plain CRC32 (IEEE, 0xEDB88320)
// covers each legacy magic 0/1 message from `magic` to its end.
//
// The native `@node-rs/crc32` (SSE4.2 / ARMv8 CRC instructions) is the fast path. If it cannot be loaded (no
// prebuilt binary for the platform, a bundler that drops .node files) a pure-JS slicing-by-8 implementation takes
// over, so the client degrades in speed, never in function. Both produce identical results (unit-tested).
// Below NATIVE_MIN_BYTES (a one-record batch) the JS path is faster than the call into native code; the decoder
// then reads the input as 32-bit words through a DataView of the record set (crc32cOf).
//
// Measured on the 2-core development VM (Node 20, `node dist/bench/records-decode.js --crc`): see DESIGN.md "Records".

import { createRequire } from 'node:module';

type NativeCrc = (input: Uint8Array, initialState?: number) => number;

const require = createRequire(import.meta.url);

function loadNative(): { crc32c: NativeCrc; crc32: NativeCrc } | undefined {
  // GREGOR_NO_NATIVE_CRC=1 forces the pure-JS path (tests and benchmarks of the fallback).
  if (process.env.GREGOR_NO_NATIVE_CRC === '1') return undefined;
  try {
    const mod = require('@node-rs/crc32') as { crc32c: NativeCrc; crc32: NativeCrc };
    // A broken binary that loads but miscomputes is worse than none: check the standard test vector.
    if (mod.crc32c(Buffer.from('123456789')) >>> 0 !== 0xe3069283) return undefined;
    return mod;
  } catch {
    return undefined;
  }
}

/** Builds the 8 slicing tables (8 x 256 entries) for a reflected polynomial. */
function makeTables(poly: number): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

let tablesC: Int32Array | undefined;
let tables32: Int32Array | undefined;

/**
 * Slicing-by-8: eight table lookups consume eight input bytes per iteration instead of one, which is about 4x
 * faster than the byte-wise loop in V8.
 */
function slicingBy8(t: Int32Array, buf: Uint8Array, start: number, end: number, initial: number): number {
  let crc = ~initial;
  let i = start;
  const end8 = end - ((end - i) & 7);
  while (i < end8) {
    const lo = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    crc =
      t[1792 + (lo & 0xff)] ^
      t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^
      t[768 + buf[i + 4]] ^
      t[512 + buf[i + 5]] ^
      t[256 + buf[i + 6]] ^
      t[buf[i + 7]];
    i += 8;
  }
  while (i < end) crc = t[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * slicingBy8 reading the input as two little-endian 32-bit words per step through a DataView over the same bytes as
 * `buf` (V8 compiles each getInt32 to one unaligned load; the byte loop reads and checks eight indices). ~20 % less
 * time on a 149-byte batch (Node 24), but a DataView costs an allocation: worth it only when one serves many calls
 * (RecordSetReader makes one per record set).
 */
function slicingBy8View(t: Int32Array, view: DataView, buf: Uint8Array, start: number, end: number): number {
  let crc = -1;
  let i = start;
  const end8 = end - ((end - i) & 7);
  while (i < end8) {
    const lo = crc ^ view.getInt32(i, true);
    const hi = view.getInt32(i + 4, true);
    crc =
      t[1792 + (lo & 0xff)] ^
      t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^
      t[768 + (hi & 0xff)] ^
      t[512 + ((hi >>> 8) & 0xff)] ^
      t[256 + ((hi >>> 16) & 0xff)] ^
      t[hi >>> 24];
    i += 8;
  }
  while (i < end) crc = t[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** Pure-JS CRC32C of `buf[start, end)`, unsigned. Exported for tests and the benchmark; use `crc32c`. */
export function crc32cJs(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  tablesC ??= makeTables(0x82f63b78);
  return slicingBy8(tablesC, buf, start, end, initial);
}

/** Pure-JS CRC32 (IEEE) of `buf[start, end)`, unsigned. */
export function crc32Js(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  tables32 ??= makeTables(0xedb88320);
  return slicingBy8(tables32, buf, start, end, initial);
}

const native = loadNative();

/** Which implementation `crc32c` and `crc32` use in this process. */
export const crcImplementation: 'native' | 'js' = native === undefined ? 'js' : 'native';

// Below this many bytes the ~100 ns cost of crossing into native code (plus a subarray view) exceeds the
// pure-JS time (measured: 100 bytes take 107 ns in JS, 131 ns native; 1 KiB 0.95 us in JS, 0.29 us native).
const NATIVE_MIN_BYTES = 192;

/** CRC32C (Castagnoli) of `buf[start, end)`, as an unsigned 32-bit number. */
export const crc32c: (buf: Uint8Array, start?: number, end?: number) => number =
  native === undefined
    ? crc32cJs
    : (buf, start = 0, end = buf.length) =>
        end - start < NATIVE_MIN_BYTES
          ? crc32cJs(buf, start, end)
          : native.crc32c(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;

/**
 * crc32c() of `buf[start, end)` given a DataView over the same bytes (`view.getUint8(i) === buf[i]`): the JS path
 * reads words through it (slicingBy8View).
 */
export function crc32cOf(view: DataView, buf: Uint8Array, start: number, end: number): number {
  if (native !== undefined && end - start >= NATIVE_MIN_BYTES) return native.crc32c(buf.subarray(start, end)) >>> 0;
  tablesC ??= makeTables(0x82f63b78);
  return slicingBy8View(tablesC, view, buf, start, end);
}

/** CRC32 (IEEE, as in zlib) of `buf[start, end)`, as an unsigned 32-bit number: legacy magic 0/1 messages. */
export const crc32: (buf: Uint8Array, start?: number, end?: number) => number =
  native === undefined
    ? crc32Js
    : (buf, start = 0, end = buf.length) =>
        end - start < NATIVE_MIN_BYTES
          ? crc32Js(buf, start, end)
          : native.crc32(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;
