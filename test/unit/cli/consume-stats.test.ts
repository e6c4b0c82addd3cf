// consume --stats: the interval forms and the line, from a metrics snapshot and a clock the test controls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsReporter, parseInterval } from '../../../src/cli/consume-stats.js';
import { parseConsumeArgs } from '../../../src/cli/commands/consume.js';
import type { ConsumerMetrics } from '../../../src/consumer/metrics.js';

function metrics(records: number, bytes: number, lags: Array<bigint | null>, rebalances: number): ConsumerMetrics {
  return {
    consumedMessages: records, consumedBytes: bytes, rebalance: { rebalances },
    partitions: lags.map((lag, partition) => ({ topic: 't', partition, assigned: true, position: 0n, lag, consumedMessages: 0, consumedBytes: 0, bufferedBytes: 0 })),
  } as unknown as ConsumerMetrics;
}

test('parseInterval and --stats forms: bare (5 s), a number (ms), 10s, 500ms, =form', () => {
  assert.deepEqual(['5s', '500ms', '2000', '1.5s', 'x', '5m'].map(parseInterval), [5000, 500, 2000, 1500, NaN, NaN]);
  const stats = (...args: string[]) => {
    const o = parseConsumeArgs(['c.ini', '-t', 't', ...args]);
    assert.ok(o !== 'help');
    return o.statsIntervalMs;
  };
  assert.equal(stats(), undefined);
  assert.equal(stats('--stats'), 5000);
  assert.equal(stats('--stats', '10s'), 10_000);
  assert.equal(stats('--stats', '750'), 750);
  assert.equal(stats('--stats=500ms'), 500);
  assert.equal(stats('--stats', '--count', '3'), 5000);
  assert.throws(() => stats('--stats=50'), /at least 100 ms/);
});

test('StatsReporter: rates over the interval, lag summed over owned partitions, progress with --count, a total at the end', () => {
  let now = 0;
  let m = metrics(0, 0, [null, null], 0);
  const lines: string[] = [];
  const r = new StatsReporter({ metrics: () => m, printed: () => m.consumedMessages }, (l) => { lines.push(l); }, 1000, 5000, () => now);
  now = 2000;
  m = metrics(2000, 3 * 1048576, [10n, 5n], 1);
  r.report();
  now = 3000;
  m = metrics(2500, 3 * 1048576 + 512, [0n, null], 1);
  r.report();
  now = 4000;
  r.stop();
  assert.deepEqual(lines, [
    'gregor: stats: printed 2000/5000, 2000 records (1000.0/s), 3.00 MiB (1.50 MiB/s), lag 15, 2 partitions, 1 rebalance\n',
    'gregor: stats: printed 2500/5000, 2500 records (500.0/s), 3.00 MiB (512 B/s), lag 0, 2 partitions, 1 rebalance\n',
    'gregor: stats: total: printed 2500/5000, 2500 records (625.0/s), 3.00 MiB (768.1 KiB/s), lag 0, 2 partitions, 1 rebalance\n',
  ]);
});
