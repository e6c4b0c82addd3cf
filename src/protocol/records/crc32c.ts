// Checksums of the record formats.
//
// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) covers a v2 record batch from `attributes` to its end
// (KIP-98 moved batches from CRC32 to CRC32C because CPUs compute it in hardware). Plain CRC32 (IEEE, 0xEDB88320)
// covers each legacy magic 0/1 message from `magic` to its end.
//
// The native `@node-rs/crc32` (SSE4.2 / ARMv8 CRC instructions) is the fast path. If it cannot be loaded (no
// prebuilt binary for the platform, a bundler that drops .node files) slicing-by-8 takes over, in WebAssembly
// (crc32c-wasm.ts) or, without WebAssembly, in JS, so the client degrades in speed, never in function. All produce
// identical results (unit-tested).
// Below NATIVE_MIN_BYTES (a one-record batch) the call into native code costs more than the checksum itself: those go
// to WebAssembly too.
//
// Measured on the 2-core development VM (`node dist/bench/records-decode.js --crc`): bench/README.md, "Then the CRC32C
// of a small batch in WebAssembly".

import { createRequire } from 'node:module';
import { crc32cWasm, loadWasmCrc } from './crc32c-wasm.js';

export { newCrcOwner } from './crc32c-wasm.js';

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

/** Whether crc32c-wasm.ts's module serves this process: undefined until first needed. */
let wasm: boolean | undefined;

function useWasm(): boolean {
  if (wasm === undefined) {
    tablesC ??= makeTables(0x82f63b78);
    wasm = process.env.GREGOR_NO_WASM_CRC !== '1' && loadWasmCrc(tablesC);
  }
  return wasm;
}

/** Which implementation `crc32c` uses in this process for large inputs (small ones: see crcSmallImplementation). */
export const crcImplementation: 'native' | 'js' = native === undefined ? 'js' : 'native';

/** Which implementation checks inputs below NATIVE_MIN_BYTES (and all of them without the native module). */
export function crcSmallImplementation(): 'wasm' | 'js' {
  return useWasm() ? 'wasm' : 'js';
}

// Below this many bytes the ~100 ns cost of crossing into native code (plus a subarray view) exceeds the WebAssembly
// time: 256 B 170 vs 189 ns, 384 B 246 vs 216 ns (Node 24, bench/README.md).
const NATIVE_MIN_BYTES = 320;
// CRC32 (legacy messages) has no WebAssembly path: below this many bytes JS beats the native call (measured with the
// same slicing-by-8 for CRC32C before crc32c-wasm.ts: 100 B 107 ns in JS, 131 ns native; 1 KiB 0.95 us, 0.29 us).
const NATIVE_MIN_BYTES_CRC32 = 192;

/**
 * CRC32C of `buf[start, end)`, unsigned. `owner` (see crc32cWasm): a newCrcOwner() number standing for `buf` and its
 * bytes, unchanged while it is passed (a RecordSetReader's, for its record set), so that the bytes below
 * NATIVE_MIN_BYTES are copied into WebAssembly memory once per window rather than once per batch; 0: none.
 */
export function crc32cOf(owner: number, buf: Uint8Array, start: number, end: number): number {
  if (native !== undefined && end - start >= NATIVE_MIN_BYTES) return native.crc32c(buf.subarray(start, end)) >>> 0;
  if (wasm ?? useWasm()) return crc32cWasm(buf, start, end, owner);
  return crc32cJs(buf, start, end);
}

/** CRC32C (Castagnoli) of `buf[start, end)`, as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  if (native !== undefined && end - start >= NATIVE_MIN_BYTES) {
    return native.crc32c(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;
  }
  return crc32cOf(0, buf, start, end);
}

/** CRC32 (IEEE, as in zlib) of `buf[start, end)`, as an unsigned 32-bit number: legacy magic 0/1 messages. */
export const crc32: (buf: Uint8Array, start?: number, end?: number) => number =
  native === undefined
    ? crc32Js
    : (buf, start = 0, end = buf.length) =>
        end - start < NATIVE_MIN_BYTES_CRC32
          ? crc32Js(buf, start, end)
          : native.crc32(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;
