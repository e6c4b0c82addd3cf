// consumer.run() with a handler that awaits I/O: what key-level ordering buys over partition ordering.
// A script, not a test (npm run bench:concurrency, or node dist/bench/concurrency.js after a build):
//
//   [--bootstrap 127.0.0.1:9092] [--records 10000] [--keys 1000] [--concurrency 100] [--seed 1]
//   [--modes key,partition,none] [--min-ms 2] [--max-ms 5]
//
// One topic with ONE partition gets `records` records spread over `keys` keys (key k<i % keys>, value = the record's
// sequence number within its key). Each mode reads the whole topic with its own consumer group (manual assignment,
// so no group join is timed) through run({ eachMessage, ordering, concurrency }); the handler awaits a delay of
// min..max ms drawn from a seeded generator per record (the same delays in every mode). Elapsed time runs from the
// first handler call to the last completion. Checks for every mode: each record handled exactly once; for 'key' and
// 'partition', per-key order (sequence numbers strictly increasing for every key); the committed offset at the end
// is the topic's end. Prints records/s and elapsed per mode and the key/partition ratio (issue 6 asks >= 8).

import { Admin, Consumer, Producer, type Ordering } from '../src/index.js';
import { prng as rng } from '../test/support/prng.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const bootstrap = arg('bootstrap', '127.0.0.1:9092');
const records = Number(arg('records', '10000'));
const keys = Number(arg('keys', '1000'));
const concurrency = Number(arg('concurrency', '100'));
const seed = Number(arg('seed', '1'));
const minMs = Number(arg('min-ms', '2'));
const maxMs = Number(arg('max-ms', '5'));
const modes = arg('modes', 'key,partition,none').split(',') as Ordering[];

const random = rng(seed);
const delays = Array.from({ length: records }, () => minMs + random() * (maxMs - minMs));
const tag = `${Date.now().toString(36)}-${process.pid}`;
const topic = `bench-concurrency-${tag}`;

async function prepare(): Promise<void> {
  const admin = new Admin({ 'bootstrap.servers': bootstrap });
  try {
    await admin.createTopics([{ topic, numPartitions: 1, replicationFactor: 1 }]);
  } finally {
    await admin.close();
  }
  const producer = new Producer({ 'bootstrap.servers': bootstrap, 'linger.ms': 5 });
  try {
    const seq = new Array<number>(keys).fill(0);
    const batch = [];
    for (let i = 0; i < records; i++) {
      const k = i % keys;
      batch.push({ topic, partition: 0, key: `k${k}`, value: String(seq[k]++) });
    }
    await producer.sendBatch(batch);
  } finally {
    await producer.close();
  }
}

interface Result {
  mode: Ordering;
  elapsedMs: number;
  perSecond: number;
  orderViolations: number;
  committed: bigint | null;
}

async function runMode(mode: Ordering): Promise<Result> {
  const group = `bench-concurrency-${mode}-${tag}`;
  const consumer = new Consumer({ 'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest' });
  consumer.assign([{ topic, partition: 0 }]);
  const stop = new AbortController();
  const seen = new Uint8Array(records);
  const lastSeq = new Map<string, number>();
  let handled = 0;
  let violations = 0;
  let first = 0;
  let last = 0;
  const running = consumer.run({
    ordering: mode,
    concurrency, // 'partition' still has one record in flight: there is one partition
    signal: stop.signal,
    eachMessage: async (m) => {
      if (first === 0) first = performance.now();
      const i = Number(m.offset);
      const key = m.keyString()!;
      const s = Number(m.valueString());
      const prev = lastSeq.get(key) ?? -1;
      if (s !== prev + 1) violations++;
      lastSeq.set(key, s);
      await new Promise((r) => setTimeout(r, delays[i]));
      if (seen[i] !== 0) throw new Error(`offset ${i} handled twice`);
      seen[i] = 1;
      last = performance.now();
      if (++handled === records) stop.abort();
    },
  });
  await running;
  const committed = (await consumer.committed([{ topic, partition: 0 }]))[0].offset;
  await consumer.close();
  if (handled !== records) throw new Error(`${mode}: handled ${handled} of ${records}`);
  const elapsedMs = last - first;
  return { mode, elapsedMs, perSecond: (records / elapsedMs) * 1000, orderViolations: violations, committed };
}

async function main(): Promise<void> {
  await prepare();
  console.log(`bench/concurrency: 1 partition, ${records} records over ${keys} keys, handler awaits ${minMs}-${maxMs} ms (seed ${seed}), concurrency ${concurrency}; Node ${process.version}`);
  const results: Result[] = [];
  for (const mode of modes) {
    const r = await runMode(mode);
    results.push(r);
    const order = mode === 'none' ? `${r.orderViolations} records out of key order (allowed)` : r.orderViolations === 0 ? `per-key order verified for all ${keys} keys` : `${r.orderViolations} PER-KEY ORDER VIOLATIONS`;
    console.log(`  ${mode.padEnd(9)} ${r.perSecond.toFixed(0).padStart(7)} records/s  ${(r.elapsedMs / 1000).toFixed(2).padStart(7)} s  committed ${r.committed}  ${order}`);
    if (mode !== 'none' && r.orderViolations > 0) process.exitCode = 1;
    if (r.committed !== BigInt(records)) {
      console.log(`  ${mode}: committed offset ${r.committed}, expected ${records}`);
      process.exitCode = 1;
    }
  }
  const key = results.find((r) => r.mode === 'key');
  const partition = results.find((r) => r.mode === 'partition');
  if (key !== undefined && partition !== undefined) {
    const ratio = partition.elapsedMs / key.elapsedMs;
    console.log(`  key/partition speed-up: ${ratio.toFixed(1)}x (target >= 8x)`);
  }
  const admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.close();
}

await main();
