// The workloads. Three kinds:
// - 'throughput': produced once by Kafka's Java producer (producer-perf-test: random A-Z payloads, the producer's
//   default batching) into 12-partition topics, and reused while their record count is right;
// - 'wide': the same, 100 B records spread evenly (RoundRobinPartitioner) over 2,000 or 10,000 partitions: start-up
//   (metadata, group join, first fetch) and per-partition bookkeeping, measured as time to the first and the last record.
//   wide-10k runs only when named in --workloads, against a broker with a heap of 2 GiB or more (--bootstrap): 12,000
//   partitions filled the shared test broker's 512 MiB heap (OutOfMemoryError, continuous full GCs, every request timed
//   out until it was restarted);
// - 'latency': a fresh topic per run, filled by the Java producer at a fixed rate *while* the client reads it; the
//   client reports receive time minus CreateTime (bench/run.mjs, latency.mjs);
// - 'share': produced as 'throughput', read by a share group (KIP-932) of one member: gregor's ShareConsumer and
//   Kafka's ShareConsumerPerformance (clients marked shareOnly), each in a fresh share group set to start at the
//   earliest offset (bench/run.mjs sets the group config first).
import { kafkaTool, endOffsets, topicExists } from './kafka-tools.mjs';

export const PARTITIONS = 12;

/**
 * @typedef {{ id: string, label: string, kind: 'throughput' | 'wide' | 'latency' | 'share', records: number, recordSize: number,
 *   compression: string, topic: string, partitions: number, rate?: number, clients?: string[], optIn?: boolean,
 *   batched?: boolean }} Workload
 */

/** The clients the wide and latency workloads run (a few: KafkaJS on 10,000 partitions would take the whole hour). */
const WIDE_CLIENTS = ['gregor', 'gregor-batches', 'gregor-baseline', 'gregor-batches-baseline', 'franz', 'java', 'platformatic'];
const LATENCY_CLIENTS = ['gregor', 'gregor-baseline', 'franz', 'java', 'platformatic'];

/**
 * Seconds of production per latency run (10 with --quick); the first 3 s after the first record are warm-up. Quick
 * runs had 6 s: at load ~20 the producer's own JVM took up to ~8 s to send its first record and then caught up in a
 * burst, so no record was created after the warm-up and the run reported no latency.
 */
export const LATENCY_SECONDS = 15;

/** @returns {Workload[]} the full set, or a tenth of each with quick. */
export function workloads(quick) {
  const scale = quick ? 10 : 1;
  const def = (id, label, records, recordSize, compression) => {
    const n = records / scale;
    return { id, label, kind: 'throughput', records: n, recordSize, compression, partitions: PARTITIONS, topic: `gregor-bench-${id}-${n}` };
  };
  const wide = (id, label, partitions, perPartition, { optIn = false, batched = false } = {}) => {
    const n = partitions * Math.max(1, perPartition / scale);
    return {
      id, label, kind: 'wide', records: n, recordSize: 100, compression: 'none', partitions, clients: WIDE_CLIENTS,
      topic: `gregor-bench-${id}-${n}`, optIn, batched,
    };
  };
  const latency = (id, label, rate) => {
    const seconds = quick ? 10 : LATENCY_SECONDS;
    return {
      id, label, kind: 'latency', records: rate * seconds, recordSize: 100, compression: 'none', partitions: PARTITIONS, rate,
      clients: LATENCY_CLIENTS, topic: `gregor-bench-${id}`,
    };
  };
  const share = (id, label, records, recordSize) => ({ ...def(id, label, records, recordSize, 'none'), kind: 'share' });
  return [
    def('100b', '100 B', 2_000_000, 100, 'none'),
    def('1k', '1 KiB', 500_000, 1024, 'none'),
    def('1k-lz4', '1 KiB lz4', 500_000, 1024, 'lz4'),
    def('1k-zstd', '1 KiB zstd', 500_000, 1024, 'zstd'),
    wide('wide-2k', '2,000 partitions, 100 B', 2_000, 200),
    wide('wide-2k-batched', '2,000 partitions, 100 B, batched', 2_000, 200, { batched: true }),
    wide('wide-10k', '10,000 partitions, 100 B', 10_000, 50, { optIn: true }),
    share('share-100b', '100 B, share group', 500_000, 100),
    share('share-1k', '1 KiB, share group', 200_000, 1024),
    latency('lat-5k', 'latency at 5,000 records/s', 5_000),
    latency('lat-50k', 'latency at 50,000 records/s', 50_000),
  ];
}

