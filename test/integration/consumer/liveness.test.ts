// Group liveness: heartbeats run on their own timer, so a handler slower than session.timeout.ms (but within
// max.poll.interval.ms) causes no rebalance; an application that stops polling for longer than max.poll.interval.ms
// leaves the group, its partitions are reported lost (not revoked, nothing committed after the loss), and on the next
// poll it rejoins and resumes from the committed offset (reliability R8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { committedOffsets, createTopic, produce, uniqueName } from '../helpers/kafka.js';
import { newConsumer } from './env.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a handler slower than the session timeout keeps its partitions (heartbeats continue)', async () => {
  const topic = uniqueName('live-slow');
  await createTopic(topic, 2);
  await produce(topic, Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  const events: string[] = [];
  const c = await newConsumer({
    'group.id': uniqueName('g-slow'), 'auto.offset.reset': 'earliest',
    'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000, 'max.poll.interval.ms': 60_000,
  });
  try {
    c.subscribe([topic], {
      assigned: (p) => { events.push(`assigned ${p.length}`); },
      revoked: (p) => { events.push(`revoked ${p.length}`); },
      lost: (p) => { events.push(`lost ${p.length}`); },
    });
    let handled = 0;
    for await (const m of c) {
      assert.ok(m.value !== null);
      // Each message takes longer than session.timeout.ms to process.
      await sleep(7000);
      if (++handled === 2) break;
    }
    assert.deepEqual(events, ['assigned 2'], 'no revoke, no loss, no second assignment');
  } finally {
    await c.close();
  }
});

test('exceeding max.poll.interval.ms: partitions lost, nothing committed after, resume from the committed offset', async () => {
  const topic = uniqueName('live-poll');
  const group = uniqueName('g-poll');
  await createTopic(topic, 1);
  await produce(topic, Array.from({ length: 20 }, (_, i) => ({ key: 'k', value: `v${i}` })));
  const events: string[] = [];
  const c = await newConsumer({
    'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false,
    'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'max.poll.interval.ms': 3000,
  });
  try {
    c.subscribe([topic], {
      assigned: (p) => { events.push(`assigned ${p.length}`); },
      revoked: (p) => { events.push(`revoked ${p.length}`); },
      lost: (p) => { events.push(`lost ${p.length}`); },
    });
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await c.poll(15_000));
    assert.deepEqual(first.map((m) => m?.valueString()), ['v0', 'v1', 'v2', 'v3', 'v4']);
    await c.commit([{ topic, partition: 0, offset: 3n }]);
    // The application stalls without polling.
    await sleep(6000);
    assert.deepEqual(events, ['assigned 1', 'lost 1'], 'reported lost, not revoked');
    assert.deepEqual(c.assignment(), []);
    assert.deepEqual((await committedOffsets(group)).map((r) => r.offset), [3n], 'nothing committed after the loss');
    // The next poll rejoins; the partition comes back and starts at the committed offset.
    const next = await c.poll(30_000);
    assert.equal(next?.valueString(), 'v3');
    assert.deepEqual(events, ['assigned 1', 'lost 1', 'assigned 1']);
  } finally {
    await c.close();
  }
});
