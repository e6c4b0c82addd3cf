// The one generic, version-aware codec for every message defined under ./messages.
//
// For each (API, direction, version) the definitions are compiled once into a plan: per struct, the list of
// fields that are on the wire at that version, each with a reader and a writer closure already specialised for
// the version (classic or compact encoding per KIP-482, nullable or not), plus the tagged fields by tag number.
// The hot loop (a Fetch response with thousands of partitions) only calls those closures; it never looks at a
// version range or a type string.
//
// Decoded objects always carry every field of the definition, whatever the version: a field the version does not
// have takes its default, so callers never need version checks to read a response. Default arrays and structs
// filled in this way are frozen objects shared between decodes; decoded bodies are meant to be read, not mutated.
//
// Encoding checks what it is given: a missing field takes its default; an unknown property, a value of the wrong
// type or range, or a null where the version does not allow one is a ProtocolError naming the field path; a
// non-default value for a field the chosen version cannot carry is an UnsupportedError unless the definition
// marks the field ignorable (then it is dropped, as the Java client does).

import { GregorError, ProtocolError, UnsupportedError } from '../errors.js';
import { apiKeyName } from './api-keys.js';
import { apiDef, inRange, formatVersions, type ApiDef, type FieldDef, type MessageDef } from './messages/index.js';
import { Reader, UUID_SIZE, Writer, uuidFromString } from './primitives.js';

/** Kafka's printed form of the all-zero UUID (Uuid.ZERO_UUID): "no topic id". */
export const ZERO_UUID_STRING = 'AAAAAAAAAAAAAAAAAAAAAA';

const API_VERSIONS_KEY = 18;
const UNSUPPORTED_VERSION = 35;

type ReadFn = (r: Reader) => unknown;
type WriteFn = (w: Writer, v: unknown) => void;

// Encoding errors learn their field path on the way up (each struct and array level prepends its segment), so the
// success path never builds path strings.
const PATH = Symbol('gregor.fieldPath');

function withPath(err: unknown, segment: string): unknown {
  if (typeof err === 'object' && err !== null) {
    const e = err as { [PATH]?: string[] };
    (e[PATH] ??= []).unshift(segment);
  }
  return err;
}

function pathOf(err: unknown): string {
  const segs = (err as { [PATH]?: string[] })[PATH];
  if (segs === undefined || segs.length === 0) return '';
  return segs.map((seg, i) => (seg.startsWith('[') || i === 0 ? seg : `.${seg}`)).join('');
}

const enum Mode {
  Regular = 0,
  Tagged = 1,
  Absent = 2,
}

interface FieldPlan {
  readonly def: FieldDef;
  readonly key: string;
  readonly mode: Mode;
  readonly read: ReadFn;
  readonly write: WriteFn;
  /** The default as decoded objects carry it (shared and frozen for arrays and structs). */
  readonly dflt: unknown;
  readonly isDefault: (v: unknown) => boolean;
  /** Fewest bytes the field can take on the wire (used to reject impossible array counts early). */
  readonly minSize: number;
}

interface StructPlan {
  readonly flexible: boolean;
  readonly fields: readonly FieldPlan[];
  readonly tagged: readonly FieldPlan[];
  readonly byTag: ReadonlyMap<number, FieldPlan>;
  readonly known: ReadonlySet<string>;
  readonly minSize: number;
  /** Reads one struct: generated code when allowed (see compileReader), the generic loop otherwise. */
  readonly read: (r: Reader) => Record<string, unknown>;
}

export interface MessagePlan {
  readonly api: ApiDef;
  readonly version: number;
  readonly isRequest: boolean;
  /** Request header v2 / response header v1 (with a tagged-field section) rather than v1 / v0. */
  readonly flexibleHeader: boolean;
  readonly body: StructPlan;
  /** Last encoded size, used as the next Writer's initial capacity. */
  sizeHint: number;
  /** Path prefix for errors, e.g. 'Fetch response v17'. */
  readonly label: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalars

const INT_RANGES: Record<string, readonly [number, number]> = {
  int8: [-0x80, 0x7f],
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x8000_0000, 0x7fff_ffff],
  uint32: [0, 0xffff_ffff],
};

