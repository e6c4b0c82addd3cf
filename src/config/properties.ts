// The one table of every configuration property gregor understands.
//
// Canonical names are the Java client's (ConsumerConfig, ProducerConfig, AdminClientConfig of Kafka 4.x), and the
// defaults are the Java client's defaults, so a setting means the same thing in gregor as in Kafka's own client.
// Aliases are the spellings found in Confluent's librdkafka-style config files (`sasl.mechanisms`,
// `metadata.broker.list`, ...) and in Java property files. Where librdkafka has a concept Java spells differently
// (TLS material as PEM files rather than key stores; `sasl.username`/`sasl.password` rather than a JAAS line), the
// librdkafka name is canonical, and the Java spelling is translated by the resolver (see resolve.ts).
// Properties under `gregor.` are gregor's own and never collide with a Kafka name.
//
// The TypeScript types of ConsumerConfig, ProducerConfig and AdminConfig are derived from this table, so adding a
// row here is all it takes for an editor to complete a new name.

import { closestMatch } from './suggest.js';
import type { ClientKind, Deserializer, FunctionTypes, GregorLogger, PropertyDef } from './types.js';

const ALL = ['consumer', 'producer', 'admin'] as const;
const CONSUMER = ['consumer'] as const;
const PRODUCER = ['producer'] as const;
const CONSUMER_ADMIN = ['consumer', 'admin'] as const;
const PRODUCER_ADMIN = ['producer', 'admin'] as const;

const INT_MAX = 2147483647;
// Java's LONG settings are held as JavaScript numbers; 2^53 - 1 milliseconds is 285,000 years.
const LONG_MAX = Number.MAX_SAFE_INTEGER;

