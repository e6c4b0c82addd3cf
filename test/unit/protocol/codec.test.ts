// The generic codec: every message round-trips at every version in both directions, a few encodings match
// bytes derived by hand from the protocol guide, and bad bodies and bad frames fail with typed errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GregorError, ProtocolError, UnsupportedError } from '../../../src/errors.js';
import {
  ApiKey, decodeRequest, decodeResponse, encodeRequest, encodeResponse, supportedVersions, isFlexibleVersion, ZERO_UUID_STRING,
  type FetchResponse, type MetadataRequest,
} from '../../../src/protocol/index.js';
import { API_DEFS, inRange, type FieldDef, type MessageDef } from '../../../src/protocol/messages/index.js';
import { prng } from '../../support/prng.js';

// ---------------------------------------------------------------------------------------------------------------
// Random bodies from the definitions

type Rnd = () => number;
const int = (rnd: Rnd, min: number, max: number): number => min + Math.floor(rnd() * (max - min + 1));
const randBytes = (rnd: Rnd, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(rnd, 0, 255)));
const STRINGS = ['', 'a', 'topic-1', 'grüße', '日本', 'x'.repeat(40)];

function sampleScalar(f: FieldDef, rnd: Rnd): unknown {
  switch (f.elem) {
    case 'int8': return int(rnd, -128, 127);
    case 'int16': return int(rnd, -32768, 32767);
    case 'uint16': return int(rnd, 0, 65535);
    case 'int32': return int(rnd, -2147483648, 2147483647);
    case 'uint32': return int(rnd, 0, 4294967295);
    case 'int64': return randBytes(rnd, 8).readBigInt64BE(0);
    case 'float64': return rnd() * 1e6 - 5e5;
    case 'bool': return rnd() < 0.5;
    case 'string': return STRINGS[int(rnd, 0, STRINGS.length - 1)];
    case 'bytes': case 'records': return randBytes(rnd, int(rnd, 0, 20));
    case 'uuid': return randBytes(rnd, 16).toString('base64url');
    default: throw new Error(`no sample for ${f.elem}`);
  }
}

function sampleValue(f: FieldDef, v: number, rnd: Rnd, depth: number): unknown {
  if (inRange(f.nullableVersions, v) && rnd() < 0.2) return null;
  const one = (): unknown => (f.elem === 'struct' ? sampleStruct(f.fields!, v, rnd, depth + 1) : sampleScalar(f, rnd));
  if (f.isArray) return Array.from({ length: depth > 3 ? 0 : int(rnd, 0, 3) }, one);
  return one();
}

function sampleStruct(fields: readonly FieldDef[], v: number, rnd: Rnd, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) if (inRange(f.versions, v)) o[f.key] = sampleValue(f, v, rnd, depth);
  return o;
}

/** Checks a decoded struct against the sample it came from: present fields equal, absent ones at their default. */
function checkDecoded(fields: readonly FieldDef[], v: number, sample: Record<string, unknown>, decoded: Record<string, unknown>, path: string): void {
  assert.deepEqual(Object.keys(decoded), fields.map((f) => f.key), `${path}: decoded keys`);
  for (const f of fields) {
    const at = `${path}.${f.key}`;
    const got = decoded[f.key];
    if (!inRange(f.versions, v)) {
      if (f.hasDefault) assert.deepEqual(got, f.defaultValue, `${at}: default`);
      else if (f.isArray) assert.deepEqual(got, [], `${at}: default`);
      continue;
    }
    const want = sample[f.key];
    if (f.elem === 'struct' && want !== null && got !== null) {
      if (f.isArray) {
        assert.equal((got as unknown[]).length, (want as unknown[]).length, at);
        (want as Record<string, unknown>[]).forEach((w, i) => checkDecoded(f.fields!, v, w, (got as Record<string, unknown>[])[i], `${at}[${i}]`));
      } else checkDecoded(f.fields!, v, want as Record<string, unknown>, got as Record<string, unknown>, at);
    } else {
      assert.deepEqual(got, want, at);
    }
  }
}

