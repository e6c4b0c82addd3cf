// CRC32C by slicing-by-8 in WebAssembly, for the checksums that are too small for a call into native code to pay off
// (a one-record batch: ~150 bytes, a wide topic's or a low-latency producer's) and for every size when the native
// @node-rs/crc32 cannot be loaded.
//
// Why WebAssembly: the algorithm is the same as crc32c.ts's JS slicing-by-8, but in JS every table lookup and every
// word read is bounds-checked, and in WebAssembly none is (memory accesses are guarded by the address space). Measured
// on the 2-core VM, Node 24, 150-byte inputs: 115 ns per checksum against 159 ns in JS and 179 ns through the native
// call (bench/README.md, "Then the CRC32C of a small batch in WebAssembly").
//
// The module is small enough to write by hand; it is assembled below from its instructions (the text format is in the
// comment above `update`'s body), compiled synchronously once, on first use. The bytes to check must be in the
// module's memory: they are copied into a 64 KiB window, and a caller that checks many batches of one record set
// passes an owner number for it so that each window is copied once for all the batches it holds, not per batch. The
// window is keyed by that number, not by the buffer: a reference kept here would pin a response frame (tens of MiB)
// until the next checksum.

/** Bytes of the copy window; the tables take the first 8 KiB of the module's memory, the window follows. */
const WINDOW = 64 * 1024;
const TABLES_BYTES = 8 * 256 * 4;
const DATA = TABLES_BYTES;
/** Memory pages (64 KiB each) for the tables and the window. The module never grows its memory. */
const PAGES = Math.ceil((TABLES_BYTES + WINDOW) / 65536);

// ---- a minimal assembler: just the instructions `update` uses ----------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const get = (local: number): number[] => [0x20, local];
const set = (local: number): number[] => [0x21, local];
const i32 = (v: number): number[] => [0x41, ...sleb(v)];
/** i32.load offset=`offset` (alignment hint 4; unaligned addresses are allowed). */
const load = (offset: number): number[] => [0x28, 2, ...uleb(offset)];
const load8u = (offset: number): number[] => [0x2d, 0, ...uleb(offset)];
const [AND, XOR, SHL, SHR_U, ADD, SUB, GE_U] = [0x71, 0x73, 0x74, 0x76, 0x6a, 0x6b, 0x4f];
const [BLOCK, LOOP, BR, BR_IF, END, VOID] = [0x02, 0x03, 0x0c, 0x0d, 0x0b, 0x40];

// update(crc, p, end): the CRC state after bytes [p, end) of the window, from state `crc` (no pre- or post-inversion).
// Addresses count from the window's start: the loads of input add DATA as their static offset.
// Locals: 0 crc, 1 p, 2 end (parameters); 3 lo, 4 hi, 5 end8.
const [CRC, P, E, LO, HI, END8] = [0, 1, 2, 3, 4, 5];

/** t[k][(word >>> shift) & 0xff]: table k starts at k * 1024. */
function lookup(word: number, shift: number, table: number): number[] {
  return [
    ...get(word),
    ...(shift === 0 ? [] : [...i32(shift), SHR_U]),
    ...(shift === 24 ? [] : [...i32(0xff), AND]),
    ...i32(2), SHL,
    ...load(table * 1024),
  ];
}

// (func $update (param $crc i32) (param $p i32) (param $end i32) (result i32)
//   (local $lo i32) (local $hi i32) (local $end8 i32)
//   end8 = end - ((end - p) & 7)
//   block loop                                   ;; eight bytes per step, as crc32c.ts's slicingBy8
//     br_if 1 (p >=u end8)
//     lo = crc ^ load(p); hi = load(p + 4)
//     crc = t7[lo & 255] ^ t6[lo >>> 8 & 255] ^ t5[lo >>> 16 & 255] ^ t4[lo >>> 24]
//         ^ t3[hi & 255] ^ t2[hi >>> 8 & 255] ^ t1[hi >>> 16 & 255] ^ t0[hi >>> 24]
//     p += 8; br 0
//   end end
//   block loop                                   ;; the last 0-7 bytes one at a time
//     br_if 1 (p >=u end)
//     crc = t0[(crc ^ load8_u(p)) & 255] ^ (crc >>> 8); p += 1; br 0
//   end end
//   crc)
const body = [
  ...get(E), ...get(E), ...get(P), SUB, ...i32(7), AND, SUB, ...set(END8),
  BLOCK, VOID, LOOP, VOID,
  ...get(P), ...get(END8), GE_U, BR_IF, 1,
  ...get(CRC), ...get(P), ...load(DATA), XOR, ...set(LO),
  ...get(P), ...load(DATA + 4), ...set(HI),
  ...lookup(LO, 0, 7), ...lookup(LO, 8, 6), XOR, ...lookup(LO, 16, 5), XOR, ...lookup(LO, 24, 4), XOR,
  ...lookup(HI, 0, 3), XOR, ...lookup(HI, 8, 2), XOR, ...lookup(HI, 16, 1), XOR, ...lookup(HI, 24, 0), XOR,
  ...set(CRC),
  ...get(P), ...i32(8), ADD, ...set(P),
  BR, 0, END, END,
  BLOCK, VOID, LOOP, VOID,
  ...get(P), ...get(E), GE_U, BR_IF, 1,
  ...get(CRC), ...get(P), ...load8u(DATA), XOR, ...i32(0xff), AND, ...i32(2), SHL, ...load(0),
  ...get(CRC), ...i32(8), SHR_U, XOR, ...set(CRC),
  ...get(P), ...i32(1), ADD, ...set(P),
  BR, 0, END, END,
  ...get(CRC),
  END,
];

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

