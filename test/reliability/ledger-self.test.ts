// The ledger's checks on hand-made histories: each kind of violation is found, and clean at-least-once histories
// pass. (The harness testing itself; the scenarios against the broker are in single/ and cluster/.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ledger, ledgerValue, parseLedgerValue } from './ledger.js';

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
