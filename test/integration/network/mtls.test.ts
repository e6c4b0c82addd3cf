// mTLS against the secured node's SSL listener (ssl.client.auth=required; scripts/kafka.mjs start --secure): a
// client certificate signed by the project's CA connects (key plain or encrypted with ssl.key.password, librdkafka's
// property names) and the broker knows the client by the certificate's CN; without a certificate, or with one of
// another CA, the client gets a TlsError promptly and does not retry; a key that does not match its certificate is
// a ConfigError when the client is created. No key material, key password or SASL password appears in any log line
// (every level captured) or serialised error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Admin, ConfigError, Consumer, TlsError } from '../../../src/index.js';
import type { LogLevel } from '../../../src/index.js';
import { uniqueName } from '../helpers/kafka.js';
import {
  acl, createSecureTopics, ensureSecureKafka, produceAsAdmin, requestLogMark, requestsSince, viaMtls, type SecureKafkaEnv,
} from '../helpers/secure-kafka.js';

interface Captured { level: LogLevel; message: string; fields?: Record<string, unknown> }

function capture(): { lines: Captured[]; logger: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void } {
  const lines: Captured[] = [];
  return { lines, logger: (level, message, fields) => void lines.push({ level, message, fields }) };
}

/** Every secret of the environment, as text that must never be logged or serialised. */
function secrets(env: SecureKafkaEnv): string[] {
  const keyLines = [env.mtls.key, env.mtls.encryptedKey, env.mtls.foreignKey].flatMap((f) =>
    readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')));
  return [...keyLines, env.mtls.keyPassword, env.users.admin.password, env.users.reader.password];
}

function assertNoSecrets(env: SecureKafkaEnv, texts: readonly string[]): void {
  const all = secrets(env);
  for (const text of texts) for (const s of all) assert.ok(!text.includes(s), `a secret leaked into: ${text.slice(0, 300)}`);
}

const rendered = (lines: readonly Captured[]): string[] => lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields ?? {})}`);

test('mTLS: a certificate of the project CA connects (plain key, and encrypted key with ssl.key.password); the principal is its CN', { timeout: 180_000 }, async () => {
  const env = ensureSecureKafka();
  const topic = uniqueName('mtls');
  const group = uniqueName('g-mtls');
  await createSecureTopics([topic], 1);
  await produceAsAdmin(topic, 4);
  // One group per key variant: the first commits, and the second must read from the start again.
  await acl({ principal: env.mtls.principal, operations: ['Read'], topics: [topic], groups: [`${group}-0`, `${group}-1`] });
  const variants = [
    { 'ssl.key.location': env.mtls.key },
    { 'ssl.key.location': env.mtls.encryptedKey, 'ssl.key.password': env.mtls.keyPassword },
  ];
  for (const [i, variant] of variants.entries()) {
    const log = capture();
    const clientId = uniqueName(`mtls-client-${i}`);
    const mark = requestLogMark();
    const c = new Consumer({
      ...viaMtls(env), ...variant, 'client.id': clientId, 'group.id': `${group}-${i}`, 'auto.offset.reset': 'earliest',
      'enable.auto.commit': false, 'gregor.logger': log.logger, 'gregor.log.level': 'debug',
    });
    try {
      c.assign([{ topic, partition: 0 }]);
      const values: string[] = [];
      const deadline = Date.now() + 60_000;
      while (values.length < 4 && Date.now() < deadline) {
        const m = await c.poll(1000);
        if (m !== null) values.push(String(m.valueString()));
      }
      assert.deepEqual(values, ['v0', 'v1', 'v2', 'v3'], rendered(log.lines).join('\n'));
      await c.commit();
    } finally {
      await c.close();
    }
    const seen = await requestsSince(mark, clientId);
    assert.ok(seen.some((r) => r.apiKey === 'FETCH') && seen.some((r) => r.apiKey === 'OFFSET_COMMIT'), seen.map((r) => r.apiKey).join(' '));
    assert.deepEqual([...new Set(seen.map((r) => r.principal))], [`User:${env.mtls.principal}`], 'the broker knows the client by its certificate');
    assert.ok(log.lines.length > 0, 'debug lines were captured');
    assertNoSecrets(env, rendered(log.lines));
  }
});

async function refused(env: SecureKafkaEnv, props: Record<string, string>): Promise<{ error: unknown; ms: number; lines: Captured[] }> {
  const log = capture();
  const admin = new Admin({ ...props, 'gregor.logger': log.logger, 'gregor.log.level': 'debug', 'default.api.timeout.ms': 30_000 });
  const t0 = performance.now();
  try {
    await admin.describeCluster();
    assert.fail('describeCluster() succeeded without a trusted client certificate');
  } catch (error) {
    const ms = performance.now() - t0;
    // Sticky: a second call fails the same way without a new attempt (see the connection count below).
    await assert.rejects(admin.describeCluster(), (e) => e instanceof TlsError);
    return { error, ms, lines: log.lines };
  } finally {
    await admin.close();
  }
  assert.fail('unreachable');
}

test('mTLS: without a client certificate the listener refuses: a TlsError at once, no retries, nothing secret logged', { timeout: 120_000 }, async () => {
  const env = ensureSecureKafka();
  const { 'ssl.certificate.location': _cert, 'ssl.key.location': _key, ...noCert } = viaMtls(env);
  const { error, ms, lines } = await refused(env, noCert);
  assert.ok(error instanceof TlsError, `expected TlsError, got ${String(error)}`);
  assert.equal(error.code, 'ERR_TLS');
  assert.ok(error.message.includes(env.mtlsBootstrap), error.message);
  assert.ok(ms < 5000, `refused after ${ms.toFixed(0)} ms`);
  const connects = lines.filter((l) => l.message === 'connected').length;
  assert.ok(connects <= 1, `${connects} connections: the refusal is not retried`);
  process.stdout.write(`# no certificate: ${error.message} (after ${ms.toFixed(0)} ms, ${connects} connection)\n`);
  assertNoSecrets(env, [...rendered(lines), JSON.stringify(error), String(error.stack)]);
});

