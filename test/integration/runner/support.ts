// Shared setup of the run() integration tests: topics and records through gregor's own Admin and Producer (no JVM
// per call), consumers on the project's real broker, and waiting by condition (never by a fixed sleep).
import { Admin, Consumer, Producer, type Logger } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../helpers/kafka.js';

export { uniqueName };

export async function bootstrap(): Promise<string> {
  return (await ensureKafka()).bootstrap;
}

export async function makeTopic(prefix: string, partitions: number): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = new Admin({ 'bootstrap.servers': await bootstrap() });
  try {
    await admin.createTopics([{ topic, numPartitions: partitions, replicationFactor: 1 }]);
  } finally {
    await admin.close();
  }
  return topic;
}

export interface KeyedRecord {
  partition: number;
  key: string | null;
  value: string;
}

export async function produceRecords(topic: string, records: readonly KeyedRecord[]): Promise<void> {
  const producer = new Producer({ 'bootstrap.servers': await bootstrap(), 'linger.ms': 5 });
  try {
    await producer.sendBatch(records.map((r) => ({ topic, partition: r.partition, key: r.key, value: r.value })));
  } finally {
    await producer.close();
  }
}

/** A consumer on the test broker; with `logger`, every line down to debug goes to it (gregor.logger). */
export async function runnerConsumer(props: Record<string, unknown>, logger?: Logger): Promise<Consumer> {
  return new Consumer({
    'bootstrap.servers': await bootstrap(),
    'auto.offset.reset': 'earliest',
    'gregor.log.level': 'warn',
    ...props,
    ...(logger === undefined ? {} : { 'gregor.logger': logger, 'gregor.log.level': 'debug' }),
  });
}

/** Resolves when `cond()` holds (checked every 20 ms); rejects after `timeoutMs` naming `what`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Committed offset and metadata of one partition, read by a consumer that does not join the group. */
export async function committedOf(group: string, topic: string, partition: number): Promise<{ offset: bigint | null; metadata: string | null }> {
  const c = new Consumer({ 'bootstrap.servers': await bootstrap(), 'group.id': group, 'gregor.log.level': 'warn' });
  try {
    const [r] = await c.committed([{ topic, partition }]);
    return { offset: r.offset, metadata: r.metadata };
  } finally {
    await c.close();
  }
}
