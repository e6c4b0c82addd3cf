// R19 rebootstrap (KIP-899, KIP-1102): every broker a client knew is replaced. The test runs its own single-node
// Kafka (scripts/kafka.mjs with GREGOR_KAFKA_DIR=.kafka-own, ports from 9400), and the clients' bootstrap.servers is
// a TCP proxy in front of it: the fixed address a DNS name or a load balancer gives in production. Then:
//   1. the consumers read the first records (they now know node 1 at 127.0.0.1:9400, as the broker advertises);
//   2. the broker stops and starts again on other ports (base 9500) on the same data directory and cluster id, so
//      topics and offsets survive; the proxy now forwards to it; more records are written;
//   3. consumers with metadata.recovery.strategy=rebootstrap (the default) find the broker again through the
//      bootstrap address and read on from their positions (assign(), auto.offset.reset=latest: a lost position would
//      skip records) and as a group member (committed offsets, a coordinator at a new address), without a restart;
//      a consumer with metadata.recovery.strategy=none keeps asking the old address and reads nothing more.
// Passes when each rebootstrap consumer reads every record once, in order, with no offset reset and no error from
// poll(), and the none consumer reads nothing after the swap.
import { spawn } from 'node:child_process';
import { mkdirSync, cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Admin, Consumer, Producer, type ConsumerConfig, type GregorError, type OffsetResetEvent } from '../../../src/index.js';
import { ROOT, kafkaJars, uniqueName } from '../../integration/helpers/kafka.js';
import { waitUntil } from '../cluster/control.js';
import { FaultProxy } from '../fault-proxy.js';
import { finish } from '../report.js';

const OWN_DIR = join(ROOT, '.kafka-own');
const FIRST_BASE = 9400;
const SECOND_BASE = 9500;
const PARTITIONS = 2;
const BEFORE = 50;
const AFTER = 50;

