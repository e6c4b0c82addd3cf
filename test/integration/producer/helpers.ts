// Shared by the producer and admin integration tests: the broker's addresses (through the project's harness),
// Kafka's Java console consumer as the reference reader, and a raw Fetch through gregor's network layer to look at
// what the broker stored (batch attributes, producer ids, sequences, the aborted-transaction index).
import { Pool } from '../../../src/network/pool.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { decodeRecordSet, type RecordBatch } from '../../../src/protocol/records/index.js';
import { ensureKafka, kafkaTool, type KafkaEnv } from '../helpers/kafka.js';

export { ensureKafka, kafkaTool, uniqueName } from '../helpers/kafka.js';

/** One line of console-consumer output, parsed (see consoleConsume's formatter properties). */
export interface ConsumedLine {
  partition: number;
  offset: bigint;
  /** [key, value] pairs; 'null' for a null header value, as the tool prints it. */
  headers: Array<[string, string]>;
  /** The tool prints a null key or value as the text 'null'. */
  key: string;
  value: string;
}

/**
 * Reads `count` records with Kafka's Java console consumer (ONE JVM) from the beginning of a topic, printing
 * partition, offset, headers, key and value separated by tabs. Fails when fewer than `count` arrive within 30 s.
 */
export async function consoleConsume(topic: string, count: number, opts: { isolationLevel?: 'read_committed' | 'read_uncommitted'; bootstrap?: string } = {}): Promise<ConsumedLine[]> {
  const env = await ensureKafka();
  const args = ['--bootstrap-server', opts.bootstrap ?? env.bootstrap, '--topic', topic, '--from-beginning',
    '--max-messages', String(count), '--timeout-ms', '30000',
    '--formatter-property', 'print.partition=true', '--formatter-property', 'print.offset=true',
    '--formatter-property', 'print.headers=true', '--formatter-property', 'print.key=true'];
  if (opts.isolationLevel !== undefined) args.push('--isolation-level', opts.isolationLevel);
  // Exit status 1 with "Processed a total of N messages" is the tool's way to report a timeout: parse and compare.
  const r = await kafkaTool('console-consumer', args, { check: false });
  const lines: ConsumedLine[] = [];
  for (const line of r.stdout.split('\n')) {
    const f = line.split('\t');
    if (f.length !== 5 || !f[0].startsWith('Partition:')) continue;
    const headers: Array<[string, string]> = f[2] === 'NO_HEADERS' ? [] : f[2].split(',').map((h) => {
      const i = h.indexOf(':');
      return [h.slice(0, i), h.slice(i + 1)];
    });
    lines.push({ partition: Number(f[0].slice('Partition:'.length)), offset: BigInt(f[1].slice('Offset:'.length)), headers, key: f[3], value: f[4] });
  }
  if (lines.length !== count) {
    throw new Error(`console-consumer read ${lines.length} of ${count} records from ${topic} (exit ${r.code})\n${r.stderr}\n${r.stdout}`);
  }
  return lines;
}

/** What a raw Fetch returned for one partition. */
export interface RawPartition {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }> | null;
  batches: RecordBatch[];
}

/**
 * One Fetch from offset 0 of a partition, through gregor's network layer (a Pool of its own), decoded with the
 * records layer: exactly what the broker stored, control batches included.
 */
export async function rawFetch(topic: string, partition: number, isolationLevel: 0 | 1 = 0, env?: KafkaEnv): Promise<RawPartition> {
  const kafka = env ?? (await ensureKafka());
  const pool = new Pool({ bootstrapServers: kafka.bootstrap, clientId: 'gregor-producer-it' });
  try {
    const broker = await pool.bootstrap();
    const md = await broker.request(ApiKey.Metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false });
    const t = md.topics[0];
    if (t.errorCode !== 0) throw new Error(`Metadata ${topic}: error ${t.errorCode}`);
    // Single-node broker: the bootstrap broker leads every partition.
    const res = await broker.request(ApiKey.Fetch, (v: number) => ({
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
      topics: [{ ...(v >= 13 ? { topicId: t.topicId } : { topic }), partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 64 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
      forgottenTopicsData: [], rackId: '',
    }), { lane: 'fetch' });
    const p = res.responses[0].partitions[0];
    return {
      errorCode: p.errorCode,
      highWatermark: p.highWatermark,
      lastStableOffset: p.lastStableOffset,
      abortedTransactions: p.abortedTransactions,
      batches: p.records === null ? [] : decodeRecordSet(p.records).batches,
    };
  } finally {
    await pool.close();
  }
}

/**
 * rawFetch() (read_committed) once every transaction on the partition is decided: its last stable offset has reached
 * its high watermark. commitTransaction()/abortTransaction()/close() return when EndTxn is answered, and the
 * coordinator answers once PREPARE_COMMIT/PREPARE_ABORT is in its log (KIP-98); the markers reach the partitions
 * after that, so a Fetch right away may still stop at the open transaction (under load, it did: CI, stop 24).
 */
export async function rawFetchSettled(topic: string, partition: number, env?: KafkaEnv, timeoutMs = 30_000): Promise<RawPartition> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const raw = await rawFetch(topic, partition, 1, env);
    if (raw.errorCode !== 0 || raw.lastStableOffset >= raw.highWatermark) return raw;
    if (Date.now() > deadline) {
      throw new Error(`${topic}-${partition}: a transaction still open after ${timeoutMs} ms (last stable offset ${raw.lastStableOffset}, high watermark ${raw.highWatermark})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