function versionsOf(m: MessageDef): number[] {
  const out: number[] = [];
  for (let v = m.validVersions.min; v <= m.validVersions.max; v++) out.push(v);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Round trips

test('every request round-trips at every valid version (and re-encodes to the same bytes)', () => {
  let cases = 0;
  for (const api of API_DEFS) {
    for (const v of versionsOf(api.request)) {
      for (let seed = 1; seed <= 6; seed++) {
        const rnd = prng(api.apiKey * 1000 + v * 10 + seed);
        const body = sampleStruct(api.request.fields, v, rnd);
        const clientId = seed === 1 ? null : 'gregor-test';
        const frame = encodeRequest(api.apiKey, v, seed * 7, clientId, body);
        assert.equal(frame.readInt32BE(0), frame.length - 4, `${api.name} v${v}: size prefix`);
        const d = decodeRequest(frame.subarray(4));
        assert.deepEqual([d.apiKey, d.apiVersion, d.correlationId, d.clientId], [api.apiKey, v, seed * 7, clientId]);
        checkDecoded(api.request.fields, v, body, d.body, `${api.name} request v${v}`);
        assert.deepEqual(encodeRequest(api.apiKey, v, seed * 7, clientId, d.body), frame, `${api.name} request v${v}: re-encode`);
        cases++;
      }
    }
  }
  assert.ok(cases > 1000, `${cases} cases`);
});

test('every response round-trips at every valid version (and re-encodes to the same bytes)', () => {
  for (const api of API_DEFS) {
    for (const v of versionsOf(api.response)) {
      for (let seed = 1; seed <= 6; seed++) {
        const rnd = prng(api.apiKey * 1000 + v * 10 + seed + 500);
        const body = sampleStruct(api.response.fields, v, rnd);
        const frame = encodeResponse(api.apiKey, v, seed, body);
        const d = decodeResponse(api.apiKey, v, frame.subarray(4));
        assert.equal(d.correlationId, seed);
        checkDecoded(api.response.fields, v, body, d.body as Record<string, unknown>, `${api.name} response v${v}`);
        assert.deepEqual(encodeResponse(api.apiKey, v, seed, d.body), frame, `${api.name} response v${v}: re-encode`);
      }
    }
  }
});

test('an empty body encodes at every version: every field has a usable default', () => {
  for (const api of API_DEFS) {
    for (const v of versionsOf(api.request)) {
      const d = decodeRequest(encodeRequest(api.apiKey, v, 1, 'c', {}).subarray(4));
      assert.equal(d.apiVersion, v);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Golden bytes, derived by hand from https://kafka.apache.org/protocol

/** Hex with `#` comments, one field per line. */
const hex = (s: string): string => s.split('\n').map((l) => l.split('#')[0]).join('').replace(/\s+/g, '');

test('golden: ApiVersions request v3 uses request header v2 and compact strings', () => {
  const frame = encodeRequest(ApiKey.ApiVersions, 3, 1, 'gregor', { clientSoftwareName: 'gregor', clientSoftwareVersion: '0.1.0' });
  assert.equal(frame.toString('hex'), hex(`
    0000001f                     # size 31
    0012 0003 00000001           # api key 18, version 3, correlation id 1
    0006 677265676f72            # client id: a classic int16-length string even in header v2
    00                           # header tagged fields
    07 677265676f72              # ClientSoftwareName, compact: length + 1
    06 302e312e30                # ClientSoftwareVersion
    00                           # body tagged fields`));
});

test('golden: ApiVersions response v3 keeps response header v0 (KIP-511) and carries a tagged field', () => {
  const frame = Buffer.from(hex(`
    00000007                     # correlation id (no header tagged fields)
    0000                         # error code
    02 0012 0000 0004 00         # api keys: one entry (compact count 2), its empty tagged fields
    00000000                     # throttle time
    01 01 08 0000000000000005    # one tagged field: tag 1 (FinalizedFeaturesEpoch), 8 bytes, value 5`), 'hex');
  const { correlationId, body } = decodeResponse(ApiKey.ApiVersions, 3, frame);
  assert.equal(correlationId, 7);
  assert.deepEqual(body, {
    errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }], throttleTimeMs: 0,
    supportedFeatures: [], finalizedFeaturesEpoch: 5n, finalizedFeatures: [], zkMigrationReady: false,
  });
  assert.deepEqual(encodeResponse(ApiKey.ApiVersions, 3, 7, body).subarray(4), frame);
});

test('golden: Metadata request v0 with a null client id and one topic', () => {
  const frame = encodeRequest(ApiKey.Metadata, 0, 2, null, { topics: [{ name: 't' }] });
  assert.equal(frame.toString('hex'), '00000011' + '0003' + '0000' + '00000002' + 'ffff' + '00000001' + '0001' + '74');
});

test('golden: Heartbeat request v4 (flexible) with a null group instance id', () => {
  const frame = encodeRequest(ApiKey.Heartbeat, 4, 3, 'c', { groupId: 'g', generationId: 5, memberId: 'm', groupInstanceId: null });
  assert.equal(frame.toString('hex'), '00000016' + '000c0004' + '00000003' + '000163' + '00' + '0267' + '00000005' + '026d' + '00' + '00');
});

test('golden: a Fetch v12 partition with a tagged CurrentLeader decodes to defaults for what is absent', () => {
  const frame = Buffer.from(hex(`
    00000009 00                 # correlation id, header tagged fields
    00000000 0000 00000000      # throttle, error, session id
    02 02 74                    # one topic (compact), name "t"
    02                          # one partition
    00000003 0000               # partition 3, no error
    000000000000000a            # high watermark 10
    0000000000000009            # last stable offset 9
    0000000000000000            # log start offset 0
    00                          # aborted transactions: null (compact 0)
    ffffffff                    # preferred read replica -1
    04 616263                   # records: 3 bytes
    01 01 09                    # partition tagged fields: one, tag 1 (CurrentLeader), 9 bytes:
    00000002 00000007 00        #   leaderId 2, leaderEpoch 7, and the struct's own (empty) tagged fields
    00                          # topic tagged fields
    00                          # body tagged fields`), 'hex');
  const body = decodeResponse(ApiKey.Fetch, 12, frame).body as FetchResponse;
  const p = body.responses[0].partitions[0];
  assert.equal(body.responses[0].topic, 't');
  assert.equal(body.responses[0].topicId, ZERO_UUID_STRING);
  assert.equal(p.partitionIndex, 3);
  assert.equal(p.highWatermark, 10n);
  assert.equal(p.abortedTransactions, null);
  assert.deepEqual(p.currentLeader, { leaderId: 2, leaderEpoch: 7 });
  assert.deepEqual(p.divergingEpoch, { epoch: -1, endOffset: -1n });
  assert.equal(p.records?.toString(), 'abc');
  assert.equal(p.records?.buffer, frame.buffer, 'records is a view into the frame');
});

// ---------------------------------------------------------------------------------------------------------------
// Headers, versions, options

test('header versions: flexible requests use header v2, ApiVersions responses always v0', () => {
  assert.equal(isFlexibleVersion(ApiKey.Fetch, 11), false);
  assert.equal(isFlexibleVersion(ApiKey.Fetch, 12), true);
  assert.equal(isFlexibleVersion(ApiKey.SaslHandshake, 1), false);
  // A flexible response header has a tagged-field byte after the correlation id; ApiVersions v3 has none.
  const hb = encodeResponse(ApiKey.Heartbeat, 4, 1, {});
  assert.equal(hb.toString('hex'), '0000000c' + '00000001' + '00' + '00000000' + '0000' + '00');
  const av = encodeResponse(ApiKey.ApiVersions, 3, 1, {});
  assert.equal(av.toString('hex'), '0000000c' + '00000001' + '0000' + '01' + '00000000' + '00');
});

test('ApiVersions: an UNSUPPORTED_VERSION answer is decoded as v0 whatever version was asked (KIP-511)', () => {
  const v0 = encodeResponse(ApiKey.ApiVersions, 0, 5, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }] });
  const { correlationId, body } = decodeResponse(ApiKey.ApiVersions, 4, v0.subarray(4));
  assert.equal(correlationId, 5);
  assert.equal(body.errorCode, 35);
  assert.deepEqual(body.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 3 }]);
});