function count(offsets) {
  let n = 0;
  for (const v of offsets.values()) n += v;
  return n;
}

/** Above this many partitions one client's OffsetCommit may not fit __consumer_offsets' default batch limit. */
const WIDE_COMMIT_PARTITIONS = 5_000;
const WIDE_COMMIT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * The group coordinator writes one OffsetCommit as ONE batch (a record per partition) to __consumer_offsets, whose
 * max.message.bytes is the broker's 1 MiB default: a commit of 10,000 partitions fails whole ("Failed to write a
 * batch of 10000 record(s) ... larger than the maximum batch size of 1048588 bytes"). gregor splits its commits
 * (src/consumer/offsets.ts, COMMIT_BATCH_BUDGET); franz-go and Java send one request, so the broker of a wide-10k run
 * gets 10 MiB on that topic. The topic exists once a group coordinator was looked up: describing a group that does
 * not exist does that (FindCoordinator), then the alter is retried while the broker is still creating it.
 */
function allowWideCommits(bootstrap, log) {
  const alter = () => kafkaTool(['configs', '--bootstrap-server', bootstrap, '--alter', '--entity-type', 'topics',
    '--entity-name', '__consumer_offsets', '--add-config', `max.message.bytes=${WIDE_COMMIT_MAX_MESSAGE_BYTES}`], { allowFail: true });
  let r = alter();
  if (r.status !== 0) {
    kafkaTool(['consumer-groups', '--bootstrap-server', bootstrap, '--describe', '--group', 'gregor-bench-find-coordinator'], { allowFail: true });
    for (let attempt = 0; (r = alter()).status !== 0; attempt++) {
      if (attempt >= 30) throw new Error(`cannot raise __consumer_offsets' max.message.bytes: ${r.stderr.trim().slice(-500)}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
  log(`__consumer_offsets: max.message.bytes=${WIDE_COMMIT_MAX_MESSAGE_BYTES} (one client's commit of a wide topic is one batch)`);
}

// KRaft's controller refuses an operation of more than 10,000 metadata records ("excessively large batch
// operation"): a 10,000-partition topic is created with part of its partitions and grown in steps.
const PARTITIONS_PER_STEP = 5_000;

/** Creates the topic, retrying while a deletion of the same name is still under way on the broker. */
export function createTopic(bootstrap, topic, partitions) {
  const first = Math.min(partitions, PARTITIONS_PER_STEP);
  for (let attempt = 0; ; attempt++) {
    const r = kafkaTool(['topics', '--bootstrap-server', bootstrap, '--create', '--topic', topic,
      '--partitions', String(first), '--replication-factor', '1', '--config', 'retention.ms=-1',
      '--config', 'retention.bytes=-1'], { allowFail: true });
    if (r.status === 0) break;
    if (attempt >= 30 || !/TopicExists|marked for deletion/i.test(r.stderr)) throw new Error(`cannot create ${topic}: ${r.stderr.trim().slice(-500)}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
  for (let n = first; n < partitions;) {
    n = Math.min(partitions, n + PARTITIONS_PER_STEP);
    // Just created: the tool may not see the topic in its metadata yet.
    for (let attempt = 0; ; attempt++) {
      const r = kafkaTool(['topics', '--bootstrap-server', bootstrap, '--alter', '--topic', topic, '--partitions', String(n)], { allowFail: true });
      if (r.status === 0) break;
      if (attempt >= 30 || !/does not exist/.test(r.stderr)) throw new Error(`cannot grow ${topic} to ${n} partitions: ${r.stderr.trim().slice(-500)}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
  // The broker creates thousands of partition logs for many seconds after the controller said yes; producing earlier
  // floods the producer with NOT_LEADER_OR_FOLLOWER retries (megabytes of warnings).
  if (partitions > PARTITIONS) {
    for (let attempt = 0; endOffsets(bootstrap, topic).size < partitions; attempt++) {
      if (attempt >= 120) throw new Error(`${topic}: not all ${partitions} partitions have a leader after two minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
}

export function deleteTopic(bootstrap, topic) {
  kafkaTool(['topics', '--bootstrap-server', bootstrap, '--delete', '--topic', topic], { allowFail: true });
}

/** The Java producer's arguments for a workload (a latency workload adds its rate and an unbatched producer). */
export function producerArgs(bootstrap, w, topic = w.topic) {
  const props = [`compression.type=${w.compression}`];
  if (w.kind === 'wide') {
    // Even spread: the default (sticky) partitioner would fill whole batches of a few partitions and leave most of a
    // wide topic empty. Round robin with the default linger makes one-record batches: 400,000 of them overloaded the
    // broker (timeouts, and duplicates from acks=1 retries); a long linger batches each partition's records, and
    // acks=all keeps the producer idempotent.
    props.push('partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner', 'acks=all');
    if (w.batched) {
      // wide-2k itself stays as it was produced (its figures compare across sessions): 2,000 open 64 KiB batches do
      // not fit the default 32 MiB buffer.memory, so nearly every record became a batch of its own (400,000 batches
      // of one record: it measures per-batch costs). Here Java's default batch.size (16 KiB) with room for every
      // partition's open batch: each partition's 200 records arrive in 2-3 batches, as from a producer that keeps up.
      props.push('linger.ms=1000', 'batch.size=16384', 'buffer.memory=268435456');
    } else if (w.partitions > WIDE_COMMIT_PARTITIONS) {
      // 10,000 open batches of 64 KiB do not fit the producer's 32 MiB buffer.memory: it sent every record as a batch
      // of its own (500,000 batches of 170 B), and a Fetch of them kept the broker's two request handlers busy past
      // both clients' request.timeout.ms. Batches of 8 KiB in 256 MiB, lingering 5 s, hold each partition's 50 records.
      props.push('linger.ms=5000', 'batch.size=8192', 'buffer.memory=268435456');
    } else {
      props.push('linger.ms=1000', 'batch.size=65536');
    }
  } else {
    props.push('acks=1');
  }
  // No linger: CreateTime is stamped at send(), so time spent waiting in the producer's batch counts as latency.
  if (w.kind === 'latency') props.push('linger.ms=0');
  return ['producer-perf-test', '--bootstrap-server', bootstrap, '--topic', topic,
    '--num-records', String(w.records), '--record-size', String(w.recordSize), '--throughput', String(w.rate ?? -1),
    '--producer-props', ...props];
}

/**
 * Makes sure the workload's topic holds exactly its records (log start 0 is guaranteed by retention.ms=-1 and by
 * recreating the topic whenever the count is off). Returns what was done, for the log. Latency workloads have no
 * standing topic (one per run).
 */
export function ensureWorkload(bootstrap, w, log) {
  if (w.kind === 'latency') return `a fresh topic per run, ${w.rate} records/s for ${w.records / w.rate} s`;
  if (w.kind === 'wide' && w.partitions > WIDE_COMMIT_PARTITIONS) allowWideCommits(bootstrap, log);
  const offsets = endOffsets(bootstrap, w.topic);
  if (offsets.size === w.partitions && count(offsets) === w.records) return 'reused';
  if (offsets.size !== 0 || topicExists(bootstrap, w.topic)) {
    log(`${w.topic}: ${count(offsets)} records in ${offsets.size} partitions, expected ${w.records} in ${w.partitions}: recreating`);
    deleteTopic(bootstrap, w.topic);
  }
  // A wide topic of the other size (--quick or not) goes first: the shared broker's open files (one per partition's
  // active segment) must stay well below its limit.
  if (w.kind === 'wide') {
    const list = kafkaTool(['topics', '--bootstrap-server', bootstrap, '--list'], { allowFail: true }).stdout.split('\n').map((l) => l.trim());
    const sameWorkload = new RegExp(`^gregor-bench-${w.id}-\\d+$`);
    for (const t of list) if (sameWorkload.test(t) && t !== w.topic) deleteTopic(bootstrap, t);
  }
  // Deletion is asynchronous on the broker: creating the same name may fail for a moment.
  createTopic(bootstrap, w.topic, w.partitions);
  log(`${w.topic}: producing ${w.records} records of ${w.recordSize} B (compression ${w.compression}) with the Java producer`);
  kafkaTool(producerArgs(bootstrap, w), { env: { KAFKA_TOOL_HEAP: '512m' } });
  const after = count(endOffsets(bootstrap, w.topic));
  if (after !== w.records) throw new Error(`${w.topic}: produced ${after} records, expected ${w.records}`);
  return 'produced';
}
