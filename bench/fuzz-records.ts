// Fuzzing the record-set decoder: mutated and random bytes must always give a valid result or a typed error, never
// an exception, a hang, or a getter that throws later.
//
//   npm run build && node dist/bench/fuzz-records.js [--cases 1000000] [--seed 1]
//
// The seeds are valid record sets: segments written by Kafka's Java producer and captured from the broker
// (every codec, with a COMMIT marker), and gregor-encoded ones (headers, control batches, legacy magic 0/1).
// Mutations: bit flips, interesting byte and int32 values, truncation, insertion, deletion, duplication, and random
// garbage. Because a CRC check rejects nearly every mutation at once, a third of the cases re-seal the mutated batch
// with a correct CRC32C, and another third mutate the *decompressed* records of a compressed batch and recompress
// them, so the mutations reach the record parser behind the checksum and the codec. The unit test runs a 20k-case
// sample.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CorruptRecordError, isGregorError } from '../src/errors.js';
import { compress } from '../src/protocol/records/compression.js';
import { crc32, crc32c } from '../src/protocol/records/crc32c.js';
import { decodeRecordSet, encodeControlBatch, encodeRecordBatch, type CompressionType } from '../src/protocol/records/index.js';
import { prng } from '../test/support/prng.js';

/** A legacy message (magic 0 or 1), built per the spec; exported for the unit tests. */
export function legacyMessage(o: {
  offset: bigint;
  magic: 0 | 1;
  attributes?: number;
  timestamp?: number;
  key: Buffer | null;
  value: Buffer | null;
}): Buffer {
  const headerSize = o.magic === 0 ? 18 : 26;
  const size = headerSize + 4 + (o.key?.length ?? 0) + 4 + (o.value?.length ?? 0);
  const b = Buffer.alloc(size);
  b.writeBigInt64BE(o.offset, 0);
  b.writeInt32BE(size - 12, 8);
  b[16] = o.magic;
  b[17] = o.attributes ?? 0;
  let p = 18;
  if (o.magic === 1) {
    b.writeBigInt64BE(BigInt(o.timestamp ?? 0), 18);
    p = 26;
  }
  b.writeInt32BE(o.key === null ? -1 : o.key.length, p);
  p += 4;
  if (o.key !== null) p += o.key.copy(b, p);
  b.writeInt32BE(o.value === null ? -1 : o.value.length, p);
  p += 4;
  if (o.value !== null) o.value.copy(b, p);
  b.writeUInt32BE(crc32(b, 16, size), 12);
  return b;
}

// dist/bench -> repository root: segments captured from the real broker (test/unit/records/fixtures).
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'unit', 'records', 'fixtures');

/** Valid record sets to mutate: Java producer segments captured from the broker, plus gregor-encoded ones. */
export function seedSets(): Buffer[] {
  const sets: Buffer[] = [];
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    const file = join(FIXTURES, `java-${codec}.bin`);
    if (existsSync(file)) sets.push(readFileSync(file));
  }
  const codecs: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  for (const compression of codecs) {
    sets.push(
      Buffer.concat([
        encodeRecordBatch({
          baseOffset: 10n,
          compression,
          producerId: 7n,
          producerEpoch: 1,
          baseSequence: 0,
          records: [
            { key: 'k', value: 'v'.repeat(40), headers: [{ key: 'h1', value: 'x' }, { key: 'h2', value: null }], timestamp: 1000 },
            { key: null, value: null, timestamp: 500 },
            { key: 'key-2', value: Buffer.alloc(200, 3), timestamp: 3_000_000 },
          ],
        }),
        encodeControlBatch({ baseOffset: 13n, controlType: 1, producerId: 7n, producerEpoch: 1 }),
      ]),
    );
  }
  const inner = Buffer.concat([
    legacyMessage({ offset: 0n, magic: 1, timestamp: 5, key: Buffer.from('a'), value: Buffer.from('one') }),
    legacyMessage({ offset: 1n, magic: 1, timestamp: 6, key: null, value: Buffer.from('two') }),
  ]);
  sets.push(
    Buffer.concat([
      legacyMessage({ offset: 0n, magic: 0, key: Buffer.from('k0'), value: Buffer.from('v0') }),
      legacyMessage({ offset: 2n, magic: 1, attributes: 1, timestamp: 6, key: null, value: compress(1, inner) }),
      legacyMessage({ offset: 4n, magic: 1, attributes: 3, timestamp: 6, key: null, value: compress(3, inner) }),
    ]),
  );
  return sets;
}

