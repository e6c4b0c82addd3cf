// R6 for run() (../shared/notes/reliability.md): a rebalance while slow handlers run. Member A runs run() over four
// partitions with key ordering; after 200 records its handlers turn slow (1.5 s each) and member B joins the group
// mid-run. One process, one ledger in event order, so the checks are exact:
// - no record of a partition reaches a member's handler while the member does not own it (after its revoke or loss);
// - handlers in flight on a revoked partition finish before the revoke completes (the drain);
// - nothing is committed for a partition by a member after its revoke (commits seen through the consumer's logger);
// - nothing lost, nothing handled twice (finished work is committed before the revoke; the next owner skips it).
// Eager (range) and cooperative (cooperative-sticky) classic protocols, and KIP-848 (group.protocol=consumer).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Consumer, Logger, TopicPartition } from '../../../src/index.js';
import { makeTopic, produceRecords, runnerConsumer, sleep, uniqueName, until, type KeyedRecord } from './support.js';

type Event =
  | { m: string; kind: 'start' | 'end'; p: number; o: bigint }
  | { m: string; kind: 'assigned' | 'revoked' | 'lost' | 'commit' | 'join'; ps: number[] };

const PARTITIONS = 4;
const PER_PARTITION = 150;

for (const strategy of ['range', 'cooperative-sticky', 'kip848'] as const) {
  test(`R6: rebalance during slow run() handlers, a second member joining mid-run (${strategy})`, { timeout: 240_000 }, async () => {
    const topic = await makeTopic('run-r6', PARTITIONS);
    const records: KeyedRecord[] = [];
    for (let i = 0; i < PER_PARTITION; i++) {
      for (let p = 0; p < PARTITIONS; p++) records.push({ partition: p, key: `k${i % 12}`, value: String(i) });
    }
    await produceRecords(topic, records);
    const group = uniqueName('run-r6');
    const events: Event[] = [];
    const partitionsOf = (tps: readonly TopicPartition[]): number[] => tps.filter((tp) => tp.topic === topic).map((tp) => tp.partition);
    const commitLogger = (m: string): Logger => ({
      debug: (msg, fields) => {
        if (msg !== 'committed') return;
        // offsets.ts logs "topic[p]@offset ..." after the broker acknowledged an OffsetCommit.
        const ps = String(fields?.offsets ?? '').split(' ').map((s) => /\[(\d+)\]@/.exec(s)).filter((x) => x !== null).map((x) => Number(x![1]));
        events.push({ m, kind: 'commit', ps });
      },
      info: () => {},
      warn: () => {},
      error: () => {},
    });
    const props = strategy === 'kip848'
      ? { 'group.id': group, 'group.protocol': 'consumer', 'auto.commit.interval.ms': 300 }
      : {
        'group.id': group,
        'group.protocol': 'classic',
        'partition.assignment.strategy': strategy,
        'heartbeat.interval.ms': 500,
        'session.timeout.ms': 15_000,
        'auto.commit.interval.ms': 300,
      };
    const a = await runnerConsumer({ ...props, 'client.id': 'run-r6-a' }, commitLogger('a'));
    const b = await runnerConsumer({ ...props, 'client.id': 'run-r6-b' }, commitLogger('b'));
    const stops = { a: new AbortController(), b: new AbortController() };
    const handled = new Map<string, number>();
    let aHandled = 0;
    let slow = false;
    const watch = (c: Consumer, m: string): void => {
      c.on('assigned', (tps) => events.push({ m, kind: 'assigned', ps: partitionsOf(tps) }));
      c.on('revoked', (tps) => {
        events.push({ m, kind: 'revoked', ps: partitionsOf(tps) });
        if (m === 'a') slow = false;
      });
      c.on('lost', (tps) => events.push({ m, kind: 'lost', ps: partitionsOf(tps) }));
    };
    watch(a, 'a');
    watch(b, 'b');
    const handler = (m: string) => async (msg: { partition: number; offset: bigint }): Promise<void> => {
      events.push({ m, kind: 'start', p: msg.partition, o: msg.offset });
      await sleep(m === 'a' && slow ? 1500 : 5 + Number(msg.offset % 7n));
      events.push({ m, kind: 'end', p: msg.partition, o: msg.offset });
      const id = `${msg.partition}@${msg.offset}`;
      handled.set(id, (handled.get(id) ?? 0) + 1);
      if (m === 'a' && ++aHandled === 200) slow = true;
    };
    let bRun: Promise<unknown> | null = null;
    try {
      a.subscribe([topic]);
      const aRun = a.run({ ordering: 'key', concurrency: 8, eachMessage: handler('a'), signal: stops.a.signal });
      await until('member A to handle 200 records', () => aHandled >= 200, 120_000);
      events.push({ m: 'b', kind: 'join', ps: [] });
      b.subscribe([topic]);
      bRun = b.run({ ordering: 'key', concurrency: 8, eachMessage: handler('b'), signal: stops.b.signal });
      await until('member B to get partitions', () => events.some((e) => e.m === 'b' && e.kind === 'assigned' && e.ps.length > 0), 120_000);
      await until('every record handled', () => handled.size === records.length, 120_000);
      stops.a.abort();
      stops.b.abort();
      await Promise.all([aRun, bRun]);
    } finally {
      stops.a.abort();
      stops.b.abort();
      await Promise.allSettled([a.close(), b.close()]);
      if (bRun !== null) await bRun.catch(() => {});
    }

    // The ledger, in event order.
    const violations: string[] = [];
    let revokesOfA = 0;
    let drainedAtRevoke = 0;
    for (const m of ['a', 'b']) {
      const owned = new Set<number>();
      const inFlight = new Map<number, number>();
      for (const [i, e] of events.entries()) {
        if (e.m !== m) continue;
        if (e.kind === 'assigned') for (const p of e.ps) owned.add(p);
        else if (e.kind === 'revoked' || e.kind === 'lost') {
          for (const p of e.ps) {
            owned.delete(p);
            if ((inFlight.get(p) ?? 0) > 0) violations.push(`#${i} ${m}: ${e.kind} of ${p} with ${inFlight.get(p)} handler(s) still running`);
          }
          if (m === 'a' && e.kind === 'revoked' && e.ps.length > 0 && revokesOfA++ === 0) {
            // Slow handlers of these partitions that ended after B joined and before the revoke completed: the drain.
            const bJoin = events.findIndex((x) => x.m === 'b' && x.kind === 'join');
            drainedAtRevoke = events.slice(bJoin, i).filter((x) => x.m === 'a' && x.kind === 'end' && e.ps.includes(x.p)).length;
          }
        } else if (e.kind === 'commit') {
          for (const p of e.ps) if (!owned.has(p)) violations.push(`#${i} ${m}: commit of ${p} while not owning it`);
        } else if (e.kind === 'start') {
          if (!owned.has(e.p)) violations.push(`#${i} ${m}: handler got ${e.p}@${e.o} while not owning ${e.p}`);
          inFlight.set(e.p, (inFlight.get(e.p) ?? 0) + 1);
        } else if (e.kind === 'end') {
          inFlight.set(e.p, (inFlight.get(e.p) ?? 0) - 1);
        }
      }
    }
    const duplicates = [...handled].filter(([, n]) => n > 1).map(([id]) => id);
    console.log(`# R6 run() ${strategy}: ${records.length} records; A revoked ${revokesOfA} time(s) (the last one at close), ${drainedAtRevoke} handler(s) of the first revoke's partitions finished between B's join and that revoke; ` +
      `A handled ${events.filter((e) => e.m === 'a' && e.kind === 'end').length}, B ${events.filter((e) => e.m === 'b' && e.kind === 'end').length}; duplicates ${duplicates.length}`);
    assert.deepEqual(violations, []);
    assert.ok(revokesOfA > 0, 'member A had partitions revoked');
    assert.equal(handled.size, records.length, 'nothing lost');
    assert.deepEqual(duplicates, [], 'nothing handled twice');
  });
}
