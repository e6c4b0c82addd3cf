// R14 randomized history, on the three-node cluster (../shared/notes/reliability.md; in the spirit of Jepsen): three
// classic members (separate processes) read six partitions replicated three times while a writer keeps adding,
// and a seeded random number generator picks a sequence of faults, one at a time:
//   kill-member (SIGKILL, then a new process)   bounce-member (SIGTERM, then a new process)
//   pause-member (SIGSTOP for 1-9 s, past the 6 s session timeout or not, then SIGCONT)
//   move-leader (a random partition to another replica)   kill-broker (SIGKILL, 2-6 s down, restart, full ISR)
//   move-coordinator (the group's __consumer_offsets partition to another broker)
// with 1-3 s between them. The history is bounded (STEPS faults, each waited for by condition with a deadline).
// Passes when no acknowledged write is lost, no duplicate lies outside the at-least-once window (after the last
// commit of its partition), nothing is out of order within a member's ownership of a partition, committed offsets
// never go backwards, and every takeover resumes at the committed offset. GREGOR_R14_SEED=<n> replays a history;
// the seed is in the result row.
import { after, before, it } from 'node:test';
import { uniqueName, stopKafka, type KafkaEnv } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { finish } from '../report.js';
import { backgroundWriter, createLedgerTopic, writeLedger } from '../writer.js';
import { resumeViolations, settledOn } from './checks.js';
import { clusterEnv, coordinatorOf, describePartitions, killBroker, moveCoordinator, moveLeader, startBroker, waitIsr, type NodeId } from './control.js';
import { Group, type MemberProcess } from './members.js';
import { stopAll, waitLedger } from './scenario.js';
import { prng } from '../../support/prng.js';

const PARTITIONS = 6;
const STEPS = Number(process.env.GREGOR_R14_STEPS ?? 8);
const ACTIONS = ['kill-member', 'bounce-member', 'pause-member', 'move-leader', 'kill-broker', 'move-coordinator'] as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let env: KafkaEnv;
before(async () => { env = await clusterEnv(); });
after(() => { if (env?.startedNow) stopKafka(3); });

it('R14 randomized history of member kills, pauses, bounces, leader moves, broker kills, coordinator moves', { timeout: 900_000 }, async () => {
  const started = Date.now();
  const seed = Number(process.env.GREGOR_R14_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rng = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)];
  const between = (lo: number, hi: number): number => Math.round(lo + rng() * (hi - lo));
  const topic = uniqueName('r14');
  const groupId = uniqueName('r14-group');
  await createLedgerTopic(env.bootstrap, topic, PARTITIONS, { replicationFactor: 3 });
  await waitIsr(env, [topic]);
  const ledger = new Ledger();
  const scenario = ledger.member('scenario');
  await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 300, valueBytes: 100 });
  const group = new Group(ledger, {
    bootstrap: env.bootstrap, topic, group: groupId, commitEvery: 150,
    properties: { 'group.protocol': 'classic', 'partition.assignment.strategy': 'cooperative-sticky', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 },
  });
  const current = new Map<string, MemberProcess>();
  const names = (): string[] => [...current.values()].map((m) => m.name);
  let writer: { stop(): Promise<unknown> } | undefined;
  const history: string[] = [];
  try {
    for (const n of ['a', 'b', 'c']) current.set(n, group.start(n));
    await waitLedger(group, 'a three-way split', (l) => settledOn(l, topic, PARTITIONS, names()), 180_000);
    writer = backgroundWriter(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perRound: 20, pauseMs: 100, valueBytes: 100, properties: { 'gregor.log.level': 'error' } });

    for (let step = 0; step < STEPS; step++) {
      const action = pick(ACTIONS);
      const member = pick(['a', 'b', 'c']);
      let what: string = action;
      scenario.mark(`step ${step} ${action}`);
      switch (action) {
        case 'kill-member':
          await (current.get(member) as MemberProcess).kill();
          current.set(member, group.start(member));
          what += ` ${member}`;
          break;
        case 'bounce-member':
          await (current.get(member) as MemberProcess).stop();
          current.set(member, group.start(member));
          what += ` ${member}`;
          break;
        case 'pause-member': {
          const ms = between(1000, 9000);
          const m = current.get(member) as MemberProcess;
          m.freeze();
          await sleep(ms);
          m.thaw();
          what += ` ${member} ${ms} ms`;
          break;
        }
        case 'move-leader': {
          const p = pick(await describePartitions(env, topic));
          const to = pick(p.replicas.filter((r) => r !== p.leader));
          await moveLeader(env, topic, p.partition, to);
          what += ` ${p.partition}: ${p.leader} -> ${to}`;
          break;
        }
        case 'kill-broker': {
          const id = pick([1, 2, 3] as NodeId[]);
          const down = between(2000, 6000);
          await killBroker(id);
          await sleep(down);
          await startBroker(id);
          await waitIsr(env, [topic, '__consumer_offsets']);
          what += ` ${id} (${down} ms down)`;
          break;
        }
        case 'move-coordinator': {
          const from = await coordinatorOf(env, groupId);
          const to = pick(([1, 2, 3] as NodeId[]).filter((id) => id !== from));
          await moveCoordinator(env, groupId, to);
          what += ` ${from} -> ${to}`;
          break;
        }
      }
      history.push(what);
      await sleep(between(1000, 3000));
    }

    // Heal: every broker up with a full ISR, the group settled on its live members, then drain.
    for (const id of [1, 2, 3] as NodeId[]) await startBroker(id);
    await waitIsr(env, [topic, '__consumer_offsets']);
    await waitLedger(group, 'the group to settle after the history', (l) => settledOn(l, topic, PARTITIONS, names()), 180_000);
    await writer.stop();
    writer = undefined;
    await waitLedger(group, 'every acknowledged write to be delivered', (l) => l.distinctDelivered() >= l.producedCount(), 240_000);
    await stopAll(group.live());
    const final = group.load();
    const check = final.check();
    finish('R14 randomized history', {
      check,
      startedAt: started,
      notes: `seed ${seed}: ${history.join('; ')}`,
      failures: resumeViolations(final),
    });
  } finally {
    process.stdout.write(`# R14 seed ${seed}: ${history.join('; ')}\n`);
    await writer?.stop().catch(() => {});
    await group.dispose();
    for (const id of [1, 2, 3] as NodeId[]) await startBroker(id).catch(() => {});
  }
});
