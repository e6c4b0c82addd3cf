// A sample of the protocol fuzz script (bench/fuzz-protocol.ts runs a million cases): mutated real broker responses
// and mutated requests decode to a value or fail with a typed error, never anything else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSeeds, runFuzz } from '../../../bench/fuzz-protocol.js';

test('20,000 mutated frames: every one decodes or fails with a ProtocolError', () => {
  const seeds = loadSeeds();
  assert.ok(seeds.length >= 31, `captured responses: ${seeds.length}`);
  // Every seed is a real response that decodes as it is.
  const apis = new Set(seeds.map((s) => s.apiKey));
  assert.ok(apis.size >= 31, `APIs with a captured response: ${apis.size}`);
  const stats = runFuzz(20_000, Number(process.env.GREGOR_FUZZ_SEED ?? 3), seeds);
  assert.deepEqual(stats.failures, []);
  assert.equal(stats.cases, 20_000);
  assert.ok(stats.decodedOk > 0 && stats.typedErrors > 0, JSON.stringify({ ok: stats.decodedOk, typed: stats.typedErrors }));
});
