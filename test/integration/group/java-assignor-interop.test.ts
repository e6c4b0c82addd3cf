// gregor's assignors and consumer protocol codec against Kafka's Java client code itself (kafka-clients 4.3.1, the
// jar the test harness downloads), on the same random inputs. No broker needed, but Java and the jars are.
//   range, roundrobin:          identical assignments (including static members and KIP-881 racks for range)
//   sticky, cooperative-sticky: both outputs valid, balanced and (cooperative) revoke-first; stickiness compared
//   Subscription / Assignment:  Java's bytes == gregor's bytes at v0..v3; each side decodes the other's bytes
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assignors, encodeStickyUserData } from '../../../src/consumer/group/assignors/index.js';
import { checkAssignment } from '../../support/assignment-check.js';
import type { AssignorMember, GroupAssignment, PartitionInfo } from '../../../src/consumer/group/assignors/index.js';
import { decodeSubscription, encodeAssignment, encodeSubscription } from '../../../src/protocol/consumer-protocol.js';
import {
  checkBalanced,
  checkComplete,
  flatten,
  group,
  int,
  optimalRetained,
  pick,
  prng,
  randomGroup,
  retained,
  trustedOwners,
} from '../../unit/assignors/helpers.js';
import { ROOT, kafkaJars } from '../helpers/kafka.js';

function classpath(): string {
  const { lib } = kafkaJars();
  const jars = readdirSync(lib).filter((f) => /^(kafka-clients|slf4j-api)-.*\.jar$/.test(f));
  assert.equal(jars.length, 2, `kafka-clients and slf4j-api jars in ${lib}`);
  return jars.map((j) => join(lib, j)).join(':');
}

