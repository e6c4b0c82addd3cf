// R8 session lost / max.poll.interval.ms exceeded (../shared/notes/reliability.md): two members (separate
// processes) read six partitions while a writer keeps adding.
//   1. Session lost: member b is frozen (SIGSTOP: no heartbeat, no poll, sockets open) past the session timeout;
//      a takes every partition over. Before b is thawed, 'commit' and 'force-commit' commands wait in its stdin, so
//      the first thing it does when it runs again is try to commit with its stale membership.
//   2. max.poll.interval.ms exceeded: b's handler takes longer than max.poll.interval.ms (heartbeats go on); gregor
//      leaves the group and reports the partitions lost; a takes them; b rejoins at its next poll.
// Passes when, each time, b reports its partitions lost (never revoked), no commit of b is acknowledged between
// the fault and its next assignment, every takeover and rejoin resumes exactly at the committed offset, nothing is
// lost or out of order, and duplicates stay after the last commit, but for at most 31 records b had buffered and hands
// out on waking before its session check (DESIGN.md, "R8, frozen member"). Classic and KIP-848, on the single node.
import { describe, it } from 'node:test';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { finish } from '../report.js';
import { backgroundWriter, createLedgerTopic, writeLedger } from '../writer.js';
import { markAt, resumeViolations, settledOn, type AssignmentEvent } from './checks.js';
import { Group } from './members.js';
import { stopAll, waitLedger } from './scenario.js';

const PARTITIONS = 6;
/** consumer.ts's SESSION_CHECK_EVERY: messages handed out between two reads of the clock for the session check. */
const SESSION_CHECK_EVERY = 32;
const PROTOCOLS = [
  { protocol: 'classic', freezeMs: 10_000, properties: { 'group.protocol': 'classic', 'partition.assignment.strategy': 'cooperative-sticky', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'max.poll.interval.ms': 5000 } },
  // The broker's session timeout for consumer groups is 10 s here (scripts/kafka.mjs).
  // The broker's session timeout for consumer groups is 10 s here (scripts/kafka.mjs), but a KIP-848 client is not
  // told it and may not set session.timeout.ms: it knows its session is surely gone only after its own estimate
  // (45 s, the broker default). Frozen for less, it would hand out buffered records a new owner may have read (a
  // limitation of the protocol's information, not checked here); frozen for longer, nothing stale may come out.
  { protocol: 'consumer', freezeMs: 50_000, properties: { 'group.protocol': 'consumer', 'max.poll.interval.ms': 5000 } },
] as const;

/** b's assignment events after `since`. */
function eventsOf(l: Ledger, member: string, since: number): AssignmentEvent[] {
  return l.events.filter((e): e is AssignmentEvent => (e.t === 'assigned' || e.t === 'revoked' || e.t === 'lost') && e.member === member && e.at >= since);
}

/** Failures of one fault: lost (not revoked) first, and no acknowledged commit of `member` before its next assignment. */
function lossFailures(l: Ledger, member: string, since: number, what: string): string[] {
  const out: string[] = [];
  const evs = eventsOf(l, member, since);
  const lost = evs.findIndex((e) => e.t === 'lost');
  const revoked = evs.findIndex((e) => e.t === 'revoked');
  if (lost < 0) out.push(`${what}: ${member} never reported its partitions lost`);
  if (revoked >= 0 && (lost < 0 || revoked < lost)) out.push(`${what}: ${member} reported partitions revoked instead of lost`);
  const reassigned = evs.find((e, i) => i > lost && e.t === 'assigned');
  const until = reassigned?.at ?? Infinity;
  const commits = l.events.filter((e) => e.t === 'committed' && e.member === member && e.at >= since && e.at < until);
  if (commits.length > 0) out.push(`${what}: ${commits.length} commits of ${member} acknowledged after the fault, before it was assigned again`);
  return out;
}

