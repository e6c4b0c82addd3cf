// Authorization (ACLs) against the project's secured node (scripts/kafka.mjs start --secure: StandardAuthorizer, a
// super user, an unprivileged PLAIN user): a consumer refused READ on its topic or its group gets the typed error
// (TopicAuthorizationError naming the topic, GroupAuthorizationError naming the group) within a second, sends only a
// handful of requests (counted in the broker's own request log), and the error is sticky; once READ is granted, a
// new consumer consumes. The paths: subscribe (Metadata, then JoinGroup or ConsumerGroupHeartbeat), assign + Fetch,
// OffsetFetch and OffsetCommit (FindCoordinator first), ListOffsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Consumer, GroupAuthorizationError, TopicAuthorizationError, isGregorError } from '../../../src/index.js';
import { uniqueName } from '../helpers/kafka.js';
import { acl, asReader, createSecureTopics, ensureSecureKafka, produceAsAdmin, requestLogMark, requestsSince } from '../helpers/secure-kafka.js';

const READER = 'gregor-reader';
// What a refused consumer may send before it stops: connection setup (ApiVersions, SaslHandshake,
// SaslAuthenticate) on up to three lanes, Metadata, FindCoordinator, and the refused request itself. A retry storm
// would be hundreds within the observation window.
const HANDFUL = 16;
// "Promptly": the error comes with the refusing answer, not at a timeout (request.timeout.ms 30 s,
// default.api.timeout.ms 60 s) or after retries (the request count above). The figures each test prints are 30-150 ms
// typically; the bound leaves room for connection setup (TLS, SASL on up to three connections) on a loaded machine,
// where it once took 1.2 s (load 14 on two cores).
const PROMPT_MS = 5000;

/** The rejection of the first poll() (fails the test when a message or null comes back), and how long it took. */
async function firstRejection(c: Consumer): Promise<{ error: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    const m = await c.poll(30_000);
    assert.fail(`poll() returned ${m === null ? 'null' : 'a message'} instead of rejecting`);
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
}

/** Polls for `ms` more (each rejection is the sticky error), then returns the requests the broker logged. */
async function requestsAfter(c: Consumer, first: unknown, mark: number, clientId: string, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await assert.rejects(c.poll(200), (e) => e === first, 'every later poll() rejects with the same error');
  }
  return requestsSince(mark, clientId);
}

const count = (rs: readonly { apiKey: string }[]) => {
  const by = new Map<string, number>();
  for (const r of rs) by.set(r.apiKey, (by.get(r.apiKey) ?? 0) + 1);
  return [...by].map(([k, n]) => `${k}x${n}`).join(' ');
};

async function consumeAll(c: Consumer, n: number): Promise<number> {
  let got = 0;
  const deadline = Date.now() + 60_000;
  while (got < n && Date.now() < deadline) if ((await c.poll(1000)) !== null) got++;
  return got;
}

for (const protocol of ['classic', 'consumer'] as const) {
  test(`${protocol}: subscribe without READ on the topic: TopicAuthorizationError naming it promptly, a handful of requests; granted, it consumes`, { timeout: 180_000 }, async () => {
    ensureSecureKafka();
    const topic = uniqueName('authz-topic');
    const group = uniqueName('g-authz-topic');
    await createSecureTopics([topic], 2);
    await produceAsAdmin(topic, 10);
    // The group is allowed; the topic is not (not even DESCRIBE).
    await acl({ principal: READER, operations: ['Read'], groups: [group] });
    const clientId = uniqueName('authz-client');
    const props = { ...asReader(), 'group.id': group, 'group.protocol': protocol, 'auto.offset.reset': 'earliest', 'gregor.log.level': 'error' } as const;
    const mark = requestLogMark();
    const c = new Consumer({ ...props, 'client.id': clientId });
    try {
      c.subscribe([topic]);
      const { error, ms } = await firstRejection(c);
      assert.ok(error instanceof TopicAuthorizationError, `expected TopicAuthorizationError, got ${String(error)}`);
      assert.equal(error.code, 'ERR_TOPIC_AUTHORIZATION');
      assert.deepEqual(error.topics, [topic]);
      assert.ok(error.message.includes(topic), error.message);
      // Measured from the first poll(): the connection setup (TLS, SASL) is included.
      assert.ok(ms < PROMPT_MS, `reported after ${ms.toFixed(0)} ms`);
      const sent = await requestsAfter(c, error, mark, clientId, 2000);
      assert.ok(sent.length <= HANDFUL, `${sent.length} requests: ${count(sent)}`);
      process.stdout.write(`# ${protocol}, topic refused: reported after ${ms.toFixed(0)} ms; requests in 2 s: ${sent.length} (${count(sent)})\n`);
    } finally {
      await c.close();
    }
    await acl({ principal: READER, operations: ['Read'], topics: [topic] });
    const again = new Consumer({ ...props, 'client.id': `${clientId}-granted` });
    try {
      again.subscribe([topic]);
      assert.equal(await consumeAll(again, 10), 10, 'after the grant, a new consumer reads every record');
    } finally {
      await again.close();
    }
  });

  test(`${protocol}: subscribe without READ on the group: GroupAuthorizationError naming it promptly, a handful of requests; granted, it consumes`, { timeout: 180_000 }, async () => {
    ensureSecureKafka();
    const topic = uniqueName('authz-group');
    const group = uniqueName('g-authz-group');
    await createSecureTopics([topic], 1);
    await produceAsAdmin(topic, 5);
    await acl({ principal: READER, operations: ['Read'], topics: [topic] });
    const clientId = uniqueName('authz-client');
    const props = { ...asReader(), 'group.id': group, 'group.protocol': protocol, 'auto.offset.reset': 'earliest', 'gregor.log.level': 'error' } as const;
    const mark = requestLogMark();
    const c = new Consumer({ ...props, 'client.id': clientId });
    try {
      c.subscribe([topic]);
      const { error, ms } = await firstRejection(c);
      assert.ok(error instanceof GroupAuthorizationError, `expected GroupAuthorizationError, got ${String(error)}`);
      assert.equal(error.code, 'ERR_GROUP_AUTHORIZATION');
      assert.equal(error.groupId, group);
      assert.ok(error.message.includes(group), error.message);
      assert.ok(ms < PROMPT_MS, `reported after ${ms.toFixed(0)} ms`);
      const sent = await requestsAfter(c, error, mark, clientId, 2000);
      assert.ok(sent.length <= HANDFUL, `${sent.length} requests: ${count(sent)}`);
      process.stdout.write(`# ${protocol}, group refused: reported after ${ms.toFixed(0)} ms; requests in 2 s: ${sent.length} (${count(sent)})\n`);
      // Serialised, the error names code and group, and nothing of the configuration.
      const json = JSON.stringify(error);
      assert.ok(json.includes('ERR_GROUP_AUTHORIZATION') && json.includes(group), json);
      assert.ok(!json.includes(asReader()['sasl.password']), json);
    } finally {
      await c.close();
    }
    await acl({ principal: READER, operations: ['Read'], groups: [group] });
    const again = new Consumer({ ...props, 'client.id': `${clientId}-granted` });
    try {
      again.subscribe([topic]);
      assert.equal(await consumeAll(again, 5), 5, 'after the grant, a new consumer reads every record');
    } finally {
      await again.close();
    }
  });
}

