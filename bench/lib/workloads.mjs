// The four workloads, produced once by Kafka's Java producer (producer-perf-test: random A-Z payloads, the producer's
// default batching) into 12-partition topics, and reused while their record count is right.
import { kafkaTool, endOffsets, topicExists } from './kafka-tools.mjs';

export const PARTITIONS = 12;

/** @typedef {{ id: string, label: string, records: number, recordSize: number, compression: string, topic: string }} Workload */

/** @returns {Workload[]} the full set, or a tenth of each with quick. */
export function workloads(quick) {
  const scale = quick ? 10 : 1;
  const def = (id, label, records, recordSize, compression) => {
    const n = records / scale;
    return { id, label, records: n, recordSize, compression, topic: `gregor-bench-${id}-${n}` };
  };
  return [
    def('100b', '100 B', 2_000_000, 100, 'none'),
    def('1k', '1 KiB', 500_000, 1024, 'none'),
    def('1k-lz4', '1 KiB lz4', 500_000, 1024, 'lz4'),
    def('1k-zstd', '1 KiB zstd', 500_000, 1024, 'zstd'),
  ];
}

function count(offsets) {
  let n = 0;
  for (const v of offsets.values()) n += v;
  return n;
}

/**
 * Makes sure the workload's topic holds exactly its records (log start 0 is guaranteed by retention.ms=-1 and by
 * recreating the topic whenever the count is off). Returns what was done, for the log.
 */
export function ensureWorkload(bootstrap, w, log) {
  const offsets = endOffsets(bootstrap, w.topic);
  if (offsets.size === PARTITIONS && count(offsets) === w.records) return 'reused';
  if (offsets.size !== 0 || topicExists(bootstrap, w.topic)) {
    log(`${w.topic}: ${count(offsets)} records in ${offsets.size} partitions, expected ${w.records} in ${PARTITIONS}: recreating`);
    kafkaTool(['topics', '--bootstrap-server', bootstrap, '--delete', '--topic', w.topic]);
  }
  // Deletion is asynchronous on the broker: creating the same name may fail for a moment.
  for (let attempt = 0; ; attempt++) {
    const r = kafkaTool(['topics', '--bootstrap-server', bootstrap, '--create', '--topic', w.topic,
      '--partitions', String(PARTITIONS), '--replication-factor', '1', '--config', 'retention.ms=-1',
      '--config', 'retention.bytes=-1'], { allowFail: true });
    if (r.status === 0) break;
    if (attempt >= 30) throw new Error(`cannot create ${w.topic}: ${r.stderr.trim().slice(-500)}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
  log(`${w.topic}: producing ${w.records} records of ${w.recordSize} B (compression ${w.compression}) with the Java producer`);
  kafkaTool(['producer-perf-test', '--bootstrap-server', bootstrap, '--topic', w.topic,
    '--num-records', String(w.records), '--record-size', String(w.recordSize), '--throughput', '-1',
    '--producer-props', `compression.type=${w.compression}`, 'acks=1'], { env: { KAFKA_TOOL_HEAP: '512m' } });
  const after = count(endOffsets(bootstrap, w.topic));
  if (after !== w.records) throw new Error(`${w.topic}: produced ${after} records, expected ${w.records}`);
  return 'produced';
}
