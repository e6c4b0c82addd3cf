// From a resolved configuration of any client kind (Kafka's property names) to the cluster core: a logger, and one
// Cluster (client.ts) over one connection Pool (with the network options of network-options.ts) and its metadata
// cache. The consumer, the producer and the admin client are all built by connectCluster(); in the cluster layer so
// that they import it without importing sideways from each other.

import type { AnyResolvedConfig, GregorLogger, LoggerObject } from '../config/index.js';
import type { ConnectAddressResolver, LogLevel, Logger } from '../network/options.js';
import { Pool } from '../network/pool.js';
import { scrub } from '../network/secret.js';
import { Cluster } from './client.js';
import { Metadata } from './metadata.js';
import { networkOptionsFrom } from './network-options.js';

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
/** On stderr the same line is printed at most once per this long: a broker that stays down fails every second. */
const STDERR_REPEAT_MS = 30_000;

type Sink = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/**
 * gregor.logger and gregor.log.level as gregor's Logger, for every client kind: the one place where gregor's log
 * lines leave the library. Lines at gregor.log.level (default warn) or more severe go to gregor.logger when it is
 * set, every one; otherwise to the application's stderr, as `gregor <level>: <message> <fields as JSON>`, the same
 * line at most once per 30 s. No other library code writes log lines (configuration warnings are not log lines:
 * resolveConfig() reports them through its onWarning, by default process.emitWarning, as they happen before any
 * client exists).
 * The configuration's credentials are scrubbed from messages and string fields first (defence in depth: lines are
 * not built from credentials), and bigint fields become strings (JSON loggers cannot serialise them).
 */
export function loggerFor(config: AnyResolvedConfig): Logger {
  const sink = sinkFor(config['gregor.logger']);
  const secrets = credentialsOf(config);
  const max = LEVELS.indexOf(config['gregor.log.level']);
  const at = (level: LogLevel) => LEVELS.indexOf(level) > max
    ? () => {}
    : (message: string, fields?: Record<string, unknown>) => {
      sink(level, scrub(message, secrets), fields === undefined ? undefined : plainFields(fields, secrets));
    };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/**
 * How to call the application's logger. pino and bunyan take the fields first (`warn(fields, message)`) and have
 * `child()` but no `log()`; winston and console take the message first (`warn(message, meta)`), and so does any other
 * object. A function receives (level, message, fields).
 */
function sinkFor(logger: GregorLogger | undefined): Sink {
  if (logger === undefined) return stderrSink();
  if (typeof logger === 'function') return logger;
  const shape = logger as LoggerObject & { child?: unknown; log?: unknown };
  const fieldsFirst = typeof shape.child === 'function' && typeof shape.log !== 'function';
  return (level, message, fields) => {
    const method = logger[level] as (this: LoggerObject, ...args: unknown[]) => unknown;
    if (fieldsFirst) method.call(logger, fields ?? {}, message);
    else if (fields === undefined) method.call(logger, message);
    else method.call(logger, message, fields);
  };
}

function stderrSink(): Sink {
  const lastPrinted = new Map<string, number>();
  return (level, message, fields) => {
    const now = Date.now();
    if (now - (lastPrinted.get(message) ?? -Infinity) < STDERR_REPEAT_MS) return;
    lastPrinted.set(message, now);
    if (lastPrinted.size > 1000) lastPrinted.clear();
    process.stderr.write(`gregor ${level}: ${message}${fields === undefined ? '' : ` ${JSON.stringify(fields)}`}\n`);
  };
}

/** The configured credentials as text, for scrub(); the one use of reveal() outside SASL and TLS setup. */
function credentialsOf(config: AnyResolvedConfig): string[] {
  const out: string[] = [];
  for (const value of [config['sasl.password'], config['ssl.key.password'], config['ssl.key.pem'], config['sasl.jaas.config']]) {
    if (value !== undefined) out.push(value.reveal());
  }
  return out;
}

function plainFields(fields: Record<string, unknown>, secrets: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = typeof value === 'string' ? scrub(value, secrets) : typeof value === 'bigint' ? value.toString() : value;
  }
  return out;
}

export interface ConnectOptions {
  /** The network layer's logger. Default: loggerFor(config). */
  logger?: Logger;
  /** Where to open the TCP connection to a broker known by an address (see NetworkOptions.connectAddress). */
  connectAddress?: ConnectAddressResolver;
  /** The kind of client, as the gregor:request diagnostics channel names it. Default 'consumer'. */
  client?: 'consumer' | 'producer' | 'admin';
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
  }, { client: options.client ?? 'consumer', clientId: config['client.id'] });
}
