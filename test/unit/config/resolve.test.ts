import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, isGregorError } from '../../../src/errors.js';
import { resolveConfig, type ClientKind, type ConfigWarning } from '../../../src/config/index.js';

const BASE = { 'bootstrap.servers': '127.0.0.1:9092' };

function resolve<K extends ClientKind>(kind: K, input: Record<string, unknown>, warnings: ConfigWarning[] = []) {
  return resolveConfig(kind, input, { onWarning: (w) => warnings.push(w) });
}

function configError(fn: () => unknown, pattern: RegExp, property?: string): ConfigError {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.ok(isGregorError(caught));
  assert.equal(caught.code, 'ERR_CONFIG');
  assert.match(caught.message, pattern);
  if (property !== undefined) assert.equal(caught.property, property);
  return caught;
}

test('defaults are the Java client defaults', () => {
  const c = resolve('consumer', { ...BASE, 'group.id': 'g' });
  assert.deepEqual(c['bootstrap.servers'], ['127.0.0.1:9092']);
  assert.equal(c['session.timeout.ms'], 45000);
  assert.equal(c['heartbeat.interval.ms'], 3000);
  assert.equal(c['max.poll.interval.ms'], 300000);
  assert.equal(c['auto.offset.reset'], 'latest');
  assert.equal(c['enable.auto.commit'], true);
  assert.equal(c['fetch.max.bytes'], 52428800);
  assert.equal(c['max.partition.fetch.bytes'], 1048576);
  assert.equal(c['isolation.level'], 'read_uncommitted');
  assert.equal(c['check.crcs'], true);
  assert.equal(c['group.protocol'], 'classic');
  assert.deepEqual(c['partition.assignment.strategy'], ['range', 'cooperative-sticky']);
  assert.equal(c['security.protocol'], 'PLAINTEXT');
  assert.equal(c['ssl.endpoint.identification.algorithm'], 'https');
  assert.equal(c['connections.max.idle.ms'], 540000);
  assert.equal(c['group.instance.id'], undefined);
  assert.equal(c.kind, 'consumer');
  // Every consumer property is present as a key, set or not.
  assert.ok(Object.keys(c).includes('group.instance.id'));
  assert.ok(!Object.keys(c).includes('acks'));
});

test('per-kind defaults: the admin client closes idle connections sooner', () => {
  assert.equal(resolve('admin', BASE)['connections.max.idle.ms'], 300000);
  assert.equal(resolve('producer', BASE)['connections.max.idle.ms'], 540000);
});

test('strings from files are coerced: ints, booleans, enums (case-insensitive), lists', () => {
  const c = resolve('consumer', {
    'bootstrap.servers': ' a:1 , b:2,, ', 'group.id': ' g ', 'session.timeout.ms': ' 30000 ', 'enable.auto.commit': 'FALSE',
    'auto.offset.reset': 'Earliest', 'security.protocol': 'plaintext', 'isolation.level': 'READ_COMMITTED',
    'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor, range',
  });
  assert.deepEqual(c['bootstrap.servers'], ['a:1', 'b:2']);
  assert.equal(c['group.id'], 'g');
  assert.equal(c['session.timeout.ms'], 30000);
  assert.equal(c['enable.auto.commit'], false);
  assert.equal(c['auto.offset.reset'], 'earliest');
  assert.equal(c['security.protocol'], 'PLAINTEXT');
  assert.equal(c['isolation.level'], 'read_committed');
  assert.deepEqual(c['partition.assignment.strategy'], ['cooperative-sticky', 'range']);
});

test('typed values from code are accepted as they are', () => {
  const c = resolveConfig('consumer', {
    'bootstrap.servers': ['[::1]:9092', 'SASL_SSL://broker:9094'], 'group.id': 'g', 'max.poll.records': 10,
    'check.crcs': false, 'auto.offset.reset': 'none',
  }, { onWarning: () => {} });
  assert.deepEqual(c['bootstrap.servers'], ['[::1]:9092', 'broker:9094']);
  assert.equal(c['max.poll.records'], 10);
  assert.equal(c['check.crcs'], false);
  assert.equal(c['auto.offset.reset'], 'none');
});

test('undefined and null mean unset', () => {
  const c = resolve('consumer', { ...BASE, 'group.id': undefined, 'client.rack': null });
  assert.equal(c['group.id'], undefined);
  assert.equal(c['client.rack'], '');
});