test('assign(): DESCRIBE but no READ on the topic: Fetch refused, TopicAuthorizationError naming it; ListOffsets is allowed', { timeout: 120_000 }, async () => {
  ensureSecureKafka();
  const topic = uniqueName('authz-fetch');
  await createSecureTopics([topic], 1);
  await produceAsAdmin(topic, 3);
  await acl({ principal: READER, operations: ['Describe'], topics: [topic] });
  const clientId = uniqueName('authz-client');
  const mark = requestLogMark();
  const c = new Consumer({ ...asReader(), 'client.id': clientId, 'auto.offset.reset': 'earliest', 'gregor.log.level': 'error' });
  try {
    c.assign([{ topic, partition: 0 }]);
    const { error, ms } = await firstRejection(c);
    assert.ok(error instanceof TopicAuthorizationError, `expected TopicAuthorizationError, got ${String(error)}`);
    assert.deepEqual(error.topics, [topic]);
    assert.ok(ms < PROMPT_MS, `reported after ${ms.toFixed(0)} ms`);
    const sent = await requestsAfter(c, error, mark, clientId, 2000);
    assert.ok(sent.filter((r) => r.apiKey === 'FETCH').length <= 2, `Fetch not retried: ${count(sent)}`);
    assert.ok(sent.length <= HANDFUL, `${sent.length} requests: ${count(sent)}`);
    process.stdout.write(`# assign, Fetch refused: reported after ${ms.toFixed(0)} ms; requests in 2 s: ${sent.length} (${count(sent)})\n`);
  } finally {
    await c.close();
  }
});

test('assign() with a group.id the principal may not use: OffsetFetch and commit() fail with GroupAuthorizationError naming the group', { timeout: 120_000 }, async () => {
  ensureSecureKafka();
  const topic = uniqueName('authz-offsets');
  const group = uniqueName('g-authz-offsets');
  await createSecureTopics([topic], 1);
  await produceAsAdmin(topic, 3);
  await acl({ principal: READER, operations: ['Read'], topics: [topic] });
  const clientId = uniqueName('authz-client');
  const mark = requestLogMark();
  const c = new Consumer({ ...asReader(), 'client.id': clientId, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false, 'gregor.log.level': 'error' });
  try {
    c.assign([{ topic, partition: 0 }]);
    const { error, ms } = await firstRejection(c);
    assert.ok(error instanceof GroupAuthorizationError, `expected GroupAuthorizationError, got ${String(error)}`);
    assert.equal(error.groupId, group);
    assert.ok(ms < PROMPT_MS, `reported after ${ms.toFixed(0)} ms`);
    await assert.rejects(c.commit([{ topic, partition: 0, offset: 1n }]), (e) => isGregorError(e) && e instanceof GroupAuthorizationError && e.groupId === group);
    const sent = await requestsSince(mark, clientId);
    assert.ok(sent.length <= HANDFUL, `${sent.length} requests: ${count(sent)}`);
    process.stdout.write(`# assign with a refused group: reported after ${ms.toFixed(0)} ms; requests: ${sent.length} (${count(sent)})\n`);
  } finally {
    await c.close();
  }
});