const INTERESTING32 = [0, 1, -1, 0x7fffffff, -0x80000000, 0x7f, 0x80, 0xff, 0x100, 0xffff, 61, 49, 12];

function mutate(buf: Buffer, rnd: () => number): Buffer {
  const n = buf.length;
  const pick = (m: number): number => Math.floor(rnd() * m);
  switch (pick(9)) {
    case 0: {
      const b = Buffer.from(buf);
      for (let k = 1 + pick(4); k > 0; k--) b[pick(n)] ^= 1 << pick(8);
      return b;
    }
    case 1: {
      const b = Buffer.from(buf);
      b[pick(n)] = [0, 0xff, 0x7f, 0x80, 0x01, 0xfe][pick(6)];
      return b;
    }
    case 2: {
      const b = Buffer.from(buf);
      if (n >= 4) b.writeInt32BE(INTERESTING32[pick(INTERESTING32.length)], pick(n - 3));
      return b;
    }
    case 3:
      return buf.subarray(0, pick(n + 1));
    case 4: {
      const at = pick(n + 1);
      const extra = Buffer.alloc(1 + pick(16));
      for (let i = 0; i < extra.length; i++) extra[i] = pick(256);
      return Buffer.concat([buf.subarray(0, at), extra, buf.subarray(at)]);
    }
    case 5: {
      const at = pick(n);
      return Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(n, at + 1 + pick(16)))]);
    }
    case 6: {
      const at = pick(n);
      const len = 1 + pick(32);
      return Buffer.concat([buf.subarray(0, at + len), buf.subarray(at, at + len), buf.subarray(at + len)]);
    }
    case 7: {
      const b = Buffer.alloc(pick(200));
      for (let i = 0; i < b.length; i++) b[i] = pick(256);
      // Sometimes with a plausible entry header so the batch path is reached.
      if (b.length >= 17 && rnd() < 0.7) {
        b.writeInt32BE(b.length - 12, 8);
        b[16] = pick(3);
      }
      return b;
    }
    default: {
      const b = Buffer.from(buf);
      const at = pick(Math.max(1, n - 1));
      b[at] = pick(256);
      b[at + 1] = pick(256);
      return b;
    }
  }
}

/** Recomputes the CRC32C of every v2 batch whose declared bounds fit, so mutations get past the checksum. */
function reseal(buf: Buffer): Buffer {
  let p = 0;
  while (buf.length - p >= 61) {
    const size = 12 + buf.readInt32BE(p + 8);
    if (size < 61 || p + size > buf.length || buf[p + 16] !== 2) break;
    buf.writeUInt32BE(crc32c(buf, p + 21, p + size), p + 17);
    p += size;
  }
  return buf;
}