test('supportedVersions: the spec ranges, without a version Kafka marks unstable', () => {
  assert.deepEqual(supportedVersions(ApiKey.Fetch), { min: 4, max: 18 });
  assert.deepEqual(supportedVersions(ApiKey.ApiVersions), { min: 0, max: 4 });
  assert.deepEqual(supportedVersions(ApiKey.InitProducerId), { min: 0, max: 5 });
  assert.deepEqual(supportedVersions(ApiKey.ShareFetch), { min: 1, max: 2 });
  assert.throws(() => supportedVersions(ApiKey.DeleteRecords), UnsupportedError);
});

test('int64 fields accept safe-integer numbers; uuid fields accept canonical strings and Buffers', () => {
  const a = encodeRequest(ApiKey.ListOffsets, 9, 1, null, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
  const b = encodeRequest(ApiKey.ListOffsets, 9, 1, null, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
  assert.deepEqual(a, b);
  const id = '0b1a2c3d-4e5f-4061-8273-8495a6b7c8d9';
  const m1 = encodeRequest(ApiKey.Metadata, 12, 1, null, { topics: [{ topicId: id, name: null }] } satisfies MetadataRequest);
  const m2 = encodeRequest(ApiKey.Metadata, 12, 1, null, { topics: [{ topicId: Buffer.from(id.replace(/-/g, ''), 'hex'), name: null }] });
  assert.deepEqual(m1, m2);
  assert.equal(decodeRequest(m1.subarray(4)).body.topics[0].topicId, Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url'));
});

// ---------------------------------------------------------------------------------------------------------------
// Bad bodies

function throwsWith(fn: () => unknown, cls: abstract new (...args: never[]) => GregorError, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

test('encoding rejects unknown fields, wrong types, out-of-range numbers and nulls, naming the field path', () => {
  throwsWith(() => encodeRequest(ApiKey.Fetch, 17, 1, null, { topics: [{ topicId: ZERO_UUID_STRING, partitions: [{ partitionId: 0 }] }] } as object),
    ProtocolError, /Fetch request v17: topics\[0\]\.partitions\[0\]\.partitionId: unknown field/);
  throwsWith(() => encodeRequest(ApiKey.Fetch, 17, 1, null, { maxWaitMs: '500' } as object), ProtocolError, /maxWaitMs: expected an int32, got "500"/);
  throwsWith(() => encodeRequest(ApiKey.Fetch, 17, 1, null, { isolationLevel: 300 }), ProtocolError, /isolationLevel: expected an int8, got 300/);
  throwsWith(() => encodeRequest(ApiKey.Fetch, 17, 1, null, { topics: [{ partitions: [{ fetchOffset: 1.5 }] }] }), ProtocolError, /fetchOffset: expected an int64/);
  throwsWith(() => encodeRequest(ApiKey.Heartbeat, 4, 1, null, { groupId: null } as object), ProtocolError, /groupId: null is not allowed/);
  throwsWith(() => encodeRequest(ApiKey.Metadata, 0, 1, null, { topics: null }), ProtocolError, /topics: null is not allowed/);
  throwsWith(() => encodeRequest(ApiKey.Fetch, 17, 1, null, { topics: {} } as object), ProtocolError, /topics: expected an array/);
  throwsWith(() => encodeRequest(ApiKey.Fetch, 17, 1, null, null as unknown as object), ProtocolError, /^Fetch request v17: expected an object, got null$/);
  throwsWith(() => encodeRequest(ApiKey.Metadata, 12, 1, null, { topics: [{ topicId: 'nope' }] }), ProtocolError, /not a UUID/);
});

test('a non-default value for a field the version lacks is an error, unless the field is ignorable', () => {
  // Heartbeat GroupInstanceId exists from v3 and is not ignorable (KIP-345 static membership cannot be faked).
  throwsWith(() => encodeRequest(ApiKey.Heartbeat, 2, 1, null, { groupId: 'g', groupInstanceId: 'static-1' }),
    UnsupportedError, /^Heartbeat request v2: groupInstanceId: "static-1" cannot be sent in this version \(the field exists in versions 3\+\)$/);
  // The default value is fine at any version.
  encodeRequest(ApiKey.Heartbeat, 2, 1, null, { groupId: 'g', groupInstanceId: null });
  // Fetch CurrentLeaderEpoch (v9+) is ignorable: dropped at v8, as the Java client does.
  const v8 = encodeRequest(ApiKey.Fetch, 8, 1, null, { topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch: 5 }] }] });
  assert.equal(decodeRequest(v8.subarray(4)).body.topics[0].partitions[0].currentLeaderEpoch, -1);
});

