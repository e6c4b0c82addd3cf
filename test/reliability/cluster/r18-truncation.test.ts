// R18 log truncation (KIP-320) on the three-node cluster of scripts/kafka.mjs: an unclean leader election that
// truncates the log below the consumers' position. A partition replicated on nodes A and B only
// (min.insync.replicas=1, unclean.leader.election.enable=true):
//   1. N records on both replicas; B is SIGKILLed and leaves the ISR; M more records written to A alone (acks=1)
//      are read by two consumers (assign(), in this process), so their position is N + M, in A's leader epoch;
//   2. A is SIGKILLed and B started again: B, out of sync, is elected uncleanly (by the controller, or by Kafka's
//      leader-election tool with --election-type unclean when the controller did not) and takes new records at
//      offsets N, N+1, ...: the M records the consumers read are gone, and their offsets now hold other records;
//   3. A is started again and truncates its own log to B's.
// Passes when both consumers detect the truncation through OffsetForLeaderEpoch, as Java's consumer does:
// auto.offset.reset=earliest resets to the first divergent offset N (an offsetReset event 'truncated', N + M -> N) and
// reads B's records from N once each; auto.offset.reset=none gets LogTruncationError naming the partition, the
// position N + M and the divergent offset N, reads nothing more until it seeks, then reads B's records from N. No
// other error reaches poll(). Records written with acks=1 and lost in an unclean election are Kafka's loss, not the
// client's, so the ledger is not used: the scenario checks offsets and values itself.
import { after, before, describe, it } from 'node:test';
import { Consumer, LogTruncationError, Producer, type GregorError, type OffsetResetEvent } from '../../../src/index.js';
import { kafkaTool, stopKafka, uniqueName, type KafkaEnv } from '../../integration/helpers/kafka.js';
import { finish } from '../report.js';
import { clusterEnv, describePartitions, killBroker, startBroker, waitIsr, waitUntil, type NodeId } from './control.js';

const A: NodeId = 1;
const B: NodeId = 2;
const N = 20;
const M = 10;
const K = 5;

/** One in-process consumer of partition 0, polling in the background; what it received and what poll() threw. */
class Reader {
  readonly consumer: Consumer;
  readonly received: { offset: bigint; value: string }[] = [];
  readonly errors: GregorError[] = [];
  readonly resets: OffsetResetEvent[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(bootstrap: string, topic: string, reset: 'earliest' | 'none') {
    this.consumer = new Consumer({
      'bootstrap.servers': bootstrap, 'auto.offset.reset': reset, 'gregor.log.level': 'error',
      'fetch.max.wait.ms': 200, 'reconnect.backoff.max.ms': 500, 'retry.backoff.max.ms': 500,
    });
    this.consumer.on('offsetReset', (e) => this.resets.push(e));
    this.consumer.assign([{ topic, partition: 0, offset: 0 }]);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const m = await this.consumer.poll(200);
        if (m !== null) this.received.push({ offset: m.offset, value: m.valueString() ?? '' });
      } catch (e) {
        this.errors.push(e as GregorError);
      }
    }
  }

  values(from = 0): string[] {
    return this.received.slice(from).map((r) => `${r.offset}=${r.value}`);
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.consumer.close();
  }
}

