// R22 a broker that stops answering: its process is stopped (SIGSTOP) for several request.timeout.ms, then continued.
// Its sockets stay open and new connections are accepted by the kernel, but nothing is answered: fetches, heartbeats,
// auto-commits, metadata refreshes and every new connection's ApiVersions time out (the state in which a bench
// client once died of an unhandled TimeoutError from Connection.onTimeout). The test runs its own single-node Kafka
// (scripts/kafka.mjs with GREGOR_KAFKA_DIR=.kafka-own, ports from 9700): the shared brokers are never stopped.
// Readers: a group member iterating with `for await` (the idiom the bench used; an error ends the loop and it
// starts another), and an assign() reader polling. A commit() is asked while the broker is stopped.
// Passes when no rejection goes unhandled (report.ts fails the verdict on any), every error the application sees is
// a typed GregorError, the commit made during the stop rejects with one, bounded (default.api.timeout.ms plus the
// attempt under way), both readers get every record written after the broker continued (the member at least once,
// the assign() reader exactly once, in order), and close() completes.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Admin, Consumer, Producer, isGregorError, type ConsumerConfig } from '../../../src/index.js';
import { ROOT, kafkaJars, uniqueName } from '../../integration/helpers/kafka.js';
import { waitUntil } from '../cluster/control.js';
import { finish } from '../report.js';

const OWN_DIR = join(ROOT, '.kafka-own');
const BASE = 9700;
const PARTITIONS = 2;
const BEFORE = 40;
const AFTER = 40;
const REQUEST_TIMEOUT_MS = 2000;
const DEFAULT_API_TIMEOUT_MS = 5000;
/**
 * How long a commit may take when nothing answers: its retries stop at default.api.timeout.ms, but the attempt under
 * way then runs to its end, up to three requests of request.timeout.ms each (FindCoordinator, a new connection's
 * ApiVersions, OffsetCommit); 10.8 s measured here. Plus slack for a loaded machine.
 */
const COMMIT_BOUND_MS = DEFAULT_API_TIMEOUT_MS + 3 * REQUEST_TIMEOUT_MS + 3000;
/** Long enough for every kind of request to time out more than once, and for the failures to reach poll(). */
const STOPPED_MS = 4 * REQUEST_TIMEOUT_MS;

