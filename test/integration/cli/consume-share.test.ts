// gregor consume --share against the real broker, as a user runs it (the CLI spawned): reads as a member of the
// share group named by --group, JSON lines carry deliveryCount, --count ends it, and Ctrl-C (SIGINT) accepts exactly
// what was printed and releases the rest: a second run prints every other record, none of the first run's again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Producer } from '../../../src/index.js';
import { ROOT, ensureKafka, uniqueName } from '../helpers/kafka.js';
import { setShareGroupConfigs } from '../helpers/share.js';

interface Line { topic: string; partition: number; offset: string; value: string; deliveryCount: number }

/** Spawns `gregor consume ... --share --format json`; lines as they come; resolves the exit code. */
function consume(args: string[]): { child: ChildProcess; lines: Line[]; waited: () => boolean; exited: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'gregor.js'), 'consume', ...args, '--share', '--format', 'json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    for (const p of parts) if (p.trim() !== '') lines.push(JSON.parse(p) as Line);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  // "Waiting..." on stderr: a poll came back empty, so the loop (and its Ctrl-C handling) runs.
  return { child, lines, waited: () => stderr.includes('Waiting...'), exited };
}

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let bootstrap = '';
let config = '';
let admin: Admin;
const topic = uniqueName('consume-share');
const group = uniqueName('consume-share-g');
const N = 400;

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  config = join(mkdtempSync(join(tmpdir(), 'gregor-consume-share-')), 'config.ini');
  writeFileSync(config, `[default]\nbootstrap.servers=${bootstrap}\n`);
  admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.createTopics([{ topic, numPartitions: 2 }]);
  await setShareGroupConfigs(admin, group, { 'share.auto.offset.reset': 'earliest' });
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  try {
    await producer.sendBatch(Array.from({ length: N }, (_, i) => ({ topic, partition: i % 2, value: `v${i}` })));
  } finally {
    await producer.close();
  }
});
after(async () => {
  await admin.close();
});

test('consume --share: --count, then Ctrl-C accepts what was printed; a later member gets the rest once', { timeout: 120_000 }, async () => {
  const first = consume([config, '--topic', topic, '--group', group, '--count', '10']);
  const r1 = await first.exited;
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(first.lines.length, 10);
  assert.ok(first.lines.every((l) => l.deliveryCount >= 1 && l.topic === topic && /^v\d+$/.test(l.value)), JSON.stringify(first.lines[0]));

  // A member stopped by Ctrl-C as soon as it printed something.
  const second = consume([config, '--topic', topic, '--group', group]);
  await until('a printed record', () => second.lines.length > 0);
  second.child.kill('SIGINT');
  const r2 = await second.exited;
  assert.equal(r2.code, 0, r2.stderr);

  const third = consume([config, '--topic', topic, '--group', group]);
  const printedBefore = new Set([...first.lines, ...second.lines].map((l) => l.value));
  await until('every record printed by some run, and nothing more to read',
    () => new Set([...printedBefore, ...third.lines.map((l) => l.value)]).size >= N && third.waited());
  third.child.kill('SIGINT');
  const r3 = await third.exited;
  assert.equal(r3.code, 0, r3.stderr);

  const runs = [first.lines, second.lines, third.lines].map((ls) => ls.map((l) => l.value));
  const all = runs.flat();
  // Printed means accepted: no record is printed by two runs (or twice by one).
  assert.equal(new Set(all).size, all.length, 'a record printed twice');
  assert.equal(all.length, N);
  // What the second run acquired but had not printed was released at Ctrl-C: the third run got it again, with the
  // delivery count raised (records it acquired first time carry 1).
  assert.ok(third.lines.every((l) => l.deliveryCount >= 1));
});