test('librdkafka spellings and value aliases fold into canonical names', () => {
  const c = resolve('consumer', {
    'metadata.broker.list': 'k:9092', 'group.id': 'g', 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'SCRAM-SHA-512',
    'sasl.username': 'alice', 'sasl.password': 'pw', 'fetch.wait.max.ms': '100', 'fetch.message.max.bytes': '2048',
    'auto.offset.reset': 'smallest', 'ssl.endpoint.identification.algorithm': '',
  });
  assert.deepEqual(c['bootstrap.servers'], ['k:9092']);
  assert.equal(c['sasl.mechanism'], 'SCRAM-SHA-512');
  assert.equal(c['fetch.max.wait.ms'], 100);
  assert.equal(c['max.partition.fetch.bytes'], 2048);
  assert.equal(c['auto.offset.reset'], 'earliest');
  assert.equal(c['ssl.endpoint.identification.algorithm'], 'none');
  assert.ok(c.isExplicit('sasl.mechanism'));
  const p = resolve('producer', { ...BASE, 'request.required.acks': -1, 'compression.codec': 'zstd', 'queue.buffering.max.ms': 20 });
  assert.equal(p.acks, 'all');
  assert.equal(p['compression.type'], 'zstd');
  assert.equal(p['linger.ms'], 20);
});

test('an alias and its canonical name: same value is fine, different values are an error', () => {
  resolve('consumer', { ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'PLAIN', 'sasl.mechanisms': 'plain', 'sasl.username': 'u', 'sasl.password': 'p' });
  configError(() => resolve('consumer', { ...BASE, 'fetch.max.wait.ms': 1, 'fetch.wait.max.ms': 2 }), /same property.*different values/, 'fetch.max.wait.ms');
});

test('unknown property: named, with the closest valid name', () => {
  configError(() => resolve('consumer', { 'bootstrap.server': 'a:1' }), /unknown property bootstrap\.server \(did you mean bootstrap\.servers\?\)/, 'bootstrap.server');
  configError(() => resolve('consumer', { ...BASE, 'group.idd': 'g' }), /did you mean group\.id\?/);
  configError(() => resolve('consumer', { ...BASE, 'auto.offset.rest': 'earliest' }), /did you mean auto\.offset\.reset\?/);
  configError(() => resolve('consumer', { ...BASE, 'sasl.mechanims': 'PLAIN' }), /did you mean sasl\.mechanism/);
  const e = configError(() => resolve('consumer', { ...BASE, 'completely.different.thing': 1 }), /unknown property completely\.different\.thing$/);
  assert.doesNotMatch(e.message, /did you mean/);
});

test('the origin of a value prefixes the message', () => {
  const e = configError(
    () => resolveConfig('consumer', { ...BASE, 'session.timeout.ms': 'soon' }, { origins: { 'session.timeout.ms': 'config.ini:7' } }),
    /^config\.ini:7: invalid value "soon" for session\.timeout\.ms: expected an integer from 1 to 2147483647$/,
  );
  assert.equal(e.property, 'session.timeout.ms');
});

test('invalid values name the property, the value and what is allowed', () => {
  configError(() => resolve('consumer', { ...BASE, 'auto.offset.reset': 'oldest' }), /invalid value "oldest" for auto\.offset\.reset: expected one of earliest, latest, none/);
  configError(() => resolve('consumer', { ...BASE, 'enable.auto.commit': 'yes' }), /expected true or false/);
  configError(() => resolve('consumer', { ...BASE, 'fetch.min.bytes': -1 }), /invalid value -1 for fetch\.min\.bytes: expected an integer from 0/);
  configError(() => resolve('consumer', { ...BASE, 'max.poll.records': '1.5' }), /max\.poll\.records/);
  configError(() => resolve('consumer', { ...BASE, 'max.poll.records': 1.5 }), /max\.poll\.records/);
  configError(() => resolve('consumer', { ...BASE, 'max.poll.records': '3000ms' }), /"3000ms"/);
  configError(() => resolve('consumer', { ...BASE, 'max.poll.records': '' }), /max\.poll\.records/);
  configError(() => resolve('consumer', { ...BASE, 'session.timeout.ms': 2 ** 31 }), /session\.timeout\.ms/);
  configError(() => resolve('consumer', { ...BASE, 'group.id': '' }), /group\.id must not be empty/);
  configError(() => resolve('consumer', { ...BASE, 'client.id': 42 }), /invalid value 42 for client\.id: expected a string/);
  configError(() => resolve('consumer', { ...BASE, 'bootstrap.servers': { a: 1 } }), /bootstrap\.servers/);
  configError(() => resolve('consumer', { ...BASE, 'gregor.logger': 'console' }), /must be a logger object .* or a function/);
  configError(() => resolve('consumer', { ...BASE, 'sasl.mechanism': 'GSSAPI' }), /GSSAPI is not supported/);
  configError(() => resolve('consumer', { ...BASE, 'partition.assignment.strategy': 'fair' }), /unknown assignor "fair"/);
  configError(() => resolve('consumer', { ...BASE, 'partition.assignment.strategy': 'range,range' }), /listed twice/);
  configError(() => resolve('consumer', { ...BASE, 'partition.assignment.strategy': ' , ' }), /at least one assignor/);
});

