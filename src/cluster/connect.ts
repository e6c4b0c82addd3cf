// From a resolved producer or admin configuration (Kafka's property names) to the layers below: a logger, and one
// connection Pool (with the network options of network-options.ts, shared with the consumer) and its metadata cache.
//
// In the cluster layer so that the producer and the admin client, siblings in the layer above, both import it
// without importing sideways. The consumer takes the same logger but builds its own pool
// (src/consumer/cluster-client.ts), so that tests can pass their own ConsumerClient.

import type { AnyResolvedConfig, ResolvedAdminConfig, ResolvedProducerConfig } from '../config/index.js';
import type { Logger } from '../network/options.js';
import { Pool } from '../network/pool.js';
import { Metadata } from './metadata.js';
import { networkOptionsFrom } from './network-options.js';

type Config = ResolvedProducerConfig | ResolvedAdminConfig;

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/**
 * gregor.logger / gregor.log.level as a Logger, for every client kind. With a configured gregor.logger every line
 * goes to it. Without one, warnings and errors go to the application's stderr, and the same line (a broker down,
 * retried every second) is printed there at most once per 30 s; quieter levels go nowhere.
 */
export function loggerFor(config: AnyResolvedConfig): Logger {
  const fn = config['gregor.logger'];
  const max = LEVELS.indexOf(config['gregor.log.level']);
  const lastPrinted = new Map<string, number>();
  const emit = (level: (typeof LEVELS)[number], message: string, fields?: Record<string, unknown>): void => {
    if (LEVELS.indexOf(level) > max) return;
    if (fn !== undefined) {
      fn(level, message, fields);
      return;
    }
    if (level === 'error' || level === 'warn') {
      const now = Date.now();
      if (now - (lastPrinted.get(message) ?? -Infinity) < 30_000) return;
      lastPrinted.set(message, now);
      if (lastPrinted.size > 1000) lastPrinted.clear();
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
  const logger = loggerFor(config);
  const pool = new Pool(networkOptionsFrom(config, logger));
  const metadata = new Metadata(pool, {
    retryBackoffMs: config['retry.backoff.ms'],
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
