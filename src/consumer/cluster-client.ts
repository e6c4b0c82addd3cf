// The ConsumerClient over the real layers below: a connection Pool (src/network) and the metadata cache
// (src/cluster). Also maps a resolved consumer configuration (Kafka's property names) onto the network layer's
// options object: that mapping is the consumer's job, so the network layer never learns property names.

import { isSecret, type GregorLogger, type ResolvedConsumerConfig } from '../config/index.js';
import { Metadata } from '../cluster/metadata.js';
import { Pool } from '../network/pool.js';
import type { Logger as NetworkLogger, NetworkOptions, SaslMechanismName, SecurityProtocol } from '../network/options.js';
import { secret } from '../network/secret.js';
import type { SslOptions } from '../network/tls.js';
import type { ConsumerClient, LeaderInfo, RequestBody, RequestOptions } from './client.js';
import type { ConsumerLogger } from './logger.js';

/** Reads a credential from the resolved configuration into the network layer's Secret, never into a plain string. */
function credential(value: unknown) {
  if (value === undefined || value === null) return undefined;
  // The two Secret classes (config's and network's) both refuse to print; the value moves from one to the other here.
  return secret(isSecret(value) ? value.reveal() : String(value));
}

function opt<T>(value: T | undefined | null): T | undefined {
  return value === null ? undefined : value;
}

/** The network options a consumer configuration asks for. */
export function networkOptionsFrom(config: ResolvedConsumerConfig, logger: NetworkLogger): NetworkOptions {
  const c = config as unknown as Record<string, unknown>;
  const protocol = c['security.protocol'] as SecurityProtocol;
  const options: NetworkOptions = {
    bootstrapServers: c['bootstrap.servers'] as readonly string[],
    clientId: (c['client.id'] as string) || 'gregor',
    securityProtocol: protocol,
    requestTimeoutMs: c['request.timeout.ms'] as number,
    connectionSetupTimeoutMs: c['socket.connection.setup.timeout.ms'] as number,
    connectionsMaxIdleMs: c['connections.max.idle.ms'] as number,
    reconnectBackoffMs: c['reconnect.backoff.ms'] as number,
    reconnectBackoffMaxMs: c['reconnect.backoff.max.ms'] as number,
    metadataMaxAgeMs: c['metadata.max.age.ms'] as number,
    logger,
  };
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    options.sasl = {
      mechanism: (c['sasl.mechanism'] as SaslMechanismName | undefined) ?? 'PLAIN',
      username: opt(c['sasl.username'] as string | undefined),
      password: credential(c['sasl.password']),
      // Config's provider type is a superset of the network's (it may add lifetimeMs and principalName).
      oauthTokenProvider: opt(c['sasl.oauthbearer.token.provider'] as NonNullable<NetworkOptions['sasl']>['oauthTokenProvider']),
    };
  }
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const ssl: SslOptions = {
      caLocation: opt(c['ssl.ca.location'] as string | undefined),
      ca: opt(c['ssl.ca.pem'] as string | undefined),
      certLocation: opt(c['ssl.certificate.location'] as string | undefined),
      cert: opt(c['ssl.certificate.pem'] as string | undefined),
      keyLocation: opt(c['ssl.key.location'] as string | undefined),
      key: credential(c['ssl.key.pem']),
      passphrase: credential(c['ssl.key.password']),
      endpointIdentification: c['ssl.endpoint.identification.algorithm'] === 'none' ? '' : 'https',
      rejectUnauthorized: c['enable.ssl.certificate.verification'] !== false,
    };
    options.ssl = ssl;
  }
  return options;
}

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/**
 * The consumer's logger from gregor.logger / gregor.log.level: a function receiving (level, message, fields). When
 * none is configured, warnings go to stderr (as the property's documentation says), quieter levels nowhere.
 */
export function loggerFrom(config: ResolvedConsumerConfig): ConsumerLogger & NetworkLogger {
  const c = config as unknown as Record<string, unknown>;
  const fn = c['gregor.logger'] as GregorLogger | undefined;
  const level = (c['gregor.log.level'] as (typeof LEVELS)[number] | undefined) ?? 'warn';
  const max = LEVELS.indexOf(level);
  // The default sink is the application's stderr: the same warning (a broker down, retried every second) is printed
  // at most once per 30 s there. A configured gregor.logger gets every line.
  const lastPrinted = new Map<string, number>();
  const emit = (lvl: (typeof LEVELS)[number], message: string, fields?: Record<string, unknown>): void => {
    if (LEVELS.indexOf(lvl) > max) return;
    if (fn !== undefined) {
      fn(lvl, message, fields);
      return;
    }
    if (lvl === 'error' || lvl === 'warn') {
      const now = Date.now();
      if (now - (lastPrinted.get(message) ?? -Infinity) < 30_000) return;
      lastPrinted.set(message, now);
      if (lastPrinted.size > 1000) lastPrinted.clear();
      const extra = fields === undefined ? '' : ` ${JSON.stringify(fields, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;
      process.stderr.write(`gregor ${lvl}: ${message}${extra}\n`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export class PoolClient implements ConsumerClient {
  readonly pool: Pool;
  readonly metadata: Metadata;

  constructor(options: NetworkOptions, metadataOptions: { retryBackoffMs: number; allowAutoTopicCreation: boolean }) {
    this.pool = new Pool(options);
    this.metadata = new Metadata(this.pool, {
      retryBackoffMs: metadataOptions.retryBackoffMs,
      allowAutoTopicCreation: metadataOptions.allowAutoTopicCreation,
      logger: options.logger,
    });
  }

  request(nodeId: number, apiKey: number, body: RequestBody, options: RequestOptions = {}): Promise<any> {
    return this.pool.request(nodeId, apiKey, body, { lane: options.lane, timeoutMs: options.timeoutMs, signal: options.signal });
  }

  async requestAny(apiKey: number, body: RequestBody, options: RequestOptions = {}): Promise<any> {
    const broker = await this.pool.anyBroker(options.signal);
    return broker.request(apiKey, body, { lane: options.lane, timeoutMs: options.timeoutMs, signal: options.signal });
  }

  async apiVersion(nodeId: number, apiKey: number): Promise<number> {
    const broker = this.pool.brokerFor(nodeId);
    await broker.ready();
    return broker.versionFor(apiKey);
  }

  leaderFor(topic: string, partition: number): LeaderInfo | undefined {
    return this.metadata.leaderFor(topic, partition);
  }

  topicId(topic: string): string | undefined {
    return this.metadata.topicId(topic);
  }

  topicName(topicId: string): string | undefined {
    return this.metadata.topicName(topicId);
  }

  topicError(topic: string): number | undefined {
    return this.metadata.topicError(topic);
  }

  partitionCount(topic: string): number | undefined {
    return this.metadata.partitionCount(topic);
  }

  topicNames(): string[] {
    return this.metadata.topicNames();
  }

  isInternalTopic(topic: string): boolean {
    return this.metadata.topic(topic)?.isInternal ?? topic.startsWith('__');
  }

  refreshMetadata(topics: readonly string[] | 'all', options: { signal?: AbortSignal } = {}): Promise<void> {
    if (topics !== 'all' && topics.length === 0) return Promise.resolve();
    return this.metadata.refresh(topics, { signal: options.signal });
  }

  markStale(topic?: string): void {
    this.metadata.markStale(topic);
  }

  addBroker(nodeId: number, host: string, port: number): void {
    this.pool.addBroker(nodeId, host, port);
  }

  async close(): Promise<void> {
    this.metadata.close();
    await this.pool.close();
  }
}
