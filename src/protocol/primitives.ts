// Wire primitives: a growable Writer and a bounds-checked Reader over Kafka's encodings.
//
// Kafka's protocol guide (https://kafka.apache.org/protocol#protocol_types) defines the types: big-endian fixed
// ints, protobuf-style unsigned varints, zigzag varints/varlongs (record fields, KIP-98), classic strings and bytes
// with int16/int32 length prefixes, and the "compact" forms of flexible versions (KIP-482) whose length is an
// unsigned varint holding N+1 so that 0 can mean null. Tagged-field sections (KIP-482) are a varint count followed
// by (tag, size, bytes) triples.
//
// Why the Reader throws instead of franz-go's sticky error: a decode is one synchronous call from the codec, so one
// try/catch at the top is as cheap as a sticky flag, and a thrown ProtocolError carries what was being read and at
// which offset, which is what a fuzz run or a bug report needs. Bytes are returned as views (subarray), never
// copied: a Fetch response's record data stays in the socket's buffer until the records layer decodes it lazily.

import { ProtocolError } from '../errors.js';

const INITIAL_CAPACITY = 256;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** A UUID on the wire is 16 raw bytes; gregor exposes it as a 16-byte Buffer view. */
export const UUID_SIZE = 16;
/** The all-zero UUID, which Kafka uses for "no topic id" (Uuid.ZERO_UUID). */
export const ZERO_UUID: Buffer = Buffer.alloc(UUID_SIZE);

