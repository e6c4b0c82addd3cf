// key.deserializer / value.deserializer against the real broker: the built-ins (string, json) and a custom async
// Avro-like decoder (a schema id in front of Avro binary, the schema looked up asynchronously as a registry client
// would), through poll(), iteration, pollBatch() and run(); and a malformed record under each gregor.error.policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, ConsumerRecord, DeserializationError, Producer, type DeserializerContext, type Message } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../helpers/kafka.js';

async function bootstrap(): Promise<string> {
  return (await ensureKafka()).bootstrap;
}

async function topicWith(prefix: string, values: readonly (Buffer | string | null)[], partitions = 1): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = new Admin({ 'bootstrap.servers': await bootstrap() });
  try {
    await admin.createTopics([{ topic, numPartitions: partitions }]);
  } finally {
    await admin.close();
  }
  const producer = new Producer({ 'bootstrap.servers': await bootstrap() });
  try {
    await producer.sendBatch(values.map((value, i) => ({ topic, partition: i % partitions, key: `key-${i}`, value })));
  } finally {
    await producer.close();
  }
  return topic;
}

// ---- an Avro-like wire format: 0x00, int32 schema id, then Avro binary (zigzag varints, length-prefixed strings) --

interface Order { id: bigint; item: string; quantity: number }
const SCHEMA_ID = 42;
const registry = new Map<number, readonly ['long' | 'string' | 'int', keyof Order][]>([[SCHEMA_ID, [['long', 'id'], ['string', 'item'], ['int', 'quantity']]]]);

function zigzag(n: bigint): Buffer {
  let z = n >= 0n ? n << 1n : ((-n) << 1n) - 1n;
  const out: number[] = [];
  do {
    let b = Number(z & 0x7fn);
    z >>= 7n;
    if (z > 0n) b |= 0x80;
    out.push(b);
  } while (z > 0n);
  return Buffer.from(out);
}

function encodeOrder(o: Order): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(SCHEMA_ID, 1);
  const item = Buffer.from(o.item, 'utf8');
  return Buffer.concat([header, zigzag(o.id), zigzag(BigInt(item.length)), item, zigzag(BigInt(o.quantity))]);
}