export const PROPERTIES = {
  // ---- connecting -------------------------------------------------------------------------------------------
  'bootstrap.servers': {
    type: 'list', clients: ALL, aliases: ['metadata.broker.list'], required: true,
    doc: 'host:port pairs used to find the cluster; any one reachable broker is enough',
  },
  'client.id': {
    type: 'string', clients: ALL, default: '',
    doc: 'name sent with every request, for broker logs and quotas; generated (consumer-<group>-<n>) when empty',
  },
  'client.dns.lookup': {
    // Node's net.connect() resolves every address of a host name and tries each in turn (autoSelectFamily, on by
    // default since Node 20), which is Java's use_all_dns_ips. resolve_canonical_bootstrap_servers_only exists for
    // Kerberos (GSSAPI) principals, which gregor does not implement: refused rather than accepted and not done.
    type: 'enum', clients: ALL, values: ['use_all_dns_ips'],
    default: 'use_all_dns_ips',
    doc: 'use_all_dns_ips (the only value): every address a broker host name resolves to is tried before giving up on it',
  },
  // Java accepts 0 for the next two, and its client then fails every request (or connection) at once: refused here
  // as an almost certain mistake, like the other errors Java would not raise (see resolve.ts).
  'request.timeout.ms': {
    type: 'int', clients: ALL, default: 30000, min: 1, max: INT_MAX,
    doc: 'how long to wait for a response before failing the request (a Fetch adds fetch.max.wait.ms)',
  },
  'default.api.timeout.ms': {
    type: 'int', clients: CONSUMER_ADMIN, default: 60000, min: 0, max: INT_MAX,
    doc: 'deadline of calls that take no explicit timeout (commit, committed, offsetsForTimes...) and of bootstrapping',
  },
  'retry.backoff.ms': {
    type: 'int', clients: ALL, default: 100, min: 0, max: LONG_MAX,
    doc: 'first wait before retrying a failed request; doubles up to retry.backoff.max.ms (KIP-580)',
  },
  'retry.backoff.max.ms': {
    type: 'int', clients: ALL, default: 1000, min: 0, max: LONG_MAX,
    doc: 'upper bound of the exponential retry backoff, with jitter (KIP-580)',
  },
  'reconnect.backoff.ms': {
    type: 'int', clients: ALL, default: 50, min: 0, max: LONG_MAX,
    doc: 'first wait before reconnecting to a broker; doubles up to reconnect.backoff.max.ms (KIP-144)',
  },
  'reconnect.backoff.max.ms': {
    type: 'int', clients: ALL, default: 1000, min: 0, max: LONG_MAX,
    doc: 'upper bound of the exponential reconnect backoff, with jitter',
  },
  'connections.max.idle.ms': {
    type: 'int', clients: ALL, default: 540000, defaultByKind: { admin: 300000 }, min: -1, max: LONG_MAX,
    doc: 'close a connection unused for this long (-1: never)',
  },
  'socket.connection.setup.timeout.ms': {
    type: 'int', clients: ALL, default: 10000, min: 1, max: LONG_MAX,
    doc: 'how long a TCP (and TLS) connect may take; doubles per failure up to the .max.ms value (KIP-601)',
  },
  'socket.connection.setup.timeout.max.ms': {
    type: 'int', clients: ALL, default: 30000, min: 0, max: LONG_MAX,
    doc: 'upper bound of the exponential connection setup timeout (KIP-601)',
  },
  'metadata.max.age.ms': {
    type: 'int', clients: ALL, default: 300000, min: 0, max: LONG_MAX,
    doc: 'refresh cluster metadata at least this often, even without an error that says it is stale',
  },
  'metadata.recovery.strategy': {
    type: 'enum', clients: ALL, values: ['rebootstrap', 'none'], default: 'rebootstrap',
    doc: 'rebootstrap: when no known broker answers, start again from bootstrap.servers (KIP-899)',
  },
  'metadata.recovery.rebootstrap.trigger.ms': {
    type: 'int', clients: ALL, default: 300000, min: 0, max: LONG_MAX,
    doc: 'rebootstrap after this long without a usable metadata response (KIP-1102)',
  },

  // ---- security -----------------------------------------------------------------------------------------------
  'security.protocol': {
    type: 'enum', clients: ALL, values: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], default: 'PLAINTEXT',
    doc: 'PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL (SASL authentication over TLS)',
  },
  'sasl.mechanism': {
    type: 'enum', clients: ALL, aliases: ['sasl.mechanisms'],
    values: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'],
    unsupportedValues: { GSSAPI: 'Kerberos (GSSAPI) is not supported by gregor' },
    doc: 'SASL mechanism; when unset, taken from the login module of sasl.jaas.config',
  },
  'sasl.username': {
    type: 'string', clients: ALL, nonEmpty: true,
    doc: 'user name for PLAIN and SCRAM (librdkafka name; Java puts it in sasl.jaas.config)',
  },
  'sasl.password': {
    type: 'password', clients: ALL,
    doc: 'password for PLAIN and SCRAM (librdkafka name; Java puts it in sasl.jaas.config)',
  },
  'sasl.jaas.config': {
    type: 'password', clients: ALL,
    doc: 'Java login line: PlainLoginModule or ScramLoginModule required username="..." password="...";',
  },
  'sasl.oauthbearer.token.provider': {
    type: 'function', fn: 'oauthTokenProvider', clients: ALL, secret: true,
    doc: 'function returning the OAUTHBEARER token (or { value, lifetimeMs, extensions }); set in code, gregor\'s own',
  },
  'ssl.ca.location': {
    type: 'string', clients: ALL, aliases: ['ssl.truststore.location'], nonEmpty: true,
    doc: 'PEM file of CA certificates to trust instead of Node\'s default roots ("probe": the default roots)',
  },
  'ssl.ca.pem': {
    type: 'string', clients: ALL, aliases: ['ssl.truststore.certificates'], nonEmpty: true,
    doc: 'CA certificates to trust, as PEM text',
  },
  'ssl.certificate.location': {
    type: 'string', clients: ALL, nonEmpty: true,
    doc: 'PEM file with the client certificate (chain) for mutual TLS',
  },
  'ssl.certificate.pem': {
    type: 'string', clients: ALL, aliases: ['ssl.keystore.certificate.chain'], nonEmpty: true,
    doc: 'client certificate (chain) for mutual TLS, as PEM text',
  },
  'ssl.key.location': {
    type: 'string', clients: ALL, nonEmpty: true,
    doc: 'PEM file with the client private key for mutual TLS',
  },
  'ssl.key.pem': {
    type: 'password', clients: ALL, aliases: ['ssl.keystore.key'],
    doc: 'client private key for mutual TLS, as PEM text',
  },
  'ssl.key.password': {
    type: 'password', clients: ALL,
    doc: 'passphrase of an encrypted client private key',
  },
  'ssl.keystore.location': {
    type: 'string', clients: ALL, nonEmpty: true,
    doc: 'Java: a PEM file holding the client key and certificate chain (needs ssl.keystore.type=PEM)',
  },
  'ssl.keystore.type': {
    type: 'enum', clients: ALL, values: ['PEM'],
    unsupportedValues: {
      JKS: 'gregor reads PEM only; convert with keytool -importkeystore to PKCS12, then openssl pkcs12 to PEM',
      PKCS12: 'gregor reads PEM only; convert with: openssl pkcs12 -in store.p12 -nodes -out client.pem',
    },
    doc: 'Java: format of ssl.keystore.location; only PEM is read',
  },
  'ssl.keystore.password': {
    type: 'password', clients: ALL,
    doc: 'Java: key store password; not used with PEM (use ssl.key.password for an encrypted key)',
  },
  'ssl.truststore.type': {
    type: 'enum', clients: ALL, values: ['PEM'],
    unsupportedValues: {
      JKS: 'gregor reads PEM only; export the CA with: keytool -exportcert -rfc -alias <ca> -keystore <store>',
      PKCS12: 'gregor reads PEM only; convert with: openssl pkcs12 -in store.p12 -nokeys -out ca.pem',
    },
    doc: 'Java: format of ssl.truststore.location (an alias of ssl.ca.location); only PEM is read',
  },
  'ssl.truststore.password': {
    type: 'password', clients: ALL,
    doc: 'Java: trust store password; PEM trust stores have none (ignored with a warning)',
  },
  'ssl.endpoint.identification.algorithm': {
    type: 'enum', clients: ALL, values: ['https', 'none'], valueAliases: { '': 'none' }, default: 'https',
    doc: 'https: check that the broker certificate names the host connected to; none (or empty) turns it off',
  },
  'enable.ssl.certificate.verification': {
    type: 'bool', clients: ALL, default: true,
    doc: 'verify the broker certificate chain (librdkafka name); false is for debugging only',
  },

  // ---- consumer: group membership -----------------------------------------------------------------------------
  'group.id': {
    type: 'string', clients: CONSUMER, nonEmpty: true,
    doc: 'consumer group to join; needed by subscribe() and by commits',
  },
  'group.instance.id': {
    type: 'string', clients: CONSUMER, nonEmpty: true,
    doc: 'static membership: a restart within the session timeout keeps the partitions (KIP-345)',
  },
  'group.protocol': {
    type: 'enum', clients: CONSUMER, values: ['classic', 'consumer'], default: 'classic',
    doc: 'classic (JoinGroup/SyncGroup) or consumer (the KIP-848 protocol, assignment done by the broker)',
  },
  'group.remote.assignor': {
    type: 'string', clients: CONSUMER, nonEmpty: true,
    doc: 'with group.protocol=consumer: the broker-side assignor (uniform, range); unset: the broker default',
  },
  'partition.assignment.strategy': {
    type: 'list', clients: CONSUMER, default: ['range', 'cooperative-sticky'],
    doc: 'classic protocol: assignors in order of preference (range, roundrobin, sticky, cooperative-sticky)',
  },
  'session.timeout.ms': {
    type: 'int', clients: CONSUMER, default: 45000, min: 1, max: INT_MAX,
    doc: 'classic protocol: the member is removed when no heartbeat arrives for this long',
  },
  'heartbeat.interval.ms': {
    type: 'int', clients: CONSUMER, default: 3000, min: 1, max: INT_MAX,
    doc: 'classic protocol: time between heartbeats; must be below session.timeout.ms (a third is usual)',
  },
  'max.poll.interval.ms': {
    type: 'int', clients: CONSUMER, default: 300000, min: 1, max: INT_MAX,
    doc: 'the member leaves the group when the application does not poll for this long',
  },
  'enable.auto.commit': {
    type: 'bool', clients: CONSUMER, default: true,
    doc: 'commit the offsets of delivered messages every auto.commit.interval.ms and on close',
  },
  'auto.commit.interval.ms': {
    type: 'int', clients: CONSUMER, default: 5000, min: 0, max: INT_MAX,
    doc: 'how often auto-commit runs',
  },
  'auto.offset.reset': {
    type: 'enum', clients: CONSUMER, values: ['earliest', 'latest', 'none'], default: 'latest',
    valueAliases: { smallest: 'earliest', beginning: 'earliest', largest: 'latest', end: 'latest', error: 'none' },
    doc: 'where to start without a committed offset (or after one fell out of range); none: fail',
  },
  'allow.auto.create.topics': {
    type: 'bool', clients: CONSUMER, default: true,
    doc: 'let the broker create a subscribed topic that does not exist (if the broker allows it)',
  },
  'exclude.internal.topics': {
    type: 'bool', clients: CONSUMER, default: true,
    doc: 'never match internal topics (__consumer_offsets...) with a pattern subscription',
  },

  // ---- consumer: fetching -------------------------------------------------------------------------------------
  'fetch.min.bytes': {
    type: 'int', clients: CONSUMER, default: 1, min: 0, max: INT_MAX,
    doc: 'the broker answers a Fetch once this many bytes are ready (or fetch.max.wait.ms passed)',
  },
  'fetch.max.bytes': {
    type: 'int', clients: CONSUMER, default: 52428800, min: 0, max: INT_MAX,
    doc: 'upper bound of one Fetch response (a larger first batch is still returned so progress is made)',
  },
  'fetch.max.wait.ms': {
    type: 'int', clients: CONSUMER, default: 500, min: 0, max: INT_MAX, aliases: ['fetch.wait.max.ms'],
    doc: 'how long the broker may hold a Fetch waiting for fetch.min.bytes',
  },
  'max.partition.fetch.bytes': {
    type: 'int', clients: CONSUMER, default: 1048576, min: 0, max: INT_MAX, aliases: ['fetch.message.max.bytes'],
    doc: 'upper bound of the data returned per partition in one Fetch',
  },
  'max.poll.records': {
    type: 'int', clients: CONSUMER, default: 500, min: 1, max: INT_MAX,
    doc: 'most records handed over by one batch poll',
  },
  'isolation.level': {
    type: 'enum', clients: CONSUMER, values: ['read_uncommitted', 'read_committed'], default: 'read_uncommitted',
    doc: 'read_committed: deliver only committed transactional records, and nothing past the last stable offset',
  },
  'client.rack': {
    type: 'string', clients: CONSUMER, default: '',
    doc: 'rack of this consumer, to fetch from a replica in the same rack (KIP-392)',
  },
  'check.crcs': {
    type: 'bool', clients: CONSUMER, default: true,
    doc: 'verify the CRC32C of every fetched record batch',
  },
  'enable.metrics.push': {
    type: 'bool', clients: CONSUMER, default: true,
    doc: 'push the metrics a broker\'s client-metrics subscription asks for (KIP-714); nothing is sent without one',
  },
  // Java takes a class name; gregor a built-in's name or a function (code only). Java class names in a config file
  // are accepted and ignored with a warning (resolve.ts), as they were before deserializers existed.
  'key.deserializer': {
    type: 'deserializer', clients: CONSUMER,
    doc: 'turns key bytes into message.key: string (UTF-8), json, buffer, or a function (bytes, context) -> value or '
      + 'promise; unset: the bytes',
  },
  'value.deserializer': {
    type: 'deserializer', clients: CONSUMER,
    doc: 'turns value bytes into message.value: string (UTF-8), json, buffer, or a function (bytes, context) -> '
      + 'value or promise; unset: the bytes',
  },

  // ---- producer (the minimal producer for tests, the demo and tools) -------------------------------------------
  'acks': {
    type: 'enum', clients: PRODUCER, values: ['all', '0', '1'], valueAliases: { '-1': 'all' }, default: 'all',
    aliases: ['request.required.acks'],
    doc: 'all: wait until every in-sync replica has the record; 1: the leader only; 0: no answer',
  },
  'enable.idempotence': {
    type: 'bool', clients: PRODUCER, default: true,
    doc: 'producer id and sequence numbers so retries never duplicate (needs acks=all)',
  },
  'transactional.id': {
    type: 'string', clients: PRODUCER, nonEmpty: true,
    doc: 'enables transactions; the same id fences older producer instances',
  },
  'transaction.timeout.ms': {
    type: 'int', clients: PRODUCER, default: 60000, min: 1, max: INT_MAX,
    doc: 'the coordinator aborts a transaction left open this long',
  },
  'compression.type': {
    type: 'enum', clients: PRODUCER, values: ['none', 'gzip', 'snappy', 'lz4', 'zstd'], default: 'none',
    aliases: ['compression.codec'],
    doc: 'codec of produced record batches',
  },
  'linger.ms': {
    type: 'int', clients: PRODUCER, default: 5, min: 0, max: LONG_MAX, aliases: ['queue.buffering.max.ms'],
    doc: 'wait up to this long for more records to fill a batch',
  },
  'batch.size': {
    type: 'int', clients: PRODUCER, default: 16384, min: 0, max: INT_MAX,
    doc: 'target size of a record batch per partition, in bytes',
  },
  'max.request.size': {
    type: 'int', clients: PRODUCER, default: 1048576, min: 0, max: INT_MAX,
    doc: 'largest Produce request, in bytes',
  },
  // Java has no upper bound; the network layer caps pipelining at 1000 requests per connection.
  'max.in.flight.requests.per.connection': {
    type: 'int', clients: PRODUCER, default: 5, min: 1, max: 1000,
    doc: 'unanswered Produce requests per broker; at most 5 with idempotence',
  },
  'delivery.timeout.ms': {
    type: 'int', clients: PRODUCER, default: 120000, min: 0, max: INT_MAX, aliases: ['message.timeout.ms'],
    doc: 'a send fails when not acknowledged this long after it was called (>= linger.ms + request.timeout.ms)',
  },
  'retries': {
    type: 'int', clients: PRODUCER_ADMIN, default: INT_MAX, min: 0, max: INT_MAX,
    aliases: ['message.send.max.retries'],
    doc: 'how many times a failed request is retried (bounded in time by delivery.timeout.ms)',
  },

  // ---- gregor's own ---------------------------------------------------------------------------------------------
  'gregor.fetch.buffer.bytes': {
    type: 'int', clients: CONSUMER, defaultFrom: 'fetch.max.bytes', min: 1, max: LONG_MAX,
    doc: 'bound on fetched but not yet delivered bytes, all partitions together; unset: fetch.max.bytes (at least 1)',
  },
  'share.acknowledgement.mode': {
    type: 'enum', clients: CONSUMER, values: ['implicit', 'explicit'], default: 'implicit',
    doc: 'ShareConsumer (KIP-932): implicit accepts the records of a poll() at the next poll(), commit() or close(); '
      + 'explicit requires acknowledge() of every record before the next poll()',
  },
  'share.acquire.mode': {
    type: 'enum', clients: CONSUMER, values: ['batch_optimized', 'record_limit'], default: 'batch_optimized',
    doc: 'ShareConsumer (KIP-1206): record_limit makes the broker acquire at most max.poll.records per ShareFetch; '
      + 'batch_optimized may acquire more, to whole batches (the rest waits in the consumer, its locks running)',
  },
  'gregor.error.policy': {
    type: 'enum', clients: CONSUMER, values: ['stop', 'skip', 'dead-letter'], default: 'stop',
    doc: 'a record that cannot be deserialized, or (run()) whose handler still fails after its retries: stop (the '
      + 'error is raised at the record; a ShareConsumer releases it), skip (a warning, counted, passed over; a '
      + 'ShareConsumer rejects it) or dead-letter (written to gregor.dead.letter.topic with acks=all before its offset '
      + 'can be committed; a ShareConsumer accepts it only then)',
  },
  'gregor.dead.letter.topic': {
    type: 'string', clients: CONSUMER, nonEmpty: true,
    doc: 'gregor.error.policy=dead-letter: the topic failed records are written to; unset: the source topic\'s '
      + 'name followed by .dlq',
  },
  'gregor.log.level': {
    type: 'enum', clients: ALL, values: ['error', 'warn', 'info', 'debug'], default: 'warn',
    doc: 'least severe level logged (to gregor.logger, or to stderr when it is unset)',
  },
  'gregor.logger': {
    type: 'logger', clients: ALL,
    doc: 'the application\'s logger (pino, bunyan, winston, console) or a function (level, message, fields); '
      + 'unset: lines go to stderr, the same line at most once per 30 s',
  },
} as const satisfies Record<string, PropertyDef>;

