// R16 blocked event loop, CI durations: session timeout 6 s, 15 s of blocking (see r16-blocked-loop.ts).
import { test } from 'node:test';
import { r16 } from './r16-blocked-loop.js';

const CI = { sessionTimeoutMs: 6000, blockForMs: 15_000 } as const;

test('R16 classic for-await, one member', { timeout: 120_000 }, () => r16({ protocol: 'classic', shape: 'iterate', members: 1, ...CI }));
test('R16 KIP-848 run() synchronous handler, one member', { timeout: 120_000 }, () => r16({ protocol: 'consumer', shape: 'run', members: 1, ...CI }));
test('R16 classic run() synchronous handler, a group of two', { timeout: 120_000 }, () => r16({ protocol: 'classic', shape: 'run', members: 2, ...CI }));
test('R16 KIP-848 for-await, a group of two', { timeout: 120_000 }, () => r16({ protocol: 'consumer', shape: 'iterate', members: 2, ...CI }));