const FIXED_SIZES: Record<string, number> = {
  int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, bool: 1, uuid: UUID_SIZE,
};

const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function typeError(expected: string, v: unknown): ProtocolError {
  return new ProtocolError(`expected ${expected}, got ${describe(v)}`);
}

function nullError(): ProtocolError {
  return new ProtocolError('null is not allowed in this version');
}

function implicitDefault(def: FieldDef): unknown {
  if (def.isArray) return [];
  switch (def.elem) {
    case 'int64': return 0n;
    case 'bool': return false;
    case 'string': return '';
    case 'bytes': return EMPTY_BUFFER;
    case 'records': return null;
    case 'uuid': return ZERO_UUID_STRING;
    case 'struct': return null; // replaced by a struct of defaults in defaultOf()
    default: return 0;
  }
}

function scalarReader(def: FieldDef, flexible: boolean, nullable: boolean, what: string): ReadFn {
  switch (def.elem) {
    case 'int8': return (r) => r.int8(what);
    case 'int16': return (r) => r.int16(what);
    case 'uint16': return (r) => r.uint16(what);
    case 'int32': return (r) => r.int32(what);
    case 'uint32': return (r) => r.uint32(what);
    case 'int64': return (r) => r.int64(what);
    case 'float64': return (r) => r.float64(what);
    case 'bool': return (r) => r.boolean(what);
    case 'uuid':
      return (r) => {
        r.need(UUID_SIZE, what);
        const s = r.buf.toString('base64url', r.offset, r.offset + UUID_SIZE);
        r.offset += UUID_SIZE;
        return s;
      };
    case 'string':
      if (flexible) return nullable ? (r) => r.compactNullableString(what) : (r) => r.compactString(what);
      return nullable ? (r) => r.nullableString(what) : (r) => r.string(what);
    case 'bytes':
    case 'records':
      if (flexible) return nullable ? (r) => r.compactNullableBytes(what) : (r) => r.compactBytes(what);
      return nullable ? (r) => r.nullableBytes(what) : (r) => r.bytes(what);
    default:
      throw new ProtocolError(`no reader for type ${def.elem}`);
  }
}

function scalarWriter(def: FieldDef, flexible: boolean, nullable: boolean): WriteFn {
  const elem = def.elem;
  const range = INT_RANGES[elem];
  if (range !== undefined) {
    const [min, max] = range;
    const put: (w: Writer, v: number) => void =
      elem === 'int8' ? (w, v) => w.int8(v)
      : elem === 'int16' ? (w, v) => w.int16(v)
      : elem === 'uint16' ? (w, v) => w.uint16(v)
      : elem === 'int32' ? (w, v) => w.int32(v)
      : (w, v) => w.uint32(v);
    return (w, v) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw typeError(`an ${elem}`, v);
      put(w, v);
    };
  }
  switch (elem) {
    case 'int64':
      return (w, v) => {
        if (typeof v === 'bigint') {
          if (v < -(1n << 63n) || v >= 1n << 63n) throw typeError('an int64', v);
          w.int64(v);
        } else if (typeof v === 'number' && Number.isSafeInteger(v)) w.int64FromNumber(v);
        else throw typeError('an int64 (bigint or safe integer)', v);
      };
    case 'float64':
      return (w, v) => {
        if (typeof v !== 'number') throw typeError('a float64', v);
        w.float64(v);
      };
    case 'bool':
      return (w, v) => {
        if (typeof v !== 'boolean') throw typeError('a boolean', v);
        w.boolean(v);
      };
    case 'uuid':
      return (w, v) => {
        if (typeof v === 'string') w.raw(uuidFromString(v));
        else if (v instanceof Uint8Array && v.length === UUID_SIZE) w.raw(v);
        else throw typeError('a UUID (string or 16-byte Buffer)', v);
      };
    case 'string':
      return (w, v) => {
        if (v === null) {
          if (!nullable) throw nullError();
          if (flexible) w.uvarint(0);
          else w.int16(-1);
        } else if (typeof v === 'string') {
          if (flexible) w.compactString(v);
          else w.string(v);
        } else throw typeError('a string', v);
      };
    case 'bytes':
    case 'records':
      return (w, v) => {
        if (v === null) {
          if (!nullable) throw nullError();
          if (flexible) w.uvarint(0);
          else w.int32(-1);
        } else if (v instanceof Uint8Array) {
          if (flexible) w.compactBytes(v);
          else w.bytes(v);
        } else throw typeError('a Buffer', v);
      };
    default:
      throw new ProtocolError(`no writer for type ${elem}`);
  }
}