/**
 * Properties of the Java client or librdkafka that gregor accepts and ignores, with a warning saying why: they
 * appear in real config files (Confluent's client.properties has client.dns.lookup and acks; Java tool configs
 * name deserializers) and refusing those files would help nobody. Anything else unknown is an error.
 */
export const IGNORED_PROPERTIES: Readonly<Record<string, string>> = {
  'key.serializer': 'gregor\'s producer takes keys as bytes or strings',
  'value.serializer': 'gregor\'s producer takes values as bytes or strings',
  'interceptor.classes': 'Java classes cannot be loaded by gregor',
  'metric.reporters': 'Java classes cannot be loaded by gregor',
  'metrics.num.samples': 'gregor has no JMX metrics',
  'metrics.sample.window.ms': 'gregor has no JMX metrics',
  'metrics.recording.level': 'gregor has no JMX metrics',
  'auto.include.jmx.reporter': 'gregor has no JMX metrics',
  'send.buffer.bytes': 'gregor leaves socket buffer sizes to the operating system',
  'receive.buffer.bytes': 'gregor leaves socket buffer sizes to the operating system',
  'security.providers': 'Java security providers do not apply to Node',
  'ssl.provider': 'Java security providers do not apply to Node',
  'ssl.protocol': 'Node negotiates TLS 1.2 or 1.3 itself',
  'ssl.enabled.protocols': 'Node negotiates TLS 1.2 or 1.3 itself',
  'ssl.cipher.suites': 'Java cipher suite names do not apply to Node\'s OpenSSL',
  'ssl.keymanager.algorithm': 'Java key managers do not apply to Node',
  'ssl.trustmanager.algorithm': 'Java trust managers do not apply to Node',
  'ssl.secure.random.implementation': 'Node uses OpenSSL\'s random source',
  'ssl.engine.factory.class': 'Java classes cannot be loaded by gregor',
  'config.providers': 'Java config providers are not available; put values in the file or pass them in code',
  'api.version.request': 'gregor always negotiates API versions',
  'debug': 'librdkafka debug contexts do not apply; use gregor.log.level=debug',
  'statistics.interval.ms': 'librdkafka statistics are not available',
};