test('mTLS: a certificate and key of another CA: a TlsError at once, no retries, nothing secret logged', { timeout: 120_000 }, async () => {
  const env = ensureSecureKafka();
  const foreign = { ...viaMtls(env), 'ssl.certificate.location': env.mtls.foreignCertificate, 'ssl.key.location': env.mtls.foreignKey };
  const { error, ms, lines } = await refused(env, foreign);
  assert.ok(error instanceof TlsError, `expected TlsError, got ${String(error)}`);
  assert.ok(ms < 5000, `refused after ${ms.toFixed(0)} ms`);
  const connects = lines.filter((l) => l.message === 'connected').length;
  assert.ok(connects <= 1, `${connects} connections: the refusal is not retried`);
  process.stdout.write(`# foreign CA: ${error.message} (after ${ms.toFixed(0)} ms, ${connects} connection)\n`);
  assertNoSecrets(env, [...rendered(lines), JSON.stringify(error), String(error.stack)]);
});

test('mTLS: a key that does not match the certificate, or a wrong ssl.key.password, is a ConfigError when the client is created', () => {
  const env = ensureSecureKafka();
  const cases = [
    { props: { ...viaMtls(env), 'ssl.key.location': env.mtls.foreignKey }, property: 'ssl.key.location', message: /does not match the client certificate/ },
    { props: { ...viaMtls(env), 'ssl.key.location': env.mtls.encryptedKey, 'ssl.key.password': 'not-the-password' }, property: 'ssl.key.password', message: /cannot be decrypted/ },
    { props: { ...viaMtls(env), 'ssl.key.location': env.mtls.encryptedKey }, property: 'ssl.key.password', message: /encrypted; set ssl\.key\.password/ },
  ];
  for (const { props, property, message } of cases) {
    for (const make of [() => new Consumer({ ...props, 'group.id': 'g' }), () => new Admin(props)]) {
      assert.throws(make, (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.equal(err.property, property);
        assert.match(err.message, message);
        assertNoSecrets(env, [err.message, JSON.stringify(err), String(err.stack)]);
        return true;
      });
    }
  }
});
