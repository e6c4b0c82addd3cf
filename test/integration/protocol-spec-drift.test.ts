// Spec drift: gregor's message definitions (src/protocol/messages) against Kafka's official message specs, the
// common/message/*.json files inside the kafka-clients jar the harness downloads into .kafka/lib. Fails on any
// difference in field names, types, version ranges, nullability, tagged fields, defaults, ignorable flags,
// flexibleVersions, validVersions or latestVersionUnstable; and the error-code table against Kafka's Errors enum.
// The spec files are read from the jar at test time and never copied into the repository.
//
// The jar is read with a small zip central-directory reader and node:zlib, so no tool or dependency is needed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import { API_DEFS, formatVersions, type FieldDef, type MessageDef } from '../../src/protocol/messages/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { supportedVersions } from '../../src/protocol/index.js';
import { kafkaJars } from './helpers/kafka.js';
import { ERROR_CODES } from '../../src/protocol/error-codes.js';

// The jar matching scripts/kafka/pom.xml's kafka.version (the harness re-fetches the jars when the pom changes).
const clientsJar = (): string => kafkaJars().clientsJar;

/** Reads the entries of a zip file whose names match `filter`: a central-directory walk, stored or deflated. */
function readZip(path: string, filter: (name: string) => boolean): Map<string, Buffer> {
  const zip = readFileSync(path);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, `${path}: no zip end-of-central-directory record`);
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < entries; i++) {
    assert.equal(zip.readUInt32LE(p), 0x02014b50, `${path}: bad central directory entry at ${p}`);
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (!filter(name)) continue;
    assert.equal(zip.readUInt32LE(localOffset), 0x04034b50, `${path}: bad local header for ${name}`);
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    if (method === 0) out.set(name, raw);
    else if (method === 8) out.set(name, inflateRawSync(raw));
    else assert.fail(`${path}: ${name} uses zip method ${method}`);
  }
  return out;
}

interface SpecField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  tag?: number;
  taggedVersions?: string;
  default?: string | number | boolean;
  ignorable?: boolean;
  fields?: SpecField[];
}

interface SpecMessage {
  apiKey: number;
  type: string;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  fields: SpecField[];
  commonStructs?: { name: string; versions: string; fields: SpecField[] }[];
}

