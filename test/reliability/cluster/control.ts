// Cluster control for the reliability scenarios that need brokers to die or leadership to move (R4, R5, R14): the
// three-node cluster of scripts/kafka.mjs (nodes 1..3 on 19092/20092/21092 by default).
//
// - killBroker(id) / startBroker(id): SIGKILL one node (a crash: no controlled shutdown, leadership is not handed
//   over, the controller notices through the missed heartbeats) and start it again on its data.
// - leaders(), waitIsr(): partition leaders and in-sync replicas, from Metadata (gregor's Admin, a fresh one per
//   call so that a dead broker's connections never linger in a long-lived client).
// - coordinatorOf(group): the group coordinator, by FindCoordinator (what a member asks too).
// - reorderReplicas() + electPreferred(): move a partition's leader with Kafka's own tools (reassign-partitions with
//   the same replicas in another order, then a preferred-leader election), also for __consumer_offsets partitions,
//   which moves a group coordinator without killing anything.
// Everything waits by condition with a generous deadline (the CI machine is a loaded 2-core box) and says what it
// waited for when it gives up.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, type PartitionDescription } from '../../../src/index.js';
import { Pool } from '../../../src/network/pool.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { ROOT, ensureKafka, kafkaTool, type KafkaEnv } from '../../integration/helpers/kafka.js';

export const NODE_IDS = [1, 2, 3] as const;

/**
 * session.timeout.ms (classic) or consumer.session.timeout.ms (KIP-848, per group) of the scenarios that kill a broker
 * and allow no rebalance (R4, R5, R17). Every node holds a replica of __consumer_offsets, so a SIGKILLed broker holds
 * the coordinator's writes, and its answers to heartbeats and commits, until the controller fences it
 * (broker.session.timeout.ms, 9 s) and the ISR shrinks; a killed coordinator is replaced only then. Measured at low
 * load: a heartbeat answered 5.0 s late, commits 7.1 s. With 10 s sessions a slower failover under load let them
 * expire (R4 in CI, stop 24). Kafka's default is 45 s.
 */
export const SESSION_OVER_FAILOVER_MS = 20_000;
export type NodeId = (typeof NODE_IDS)[number];

/** Starts the three-node cluster if needed (idempotent; kafka.mjs holds a lock) and returns its addresses. */
export async function clusterEnv(): Promise<KafkaEnv> {
  return ensureKafka({ nodes: 3 });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns a value other than undefined/false; rejects after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 120_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: last error ${(last as Error).message}` : ''}`);
    }
    await sleep(everyMs);
  }
}

