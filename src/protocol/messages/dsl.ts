// gregor's definition language for Kafka protocol messages.
//
// Each API is written once, as data, in a notation close to Kafka's own message specs (the JSON files under
// clients/src/main/resources/common/message in the Kafka source tree), so a definition can be checked against the
// spec field by field (test/integration/protocol-spec-drift.test.ts does exactly that) and a new version is usually
// a one-token edit. One field is one string:
//
//   'Name type versions [nullable=R] [tag=N tagged=R] [default=V] [ignorable]'
//
//   type      int8 int16 uint16 int32 uint32 int64 float64 bool string bytes records uuid, `[]T` for arrays, or a
//             struct name; a struct (or array of structs) is written as a tuple [fieldString, childFields].
//   versions  'N+', 'N-M', 'N' or 'none' (Kafka's version-range syntax).
//   nullable  the versions in which the field may be null (strings, bytes, records, arrays, structs).
//   tag       tagged field number and `tagged` its versions (KIP-482): sent only when not the default.
//   default   the value a missing field takes: a number, true/false, null, or a JSON string.
//   ignorable the field may be dropped silently when the chosen version cannot carry it; without this flag,
//             encoding a non-default value at a version that lacks the field is an error (as in the Java client).
//
// A message's fields are parsed once, when first read; the codec then compiles a plan per API and version.

import { ProtocolError } from '../../errors.js';

/** An inclusive version range; `max` is Infinity for 'N+'. The empty range ('none') has min > max. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export const NO_VERSIONS: VersionRange = Object.freeze({ min: 1, max: 0 });

export function inRange(r: VersionRange | null, v: number): boolean {
  return r !== null && v >= r.min && v <= r.max;
}

export function parseVersions(s: string): VersionRange {
  if (s === 'none') return NO_VERSIONS;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return Object.freeze({ min: Number(m[1]), max: Infinity });
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return Object.freeze({ min: Number(m[1]), max: Number(m[2]) });
  m = /^(\d+)$/.exec(s);
  if (m) return Object.freeze({ min: Number(m[1]), max: Number(m[1]) });
  throw new ProtocolError(`bad version range ${JSON.stringify(s)}`);
}

export function formatVersions(r: VersionRange): string {
  if (r.min > r.max) return 'none';
  if (r.max === Infinity) return `${r.min}+`;
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}

export type ScalarType =
  | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'bool'
  | 'string' | 'bytes' | 'records' | 'uuid';

const SCALARS: ReadonlySet<string> = new Set<ScalarType>([
  'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid',
]);

/** A field as written in a definition file. */
export type FieldSpec = string | readonly [string, Fields];
export type Fields = readonly FieldSpec[];

/** A parsed field. */
export interface FieldDef {
  /** The spec's name, e.g. 'PartitionIndex'. */
  readonly name: string;
  /** The JS property name: the spec name in lowerCamelCase, e.g. 'partitionIndex'. */
  readonly key: string;
  /** The spec's type string, e.g. 'int32', '[]int32', '[]FetchTopic', 'LeaderIdAndEpoch'. */
  readonly type: string;
  readonly isArray: boolean;
  /** Element type: a scalar, or 'struct' with `fields` set. */
  readonly elem: ScalarType | 'struct';
  readonly structName: string | null;
  readonly fields: readonly FieldDef[] | null;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange;
  readonly tag: number | null;
  readonly taggedVersions: VersionRange;
  /** True when the definition states a default (the implicit default applies otherwise). */
  readonly hasDefault: boolean;
  /** The stated default as a JS value (bigint for int64), or undefined. */
  readonly defaultValue: unknown;
  readonly ignorable: boolean;
}

export interface MessageDef {
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly fields: readonly FieldDef[];
  /** Kafka marks a version under development this way; brokers refuse it unless unstable APIs are enabled. */
  readonly latestVersionUnstable: boolean;
}

export interface ApiDef {
  readonly apiKey: number;
  /** Kafka's API name without the Request/Response suffix, e.g. 'Fetch'. */
  readonly name: string;
  readonly request: MessageDef;
  readonly response: MessageDef;
}

