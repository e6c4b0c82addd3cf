// Issue 5 acceptance: "a handler slower than the heartbeat interval, but within max.poll.interval.ms, causes no
// rebalance" - for the classic protocol and for KIP-848. Heartbeats run on their own timer, so a member whose
// handler takes longer than the heartbeat interval - longer than the whole session timeout, even - keeps its
// partitions, and so does the other member of the group. Classic uses range (EAGER): any rebalance would revoke
// every partition of both members, so "no revoke" means "no rebalance"; KIP-848 also shows the coordinator's member
// epochs unchanged (a rebalance, or a fenced member, moves them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, TopicPartition } from '../../../src/index.js';
import { ApiKey, supportedVersions } from '../../../src/protocol/index.js';
import { createTopic, produce, uniqueName } from '../helpers/kafka.js';
import { newConsumer } from '../consumer/env.js';
import { RawBroker } from '../protocol/raw-broker.js';
import { idle, kip848GroupTimeouts, partitionsOf, run, sleep, waitFor } from './support.js';

const SESSION_TIMEOUT_MS = 4000;
/** Each message takes this long: several heartbeat intervals, and more than the session timeout. */
const HANDLER_MS = SESSION_TIMEOUT_MS + 500;
const SLOW_MESSAGES = 2;

/** Member epochs per client id and the group epoch, as the KIP-848 coordinator reports them. */
async function epochs(broker: RawBroker, group: string): Promise<string> {
  const res = await broker.send(ApiKey.ConsumerGroupDescribe, supportedVersions(ApiKey.ConsumerGroupDescribe).max, { groupIds: [group], includeAuthorizedOperations: false });
  const g = res.groups[0]!;
  return `group ${g.groupEpoch}; ${g.members.map((m) => `${m.clientId} ${m.memberEpoch}`).sort().join(', ')}`;
}