test('unsupported APIs and versions are UnsupportedError', () => {
  throwsWith(() => encodeRequest(ApiKey.Fetch, 3, 1, null, {}), UnsupportedError, /Fetch v3 is not a valid version \(valid: 4-18\)/);
  throwsWith(() => encodeRequest(ApiKey.Fetch, 19, 1, null, {}), UnsupportedError, /Fetch v19/);
  throwsWith(() => encodeRequest(ApiKey.DeleteRecords, 1, 1, null, {}), UnsupportedError, /does not implement DeleteRecords/);
  throwsWith(() => decodeResponse(999, 0, Buffer.alloc(8)), UnsupportedError, /ApiKey\(999\)/);
});

// ---------------------------------------------------------------------------------------------------------------
// Bad frames

test('unknown tagged fields are skipped on decode (KIP-482: peers may add them)', () => {
  const frame = Buffer.from('00000001' + '00' + '00000000' + '0000' + '02' + '05' + '02' + 'abcd' + '09' + '00', 'hex');
  const { body } = decodeResponse(ApiKey.Heartbeat, 4, frame);
  assert.deepEqual(body, { throttleTimeMs: 0, errorCode: 0 });
});

test('every truncation of every response is a ProtocolError naming the message, never another error', () => {
  for (const api of API_DEFS) {
    const v = api.response.validVersions.max;
    const body = sampleStruct(api.response.fields, v, prng(api.apiKey + 77));
    const frame = encodeResponse(api.apiKey, v, 1, body).subarray(4);
    for (let cut = 0; cut < frame.length; cut++) {
      throwsWith(() => decodeResponse(api.apiKey, v, frame.subarray(0, cut)), ProtocolError, new RegExp(`^${api.name} response v${v}: `));
    }
    throwsWith(() => decodeResponse(api.apiKey, v, Buffer.concat([frame, Buffer.from([0])])), ProtocolError, /unexpected bytes after the response body/);
  }
});

