// The per-partition tracker of run(): committed offset = first offset not completed; completions beyond the gap as
// ranges; inherited completions skipped; a seeded model check against a plain set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCompleted, encodeCompleted } from '../../../src/consumer/runner/metadata.js';
import { OffsetTracker } from '../../../src/consumer/runner/offset-tracker.js';
import { prng as rng } from '../../support/prng.js';

// The tracker counts in numbers (the runner's offsets, below 2^53); the cases speak bigint, as commits do.

test('nothing taken: nothing to commit', () => {
  assert.equal(new OffsetTracker().committable(), null);
});

test('the committed offset is the first not completed; completions beyond the gap are ranges', () => {
  const t = new OffsetTracker();
  for (let o = 10n; o < 20n; o++) assert.equal(t.take(Number(o), 3), true);
  for (const o of [10n, 11n, 13n, 14n, 17n]) assert.equal(t.complete(Number(o)), true);
  assert.equal(t.complete(Number(13n)), false, 'completing twice is refused');
  const c = t.committable()!;
  assert.equal(c.offset, 12n);
  assert.equal(c.leaderEpoch, -1);
  assert.deepEqual(c.ranges, [{ start: 13n, end: 14n }, { start: 17n, end: 17n }]);
  assert.equal(t.pendingCount, 5);
  for (const o of [12n, 15n, 16n, 18n, 19n]) t.complete(Number(o));
  assert.deepEqual(t.committable(), { offset: 20n, leaderEpoch: 3, ranges: [] });
});

test('offsets that were never taken between taken ones (compaction, markers) count as completed', () => {
  const t = new OffsetTracker();
  for (const o of [0n, 5n, 9n, 20n]) t.take(Number(o));
  t.complete(Number(5n));
  t.complete(Number(20n));
  // 1..4 and 6..8 do not exist; 10..19 neither.
  assert.deepEqual(t.committable(), { offset: 0n, leaderEpoch: -1, ranges: [{ start: 1n, end: 8n }, { start: 10n, end: 20n }] });
});

test('offsets must increase', () => {
  const t = new OffsetTracker();
  t.take(Number(5n));
  assert.throws(() => t.take(Number(5n)), RangeError);
  assert.throws(() => t.take(Number(4n)), RangeError);
});

test('inherited completions are skipped and kept in the metadata until passed', () => {
  // Committed 100 with 102..103 and 110 completed (as a previous owner would have left it).
  const t = new OffsetTracker([{ start: 102n, end: 103n }, { start: 110n, end: 110n }]);
  assert.equal(t.take(Number(100n)), true);
  assert.deepEqual(t.committable()!.ranges, [{ start: 102n, end: 103n }, { start: 110n, end: 110n }]);
  assert.equal(t.take(Number(101n)), true);
  assert.equal(t.take(Number(102n)), false);
  assert.equal(t.take(Number(103n)), false);
  assert.equal(t.take(Number(104n)), true);
  t.complete(Number(100n));
  t.complete(Number(101n));
  const c = t.committable()!;
  assert.equal(c.offset, 104n);
  assert.deepEqual(c.ranges, [{ start: 110n, end: 110n }]);
  for (let o = 105n; o < 110n; o++) assert.equal(t.take(Number(o)), true);
  assert.equal(t.take(Number(110n)), false);
  assert.equal(t.take(Number(111n)), true);
});

test('seeded model check: completions in random order, commit and restart never lose or redo a completed record', () => {
  const random = rng(1234);
  for (let round = 0; round < 200; round++) {
    let t = new OffsetTracker();
    const done = new Set<bigint>();
    const taken: bigint[] = [];
    let next = BigInt(Math.floor(random() * 1000));
    const start = next;
    let committed = start;
    let metadata = '';
    for (let step = 0; step < 300; step++) {
      const r = random();
      if (r < 0.45) {
        next += random() < 0.1 ? 3n : 1n; // sometimes offsets are missing
        if (t.take(Number(next))) taken.push(next);
        else done.add(next);
      } else if (r < 0.9 && taken.length > 0) {
        const i = Math.floor(random() * taken.length);
        const o = taken.splice(i, 1)[0];
        assert.equal(t.complete(Number(o)), true);
        done.add(o);
      } else {
        const c = t.committable();
        if (c === null) continue;
        const enc = encodeCompleted(c.offset, c.ranges, 4096);
        // Everything below the committed offset that was taken is completed; nothing pending is in the ranges.
        for (const o of taken) {
          assert.ok(o >= c.offset, `pending ${o} below committed ${c.offset}`);
          for (const rg of c.ranges) assert.ok(o < rg.start || o > rg.end, `pending ${o} inside a completed range`);
        }
        for (const o of done) {
          if (o < c.offset) continue;
          assert.ok(c.ranges.some((rg) => o >= rg.start && o <= rg.end), `completed ${o} missing from the ranges`);
        }
        committed = c.offset;
        metadata = enc.metadata;
        // A restart: a new tracker from the commit; records from the committed offset are taken again.
        if (random() < 0.3) {
          t = new OffsetTracker(decodeCompleted(committed, metadata));
          taken.length = 0;
          const upTo = next;
          for (let o = committed; o <= upTo; o++) {
            if (o !== committed && !done.has(o) && !taken.includes(o) && random() < 0.1) continue; // missing offsets
            const fresh = t.take(Number(o));
            if (done.has(o)) assert.equal(fresh, false, `completed ${o} handed out again after restart`);
            else if (fresh) taken.push(o);
          }
          next = upTo;
        }
      }
    }
  }
});
