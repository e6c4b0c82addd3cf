// groups lag: rates from two samples, time to catch up, the table, --watch's redraw, and the command's arguments
// and signals with in-memory stand-ins (the real-broker evidence is test/integration/cli/groups-lag.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, lagJson, lagView, type GroupSample } from '../../../src/cli/group-lag.js';
import { LiveScreen } from '../../../src/cli/live-screen.js';
import { formatLag, parseGroupsLagArgs, runGroupsLag } from '../../../src/cli/commands/groups-lag.js';
import { UsageError } from '../../../src/cli/args.js';
import type { GroupDetails } from '../../../src/cli/deps.js';
import type { ShareGroupDetails } from '../../../src/cli/share-views.js';
import { MemoryStream, configFile, harness, tick } from './fakes.js';

function details(rows: Array<[number, bigint | null, bigint | null]>): GroupDetails {
  return {
    groupId: 'g', type: 'consumer', state: 'Stable', protocolType: 'consumer', assignor: 'uniform',
    coordinator: { id: 1, host: 'h', port: 9092 }, members: [],
    offsets: rows.map(([partition, committed, logEndOffset]) => ({
      topic: 't', partition, committed, logEndOffset, memberId: null,
      lag: committed !== null && logEndOffset !== null ? logEndOffset - committed : null,
    })),
  };
}
const sample = (at: number, rows: Array<[number, bigint | null, bigint | null]>): GroupSample => ({ at, details: details(rows) });

test('lagView: one sample has lag but no rate; two give rates and the time to catch up', () => {
  const first = sample(0, [[0, 100n, 1100n], [1, 50n, 50n], [2, null, 10n]]);
  const one = lagView(first);
  assert.equal(one.totalLag, 1000n);
  assert.equal(one.intervalMs, null);
  assert.deepEqual(one.partitions.map((p) => [p.rate, p.catchUpSeconds]), [[null, null], [null, 0], [null, null]]);
  // 2 s later: partition 0 committed 400 more while 200 were produced: gaining 100/s on 1000-400+200 = 800.
  const two = lagView(sample(2000, [[0, 500n, 1300n], [1, 50n, 50n], [2, null, 10n]]), first);
  assert.equal(two.intervalMs, 2000);
  assert.deepEqual(two.partitions.map((p) => [p.rate, p.produceRate, p.catchUpSeconds]), [[200, 100, 8], [0, 0, 0], [null, 0, null]]);
  assert.equal(two.totalLag, 800n);
  assert.equal(two.catchUpSeconds, 8);
});

test('lagView: falling behind is never; a reset backwards has no rate', () => {
  const a = sample(0, [[0, 100n, 200n]]);
  assert.equal(lagView(sample(1000, [[0, 110n, 250n]]), a).partitions[0].catchUpSeconds, Infinity);
  assert.equal(lagView(sample(1000, [[0, 0n, 200n]]), a).partitions[0].rate, null);
});

test('formatDuration and the JSON view', () => {
  assert.deepEqual([0, 0.2, 42, 185, 7620, 270000, Infinity, null].map(formatDuration), ['0s', '1s', '42s', '3m05s', '2h07m', '3d03h', 'never', '-']);
  const j = lagJson(lagView(sample(0, [[0, 1n, 5n]])));
  assert.equal(j.totalLag, '4');
  assert.equal(j.time, '1970-01-01T00:00:00.000Z');
  assert.deepEqual(j.partitions, [{ topic: 't', partition: 0, committed: '1', logEndOffset: '5', lag: '4', rate: null, produceRate: null, catchUpSeconds: null, memberId: null }]);
});

test('formatLag: summary, time, one row per partition', () => {
  const text = formatLag(lagView(sample(0, [[0, 1n, 5n]])));
  const lines = text.split('\n');
  assert.equal(lines[0], 'Group: g (consumer, Stable, 0 members)  total lag 4  rate -  catch-up -');
  assert.match(lines[1], /rates need two samples/);
  assert.match(lines[2], /^TOPIC\s+PARTITION\s+COMMITTED\s+LOG-END\s+LAG\s+RATE\/S\s+CATCH-UP\s+MEMBER-ID$/);
  assert.match(lines[3], /^t\s+0\s+1\s+5\s+4\s+-\s+-\s+-$/);
});

test('LiveScreen: on a terminal the second frame moves up over the first, clears each line and what is below', () => {
  const out = Object.assign(new MemoryStream(), { isTTY: true, columns: 20, rows: 4 });
  const screen = new LiveScreen(out);
  screen.show('a\nb');
  assert.equal(out.text, '\u001b[?25la\u001b[K\nb\u001b[K\n\u001b[J');
  out.text = '';
  screen.show('a line longer than twenty\nb\nc\nd\ne');
  // Cut to 20 columns and to rows - 1 lines, the last of which says what is hidden.
  assert.equal(out.text, '\u001b[2A\ra line longer than t\u001b[K\nb\u001b[K\n... 3 more lines (a \u001b[K\n\u001b[J');
  out.text = '';
  screen.end();
  assert.equal(out.text, '\u001b[?25h');
});

