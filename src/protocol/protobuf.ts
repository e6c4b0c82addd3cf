// A minimal Protocol Buffers writer: exactly what the OTLP metrics payload of KIP-714 needs (otlp-metrics.ts), and
// nothing else. gregor has no runtime dependencies, and a protobuf library (or generated code) would be the largest
// module of the package for a few hundred bytes sent every push interval.
//
// Wire format (https://protobuf.dev/programming-guides/encoding/): a field is a varint key `(number << 3) | wireType`
// followed by its value: varint (0), fixed 64-bit little-endian (1), length-delimited (2: a varint length, then the
// bytes). Nested messages are length-delimited; they are built into their own ProtoWriter first, so a message's
// length is known when its parent writes it (payloads are small: no back-patching needed).
//
// Proto3 semantics: a field equal to its default (0, false, '', empty) is not written, as every encoder does.

import { Buffer } from 'node:buffer';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

export class ProtoWriter {
  private buf: Buffer = Buffer.allocUnsafe(64);
  private pos = 0;

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned varint up to 2^53 (JavaScript numbers); negative values are not needed by OTLP's fields here. */
  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf varint out of range: ${value}`);
    this.ensure(10);
    let v = value;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  private key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /**
   * uint32, uint64 (safe integers), enum and bool fields. `always`: written even when 0 (a member of a oneof, where
   * presence matters).
   */
  uint(field: number, value: number | boolean, always = false): this {
    const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    if (v === 0 && !always) return this;
    this.key(field, VARINT);
    this.varint(v);
    return this;
  }

  /** int64 as a varint (two's complement over 64 bits for negative values, as protobuf's int64); `always` as uint. */
  int64(field: number, value: bigint, always = false): this {
    if (value === 0n && !always) return this;
    this.key(field, VARINT);
    let v = BigInt.asUintN(64, value);
    this.ensure(10);
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  /** fixed64 (OTLP's timestamps in nanoseconds). */
  fixed64(field: number, value: bigint): this {
    if (value === 0n) return this;
    this.key(field, FIXED64);
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, value), this.pos);
    this.pos += 8;
    return this;
  }

  /** sfixed64 (OTLP's integer data point values). Written even when 0: it is a member of a oneof. */
  sfixed64(field: number, value: bigint): this {
    this.key(field, FIXED64);
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt.asIntN(64, value), this.pos);
    this.pos += 8;
    return this;
  }

  /** double. Written even when 0: OTLP's double values are members of a oneof, where presence matters. */
  double(field: number, value: number): this {
    this.key(field, FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
    return this;
  }

  string(field: number, value: string): this {
    if (value === '') return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** An embedded message, written even when empty (a present but empty message differs from an absent one). */
  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  /** The bytes written so far (a view; the writer must not be used afterwards). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