const expected = (prefix: string, first: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${first + i}=${prefix}-${i}`);

describe('R18 log truncation (three-node cluster)', () => {
  let env: KafkaEnv;
  before(async () => { env = await clusterEnv(); });
  after(() => { if (env?.startedNow) stopKafka(3); });

  it('R18: an unclean election truncates below the position: earliest resets to the divergent offset, none raises LogTruncationError', { timeout: 300_000 }, async () => {
    const started = Date.now();
    const topic = uniqueName('r18');
    await kafkaTool('topics', ['--bootstrap-server', env.bootstrap, '--create', '--topic', topic,
      '--replica-assignment', `${A}:${B}`, '--config', 'min.insync.replicas=1', '--config', 'unclean.leader.election.enable=true']);
    await waitIsr(env, [topic]);
    const down = new Set<NodeId>();
    const producer = new Producer({
      'bootstrap.servers': env.bootstrap, 'acks': '1', 'enable.idempotence': false, 'gregor.log.level': 'error',
      'retry.backoff.max.ms': 500, 'reconnect.backoff.max.ms': 500,
    });
    const write = async (prefix: string, count: number): Promise<bigint[]> => {
      const offsets: bigint[] = [];
      for (let i = 0; i < count; i++) offsets.push((await producer.send({ topic, partition: 0, value: `${prefix}-${i}` })).offset);
      return offsets;
    };
    const earliest = new Reader(env.bootstrap, topic, 'earliest');
    const none = new Reader(env.bootstrap, topic, 'none');
    try {
      // 1. N records on both replicas, then M on A alone.
      await write('clean', N);
      await waitUntil('both consumers to read the replicated records', () => earliest.received.length >= N && none.received.length >= N, 60_000);
      await killBroker(B);
      down.add(B);
      await waitUntil(`node ${B} to leave the ISR`, async () => {
        const [p] = await describePartitions(env, topic);
        return p.leader === A && p.isr.length === 1;
      }, 120_000, 500);
      const lostOffsets = await write('lost', M);
      await waitUntil('both consumers to read the records only A has', () =>
        earliest.received.length >= N + M && none.received.length >= N + M, 60_000);
      const epochOfA = (await describePartitions(env, topic))[0].leaderEpoch;

      // 2. A dies, B comes back without those records and is elected uncleanly.
      await killBroker(A);
      down.add(A);
      await startBroker(B);
      down.delete(B);
      const electAt = Date.now();
      let byTool = false;
      await waitUntil(`node ${B} elected leader uncleanly`, async () => {
        const [p] = await describePartitions(env, topic);
        if (p.leader === B) return true;
        if (Date.now() - electAt > 20_000) {
          byTool = true;
          await kafkaTool('leader-election', ['--bootstrap-server', env.nodes.filter((n) => n.id !== A).map((n) => `127.0.0.1:${n.plaintext}`).join(','),
            '--election-type', 'unclean', '--topic', topic, '--partition', '0'], { check: false });
        }
        return false;
      }, 120_000, 1000);
      const electedAt = Date.now();
      const newEpoch = (await describePartitions(env, topic))[0].leaderEpoch;
      const newOffsets = await write('new', K);

      // 3. What the consumers made of it.
      await waitUntil('the earliest consumer to read the new leader\'s records', () => earliest.received.length >= N + M + K, 60_000);
      const recoverMs = Date.now() - electedAt;
      const truncation = await waitUntil('LogTruncationError for the none consumer', () =>
        none.errors.find((e): e is LogTruncationError => e instanceof LogTruncationError), 60_000);
      const heldBack = none.received.length;
      none.consumer.seek({ topic, partition: 0 }, truncation.divergentOffset);
      await waitUntil('the none consumer to read the new leader\'s records after its seek', () => none.received.length >= N + M + K, 60_000);

      // A comes back and follows B (truncating its own log).
      await startBroker(A);
      down.delete(A);
      await waitIsr(env, [topic]);

      const clean = expected('clean', 0, N);
      const lost = expected('lost', N, M);
      const rewritten = expected('new', N, K);
      const otherErrors = [...earliest.errors, ...none.errors.filter((e) => e !== truncation)];
      finish('R18 truncation', {
        records: earliest.received.length + none.received.length,
        startedAt: started,
        recoverMs,
        notes: `replicas ${A},${B}; ${M} records at ${N}..${N + M - 1} (epoch ${epochOfA}) lost when node ${B} was elected ` +
          `${byTool ? 'by the leader-election tool (unclean)' : 'by the controller (unclean.leader.election.enable)'} in epoch ${newEpoch}; ` +
          `earliest: reset ${earliest.resets.map((r) => `${r.from}->${r.to} ${r.reason}`).join(', ')}, new records ${recoverMs} ms after the election; ` +
          `none: ${truncation.name} position ${truncation.offset} divergent ${truncation.divergentOffset} (epoch ${truncation.divergentEpoch})`,
        failures: [
          lostOffsets[0] !== BigInt(N) && `the acks=1 records landed at ${lostOffsets.join(',')}, not ${N}..${N + M - 1}`,
          newOffsets[0] !== BigInt(N) && `the new leader's first record landed at ${newOffsets[0]}, not ${N}: no truncation happened`,
          JSON.stringify(earliest.values()) !== JSON.stringify([...clean, ...lost, ...rewritten]) &&
            `earliest consumer read ${JSON.stringify(earliest.values(N))} after the clean records, expected ${JSON.stringify([...lost, ...rewritten])}`,
          JSON.stringify(earliest.resets.map((r) => [String(r.from), String(r.to), r.reason])) !== JSON.stringify([[String(N + M), String(N), 'truncated']]) &&
            `earliest consumer's resets: ${JSON.stringify(earliest.resets.map((r) => `${r.from}->${r.to} ${r.reason}`))}, expected one ${N + M}->${N} truncated`,
          heldBack !== N + M && `the none consumer read ${heldBack - N - M} records past the truncation before its seek`,
          truncation.offset !== BigInt(N + M) && `LogTruncationError position ${truncation.offset}, expected ${N + M}`,
          truncation.divergentOffset !== BigInt(N) && `LogTruncationError divergent offset ${truncation.divergentOffset}, expected ${N}`,
          (truncation.topic !== topic || truncation.partition !== 0) && `LogTruncationError names ${truncation.topic}[${truncation.partition}]`,
          !truncation.message.includes(`${topic}[0]`) && `LogTruncationError's message does not name the partition: ${truncation.message}`,
          none.resets.length > 0 && `the none consumer reset its position: ${JSON.stringify(none.resets.map((r) => r.reason))}`,
          JSON.stringify(none.values()) !== JSON.stringify([...clean, ...lost, ...rewritten]) &&
            `none consumer read ${JSON.stringify(none.values(N))} after the clean records, expected ${JSON.stringify([...lost, ...rewritten])}`,
          otherErrors.length > 0 && `errors surfaced by poll(): ${otherErrors.slice(0, 5).map((e) => `${e.name}: ${e.message}`).join('; ')}`,
        ],
      });
    } finally {
      await Promise.allSettled([earliest.close(), none.close(), producer.close()]);
      for (const id of down) await startBroker(id).catch(() => {});
    }
  });
});
