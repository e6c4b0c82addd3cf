// commitChunks: one commit's offset records are split so each OffsetCommit's batch stays under the budget, in order,
// with none lost or repeated (the real-broker evidence is test/integration/consumer/offsets.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { COMMIT_BATCH_BUDGET, commitChunks, type OffsetToCommit } from '../../../src/consumer/offsets.js';

const offsets = (n: number, metadata: string | null = null): OffsetToCommit[] =>
  Array.from({ length: n }, (_, partition) => ({ topic: 'orders', partition, offset: 1n, metadata }));

describe('commitChunks', () => {
  it('keeps a small commit in one request', () => {
    const all = offsets(100);
    assert.deepEqual(commitChunks(all, 'g'), [all]);
  });

  it('splits 10,000 partitions with metadata into requests under the budget, in order, none lost', () => {
    const all = offsets(10_000, 'm'.repeat(100));
    const chunks = commitChunks(all, 'gregor-bench-gregor-2026-12-06T11-27-57Z-1');
    assert.ok(chunks.length > 1);
    assert.deepEqual(chunks.flat(), all);
    for (const c of chunks) assert.ok(c.length * (80 + 42 + 6 + 100) <= COMMIT_BATCH_BUDGET);
  });

  it('sends an offset larger than the budget alone rather than not at all', () => {
    const all = offsets(3, 'm'.repeat(300));
    assert.deepEqual(commitChunks(all, 'g', 100).map((c) => c.length), [1, 1, 1]);
  });
});
