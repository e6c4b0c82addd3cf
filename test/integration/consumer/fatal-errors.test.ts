// Errors that end a consumer's use are sticky: after refused credentials or a refused TLS handshake, every poll(),
// pollBatch(), iteration step, commit() and run() rejects with the same typed error until close() (Java's consumer
// throws on every poll), instead of rejecting once and then returning null as if the topic were idle; the same for a
// member fenced by another with its group.instance.id (KIP-345). close() works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Consumer } from '../../../src/index.js';
import { AuthenticationError, TlsError } from '../../../src/errors.js';
import { USERS, createTopic, ensureKafka, uniqueName } from '../helpers/kafka.js';

const WRONG = 'definitely-not-the-password';

async function wrongPassword(): Promise<Consumer> {
  const env = await ensureKafka();
  return new Consumer({
    'bootstrap.servers': env.saslSslBootstrap,
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'PLAIN',
    'sasl.username': USERS.PLAIN.username,
    'sasl.password': WRONG,
    'ssl.ca.location': env.caFile,
    'group.id': uniqueName('g-fatal'),
    'gregor.log.level': 'error',
  });
}

/** The rejection of `p` (fails the test when it resolves). */
async function rejection(p: Promise<unknown>, what: string): Promise<unknown> {
  try {
    const value = await p;
    assert.fail(`${what} resolved (${String(value)}) instead of rejecting`);
  } catch (err) {
    return err;
  }
}

test('wrong password: poll(), pollBatch(), iteration, commit() and run() reject with the same AuthenticationError until close()', { timeout: 180_000 }, async () => {
  const c = await wrongPassword();
  try {
    c.subscribe([uniqueName('fatal-topic')]);
    // Generous: the first report waits for the bootstrap's SASL exchange, on a loaded machine.
    const first = await rejection(c.poll(120_000), 'first poll()');
    assert.ok(first instanceof AuthenticationError, `first poll(): ${String(first)}`);
    assert.ok(!(first as Error).message.includes(WRONG), 'the password is not in the message');
    const second = await rejection(c.poll(1000), 'second poll()');
    assert.equal(second, first, 'second poll() rejects with the same error');
    const third = await rejection(c.poll(0), 'third poll() (no wait)');
    assert.equal(third, first);
    assert.equal(await rejection(c.pollBatch(1000), 'pollBatch()'), first);
    assert.equal(await rejection((async () => {
      for await (const m of c) return m;
      return null;
    })(), 'for await'), first);
    assert.equal(await rejection(c.commit(), 'commit()'), first);
    assert.equal(await rejection(c.run({ eachMessage: () => {} }), 'run()'), first);
  } finally {
    await c.close();
  }
  assert.equal(c.state, 'closed');
});

test('wrong password: run() rejects with the AuthenticationError, and later polls reject with it too', { timeout: 180_000 }, async () => {
  const c = await wrongPassword();
  try {
    c.subscribe([uniqueName('fatal-topic')]);
    const handled: unknown[] = [];
    const err = await rejection(c.run({ eachMessage: (m) => void handled.push(m) }), 'run()');
    assert.ok(err instanceof AuthenticationError, `run(): ${String(err)}`);
    assert.equal(handled.length, 0);
    assert.equal(await rejection(c.poll(1000), 'poll() after run()'), err);
    assert.equal(await rejection(c.run({ eachMessage: () => {} }), 'second run()'), err);
  } finally {
    await c.close();
  }
});

test('TLS refused (broker certificate not trusted): every poll() rejects with the same TlsError until close()', { timeout: 180_000 }, async () => {
  const env = await ensureKafka();
  const c = new Consumer({
    'bootstrap.servers': env.saslSslBootstrap,
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'PLAIN',
    'sasl.username': USERS.PLAIN.username,
    'sasl.password': USERS.PLAIN.password,
    // No ssl.ca.location: the project's CA is not among the system's, so the handshake is refused.
    'group.id': uniqueName('g-fatal-tls'),
    'gregor.log.level': 'error',
  });
  try {
    c.subscribe([uniqueName('fatal-topic')]);
    const first = await rejection(c.poll(120_000), 'first poll()');
    assert.ok(first instanceof TlsError, `first poll(): ${String(first)}`);
    assert.equal(await rejection(c.poll(1000), 'second poll()'), first);
    assert.equal(await rejection(c.commit(), 'commit()'), first);
  } finally {
    await c.close();
  }
});

test('fenced group.instance.id: later poll() and commit() calls reject with the same FENCED_INSTANCE_ID error', { timeout: 240_000 }, async () => {
  const env = await ensureKafka();
  const topic = uniqueName('fatal-fenced');
  await createTopic(topic, 2);
  const props = {
    'bootstrap.servers': env.bootstrap, 'group.id': uniqueName('g-fatal-fenced'), 'group.protocol': 'classic',
    'group.instance.id': 'fatal-instance', 'session.timeout.ms': 30_000, 'heartbeat.interval.ms': 300,
    'enable.auto.commit': false, 'gregor.log.level': 'error',
  } as const;
  const first = new Consumer({ ...props, 'client.id': 'first' });
  const second = new Consumer({ ...props, 'client.id': 'second' });
  let stop = false;
  let secondLoop: Promise<void> = Promise.resolve();
  try {
    first.subscribe([topic]);
    const joined = Date.now() + 120_000;
    while (first.assignment().length === 0 && Date.now() < joined) await first.poll(200);
    assert.ok(first.assignment().length > 0, 'the first member joined');
    // The second instance takes the id over; the broker fences the first on its next heartbeat.
    second.subscribe([topic]);
    secondLoop = (async () => {
      while (!stop) await second.poll(200).catch(() => {});
    })();
    let fenced: unknown = null;
    const deadline = Date.now() + 120_000;
    while (fenced === null && Date.now() < deadline) fenced = await first.poll(500).then(() => null, (e: unknown) => e);
    assert.equal((fenced as { errorName?: string } | null)?.errorName, 'FENCED_INSTANCE_ID', String(fenced));
    assert.equal(await rejection(first.poll(500), 'poll() after the fence'), fenced);
    assert.equal(await rejection(first.commit(), 'commit() after the fence'), fenced);
  } finally {
    stop = true;
    await secondLoop;
    await Promise.all([first.close(), second.close()]);
  }
});