for (const protocol of ['classic', 'consumer'] as const) {
  test(`${protocol === 'classic' ? 'classic (range)' : 'KIP-848'}: a handler slower than the heartbeat interval and the session timeout, within max.poll.interval.ms, causes no rebalance`, async () => {
    const topic = uniqueName('slowhandler');
    const group = uniqueName('gslow');
    await createTopic(topic, 4);
    const props: Record<string, unknown> = { 'group.id': group, 'group.protocol': protocol, 'auto.offset.reset': 'earliest', 'max.poll.interval.ms': 60_000 };
    if (protocol === 'classic') {
      Object.assign(props, { 'session.timeout.ms': SESSION_TIMEOUT_MS, 'heartbeat.interval.ms': 500, 'partition.assignment.strategy': 'range' });
    } else {
      await kip848GroupTimeouts(group, SESSION_TIMEOUT_MS, 250);
    }
    const slow = await newConsumer({ ...props, 'client.id': 'slow' });
    const fast = await newConsumer({ ...props, 'client.id': 'fast' });
    const broker = protocol === 'consumer' ? await RawBroker.plaintext() : null;
    const events: string[] = [];
    const listener = (name: string) => ({
      assigned: (p: TopicPartition[]) => { events.push(`${name} assigned ${partitionsOf(p).join(',')}`); },
      revoked: (p: TopicPartition[]) => { events.push(`${name} revoked ${partitionsOf(p).join(',')}`); },
      lost: (p: TopicPartition[]) => { events.push(`${name} lost ${partitionsOf(p).join(',')}`); },
    });
    slow.subscribe([topic], listener('slow'));
    fast.subscribe([topic], listener('fast'));
    const gotFast: Message[] = [];
    const runFast = run(fast, gotFast);
    // Until the split settles, the slow member polls like any other.
    const gotSlow: Message[] = [];
    const runSlow = run(slow, gotSlow);
    try {
      await waitFor(() => slow.assignment().length === 2 && fast.assignment().length === 2, 'slow and fast to own two partitions each');
      let epochsBefore = '';
      if (broker !== null) {
        // Settled for the coordinator too: the same epochs twice, a heartbeat interval apart.
        for (let last = ''; ; last = epochsBefore) {
          epochsBefore = await epochs(broker, group);
          if (epochsBefore === last) break;
          await sleep(500);
        }
      }
      await runSlow.stop();
      const slowOwned = partitionsOf(slow.assignment());
      const fastOwned = partitionsOf(fast.assignment());
      const eventsBefore = events.length;

      await produce(topic, Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
      const started = Date.now();
      for (let handled = 0; handled < SLOW_MESSAGES;) {
        const m = await slow.poll(30_000);
        assert.ok(m !== null, 'the slow member gets records of its partitions');
        await sleep(HANDLER_MS); // the handler: slower than heartbeat.interval.ms and session.timeout.ms
        handled++;
      }
      const slowFor = Date.now() - started;
      await waitFor(() => gotFast.length > 0, 'the fast member to consume');

      assert.deepEqual(events.slice(eventsBefore), [], 'no revoke, loss or new assignment on either member');
      assert.deepEqual(partitionsOf(slow.assignment()), slowOwned, 'the slow member kept its partitions');
      assert.deepEqual(partitionsOf(fast.assignment()), fastOwned, 'the fast member kept its partitions');
      if (broker !== null) assert.equal(await epochs(broker, group), epochsBefore, 'the coordinator moved no epoch');
      console.log(`# ${protocol}: ${SLOW_MESSAGES} messages handled in ${HANDLER_MS} ms each (${slowFor} ms, session timeout ${SESSION_TIMEOUT_MS} ms): no rebalance${broker !== null ? ` (${epochsBefore})` : ''}`);
    } finally {
      broker?.close();
      await runSlow.stop().catch(() => {});
      await runFast.stop();
      await Promise.all([slow.close(), fast.close()]);
    }
  });
}

for (const protocol of ['classic', 'consumer'] as const) {
  test(`${protocol === 'classic' ? 'classic (range)' : 'KIP-848'}: a member joins while a handler is slower than the session timeout; the rebalance waits for the handler, heartbeats go on, nothing is lost or delivered twice`, async () => {
    const topic = uniqueName('slowjoin');
    const group = uniqueName('gslowjoin');
    await createTopic(topic, 2);
    const props: Record<string, unknown> = { 'group.id': group, 'group.protocol': protocol, 'auto.offset.reset': 'earliest', 'max.poll.interval.ms': 60_000 };
    if (protocol === 'classic') {
      Object.assign(props, { 'session.timeout.ms': SESSION_TIMEOUT_MS, 'heartbeat.interval.ms': 500, 'partition.assignment.strategy': 'range' });
    } else {
      await kip848GroupTimeouts(group, SESSION_TIMEOUT_MS, 250);
    }
    const COUNT = 20;
    const slow = await newConsumer({ ...props, 'client.id': 'slow' });
    const joiner = await newConsumer({ ...props, 'client.id': 'joiner' });
    const events: string[] = [];
    const listener = (name: string) => ({
      assigned: (p: TopicPartition[]) => { events.push(`${name} assigned ${partitionsOf(p).join(',')}`); },
      revoked: (p: TopicPartition[]) => { events.push(`${name} revoked ${partitionsOf(p).join(',')}`); },
      lost: (p: TopicPartition[]) => { events.push(`${name} lost ${partitionsOf(p).join(',')}`); },
    });
    slow.subscribe([topic], listener('slow'));
    const gotSlow: Message[] = [];
    const gotJoiner: Message[] = [];
    // Had the slow member's session expired, the joiner would have been given both partitions at some point.
    let joinerMost = 0;
    const joinerListener = { ...listener('joiner'), assigned: (p: TopicPartition[]) => { events.push(`joiner assigned ${partitionsOf(p).join(',')}`); joinerMost = Math.max(joinerMost, joiner.assignment().length); } };
    let runSlow = run(slow, gotSlow);
    let runJoiner = idle; // started once the joiner subscribes, below
    try {
      await waitFor(() => slow.assignment().length === 2, 'the slow member to own both partitions');
      await runSlow.stop();
      await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
      // The slow member takes a record and works on it for more than two session timeouts; a member joins meanwhile.
      const first = await slow.poll(30_000);
      assert.ok(first !== null);
      gotSlow.push(first);
      joiner.subscribe([topic], joinerListener);
      runJoiner = run(joiner, gotJoiner);
      await sleep(2 * SESSION_TIMEOUT_MS + 1000);
      // Done: the next poll lets the revoke commit it and complete.
      runSlow = run(slow, gotSlow);
      const state = (): string => `slow owns ${partitionsOf(slow.assignment()).join(',')} and got ${gotSlow.length}, joiner owns ${partitionsOf(joiner.assignment()).join(',')} and got ${gotJoiner.length}; events: ${events.join(' | ')}`;
      await waitFor(() => slow.assignment().length === 1 && joiner.assignment().length === 1, `one partition each (${state()})`);
      await waitFor(() => gotSlow.length + gotJoiner.length >= COUNT, `every record to be consumed (${state()})`);
      await sleep(1000); // a record delivered twice would arrive by now
      const values = [...gotSlow, ...gotJoiner].map((m) => m.valueString());
      assert.equal(new Set(values).size, COUNT, 'everything consumed');
      assert.equal(values.length, COUNT, `nothing delivered twice (events: ${events.join(' | ')})`);
      assert.ok(!events.some((e) => e.includes('lost')), `no partition lost (events: ${events.join(' | ')})`);
      assert.equal(joinerMost, 1, `the slow member stayed in the group: the joiner never owned both partitions (events: ${events.join(' | ')})`);
      console.log(`# ${protocol}: a member joined while the handler took ${2 * SESSION_TIMEOUT_MS + 1000} ms (session timeout ${SESSION_TIMEOUT_MS} ms): ${events.join(' | ')}`);
    } finally {
      await runSlow.stop();
      await runJoiner.stop();
      await Promise.all([slow.close(), joiner.close()]);
    }
  });
}
