// From a resolved producer or admin configuration (Kafka's property names) to the layers below: the network
// layer's options object, a logger, and one connection Pool with its metadata cache.
//
// Why here and not shared with the consumer: the consumer maps its own configuration in src/consumer (same layer,
// and layers do not import sideways). The admin client imports this file: it is the producer's sibling and needs
// exactly the same mapping, and keeping it in one place means one spelling of every property for both.

import { Metadata } from '../cluster/metadata.js';
import { isSecret, type GregorLogger, type ResolvedAdminConfig, type ResolvedProducerConfig } from '../config/index.js';
import { Pool } from '../network/pool.js';
import type { Logger, NetworkOptions, SaslMechanismName, SecurityProtocol } from '../network/options.js';
import { secret } from '../network/secret.js';
import type { SslOptions } from '../network/tls.js';

type Config = ResolvedProducerConfig | ResolvedAdminConfig;

/** Moves a credential from the config layer's Secret to the network layer's, never through a printable string. */
function credential(value: unknown) {
  if (value === undefined || value === null) return undefined;
  return secret(isSecret(value) ? value.reveal() : String(value));
}

function opt<T>(value: T | undefined | null): T | undefined {
  return value === null ? undefined : value;
}

/** The network options a producer or admin configuration asks for. */
export function networkOptionsFor(config: Config, logger: Logger): NetworkOptions {
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
  const inFlight = c['max.in.flight.requests.per.connection'];
  if (typeof inFlight === 'number') options.maxInFlightRequestsPerConnection = inFlight;
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    options.sasl = {
      mechanism: (c['sasl.mechanism'] as SaslMechanismName | undefined) ?? 'PLAIN',
      username: opt(c['sasl.username'] as string | undefined),
      password: credential(c['sasl.password']),
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

/** gregor.logger / gregor.log.level as a Logger; without a gregor.logger, warnings and errors go to stderr. */
export function loggerFor(config: Config): Logger {
  const c = config as unknown as Record<string, unknown>;
  const fn = c['gregor.logger'] as GregorLogger | undefined;
  const max = LEVELS.indexOf((c['gregor.log.level'] as (typeof LEVELS)[number] | undefined) ?? 'warn');
  const emit = (level: (typeof LEVELS)[number], message: string, fields?: Record<string, unknown>): void => {
    if (LEVELS.indexOf(level) > max) return;
    if (fn !== undefined) {
      fn(level, message, fields);
      return;
    }
    if (level === 'error' || level === 'warn') {
      const extra = fields === undefined ? '' : ` ${JSON.stringify(fields, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;
      process.stderr.write(`gregor ${level}: ${message}${extra}\n`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** One client's connections and metadata cache. */
export interface ClusterHandle {
  readonly pool: Pool;
  readonly metadata: Metadata;
  readonly logger: Logger;
  close(): Promise<void>;
}

export function connectCluster(config: Config): ClusterHandle {
  const c = config as unknown as Record<string, unknown>;
  const logger = loggerFor(config);
  const pool = new Pool(networkOptionsFor(config, logger));
  const metadata = new Metadata(pool, {
    retryBackoffMs: c['retry.backoff.ms'] as number,
    // Neither the producer nor the admin client creates topics by asking for their metadata: a typo in a topic
    // name must be an error, not a new topic (Java's producer asks the broker to auto-create; gregor does not).
    allowAutoTopicCreation: false,
    logger,
  });
  return {
    pool,
    metadata,
    logger,
    async close() {
      metadata.close();
      await pool.close();
    },
  };
}