// ---- types derived from the table --------------------------------------------------------------------------

type Defs = typeof PROPERTIES;

/** Every canonical property name. */
export type PropertyName = keyof Defs;

/** Canonical names of the properties a given kind of client reads. */
export type PropertyNameFor<K extends ClientKind> = {
  [P in PropertyName]: K extends Defs[P]['clients'][number] ? P : never;
}[PropertyName];

type AliasesOf<D> = D extends { aliases: readonly (infer A extends string)[] } ? A : never;

/** Maps each alias to its canonical name. */
type AliasTable = { [P in PropertyName as AliasesOf<Defs[P]>]: P };

type NumericLiteral<V> = V extends `${infer N extends number}` ? N : never;

type EnumInput<D> = D extends { values: readonly (infer V extends string)[] }
  ? V | NumericLiteral<V> | (D extends { valueAliases: infer A } ? (keyof A & string) | NumericLiteral<keyof A> : never)
  : never;

/** What code may pass for a property (config files pass strings, which are coerced). */
export type InputValue<D> = D extends { type: 'enum' } ? EnumInput<D>
  : D extends { type: 'int' } ? number
  : D extends { type: 'bool' } ? boolean
  : D extends { type: 'list' } ? string | readonly string[]
  : D extends { type: 'function'; fn: infer F extends keyof FunctionTypes } ? FunctionTypes[F]
  : D extends { type: 'logger' } ? GregorLogger
  : D extends { type: 'deserializer' } ? Deserializer
  : string;

