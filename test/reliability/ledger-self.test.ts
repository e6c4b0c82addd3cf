// The ledger's checks (test/support/ledger.ts) on hand-made histories: each kind of violation is found, and clean
// at-least-once histories pass; so are the group tests' stricter checks (records declared by logEnd(), exact
// hand-overs, assignment events). (The harness testing itself; the scenarios against the broker are in single/ and
// cluster/, the group tests in test/integration/group/.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ledger, ledgerValue, parseLedgerValue } from '../support/ledger.js';

const T = 't';
const msg = (partition: number, offset: number) => ({ topic: T, partition, offset: BigInt(offset), value: Buffer.from(ledgerValue('ab12', T, partition, offset)) });

function written(n: number, partition = 0): Ledger {
  const l = new Ledger();
  for (let i = 0; i < n; i++) l.produced(T, partition, BigInt(i), i);
  return l;
}

test('ledger values parse back; foreign bytes are not ledger values', () => {
  assert.deepEqual(parseLedgerValue(ledgerValue('ab12', 'my.topic-1', 3, 42, 100)), { run: 'ab12', topic: 'my.topic-1', partition: 3, seq: 42 });
  assert.equal(ledgerValue('ab12', T, 0, 1, 100).length, 100);
  assert.equal(parseLedgerValue(Buffer.from('hello')), null);
  assert.equal(parseLedgerValue(null), null);
});

test('a clean history passes; lost, gap, out of order and a wrong final commit are found', () => {
  const l = written(5);
  const m = l.member('a');
  m.assigned([{ topic: T, partition: 0 }]);
  for (const o of [0, 1, 2, 3, 4]) m.delivered(msg(0, o));
  m.committed([{ topic: T, partition: 0, offset: 5n }]);
  const ok = l.check();
  assert.deepEqual(ok.violations, []);
  assert.equal(ok.distinct, 5);

  const bad = written(6);
  const b = bad.member('b');
  for (const o of [0, 2, 1, 3]) b.delivered(msg(0, o));
  b.committed([{ topic: T, partition: 0, offset: 6n }]);
  const c = bad.check();
  assert.equal(c.lost, 2); // 4 and 5
  assert.equal(c.gaps, 1); // 0 -> 2 skips 1
  assert.equal(c.outOfOrder, 1); // 1 after 2
  assert.equal(c.finalCommitMismatches, 1); // last delivered 3, committed 6 over 4 and 5
});

test('duplicates after a rebalance are within the window only above the last commit', () => {
  const l = written(4);
  const a = l.member('a');
  const b = l.member('b');
  const tp = [{ topic: T, partition: 0 }];
  a.assigned(tp);
  for (const o of [0, 1, 2, 3]) a.delivered(msg(0, o));
  a.committed([{ topic: T, partition: 0, offset: 2n }]);
  a.lost(tp);
  b.assigned(tp);
  for (const o of [2, 3]) b.delivered(msg(0, o)); // redelivered from the commit: allowed
  b.committed([{ topic: T, partition: 0, offset: 4n }]);
  const ok = l.check();
  assert.deepEqual(ok.violations, []);
  assert.equal(ok.duplicated, 2);
  assert.equal(ok.duplicatesOutsideWindow, 0);

  b.delivered(msg(0, 1)); // below the commit (and out of order): not allowed
  const bad = l.check();
  assert.equal(bad.duplicatesOutsideWindow, 1);
  assert.equal(bad.outOfOrder, 1);
  assert.equal(l.check({ allowDuplicatesInWindow: false }).duplicatesOutsideWindow, 3);
});

test('commits going backwards, commits and deliveries while not owned, aborted records delivered', () => {
  const l = new Ledger();
  l.produced(T, 0, 0n, 0);
  l.produced(T, 0, 1n, 1, true);
  l.produced(T, 0, 3n, 2); // offset 2 is a transaction marker
  const a = l.member('a');
  const tp = [{ topic: T, partition: 0 }];
  a.assigned(tp);
  a.delivered(msg(0, 0));
  a.delivered(msg(0, 1));
  a.delivered(msg(0, 3));
  a.committed([{ topic: T, partition: 0, offset: 4n }]);
  a.committed([{ topic: T, partition: 0, offset: 1n }]);
  a.revoked(tp);
  a.committed([{ topic: T, partition: 0, offset: 4n }]);
  a.delivered(msg(0, 3));
  const c = l.check();
  assert.equal(c.abortedDelivered, 1);
  assert.equal(c.commitRegressions, 1);
  assert.equal(c.commitsNotOwned, 1);
  assert.equal(c.deliveredNotOwned, 1);
  assert.equal(c.gaps, 0); // 1 -> 3 skips only the marker at 2
});

