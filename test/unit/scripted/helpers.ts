// Shared by the scripted-broker scenarios: a Consumer configured for a scripted cluster (short waits, so each scenario
// runs in well under a second), and event-driven ways to wait for what it delivers. Nothing here measures time:
// every deadline is a safety net that fails the test with the request log instead of hanging it.

import { Consumer, type Message, type RebalanceListener, type TopicPartition } from '../../../src/index.js';
import { ScriptedCluster } from '../../support/scripted-broker.js';

export { ScriptedCluster, HANG, CLOSE, type Received } from '../../support/scripted-broker.js';

export const TOPIC = 't';
export const GROUP = 'g';

/** A Consumer of the scripted cluster. Short fetch waits and backoffs keep scenarios fast; they are not asserted. */
export function scriptedConsumer(cluster: ScriptedCluster, config: Config = {}): Consumer {
  return new Consumer({
    'bootstrap.servers': cluster.bootstrap,
    'client.id': 'scripted',
    'fetch.max.wait.ms': 50,
    'retry.backoff.ms': 10,
    'retry.backoff.max.ms': 50,
    'reconnect.backoff.ms': 10,
    'reconnect.backoff.max.ms': 50,
    'gregor.log.level': 'error',
    ...config,
  });
}

/**
 * Runs `fn` with a fresh cluster and consumer, and always closes both. The cluster's close() rejects when the scripted
 * broker failed (a handler threw, a request did not decode), so such a failure fails the scenario.
 */
export type Config = Record<string, string | number | boolean>;

export async function scenario(
  setup: (cluster: ScriptedCluster) => void,
  config: Config | ((cluster: ScriptedCluster) => Config),
  fn: (cluster: ScriptedCluster, consumer: Consumer) => Promise<void>,
  nodes: readonly number[] = [1, 2, 3],
): Promise<void> {
  const cluster = await ScriptedCluster.start(nodes);
  let consumer: Consumer | undefined;
  try {
    setup(cluster);
    consumer = scriptedConsumer(cluster, typeof config === 'function' ? config(cluster) : config);
    await fn(cluster, consumer);
  } catch (err) {
    if (err instanceof Error) err.message += `\nrequest log (last 40):\n${cluster.describeLog()}`;
    throw err;
  } finally {
    await consumer?.close().catch(() => {});
    await cluster.close();
  }
}

/** Polls until `count` messages were delivered (the safety deadline fails with what arrived). */
export async function take(consumer: Consumer, count: number, timeoutMs = 10_000): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} messages, got ${out.length}: ${describe(out)}`);
    const m = await consumer.poll(100);
    if (m !== null) out.push(m);
  }
  return out;
}

/** Polls until the consumer rejects (a partition error), failing if a message arrives instead. */
export async function pollError(consumer: Consumer, timeoutMs = 10_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() <= deadline) {
    try {
      const m = await consumer.poll(100);
      if (m !== null) throw new Error(`expected an error, got message ${describe([m])}`);
    } catch (err) {
      return err;
    }
  }
  throw new Error('expected an error from poll(), none came');
}

/** Resolves once `condition` holds, checking after every event-loop turn that may have changed it. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `topic[partition]@offset=value` for each message, to compare deliveries in one assertion. */
export function describe(messages: readonly Message[]): string[] {
  return messages.map((m) => `${m.topic}[${m.partition}]@${m.offset}=${m.valueString()}`);
}

/** What `values` offsets from `from` to `to` (exclusive) of partition 0 look like when delivered. */
export function expected(from: number, to: number, partition = 0, topic = TOPIC): string[] {
  return Array.from({ length: to - from }, (_, i) => `${topic}[${partition}]@${from + i}=v${from + i}`);
}

/** A rebalance listener that records its calls as 'assigned t[0] t[1]', 'revoked t[1]', 'lost t[0]'. */
export function recordingListener(): RebalanceListener & { calls: string[] } {
  const calls: string[] = [];
  const note = (what: string) => (partitions: TopicPartition[]): void => {
    calls.push([what, ...partitions.map((tp) => `${tp.topic}[${tp.partition}]`).sort()].join(' '));
  };
  return { calls, assigned: note('assigned'), revoked: note('revoked'), lost: note('lost') };
}

/**
 * Keeps polling (as an application does; a revoke waits for the message in its hands to be processed, that is for
 * the next poll) until `condition` holds; returns what was delivered meanwhile.
 */
export async function pollUntil(consumer: Consumer, condition: () => boolean, what: string, timeoutMs = 10_000): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached while polling: ${what}`);
    const m = await consumer.poll(20);
    if (m !== null) out.push(m);
  }
  return out;
}
