// Issue 5 acceptance, "scale out and in": a 12-partition topic receives a continuous stream from Kafka's Java
// producer while gregor consumers in one group go 1 -> 4 -> 2 -> 1, each member a separate process; in the
// scale-in step one member is SIGKILLed while another leaves cleanly, and the last step is a clean leave. Run for
// the classic protocol with an EAGER assignor (range) and a COOPERATIVE one (cooperative-sticky, KIP-429), and for
// KIP-848 (group.protocol=consumer, the broker's default assignor). The ledger (member-processes.ts) shows: nothing lost;
// records delivered twice only after the killed member's last commit; within each partition, offsets delivered to
// the group increase (consecutive within each ownership span, each new owner starting where the last one stopped).
// Rebalance times are printed as figures, never asserted: for a join, from the member's subscribe() to (a) the
// partitions being balanced over the members and (b) every partition being consumed again after that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, endOffsets, ensureKafka, uniqueName } from '../helpers/kafka.js';
import { MemberReports, startMember, streamingProducer, type MemberProcess } from './member-processes.js';
import type { MemberArgs } from './member-child.js';
import { kip848GroupTimeouts, waitFor } from './support.js';

const PARTITIONS = 12;
const RECORDS_PER_SECOND = 1000;
const SESSION_TIMEOUT_MS = 6000;
const HEARTBEAT_INTERVAL_MS = 500;

const VARIANTS = [
  { label: 'classic, eager (range)', protocol: 'classic', strategy: 'range' },
  { label: 'classic, cooperative (cooperative-sticky)', protocol: 'classic', strategy: 'cooperative-sticky' },
  { label: 'KIP-848 (group.protocol=consumer)', protocol: 'consumer' },
] as const;

for (const variant of VARIANTS) {
  test(`scale 1 -> 4 -> 2 -> 1 member processes under Kafka's Java producer, ${variant.label}: nothing lost, order kept, re-reads only after the SIGKILLed member's last commit`, async () => {
    const env = await ensureKafka();
    const topic = uniqueName('scale');
    const group = uniqueName('gscale');
    await createTopic(topic, PARTITIONS);
    // KIP-848: the broker owns the session timeout and heartbeat interval; set them per group to the classic values.
    if (variant.protocol === 'consumer') await kip848GroupTimeouts(group, SESSION_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS);
    const ledger = new MemberReports(topic, PARTITIONS);
    const members = new Map<string, MemberProcess>();
    const live = (): string[] => [...members.keys()].filter((n) => !ledger.leaving.has(n));
    const base: Omit<MemberArgs, 'name'> = {
      bootstrap: env.bootstrap, topic, group, protocol: variant.protocol,
      ...(variant.protocol === 'classic' ? { strategy: variant.strategy, sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS } : {}),
    };
    const figures: string[] = [];
    const problemsSoFar = (): string => (ledger.problems.length > 0 ? `; ledger problems: ${ledger.problems.slice(0, 5).join(' | ')}` : '');

    /** After `t0`: wait for a balanced split over the live members, then for every partition to be consumed again. */
    const settle = async (label: string, t0: number): Promise<void> => {
      await waitFor(() => ledger.balanced(live()), () => `${label}: the partitions balanced over ${live().join(', ')} (owned: ${live().map((n) => `${n} ${ledger.owned(n).join(',')}`).join('; ')})${problemsSoFar()}`);
      const balancedAt = Date.now();
      await waitFor(() => ledger.consumedSince(balancedAt), () => `${label}: every partition consumed again${problemsSoFar()}`);
      const figure = `${label}: balanced +${balancedAt - t0} ms, every partition consumed again +${Date.now() - t0} ms`;
      figures.push(figure);
      console.log(`# ${variant.label}: ${figure}`);
    };
    const join = async (name: string): Promise<void> => {
      const m = startMember(ledger, { ...base, name });
      members.set(name, m);
      // From its subscribe(), not from the process start (a node process starting is no part of a rebalance).
      await waitFor(() => ledger.startedAt(name) !== undefined || m.gone(), () => `${name} to start${problemsSoFar()}; stderr: ${m.stderr()}`);
      assert.ok(!m.gone(), `${name} exited at start: ${m.stderr()}`);
      await settle(`${name} joins (${live().length - 1} -> ${live().length})`, ledger.startedAt(name)!);
    };
    const leave = (name: string, signal: 'SIGTERM' | 'SIGKILL'): void => {
      ledger.leaving.add(name);
      if (signal === 'SIGKILL') ledger.kill(name);
      members.get(name)!.proc.kill(signal);
    };

    const producer = streamingProducer(env.bootstrap, topic, RECORDS_PER_SECOND);
    try {
      await join('m1');
      for (const name of ['m2', 'm3', 'm4']) await join(name);
      // 4 -> 2: m4 dies (SIGKILL: no leave, no commit; the group notices after the session timeout) while m3 leaves
      // cleanly (commit in its revoked listener, then leave).
      const killedAt = Date.now();
      const killedOwned = ledger.owned('m4');
      leave('m4', 'SIGKILL');
      leave('m3', 'SIGTERM');
      assert.equal(await members.get('m3')!.exited, 0, 'm3 left cleanly');
      await settle(`m4 SIGKILLed (owned ${killedOwned.join(',')}) + m3 leaves (4 -> 2)`, killedAt);
      const t = Date.now();
      leave('m2', 'SIGTERM');
      assert.equal(await members.get('m2')!.exited, 0, 'm2 left cleanly');
      await settle('m2 leaves (2 -> 1)', t);

      const produced = await producer.stop();
      const ends = await endOffsets(topic);
      const end = [...ends.values()].reduce((a, b) => a + b, 0n);
      assert.equal(end, BigInt(produced), 'the topic holds what the producer sent');
      await waitFor(() => ledger.distinct() >= produced, () => `m1 to consume everything (${ledger.distinct()} of ${produced})${problemsSoFar()}`);
      assert.deepEqual(ledger.owned('m1'), [...Array(PARTITIONS).keys()], 'm1 owns every partition at the end');
      const errors = ledger.log.filter((e) => e.startsWith('E '));
      const events = (): string => ledger.log.filter((e) => /^[ARLX] /.test(e)).join(' | ');
      assert.deepEqual(ledger.check(ends), [], `ledger: nothing lost, order per partition, re-reads only after the killed member's last commit (member errors: ${errors.join(' | ') || 'none'}; events: ${events()})`);
      console.log(`# ${variant.label}: ledger: ${produced} records produced, ${ledger.distinct()} distinct delivered (none lost), ${ledger.deliveries()} deliveries, ${ledger.duplicates()} re-read after m4's last commit [${ledger.reReads().join('; ')}]`);
      console.log(`# ${variant.label}: events: ${events()}`);
      leave('m1', 'SIGTERM');
      assert.equal(await members.get('m1')!.exited, 0, 'm1 left cleanly');
    } finally {
      producer.kill();
      for (const [name, m] of members) {
        if (m.proc.exitCode !== null || m.proc.signalCode !== null) continue;
        ledger.kill(name); // clean-up after a failure: not a finding of its own
        m.proc.kill('SIGKILL');
      }
      await Promise.all([...members.values()].map((m) => m.exited));
    }
  });
}