test('mutated responses decode to a value or fail with a ProtocolError (small fuzz sample)', () => {
  const rnd = prng(2024);
  let failures = 0;
  let total = 0;
  for (const api of API_DEFS) {
    for (const v of [api.response.validVersions.min, api.response.validVersions.max]) {
      const frame = encodeResponse(api.apiKey, v, 1, sampleStruct(api.response.fields, v, rnd)).subarray(4);
      for (let i = 0; i < 40; i++) {
        const m = Buffer.from(frame);
        for (let k = int(rnd, 1, 3); k > 0; k--) m[int(rnd, 0, m.length - 1)] = int(rnd, 0, 255);
        total++;
        try {
          decodeResponse(api.apiKey, v, m);
        } catch (e) {
          failures++;
          assert.ok(e instanceof ProtocolError, `${api.name} v${v}: ${String(e)}`);
        }
      }
    }
  }
  assert.ok(failures > 0 && failures < total, `${failures} of ${total} mutations failed to decode`);
});

test('src/protocol/messages/types.ts is up to date with the definitions', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-protocol-types.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('without code generation (node --disallow-code-generation-from-strings) the generic reader decodes the same', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const script = `
    const { encodeResponse, decodeResponse } = await import(${JSON.stringify(join(root, 'dist', 'src', 'protocol', 'index.js'))});
    const body = { responses: [{ topic: 't', partitions: [{ partitionIndex: 2, highWatermark: 9n, records: Buffer.from('x'), currentLeader: { leaderId: 1, leaderEpoch: 4 } }] }] };
    const d = decodeResponse(1, 12, encodeResponse(1, 12, 1, body).subarray(4)).body;
    const p = d.responses[0].partitions[0];
    console.log(JSON.stringify([p.partitionIndex, String(p.highWatermark), p.currentLeader.leaderEpoch, p.records.toString(), Object.keys(p).length]));`;
  const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [2, '9', 4, 'x', 11]);
});