function ownKafka(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), ...args], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GREGOR_KAFKA_DIR: OWN_DIR, GREGOR_KAFKA_PORT_BASE: String(BASE) },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kafka.mjs ${args.join(' ')}: exit ${code}\n${out}`))));
  });
}

/** A reader in the background: what it received and every error its loop saw. */
class Reader {
  readonly received: string[] = [];
  readonly errors: unknown[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(readonly name: string, readonly consumer: Consumer, iterate: boolean) {
    this.loop = iterate ? this.iterate() : this.poll();
  }

  private note(m: { partition: number; offset: bigint; valueString(): string | null }): void {
    this.received.push(`${m.partition}@${m.offset}=${m.valueString()}`);
  }

  private async iterate(): Promise<void> {
    while (!this.stopped) {
      try {
        for await (const m of this.consumer) {
          this.note(m);
          if (this.stopped) break;
        }
      } catch (e) {
        this.errors.push(e);
      }
    }
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      try {
        const m = await this.consumer.poll(200);
        if (m !== null) this.note(m);
      } catch (e) {
        this.errors.push(e);
      }
    }
  }

  distinct(): Set<string> {
    return new Set(this.received);
  }

  async close(): Promise<void> {
    this.stopped = true;
    const closed = this.consumer.close();
    await this.loop;
    await closed;
  }
}

describe('R22 a broker stopped (SIGSTOP) beyond request.timeout.ms (own single-node Kafka)', () => {
  before(async () => {
    mkdirSync(OWN_DIR, { recursive: true });
    if (!existsSync(join(OWN_DIR, 'lib'))) cpSync(kafkaJars().lib, join(OWN_DIR, 'lib'), { recursive: true });
    await ownKafka(['stop', '--nodes', '1', '--clean']).catch(() => {});
    await ownKafka(['start']);
  });
  after(async () => { await ownKafka(['stop', '--nodes', '1', '--clean']).catch(() => {}); });

  it('R22: no unhandled rejection, typed errors only, a commit during the stop rejects in time, every later record read', { timeout: 300_000 }, async () => {
    const started = Date.now();
    const bootstrap = `127.0.0.1:${BASE}`;
    const pid = Number(readFileSync(join(OWN_DIR, 'single', 'broker.pid'), 'utf8').trim());
    const topic = uniqueName('r22');
    const write = async (prefix: string, count: number): Promise<void> => {
      const producer = new Producer({ 'bootstrap.servers': bootstrap, 'gregor.log.level': 'error' });
      try {
        for (let i = 0; i < count; i++) await producer.send({ topic, partition: i % PARTITIONS, value: `${prefix}-${i}` });
      } finally {
        await producer.close();
      }
    };
    const config = (extra: ConsumerConfig): ConsumerConfig => ({
      'bootstrap.servers': bootstrap, 'gregor.log.level': 'error', 'fetch.max.wait.ms': 200,
      'request.timeout.ms': REQUEST_TIMEOUT_MS, 'default.api.timeout.ms': DEFAULT_API_TIMEOUT_MS,
      'reconnect.backoff.max.ms': 500, 'retry.backoff.max.ms': 500, ...extra,
    });
    const readers: Reader[] = [];
    let stopped = false;
    try {
      const admin = new Admin({ 'bootstrap.servers': bootstrap, 'gregor.log.level': 'error' });
      await admin.createTopics([{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }]);
      await admin.close();
      const member = new Reader('group member (for await)', new Consumer(config({
        'group.id': uniqueName('r22-group'), 'auto.offset.reset': 'earliest', 'auto.commit.interval.ms': 300,
        'session.timeout.ms': 30_000, 'heartbeat.interval.ms': 500,
      })), true);
      member.consumer.subscribe([topic]);
      const assigned = new Consumer(config({ 'auto.offset.reset': 'earliest' }));
      assigned.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0 })));
      readers.push(member, new Reader('assign() reader (poll)', assigned, false));

      await write('before', BEFORE);
      await waitUntil('both readers to read the first records', () => readers.every((r) => r.distinct().size >= BEFORE), 120_000);

      process.kill(pid, 'SIGSTOP');
      stopped = true;
      const stoppedAt = Date.now();
      // A commit while nothing answers: it must end, with a typed error, bounded by default.api.timeout.ms.
      const commitStarted = Date.now();
      // Explicit offsets: a commit of the delivered positions would send nothing (auto-commit stored them already).
      const commit = await member.consumer.commit([{ topic, partition: 0, offset: BigInt(BEFORE / PARTITIONS) }])
        .then(() => 'resolved', (e: unknown) => e);
      const commitMs = Date.now() - commitStarted;
      const left = STOPPED_MS - (Date.now() - stoppedAt);
      if (left > 0) await new Promise((r) => setTimeout(r, left));
      process.kill(pid, 'SIGCONT');
      stopped = false;
      const continuedAt = Date.now();

      await write('after', AFTER);
      const wanted = Array.from({ length: AFTER }, (_, i) => `${i % PARTITIONS}@${BEFORE / PARTITIONS + Math.floor(i / PARTITIONS)}=after-${i}`);
      await waitUntil('both readers to read the records written after the broker continued',
        () => readers.every((r) => wanted.every((w) => r.distinct().has(w))), 120_000);
      const recoverMs = Date.now() - continuedAt;

      const untyped = readers.flatMap((r) => r.errors.filter((e) => !isGregorError(e)).map((e) => `${r.name}: untyped error ${String(e)}`));
      const exact = readers[1].received;
      const expectedExact = [
        ...Array.from({ length: BEFORE }, (_, i) => `${i % PARTITIONS}@${Math.floor(i / PARTITIONS)}=before-${i}`),
        ...wanted,
      ];
      const byPartition = (list: readonly string[]): string => Array.from({ length: PARTITIONS }, (_, p) => list.filter((x) => x.startsWith(`${p}@`)).join(',')).join(' | ');
      finish('R22 broker stopped (SIGSTOP)', {
        records: member.distinct().size + readers[1].distinct().size,
        startedAt: started,
        recoverMs,
        notes: `broker stopped ${continuedAt - stoppedAt} ms (request.timeout.ms ${REQUEST_TIMEOUT_MS}); the commit during the stop ` +
          `${commit === 'resolved' ? 'resolved' : `rejected (${(commit as Error).name})`} after ${commitMs} ms; errors seen: ` +
          readers.map((r) => `${r.name} ${r.errors.length}`).join(', '),
        failures: [
          ...untyped,
          commit !== 'resolved' && !isGregorError(commit) && `the commit during the stop rejected with an untyped error: ${String(commit)}`,
          commit === 'resolved' && 'the commit during the stop resolved: nothing could have answered it',
          commitMs > COMMIT_BOUND_MS && `the commit during the stop took ${commitMs} ms (bound ${COMMIT_BOUND_MS} ms)`,
          byPartition(exact) !== byPartition(expectedExact) && `assign() reader: ${byPartition(exact)}`,
        ],
      });
    } finally {
      if (stopped) process.kill(pid, 'SIGCONT');
      await Promise.allSettled(readers.map((r) => r.close()));
    }
  });
});