/** One unknown or pre-encoded tagged field: a tag number and its raw value bytes (KIP-482). */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/** Growable big-endian output buffer. Every write returns `this` so calls chain. */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Makes room for `n` more bytes, doubling so appends are amortised O(1). */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** int64 from a JS number (a safe integer): avoids a BigInt allocation for common values like -1 or timestamps. */
  int64FromNumber(v: number): this {
    if (!Number.isSafeInteger(v)) throw new ProtocolError(`int64 value ${v} is not a safe integer`);
    this.ensure(8);
    const hi = Math.floor(v / 0x1_0000_0000);
    const lo = v - hi * 0x1_0000_0000;
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(lo, this.pos + 4);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  boolean(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  /** Unsigned varint (protobuf base-128), 0 .. 2^32-1. */
  uvarint(v: number): this {
    if (v < 0 || v > 0xffff_ffff || !Number.isInteger(v)) throw new ProtocolError(`unsigned varint out of range: ${v}`);
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    b[p++] = v;
    this.pos = p;
    return this;
  }

  /** Zigzag-encoded signed varint, int32 range (record fields, KIP-98). */
  varint(v: number): this {
    if (v < -0x8000_0000 || v > 0x7fff_ffff || !Number.isInteger(v)) throw new ProtocolError(`varint out of int32 range: ${v}`);
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag-encoded signed varlong, int64 range. */
  varlong(v: bigint): this {
    if (v < INT64_MIN || v > INT64_MAX) throw new ProtocolError(`varlong out of int64 range: ${v}`);
    let z = v >= 0n ? v << 1n : ((-v) << 1n) - 1n;
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (z >= 0x80n) {
      b[p++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    b[p++] = Number(z);
    this.pos = p;
    return this;
  }

  /** Varlong from a safe-integer number: no BigInt work for the common case (timestamp deltas, offsets). */
  varlongFromNumber(v: number): this {
    if (!Number.isSafeInteger(v)) throw new ProtocolError(`varlong value ${v} is not a safe integer`);
    // zigzag in float arithmetic: 2v for v >= 0, -2v-1 for v < 0; exact only while the result stays below 2^53.
    if (v >= 0x10_0000_0000_0000 || v < -0x10_0000_0000_0000) return this.varlong(BigInt(v));
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (z >= 0x80) {
      b[p++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
    b[p++] = z;
    this.pos = p;
    return this;
  }

  /** Appends raw bytes. */
  raw(data: Uint8Array): this {
    const n = data.length;
    this.ensure(n);
    this.buf.set(data, this.pos);
    this.pos += n;
    return this;
  }

  /** int16-length UTF-8 string. */
  string(v: string): this {
    const n = Buffer.byteLength(v, 'utf8');
    if (n > 0x7fff) throw new ProtocolError(`string of ${n} bytes is too long for an int16 length`);
    this.ensure(2 + n);
    this.buf.writeInt16BE(n, this.pos);
    this.pos += 2;
    this.pos += this.buf.write(v, this.pos, n, 'utf8');
    return this;
  }

  /** int16-length string, -1 for null. */
  nullableString(v: string | null | undefined): this {
    if (v == null) return this.int16(-1);
    return this.string(v);
  }

  /** Compact string: uvarint(N+1) then UTF-8 bytes. */
  compactString(v: string): this {
    const n = Buffer.byteLength(v, 'utf8');
    this.uvarint(n + 1);
    this.ensure(n);
    this.pos += this.buf.write(v, this.pos, n, 'utf8');
    return this;
  }

  /** Compact nullable string: 0 for null. */
  compactNullableString(v: string | null | undefined): this {
    if (v == null) return this.uvarint(0);
    return this.compactString(v);
  }

  /** int32-length bytes. */
  bytes(v: Uint8Array): this {
    this.int32(v.length);
    return this.raw(v);
  }

  /** int32-length bytes, -1 for null. */
  nullableBytes(v: Uint8Array | null | undefined): this {
    if (v == null) return this.int32(-1);
    return this.bytes(v);
  }

  /** Compact bytes: uvarint(N+1) then the bytes. */
  compactBytes(v: Uint8Array): this {
    this.uvarint(v.length + 1);
    return this.raw(v);
  }

  /** Compact nullable bytes: 0 for null. */
  compactNullableBytes(v: Uint8Array | null | undefined): this {
    if (v == null) return this.uvarint(0);
    return this.compactBytes(v);
  }

  /** 16 raw bytes. Accepts a 16-byte Buffer or a canonical / Kafka base64 string (see uuidFromString). */
  uuid(v: Uint8Array | string | null | undefined): this {
    const bytes = v == null ? ZERO_UUID : typeof v === 'string' ? uuidFromString(v) : v;
    if (bytes.length !== UUID_SIZE) throw new ProtocolError(`a UUID must be ${UUID_SIZE} bytes, got ${bytes.length}`);
    return this.raw(bytes);
  }

  /** Classic array length: int32 N, or -1 for a null array. */
  arrayLength(n: number | null): this {
    return this.int32(n === null ? -1 : n);
  }

  /** Compact array length: uvarint(N+1), or 0 for a null array. */
  compactArrayLength(n: number | null): this {
    return this.uvarint(n === null ? 0 : n + 1);
  }

  /**
   * A tagged-field section (KIP-482): count, then (tag, size, data) in ascending tag order.
   * Callers with typed tagged fields encode each value into its own Writer first, then pass the bytes here.
   */
  taggedFields(fields: readonly TaggedField[] | null | undefined): this {
    if (fields == null || fields.length === 0) return this.uvarint(0);
    const sorted = fields.length > 1 ? [...fields].sort((a, b) => a.tag - b.tag) : fields;
    this.uvarint(sorted.length);
    let prev = -1;
    for (const f of sorted) {
      if (f.tag === prev) throw new ProtocolError(`duplicate tagged field ${f.tag}`);
      prev = f.tag;
      this.uvarint(f.tag);
      this.uvarint(f.data.length);
      this.raw(f.data);
    }
    return this;
  }

  /** An empty tagged-field section: the common case in flexible versions. */
  emptyTaggedFields(): this {
    return this.uint8(0);
  }

  /**
   * Reserves `size` bytes (4 by default) to be filled in later with `fillInt32`/`fillUInt32`, e.g. a frame's size
   * prefix or a record batch's length. Returns the position of the reserved bytes.
   */
  reserve(size = 4): number {
    this.ensure(size);
    const at = this.pos;
    this.pos += size;
    return at;
  }

  /** Back-patches an int32 at a position returned by `reserve()`. */
  fillInt32(at: number, v: number): this {
    this.checkPatch(at, 4);
    this.buf.writeInt32BE(v, at);
    return this;
  }

  /** Back-patches a uint32 (a CRC, say) at a position returned by `reserve()`. */
  fillUInt32(at: number, v: number): this {
    this.checkPatch(at, 4);
    this.buf.writeUInt32BE(v, at);
    return this;
  }

  /** Back-patches an int16 at a position returned by `reserve(2)`. */
  fillInt16(at: number, v: number): this {
    this.checkPatch(at, 2);
    this.buf.writeInt16BE(v, at);
    return this;
  }

  /** Fills the int32 at `at` with the number of bytes written after it: the usual size-prefix pattern. */
  fillLength(at: number): this {
    return this.fillInt32(at, this.pos - at - 4);
  }

  /** A view of bytes already written, e.g. to compute a CRC over a batch before back-patching it. */
  view(start = 0, end = this.pos): Buffer {
    if (start < 0 || end > this.pos || start > end) throw new ProtocolError(`view [${start}, ${end}) outside [0, ${this.pos})`);
    return this.buf.subarray(start, end);
  }

  /**
   * The written bytes. A view onto the internal buffer (no copy); the Writer must not be used afterwards
   * except via reset(), which starts a fresh buffer so the returned view stays valid.
   */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Starts over with a fresh buffer (the previous `finish()` result is left untouched). */
  reset(initialCapacity = INITIAL_CAPACITY): void {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
    this.pos = 0;
  }

  private checkPatch(at: number, size: number): void {
    if (at < 0 || at + size > this.pos) throw new ProtocolError(`back-patch at ${at} (+${size}) outside written bytes [0, ${this.pos})`);
  }
}

/** Bounds-checked reader over a Buffer. Every read advances `offset`; every failure is a ProtocolError. */
export class Reader {
  readonly buf: Buffer;
  offset: number;
  /** End of the readable region (exclusive); a Reader may be confined to a slice without copying. */
  readonly end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new ProtocolError(`reader window [${offset}, ${end}) outside a ${buf.length}-byte buffer`);
    }
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws a ProtocolError naming `what` and the offset when fewer than `n` bytes are left. */
  need(n: number, what: string): void {
    if (this.end - this.offset < n) {
      throw new ProtocolError(`truncated ${what} at byte ${this.offset}: need ${n} bytes, ${this.end - this.offset} left`);
    }
  }

  int8(what = 'int8'): number {
    this.need(1, what);
    return this.buf.readInt8(this.offset++);
  }

  uint8(what = 'uint8'): number {
    this.need(1, what);
    return this.buf[this.offset++];
  }

  int16(what = 'int16'): number {
    this.need(2, what);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  uint16(what = 'uint16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(what = 'int32'): number {
    this.need(4, what);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(what = 'uint32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(what = 'int64'): bigint {
    this.need(8, what);
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  /** int64 as a number; throws if it is outside the safe-integer range rather than silently losing precision. */
  int64AsNumber(what = 'int64'): number {
    this.need(8, what);
    const hi = this.buf.readInt32BE(this.offset);
    const lo = this.buf.readUInt32BE(this.offset + 4);
    const v = hi * 0x1_0000_0000 + lo;
    if (!Number.isSafeInteger(v)) throw new ProtocolError(`${what} at byte ${this.offset} does not fit a safe integer`);
    this.offset += 8;
    return v;
  }

  float64(what = 'float64'): number {
    this.need(8, what);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  boolean(what = 'boolean'): boolean {
    this.need(1, what);
    return this.buf[this.offset++] !== 0;
  }

  /** Unsigned varint, at most 5 bytes and 32 bits. */
  uvarint(what = 'unsigned varint'): number {
    const b = this.buf;
    const start = this.offset;
    let p = start;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (p >= this.end) throw new ProtocolError(`truncated ${what} at byte ${start}`);
      const byte = b[p++];
      if (shift === 28) {
        // Fifth byte: only 4 bits may remain, and no continuation.
        if (byte > 0x0f) throw new ProtocolError(`${what} at byte ${start} is longer than 32 bits`);
        result += byte * 0x1000_0000;
        break;
      }
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        result >>>= 0;
        break;
      }
      shift += 7;
    }
    this.offset = p;
    return result;
  }

  /** Zigzag varint, int32 range. */
  varint(what = 'varint'): number {
    const z = this.uvarint(what);
    return (z >>> 1) ^ -(z & 1);
  }

  /** Zigzag varlong, int64 range, as a bigint. */
  varlong(what = 'varlong'): bigint {
    const b = this.buf;
    const start = this.offset;
    let p = start;
    // Fast path: up to 4 bytes (28 bits) in plain integer math.
    let small = 0;
    let shift = 0;
    for (; shift < 28; shift += 7) {
      if (p >= this.end) throw new ProtocolError(`truncated ${what} at byte ${start}`);
      const byte = b[p++];
      small |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.offset = p;
        return BigInt((small >>> 1) ^ -(small & 1));
      }
    }
    let z = BigInt(small >>> 0);
    let bigShift = 28n;
    for (;;) {
      if (p >= this.end) throw new ProtocolError(`truncated ${what} at byte ${start}`);
      const byte = b[p++];
      if (bigShift === 63n && byte > 1) throw new ProtocolError(`${what} at byte ${start} is longer than 64 bits`);
      z |= BigInt(byte & 0x7f) << bigShift;
      if (byte < 0x80) break;
      bigShift += 7n;
      if (bigShift > 63n) throw new ProtocolError(`${what} at byte ${start} is longer than 64 bits`);
    }
    this.offset = p;
    return (z >> 1n) ^ -(z & 1n);
  }

  /** Zigzag varlong as a number; throws outside the safe-integer range. No BigInt for short encodings. */
  varlongAsNumber(what = 'varlong'): number {
    const b = this.buf;
    const start = this.offset;
    let p = start;
    let z = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (p >= this.end) throw new ProtocolError(`truncated ${what} at byte ${start}`);
      if (i >= 7) {
        // Beyond 49 bits float arithmetic may round: fall back to the exact path and check the range.
        this.offset = start;
        const v = this.varlong(what);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          this.offset = start;
          throw new ProtocolError(`${what} at byte ${start} does not fit a safe integer`);
        }
        return Number(v);
      }
      const byte = b[p++];
      z += (byte & 0x7f) * mul;
      if (byte < 0x80) break;
      mul *= 128;
    }
    this.offset = p;
    // unzigzag in float arithmetic (exact: z < 2^49)
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** A view of the next `n` bytes. */
  raw(n: number, what = 'bytes'): Buffer {
    if (n < 0) throw new ProtocolError(`negative length ${n} for ${what} at byte ${this.offset}`);
    this.need(n, what);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  skip(n: number, what = 'skipped bytes'): void {
    if (n < 0) throw new ProtocolError(`negative length ${n} for ${what} at byte ${this.offset}`);
    this.need(n, what);
    this.offset += n;
  }

  private utf8(n: number, what: string): string {
    this.need(n, what);
    const s = this.buf.toString('utf8', this.offset, this.offset + n);
    this.offset += n;
    return s;
  }

  string(what = 'string'): string {
    const at = this.offset;
    const n = this.int16(what);
    if (n < 0) throw new ProtocolError(`null ${what} at byte ${at} where a non-null string is required`);
    return this.utf8(n, what);
  }

  nullableString(what = 'nullable string'): string | null {
    const at = this.offset;
    const n = this.int16(what);
    if (n === -1) return null;
    if (n < -1) throw new ProtocolError(`invalid length ${n} for ${what} at byte ${at}`);
    return this.utf8(n, what);
  }

  compactString(what = 'compact string'): string {
    const at = this.offset;
    const n = this.uvarint(what);
    if (n === 0) throw new ProtocolError(`null ${what} at byte ${at} where a non-null string is required`);
    return this.utf8(n - 1, what);
  }

  compactNullableString(what = 'compact nullable string'): string | null {
    const n = this.uvarint(what);
    if (n === 0) return null;
    return this.utf8(n - 1, what);
  }

  bytes(what = 'bytes'): Buffer {
    const at = this.offset;
    const n = this.int32(what);
    if (n < 0) throw new ProtocolError(`null ${what} at byte ${at} where non-null bytes are required`);
    return this.raw(n, what);
  }

  nullableBytes(what = 'nullable bytes'): Buffer | null {
    const at = this.offset;
    const n = this.int32(what);
    if (n === -1) return null;
    if (n < -1) throw new ProtocolError(`invalid length ${n} for ${what} at byte ${at}`);
    return this.raw(n, what);
  }

  compactBytes(what = 'compact bytes'): Buffer {
    const at = this.offset;
    const n = this.uvarint(what);
    if (n === 0) throw new ProtocolError(`null ${what} at byte ${at} where non-null bytes are required`);
    return this.raw(n - 1, what);
  }

  compactNullableBytes(what = 'compact nullable bytes'): Buffer | null {
    const n = this.uvarint(what);
    if (n === 0) return null;
    return this.raw(n - 1, what);
  }

  /** 16 bytes as a view. */
  uuid(what = 'uuid'): Buffer {
    return this.raw(UUID_SIZE, what);
  }

  /**
   * Classic array length: N >= 0, or -1 (null). `minElementSize` lets the caller reject a count that cannot
   * possibly fit in the remaining bytes before allocating anything (a corrupt or hostile length).
   */
  arrayLength(what = 'array', minElementSize = 1): number | null {
    const at = this.offset;
    const n = this.int32(`${what} length`);
    if (n === -1) return null;
    if (n < -1) throw new ProtocolError(`invalid length ${n} for ${what} at byte ${at}`);
    this.checkCount(n, minElementSize, what, at);
    return n;
  }

  /** Compact array length: uvarint N+1, 0 for null. Returns N or null. */
  compactArrayLength(what = 'array', minElementSize = 1): number | null {
    const at = this.offset;
    const n = this.uvarint(`${what} length`);
    if (n === 0) return null;
    this.checkCount(n - 1, minElementSize, what, at);
    return n - 1;
  }

  private checkCount(n: number, minElementSize: number, what: string, at: number): void {
    if (n * minElementSize > this.end - this.offset) {
      throw new ProtocolError(`${what} at byte ${at} claims ${n} elements but only ${this.end - this.offset} bytes are left`);
    }
  }

  /**
   * Reads a tagged-field section. `onField(tag, reader)` is called for each field with a Reader confined to the
   * field's bytes and returns true when it consumed the field; unknown fields are collected (as views) and
   * returned, so they can be skipped or passed on. Tags must be strictly ascending (as Kafka's own writer emits).
   */
  taggedFields(onField?: (tag: number, r: Reader) => boolean): TaggedField[] | undefined {
    const at = this.offset;
    const count = this.uvarint('tagged field count');
    if (count === 0) return undefined;
    this.checkCount(count, 2, 'tagged fields', at);
    let unknown: TaggedField[] | undefined;
    let prev = -1;
    for (let i = 0; i < count; i++) {
      const tagAt = this.offset;
      const tag = this.uvarint('tag');
      if (tag <= prev) throw new ProtocolError(`tagged field ${tag} at byte ${tagAt} is not in ascending order after ${prev}`);
      prev = tag;
      const size = this.uvarint(`tagged field ${tag} size`);
      this.need(size, `tagged field ${tag}`);
      const fieldEnd = this.offset + size;
      if (onField !== undefined) {
        const sub = new Reader(this.buf, this.offset, fieldEnd);
        if (onField(tag, sub)) {
          if (sub.offset !== fieldEnd) {
            throw new ProtocolError(`tagged field ${tag} at byte ${tagAt}: ${fieldEnd - sub.offset} bytes left after decoding its value`);
          }
          this.offset = fieldEnd;
          continue;
        }
      }
      (unknown ??= []).push({ tag, data: this.buf.subarray(this.offset, fieldEnd) });
      this.offset = fieldEnd;
    }
    return unknown;
  }

  /** Skips a tagged-field section, ignoring every field. */
  skipTaggedFields(): void {
    const count = this.uvarint('tagged field count');
    for (let i = 0; i < count; i++) {
      this.uvarint('tag');
      const size = this.uvarint('tagged field size');
      this.skip(size, 'tagged field');
    }
  }

  /** Throws unless every byte was consumed: trailing garbage means the decoder and the sender disagree. */
  expectEnd(what = 'message'): void {
    if (this.offset !== this.end) {
      throw new ProtocolError(`${this.end - this.offset} unexpected bytes after ${what} at byte ${this.offset}`);
    }
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses a UUID string: the canonical 8-4-4-4-12 hex form, or Kafka's own form (Uuid.toString(): URL-safe base64
 * of the 16 bytes without padding, 22 characters, as printed by kafka-topics.sh).
 */
export function uuidFromString(s: string): Buffer {
  if (UUID_RE.test(s)) return Buffer.from(s.replace(/-/g, ''), 'hex');
  if (s.length === 22 && /^[A-Za-z0-9_-]+$/.test(s)) {
    const b = Buffer.from(s, 'base64url');
    if (b.length === UUID_SIZE) return b;
  }
  throw new ProtocolError(`not a UUID: ${JSON.stringify(s)}`);
}

/** Kafka's printed form of a UUID (URL-safe base64, no padding), the one the broker logs and tools show. */
export function uuidToKafkaString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

/** Canonical 8-4-4-4-12 hex form. */
export function uuidToCanonicalString(b: Uint8Array): string {
  const h = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
