// Child process of classic-groups.test.ts: one gregor member of a classic group, in its own process so the test can
// SIGKILL it. It writes one line per event to stdout (synchronous on a pipe, so a line written is a line the test
// sees even if the process is killed right after):
//   A <name> <p,p,...>      assigned (added partitions)    R <name> <p,...>   revoked    L <name> <p,...>   lost
//   D <name> <p> <offset>   a record delivered to the application
//   C <name> <p>:<next>,... a commit that the broker acknowledged (next offset to read per partition)
// Commits are manual (every 100 records, and before a revoke completes), so the test knows exactly which records
// a killed member had committed. SIGTERM: commit, close (leave the group), exit 0.
import { Consumer, type TopicPartition } from '../../../src/index.js';

const [bootstrap, topic, group, name, strategy, sessionTimeoutMs] = process.argv.slice(2);
const consumer = new Consumer({
  'bootstrap.servers': bootstrap,
  'group.id': group,
  'group.protocol': 'classic',
  'client.id': name,
  'auto.offset.reset': 'earliest',
  'enable.auto.commit': false,
  'partition.assignment.strategy': strategy,
  'session.timeout.ms': Number(sessionTimeoutMs),
  'heartbeat.interval.ms': 500,
  'gregor.log.level': 'warn',
});
const out = (line: string): void => { process.stdout.write(`${line}\n`); };
const parts = (p: readonly TopicPartition[]): string => p.map((tp) => tp.partition).join(',');
// The next offset per owned partition, as delivered: what commit() will store.
const next = new Map<number, bigint>();

async function commit(): Promise<void> {
  const snapshot = [...next.entries()];
  if (snapshot.length === 0) return;
  await consumer.commit(snapshot.map(([partition, offset]) => ({ topic, partition, offset })));
  out(`C ${name} ${snapshot.map(([p, o]) => `${p}:${o}`).join(',')}`);
}

consumer.subscribe([topic], {
  assigned: (p) => { out(`A ${name} ${parts(p)}`); },
  revoked: async (p) => {
    const keep = [...next.entries()].filter(([partition]) => p.some((tp) => tp.partition === partition));
    if (keep.length > 0) {
      await consumer.commit(keep.map(([partition, offset]) => ({ topic, partition, offset })));
      out(`C ${name} ${keep.map(([q, o]) => `${q}:${o}`).join(',')}`);
    }
    for (const tp of p) next.delete(tp.partition);
    out(`R ${name} ${parts(p)}`);
  },
  lost: (p) => {
    for (const tp of p) next.delete(tp.partition);
    out(`L ${name} ${parts(p)}`);
  },
});

let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
let n = 0;
while (!stopping) {
  const m = await consumer.poll(200);
  if (m === null) continue;
  out(`D ${name} ${m.partition} ${m.offset}`);
  next.set(m.partition, m.offset + 1n);
  if (++n % 100 === 0) {
    // A commit refused during a rebalance is retried at the next 100; the test only trusts acknowledged ones.
    await commit().catch((e: unknown) => { out(`E ${name} ${(e as Error).message.replace(/\n/g, ' ')}`); });
  }
}
await commit();
await consumer.close();
out(`X ${name}`);
