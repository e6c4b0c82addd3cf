// From a resolved configuration of any client kind (Kafka's property names) to the cluster core: a logger, and one
// Cluster (client.ts) over one connection Pool (with the network options of network-options.ts) and its metadata
// cache. The consumer, the producer and the admin client are all built by connectCluster(); in the cluster layer so
// that they import it without importing sideways from each other.

import type { AnyResolvedConfig } from '../config/index.js';
import type { ConnectAddressResolver, Logger } from '../network/options.js';
import { Pool } from '../network/pool.js';
import { Cluster } from './client.js';
import { Metadata } from './metadata.js';
import { networkOptionsFrom } from './network-options.js';

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

export interface ConnectOptions {
  /** The network layer's logger. Default: loggerFor(config). */
  logger?: Logger;
  /** Where to open the TCP connection to a broker known by an address (see NetworkOptions.connectAddress). */
  connectAddress?: ConnectAddressResolver;
}

/** The cluster core of one client: its connections, metadata cache, coordinators and retry policy. */
export function connectCluster(config: AnyResolvedConfig, options: ConnectOptions = {}): Cluster {
  const logger = options.logger ?? loggerFor(config);
  const network = networkOptionsFrom(config, logger);
  if (options.connectAddress !== undefined) network.connectAddress = options.connectAddress;
  const pool = new Pool(network);
  const metadata = new Metadata(pool, {
    retryBackoffMs: config['retry.backoff.ms'],
    // Only a consumer may create topics by asking for their metadata (allow.auto.create.topics, a consumer
    // property). For the producer and the admin client a typo in a topic name must be an error, not a new topic
    // (Java's producer asks the broker to auto-create; gregor does not).
    allowAutoTopicCreation: 'allow.auto.create.topics' in config && config['allow.auto.create.topics'] === true,
    logger,
  });
  return new Cluster(pool, metadata, logger, {
    retryBackoffMs: config['retry.backoff.ms'],
    retryBackoffMaxMs: config['retry.backoff.max.ms'],
  });
}