/** The custom deserializer: async, as a schema registry lookup is. */
async function decodeOrder(data: Buffer, context: DeserializerContext): Promise<Order> {
  assert.equal(context.part, 'value');
  if (data.length < 5 || data[0] !== 0) throw new Error('not the Avro-like wire format (magic byte)');
  await new Promise((r) => setImmediate(r)); // the registry round trip
  const fields = registry.get(data.readInt32BE(1));
  if (fields === undefined) throw new Error(`unknown schema id ${data.readInt32BE(1)}`);
  let p = 5;
  const varint = (): bigint => {
    let z = 0n;
    let shift = 0n;
    for (;;) {
      if (p >= data.length) throw new RangeError('truncated varint');
      const b = data[p++];
      z |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    return (z >> 1n) ^ -(z & 1n);
  };
  const out: Record<string, unknown> = {};
  for (const [type, name] of fields) {
    if (type === 'string') {
      const n = Number(varint());
      if (p + n > data.length) throw new RangeError('truncated string');
      out[name] = data.toString('utf8', p, p + n);
      p += n;
    } else {
      const v = varint();
      out[name] = type === 'int' ? Number(v) : v;
    }
  }
  return out as unknown as Order;
}

// ---- tests -------------------------------------------------------------------------------------------------------

test('json and string: poll(), iteration and pollBatch() deliver typed keys and values; raw bytes stay reachable; a tombstone is null', async () => {
  const values = [JSON.stringify({ n: 0 }), JSON.stringify({ n: 1, tags: ['a'] }), null, JSON.stringify([3])];
  const topic = await topicWith('deser-json', values);
  const consumer = new Consumer({
    'bootstrap.servers': await bootstrap(), 'auto.offset.reset': 'earliest', 'gregor.log.level': 'warn',
    'key.deserializer': 'string', 'value.deserializer': 'json',
  });
  try {
    consumer.assign([{ topic, partition: 0 }]);
    const first = (await consumer.poll(10_000))!;
    assert.ok(first instanceof ConsumerRecord);
    const key: string | null = first.key;
    assert.equal(key, 'key-0');
    assert.deepEqual(first.value, { n: 0 });
    assert.equal(first.rawValue!.toString(), values[0]);
    assert.equal(first.offset, 0n);
    const batch = await consumer.pollBatch(10_000, 2);
    assert.deepEqual(batch.map((m) => [m.key, m.value]), [['key-1', { n: 1, tags: ['a'] }], ['key-2', null]]);
    for await (const m of consumer) {
      assert.deepEqual(m.value, [3]);
      assert.deepEqual(m.toJSON().value, [3]);
      break;
    }
  } finally {
    await consumer.close();
  }
});

test('a custom async Avro-like deserializer: poll() and run() get decoded records', async () => {
  const orders: Order[] = Array.from({ length: 20 }, (_, i) => ({ id: BigInt(i) * 1_000_000_007n, item: `item-${i}-ü`, quantity: i - 5 }));
  const topic = await topicWith('deser-avro', orders.map(encodeOrder), 2);
  const config = {
    'bootstrap.servers': await bootstrap(), 'auto.offset.reset': 'earliest', 'gregor.log.level': 'warn',
    'value.deserializer': decodeOrder,
  } as const;
  const polled = new Consumer(config);
  try {
    polled.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
    const seen: Order[] = [];
    while (seen.length < orders.length) for (const m of await polled.pollBatch(10_000)) seen.push(m.value!);
    seen.sort((a, b) => (a.id < b.id ? -1 : 1));
    assert.deepEqual(seen, orders);
  } finally {
    await polled.close();
  }
  const running = new Consumer(config);
  try {
    running.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
    const stop = new AbortController();
    const seen: Order[] = [];
    const summary = await running.run({
      concurrency: 4, signal: stop.signal,
      eachMessage: (m) => {
        const order: Order | null = m.value;
        seen.push(order!);
        assert.equal(m.key, m.rawKey, 'no key deserializer: the key is the bytes');
        if (seen.length === orders.length) stop.abort();
      },
    });
    assert.equal(summary.completed, orders.length);
    seen.sort((a, b) => (a.id < b.id ? -1 : 1));
    assert.deepEqual(seen, orders);
  } finally {
    await running.close();
  }
});

const MALFORMED = ['{"n":0}', '{"n":1', '{"n":2}'];

test('a malformed record under stop: poll() raises a DeserializationError at it, again on the next poll (the position stays), seek() past it goes on', async () => {
  const topic = await topicWith('deser-stop', MALFORMED);
  const consumer = new Consumer({ 'bootstrap.servers': await bootstrap(), 'auto.offset.reset': 'earliest', 'gregor.log.level': 'warn', 'value.deserializer': 'json' });
  try {
    const tp = { topic, partition: 0 };
    consumer.assign([tp]);
    assert.deepEqual((await consumer.poll(10_000))!.value, { n: 0 });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(consumer.poll(10_000), (err: unknown) => {
        assert.ok(err instanceof DeserializationError);
        assert.equal(err.code, 'ERR_DESERIALIZATION');
        assert.equal(err.topic, topic);
        assert.equal(err.partition, 0);
        assert.equal(err.offset, 1n);
        assert.equal(err.part, 'value');
        assert.equal(err.data.toString(), '{"n":1');
        assert.ok(err.cause instanceof SyntaxError);
        return true;
      });
      assert.equal(await consumer.position(tp), 1n, 'the position stays on the record');
    }
    consumer.seek(tp, 2n);
    assert.deepEqual((await consumer.poll(10_000))!.value, { n: 2 });
  } finally {
    await consumer.close();
  }
  // run() stops with it and commits nothing past it.
  const group = uniqueName('deser-stop-run');
  const runner = new Consumer({ 'bootstrap.servers': await bootstrap(), 'group.id': group, 'auto.offset.reset': 'earliest', 'gregor.log.level': 'error', 'value.deserializer': 'json' });
  try {
    runner.assign([{ topic, partition: 0 }]);
    const handled: unknown[] = [];
    await assert.rejects(runner.run({ eachMessage: (m) => { handled.push(m.value); } }), DeserializationError);
    assert.deepEqual(handled, [{ n: 0 }]);
    const [c] = await runner.committed([{ topic, partition: 0 }]);
    assert.equal(c.offset, 1n, 'committed up to the malformed record, not past it');
  } finally {
    await runner.close();
  }
});