function scalarMinSize(def: FieldDef, flexible: boolean): number {
  const fixed = FIXED_SIZES[def.elem];
  if (fixed !== undefined) return fixed;
  if (flexible) return 1;
  return def.elem === 'string' ? 2 : 4;
}

// ---------------------------------------------------------------------------------------------------------------
// Defaults

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
    for (const x of Object.values(v as object)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** The default value of a field as decoded objects carry it; structs get an object of their fields' defaults. */
function defaultOf(def: FieldDef): unknown {
  if (def.hasDefault) return def.defaultValue;
  if (def.elem === 'struct' && !def.isArray) {
    const o: Record<string, unknown> = {};
    for (const f of def.fields!) o[f.key] = defaultOf(f);
    return deepFreeze(o);
  }
  return deepFreeze(implicitDefault(def));
}

function isDefaultFn(def: FieldDef): (v: unknown) => boolean {
  const d = defaultOf(def);
  if (d === null) return (v) => v === null;
  if (def.isArray) return (v) => Array.isArray(v) && v.length === 0;
  switch (def.elem) {
    case 'int64': {
      const big = d as bigint;
      return (v) => v === big || (typeof v === 'number' && Number.isSafeInteger(v) && BigInt(v) === big);
    }
    case 'bytes':
      return (v) => v instanceof Uint8Array && v.length === 0;
    case 'uuid':
      return (v) => v === ZERO_UUID_STRING || (v instanceof Uint8Array && v.length === UUID_SIZE && v.every((b) => b === 0))
        || (typeof v === 'string' && safeUuidIsZero(v));
    case 'struct': {
      const children = def.fields!.map((f) => [f.key, isDefaultFn(f)] as const);
      return (v) => typeof v === 'object' && v !== null
        && children.every(([k, fn]) => (v as Record<string, unknown>)[k] === undefined || fn((v as Record<string, unknown>)[k]));
    }
    default:
      return (v) => v === d;
  }
}

function safeUuidIsZero(s: string): boolean {
  try {
    return uuidFromString(s).every((b) => b === 0);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Plans

function compileField(def: FieldDef, version: number, flexible: boolean, parentPath: string): FieldPlan {
  const present = inRange(def.versions, version);
  const tagged = present && flexible && def.tag !== null && inRange(def.taggedVersions, version);
  const mode = !present ? Mode.Absent : tagged ? Mode.Tagged : Mode.Regular;
  const nullable = inRange(def.nullableVersions, version);
  const what = parentPath === '' ? def.key : `${parentPath}.${def.key}`;
  const dflt = defaultOf(def);

  let read: ReadFn;
  let write: WriteFn;
  let minSize: number;
  let elemRead: ReadFn;
  let elemWrite: WriteFn;
  let elemMin: number;

  if (def.elem === 'struct') {
    const child = compileStruct(def.fields!, version, flexible, def.isArray ? `${what}[]` : what);
    elemRead = child.read;
    elemWrite = (w, v) => writeStruct(w, child, v);
    elemMin = child.minSize;
    if (!def.isArray && nullable) {
      // A nullable struct is preceded by an int8 marker: -1 for null, 1 for present.
      const inner = elemRead;
      const innerWrite = elemWrite;
      elemRead = (r) => (r.int8(`${what} null marker`) < 0 ? null : inner(r));
      elemWrite = (w, v) => {
        if (v === null) w.int8(-1);
        else {
          w.int8(1);
          innerWrite(w, v);
        }
      };
      elemMin = 1;
    }
  } else {
    // Array elements are never null; the nullability of an array field applies to the array itself.
    elemRead = scalarReader(def, flexible, nullable && !def.isArray, def.isArray ? `${what}[]` : what);
    elemWrite = scalarWriter(def, flexible, nullable && !def.isArray);
    elemMin = scalarMinSize(def, flexible);
  }

  if (def.isArray) {
    const minElem = Math.max(1, elemMin);
    read = (r) => {
      const n = flexible ? r.compactArrayLength(what, minElem) : r.arrayLength(what, minElem);
      if (n === null) {
        if (!nullable) throw new ProtocolError(`${what}: null array at byte ${r.offset} in a version where it is not nullable`);
        return null;
      }
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) a.push(elemRead(r));
      return a;
    };
    write = (w, v) => {
      if (v === null) {
        if (!nullable) throw nullError();
        if (flexible) w.uvarint(0);
        else w.int32(-1);
        return;
      }
      if (!Array.isArray(v)) throw typeError('an array', v);
      if (flexible) w.uvarint(v.length + 1);
      else w.int32(v.length);
      for (let i = 0; i < v.length; i++) {
        try {
          elemWrite(w, v[i]);
        } catch (err) {
          throw withPath(err, `[${i}]`);
        }
      }
    };
    minSize = flexible ? 1 : 4;
  } else {
    read = elemRead;
    write = elemWrite;
    minSize = elemMin;
  }
  if (mode !== Mode.Regular) minSize = 0;
  return { def, key: def.key, mode, read, write, dflt, isDefault: isDefaultFn(def), minSize };
}

function compileStruct(defs: readonly FieldDef[], version: number, flexible: boolean, path: string): StructPlan {
  const fields = defs.map((d) => compileField(d, version, flexible, path));
  const tagged = fields.filter((f) => f.mode === Mode.Tagged).sort((a, b) => a.def.tag! - b.def.tag!);
  const byTag = new Map<number, FieldPlan>();
  for (const f of tagged) {
    if (byTag.has(f.def.tag!)) throw new ProtocolError(`${path}: tag ${f.def.tag} used twice`);
    byTag.set(f.def.tag!, f);
  }
  let minSize = flexible ? 1 : 0;
  for (const f of fields) minSize += f.minSize;
  const plan = { flexible, fields, tagged, byTag, known: new Set(defs.map((d) => d.key)), minSize, read: undefined as unknown };
  plan.read = compileReader(plan as unknown as StructPlan);
  return plan as unknown as StructPlan;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
let codeGeneration = true;

/**
 * A struct reader. Decoding is the consumer's hot path (a Fetch response holds thousands of partitions), so when
 * the runtime allows it the reader is generated code building the object as one literal: V8 then creates every
 * decoded struct with the same hidden class in one step, instead of growing an object key by key through a
 * megamorphic keyed store. Only field readers and defaults are passed in; the generated text contains nothing but
 * property names checked against IDENTIFIER. Without code generation (node --disallow-code-generation-from-strings)
 * the generic loop does the same work, slower.
 */
function compileReader(plan: StructPlan): (r: Reader) => Record<string, unknown> {
  if (codeGeneration && plan.fields.every((f) => IDENTIFIER.test(f.key))) {
    const props = plan.fields.map((f, i) => (f.mode === Mode.Regular ? `${f.key}: F[${i}].read(r)` : `${f.key}: F[${i}].dflt`));
    const body = `return function read(r) {\n  const o = { ${props.join(', ')} };\n${plan.flexible ? '  readTagged(r, plan, o);\n' : ''}  return o;\n};`;
    try {
      return new Function('F', 'plan', 'readTagged', body)(plan.fields, plan, readTagged) as (r: Reader) => Record<string, unknown>;
    } catch {
      codeGeneration = false;
    }
  }
  return (r) => readStruct(r, plan);
}

function readStruct(r: Reader, plan: StructPlan): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    o[f.key] = f.mode === Mode.Regular ? f.read(r) : f.dflt;
  }
  if (plan.flexible) readTagged(r, plan, o);
  return o;
}

function readTagged(r: Reader, plan: StructPlan, o: Record<string, unknown>): void {
  const at = r.offset;
  const count = r.uvarint('tagged field count');
  if (count === 0) return;
  if (count * 2 > r.remaining) throw new ProtocolError(`tagged field count ${count} at byte ${at} exceeds the remaining ${r.remaining} bytes`);
  let prev = -1;
  for (let i = 0; i < count; i++) {
    const tagAt = r.offset;
    const tag = r.uvarint('tag');
    if (tag <= prev) throw new ProtocolError(`tagged field ${tag} at byte ${tagAt} is not in ascending order after ${prev}`);
    prev = tag;
    const size = r.uvarint(`tagged field ${tag} size`);
    r.need(size, `tagged field ${tag}`);
    const end = r.offset + size;
    const f = plan.byTag.get(tag);
    if (f === undefined) {
      r.offset = end; // an unknown tagged field: newer peers may add them at will (KIP-482)
      continue;
    }
    const sub = new Reader(r.buf, r.offset, end);
    o[f.key] = f.read(sub);
    if (sub.offset !== end) throw new ProtocolError(`tagged field ${f.key} at byte ${tagAt}: ${end - sub.offset} bytes left after its value`);
    r.offset = end;
  }
}

function writeStruct(w: Writer, plan: StructPlan, v: unknown): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError('an object', v);
  const o = v as Record<string, unknown>;
  const fields = plan.fields;
  let given = 0;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const x = o[f.key];
    if (x !== undefined) given++;
    try {
      if (f.mode === Mode.Regular) {
        f.write(w, x === undefined ? f.dflt : x);
      } else if (f.mode === Mode.Absent && x !== undefined && !f.def.ignorable && !f.isDefault(x)) {
        throw new UnsupportedError(`${describe(x)} cannot be sent in this version (the field exists in versions ${formatVersions(f.def.versions)})`);
      }
    } catch (err) {
      throw withPath(err, f.key);
    }
  }
  // Every property must be a field of the definition: a misspelt name would otherwise be dropped silently.
  // Counting first keeps the common case to one Object.keys() call.
  if (Object.keys(o).length !== given) {
    for (const k in o) {
      if (!plan.known.has(k)) throw withPath(new ProtocolError('unknown field'), k);
    }
  }
  if (!plan.flexible) return;
  let count = 0;
  for (const f of plan.tagged) {
    const x = o[f.key];
    if (x !== undefined && !f.isDefault(x)) count++;
  }
  w.uvarint(count);
  if (count === 0) return;
  for (const f of plan.tagged) {
    const x = o[f.key];
    if (x === undefined || f.isDefault(x)) continue;
    const sub = new Writer(64);
    try {
      f.write(sub, x);
    } catch (err) {
      throw withPath(err, f.key);
    }
    w.uvarint(f.def.tag!);
    w.uvarint(sub.length);
    w.raw(sub.finish());
  }
}

