// Slow paths of the record fields' zigzag varints (KIP-98), shared by the batch decoder and the lazy header parser.
//
// The hot loop in decode.ts reads one-byte varints inline (nearly every offset delta, timestamp delta, key length
// and header count of a real batch fits one byte) and calls these only for longer encodings. They return the
// value and leave the position after it in `varintEnd`: an out-parameter that costs no allocation (a returned
// [value, position] pair would allocate per field).

import { CorruptRecordError } from '../../errors.js';

/** Position just after the varint decoded by the last readVarint/readVarlong call. */
export let varintEnd = 0;

export function truncated(what: string): CorruptRecordError {
  return new CorruptRecordError(`record data is truncated inside ${what}`);
}

/** Zigzag varint (int32) at `buf[p]`, not reading at or beyond `limit`. */
export function readVarint(buf: Uint8Array, p: number, limit: number, what: string): number {
  let raw = 0;
  for (let shift = 0; ; shift += 7) {
    if (p >= limit) throw truncated(what);
    const b = buf[p++];
    if (shift === 28) {
      // The fifth byte may only carry the top 4 bits, with no continuation.
      if (b > 0x0f) throw new CorruptRecordError(`${what}: varint longer than 32 bits`);
      raw = (raw | (b << 28)) >>> 0;
      break;
    }
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  varintEnd = p;
  return (raw >>> 1) ^ -(raw & 1);
}

/**
 * Zigzag varlong (int64) at `buf[p]` as a number. Values outside the safe-integer range cannot be exact in a
 * number; for the fields decoded this way (timestamp deltas) they only come from corrupt data, so they are an error.
 */
export function readVarlong(buf: Uint8Array, p: number, limit: number, what: string): number {
  let raw = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (p >= limit) throw truncated(what);
    const b = buf[p++];
    raw += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
    // 7 bytes carry 49 bits; an 8th would take the zigzag value past 2^53.
    if (i === 6) throw new CorruptRecordError(`${what}: varlong outside the safe-integer range`);
  }
  varintEnd = p;
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
}

/** Bytes a zigzag varint/varlong takes (for encoding sizes). */
export function sizeOfVarint(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}