test('a seek back replays without counting duplicates; commits after it may go back', () => {
  const l = written(4);
  const a = l.member('a');
  for (const o of [0, 1, 2, 3]) a.delivered(msg(0, o));
  a.committed([{ topic: T, partition: 0, offset: 4n }]);
  a.seek({ topic: T, partition: 0 }, 1);
  for (const o of [1, 2]) a.delivered(msg(0, o));
  a.committed([{ topic: T, partition: 0, offset: 3n }]);
  a.delivered(msg(0, 3));
  a.committed([{ topic: T, partition: 0, offset: 4n }]);
  const c = l.check();
  assert.deepEqual(c.violations, []);
  assert.equal(c.replayed, 3);
  assert.equal(c.duplicated, 0);
});

test('member files merge in time order; a partial last line (killed member) is ignored', async () => {
  const { mkdtempSync, appendFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
  const fa = join(dir, 'a.jsonl');
  const fb = join(dir, 'b.jsonl');
  const la = Ledger.toFile(fa);
  const lb = Ledger.toFile(fb);
  la.produced(T, 0, 0n, 0);
  la.produced(T, 0, 1n, 1);
  la.member('a').delivered(msg(0, 0));
  lb.member('b').delivered(msg(0, 1));
  la.close();
  lb.close();
  appendFileSync(fb, '{"t":"delivered","at":');
  const merged = Ledger.load([fa, fb, join(dir, 'missing.jsonl')]);
  assert.equal(merged.distinctDelivered(), 2);
  assert.equal(merged.producedCount(), 2);
  assert.equal(merged.check({ finalCommit: false }).lost, 0);
});

// The group tests' histories: records written by console-producer (declared by logEnd(), values not ledger values),
// members reporting from other processes with their own times, each event added with the time it was reported at.
const P0 = [{ topic: T, partition: 0 }];
interface Reported { ledger: Ledger; at: number }
function reported(end: number): Reported {
  const l = new Ledger();
  l.logEnd(T, 0, BigInt(end));
  return { ledger: l, at: 1000 };
}
const step = (r: Reported): number => (r.at += 10);
const assign = (r: Reported, member: string, t: 'assigned' | 'revoked' | 'lost' = 'assigned'): void => r.ledger.add({ t, member, partitions: P0 }, step(r));
const deliver = (r: Reported, member: string, ...offsets: number[]): void => {
  for (const o of offsets) r.ledger.add({ t: 'delivered', member, topic: T, partition: 0, offset: String(o), seq: null }, step(r));
};
const commit = (r: Reported, member: string, offset: number): void => r.ledger.add({ t: 'committed', member, topic: T, partition: 0, offset: String(offset) }, step(r));
const GROUP = { ledgerValues: false, finalCommit: false, exactHandOver: true, strictAssignments: true } as const;

test('records declared by logEnd(): every offset below the end is to be delivered, none past it, consecutively', () => {
  const r = reported(4);
  assign(r, 'a');
  deliver(r, 'a', 0, 1, 2, 3);
  assert.deepEqual(r.ledger.check(GROUP).violations, []);
  assert.equal(r.ledger.producedCount(), 4);
  assert.equal(r.ledger.check({ ...GROUP, ledgerValues: true }).foreign, 4); // not ledger values: foreign unless said

  const bad = reported(5);
  assign(bad, 'a');
  deliver(bad, 'a', 0, 2, 5); // 1 skipped inside the span, 3 and 4 never delivered, 5 past the end
  const c = bad.ledger.check(GROUP);
  assert.equal(c.gaps, 3); // 1, then 3 and 4 between @2 and @5
  assert.equal(c.lost, 3);
  assert.equal(c.pastEnd, 1);
  assert.ok(c.violations.some((v) => v.startsWith('past end: ')), c.violations.join('\n'));
});

test('exact hand-over: a clean one passes; a new owner starting elsewhere, or both consuming at once, is found', () => {
  const ok = reported(6);
  assign(ok, 'a');
  deliver(ok, 'a', 0, 1, 2);
  commit(ok, 'a', 3);
  assign(ok, 'a', 'revoked');
  assign(ok, 'b');
  deliver(ok, 'b', 3, 4, 5);
  assert.deepEqual(ok.ledger.check(GROUP).violations, []);

  const skip = reported(6);
  assign(skip, 'a');
  deliver(skip, 'a', 0, 1, 2);
  assign(skip, 'a', 'revoked');
  assign(skip, 'b');
  deliver(skip, 'b', 2, 3, 4, 5); // re-reads 2 after a clean revoke
  const c = skip.ledger.check(GROUP);
  assert.equal(c.handOverErrors, 1);
  assert.equal(c.duplicatesOutsideWindow, 0); // the at-least-once window alone would allow it (no commit)
  assert.equal(skip.ledger.check({ ...GROUP, exactHandOver: false }).handOverErrors, 0);

  // Reported out of order (b's process reported later than its clock says): checked in time order.
  const both = reported(4);
  assign(both, 'a');
  assign(both, 'b');
  both.ledger.add({ t: 'delivered', member: 'a', topic: T, partition: 0, offset: '0', seq: null }, 2000);
  both.ledger.add({ t: 'delivered', member: 'a', topic: T, partition: 0, offset: '1', seq: null }, 2030);
  both.ledger.add({ t: 'delivered', member: 'b', topic: T, partition: 0, offset: '3', seq: null }, 2040);
  both.ledger.add({ t: 'delivered', member: 'b', topic: T, partition: 0, offset: '2', seq: null }, 2020);
  const b = both.ledger.check(GROUP);
  assert.equal(b.outOfOrder, 0);
  assert.ok(b.violations.some((v) => v.includes('consumed by both at once')), b.violations.join('\n'));
  assert.equal(b.handOverErrors, 1); // b starts where a stopped, but while a still consumed

  const late = reported(4);
  assign(late, 'a');
  deliver(late, 'a', 1, 2, 3); // the first owner of a partition starts at its first write
  assert.ok(late.ledger.check({ ...GROUP, expectAll: false }).violations.some((v) => v.includes('the first owner a started at 1, not at the first write 0')));
});

test('after a SIGKILLed owner the next one starts from its last acknowledged commit, never below, never past it', () => {
  const history = (from: number): Ledger => {
    const r = reported(8);
    assign(r, 'a');
    deliver(r, 'a', 0, 1, 2, 3, 4);
    commit(r, 'a', 2);
    r.ledger.member('a').killed();
    assign(r, 'b');
    deliver(r, 'b', ...Array.from({ length: 8 - from }, (_, i) => from + i));
    return r.ledger;
  };
  for (const from of [2, 3, 5]) assert.deepEqual(history(from).check(GROUP).violations, [], `from ${from}`);
  assert.ok(history(1).check(GROUP).violations.some((v) => v.includes('after the kill, expected a start in [2, 5]')));
  assert.equal(history(6).check(GROUP).handOverErrors, 1);
  assert.equal(history(6).check(GROUP).lost, 1); // 5, never delivered
});

test('strict assignments: a partition assigned twice, or revoked or lost by a member not owning it, is found', () => {
  const r = reported(0);
  assign(r, 'a');
  assign(r, 'a');
  assign(r, 'a', 'revoked');
  assign(r, 'a', 'lost');
  assign(r, 'b', 'revoked');
  const c = r.ledger.check(GROUP);
  assert.equal(c.assignmentErrors, 3);
  assert.ok(c.violations.includes('assignment: a: assigned t[0], which it owned already'), c.violations.join('\n'));
  assert.equal(r.ledger.check({ ...GROUP, strictAssignments: false }).assignmentErrors, 0);
});

test('a commit is judged by where its member stood when it sent it (committing): owned then, acknowledged after a loss, passes', () => {
  const l = written(4);
  const a = l.member('a');
  const tp = [{ topic: T, partition: 0 }];
  a.assigned(tp);
  for (let i = 0; i < 4; i++) a.delivered(msg(0, i));
  a.committing([{ topic: T, partition: 0, offset: 4n }]);
  a.lost(tp); // the answer was held by a coordinator waiting for a dead replica; the session lapsed meanwhile
  a.committed([{ topic: T, partition: 0, offset: 4n }]);
  assert.equal(l.check({ ledgerValues: false }).commitsNotOwned, 0);
  // Sent while not owned (a zombie's commit): found, whenever it is acknowledged.
  a.committing([{ topic: T, partition: 0, offset: 4n }]);
  a.committed([{ topic: T, partition: 0, offset: 4n }]);
  assert.equal(l.check({ ledgerValues: false }).commitsNotOwned, 1);
});

test('resumeViolations: a new owner may start where a sent commit put it, acknowledged or not; elsewhere past the last commit is a skip', async () => {
  const { resumeViolations } = await import('./cluster/checks.js');
  const history = (start: number, attempt: number | null): Ledger => {
    const l = written(8);
    const [a, b] = [l.member('a'), l.member('b')];
    a.assigned(P0);
    for (let i = 0; i <= 4; i++) a.delivered(msg(0, i));
    a.committed([{ topic: T, partition: 0, offset: 2n }]);
    if (attempt !== null) a.committing([{ topic: T, partition: 0, offset: BigInt(attempt) }]);
    a.killed(); // its acknowledgment, if any, was never recorded
    b.assigned(P0);
    for (let i = start; i < 8; i++) b.delivered(msg(0, i));
    return l;
  };
  assert.deepEqual(resumeViolations(history(2, null)), []);
  assert.deepEqual(resumeViolations(history(5, 5)), []);
  assert.match(resumeViolations(history(5, null)).join(), /b started t\[0\] at 5, skipping 2 after the committed 2/);
  assert.match(resumeViolations(history(5, 4)).join(), /skipping 2/);
  assert.match(resumeViolations(history(1, 5)).join(), /at 1, below the committed 2/);
});

test('staleAfterFreeze: a frozen member may repeat up to max records others committed past, until it reports the loss', () => {
  const l = written(30);
  const a = l.member('a');
  const b = l.member('b');
  const tp = [{ topic: T, partition: 0 }];
  b.assigned(tp);
  for (let o = 0; o < 5; o++) b.delivered(msg(0, o));
  b.committed([{ topic: T, partition: 0, offset: 5n }]);
  // b stands still with 5.. buffered; a takes the partition over and commits past what b holds.
  a.assigned(tp);
  for (let o = 5; o < 20; o++) a.delivered(msg(0, o));
  a.committed([{ topic: T, partition: 0, offset: 20n }]);
  l.member('scenario').mark('thaw b');
  const from = l.markTime('thaw b')!;
  for (const o of [5, 6, 7]) b.delivered(msg(0, o)); // handed out on waking, before the session check
  b.lost(tp);
  const allowed = l.check({ staleAfterFreeze: { member: 'b', from, max: 3 }, expectAll: false, finalCommit: false });
  assert.equal(allowed.staleAfterFreeze, 3);
  assert.equal(allowed.duplicatesOutsideWindow, 0);
  assert.deepEqual(allowed.violations, []);
  // One more than allowed; or the same repeats without the option: violations.
  const over = l.check({ staleAfterFreeze: { member: 'b', from, max: 2 }, expectAll: false, finalCommit: false });
  assert.ok(over.violations.some((v) => v.startsWith('stale after freeze: b handed out 3 records')), over.violations.join('\n'));
  assert.equal(l.check({ expectAll: false, finalCommit: false }).duplicatesOutsideWindow, 3);
  // After its report of the loss nothing stale may come out, whatever the bound.
  b.delivered(msg(0, 8));
  const late = l.check({ staleAfterFreeze: { member: 'b', from, max: 31 }, expectAll: false, finalCommit: false });
  assert.equal(late.staleAfterFreeze, 3);
  assert.equal(late.duplicatesOutsideWindow, 1);
});
