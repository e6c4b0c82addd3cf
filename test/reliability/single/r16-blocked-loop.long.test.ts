// R16 blocked event loop, the durations: session timeout 10 s, 40 s of blocking at 40 ms per record, every
// shape (see r16-blocked-loop.ts).
import { test } from 'node:test';
import { r16 } from './r16-blocked-loop.js';

const LONG = { sessionTimeoutMs: 10_000, blockForMs: 40_000 } as const;

for (const protocol of ['classic', 'consumer'] as const) {
  for (const shape of ['iterate', 'run'] as const) {
    for (const members of [1, 2] as const) {
      test(`R16 ${protocol} ${shape} x${members} (40 s)`, { timeout: 240_000 }, () => r16({ protocol, shape, members, ...LONG }));
    }
  }
}
