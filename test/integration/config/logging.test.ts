// gregor.logger against the real broker: a consumer on the SASL_SSL listener, with an unreachable address in its
// bootstrap list, reading a real topic and subscribed to one that does not exist, logs through a console (Node's own
// Console class, on captured streams) - the warnings arrive there, message first as console prints them, nothing goes
// to the process's stderr, and the password appears in no line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Console } from 'node:console';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { Consumer, KafkaError } from '../../../src/index.js';
import { USERS, createTopic, ensureKafka, produce, uniqueName } from '../helpers/kafka.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(chunk.toString()); done(); } });
  return { stream, text: () => chunks.join('') };
}

/** A local port where nothing listens (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a consumer logs through a console-like gregor.logger: warnings arrive, stderr stays quiet, no secret in any line', { timeout: 120_000 }, async (t) => {
  const env = await ensureKafka();
  const topic = uniqueName('logging');
  const missing = uniqueName('logging-missing');
  await createTopic(topic, 1);
  await produce(topic, [{ key: 'k', value: 'v1' }, { key: 'k', value: 'v2' }]);
  const password = env.users.PLAIN.password;
  assert.equal(password, USERS.PLAIN.password);

  const out = capture();
  const err = capture();
  const stderrWrites: string[] = [];
  t.mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => { stderrWrites.push(String(chunk)); return true; });
  const consumer = new Consumer({
    'bootstrap.servers': `127.0.0.1:${await deadPort()},${env.saslSslBootstrap}`,
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'PLAIN',
    'sasl.username': env.users.PLAIN.username,
    'sasl.password': password,
    'ssl.ca.location': env.caFile,
    'group.id': uniqueName('g-logging'),
    'auto.offset.reset': 'earliest',
    'allow.auto.create.topics': false,
    'gregor.log.level': 'debug',
    'gregor.logger': new Console({ stdout: out.stream, stderr: err.stream }),
  });
  try {
    consumer.subscribe([topic, missing]);
    const values: string[] = [];
    let unknownTopic: unknown;
    const deadline = Date.now() + 60_000;
    while ((values.length < 2 || unknownTopic === undefined) && Date.now() < deadline) {
      try {
        const m = await consumer.poll(1000);
        if (m !== null) values.push(m.value?.toString() ?? '');
      } catch (e) {
        unknownTopic = e;
      }
    }
    assert.deepEqual(values, ['v1', 'v2']);
    assert.ok(unknownTopic instanceof KafkaError, `expected a KafkaError for ${missing}, got ${String(unknownTopic)}`);
    assert.equal(unknownTopic.errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
  } finally {
    await consumer.close();
    t.mock.restoreAll();
  }

  // console.warn and console.error write to the Console's stderr, info and debug to its stdout; console prints the
  // fields after the message with util.inspect (over several lines when long).
  const warnings = err.text();
  const info = out.text();
  const warning = /^topic cannot be read \{[^}]*\}$/m.exec(warnings)?.[0];
  assert.ok(warning !== undefined, `no warning for the missing topic in:\n${warnings}`);
  assert.ok(warning.includes(missing) && warning.includes('UNKNOWN_TOPIC_OR_PARTITION'), warning);
  assert.match(info, /^partitions assigned \{/m);
  assert.deepEqual(stderrWrites.filter((l) => l.includes('gregor')), [], 'a configured logger replaces stderr');
  assert.ok(!warnings.includes(password) && !info.includes(password), 'a log line carries the password');
});
