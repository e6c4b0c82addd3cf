// The config types are the editor's completion list: these lines must type-check, and each @ts-expect-error line
// must fail to (tsc runs over test/ in `npm run build`, so a regression breaks the build). The runtime part checks
// that what the types promise is what resolveConfig returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, Secret, type AdminConfig, type ConsumerConfig, type ProducerConfig } from '../../../src/config/index.js';

const consumer: ConsumerConfig = {
  'bootstrap.servers': '127.0.0.1:9092',
  'group.id': 'g',
  'session.timeout.ms': 30000,
  'auto.offset.reset': 'earliest',
  'enable.auto.commit': false,
  'partition.assignment.strategy': ['cooperative-sticky'],
  'sasl.mechanisms': 'PLAIN', // librdkafka alias, completed too
  'security.protocol': 'SASL_SSL',
  'sasl.username': 'u',
  'sasl.password': 'p',
  'gregor.logger': (level, message) => void [level, message],
  'sasl.oauthbearer.token.provider': async () => ({ value: 'jwt', lifetimeMs: 1000 }),
};

const producer: ProducerConfig = { 'bootstrap.servers': ['a:1'], acks: -1, 'compression.type': 'zstd', 'linger.ms': 0 };
const admin: AdminConfig = { 'bootstrap.servers': 'a:1', 'default.api.timeout.ms': 1000 };

// @ts-expect-error misspelled property
const misspelled: ConsumerConfig = { 'bootstrap.server': 'a:1' };
// @ts-expect-error an int property takes a number in code
const wrongType: ConsumerConfig = { 'session.timeout.ms': '30000' };
// @ts-expect-error not one of earliest, latest, none
const wrongEnum: ConsumerConfig = { 'auto.offset.reset': 'oldest' };
// @ts-expect-error a producer property is not part of ConsumerConfig
const otherKind: ConsumerConfig = { acks: 'all' };
// @ts-expect-error acks takes all, 0, 1 or -1
const badAcks: ProducerConfig = { acks: 2 };
// @ts-expect-error the logger must be a function
const badLogger: AdminConfig = { 'gregor.logger': 'console' };
void [misspelled, wrongType, wrongEnum, otherKind, badAcks, badLogger];

test('resolved values have the types the table promises', () => {
  const c = resolveConfig('consumer', { ...consumer, 'sasl.oauthbearer.token.provider': undefined });
  const timeout: number = c['session.timeout.ms'];
  const reset: 'earliest' | 'latest' | 'none' = c['auto.offset.reset'];
  const password: Secret | undefined = c['sasl.password'];
  const servers: readonly string[] = c['bootstrap.servers'];
  const groupId: string | undefined = c['group.id'];
  // @ts-expect-error a consumer's resolved config has no producer properties
  void c.acks;
  assert.equal(timeout, 30000);
  assert.equal(reset, 'earliest');
  assert.ok(password instanceof Secret);
  assert.deepEqual(servers, ['127.0.0.1:9092']);
  assert.equal(groupId, 'g');
  const p = resolveConfig('producer', producer);
  const acks: 'all' | '0' | '1' = p.acks;
  assert.equal(acks, 'all');
  assert.equal(resolveConfig('admin', admin)['default.api.timeout.ms'], 1000);
});