const I32 = 0x7f;
const code = [1, 3, I32, ...body]; // one group of three i32 locals, then the body

/** The module's bytes: type, function, memory, export and code sections. */
export function moduleBytes(): Uint8Array {
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [1, 0x60, 3, I32, I32, I32, 1, I32]), // type 0: (i32, i32, i32) -> i32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0, PAGES]), // one memory, PAGES pages, no maximum
    ...section(7, [2, ...name('update'), 0x00, 0, ...name('memory'), 0x02, 0]),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
}

// ---- the instance and its copy window -----------------------------------------------------------------------------

type Update = (crc: number, p: number, end: number) => number;

/** The part of the WebAssembly JS API used here (the project's TypeScript libraries do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

let update: Update | null = null;
let window: Uint8Array | null = null;
/** The bytes in the window: those of owner `winOwner`'s buffer [winStart, winEnd); 0: no owner's. */
let winOwner = 0;
let lastOwner = 0;
let winStart = 0;
let winEnd = 0;

/**
 * Compiles the module and fills its tables (crc32c.ts's 8 x 256 slicing tables). False when WebAssembly is not
 * available (`node --jitless`) or the module fails its check: the caller keeps its JS implementation.
 */
export function loadWasmCrc(tables: Int32Array): boolean {
  if (update !== null) return true;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (api === undefined) return false;
    const instance = new api.Instance(new api.Module(moduleBytes()));
    const memory = instance.exports.memory as { readonly buffer: ArrayBuffer };
    new Int32Array(memory.buffer, 0, tables.length).set(tables);
    const fn = instance.exports.update as Update;
    const mem = new Uint8Array(memory.buffer, DATA, WINDOW);
    // The standard check value: CRC32C("123456789") = 0xe3069283.
    mem.set(Array.from('123456789', (c) => c.charCodeAt(0)));
    if (~fn(-1, 0, 9) >>> 0 !== 0xe3069283) return false;
    update = fn;
    window = mem;
    return true;
  } catch {
    return false;
  }
}

/** A number no other caller of crc32cWasm() has: an owner for a buffer's bytes (see crc32cWasm). */
export function newCrcOwner(): number {
  return ++lastOwner;
}

/**
 * CRC32C of `buf[start, end)`, unsigned, by the module (loadWasmCrc() returned true). `owner`: a number from
 * newCrcOwner() that stands for `buf` (always the same buffer) and its bytes, which do not change while the number is
 * in use (a record set being decoded); the window then holds `buf` from `start` on, and later calls with the same
 * owner for bytes inside it copy nothing. 0: the bytes are copied for this call only.
 */
export function crc32cWasm(buf: Uint8Array, start: number, end: number, owner: number): number {
  const fn = update!;
  const w = window!;
  if (owner !== 0 && owner === winOwner && start >= winStart && end <= winEnd) {
    return ~fn(-1, start - winStart, end - winStart) >>> 0;
  }
  let crc = -1;
  let s = start;
  while (s < end) {
    // With an owner, a window from s to the end of the buffer (or WINDOW bytes): the batches that follow are checked
    // in it too. Without, just the bytes asked for.
    const e = Math.min(owner === 0 ? end : buf.length, s + WINDOW);
    w.set(buf.subarray(s, e));
    const upTo = Math.min(end, e);
    crc = fn(crc, 0, upTo - s);
    winOwner = owner;
    winStart = s;
    winEnd = e;
    s = upTo;
  }
  return ~crc >>> 0;
}
