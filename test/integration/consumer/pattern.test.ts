// subscribe(RegExp): every existing topic that matches is consumed; a matching topic created later is picked up by
// the metadata check (every metadata.max.age.ms) and joins the assignment through a rebalance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, produce, uniqueName } from '../helpers/kafka.js';
import { newConsumer } from './env.js';

test('a pattern subscription reads matching topics, including one created later', async () => {
  const prefix = uniqueName('pattern').replace(/-/g, '_');
  const [t1, t2, t3, other] = [`${prefix}.a`, `${prefix}.b`, `${prefix}.c`, `${prefix}x.other`];
  await Promise.all([createTopic(t1, 2), createTopic(t2, 1), createTopic(other, 1)]);
  await produce(t1, [{ key: 'a', value: 'from-a' }]);
  await produce(t2, [{ key: 'b', value: 'from-b' }]);
  await produce(other, [{ key: 'x', value: 'not-matching' }]);
  const c = await newConsumer({ 'group.id': uniqueName('g-pattern'), 'auto.offset.reset': 'earliest', 'metadata.max.age.ms': 2000 });
  try {
    c.subscribe(new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.`));
    const seen = new Set<string>();
    while (seen.size < 2) {
      const m = await c.poll(20_000);
      assert.ok(m !== null, `only ${[...seen].join(', ')} arrived`);
      seen.add(m.valueString()!);
    }
    assert.deepEqual([...seen].sort(), ['from-a', 'from-b']);
    assert.deepEqual([...new Set(c.assignment().map((tp) => tp.topic))].sort(), [t1, t2]);
    await createTopic(t3, 1);
    await produce(t3, [{ key: 'c', value: 'from-c' }]);
    const m = await c.poll(30_000);
    assert.equal(m?.valueString(), 'from-c', 'the new matching topic is consumed after the metadata check');
    assert.deepEqual([...new Set(c.assignment().map((tp) => tp.topic))].sort(), [t1, t2, t3]);
  } finally {
    await c.close();
  }
});