/** Mutates the uncompressed records section of the first (compressed) batch, recompresses and reseals it. */
function mutateInside(set: Buffer, rnd: () => number): Buffer {
  const first = decodeRecordSet(set, { checkCrcs: false }).batches[0];
  if (first === undefined || first.magic !== 2 || first.compression === 'none') return reseal(mutate(set, rnd));
  const rec = first.records[0];
  const data = rec._buf;
  const mutated = mutate(data, rnd);
  const codec = ['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(first.compression);
  const body = compress(codec, mutated);
  const header = Buffer.from(set.subarray(0, 61));
  header.writeInt32BE(61 - 12 + body.length, 8);
  if (rnd() < 0.3) header.writeInt32BE(Math.floor(rnd() * 8), 57); // record count
  const batch = Buffer.concat([header, body]);
  return reseal(Buffer.concat([batch, set.subarray(first.sizeInBytes)]));
}

export interface FuzzStats {
  cases: number;
  decodedOk: number;
  typedErrors: number;
  incompleteTails: number;
  failures: string[];
}

/** Runs `cases` fuzz cases; failures (untyped errors, internal errors, throwing getters) are collected, not thrown. */
export function runFuzz(cases: number, seed = 1): FuzzStats {
  const rnd = prng(seed);
  const seeds = seedSets();
  const stats: FuzzStats = { cases: 0, decodedOk: 0, typedErrors: 0, incompleteTails: 0, failures: [] };
  for (let i = 0; i < cases; i++) {
    const base = seeds[Math.floor(rnd() * seeds.length)];
    const mode = Math.floor(rnd() * 3);
    let input: Buffer;
    try {
      input = mode === 0 ? mutate(base, rnd) : mode === 1 ? reseal(mutate(base, rnd)) : mutateInside(base, rnd);
    } catch (e) {
      stats.failures.push(`case ${i}: building the input threw ${String(e)}`);
      continue;
    }
    stats.cases++;
    try {
      const r = decodeRecordSet(input, { checkCrcs: mode === 0 ? rnd() < 0.5 : true, maxDecompressedBytes: 1 << 20, topic: 't', partition: 0 });
      if (r.incompleteTail) stats.incompleteTails++;
      if (r.error !== undefined) {
        stats.typedErrors++;
        if (!isGregorError(r.error)) stats.failures.push(`case ${i}: untyped error ${String(r.error)}`);
        else if (r.error instanceof CorruptRecordError && r.error.message.includes('internal decoder error')) {
          stats.failures.push(`case ${i}: ${r.error.message} input=${input.toString('hex')}`);
        }
      } else {
        stats.decodedOk++;
      }
      if (r.bytesRead > input.length) stats.failures.push(`case ${i}: bytesRead beyond the input`);
      for (const b of r.batches) {
        for (const rec of b.records) {
          // Every getter must work on whatever the decoder accepted.
          void rec.key;
          void rec.value;
          for (const h of rec.headers) void h.key;
          void rec.offset;
          if (!Number.isFinite(rec.timestamp)) stats.failures.push(`case ${i}: non-finite timestamp`);
        }
      }
    } catch (e) {
      stats.failures.push(`case ${i}: threw ${e instanceof Error ? e.stack : String(e)} input=${input.toString('hex')}`);
    }
    if (stats.failures.length >= 20) break;
  }
  return stats;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const get = (name: string, def: number): number => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const cases = get('--cases', 1_000_000);
  const seed = get('--seed', 1);
  const chunk = 50_000;
  const start = Date.now();
  const total: FuzzStats = { cases: 0, decodedOk: 0, typedErrors: 0, incompleteTails: 0, failures: [] };
  for (let done = 0, k = 0; done < cases; done += chunk, k++) {
    const s = runFuzz(Math.min(chunk, cases - done), seed * 1000 + k);
    total.cases += s.cases;
    total.decodedOk += s.decodedOk;
    total.typedErrors += s.typedErrors;
    total.incompleteTails += s.incompleteTails;
    total.failures.push(...s.failures);
    process.stdout.write(`\r${total.cases} cases, ${total.failures.length} failures, ${((Date.now() - start) / 1000).toFixed(0)} s`);
    if (total.failures.length > 0) break;
  }
  console.log(
    `\n${total.cases} cases in ${((Date.now() - start) / 1000).toFixed(1)} s: ${total.decodedOk} decoded, ` +
      `${total.typedErrors} typed errors, ${total.incompleteTails} incomplete tails, ${total.failures.length} failures`,
  );
  for (const f of total.failures.slice(0, 10)) console.log(f);
  process.exit(total.failures.length === 0 ? 0 : 1);
}