const PLANS: (MessagePlan | undefined)[][] = [[], []];

function slot(apiKey: number, version: number): number {
  return apiKey * 64 + version;
}

/** The compiled plan for one API, direction and version; compiled on first use and cached. */
export function messagePlan(apiKey: number, version: number, isRequest: boolean): MessagePlan {
  const cache = PLANS[isRequest ? 0 : 1];
  const s = slot(apiKey, version);
  const cached = version >= 0 && version < 64 ? cache[s] : undefined;
  if (cached !== undefined) return cached;
  const api = apiDef(apiKey);
  if (api === undefined) throw new UnsupportedError(`gregor does not implement ${apiKeyName(apiKey)} (API key ${apiKey})`);
  const msg: MessageDef = isRequest ? api.request : api.response;
  if (!Number.isInteger(version) || !inRange(msg.validVersions, version)) {
    throw new UnsupportedError(`${api.name} v${version} is not a valid version (valid: ${formatVersions(msg.validVersions)})`);
  }
  const flexible = inRange(msg.flexibleVersions, version);
  const plan: MessagePlan = {
    api,
    version,
    isRequest,
    // KIP-511: the ApiVersions response header stays v0 so a client can read it before knowing what the broker
    // supports; every other flexible message uses request header v2 / response header v1.
    flexibleHeader: flexible && !(apiKey === API_VERSIONS_KEY && !isRequest),
    body: compileStruct(msg.fields, version, flexible, ''),
    sizeHint: 128,
    label: `${api.name} ${isRequest ? 'request' : 'response'} v${version}`,
  };
  cache[s] = plan;
  return plan;
}