/** Runs all commands through one JVM; returns its output lines. */
function oracle(commands: string[]): string[] {
  const r = spawnSync('java', ['-cp', classpath(), join(ROOT, 'test', 'integration', 'group', 'AssignorOracle.java')], {
    input: commands.join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.error, undefined, `java could not be started: ${String(r.error)}`);
  assert.equal(r.status, 0, `AssignorOracle failed:\n${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

const orDash = (s: string | null | undefined): string => (s == null || s === '' ? '-' : s);
const hexOf = (b: Uint8Array | null | undefined): string => (b == null ? '-' : b.length === 0 ? 'empty' : Buffer.from(b).toString('hex'));

interface Case {
  assignor: keyof typeof assignors;
  members: AssignorMember[];
  ppt: Map<string, PartitionInfo[]>;
  identical: boolean;
}

function withRacks(rnd: () => number, counts: Map<string, number>, racked: boolean): Map<string, PartitionInfo[]> {
  const out = new Map<string, PartitionInfo[]>();
  for (const [t, n] of counts) {
    const topicRacked = racked && rnd() < 0.8;
    out.set(
      t,
      Array.from({ length: n }, (_, partition) => {
        if (!topicRacked) return { partition };
        const racks = ['r0', 'r1', 'r2'].filter(() => rnd() < 0.4);
        return { partition, replicaRacks: racks.length > 0 ? racks : [pick(rnd, ['r0', 'r1', 'r2'])] };
      }),
    );
  }
  return out;
}

function makeCase(assignor: Case['assignor'], seed: number): Case {
  const rnd = prng(seed);
  // Java's general sticky algorithm (different subscriptions) is slow on large groups: keep those groups smaller.
  const sticky = assignor === 'sticky' || assignor === 'cooperative-sticky';
  const g = randomGroup(rnd, sticky ? { maxMembers: 12, maxPartitions: 16 } : {});
  const racked = rnd() < 0.4;
  const members = g.members.map((m) => ({ ...m, rackId: racked && rnd() < 0.8 ? pick(rnd, ['r0', 'r1', 'r2', 'r9']) : null }));
  if (assignor === 'cooperative-sticky') {
    // A cooperative Java member revokes the partitions of topics it unsubscribed before it rejoins, so it never
    // lists them (and Java's assignor does not cope when one does: it can leave them with that member).
    for (const m of members) m.ownedPartitions = (m.ownedPartitions ?? []).filter((tp) => m.topics.includes(tp.topic));
  }
  if (assignor === 'sticky') {
    // Eager: the previous assignment travels in the user data; the Subscription fields are empty.
    for (const m of members) {
      m.userData = rnd() < 0.1 ? null : encodeStickyUserData(m.ownedPartitions ?? [], m.generationId ?? -1);
      m.ownedPartitions = [];
    }
  }
  return { assignor, members, ppt: withRacks(rnd, g.partitionsPerTopic, racked), identical: g.identical };
}

function commandsFor(c: Case): string[] {
  const lines: string[] = [];
  for (const [t, ps] of c.ppt) {
    // Java's client passes its assignor the subscribed topics only (AbstractPartitionAssignor.assign); its sticky
    // assignors misbehave when given others, so the oracle gets exactly those.
    if (!c.members.some((m) => m.topics.includes(t))) continue;
    const racks = ps.some((p) => p.replicaRacks !== undefined) ? ps.map((p) => (p.replicaRacks ?? []).join('/')).join(';') : '-';
    lines.push(`TOPIC ${t} ${ps.length} ${racks}`);
  }
  for (const m of c.members) {
    const owned = flatten(m.ownedPartitions);
    lines.push(
      `MEMBER ${m.memberId} ${orDash(m.groupInstanceId)} ${orDash(m.rackId)} ${m.generationId ?? -1} ${m.topics.join(',') || '-'} ${owned.join(',') || '-'} ${hexOf(m.userData)}`,
    );
  }
  lines.push(`ASSIGN ${c.assignor}`);
  return lines;
}

function runCases(cases: Case[]): { ours: GroupAssignment; java: GroupAssignment }[] {
  const out = oracle(cases.flatMap(commandsFor));
  const results: { ours: GroupAssignment; java: GroupAssignment }[] = [];
  let java: GroupAssignment = new Map();
  for (const line of out) {
    if (line === 'END') {
      const c = cases[results.length];
      const ours = assignors[c.assignor].assign({ members: c.members, partitionsPerTopic: c.ppt });
      results.push({ ours, java });
      java = new Map();
      continue;
    }
    const [tag, id, parts] = line.split(' ');
    assert.equal(tag, 'M', `oracle line ${line}`);
    java.set(id, parts === '-' ? [] : group(parts.split(',')));
  }
  assert.equal(results.length, cases.length, 'one answer per case');
  return results;
}

const norm = (a: GroupAssignment): Record<string, string[]> => Object.fromEntries([...a].map(([id, l]) => [id, flatten(l).sort()]));
const counts = (ppt: Map<string, PartitionInfo[]>) => new Map([...ppt].map(([t, ps]) => [t, ps.length]));
const CASES = Number(process.env.GREGOR_INTEROP_CASES ?? 150);

test('range and roundrobin: the same assignment as the Java client', () => {
  const cases: Case[] = [];
  for (let seed = 1; seed <= CASES; seed++) cases.push(makeCase('range', seed), makeCase('roundrobin', 10_000 + seed));
  const results = runCases(cases);
  let racked = 0;
  results.forEach(({ ours, java }, i) => {
    if (cases[i].members.some((m) => m.rackId)) racked++;
    assert.deepEqual(norm(ours), norm(java), `${cases[i].assignor} case ${i}`);
  });
  assert.ok(racked > 0, 'some cases exercised KIP-881 racks');
});

/** Runs a checker on the Java client's output; false (not a throw) when the Java client's answer is invalid. */
function javaPasses(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

test('sticky and cooperative-sticky: valid, balanced and as sticky as the Java client', () => {
  const cases: Case[] = [];
  for (let seed = 1; seed <= CASES; seed++) cases.push(makeCase('sticky', 20_000 + seed), makeCase('cooperative-sticky', 30_000 + seed));
  const results = runCases(cases);
  const blank = () => ({ cases: 0, ours: 0, java: 0, javaInvalid: 0, javaUnbalanced: 0, heldOurs: 0, heldJava: 0 });
  const stats = { sticky: blank(), 'cooperative-sticky': blank() };
  results.forEach(({ ours, java }, i) => {
    const c = cases[i];
    const cooperative = c.assignor === 'cooperative-sticky';
    const s = stats[c.assignor as 'sticky' | 'cooperative-sticky'];
    const ppt = counts(c.ppt);
    const label = `${c.assignor} case ${i}`;
    const all = [...ppt].filter(([t]) => c.members.some((m) => m.topics.includes(t))).reduce((n, [, k]) => n + k, 0);
    // Previous ownership as the checkers see it; for eager members, decoded from the user data independently.
    const claims = cooperative ? c.members : c.members.map((m) => ({ ...m, ...stickyFields(m) }));
    const trusted = trustedOwners(claims, ppt);

    // gregor: always valid and balanced; revoke-first under COOPERATIVE; the optimum with identical subscriptions.
    const ownersOurs = checkComplete(c.members, c.ppt, ours, cooperative);
    if (cooperative) assert.deepEqual(checkAssignment(c.members, ours, 'COOPERATIVE'), [], label);
    else checkBalanced(c.members, ours);
    if (c.identical && !cooperative) assert.equal(retained(trusted, ownersOurs), optimalRetained(c.members, all, trusted), `${label}: optimum`);

    // Java: compare only where its own answer is valid (see the report in the test output).
    let ownersJava = new Map<string, string>();
    const valid = javaPasses(() => {
      ownersJava = checkComplete(c.members, c.ppt, java, cooperative);
      if (cooperative) assert.deepEqual(checkAssignment(c.members, java, 'COOPERATIVE'), []);
    });
    if (!valid) {
      s.javaInvalid++;
      return;
    }
    if (!cooperative && !javaPasses(() => checkBalanced(c.members, java))) s.javaUnbalanced++;
    s.cases++;
    s.ours += retained(trusted, ownersOurs);
    s.java += retained(trusted, ownersJava);
    s.heldOurs += all - ownersOurs.size;
    s.heldJava += all - ownersJava.size;
  });
  console.log(`# partitions kept where they were, over the groups where Java's answer is valid: ${JSON.stringify(stats)}`);
  for (const s of Object.values(stats)) {
    assert.ok(s.cases > CASES * 0.8, 'most groups compared');
    assert.ok(s.ours >= s.java, `gregor kept ${s.ours}, the Java client ${s.java}`);
  }
});

/** The eager member's claims as Subscription fields, decoded from its sticky user data, for the checkers. */
function stickyFields(m: AssignorMember): Pick<AssignorMember, 'ownedPartitions' | 'generationId'> {
  if (m.userData == null) return { ownedPartitions: [], generationId: -1 };
  const b = Buffer.from(m.userData);
  let at = 0;
  const n = b.readInt32BE(at);
  at += 4;
  const owned = [];
  for (let i = 0; i < n; i++) {
    const len = b.readInt16BE(at);
    const topic = b.toString('utf8', at + 2, at + 2 + len);
    at += 2 + len;
    const k = b.readInt32BE(at);
    at += 4;
    const partitions = [];
    for (let j = 0; j < k; j++, at += 4) partitions.push(b.readInt32BE(at));
    owned.push({ topic, partitions });
  }
  return { ownedPartitions: owned, generationId: b.readInt32BE(at) };
}

test('consumer protocol: Java and gregor write the same bytes and read each other\'s', () => {
  const rnd = prng(424242);
  const subs = Array.from({ length: 100 }, () => {
    const topics = Array.from({ length: int(rnd, 0, 4) }, (_, i) => `topic-${i}-${int(rnd, 0, 99)}`);
    const owned = group(new Set(Array.from({ length: int(rnd, 0, 6) }, () => `${pick(rnd, ['a', 'b', 'c'])}:${int(rnd, 0, 40)}`)));
    const userData = rnd() < 0.3 ? null : Buffer.from(Array.from({ length: int(rnd, 0, 8) }, () => int(rnd, 0, 255)));
    return { topics: [...new Set(topics)], ownedPartitions: owned, generationId: rnd() < 0.3 ? -1 : int(rnd, 0, 1000), rackId: rnd() < 0.5 ? null : `rack-${int(rnd, 0, 3)}`, userData };
  });
  const commands: string[] = [];
  const expected: string[] = [];
  for (const s of subs) {
    for (let v = 0; v <= 3; v++) {
      commands.push(`SERSUB ${v} ${s.topics.join(',') || '-'} ${flatten(s.ownedPartitions).join(',') || '-'} ${s.generationId} ${orDash(s.rackId)} ${hexOf(s.userData)}`);
      expected.push(`HEX ${encodeSubscription(s, v).toString('hex')}`);
      const d = decodeSubscription(encodeSubscription(s, v));
      commands.push(`DESUB ${encodeSubscription(s, v).toString('hex')}`);
      const sortedTopics = [...s.topics].sort();
      expected.push(`SUB ${sortedTopics.join(',') || '-'} ${flatten(d.ownedPartitions).join(',') || '-'} ${d.generationId} ${orDash(d.rackId)} ${hexOf(d.userData)}`);
    }
    const asg = encodeAssignment({ assignedPartitions: s.ownedPartitions, userData: s.userData });
    commands.push(`DEASG ${asg.toString('hex')}`);
    expected.push(`ASG ${flatten(s.ownedPartitions).sort((a, b) => (a.split(':')[0] === b.split(':')[0] ? Number(a.split(':')[1]) - Number(b.split(':')[1]) : a < b ? -1 : 1)).join(',') || '-'} ${hexOf(s.userData)}`);
  }
  const answers = oracle(commands);
  assert.equal(answers.length, expected.length);
  answers.forEach((a, i) => assert.equal(a, expected[i], commands[i]));
});