/** scripts/kafka.mjs on the test's own broker directory and ports. */
function ownKafka(args: readonly string[], base: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), ...args], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GREGOR_KAFKA_DIR: OWN_DIR, GREGOR_KAFKA_PORT_BASE: String(base) },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kafka.mjs ${args.join(' ')} (base ${base}): exit ${code}\n${out}`))));
  });
}

/** One in-process consumer reading in the background: what it received, resets and errors. */
class Reader {
  readonly received: string[] = [];
  readonly errors: GregorError[] = [];
  readonly resets: OffsetResetEvent[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(readonly name: string, readonly consumer: Consumer) {
    consumer.on('offsetReset', (e) => this.resets.push(e));
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const m = await this.consumer.poll(200);
        if (m !== null) this.received.push(`${m.partition}@${m.offset}=${m.valueString()}`);
      } catch (e) {
        this.errors.push(e as GregorError);
      }
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.consumer.close();
  }
}

describe('R19 rebootstrap (own single-node Kafka behind a fixed bootstrap address)', () => {
  let base = FIRST_BASE;
  before(async () => {
    mkdirSync(OWN_DIR, { recursive: true });
    if (!existsSync(join(OWN_DIR, 'lib'))) cpSync(kafkaJars().lib, join(OWN_DIR, 'lib'), { recursive: true });
    // A clean start: the scenario moves the broker between two port bases.
    await ownKafka(['stop', '--nodes', '1', '--clean'], FIRST_BASE).catch(() => {});
    await ownKafka(['start'], FIRST_BASE);
  });
  after(async () => { await ownKafka(['stop', '--nodes', '1', '--clean'], base).catch(() => {}); });

  it('R19: every known broker replaced on other ports behind the bootstrap address: the consumers recover without a restart', { timeout: 300_000 }, async () => {
    const started = Date.now();
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: FIRST_BASE }, { frames: false });
    const topic = uniqueName('r19');
    const direct = (b: number): string => `127.0.0.1:${b}`;
    const write = async (b: number, prefix: string, count: number): Promise<void> => {
      const producer = new Producer({ 'bootstrap.servers': direct(b), 'gregor.log.level': 'error' });
      try {
        for (let i = 0; i < count; i++) await producer.send({ topic, partition: i % PARTITIONS, value: `${prefix}-${i}` });
      } finally {
        await producer.close();
      }
    };
    const consumerConfig = (extra: ConsumerConfig): ConsumerConfig => ({
      'bootstrap.servers': proxy.address, 'gregor.log.level': 'error', 'fetch.max.wait.ms': 200,
      'reconnect.backoff.max.ms': 500, 'retry.backoff.max.ms': 500, ...extra,
    });
    const readers: Reader[] = [];
    try {
      const admin = new Admin({ 'bootstrap.servers': direct(FIRST_BASE), 'gregor.log.level': 'error' });
      await admin.createTopics([{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }]);
      await admin.close();

      const assigned = (name: string, strategy: 'rebootstrap' | 'none'): Reader => {
        const c = new Consumer(consumerConfig({ 'auto.offset.reset': 'latest', 'metadata.recovery.strategy': strategy }));
        c.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0 })));
        return new Reader(name, c);
      };
      const rebootstrap = assigned('assign, rebootstrap', 'rebootstrap');
      const none = assigned('assign, none', 'none');
      const memberConsumer = new Consumer(consumerConfig({
        'group.id': uniqueName('r19-group'), 'auto.offset.reset': 'earliest', 'auto.commit.interval.ms': 500,
        'session.timeout.ms': 45_000,
      }));
      memberConsumer.subscribe([topic]);
      const member = new Reader('group member', memberConsumer);
      readers.push(rebootstrap, none, member);

      // 1. The first records, through the broker at its first address.
      await write(FIRST_BASE, 'before', BEFORE);
      await waitUntil('every consumer to read the first records', () => readers.every((r) => r.received.length >= BEFORE), 120_000);
      await waitUntil('the member to commit them', async () => {
        const committed = await memberConsumer.committed();
        return committed.reduce((n, c) => n + Number(c.offset ?? 0n), 0) >= BEFORE;
      }, 60_000);

      // 2. The broker is replaced: same data, other ports; the bootstrap address now leads there.
      await ownKafka(['stop', '--nodes', '1'], FIRST_BASE);
      const swapAt = Date.now();
      await ownKafka(['start'], SECOND_BASE);
      base = SECOND_BASE;
      proxy.retarget({ host: '127.0.0.1', port: SECOND_BASE });
      const upAt = Date.now();
      await write(SECOND_BASE, 'after', AFTER);

      // 3. Recovery.
      const recovering = [rebootstrap, member];
      await waitUntil('the rebootstrap consumers to read the new records', () => recovering.every((r) => r.received.length >= BEFORE + AFTER), 120_000);
      const recoverMs = Date.now() - upAt;
      const noneAfter = none.received.length - BEFORE;

      const expected = (r: Reader): string[] => {
        const sorted = [...r.received].sort();
        const want: string[] = [];
        for (let i = 0; i < BEFORE; i++) want.push(`${i % PARTITIONS}@${Math.floor(i / PARTITIONS)}=before-${i}`);
        for (let i = 0; i < AFTER; i++) want.push(`${i % PARTITIONS}@${BEFORE / PARTITIONS + Math.floor(i / PARTITIONS)}=after-${i}`);
        return want.sort().join() === sorted.join() ? [] : [`${r.name} read ${JSON.stringify(r.received)}`];
      };
      const ordered = (r: Reader): boolean => Array.from({ length: PARTITIONS }, (_, p) => r.received.filter((x) => x.startsWith(`${p}@`))
        .map((x) => Number(x.split('@')[1].split('=')[0]))).every((offs) => offs.every((o, i) => i === 0 || o === offs[i - 1] + 1));
      finish('R19 rebootstrap', {
        records: rebootstrap.received.length + member.received.length,
        startedAt: started,
        recoverMs,
        notes: `broker moved from ports ${FIRST_BASE}.. to ${SECOND_BASE}.. (down ${upAt - swapAt} ms) behind ${proxy.address}; ` +
          `assign() and group member read on ${recoverMs} ms after it was back; metadata.recovery.strategy=none read ${noneAfter} new records`,
        failures: [
          ...recovering.flatMap(expected),
          ...recovering.filter((r) => !ordered(r)).map((r) => `${r.name}: offsets out of order or with a gap`),
          ...recovering.filter((r) => r.resets.some((e) => e.reason !== 'no-committed-offset')).map((r) => `${r.name} reset its position: ${JSON.stringify(r.resets.map((e) => e.reason))}`),
          ...recovering.filter((r) => r.errors.length > 0).map((r) => `${r.name}: errors surfaced by poll(): ${r.errors.slice(0, 3).map((e) => `${e.name}: ${e.message}`).join('; ')}`),
          noneAfter !== 0 && `metadata.recovery.strategy=none read ${noneAfter} records after the swap: it rebootstrapped`,
        ],
      });
    } finally {
      await Promise.allSettled(readers.map((r) => r.close()));
      await proxy.close();
    }
  });
});