test('bootstrap.servers is required and each entry must be host:port', () => {
  configError(() => resolve('consumer', {}), /bootstrap\.servers is required/, 'bootstrap.servers');
  configError(() => resolve('admin', { 'bootstrap.servers': '' }), /bootstrap\.servers is required/);
  configError(() => resolve('consumer', { 'bootstrap.servers': 'localhost' }), /"localhost": expected host:port \(the port is missing\)/);
  configError(() => resolve('consumer', { 'bootstrap.servers': 'a:70000' }), /port must be 1-65535/);
});

test('a property of another client is a warning, not an error (as in the Java client)', () => {
  const warnings: ConfigWarning[] = [];
  const c = resolve('consumer', { ...BASE, acks: 'all', 'linger.ms': 'not even a number' }, warnings);
  assert.equal((c as unknown as Record<string, unknown>).acks, undefined);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0].message, /acks is a producer property; a consumer ignores it/);
  assert.deepEqual(c.warnings.map((w) => w.message), warnings.map((w) => w.message));
  const adminWarnings: ConfigWarning[] = [];
  resolve('admin', { ...BASE, 'group.id': 'g' }, adminWarnings);
  assert.match(adminWarnings[0].message, /group\.id is a consumer property; a admin ignores it|group\.id is a consumer property/);
});

test('Java-only properties that do not apply are accepted with a warning saying why', () => {
  const warnings: ConfigWarning[] = [];
  resolve('consumer', { ...BASE, 'key.deserializer': 'org.apache.kafka.common.serialization.StringDeserializer' }, warnings);
  assert.match(warnings[0].message, /key\.deserializer is ignored: org\.apache\.kafka\.common\.serialization\.StringDeserializer is a Java class; gregor takes string, json, buffer or a function, and delivers the bytes when unset/);
});

test('warnings go to process.emitWarning by default', async () => {
  const seen: Array<{ message: string; name: string }> = [];
  const listener = (w: Error) => seen.push({ message: w.message, name: w.name });
  process.on('warning', listener);
  try {
    resolveConfig('consumer', { ...BASE, acks: 1 });
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', listener);
  }
  assert.ok(seen.some((w) => w.name === 'GregorConfigWarning' && /acks is a producer property/.test(w.message)));
});

test('the resolved config is frozen and a resolved config of the same kind resolves to itself', () => {
  const c = resolve('consumer', BASE);
  assert.ok(Object.isFrozen(c));
  assert.throws(() => { (c as unknown as Record<string, unknown>)['group.id'] = 'x'; }, TypeError);
  assert.ok(Object.isFrozen(c['bootstrap.servers']));
  assert.equal(resolveConfig('consumer', c), c);
});

test('a consumer config can derive an admin config with the same connection and security settings', () => {
  const warnings: ConfigWarning[] = [];
  const c = resolve('consumer', {
    ...BASE, 'group.id': 'g', 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'PLAIN', 'sasl.username': 'u',
    'sasl.password': 'p', 'request.timeout.ms': 1234,
  });
  const a = resolveConfig('admin', c, { onWarning: (w) => warnings.push(w) });
  assert.equal(a.kind, 'admin');
  assert.equal(a['request.timeout.ms'], 1234);
  assert.equal(a['sasl.username'], 'u');
  assert.equal(a['sasl.password']?.reveal(), 'p');
  assert.equal(warnings.length, 0, 'group.id is dropped quietly when deriving');
});

test('client.id: generated as <kind>-<group>-<n> when unset, kept when set', () => {
  const a = resolve('consumer', { ...BASE, 'group.id': 'orders' });
  assert.match(a['client.id'], /^consumer-orders-\d+$/);
  const b = resolve('consumer', { ...BASE, 'group.id': 'orders' });
  assert.notEqual(a['client.id'], b['client.id']);
  assert.match(resolve('producer', BASE)['client.id'], /^producer-\d+$/);
  assert.equal(resolve('consumer', { ...BASE, 'client.id': 'mine' })['client.id'], 'mine');
});

test('input that is not an object, and an unknown kind, are refused', () => {
  configError(() => resolveConfig('consumer', null as unknown as Record<string, unknown>), /must be an object/);
  configError(() => resolveConfig('consumer', ['a'] as unknown as Record<string, unknown>), /must be an object/);
  configError(() => resolveConfig('streams' as 'consumer', BASE), /unknown client kind "streams"/);
});
