// The real broker for the network integration tests: started (idempotently) by the project's harness,
// `node scripts/kafka.mjs start --json`, which prints its addresses, CA file and SASL users.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from '../../../src/network/pool.js';
import type { NetworkOptions, SaslMechanismName } from '../../../src/network/options.js';
import { ApiKey } from '../../../src/protocol/index.js';

export interface KafkaEnv {
  bootstrap: string;
  saslSslBootstrap: string;
  caFile: string;
  users: Record<'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', { username: string; password: string }>;
}

// dist/test/integration/network/env.js -> repository root
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

let cached: KafkaEnv | undefined;

export function kafka(): KafkaEnv {
  if (cached === undefined) {
    const out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), 'start', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 10 * 60_000,
    });
    const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (line === undefined) throw new Error(`kafka.mjs start --json printed no JSON:\n${out}`);
    cached = JSON.parse(line) as KafkaEnv;
  }
  return cached;
}

export function plaintextOptions(extra: Partial<NetworkOptions> = {}): NetworkOptions {
  return { bootstrapServers: kafka().bootstrap, clientId: 'gregor-network-it', ...extra };
}

export function saslSslOptions(mechanism: Exclude<SaslMechanismName, 'OAUTHBEARER'>, extra: Partial<NetworkOptions> = {}): NetworkOptions {
  const env = kafka();
  const user = env.users[mechanism];
  return {
    bootstrapServers: env.saslSslBootstrap,
    clientId: 'gregor-network-it',
    securityProtocol: 'SASL_SSL',
    ssl: { caLocation: env.caFile },
    sasl: { mechanism, username: user.username, password: user.password },
    ...extra,
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Creates a topic with gregor's own CreateTopics request (no JVM per test) and waits until its leaders are known. */
export async function createTopic(pool: Pool, name: string, partitions = 1): Promise<void> {
  const broker = await pool.bootstrap();
  const res = await broker.request(ApiKey.CreateTopics, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
  });
  const code = res.topics[0]?.errorCode;
  if (code !== 0 && code !== 36 /* TOPIC_ALREADY_EXISTS */) throw new Error(`CreateTopics ${name}: error ${code}`);
  for (let i = 0; i < 100; i++) {
    const md = await broker.request(ApiKey.Metadata, { topics: [{ name }], allowAutoTopicCreation: false });
    const t = md.topics[0];
    if (t?.errorCode === 0 && t.partitions.length === partitions && t.partitions.every((p: any) => p.leaderId >= 0)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`topic ${name} has no leaders after 10 s`);
}

export async function deleteTopic(pool: Pool, name: string): Promise<void> {
  const broker = await pool.bootstrap();
  await broker.request(ApiKey.DeleteTopics, (v: number) =>
    v >= 6 ? { topics: [{ name }], timeoutMs: 30_000 } : { topicNames: [name], timeoutMs: 30_000 },
  );
}
