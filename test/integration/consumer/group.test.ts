// Two gregor consumers subscribed in one group split the partitions without overlap and together consume every
// record exactly once; when one closes, the other takes over its partitions from the committed offsets; the group
// as Kafka's consumer-groups tool describes it matches what the members believe they own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../../src/index.js';
import { committedOffsets, createTopic, ensureKafka, kafkaTool, produce, uniqueName } from '../helpers/kafka.js';
import { idle, key, run, waitFor } from '../group/support.js';
import { newConsumer } from './env.js';

const PARTITIONS = 6;

test('two members split the partitions without overlap, consume everything once, and hand over on close', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('group');
  const group = uniqueName('g');
  await createTopic(topic, PARTITIONS);
  const props = { 'group.id': group, 'auto.offset.reset': 'earliest', 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 500 };
  const a = await newConsumer({ ...props, 'client.id': 'member-a' });
  const b = await newConsumer({ ...props, 'client.id': 'member-b' });
  const gotA: Message[] = [];
  const gotB: Message[] = [];
  const events: string[] = [];
  a.subscribe([topic], { assigned: (p) => { events.push(`a+${p.length}`); }, revoked: (p) => { events.push(`a-${p.length}`); } });
  let runA = idle;
  let runB = idle;
  try {
    runA = run(a, gotA);
    await waitFor(() => a.assignment().length === PARTITIONS, 'member a to own every partition');
    b.subscribe([topic], { assigned: (p) => { events.push(`b+${p.length}`); } });
    runB = run(b, gotB);
    await waitFor(() => a.assignment().length > 0 && b.assignment().length > 0 && a.assignment().length + b.assignment().length === PARTITIONS,
      'the partitions to be split between a and b');
    const ownedA = new Set(a.assignment().map(key));
    const ownedB = new Set(b.assignment().map(key));
    assert.equal([...ownedA].filter((k) => ownedB.has(k)).length, 0, 'no partition owned by both');
    assert.equal(ownedA.size + ownedB.size, PARTITIONS);

    // Kafka's view of the group agrees with the members'. The coordinator answers DescribeGroups from its committed
    // state, and the JVM tool takes seconds to start on a loaded machine: ask again (bounded) rather than assume
    // the first answer is already the settled group.
    const described = async (): Promise<{ text: string; byClient: Map<string, string[]> }> => {
      const d = await kafkaTool('consumer-groups', ['--bootstrap-server', env.bootstrap, '--describe', '--members', '--verbose', '--group', group], { check: false });
      const byClient = new Map<string, string[]>();
      for (const row of d.stdout.split('\n')) {
        const client = /\b(member-[ab])\b/.exec(row)?.[1];
        // Kafka 4.x prints the assignment as topic:0,1,2
        if (client !== undefined) byClient.set(client, [...new Set([...row.matchAll(new RegExp(`${topic}:([\\d,]+)`, 'g'))].flatMap((m) => m[1]!.split(',').map((p) => `${topic}:${p}`)))].sort());
      }
      return { text: d.stdout + d.stderr, byClient };
    };
    const agrees = (v: { byClient: Map<string, string[]> }): boolean => v.byClient.size === 2
      && JSON.stringify(v.byClient.get('member-a')) === JSON.stringify([...ownedA].sort())
      && JSON.stringify(v.byClient.get('member-b')) === JSON.stringify([...ownedB].sort());
    let view = await described();
    for (const deadline = Date.now() + 60_000; !agrees(view) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 500));
      view = await described();
    }
    assert.ok(agrees(view), `consumer-groups --describe --members agrees with a=${[...ownedA].join(' ')} b=${[...ownedB].join(' ')} (now a=${a.assignment().map(key).join(' ')} b=${b.assignment().map(key).join(' ')}):\n${view.text}`);

    const COUNT = 3000;
    await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    await waitFor(() => gotA.length + gotB.length >= COUNT, 'every record to be consumed');
    for (const m of gotA) assert.ok(ownedA.has(key(m)), `a received ${key(m)} it does not own`);
    for (const m of gotB) assert.ok(ownedB.has(key(m)), `b received ${key(m)} it does not own`);
    const values = [...gotA, ...gotB].map((m) => m.valueString());
    assert.equal(new Set(values).size, COUNT, 'each record once');
    assert.equal(values.length, COUNT);

    // b leaves: a takes its partitions over from b's committed offsets, so nothing is delivered twice.
    await runB.stop();
    await b.close();
    await waitFor(() => a.assignment().length === PARTITIONS, 'a to own every partition again');
    await produce(topic, Array.from({ length: 600 }, (_, i) => ({ key: `later${i}`, value: `later${i}` })));
    await waitFor(() => gotA.filter((m) => m.valueString()!.startsWith('later')).length >= 600, 'a to consume the later records');
    await new Promise((r) => setTimeout(r, 1000));
    const all = [...gotA, ...gotB].map((m) => m.valueString());
    assert.equal(all.length, COUNT + 600, 'nothing was delivered twice across the handover');
    await runA.stop();
    await a.close();
  } finally {
    await runA.stop();
    await runB.stop();
    await Promise.all([a.close(), b.close()]);
  }
  const committed = await committedOffsets(group);
  assert.equal(committed.length, PARTITIONS);
  for (const r of committed) assert.equal(r.lag, 0n, `${topic}[${r.partition}] committed to the end on close`);
  assert.deepEqual(events.slice(0, 1), ['a+6']);
});
