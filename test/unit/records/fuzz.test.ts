// A 20,000-case sample of bench/fuzz-records.ts (which runs >= 1,000,000): mutated record sets must decode to a
// valid result or a typed error, and every getter of every record the decoder accepted must work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../../../bench/fuzz-records.js';

test('20k mutated record sets: never a throw, an untyped error or an internal error', () => {
  const stats = runFuzz(20_000, 20240611);
  assert.deepEqual(stats.failures, []);
  assert.equal(stats.cases, 20_000);
  // The mutations must reach both outcomes, or the fuzzer is not exercising anything.
  assert.ok(stats.decodedOk > 1000, `decoded ${stats.decodedOk}`);
  assert.ok(stats.typedErrors > 1000, `errors ${stats.typedErrors}`);
  assert.ok(stats.incompleteTails > 100, `tails ${stats.incompleteTails}`);
});