export interface MessageOptions {
  latestVersionUnstable?: boolean;
}

/** The JS property name for a spec field name. */
export function camelKey(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function parseDefault(raw: string, elem: ScalarType | 'struct', isArray: boolean, where: string): unknown {
  if (raw === 'null') return null;
  if (isArray || elem === 'struct') throw new ProtocolError(`${where}: only null may be the default of an array or struct`);
  switch (elem) {
    case 'bool':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      break;
    case 'string':
      if (raw.startsWith('"')) return JSON.parse(raw) as string;
      break;
    case 'int64':
      if (/^-?\d+$/.test(raw)) return BigInt(raw);
      break;
    case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'float64':
      if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
      break;
    default:
      break;
  }
  throw new ProtocolError(`${where}: default ${raw} does not fit type ${elem}`);
}

function parseField(spec: FieldSpec, where: string): FieldDef {
  const text = typeof spec === 'string' ? spec : spec[0];
  const children = typeof spec === 'string' ? null : spec[1];
  const parts = text.split(' ');
  if (parts.length < 3) throw new ProtocolError(`${where}: field "${text}" needs a name, a type and versions`);
  const [name, type, versions, ...flags] = parts;
  const isArray = type.startsWith('[]');
  const base = isArray ? type.slice(2) : type;
  const isStruct = !SCALARS.has(base);
  const here = `${where}.${name}`;
  if (isStruct && children === null) throw new ProtocolError(`${here}: struct type ${base} needs its fields`);
  if (!isStruct && children !== null) throw new ProtocolError(`${here}: scalar type ${base} cannot have fields`);
  const elem: ScalarType | 'struct' = isStruct ? 'struct' : (base as ScalarType);
  let nullableVersions = NO_VERSIONS;
  let tag: number | null = null;
  let taggedVersions = NO_VERSIONS;
  let hasDefault = false;
  let defaultValue: unknown;
  let ignorable = false;
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const k = eq < 0 ? flag : flag.slice(0, eq);
    const v = eq < 0 ? '' : flag.slice(eq + 1);
    if (k === 'nullable') nullableVersions = parseVersions(v);
    else if (k === 'tag') tag = Number(v);
    else if (k === 'tagged') taggedVersions = parseVersions(v);
    else if (k === 'default') {
      hasDefault = true;
      defaultValue = parseDefault(v, elem, isArray, here);
    } else if (k === 'ignorable') ignorable = true;
    else throw new ProtocolError(`${here}: unknown flag ${flag}`);
  }
  if ((tag === null) !== (taggedVersions.min > taggedVersions.max)) {
    throw new ProtocolError(`${here}: tag and tagged versions go together`);
  }
  const fields = children === null ? null : Object.freeze(children.map((c) => parseField(c, here)));
  return Object.freeze({
    name, key: camelKey(name), type, isArray, elem, structName: isStruct ? base : null, fields,
    versions: parseVersions(versions), nullableVersions, tag, taggedVersions, hasDefault, defaultValue, ignorable,
  });
}

/**
 * One direction (request or response) of an API. Its fields are parsed when first read (the codec compiling a plan,
 * a test), not when the module loads: a process uses a dozen of the 41 APIs, and every thread that loads the
 * protocol (the heartbeat worker too) would otherwise parse them all (~3 ms and ~2 MiB each, bench/README.md).
 */
export function message(validVersions: string, flexibleVersions: string, fields: Fields, options: MessageOptions = {}): MessageDef {
  let parsed: readonly FieldDef[] | undefined;
  return Object.freeze({
    validVersions: parseVersions(validVersions),
    flexibleVersions: parseVersions(flexibleVersions),
    get fields(): readonly FieldDef[] {
      return (parsed ??= Object.freeze(fields.map((f) => parseField(f, '(message)'))));
    },
    latestVersionUnstable: options.latestVersionUnstable ?? false,
  });
}

/** An API: its key, its name, and both directions. */
export function api(apiKey: number, name: string, def: { request: MessageDef; response: MessageDef }): ApiDef {
  return Object.freeze({ apiKey, name, request: def.request, response: def.response });
}
