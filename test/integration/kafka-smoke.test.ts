// Smoke test of the local Kafka harness itself, through Kafka's own tools (scripts/kafka-tool): a topic created over
// PLAINTEXT is listed over SASL_SSL with each mechanism, a wrong password is refused, and the test helper's
// produce() delivers keys, headers and nulls where partitionForKey() says. Few JVMs: each costs about a second.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  CLIENT_CONFIG, createTopic, endOffsets, ensureKafka, kafkaTool, partitionForKey, produce, ROOT, uniqueName, USERS,
  type KafkaEnv, type SaslMechanism, type TestRecord,
} from './helpers/kafka.js';

// OAUTHBEARER: the Java client's unsecured login module mints the token (config/sasl-oauthbearer.properties).
const MECHANISMS: (SaslMechanism | 'OAUTHBEARER')[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

describe('local Kafka harness', () => {
  // Topics are left in place: names are unique, and `npm run kafka:stop -- --clean` wipes them all.
  let env: KafkaEnv;
  const topic = uniqueName('smoke');

  before(async () => {
    env = await ensureKafka();
    await createTopic(topic, 3);
  });

  it('reports its listeners, CA and users', () => {
    assert.match(env.bootstrap, /^127\.0\.0\.1:\d+$/);
    assert.match(env.saslSslBootstrap, /^127\.0\.0\.1:\d+$/);
    assert.match(readFileSync(env.caFile, 'utf8'), /-----BEGIN CERTIFICATE-----/);
    assert.deepEqual(env.users, USERS);
    assert.deepEqual(env.saslMechanisms, MECHANISMS);
    assert.equal(env.kafkaVersion, '4.3.1');
  });

  for (const mechanism of MECHANISMS) {
    it(`lists the topic over SASL_SSL with ${mechanism}`, async () => {
      const r = await kafkaTool('topics', ['--bootstrap-server', env.saslSslBootstrap,
        '--command-config', CLIENT_CONFIG[mechanism], '--list']);
      assert.ok(r.stdout.split('\n').includes(topic), `topic ${topic} missing from:\n${r.stdout}`);
    });
  }

  it('refuses a wrong SCRAM password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-smoke-'));
    try {
      const file = join(dir, 'wrong.properties');
      const good = readFileSync(join(ROOT, CLIENT_CONFIG['SCRAM-SHA-256']), 'utf8');
      const { password } = USERS['SCRAM-SHA-256'];
      assert.ok(good.includes(`password="${password}"`));
      writeFileSync(file, good.replace(`password="${password}"`, 'password="not-the-password"'));
      const r = await kafkaTool('topics', ['--bootstrap-server', env.saslSslBootstrap, '--command-config', file, '--list'],
        { check: false });
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, /Authentication failed.*invalid credentials with SASL mechanism SCRAM-SHA-256/);
      assert.ok(!r.stdout.split('\n').includes(topic), 'a refused client must not see the topic list');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('produce() puts keyed records with headers where partitionForKey() says', async () => {
    const records: TestRecord[] = [];
    for (let i = 0; i < 60; i++) {
      records.push({ key: `key-${i % 7}`, value: `value\t${i}, with: separators`, headers: { seq: String(i), empty: '' } });
    }
    records.push({ key: 'null-value', value: null, headers: [['h', null], ['h', 'twice']] });
    assert.equal(await produce(topic, records, { compression: 'zstd', lingerMs: 20 }), 61);

    const expected = new Map<number, bigint>([[0, 0n], [1, 0n], [2, 0n]]);
    for (const r of records) {
      const p = partitionForKey(r.key as string, 3);
      expected.set(p, (expected.get(p) ?? 0n) + 1n);
    }
    assert.deepEqual(await endOffsets(topic), expected);

    // Read the null-value record back with the Java consumer: headers (a null value, a repeated key) and the null.
    const p = partitionForKey('null-value', 3);
    const r = await kafkaTool('console-consumer', ['--bootstrap-server', env.bootstrap, '--topic', topic,
      '--partition', String(p), '--offset', String(Number(expected.get(p)) - 1), '--max-messages', '1',
      '--formatter-property', 'print.key=true', '--formatter-property', 'print.headers=true',
      '--formatter-property', 'null.literal=<null>']);
    assert.equal(r.stdout.trim(), 'h:<null>,h:twice\tnull-value\t<null>');
  });
});