function loadSpecs(): Map<string, SpecMessage> {
  const files = readZip(clientsJar(), (n) => n.startsWith('common/message/') && n.endsWith('.json'));
  assert.ok(files.size > 100, `expected the message specs in the jar, found ${files.size} files`);
  const specs = new Map<string, SpecMessage>();
  for (const [name, data] of files) {
    // The spec files carry a license header and notes as `//` comment lines, which JSON does not allow.
    const json = data.toString('utf8').split('\n').filter((l) => !/^\s*\/\//.test(l)).join('\n');
    const spec = JSON.parse(json) as SpecMessage;
    specs.set(name.slice('common/message/'.length, -'.json'.length), spec);
  }
  return specs;
}

/** Normalises a version range string ('0+', '3-5', '7', 'none') to gregor's formatting for comparison. */
function normVersions(s: string | undefined): string {
  if (s === undefined || s === 'none') return 'none';
  const m = /^(\d+)(?:-(\d+)|(\+))?$/.exec(s.trim());
  assert.ok(m, `unparseable version range ${s}`);
  if (m[3]) return `${Number(m[1])}+`;
  if (m[2] !== undefined) return Number(m[1]) === Number(m[2]) ? `${Number(m[1])}` : `${Number(m[1])}-${Number(m[2])}`;
  return `${Number(m[1])}`;
}

/** The spec's default as the typed value gregor's parser produces (int64 as bigint, hex ints as numbers). */
function normDefault(f: SpecField): unknown {
  const d = f.default;
  if (d === undefined) return undefined;
  if (d === 'null') return null;
  const base = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
  switch (base) {
    case 'bool':
      return d === true || d === 'true';
    case 'string':
      return String(d);
    case 'int64':
      return BigInt(d as string | number);
    case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'float64':
      return Number(d);
    default:
      return d;
  }
}

function show(v: unknown): string {
  return typeof v === 'bigint' ? `${v}n` : JSON.stringify(v);
}

function compareFields(
  ours: readonly FieldDef[], theirs: SpecField[], common: Map<string, SpecField[]>, path: string, diffs: string[],
): void {
  const ourNames = ours.map((f) => f.name);
  const theirNames = theirs.map((f) => f.name);
  if (ourNames.join(',') !== theirNames.join(',')) {
    diffs.push(`${path}: fields [${ourNames.join(', ')}] != spec [${theirNames.join(', ')}]`);
  }
  for (const spec of theirs) {
    const f = ours.find((o) => o.name === spec.name);
    if (f === undefined) continue;
    const at = `${path}.${spec.name}`;
    const check = (what: string, mine: unknown, specs: unknown): void => {
      if (mine !== specs) diffs.push(`${at}: ${what} ${show(mine)} != spec ${show(specs)}`);
    };
    check('type', f.type, spec.type);
    check('versions', formatVersions(f.versions), normVersions(spec.versions));
    check('nullableVersions', formatVersions(f.nullableVersions), normVersions(spec.nullableVersions));
    check('tag', f.tag, spec.tag ?? null);
    check('taggedVersions', formatVersions(f.taggedVersions), normVersions(spec.taggedVersions));
    check('ignorable', f.ignorable, spec.ignorable ?? false);
    check('has default', f.hasDefault, spec.default !== undefined);
    if (f.hasDefault && spec.default !== undefined) check('default', f.defaultValue, normDefault(spec));
    const base = spec.type.startsWith('[]') ? spec.type.slice(2) : spec.type;
    const children = spec.fields ?? common.get(base);
    if (children !== undefined) {
      if (f.fields === null) diffs.push(`${at}: spec has struct fields, gregor has none`);
      else compareFields(f.fields, children, common, at, diffs);
    } else if (f.fields !== null) diffs.push(`${at}: gregor has struct fields, the spec has a scalar ${spec.type}`);
  }
}

function compareMessage(name: string, ours: MessageDef, spec: SpecMessage, apiKey: number, diffs: string[]): void {
  if (spec.apiKey !== apiKey) diffs.push(`${name}: apiKey ${apiKey} != spec ${spec.apiKey}`);
  if (formatVersions(ours.validVersions) !== normVersions(spec.validVersions)) {
    diffs.push(`${name}: validVersions ${formatVersions(ours.validVersions)} != spec ${spec.validVersions}`);
  }
  if (formatVersions(ours.flexibleVersions) !== normVersions(spec.flexibleVersions)) {
    diffs.push(`${name}: flexibleVersions ${formatVersions(ours.flexibleVersions)} != spec ${spec.flexibleVersions}`);
  }
  if (ours.latestVersionUnstable !== (spec.latestVersionUnstable ?? false)) {
    diffs.push(`${name}: latestVersionUnstable ${ours.latestVersionUnstable} != spec ${spec.latestVersionUnstable ?? false}`);
  }
  const common = new Map((spec.commonStructs ?? []).map((c) => [c.name, c.fields] as const));
  compareFields(ours.fields, spec.fields, common, name, diffs);
}

const specs = loadSpecs();

test('every gregor message definition matches the Kafka message spec in the kafka-clients jar', () => {
  const diffs: string[] = [];
  for (const api of API_DEFS) {
    for (const [kind, def] of [['Request', api.request], ['Response', api.response]] as const) {
      const spec = specs.get(`${api.name}${kind}`);
      if (spec === undefined) {
        diffs.push(`${api.name}${kind}: no such spec in the jar`);
        continue;
      }
      assert.equal(spec.type, kind.toLowerCase());
      compareMessage(`${api.name}${kind}`, def, spec, api.apiKey, diffs);
    }
  }
  assert.deepEqual(diffs, [], `gregor's definitions drifted from the Kafka specs:\n  ${diffs.join('\n  ')}`);
});

test('the spec-drift comparison notices a difference (it is not vacuous)', () => {
  const fetch = API_DEFS.find((d) => d.name === 'Fetch')!;
  const spec = structuredClone(specs.get('FetchRequest')!);
  spec.validVersions = '4-99';
  spec.fields[0].name = 'Renamed';
  const diffs: string[] = [];
  compareMessage('FetchRequest', fetch.request, spec, fetch.apiKey, diffs);
  assert.ok(diffs.some((d) => d.includes('validVersions')), diffs.join('\n'));
  assert.ok(diffs.some((d) => d.includes('Renamed')), diffs.join('\n'));
});

test('the ApiKey table matches the apiKey of every request spec', () => {
  const fromSpecs = new Map<string, number>();
  for (const [file, spec] of specs) {
    if (spec.type === 'request') fromSpecs.set(file.replace(/Request$/, ''), spec.apiKey);
  }
  assert.deepEqual(Object.fromEntries([...fromSpecs].sort((a, b) => a[1] - b[1])), { ...ApiKey });
});

test('gregor defines every API the client, the producer and the admin tooling need', () => {
  const needed = [
    'ApiVersions', 'Metadata', 'FindCoordinator', 'ListOffsets', 'Fetch', 'OffsetFetch', 'OffsetCommit',
    'OffsetForLeaderEpoch', 'JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup', 'ConsumerGroupHeartbeat',
    'ConsumerGroupDescribe', 'DescribeGroups', 'ListGroups', 'SaslHandshake', 'SaslAuthenticate', 'Produce',
    'InitProducerId', 'EndTxn', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'TxnOffsetCommit', 'CreateTopics',
    'DeleteTopics', 'DescribeCluster', 'DescribeConfigs', 'ElectLeaders', 'AlterPartitionReassignments',
    'ListPartitionReassignments', 'IncrementalAlterConfigs', 'ShareGroupDescribe', 'DescribeShareGroupOffsets',
    'AlterShareGroupOffsets', 'DeleteShareGroupOffsets', 'GetTelemetrySubscriptions', 'PushTelemetry',
  ];
  const defined = new Set(API_DEFS.map((d) => d.name));
  assert.deepEqual(needed.filter((n) => !defined.has(n)), []);
  for (const name of needed) {
    const spec = specs.get(`${name}Request`)!;
    const range = supportedVersions(spec.apiKey);
    const valid = normVersions(spec.validVersions).split('-').map(Number);
    const max = spec.latestVersionUnstable ? (valid[1] ?? valid[0]) - 1 : (valid[1] ?? valid[0]);
    assert.deepEqual(range, { min: valid[0], max }, `${name}: supportedVersions`);
  }
});

// The error codes live in a Java enum (org.apache.kafka.common.protocol.Errors), not in a JSON spec: ask the JVM
// that runs the test broker. Java's single-file source launcher needs a JDK; with only a JRE the test is skipped.
const javaCheck = spawnSync('java', ['--version'], { encoding: 'utf8' });
const hasJdk = javaCheck.status === 0 && spawnSync('javac', ['-version'], { encoding: 'utf8' }).status === 0;

test('the error-code table matches Kafka\'s Errors enum (code, name, retriable)', { skip: hasJdk ? false : 'no JDK on PATH' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-errors-'));
  try {
    const src = join(dir, 'DumpErrors.java');
    writeFileSync(src, [
      'import org.apache.kafka.common.protocol.Errors;',
      'import org.apache.kafka.common.errors.RetriableException;',
      'public class DumpErrors {',
      '  public static void main(String[] args) {',
      '    for (Errors e : Errors.values())',
      '      System.out.println(e.code() + "\\t" + e.name() + "\\t" + (e.exception() instanceof RetriableException));',
      '  }',
      '}',
    ].join('\n'));
    const libs = kafkaJars().lib;
    const r = spawnSync('java', ['-cp', `${clientsJar()}:${join(libs, '*')}`, src], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const theirs = r.stdout.split('\n').filter((l) => /^-?\d+\t/.test(l)).map((l) => {
      const [code, name, retriable] = l.split('\t');
      return { code: Number(code), name, retriable: retriable === 'true' };
    });
    assert.ok(theirs.length > 100, `expected the Errors enum, got ${theirs.length} lines:\n${r.stdout}${r.stderr}`);
    const ours = ERROR_CODES.map(({ code, name, retriable }) => ({ code, name, retriable }));
    assert.deepEqual(ours, [...theirs].sort((a, b) => a.code - b.code));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