test('a loop ended by a DeserializationError is over: for await and batches() leave the consumer free for run()', async () => {
  const topic = await topicWith('deser-loop', MALFORMED);
  for (const kind of ['for await', 'batches()'] as const) {
    const consumer = new Consumer({ 'bootstrap.servers': await bootstrap(), 'auto.offset.reset': 'earliest', 'gregor.log.level': 'error', 'value.deserializer': 'json' });
    try {
      const tp = { topic, partition: 0 };
      consumer.assign([tp]);
      const seen: unknown[] = [];
      await assert.rejects(async () => {
        if (kind === 'for await') for await (const m of consumer) seen.push(m.value);
        else for await (const batch of consumer.batches()) for (const m of batch) seen.push(m.value);
      }, DeserializationError);
      assert.deepEqual(seen, [{ n: 0 }], kind);
      // for await calls no return() after a rejected next(): the iterator must not stay counted as open. run() then
      // meets the malformed record itself (the position stayed on it), not "the consumer is being iterated".
      await assert.rejects(consumer.run({ eachMessage: () => {} }), DeserializationError, kind);
    } finally {
      await consumer.close();
    }
  }
});

test('a malformed record under skip and dead-letter: poll() and run() pass over it; dead-letter writes it first', async () => {
  const topic = await topicWith('deser-policies', MALFORMED);
  const dlq = uniqueName('deser-policies-dlq');
  const admin = new Admin({ 'bootstrap.servers': await bootstrap() });
  await admin.createTopics([{ topic: dlq, numPartitions: 1 }]);
  await admin.close();
  for (const policy of ['skip', 'dead-letter'] as const) {
    const config = {
      'bootstrap.servers': await bootstrap(), 'auto.offset.reset': 'earliest', 'gregor.log.level': 'error', 'value.deserializer': 'json',
      'gregor.error.policy': policy, 'gregor.dead.letter.topic': dlq,
    } as const;
    const polled = new Consumer(config);
    try {
      polled.assign([{ topic, partition: 0 }]);
      assert.deepEqual((await polled.poll(10_000))!.value, { n: 0 }, policy);
      assert.deepEqual((await polled.poll(10_000))!.value, { n: 2 }, `${policy}: the malformed record is passed over`);
    } finally {
      await polled.close();
    }
    const group = uniqueName(`deser-${policy}`);
    const running = new Consumer({ ...config, 'group.id': group });
    try {
      running.assign([{ topic, partition: 0 }]);
      const stop = new AbortController();
      const handled: unknown[] = [];
      const summary = await running.run({ signal: stop.signal, eachMessage: (m) => { handled.push(m.value); if (handled.length === 2) stop.abort(); } });
      assert.deepEqual(handled, [{ n: 0 }, { n: 2 }]);
      assert.equal(policy === 'skip' ? summary.failedSkipped : summary.deadLettered, 1, policy);
      const [c] = await running.committed([{ topic, partition: 0 }]);
      assert.equal(c.offset, 3n, `${policy}: committed past it`);
    } finally {
      await running.close();
    }
  }
  // dead-letter wrote it twice (poll(), then run()), raw, with the source headers.
  const reader = new Consumer({ 'bootstrap.servers': await bootstrap(), 'auto.offset.reset': 'earliest', 'gregor.log.level': 'warn' });
  try {
    reader.assign([{ topic: dlq, partition: 0 }]);
    const letters: Message[] = [];
    while (letters.length < 2) letters.push(...await reader.pollBatch(10_000));
    assert.equal(letters.length, 2);
    for (const m of letters) {
      assert.equal(m.valueString(), '{"n":1');
      assert.equal(m.keyString(), 'key-1');
      assert.equal(m.headerString('__gregor.dlq.topic'), topic);
      assert.equal(m.headerString('__gregor.dlq.offset'), '1');
      assert.equal(m.headerString('__gregor.dlq.error.class'), 'DeserializationError');
    }
  } finally {
    await reader.close();
  }
});
