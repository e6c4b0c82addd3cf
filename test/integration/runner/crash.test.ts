// run() survives SIGKILL: a child process runs run() with a slow record keeping a gap open, so completions beyond
// the committed offset live only in the commit metadata. After the kill a second child takes over the same group.
// Checked: nothing lost; no record whose completion was committed (below the committed offset, or in the metadata)
// is handled again; the records handled twice are exactly those completed after the last commit (counted, printed).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeCompleted } from '../../../src/consumer/runner/metadata.js';
import type { ChildArgs } from './run-child.js';
import { bootstrap, committedOf, makeTopic, produceRecords, uniqueName, until } from './support.js';

const CHILD = fileURLToPath(new URL('./run-child.js', import.meta.url));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Child {
  proc: ChildProcess;
  done: bigint[];
  exited: Promise<void>;
}

function startChild(args: ChildArgs): Child {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(proc);
  const done: bigint[] = [];
  let rest = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    rest += chunk;
    const lines = rest.split('\n');
    rest = lines.pop()!;
    for (const l of lines) if (l.startsWith('D ')) done.push(BigInt(l.slice(2)));
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return { proc, done, exited };
}

test('SIGKILL during run(): nothing lost, committed completions (prefix and metadata) never handled again', { timeout: 180_000 }, async () => {
  const records = 6000;
  const topic = await makeTopic('run-crash', 1);
  const recs = [];
  for (let i = 0; i < records; i++) recs.push({ partition: 0, key: `k${i % 300}`, value: String(i) });
  // Key k10's records wait behind the slow record 10; every other record can complete in the first child.
  const completable = records - records / 300;
  await produceRecords(topic, recs);
  const group = uniqueName('run-crash');
  const base = { bootstrap: await bootstrap(), topic, group, concurrency: 50, autoCommitIntervalMs: 200 };
  // Record 10 takes far longer than the test: the committed offset stays at 10, everything completed after it must
  // travel in the metadata.
  const first = startChild({ ...base, slowOffset: 10, slowMs: 600_000 });
  await until('a commit carrying completions beyond the gap', async () => {
    if (first.done.length < 200) return false;
    const c = await committedOf(group, topic, 0);
    return c.offset === 10n && decodeCompleted(10n, c.metadata).length > 0;
  }, 120_000);
  // Let more records complete after that commit, then kill without warning.
  const seen = first.done.length;
  // (On a fast run the child may have completed everything it can by now: then nothing is left uncommitted.)
  await until('more completions', () => first.done.length >= Math.min(seen + 100, completable), 60_000);
  first.proc.kill('SIGKILL');
  await first.exited;
  // An OffsetCommit written just before the kill may still sit in the broker's socket buffer: let it land before
  // reading what is committed (the second child reads it later anyway).
  await new Promise((r) => setTimeout(r, 1000));
  const completedBeforeCrash = new Set(first.done);
  const c = await committedOf(group, topic, 0);
  assert.equal(c.offset, 10n);
  const ranges = decodeCompleted(c.offset!, c.metadata);
  const committedDone = (o: bigint): boolean => o < c.offset! || ranges.some((r) => r.start <= o && o <= r.end);
  assert.ok(!completedBeforeCrash.has(10n), 'the slow record never completed in the first child');

  const second = startChild({ ...base, slowOffset: -1, slowMs: 0 });
  const all = (): boolean => {
    const union = new Set([...completedBeforeCrash, ...second.done]);
    return union.size === records;
  };
  await until('every record completed by one child or the other', all, 120_000);
  // A moment for stray re-deliveries to show up: the second child commits and keeps running until its commit covers
  // the whole partition.
  await until('the second child to commit the end', async () => (await committedOf(group, topic, 0)).offset === BigInt(records), 60_000);
  second.proc.kill('SIGTERM');
  // A clean close commits and exits; should it not within 30 s, the test does not hang on it (nothing checked below
  // depends on how it ended).
  const killer = setTimeout(() => second.proc.kill('SIGKILL'), 30_000);
  await second.exited;
  clearTimeout(killer);

  const secondSet = new Set(second.done);
  assert.equal(secondSet.size, second.done.length, 'the second child handled no record twice');
  const redone = second.done.filter((o) => completedBeforeCrash.has(o));
  for (const o of redone) assert.ok(!committedDone(o), `offset ${o} was committed as completed and handled again`);
  for (const o of second.done) assert.ok(!committedDone(o), `offset ${o} was committed as completed and handled again`);
  const expectedRedone = [...completedBeforeCrash].filter((o) => !committedDone(o));
  assert.deepEqual(new Set(redone), new Set(expectedRedone), 'exactly the completions after the last commit were handled again');
  console.log(`# crash: ${records} records; first child completed ${completedBeforeCrash.size} (committed as completed: ` +
    `${[...completedBeforeCrash].filter(committedDone).length}, in ${ranges.length} metadata range(s), ${c.metadata!.length} chars); ` +
    `handled again after the restart: ${redone.length}; second child handled ${second.done.length}`);
});
