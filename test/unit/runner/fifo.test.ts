// Fifo (runner/fifo.ts) against a plain array as the model: seeded random pushes, shifts, retries put back at the
// front, batch takes and removals, crossing the compaction threshold many times.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Fifo } from '../../../src/consumer/runner/fifo.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('Fifo behaves as an array queue under seeded random operations', () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    const r = rng(seed);
    const q = new Fifo<number>();
    const model: number[] = [];
    let next = 0;
    for (let step = 0; step < 20_000; step++) {
      const x = r();
      if (x < 0.5) {
        const n = 1 + Math.floor(r() * 40);
        for (let i = 0; i < n; i++) {
          q.push(next);
          model.push(next++);
        }
      } else if (x < 0.85) {
        assert.equal(q.shift(), model.shift());
      } else if (x < 0.9) {
        const n = Math.floor(r() * 10);
        assert.deepEqual(q.take(n), model.splice(0, n));
      } else if (x < 0.95 && model.length > 0) {
        const i = Math.floor(r() * model.length);
        q.removeAt(i);
        model.splice(i, 1);
      } else {
        const back = [next++, next++];
        q.unshiftAll(back);
        model.unshift(...back);
      }
      assert.equal(q.length, model.length);
      assert.equal(q.at(0), model[0]);
      if (model.length > 0) assert.equal(q.at(model.length - 1), model[model.length - 1]);
    }
    assert.deepEqual(q.toArray(), model);
    assert.deepEqual(q.drain(), model);
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
    assert.equal(q.at(0), undefined);
  }
});
