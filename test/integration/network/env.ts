// The real broker for the network integration tests, reached through the shared harness helper
// (test/integration/helpers/kafka.ts: `node scripts/kafka.mjs start --json`, idempotent), plus topic helpers that use
// gregor's own CreateTopics/DeleteTopics requests (no JVM per test).
import { Pool } from '../../../src/network/pool.js';
import type { NetworkOptions, OAuthTokenProvider, SaslMechanismName } from '../../../src/network/options.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { kafkaEnvSync } from '../helpers/kafka.js';

export { hostPort, kafkaEnvSync, uniqueName, unsecuredToken } from '../helpers/kafka.js';

export function plaintextOptions(extra: Partial<NetworkOptions> = {}): NetworkOptions {
  return { bootstrapServers: kafkaEnvSync().bootstrap, clientId: 'gregor-network-it', ...extra };
}

export function saslSslOptions(mechanism: Exclude<SaslMechanismName, 'OAUTHBEARER'>, extra: Partial<NetworkOptions> = {}): NetworkOptions {
  const env = kafkaEnvSync();
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

/** SASL_SSL with OAUTHBEARER: the listener accepts unsecured tokens (helpers/kafka.ts unsecuredToken()). */
export function oauthBearerOptions(oauthTokenProvider: OAuthTokenProvider, extra: Partial<NetworkOptions> = {}): NetworkOptions {
  const env = kafkaEnvSync();
  return {
    bootstrapServers: env.saslSslBootstrap,
    clientId: 'gregor-network-it',
    securityProtocol: 'SASL_SSL',
    ssl: { caLocation: env.caFile },
    sasl: { mechanism: 'OAUTHBEARER', oauthTokenProvider },
    ...extra,
  };
}

/** A RegExp source matching `s` literally (addresses carry dots), to build patterns around the harness's addresses. */
export function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
    if (t?.errorCode === 0 && t.partitions.length === partitions && t.partitions.every((p) => p.leaderId >= 0)) return;
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
