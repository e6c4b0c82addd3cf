// R16 blocked event loop (issue 16): members whose handler blocks the event loop with CPU work (a busy loop, 40 ms
// per record) for a long stretch, far longer than the session timeout between two turns of the event loop, keep their
// one assignment: no revoke, no loss, no second assignment after the group first settled; and every record is
// delivered once, in order, with the final commit accepted (the generation or epoch is still valid). Shapes: a
// `for await` loop, run() with a synchronous eachMessage, one member or a group of two in one process; classic and
// KIP-848 (whose session timeout is the group's, set with a group config). The CI file uses the shortest durations
// that still prove it (session 6 s, 15 s of blocking: 256 records between two yields of for-await is ~10 s); the
// long file the (session 10 s, 40 s).
import { Consumer, type Message } from '../../../src/index.js';
import { ensureKafka, setGroupConfig, uniqueName } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { LedgerMember } from '../member.js';
import { finish } from '../report.js';
import { createLedgerTopic, writeLedger } from '../writer.js';

const BLOCK_PER_RECORD_MS = 40;

export interface R16Options {
  protocol: 'classic' | 'consumer';
  shape: 'iterate' | 'run';
  members: 1 | 2;
  sessionTimeoutMs: number;
  blockForMs: number;
}

/** CPU work that holds the event loop (what JSON parsing or templating does). */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the event loop stands still */ }
}

export async function r16(o: R16Options): Promise<void> {
  const started = Date.now();
  const scenario = `R16 blocked loop ${o.protocol} ${o.shape === 'iterate' ? 'for-await' : 'run()'} x${o.members} (session ${o.sessionTimeoutMs / 1000} s, ${o.blockForMs / 1000} s blocked)`;
  const env = await ensureKafka();
  const topic = uniqueName('r16');
  await createLedgerTopic(env.bootstrap, topic, o.members);
  const ledger = new Ledger();
  const perPartition = Math.ceil(o.blockForMs / BLOCK_PER_RECORD_MS) + 200;
  await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: o.members, perPartition, valueBytes: 100 });
  const group = uniqueName('r16-group');
  if (o.protocol === 'consumer') {
    await setGroupConfig(group, { 'consumer.session.timeout.ms': String(o.sessionTimeoutMs), 'consumer.heartbeat.interval.ms': '1000' });
  }
  const consumers = Array.from({ length: o.members }, (_, i) => new Consumer({
    'bootstrap.servers': env.bootstrap,
    'group.id': group,
    'group.protocol': o.protocol,
    ...(o.protocol === 'classic' ? { 'session.timeout.ms': o.sessionTimeoutMs } : {}),
    'client.id': `r16-${i}`,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'gregor.log.level': 'warn',
  }));
  const members = consumers.map((c, i) => new LedgerMember(c, ledger.member(`m${i}`)));
  let settledAt = Infinity;
  const after: string[] = [];
  const note = (what: string, i: number) => (p: readonly { partition: number }[]): void => {
    if (Date.now() > settledAt) after.push(`m${i} ${what} ${p.map((x) => x.partition).join(',')}`);
  };
  const failures: string[] = [];
  try {
    members.forEach((m, i) => consumers[i].subscribe([topic], m.listener({ assigned: note('assigned', i), revoked: note('revoked', i), lost: note('lost', i) })));
    // Until every member owns its one partition (a group of two rebalances once when the second joins).
    const deadline = Date.now() + 60_000;
    while (consumers.some((c) => c.assignment().length !== 1)) {
      if (Date.now() > deadline) throw new Error('the group did not settle within 60 s');
      await Promise.all(members.map(async (m) => { const x = await m.consumer.poll(100); if (x !== null) m.record(x); }));
    }
    settledAt = Date.now();
    const blockedUntil = settledAt + o.blockForMs;
    const total = ledger.producedCount();
    const allDelivered = (): boolean => ledger.distinctDelivered() >= total;
    // Blocking 40 ms per record until blockedUntil, then without blocking until every record is delivered; a member
    // whose partition is finished waits for the others (its next message would never come).
    let allDone!: () => void;
    const done = new Promise<null>((resolve) => { allDone = () => resolve(null); });
    const stop = new AbortController();
    const handle = (m: LedgerMember, x: Message): void => {
      m.record(x);
      if (Date.now() < blockedUntil) busy(BLOCK_PER_RECORD_MS);
      if (allDelivered()) {
        allDone();
        stop.abort();
      }
    };
    await Promise.all(members.map(async (m) => {
      if (allDelivered()) return;
      if (o.shape === 'iterate') {
        const it = m.consumer[Symbol.asyncIterator]();
        while (!allDelivered()) {
          const r = await Promise.race([it.next(), done]);
          if (r === null || r.done === true) break;
          handle(m, r.value);
        }
        await it.return?.();
      } else {
        await m.consumer.run({ signal: stop.signal, eachMessage: (x) => handle(m, x) });
      }
    }));
    // Accepted only while the member's generation (classic) or epoch (KIP-848) is still the one it settled with.
    for (const m of members) await m.commit().catch((err: unknown) => { failures.push(`final commit of ${m.rec.member} refused: ${String(err)}`); });
    const blocked = members.reduce((n, m) => n + Math.min(m.delivered, Math.ceil(o.blockForMs / BLOCK_PER_RECORD_MS)), 0);
    const check = ledger.check({ allowDuplicatesInWindow: false });
    finish(scenario, {
      check,
      startedAt: started,
      notes: `${o.members} partition(s) x ${perPartition}; ~${blocked} records handled blocking ${BLOCK_PER_RECORD_MS} ms each; assignment changes after settling: ${after.length}`,
      failures: [...failures, after.length > 0 && `assignment changed after the group settled: ${after.join('; ')}`],
    });
  } finally {
    await Promise.all(consumers.map((c) => c.close()));
  }
}