// ---------------------------------------------------------------------------------------------------------------
// Entry points

function annotate(err: unknown, label: string, decoding: boolean): GregorError {
  const path = pathOf(err);
  const where = path === '' ? label : `${label}: ${path}`;
  if (err instanceof GregorError) {
    err.message = `${where}: ${err.message}`;
    return err;
  }
  // Anything else (a RangeError from Buffer, say) is still reported as a typed protocol error.
  const msg = err instanceof Error ? err.message : String(err);
  return new ProtocolError(`${where}: ${decoding ? 'cannot decode' : 'cannot encode'}: ${msg}`, { cause: err });
}

function encodeFramed(plan: MessagePlan, body: unknown, header: (w: Writer) => void): Buffer {
  const w = new Writer(plan.sizeHint);
  const at = w.reserve(4);
  try {
    header(w);
    writeStruct(w, plan.body, body);
  } catch (err) {
    throw annotate(err, plan.label, false);
  }
  w.fillLength(at);
  if (w.length > plan.sizeHint) plan.sizeHint = Math.min(w.length, 1 << 20);
  return w.finish();
}

/**
 * A complete request frame, size prefix included, ready for socket.write. Request header v1 (v2 in flexible
 * versions: an empty tagged-field section after the client id, which stays a classic nullable string).
 */
