import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { resolveConfig } from '../../../src/config/index.js';

const BASE = { 'bootstrap.servers': '127.0.0.1:9092' };
const quiet = { onWarning: () => {} };

function rejects(kind: 'consumer' | 'producer', input: Record<string, unknown>, pattern: RegExp, property?: string): void {
  assert.throws(() => resolveConfig(kind, input, quiet), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, pattern);
    if (property !== undefined) assert.equal(err.property, property);
    return true;
  });
}

test('without group.id, auto-commit is off unless explicitly asked for (then an error), as in Java', () => {
  assert.equal(resolveConfig('consumer', BASE, quiet)['enable.auto.commit'], false);
  rejects('consumer', { ...BASE, 'enable.auto.commit': 'true' }, /enable\.auto\.commit=true needs group\.id/);
  rejects('consumer', { ...BASE, 'group.instance.id': 'i1' }, /group\.instance\.id needs group\.id/);
});

test('classic protocol: heartbeat must be below the session timeout', () => {
  rejects('consumer', { ...BASE, 'group.id': 'g', 'heartbeat.interval.ms': 10000, 'session.timeout.ms': 10000 },
    /heartbeat\.interval\.ms \(10000\) must be lower than session\.timeout\.ms \(10000\)/, 'heartbeat.interval.ms');
  rejects('consumer', { ...BASE, 'group.id': 'g', 'session.timeout.ms': 2000 }, /must be lower than session\.timeout\.ms \(2000\)/, 'session.timeout.ms');
});

test('consumer protocol (KIP-848): broker-owned settings are refused, remote assignor allowed', () => {
  const c = resolveConfig('consumer', { ...BASE, 'group.id': 'g', 'group.protocol': 'CONSUMER', 'group.remote.assignor': 'uniform' }, quiet);
  assert.equal(c['group.protocol'], 'consumer');
  assert.equal(c['group.remote.assignor'], 'uniform');
  for (const p of ['session.timeout.ms', 'heartbeat.interval.ms', 'partition.assignment.strategy']) {
    rejects('consumer', { ...BASE, 'group.id': 'g', 'group.protocol': 'consumer', [p]: p.endsWith('strategy') ? 'range' : '3000' },
      new RegExp(`${p.replaceAll('.', '\\.')} cannot be used with group\\.protocol=consumer`), p);
  }
  rejects('consumer', { ...BASE, 'group.id': 'g', 'group.remote.assignor': 'uniform' }, /group\.remote\.assignor needs group\.protocol=consumer/);
});

test('producer: idempotence needs acks=all; explicitly asked for it is an error, by default it is turned off', () => {
  const p = resolveConfig('producer', { ...BASE, acks: '1' }, quiet);
  assert.equal(p['enable.idempotence'], false);
  assert.equal(resolveConfig('producer', BASE, quiet)['enable.idempotence'], true);
  rejects('producer', { ...BASE, acks: 0, 'enable.idempotence': true }, /enable\.idempotence=true needs acks=all \(not 0\)/, 'acks');
  rejects('producer', { ...BASE, 'max.in.flight.requests.per.connection': 6, 'enable.idempotence': true }, /<= 5/);
  rejects('producer', { ...BASE, 'transactional.id': 't', 'enable.idempotence': false }, /transactional\.id needs enable\.idempotence=true/);
  rejects('producer', { ...BASE, 'transactional.id': 't', acks: 1 }, /transactional\.id needs enable\.idempotence=true/);
});

test('producer: delivery.timeout.ms must cover linger.ms + request.timeout.ms', () => {
  rejects('producer', { ...BASE, 'delivery.timeout.ms': 1000 }, /delivery\.timeout\.ms must be at least linger\.ms \+ request\.timeout\.ms \(30005\)/);
  assert.equal(resolveConfig('producer', { ...BASE, 'request.timeout.ms': 200000 }, quiet)['delivery.timeout.ms'], 200005);
});