/** Configuration accepted by a given kind of client: canonical names and aliases, all optional. */
export type ConfigInput<K extends ClientKind> =
  & { [P in PropertyNameFor<K>]?: InputValue<Defs[P]> }
  & { [A in keyof AliasTable as AliasTable[A] extends PropertyNameFor<K> ? A : never]?: InputValue<Defs[AliasTable[A]]> };

/** Properties of a Consumer, with Kafka's dotted names. */
export type ConsumerConfig = ConfigInput<'consumer'>;
/** Properties of the minimal Producer. */
export type ProducerConfig = ConfigInput<'producer'>;
/** Properties of the minimal Admin client. */
export type AdminConfig = ConfigInput<'admin'>;

/** The table row of a canonical name (runtime). */
export function propertyDef(name: string): PropertyDef | undefined {
  return Object.hasOwn(PROPERTIES, name) ? (PROPERTIES as Record<string, PropertyDef>)[name] : undefined;
}

const aliasToCanonical = new Map<string, string>();
for (const [name, def] of Object.entries(PROPERTIES as Record<string, PropertyDef>)) {
  for (const alias of def.aliases ?? []) aliasToCanonical.set(alias, name);
}

/** The canonical name of a property given by any accepted spelling, or undefined for an unknown name. */
export function canonicalName(name: string): PropertyName | undefined {
  if (Object.hasOwn(PROPERTIES, name)) return name as PropertyName;
  return aliasToCanonical.get(name) as PropertyName | undefined;
}

/** Every accepted spelling: canonical names, aliases and the ignored compatibility names. */
export function allPropertySpellings(): string[] {
  return [...Object.keys(PROPERTIES), ...aliasToCanonical.keys(), ...Object.keys(IGNORED_PROPERTIES)];
}

const SECRET_NAME = /password|secret|jaas|token|credential|key\.pem|keystore\.key/i;

/**
 * True when a property's value must never be shown: every `password` property, the token provider, and - for
 * names gregor does not know - anything whose name suggests a credential (a misspelled `sasl.pasword` is still
 * a password).
 */
export function isSecretProperty(name: string): boolean {
  const canonical = canonicalName(name);
  if (canonical !== undefined) {
    const def = PROPERTIES[canonical] as PropertyDef;
    return def.type === 'password' || def.secret === true;
  }
  if (SECRET_NAME.test(name)) return true;
  const near = closestMatch(name, allPropertySpellings());
  return near !== undefined && canonicalName(near) !== undefined && isSecretProperty(near);
}