export function encodeRequest(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: object): Buffer {
  const plan = messagePlan(apiKey, apiVersion, true);
  return encodeFramed(plan, body, (w) => {
    w.int16(apiKey).int16(apiVersion).int32(correlationId).nullableString(clientId);
    if (plan.flexibleHeader) w.uvarint(0);
  });
}

/** Decodes a response frame (the bytes after the size prefix: header and body). */
export function decodeResponse(apiKey: number, apiVersion: number, frame: Buffer): { correlationId: number; body: unknown } {
  let plan = messagePlan(apiKey, apiVersion, false);
  try {
    const r = new Reader(frame);
    const correlationId = r.int32('correlation id');
    if (plan.flexibleHeader) r.skipTaggedFields();
    // KIP-511: a broker that does not support the requested ApiVersions version answers with a v0 body carrying
    // UNSUPPORTED_VERSION and the versions it does support, so the client can retry with one of them.
    if (apiKey === API_VERSIONS_KEY && apiVersion > 0 && r.remaining >= 2 && frame.readInt16BE(r.offset) === UNSUPPORTED_VERSION) {
      plan = messagePlan(apiKey, 0, false);
    }
    const body = plan.body.read(r);
    r.expectEnd('the response body');
    return { correlationId, body };
  } catch (err) {
    throw annotate(err, plan.label, true);
  }
}

/** Decodes a request frame (after the size prefix). For tests and tools; brokers are the usual readers. */
export function decodeRequest(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null; body: unknown } {
  const r = new Reader(frame);
  let label = 'request';
  try {
    const apiKey = r.int16('api key');
    const apiVersion = r.int16('api version');
    const plan = messagePlan(apiKey, apiVersion, true);
    label = plan.label;
    const correlationId = r.int32('correlation id');
    const clientId = r.nullableString('client id');
    if (plan.flexibleHeader) r.skipTaggedFields();
    const body = plan.body.read(r);
    r.expectEnd('the request body');
    return { apiKey, apiVersion, correlationId, clientId, body };
  } catch (err) {
    throw annotate(err, label, true);
  }
}

/** A complete response frame, size prefix included. For tests and tools. */
export function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: object): Buffer {
  const plan = messagePlan(apiKey, apiVersion, false);
  return encodeFramed(plan, body, (w) => {
    w.int32(correlationId);
    if (plan.flexibleHeader) w.uvarint(0);
  });
}
