// Writes the ledger's records: unique, sequence-numbered values per partition, acks=all, with gregor's own
// producer (src/producer; idempotent, so a retried batch cannot duplicate a value), recording each acknowledged
// write with its offset. Optionally inside transactions, some of them aborted (R11).
import { Admin, Producer } from '../../src/index.js';
import { ledgerValue, runId, type Ledger } from '../support/ledger.js';

export interface WriteOptions {
  bootstrap: string;
  topic: string;
  /** Partitions to write to (default 0 .. partitions-1 when `partitions` is a number). */
  partitions: number | readonly number[];
  /** Records per partition in this call. */
  perPartition: number;
  /** First seq per partition (default: continue after what this ledger already recorded for the partition). */
  firstSeq?: number;
  /** Value size in bytes (padded; default: just the header, ~40 bytes). */
  valueBytes?: number;
  /** Records per sendBatch() call (default 500). */
  chunk?: number;
  /**
   * Write in transactions of this many records per partition; `abort(i)` decides whether transaction i (counting
   * from 0) is aborted. Needs a unique transactional id (one is made).
   */
  transactions?: { size: number; abort: (i: number) => boolean };
  /** Extra producer properties. */
  properties?: Record<string, unknown>;
  /** Stop early (e.g. a background writer told to stop): records written so far stay recorded. */
  signal?: AbortSignal;
}

export interface WriteResult {
  written: number;
  aborted: number;
}

function nextSeq(ledger: Ledger, topic: string, partition: number): number {
  let next = 0;
  for (const e of ledger.events) {
    if (e.t === 'produced' && e.topic === topic && e.partition === partition && e.seq >= next) next = e.seq + 1;
  }
  return next;
}

/** Writes `perPartition` records to each partition and records them in `ledger` (produced events). */
export async function writeLedger(ledger: Ledger, opts: WriteOptions): Promise<WriteResult> {
  const parts = typeof opts.partitions === 'number' ? [...Array(opts.partitions).keys()] : [...opts.partitions];
  const run = runId();
  const txn = opts.transactions;
  const producer = new Producer({
    'bootstrap.servers': opts.bootstrap,
    acks: 'all',
    'enable.idempotence': true,
    'linger.ms': 5,
    'gregor.log.level': 'warn',
    ...(txn ? { 'transactional.id': `ledger-${run}-${process.pid}` } : {}),
    ...opts.properties,
  });
  const seqs = new Map(parts.map((p) => [p, opts.firstSeq ?? nextSeq(ledger, opts.topic, p)]));
  let written = 0;
  let aborted = 0;
  try {
    if (txn) await producer.initTransactions();
    const chunk = Math.max(1, opts.chunk ?? 500);
    const perStep = txn ? txn.size : chunk;
    let txnIndex = 0;
    for (let done = 0; done < opts.perPartition && opts.signal?.aborted !== true; done += perStep) {
      const n = Math.min(perStep, opts.perPartition - done);
      const batch: { partition: number; seq: number }[] = [];
      for (let i = 0; i < n; i++) {
        for (const p of parts) {
          const seq = seqs.get(p) as number;
          seqs.set(p, seq + 1);
          batch.push({ partition: p, seq });
        }
      }
      const abortThis = txn !== undefined && txn.abort(txnIndex);
      if (txn) producer.beginTransaction();
      const metas = await producer.sendBatch(batch.map((b) => ({
        topic: opts.topic, partition: b.partition, value: ledgerValue(run, opts.topic, b.partition, b.seq, opts.valueBytes),
      })));
      if (txn) {
        if (abortThis) await producer.abortTransaction();
        else await producer.commitTransaction();
        txnIndex++;
      }
      // Recorded only once acknowledged (and, in a transaction, once its outcome is known).
      metas.forEach((m, i) => ledger.produced(opts.topic, m.partition, m.offset, batch[i].seq, abortThis));
      if (abortThis) aborted += metas.length;
      else written += metas.length;
    }
  } finally {
    await producer.close();
  }
  return { written, aborted };
}

/**
 * A writer running in the background until stopped (for faults injected while data flows). `stop()` resolves with
 * what was written; rejects if a write failed.
 */
export function backgroundWriter(ledger: Ledger, opts: Omit<WriteOptions, 'signal' | 'perPartition'> & { perRound: number; pauseMs?: number }): { stop(): Promise<WriteResult> } {
  const ctrl = new AbortController();
  const total: WriteResult = { written: 0, aborted: 0 };
  const loop = (async () => {
    while (!ctrl.signal.aborted) {
      const r = await writeLedger(ledger, { ...opts, perPartition: opts.perRound, signal: ctrl.signal });
      total.written += r.written;
      total.aborted += r.aborted;
      if (opts.pauseMs) await new Promise((res) => setTimeout(res, opts.pauseMs));
    }
    return total;
  })();
  loop.catch(() => {});
  return {
    stop: async () => {
      ctrl.abort();
      return loop;
    },
  };
}

/** Creates a topic with gregor's admin client (no JVM); resolves once its metadata is visible. */
export async function createLedgerTopic(bootstrap: string, topic: string, partitions: number, opts: { replicationFactor?: number; configs?: Record<string, string> } = {}): Promise<void> {
  const admin = new Admin({ 'bootstrap.servers': bootstrap, 'gregor.log.level': 'warn' });
  try {
    await admin.createTopics([{ topic, numPartitions: partitions, ...(opts.replicationFactor ? { replicationFactor: opts.replicationFactor } : {}), ...(opts.configs ? { configs: opts.configs } : {}) }]);
  } finally {
    await admin.close();
  }
}