/** Runs scripts/kafka.mjs asynchronously (the event loop keeps running: in-process consumers keep heartbeating). */
function kafkaScript(args: readonly string[], timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kafka.mjs ${args.join(' ')}: exit ${code}\n${out}`));
    });
  });
}

/** SIGKILLs node `id` of the cluster and waits until its process is gone. */
export async function killBroker(id: NodeId): Promise<void> {
  await kafkaScript(['stop', '--nodes', '3', '--node', String(id), '--kill']);
}

/** Starts node `id` again (its data kept) and waits until it logged "Kafka Server started" and its ports answer. */
export async function startBroker(id: NodeId): Promise<void> {
  await kafkaScript(['start', '--nodes', '3', '--node', String(id)]);
}

/** A short-lived Admin on the cluster's PLAINTEXT listeners, quiet, closed after `fn`. */
export async function withAdmin<T>(env: KafkaEnv, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ 'bootstrap.servers': env.bootstrap, 'gregor.log.level': 'error', 'default.api.timeout.ms': 30_000 });
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** The partitions of `topic` as the cluster's metadata describes them (leader, replicas, ISR). */
export async function describePartitions(env: KafkaEnv, topic: string): Promise<PartitionDescription[]> {
  return withAdmin(env, async (admin) => {
    const [t] = await admin.describeTopics([topic]);
    return [...t.partitions].sort((a, b) => a.partition - b.partition);
  });
}

/** Partition -> leader node id (-1 when the partition has no leader). */
export async function leaders(env: KafkaEnv, topic: string): Promise<Map<number, number>> {
  return new Map((await describePartitions(env, topic)).map((p) => [p.partition, p.leader]));
}

/**
 * Waits until every partition of each topic has a leader and all its replicas in the ISR (after a broker restart:
 * it caught up), so the next fault starts from a healthy cluster.
 */
export async function waitIsr(env: KafkaEnv, topics: readonly string[], timeoutMs = 180_000): Promise<void> {
  await waitUntil(`a full ISR on ${topics.join(', ')}`, async () => {
    for (const topic of topics) {
      for (const p of await describePartitions(env, topic)) {
        if (p.leader < 0 || p.isr.length !== p.replicas.length) return false;
      }
    }
    return true;
  }, timeoutMs, 500);
}

/** The node id of the group's coordinator, by FindCoordinator (v4+: batched keys), retried while unavailable. */
export async function coordinatorOf(env: KafkaEnv, group: string, timeoutMs = 120_000): Promise<number> {
  return waitUntil(`the coordinator of group ${group}`, async () => {
    const pool = new Pool({ bootstrapServers: env.bootstrap, requestTimeoutMs: 10_000 });
    try {
      const broker = await pool.bootstrap();
      const r = await broker.request(ApiKey.FindCoordinator, { keyType: 0, coordinatorKeys: [group] });
      const c = r.coordinators[0];
      // COORDINATOR_NOT_AVAILABLE (15) / COORDINATOR_LOAD_IN_PROGRESS (14) while __consumer_offsets moves: retried.
      return c.errorCode === 0 && c.nodeId >= 0 ? (c.nodeId as number) : undefined;
    } finally {
      await pool.close();
    }
  }, timeoutMs, 500);
}

/**
 * The __consumer_offsets partition that holds `group` (Kafka: abs(groupId.hashCode()) % partition count, Java's
 * String.hashCode over UTF-16 code units; Utils.abs maps MIN_VALUE to 0). Its leader is the coordinator.
 */
export function offsetsPartitionOf(group: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < group.length; i++) h = (Math.imul(h, 31) + group.charCodeAt(i)) | 0;
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

/**
 * Puts `order` as the replica list of `topic`/`partition` (same replicas, another order: nothing to copy) with
 * kafka-tool reassign-partitions, and waits until the reassignment completed.
 */
export async function reorderReplicas(env: KafkaEnv, topic: string, partition: number, order: readonly number[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-reassign-'));
  const file = join(dir, 'reassign.json');
  try {
    writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic, partition, replicas: order, log_dirs: order.map(() => 'any') }] }));
    await kafkaTool('reassign-partitions', ['--bootstrap-server', env.bootstrap, '--reassignment-json-file', file, '--execute']);
    await waitUntil(`the reassignment of ${topic}-${partition} to [${order.join(',')}]`, async () => {
      const r = await kafkaTool('reassign-partitions', ['--bootstrap-server', env.bootstrap, '--reassignment-json-file', file, '--verify'], { check: false });
      return /is completed|is complete/.test(r.stdout) && !/still in progress/.test(r.stdout);
    }, 120_000, 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A preferred-leader election for `topic`/`partition` with kafka-tool leader-election, then waits until the
 * metadata shows `expected` (the first replica) as the leader.
 */
export async function electPreferred(env: KafkaEnv, topic: string, partition: number, expected: number): Promise<void> {
  await waitUntil(`${expected} to lead ${topic}-${partition} after a preferred election`, async () => {
    // "Valid replica already elected" (ELECTION_NOT_NEEDED) makes the tool exit non-zero: judged by the metadata.
    await kafkaTool('leader-election', ['--bootstrap-server', env.bootstrap, '--election-type', 'preferred',
      '--topic', topic, '--partition', String(partition)], { check: false });
    const p = (await describePartitions(env, topic)).find((d) => d.partition === partition);
    return p?.leader === expected;
  }, 120_000, 1000);
}

/**
 * Moves the leadership of `topic`/`partition` to `to` (one of its replicas): reorders the replicas so that `to` is
 * preferred, then elects it. Returns the previous leader.
 */
export async function moveLeader(env: KafkaEnv, topic: string, partition: number, to: number): Promise<number> {
  const p = (await describePartitions(env, topic)).find((d) => d.partition === partition);
  if (p === undefined) throw new Error(`moveLeader: ${topic} has no partition ${partition}`);
  if (!p.replicas.includes(to)) throw new Error(`moveLeader: node ${to} is not a replica of ${topic}-${partition} (${p.replicas.join(',')})`);
  if (p.leader === to) return p.leader;
  await reorderReplicas(env, topic, partition, [to, ...p.replicas.filter((r) => r !== to)]);
  await electPreferred(env, topic, partition, to);
  return p.leader;
}

/** Moves the coordinator of `group` to node `to` (moves the leader of its __consumer_offsets partition). */
export async function moveCoordinator(env: KafkaEnv, group: string, to: number): Promise<number> {
  const offsets = await describePartitions(env, '__consumer_offsets');
  const partition = offsetsPartitionOf(group, offsets.length);
  return moveLeader(env, '__consumer_offsets', partition, to);
}
