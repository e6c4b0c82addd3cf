// Child process of the group scale tests (scale.test.ts, via member-processes.ts): one gregor member, in its own
// process so the test can start it, SIGTERM it (clean leave) or SIGKILL it. Its only argument is a JSON MemberArgs. It writes
// one line per event to stdout; writes to a pipe are synchronous, so a line written is a line the test sees even if
// the process is killed right after. Every line carries the wall-clock time (ms, fractional) it was written at:
//   S <t> <name>                  started, about to subscribe (the member "joins")
//   A <t> <name> <p,p,...>        assigned (the partitions added)
//   R <t> <name> <p,...>          revoked (after the commit of what was delivered)
//   L <t> <name> <p,...>          lost (nothing committed)
//   D <t> <name> <p> <offset>     a record handed to the application
//   C <t> <name> <p>:<next>,...   a commit the broker acknowledged (next offset to read per partition)
//   E <t> <name> <message>        an error the member saw (a refused periodic commit, a poll error)
//   X <t> <name>                  closed cleanly
// Commits are manual (every 100 records, and in the revoked listener, before the revoke completes), so the test
// knows which records a killed member had committed. SIGTERM: commit, close (leave the group), exit 0.
// GREGOR_MEMBER_TRACE_DIR=<dir>: each member also writes its debug log and its lines but D to <dir>/<name>.log (to
// read what a member did in a failed run; off in CI).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Consumer, type ConsumerConfig, type TopicPartition } from '../../../src/index.js';

export interface MemberArgs {
  bootstrap: string;
  topic: string;
  group: string;
  name: string;
  /** 'classic' with an assignment strategy, or 'consumer' (KIP-848: the broker assigns). */
  protocol: 'classic' | 'consumer';
  strategy?: string;
  /** Classic only: KIP-848 takes its timeouts from the group's configuration. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as MemberArgs;
const { topic, name } = args;
const now = (): string => (performance.timeOrigin + performance.now()).toFixed(1);
const traceDir = process.env.GREGOR_MEMBER_TRACE_DIR;
const trace = traceDir === undefined || traceDir === '' ? null : (line: string): void => appendFileSync(join(traceDir, `${name}.log`), line);
const config: ConsumerConfig = {
  'bootstrap.servers': args.bootstrap,
  'group.id': args.group,
  'group.protocol': args.protocol,
  'client.id': name,
  'auto.offset.reset': 'earliest',
  'enable.auto.commit': false,
  'gregor.log.level': trace === null ? 'warn' : 'debug',
  ...(trace === null ? {} : {
    'gregor.logger': (level: string, message: string, fields?: object) => trace(`${now()} ${level} ${message} ${JSON.stringify(fields ?? {})}\n`),
  }),
  ...(args.protocol === 'classic' ? {
    'partition.assignment.strategy': args.strategy ?? 'range',
    'session.timeout.ms': args.sessionTimeoutMs ?? 6000,
    'heartbeat.interval.ms': args.heartbeatIntervalMs ?? 500,
  } : {}),
};
const consumer = new Consumer(config);
const out = (kind: string, rest = ''): void => {
  const line = `${kind} ${now()} ${name}${rest === '' ? '' : ` ${rest}`}\n`;
  process.stdout.write(line);
  if (kind !== 'D') trace?.(line);
};
const parts = (p: readonly TopicPartition[]): string => p.map((tp) => tp.partition).join(',');
// The next offset per owned partition, as delivered: what a commit stores.
const next = new Map<number, bigint>();

async function commit(partitions?: readonly number[]): Promise<void> {
  const snapshot = [...next.entries()].filter(([p]) => partitions === undefined || partitions.includes(p));
  if (snapshot.length === 0) return;
  await consumer.commit(snapshot.map(([partition, offset]) => ({ topic, partition, offset })));
  out('C', snapshot.map(([p, o]) => `${p}:${o}`).join(','));
}

let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
out('S');
consumer.subscribe([topic], {
  assigned: (p) => { out('A', parts(p)); },
  revoked: async (p) => {
    // The application may commit before a revoke completes: the next owner starts right after these records.
    await commit(p.map((tp) => tp.partition)).catch((e: unknown) => { out('E', `revoke commit: ${(e as Error).message.replace(/\n/g, ' ')}`); });
    for (const tp of p) next.delete(tp.partition);
    out('R', parts(p));
  },
  lost: (p) => {
    for (const tp of p) next.delete(tp.partition);
    out('L', parts(p));
  },
});

let n = 0;
while (!stopping) {
  let m;
  try {
    m = await consumer.poll(200);
  } catch (e) {
    out('E', `poll: ${(e as Error).message.replace(/\n/g, ' ')}`);
    await new Promise((r) => setTimeout(r, 200));
    continue;
  }
  if (m === null) continue;
  out('D', `${m.partition} ${m.offset}`);
  next.set(m.partition, m.offset + 1n);
  if (++n % 100 === 0) {
    // A commit refused during a rebalance is retried at the next 100; the test only trusts acknowledged ones.
    await commit().catch((e: unknown) => { out('E', `commit: ${(e as Error).message.replace(/\n/g, ' ')}`); });
  }
}
await commit().catch((e: unknown) => { out('E', `final commit: ${(e as Error).message.replace(/\n/g, ' ')}`); });
await consumer.close();
out('X');
