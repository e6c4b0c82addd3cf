// Classic group protocol acceptance (issue 5) against the real broker: a mixed group of gregor members and Kafka's
// Java console consumer splits the partitions without overlap and consumes everything once, for an EAGER assignor
// (range) and a COOPERATIVE one (cooperative-sticky, KIP-429); and the rebalance time when a member joins, printed
// as a figure (no timed assertion: speed is measured, not asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Consumer, Message, TopicPartition } from '../../../src/index.js';
import { KAFKA_TOOL, createTopic, ensureKafka, kafkaTool, produce, uniqueName } from '../helpers/kafka.js';
import { newConsumer } from '../consumer/env.js';

const PARTITIONS = 6;

function waitFor(check: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

/** Polls in the background (as an application would) and records what the member receives. */
function run(c: Consumer, sink: Message[]): { stop: () => Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const m = await c.poll(200);
      if (m !== null) sink.push(m);
    }
  })();
  return { stop: async () => { stopped = true; await loop; } };
}

const key = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;

/** Partitions of `topic` per client id, as `consumer-groups --describe --members --verbose` prints them. */
async function describedAssignment(bootstrap: string, group: string, topic: string): Promise<{ byClient: Map<string, string[]>; text: string }> {
  const d = await kafkaTool('consumer-groups', ['--bootstrap-server', bootstrap, '--describe', '--members', '--verbose', '--group', group], { check: false });
  const byClient = new Map<string, string[]>();
  for (const line of d.stdout.split('\n')) {
    const client = /\b(gregor-[ab]|java-member)\b/.exec(line)?.[1];
    if (client === undefined) continue;
    const parts = [...new Set([...line.matchAll(new RegExp(`${topic}:([\\d,]+)`, 'g'))]
      .flatMap((m) => m[1]!.split(',').map((p) => `${topic}:${p}`)))];
    byClient.set(client, parts);
  }
  return { byClient, text: d.stdout + d.stderr };
}

const STRATEGIES = [
  { gregor: 'cooperative-sticky', java: 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor' },
  { gregor: 'range', java: 'org.apache.kafka.clients.consumer.RangeAssignor' },
] as const;

for (const strategy of STRATEGIES) {
  test(`classic mixed group (${strategy.gregor}): two gregor members and a Java console consumer split the partitions and consume everything once`, async () => {
    const env = await ensureKafka();
    const topic = uniqueName('mixed');
    const group = uniqueName('gmixed');
    await createTopic(topic, PARTITIONS);
    const props = {
      'group.id': group, 'group.protocol': 'classic', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 10_000,
      'heartbeat.interval.ms': 500, 'partition.assignment.strategy': strategy.gregor,
    };
    const a = await newConsumer({ ...props, 'client.id': 'gregor-a' });
    const b = await newConsumer({ ...props, 'client.id': 'gregor-b' });
    const gotA: Message[] = [];
    const gotB: Message[] = [];
    a.subscribe([topic]);
    b.subscribe([topic]);
    const runA = run(a, gotA);
    const runB = run(b, gotB);
    const java = spawn(KAFKA_TOOL, ['console-consumer', '--bootstrap-server', env.bootstrap, '--topic', topic, '--group', group,
      '--from-beginning', '--consumer-property', 'group.protocol=classic', '--consumer-property', 'client.id=java-member',
      '--consumer-property', `partition.assignment.strategy=${strategy.java}`,
      '--consumer-property', 'session.timeout.ms=10000', '--consumer-property', 'heartbeat.interval.ms=500',
      '--consumer-property', 'auto.commit.interval.ms=200'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let javaOut = '';
    let javaErr = '';
    java.stdout.on('data', (d: Buffer) => { javaOut += d.toString(); });
    java.stderr.on('data', (d: Buffer) => { javaErr += d.toString(); });
    const javaValues = (): string[] => javaOut.split('\n').filter((l) => l.startsWith('v'));
    try {
      // Wait until Kafka's view and the gregor members' own view agree on a three-way split covering every partition.
      let view = { byClient: new Map<string, string[]>(), text: '' };
      const settled = (): boolean => {
        const mineA = a.assignment().map(key);
        const mineB = b.assignment().map(key);
        const javaParts = view.byClient.get('java-member') ?? [];
        const all = [...mineA, ...mineB, ...javaParts];
        return mineA.length > 0 && mineB.length > 0 && javaParts.length > 0 && all.length === PARTITIONS && new Set(all).size === PARTITIONS
          && [...(view.byClient.get('gregor-a') ?? [])].sort().join() === [...mineA].sort().join()
          && [...(view.byClient.get('gregor-b') ?? [])].sort().join() === [...mineB].sort().join();
      };
      const deadline = Date.now() + 120_000;
      while (!settled()) {
        if (Date.now() > deadline) assert.fail(`no settled three-way split: a=${a.assignment().map(key).join()} b=${b.assignment().map(key).join()}\n${view.text}\n${javaErr}`);
        await new Promise((r) => setTimeout(r, 500));
        view = await describedAssignment(env.bootstrap, group, topic);
      }
      const ownedA = new Set(a.assignment().map(key));
      const ownedB = new Set(b.assignment().map(key));
      const ownedJava = new Set(view.byClient.get('java-member'));
      console.log(`# ${strategy.gregor}: gregor-a ${[...ownedA].map((k) => k.split(':')[1]).join(',')} | gregor-b ${[...ownedB].map((k) => k.split(':')[1]).join(',')} | java ${[...ownedJava].map((k) => k.split(':')[1]).join(',')}`);

      const COUNT = 3000;
      await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
      await waitFor(() => gotA.length + gotB.length + javaValues().length >= COUNT, 'every record to be consumed');
      await new Promise((r) => setTimeout(r, 1500)); // anything delivered twice would show up now
      for (const m of gotA) assert.ok(ownedA.has(key(m)), `gregor-a received ${key(m)} it does not own`);
      for (const m of gotB) assert.ok(ownedB.has(key(m)), `gregor-b received ${key(m)} it does not own`);
      const all = [...gotA.map((m) => m.valueString()), ...gotB.map((m) => m.valueString()), ...javaValues()];
      assert.equal(new Set(all).size, COUNT, 'together they consumed everything');
      assert.equal(all.length, COUNT, 'no record twice');
      assert.ok(javaValues().length > 0 && gotA.length > 0 && gotB.length > 0, 'each member consumed its share');
      console.log(`# ${strategy.gregor}: records gregor-a ${gotA.length}, gregor-b ${gotB.length}, java ${javaValues().length} (total ${all.length} of ${COUNT})`);
    } finally {
      java.kill('SIGTERM');
      await runA.stop();
      await runB.stop();
      await Promise.all([a.close(), b.close()]);
    }
  });
}
