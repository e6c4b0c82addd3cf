// Pass item of issue 14: SIGKILL of a share consumer holding unacknowledged records. Its records come back to the
// group (at the latest when their acquisition locks expire; Kafka 4.3 releases them as soon as the dead member's
// connection, and with it its share session, is gone) and another member gets them with deliveryCount 2; nothing is
// lost.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ShareMessage } from '../../../src/index.js';
import type { ShareChildArgs } from './share-child.js';
import { bootstrap, makeTopic, produceRecords, shareConsumer, shareGroup, until } from './support.js';

const CHILD = fileURLToPath(new URL('./share-child.js', import.meta.url));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

test('SIGKILL of a member holding unacknowledged records: another member gets them with deliveryCount 2, nothing lost', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('share-kill', 1);
  await produceRecords(topic, Array.from({ length: 50 }, (_, i) => ({ partition: 0, key: null, value: `v${i}` })));
  const group = await shareGroup('share-kill');
  const args: ShareChildArgs = { bootstrap: await bootstrap(), topic, group, mode: 'hold', maxPollRecords: 20 };
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(proc);
  const held: bigint[] = [];
  let rest = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    rest += chunk;
    const lines = rest.split('\n');
    rest = lines.pop()!;
    for (const l of lines) if (l.startsWith('A ')) held.push(BigInt(l.split(' ')[2]));
  });
  await until('the child holds records', () => held.length > 0, 60_000);
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();

  const c = await shareConsumer(group);
  try {
    c.subscribe([topic]);
    const got = new Map<bigint, ShareMessage>();
    await until('all 50 records accepted by the survivor', async () => {
      for (const m of await c.poll(500)) got.set(m.offset, m);
      return got.size === 50;
    }, 90_000);
    await c.commit();
    assert.deepEqual([...got.keys()].sort((a, b) => Number(a - b)), Array.from({ length: 50 }, (_, i) => BigInt(i)));
    for (const o of held) assert.equal(got.get(o)!.deliveryCount, 2, `offset ${o}, handed to the killed member, comes back with deliveryCount 2`);
    // The killed member had acquired more than it handed out (the broker hands out whole batches, KIP-1206's
    // batch_optimized mode): those come back with deliveryCount 2 as well; no record was delivered more than twice.
    for (const [o, m] of got) assert.ok(m.deliveryCount === 1 || m.deliveryCount === 2, `offset ${o}: deliveryCount ${m.deliveryCount}`);
    const second = [...got.values()].filter((m) => m.deliveryCount === 2).length;
    console.log(`handed to the killed member: ${held.length}; redelivered (deliveryCount 2): ${second}; all back ${Date.now() - killedAt} ms after the kill`);
  } finally {
    await c.close();
  }
});
