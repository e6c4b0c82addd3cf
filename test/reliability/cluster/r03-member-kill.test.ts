// R3 SIGKILL of a member mid-batch (../shared/notes/reliability.md): three classic members (separate processes,
// manual commits every 300 records) read six partitions while a writer keeps adding; one member is SIGKILLed while
// it holds delivered but uncommitted records. The survivors take its partitions over after session.timeout.ms and
// resume at its last commit; a new process of the killed member then rejoins. Passes when nothing is lost, nothing
// is out of order, every re-read record lies after the last successful commit of its partition and was delivered
// first to the killed member (so duplicates <= what it had not committed), and every takeover resumes exactly at
// the committed offset. Runs on the single node (no broker fault involved).
import { test } from 'node:test';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { finish } from '../report.js';
import { backgroundWriter, createLedgerTopic, writeLedger } from '../writer.js';
import { markAt, recoveryMs, resumeViolations, settledOn } from './checks.js';
import { Group } from './members.js';
import { deliveredBy, drainAndStop, uncommittedOf, waitLedger } from './scenario.js';

const PARTITIONS = 6;

test('R3 SIGKILL of a member mid-batch: no loss, re-reads only after the last commit', { timeout: 420_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const topic = uniqueName('r3');
  await createLedgerTopic(env.bootstrap, topic, PARTITIONS);
  const ledger = new Ledger();
  const scenario = ledger.member('scenario');
  await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 1000, valueBytes: 100 });
  const group = new Group(ledger, {
    bootstrap: env.bootstrap, topic, group: uniqueName('r3-group'), commitEvery: 300,
    properties: { 'group.protocol': 'classic', 'partition.assignment.strategy': 'cooperative-sticky', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 },
  });
  const writer = { stop: async () => ({ written: 0, aborted: 0 }) };
  try {
    group.start('a');
    const b = group.start('b');
    group.start('c');
    await waitLedger(group, 'a three-way split', (l) => settledOn(l, topic, PARTITIONS, ['a#1', 'b#1', 'c#1']));
    Object.assign(writer, backgroundWriter(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perRound: 50, pauseMs: 100, valueBytes: 100 }));
    // Mid-batch: b has delivered records it has not committed yet.
    await waitLedger(group, 'b to be mid-batch', (l) => deliveredBy(l, 'b#1') >= 400 && uncommittedOf(l, 'b#1') > 0, 120_000, 100);
    scenario.mark('kill b');
    await b.kill();
    const killedAt = markAt(ledger, 'kill b');
    const atKill = group.load();
    const uncommitted = uncommittedOf(atKill, 'b#1');
    const bParts = [...(atKill.events.filter((e) => e.t === 'assigned' && e.member === 'b#1').flatMap((e) => (e.t === 'assigned' ? e.partitions : [])))]
      .map((p) => p.partition);
    await waitLedger(group, 'the survivors to take every partition', (l) => settledOn(l, topic, PARTITIONS, ['a#1', 'c#1']), 120_000);
    group.start('b');
    await waitLedger(group, 'the restarted b to get partitions', (l) => settledOn(l, topic, PARTITIONS, ['a#1', 'b#2', 'c#1']), 120_000);
    await writer.stop();
    const final = await drainAndStop(group);
    const check = final.check();
    const fromOthers = check.duplicates.filter((d) => d.firstMember !== 'b#1');
    finish('R3 member SIGKILL mid-batch', {
      check,
      startedAt: started,
      recoverMs: recoveryMs(final, killedAt, topic, [...new Set(bParts)]),
      notes: `classic cooperative-sticky, session 6 s, commits every 300; killed with ${uncommitted} uncommitted deliveries`,
      failures: [
        ...resumeViolations(final),
        uncommitted === 0 && 'the member was not mid-batch when killed',
        check.duplicated > uncommitted && `${check.duplicated} duplicates, more than the ${uncommitted} the killed member had not committed`,
        fromOthers.length > 0 && `${fromOthers.length} duplicates of records first delivered to a member that was not killed`,
      ],
    });
  } finally {
    await writer.stop().catch(() => {});
    await group.dispose();
  }
});
