// The embedded consumer protocol as Kafka's Java consumer really writes it: two Java console consumers join a
// group on the real broker; DescribeGroups hands back each member's Subscription (its JoinGroup metadata for the
// elected protocol) and Assignment bytes, exactly as the broker stored them; gregor decodes them, and gregor's
// assignor, given those subscriptions, produces an assignment the Java members would accept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { assignors, decodeCooperativeStickyUserData } from '../../../src/consumer/group/assignors/index.js';
import { checkAssignment } from '../../support/assignment-check.js';
import type { AssignorMember } from '../../../src/consumer/group/assignors/index.js';
import { decodeAssignment, decodeSubscription } from '../../../src/protocol/consumer-protocol.js';
import { ApiKey, errorName } from '../../../src/protocol/index.js';
import { KAFKA_TOOL, ROOT, createTopic, deleteTopic, ensureKafka, uniqueName } from '../helpers/kafka.js';
import { RawBroker, until } from '../protocol/raw-broker.js';

const PARTITIONS = 5;
let broker: RawBroker;
let bootstrap = '';
const topic = uniqueName('java-metadata');
const consumers: ChildProcess[] = [];

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  await createTopic(topic, PARTITIONS);
  broker = await RawBroker.plaintext();
});

after(async () => {
  for (const c of consumers) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  broker?.close();
  await deleteTopic(topic).catch(() => undefined);
});

/** A Java console consumer in `group`, killed at the end of the file. */
function javaConsumer(group: string, properties: Record<string, string>): ChildProcess {
  const args = ['console-consumer', '--bootstrap-server', bootstrap, '--topic', topic, '--group', group];
  for (const [k, v] of Object.entries(properties)) args.push('--consumer-property', `${k}=${v}`);
  const child = spawn(KAFKA_TOOL, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.resume();
  consumers.push(child);
  return child;
}

async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r).kill('SIGTERM')))),
  );
}

/** DescribeGroups until the group is Stable with `n` members that all have an assignment. */
async function stableGroup(group: string, n: number) {
  const r = await until(
    () => broker.send(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false }),
    (d) => {
      const g = d.groups[0];
      if (!(g.errorCode === 0 && g.groupState === 'Stable' && g.members.length === n && g.members.every((m) => m.memberAssignment.length > 0))) return false;
      // Every partition assigned: a cooperative rebalance takes two rounds (KIP-429: the first revokes what moves, the
      // second assigns it), and the group is Stable in between with the moving partitions assigned to nobody (seen in
      // CI: a new member with nothing, the other with 5 of 5 owned and fewer assigned).
      const assigned = new Set<number>();
      for (const m of g.members) for (const tp of decodeAssignment(m.memberAssignment).assignedPartitions) for (const p of tp.partitions) assigned.add(p);
      return assigned.size === PARTITIONS;
    },
    `group ${group} stable with ${n} members and every partition assigned`,
    240,
  );
  const g = r.groups[0];
  assert.equal(g.errorCode, 0, errorName(g.errorCode));
  return g;
}

test('cooperative-sticky Java members: Subscription v3 with owned partitions, generation, rack and user data', async () => {
  const group = uniqueName('java-coop');
  const props = { 'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor', 'client.rack': 'rack-a' };
  const java = [javaConsumer(group, { ...props, 'group.instance.id': `${group}-static` }), javaConsumer(group, props)];
  const g = await stableGroup(group, 2);
  assert.equal(g.protocolType, 'consumer');
  assert.equal(g.protocolData, 'cooperative-sticky');

  const members: AssignorMember[] = [];
  const seen = new Set<number>();
  for (const m of g.members) {
    const sub = decodeSubscription(m.memberMetadata);
    console.log(`# Java cooperative-sticky subscription: ${m.memberMetadata.toString('hex')}`);
    assert.equal(sub.version, 3);
    assert.equal(sub.trailingBytes, 0);
    assert.deepEqual(sub.topics, [topic]);
    assert.equal(sub.rackId, 'rack-a');
    // CooperativeStickyAssignor's user data is the generation the assignor last saw in onAssignment, while the v2+
    // field is the coordinator's current generation: a member whose SyncGroup was cut short by a new rebalance
    // (seen in CI) writes -1 there with generation 2 in the field. So: a generation no newer than the field's.
    const userDataGeneration = decodeCooperativeStickyUserData(sub.userData!);
    assert.ok(userDataGeneration !== null, 'CooperativeStickyAssignor user data is a 4-byte generation');
    assert.ok(userDataGeneration === -1 || userDataGeneration <= sub.generationId, `user data generation ${userDataGeneration} vs ${sub.generationId}`);
    if (userDataGeneration === -1) assert.deepEqual(sub.ownedPartitions, [], 'no owned partitions without a generation');
    for (const tp of sub.ownedPartitions) assert.equal(tp.topic, topic);

    const asg = decodeAssignment(m.memberAssignment);
    assert.equal(asg.version, 3);
    assert.equal(asg.userData, null);
    for (const tp of asg.assignedPartitions) {
      assert.equal(tp.topic, topic);
      for (const p of tp.partitions) {
        assert.ok(!seen.has(p), `partition ${p} assigned twice`);
        seen.add(p);
      }
    }
    members.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, ...sub });
  }
  assert.equal(seen.size, PARTITIONS, 'the Java members share every partition');
  assert.ok(g.members.some((m) => m.groupInstanceId === `${group}-static`), 'the static member is reported');

  // What gregor would do as the leader of this group right now: valid, and revoke-first.
  const ours = assignors['cooperative-sticky'].assign({ members, partitionsPerTopic: new Map([[topic, PARTITIONS]]) });
  assert.deepEqual(checkAssignment(members, ours, 'COOPERATIVE'), []);
  await stop(java);
});

test("Java's default strategy list (range, cooperative-sticky): range is elected; its Subscription has no user data", async () => {
  const group = uniqueName('java-range');
  const java = [javaConsumer(group, {}), javaConsumer(group, {})];
  const g = await stableGroup(group, 2);
  assert.equal(g.protocolData, 'range');
  const members: AssignorMember[] = g.members.map((m) => {
    const sub = decodeSubscription(m.memberMetadata);
    console.log(`# Java range subscription: ${m.memberMetadata.toString('hex')}`);
    assert.equal(sub.version, 3);
    assert.deepEqual(sub.topics, [topic]);
    assert.equal(sub.userData, null);
    assert.equal(sub.rackId, null);
    return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, ...sub };
  });
  // gregor's range over the same members gives exactly what the Java leader gave.
  const ours = assignors.range.assign({ members, partitionsPerTopic: new Map([[topic, PARTITIONS]]) });
  for (const m of g.members) assert.deepEqual(ours.get(m.memberId), decodeAssignment(m.memberAssignment).assignedPartitions, m.memberId);
  await stop(java);
});
