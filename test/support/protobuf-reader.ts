// A protobuf wire-format reader for tests: decodes a message into its fields (number, wire type, raw value) without a
// schema, so a test can walk an OTLP payload gregor wrote (src/protocol/otlp-metrics.ts) by field numbers. The real
// proof that Java reads it is the integration test's broker-side receiver (test/telemetry-receiver).

export type ProtoValue = bigint | Buffer;

export interface ProtoField {
  readonly field: number;
  readonly wireType: number;
  /** varint and fixed64: a bigint (fixed64 as unsigned); length-delimited: the bytes. */
  readonly value: ProtoValue;
}

function varint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('protobuf: truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

export function readFields(buf: Buffer): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p] = varint(buf, pos);
    pos = p;
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (wireType === 0) {
      const [v, q] = varint(buf, pos);
      pos = q;
      out.push({ field, wireType, value: v });
    } else if (wireType === 1) {
      out.push({ field, wireType, value: buf.readBigUInt64LE(pos) });
      pos += 8;
    } else if (wireType === 2) {
      const [len, q] = varint(buf, pos);
      const end = q + Number(len);
      if (end > buf.length) throw new Error('protobuf: truncated length-delimited field');
      out.push({ field, wireType, value: buf.subarray(q, end) });
      pos = end;
    } else {
      throw new Error(`protobuf: unexpected wire type ${wireType}`);
    }
  }
  return out;
}

/** The values of field `n` (repeated fields give several). */
export function all(fields: readonly ProtoField[], n: number): ProtoValue[] {
  return fields.filter((f) => f.field === n).map((f) => f.value);
}

/** The one value of field `n` (fails when absent or repeated). */
export function one(fields: readonly ProtoField[], n: number): ProtoValue {
  const v = all(fields, n);
  if (v.length !== 1) throw new Error(`protobuf: field ${n} appears ${v.length} times`);
  return v[0];
}

export function sub(fields: readonly ProtoField[], n: number): ProtoField[] {
  return readFields(one(fields, n) as Buffer);
}

export function text(v: ProtoValue): string {
  return (v as Buffer).toString('utf8');
}

/** A fixed64 field's bits as the double they encode. */
export function double(v: ProtoValue): number {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v as bigint);
  return b.readDoubleLE(0);
}

/** OTLP MetricsData -> [{ name, kind, temporality, monotonic, points }] for assertions. */
export function otlpMetrics(payload: Buffer): {
  resource: Record<string, string | bigint | boolean | number>;
  scope: { name: string; version: string };
  metrics: { name: string; description: string; unit: string; kind: 'gauge' | 'sum'; temporality?: number; monotonic?: boolean;
    points: { start: bigint; time: bigint; value: number | bigint; attributes: Record<string, string | bigint | boolean | number> }[] }[];
} {
  const attrs = (kvs: ProtoValue[]): Record<string, string | bigint | boolean | number> => {
    const out: Record<string, string | bigint | boolean | number> = {};
    for (const kv of kvs) {
      const f = readFields(kv as Buffer);
      const any = sub(f, 2);
      const [v] = any;
      out[text(one(f, 1))] = v.field === 1 ? text(v.value) : v.field === 2 ? v.value === 1n : v.field === 3 ? BigInt.asIntN(64, v.value as bigint) : double(v.value);
    }
    return out;
  };
  const rm = sub(readFields(payload), 1);
  const resource = attrs(all(sub(rm, 1), 1));
  const sm = sub(rm, 2);
  const scopeFields = sub(sm, 1);
  const scope = { name: text(one(scopeFields, 1)), version: text(one(scopeFields, 2)) };
  const metrics = all(sm, 2).map((raw) => {
    const m = readFields(raw as Buffer);
    const gauge = all(m, 5);
    const data = readFields((gauge.length > 0 ? gauge[0] : one(m, 7)) as Buffer);
    const points = all(data, 1).map((rawPoint) => {
      const p = readFields(rawPoint as Buffer);
      const start = all(p, 2)[0] as bigint | undefined;
      const asInt = all(p, 6);
      return {
        start: start ?? 0n,
        time: one(p, 3) as bigint,
        value: asInt.length > 0 ? BigInt.asIntN(64, asInt[0] as bigint) : double(one(p, 4)),
        attributes: attrs(all(p, 7)),
      };
    });
    const str = (n: number): string => (all(m, n).length > 0 ? text(one(m, n)) : '');
    const base = { name: str(1), description: str(2), unit: str(3), points };
    if (gauge.length > 0) return { ...base, kind: 'gauge' as const };
    return { ...base, kind: 'sum' as const, temporality: Number(one(data, 2)), monotonic: all(data, 3)[0] === 1n };
  });
  return { resource, scope, metrics };
}