/** Registers the scenario for these group protocols ('classic', 'consumer'). */
export function registerR8(protocols: readonly string[]): void {
  describe('R8 session lost / max.poll.interval.ms exceeded', () => {
    for (const { protocol, freezeMs, properties } of PROTOCOLS.filter((p) => protocols.includes(p.protocol))) {
      it(`R8 (${protocol}): partitions lost not revoked, no commit after loss, rejoin resumes from the committed offset`, { timeout: 600_000 }, async () => {
        const started = Date.now();
        const env = await ensureKafka();
        const topic = uniqueName(`r8-${protocol}`);
        await createLedgerTopic(env.bootstrap, topic, PARTITIONS);
        const ledger = new Ledger();
        const scenario = ledger.member('scenario');
        await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 500, valueBytes: 100 });
        const group = new Group(ledger, { bootstrap: env.bootstrap, topic, group: uniqueName('r8-group'), commitEvery: 100, properties });
        let writer: { stop(): Promise<unknown> } | undefined;
        try {
          group.start('a');
          const b = group.start('b');
          await waitLedger(group, 'a two-way split', (l) => settledOn(l, topic, PARTITIONS, ['a#1', 'b#1']), 180_000);
          writer = backgroundWriter(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perRound: 30, pauseMs: 100, valueBytes: 100, properties: { 'gregor.log.level': 'error' } });
          await new Promise((r) => setTimeout(r, 1000));

          // 1. Session lost.
          scenario.mark('freeze b');
          b.freeze();
          await waitLedger(group, 'a to take every partition while b is frozen', (l) => settledOn(l, topic, PARTITIONS, ['a#1']), 120_000);
          const frozenFor = Math.max(0, freezeMs - (Date.now() - markAt(group.load(), 'freeze b')));
          await new Promise((r) => setTimeout(r, frozenFor));
          b.send('commit');
          b.send('force-commit');
          scenario.mark('thaw b');
          b.thaw();
          await waitLedger(group, 'b to report the loss and rejoin', (l) => eventsOf(l, 'b#1', markAt(l, 'thaw b')).some((e) => e.t === 'lost')
            && settledOn(l, topic, PARTITIONS, ['a#1', 'b#1']), 120_000);

          // 2. max.poll.interval.ms exceeded by a slow handler.
          await new Promise((r) => setTimeout(r, 1000));
          scenario.mark('stall b');
          b.send('stall 9000');
          await waitLedger(group, 'b to report the loss after its slow handler and rejoin', (l) => {
            const since = markAt(l, 'stall b');
            const evs = eventsOf(l, 'b#1', since);
            const lost = evs.findIndex((e) => e.t === 'lost');
            return lost >= 0 && evs.some((e, i) => i > lost && e.t === 'assigned') && settledOn(l, topic, PARTITIONS, ['a#1', 'b#1']);
          }, 180_000);

          await writer.stop();
          writer = undefined;
          await waitLedger(group, 'every acknowledged write to be delivered', (l) => l.distinctDelivered() >= l.producedCount(), 180_000);
          await stopAll(group.live());
          const final = group.load();
          const thawAt = markAt(final, 'thaw b');
          // Woken mid-run of buffered records, b hands out at most 31 of them before its session check sees the lapse
          // (DESIGN.md, "R8, frozen member"); more, or any after it reported the loss, is a failure.
          const check = final.check({ staleAfterFreeze: { member: 'b#1', from: thawAt, max: SESSION_CHECK_EVERY - 1 } });
          // From the slow handler's start: a commit acknowledged after the 'stall' command was sent but before the
          // next record's handler began is no fault (it failed a run, acknowledged 7 ms after the scenario's mark).
          const stallAt = markAt(final, 'stalling:9000');
          const refused = final.events.filter((e) => e.t === 'commitFailed' && e.member === 'b#1' && e.at >= thawAt && e.at < stallAt).length;
          const rejoin = eventsOf(final, 'b#1', thawAt).find((e) => e.t === 'assigned');
          finish(`R8 session lost / poll timeout (${protocol})`, {
            check,
            startedAt: started,
            recoverMs: rejoin === undefined ? null : Math.round(rejoin.at - thawAt),
            notes: `frozen ${freezeMs / 1000} s (session lost; ${refused} stale commits refused; ${check.staleAfterFreeze} buffered records handed out on waking), then a 9 s handler over max.poll.interval.ms 5 s; recover = thaw to b assigned again`,
            failures: [
              ...resumeViolations(final),
              ...lossFailures(final, 'b#1', thawAt, 'session lost'),
              ...lossFailures(final, 'b#1', stallAt, 'poll timeout'),
            ],
          });
        } finally {
          await writer?.stop().catch(() => {});
          await group.dispose();
        }
      });
    }
  });
}
