// The Consumer's checks that need no broker: configuration errors at construction (with the closest valid name),
// calls in the wrong state (StateError), bad arguments (TypeError), and close() being safe to call twice. Nothing
// here connects: a Consumer does no I/O before subscribe() or assign().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, Consumer, StateError } from '../../../src/index.js';

const base = { 'bootstrap.servers': '127.0.0.1:1' } as const;

test('an unknown property fails at construction and names the closest valid one', () => {
  assert.throws(() => new Consumer({ ...base, 'group.idd': 'x' } as never), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /group\.id/);
    return true;
  });
  assert.throws(() => new Consumer({ ...base, 'auto.offset.reset': 'sometimes' } as never), ConfigError);
  assert.throws(() => new Consumer({ ...base, 'session.timeout.ms': 3000, 'heartbeat.interval.ms': 3000 }), ConfigError);
});

test('librdkafka spellings are accepted', async () => {
  const c = new Consumer({ 'metadata.broker.list': '127.0.0.1:1', 'group.id': 'g', 'auto.offset.reset': 'smallest' });
  assert.equal(c.config['auto.offset.reset'], 'earliest');
  await c.close();
});

test('calls in the wrong state throw StateError; bad arguments TypeError', async () => {
  const noGroup = new Consumer(base);
  assert.equal(noGroup.state, 'idle');
  assert.throws(() => noGroup.subscribe(['t']), StateError, 'subscribe() needs group.id');
  await assert.rejects(noGroup.poll(0), StateError, 'poll() before subscribe() or assign()');
  await assert.rejects(noGroup.commit(), StateError, 'commit() needs group.id');
  assert.throws(() => noGroup.seek({ topic: 't', partition: 0 }, 1), StateError, 'seek() of a partition not assigned');
  assert.throws(() => noGroup.assign([{ topic: '', partition: 0 }]), TypeError);
  assert.throws(() => noGroup.assign([{ topic: 't', partition: -1 }]), TypeError);
  assert.throws(() => noGroup.assign([{ topic: 't', partition: 0, offset: -5 }]), TypeError);
  await noGroup.close();

  const c = new Consumer({ ...base, 'group.id': 'g', 'enable.auto.commit': false });
  assert.throws(() => c.subscribe([]), TypeError);
  assert.throws(() => c.subscribe(['ok', ''] as string[]), TypeError);
  c.assign([{ topic: 't', partition: 0, offset: 5n }]);
  assert.equal(c.state, 'active');
  assert.deepEqual(c.assignment(), [{ topic: 't', partition: 0 }]);
  assert.throws(() => c.subscribe(['t']), StateError, 'assign() and subscribe() are exclusive');
  assert.equal(await c.position({ topic: 't', partition: 0 }), 5n, 'an offset given to assign() is the position at once');
  c.pause([{ topic: 't', partition: 0 }]);
  assert.deepEqual(c.paused(), [{ topic: 't', partition: 0 }]);
  assert.throws(() => c.pause([{ topic: 'other', partition: 0 }]), StateError);
  await assert.rejects(c.commit([{ topic: 't', partition: 0, offset: -1 }]), TypeError);
  const closing = c.close();
  assert.equal(c.state, 'closing');
  assert.equal(c.close(), closing, 'close() twice returns the same promise');
  await closing;
  assert.equal(c.state, 'closed');
  await assert.rejects(c.poll(0), StateError);
  assert.throws(() => c.assign([]), StateError);
  const it = c[Symbol.asyncIterator]();
  assert.deepEqual(await it.next(), { done: true, value: undefined }, 'iteration after close is done');
});