test('LiveScreen: not a terminal, each frame follows the last after a blank line, no control sequences', () => {
  const out = new MemoryStream();
  const screen = new LiveScreen(out);
  screen.show('a\nb');
  screen.show('c');
  screen.end();
  assert.equal(out.text, 'a\nb\n\nc\n');
});

test('groups lag arguments', () => {
  const file = 'c.ini';
  const o = parseGroupsLagArgs([file, '--group', ' g ', '--watch', '--interval', '500', '--format', 'json']);
  assert.ok(o !== 'help');
  assert.deepEqual([o.groupId, o.watch, o.intervalMs, o.format], ['g', true, 500, 'json']);
  const d = parseGroupsLagArgs([file, '-g', 'g']);
  assert.ok(d !== 'help');
  assert.deepEqual([d.watch, d.intervalMs], [false, 2000]);
  assert.throws(() => parseGroupsLagArgs([file]), (e: unknown) => e instanceof UsageError && /--group <id> is required/.test(e.message));
  assert.throws(() => parseGroupsLagArgs([file, '-g', 'g', '--interval', '500']), /--interval needs --watch/);
  assert.throws(() => parseGroupsLagArgs([file, '-g', 'g', '--watch', '--interval', '50']), /at least 100/);
  assert.equal(parseGroupsLagArgs(['--help']), 'help');
});

test('groups lag --watch: refreshes until SIGINT, then exits 0 and closes the admin client', async () => {
  let samples = 0;
  let closed = 0;
  const h = harness([], {
    openGroupSampler: async () => ({
      sample: async () => { samples++; return details([[0, BigInt(samples), 10n]]); },
      close: async () => { closed++; },
    }),
  });
  const opts = parseGroupsLagArgs([configFile('[default]\nbootstrap.servers=127.0.0.1:1\n'), '-g', 'g', '--watch', '--interval', '100', '--format', 'json']);
  assert.ok(opts !== 'help');
  const done = runGroupsLag(opts, h.deps);
  while (samples < 3) await new Promise((r) => setTimeout(r, 20));
  h.signals.emit('SIGINT');
  assert.equal(await done, 0);
  assert.equal(closed, 1);
  assert.equal(h.signals.listenerCount('SIGINT'), 0);
  const lines = h.stdout.text.trim().split('\n').map((l) => JSON.parse(l) as { partitions: Array<{ committed: string }> });
  assert.ok(lines.length >= 3);
  assert.deepEqual(lines.slice(0, 3).map((l) => l.partitions[0].committed), ['1', '2', '3']);
});

test('groups lag --watch: a Ctrl-C while a refresh waits for the cluster ends at once', async () => {
  const h = harness([], { openGroupSampler: async () => ({ sample: () => new Promise<GroupDetails>(() => {}), close: async () => {} }) });
  const opts = parseGroupsLagArgs([configFile('[default]\nbootstrap.servers=127.0.0.1:1\n'), '-g', 'g', '--watch']);
  assert.ok(opts !== 'help');
  const done = runGroupsLag(opts, h.deps);
  await tick();
  h.signals.emit('SIGINT');
  assert.equal(await done, 0);
  assert.equal(h.stdout.text, '');
});

function shareSample(at: number, rows: Array<[number, bigint | null, bigint | null, bigint | null]>): GroupSample {
  const details: ShareGroupDetails = {
    groupId: 'sg', type: 'share', state: 'Stable', assignor: 'simple', groupEpoch: 3,
    coordinator: { id: 1, host: 'h', port: 9092 }, members: [],
    offsets: rows.map(([partition, startOffset, logEndOffset, lag]) => ({ topic: 't', partition, startOffset, logEndOffset, lag, members: 2 })),
  };
  return { at, details };
}

test('lagView of a share group: the rate is how fast log end - lag moves, not the lazily moved start offset', () => {
  const first = shareSample(0, [[0, 100n, 1100n, 1000n], [1, null, 10n, null]]);
  // 2 s later the start offset has not moved, yet 600 more records are done while 200 were produced: lag 600.
  const two = lagView(shareSample(2000, [[0, 100n, 1300n, 600n], [1, null, 10n, null]]), first);
  assert.deepEqual(two.partitions.map((p) => [p.startOffset, p.committed, p.rate, p.produceRate, p.catchUpSeconds, p.members]),
    [[100n, null, 300, 100, 3, 2], [null, null, null, 0, null, 2]]);
  assert.equal(two.totalLag, 600n);
  const j = lagJson(two);
  assert.equal(j.type, 'share');
  assert.deepEqual((j.partitions as unknown[])[0], { topic: 't', partition: 0, startOffset: '100', logEndOffset: '1300', lag: '600', rate: 300, produceRate: 100, catchUpSeconds: 3, members: 2 });
  const lines = formatLag(two, { intervalMs: 2000 }).split('\n');
  assert.equal(lines[0], 'Group: sg (share, Stable, 0 members)  total lag 600  rate 300/s  catch-up 3s');
  assert.match(lines[2], /^TOPIC\s+PARTITION\s+START-OFFSET\s+LOG-END\s+LAG\s+RATE\/S\s+CATCH-UP\s+MEMBERS$/);
  assert.match(lines[3], /^t\s+0\s+100\s+1300\s+600\s+300\s+3s\s+2$/);
});
