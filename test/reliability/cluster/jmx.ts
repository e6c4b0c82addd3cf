// The brokers' own request metrics, read over JMX with Kafka's JmxTool (`scripts/kafka-tool jmx`): the evidence of
// which broker served a client's requests (R17: fetches from the follower in the client's rack, KIP-392), and how
// many (no busy loop). The three-node cluster of scripts/kafka.mjs exposes JMX on each node's port base + 3.
import type { KafkaEnv } from '../../integration/helpers/kafka.js';
import { kafkaTool } from '../../integration/helpers/kafka.js';

/**
 * Consumer Fetch requests each broker has handled since it started: kafka.network RequestMetrics
 * `RequestsPerSec,request=FetchConsumer` (every version summed; replica fetches are counted apart as FetchFollower).
 * A node that is down, or has served no consumer fetch yet, counts 0.
 */
export async function consumerFetches(env: KafkaEnv): Promise<Map<number, number>> {
  const counts = await Promise.all(env.nodes.map(async (n) => {
    if (n.jmx === undefined || n.jmx === null) throw new Error(`node ${n.id} has no JMX port (an older scripts/kafka.mjs started the cluster?)`);
    const r = await kafkaTool('jmx', ['--jmx-url', `service:jmx:rmi:///jndi/rmi://127.0.0.1:${n.jmx}/jmxrmi`,
      '--object-name', 'kafka.network:type=RequestMetrics,name=RequestsPerSec,request=FetchConsumer,version=*',
      '--attributes', 'Count', '--one-time', 'true', '--report-format', 'properties'], { check: false, timeoutMs: 60_000 });
    let sum = 0;
    // properties format: one `name:Count=value` per line (plus "time=...").
    for (const m of r.stdout.matchAll(/request=FetchConsumer,version=\d+:Count=(\d+)/g)) sum += Number(m[1]);
    return [n.id, sum] as const;
  }));
  return new Map(counts);
}

/** The difference of two snapshots, per node. */
export function delta(after: ReadonlyMap<number, number>, before: ReadonlyMap<number, number>): Map<number, number> {
  return new Map([...after].map(([id, n]) => [id, Math.max(0, n - (before.get(id) ?? 0))]));
}
