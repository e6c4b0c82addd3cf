// The one helper integration tests use to reach the project's real Apache Kafka (scripts/kafka.mjs) and to drive
// Kafka's own Java tools (scripts/kafka-tool) for setup and cross-checks.
//
// - ensureKafka(): starts the broker if it is not running (idempotent; safe when test files run in parallel,
//   kafka.mjs holds a lock) and returns its addresses, CA file and SASL users.
// - uniqueName(): topic and group names unique per call, so tests run in any order and in parallel on one broker.
// - produce(): many records with keys, headers and a chosen compression in ONE JVM per call (console-producer fed
//   a generated file); producePerf(): bulk records of a fixed size (producer-perf-test).
// - Cross-checks through the Java tools: endOffsets(), committedOffsets(), setGroupConfig().
// Each Java tool is a new JVM (about 1 s here): batch work into few calls, never one per test case.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The SASL mechanisms with a user and password (OAUTHBEARER takes a token instead: unsecuredToken()). */
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface KafkaUser {
  username: string;
  password: string;
}

/** What `node scripts/kafka.mjs start --json` reports, plus conveniences. */
export interface KafkaEnv {
  /** PLAINTEXT bootstrap, e.g. "127.0.0.1:9092" (three nodes: a comma-separated list). */
  bootstrap: string;
  /** SASL_SSL bootstrap, e.g. "127.0.0.1:9094"; offers the saslMechanisms. */
  saslSslBootstrap: string;
  /** Enabled on the SASL_SSL listener: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (unsecured tokens). */
  saslMechanisms: (SaslMechanism | 'OAUTHBEARER')[];
  /**
   * KIP-368: the session lifetime the broker announces on SASL_SSL for every mechanism (connections.max.reauth.ms,
   * a few seconds); a client must re-authenticate within it or the broker closes the connection.
   */
  saslSessionLifetimeMs: number;
  /** PEM file of the CA that signed the broker's certificate (SAN DNS:localhost, IP:127.0.0.1). */
  caFile: string;
  /** One user per SASL mechanism. */
  users: Record<SaslMechanism, KafkaUser>;
  /** .kafka/lib/kafka-clients-<version>.jar: carries the protocol message specs (common/message/*.json). */
  clientsJar: string;
  kafkaVersion: string;
  layout: 'single' | 'cluster';
  /** True when the ensureKafka() call that filled this started the broker (it was not running before). */
  startedNow: boolean;
  nodes: {
    id: number; pid: number | null; plaintext: number; controller: number; saslSsl: number; log: string; dataDir: string;
    /** Three-node cluster: the JMX port (read with `kafka-tool jmx`) and the node's broker.rack (null without racks). */
    jmx?: number | null; rack?: string | null;
    /**
     * Single node: the file its KIP-714 client telemetry receiver (test/telemetry-receiver) appends each accepted
     * push to, one JSON line each; null when the node runs without the receiver (started without a JDK, or before it).
     */
    telemetryLog?: string | null;
  }[];
  /** Three-node cluster: whether the brokers have racks and RackAwareReplicaSelector (KIP-392). */
  racks?: boolean;
}

/** The repository root (this file compiles to dist/test/integration/helpers/kafka.js). */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const KAFKA_TOOL = join(ROOT, 'scripts', 'kafka-tool');

/**
 * The SASL users, as configured by scripts/kafka.mjs (README.md "Local Kafka"). Also in ensureKafka().users;
 * exported here for tests that only need names.
 */
export const USERS: Readonly<Record<SaslMechanism, KafkaUser>> = {
  PLAIN: { username: 'plain-user', password: 'plain-secret' },
  'SCRAM-SHA-256': { username: 'scram256-user', password: 'scram256-secret' },
  'SCRAM-SHA-512': { username: 'scram512-user', password: 'scram512-secret' },
};

/** Client property files in config/ for kafka-tool's --command-config (paths relative to ROOT, where it runs). */
export const CLIENT_CONFIG: Readonly<Record<'PLAINTEXT' | SaslMechanism | 'OAUTHBEARER', string>> = {
  PLAINTEXT: 'config/plaintext.properties',
  PLAIN: 'config/sasl-plain.properties',
  'SCRAM-SHA-256': 'config/sasl-scram-sha-256.properties',
  'SCRAM-SHA-512': 'config/sasl-scram-sha-512.properties',
  OAUTHBEARER: 'config/sasl-oauthbearer.properties',
};

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'kafka.mjs')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root (scripts/kafka.mjs) above ${from}`);
  }
}

const started = new Map<1 | 3, KafkaEnv>();

/**
 * Starts the single node (or, with nodes 3, the three-node cluster) if not running and returns where it listens.
 * Memoised per process. Synchronous, so it also works at module top level; the async ensureKafka() wraps it.
 */
export function kafkaEnvSync(nodes: 1 | 3 = 1): KafkaEnv {
  let env = started.get(nodes);
  if (env === undefined) {
    let out: string;
    try {
      out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), 'start', '--json', '--nodes', String(nodes)], {
        cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000,
      });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`could not start Kafka (node scripts/kafka.mjs start --nodes ${nodes}):\n${err.stderr ?? err.message}`);
    }
    const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (line === undefined) throw new Error(`kafka.mjs start --json printed no JSON:\n${out}`);
    env = JSON.parse(line) as KafkaEnv;
    started.set(nodes, env);
  }
  return env;
}

export async function ensureKafka(opts: { nodes?: 1 | 3 } = {}): Promise<KafkaEnv> {
  return kafkaEnvSync(opts.nodes ?? 1);
}

let jars: { lib: string; clientsJar: string } | undefined;

/**
 * Kafka's jars in .kafka/lib (`node scripts/kafka.mjs jars`: downloaded once, re-fetched when the pom changes), for
 * tests that run Java code or read the protocol specs from kafka-clients without a broker. Memoised per process.
 */
export function kafkaJars(): { lib: string; clientsJar: string } {
  if (jars === undefined) {
    try {
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), 'jars'], {
        cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 10 * 60_000,
      });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`could not get the Kafka jars (node scripts/kafka.mjs jars):\n${err.stderr ?? err.message}`);
    }
    const lib = join(ROOT, '.kafka', 'lib');
    const clients = readdirSync(lib).filter((f) => /^kafka-clients-[\d.]+\.jar$/.test(f));
    if (clients.length !== 1) throw new Error(`expected one kafka-clients jar in ${lib}, found: ${clients.join(', ') || 'none'}`);
    jars = { lib, clientsJar: join(lib, clients[0]) };
  }
  return jars;
}

/**
 * Host and port of the first address in a bootstrap list such as KafkaEnv.bootstrap ("127.0.0.1:9092" or a
 * comma-separated list), for tests that open a socket themselves. Ports move with GREGOR_KAFKA_PORT_BASE: take them
 * from here, never from a literal.
 */
export function hostPort(bootstrap: string): { host: string; port: number } {
  const first = bootstrap.split(',')[0].trim();
  const i = first.lastIndexOf(':');
  const port = Number(first.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`hostPort: not host:port: '${bootstrap}'`);
  return { host: first.slice(0, i), port };
}

/**
 * An unsecured OAUTHBEARER token as the SASL_SSL listener accepts it (KIP-255; the broker's unsecured validator):
 * a JWT with header {"alg":"none"}, the claims `sub`, `iat` and `exp` (seconds), and an empty signature. Validity
 * starts now and lasts `lifetimeMs` (default one hour; a negative value gives an already expired token). `claims`
 * adds or overrides claims (e.g. `scope`).
 */
export function unsecuredToken(opts: { sub?: string; lifetimeMs?: number; claims?: Record<string, unknown> } = {}): string {
  const nowS = Date.now() / 1000;
  const exp = nowS + (opts.lifetimeMs ?? 3_600_000) / 1000;
  // The broker refuses an `iat` after `exp` as inconsistent: an expired token must fail as expired.
  const claims = { sub: opts.sub ?? 'oauth-user', iat: Math.min(nowS, exp - 1), exp, ...opts.claims };
  const part = (o: object): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

/** Stops a layout (`kafka.mjs stop --nodes N`); for tests that started the three-node cluster themselves. */
export function stopKafka(nodes: 1 | 3): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), 'stop', '--nodes', String(nodes)], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 5 * 60_000,
  });
  started.delete(nodes);
}

let counter = 0;

/**
 * A topic or group name unique across processes and calls: `<prefix>-<pid>-<time>-<n>-<random>`, legal as a Kafka
 * topic name (letters, digits, '.', '_', '-'). Tests never share names, so they run in any order and in parallel.
 */
export function uniqueName(prefix: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(prefix)) {
    throw new Error(`uniqueName: prefix must be 1-100 of [A-Za-z0-9._-], got '${prefix}'`);
  }
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}-${randomBytes(2).toString('hex')}`;
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  /** Written to the tool's stdin (then closed). Without it stdin is empty, so no tool waits for a terminal. */
  input?: string | Buffer;
  /** Kill the tool after this long (default 120 s) and reject: no test hangs on a stuck JVM. */
  timeoutMs?: number;
  /** Reject when the tool exits non-zero (default true). */
  check?: boolean;
}

/** Runs `scripts/kafka-tool <tool> ...args` (cwd: the repository root) and captures its output. */
export function kafkaTool(tool: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(KAFKA_TOOL, [tool, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.once('error', (e) => { clearTimeout(timer); reject(new Error(`kafka-tool ${tool}: ${e.message}`)); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const r: ToolResult = { code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      const cmd = `kafka-tool ${tool} ${args.join(' ')}`;
      if (timedOut) reject(new Error(`${cmd}: killed after ${timeoutMs} ms\n${r.stderr}`));
      else if ((opts.check ?? true) && code !== 0) reject(new Error(`${cmd}: exit ${code ?? signal}\n${r.stderr}${r.stdout}`));
      else resolve(r);
    });
    // A tool that exits before reading all of stdin closes the pipe: that is its exit status's business.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

export interface TopicOptions {
  replicationFactor?: number;
  /** Topic configs, e.g. { 'cleanup.policy': 'compact', 'message.timestamp.type': 'LogAppendTime' }. */
  configs?: Record<string, string>;
  /** Defaults to ensureKafka().bootstrap (PLAINTEXT). */
  bootstrap?: string;
}

/** Creates a topic through Kafka's own TopicCommand (one JVM); it returns once the controller accepted it. */
export async function createTopic(name: string, partitions = 1, opts: TopicOptions = {}): Promise<void> {
  const bootstrap = opts.bootstrap ?? (await ensureKafka()).bootstrap;
  const args = ['--bootstrap-server', bootstrap, '--create', '--topic', name, '--partitions', String(partitions)];
  if (opts.replicationFactor !== undefined) args.push('--replication-factor', String(opts.replicationFactor));
  for (const [k, v] of Object.entries(opts.configs ?? {})) args.push('--config', `${k}=${v}`);
  await kafkaTool('topics', args);
}

export async function deleteTopic(name: string, opts: { bootstrap?: string } = {}): Promise<void> {
  const bootstrap = opts.bootstrap ?? (await ensureKafka()).bootstrap;
  await kafkaTool('topics', ['--bootstrap-server', bootstrap, '--delete', '--topic', name]);
}

/** A record for produce(). null key/value/header value are sent as null (not as empty bytes). */
export interface TestRecord {
  key?: string | null;
  value: string | null;
  headers?: Record<string, string | null> | readonly (readonly [string, string | null])[];
}

export interface ProduceOptions {
  compression?: Compression;
  /** linger.ms: larger values put more records in one batch (default 5). */
  lingerMs?: number;
  /** batch.size in bytes (default 16384). */
  batchSize?: number;
  /**
   * How records with a null key are spread: 'roundrobin' cycles partitions record by record (RoundRobinPartitioner;
   * it also applies to keyed records); 'default' is Kafka's (murmur2 of the key, sticky batches without a key).
   */
  partitioner?: 'default' | 'roundrobin';
  /** acks: default 'all'. */
  acks?: '0' | '1' | 'all';
  /** Any other producer property (e.g. 'enable.idempotence': 'false'). */
  properties?: Record<string, string>;
  /** Defaults to ensureKafka().bootstrap (PLAINTEXT). */
  bootstrap?: string;
}

// console-producer's LineMessageReader splits each line on these; ASCII control characters never occur in test
// data, so keys, values and headers may contain tabs, commas and colons freely.
const KEY_SEP = '\u001e';
const HEADERS_SEP = '\u001d';
const HEADER_KV_SEP = '\u001c';
const NULL_MARKER = '\u0018';
const FORBIDDEN = ['\n', '\r', NULL_MARKER, HEADER_KV_SEP, HEADERS_SEP, KEY_SEP];

function field(s: string | null | undefined, what: string): string {
  if (s === null || s === undefined) return NULL_MARKER;
  if (FORBIDDEN.some((c) => s.includes(c))) throw new Error(`produce: ${what} contains a newline or a reserved control character: ${JSON.stringify(s)}`);
  return s;
}

/**
 * Produces records in order with Kafka's Java producer, all in ONE JVM (console-producer reading a generated
 * file). Records with the same key land in the same partition (murmur2, see partitionForKey()), in the given order.
 * Keys, values and headers are UTF-8 text without newlines. Returns the number of records sent.
 */
export async function produce(topic: string, records: Iterable<TestRecord>, opts: ProduceOptions = {}): Promise<number> {
  const bootstrap = opts.bootstrap ?? (await ensureKafka()).bootstrap;
  const lines: string[] = [];
  for (const r of records) {
    const pairs = r.headers === undefined ? [] : Array.isArray(r.headers) ? r.headers : Object.entries(r.headers);
    const headers = pairs.length === 0
      ? NULL_MARKER // the reader treats a null header block as "no headers"; an empty one is a parse error
      : pairs.map(([k, v]) => `${field(k, 'header key')}${HEADER_KV_SEP}${field(v, 'header value')}`).join(HEADERS_SEP);
    if (pairs.some(([k]) => k === '')) throw new Error('produce: empty header key');
    lines.push(`${headers}${KEY_SEP}${field(r.key, 'key')}${KEY_SEP}${field(r.value, 'value')}`);
  }
  if (lines.length === 0) return 0;
  const props: Record<string, string> = {
    acks: opts.acks ?? 'all',
    'compression.type': opts.compression ?? 'none',
    'linger.ms': String(opts.lingerMs ?? 5),
    'batch.size': String(opts.batchSize ?? 16384),
    ...(opts.partitioner === 'roundrobin' ? { 'partitioner.class': 'org.apache.kafka.clients.producer.RoundRobinPartitioner' } : {}),
    ...opts.properties,
  };
  const args = ['--bootstrap-server', bootstrap, '--topic', topic,
    '--reader-property', 'parse.key=true', '--reader-property', 'parse.headers=true',
    '--reader-property', `key.separator=${KEY_SEP}`, '--reader-property', `headers.delimiter=${KEY_SEP}`,
    '--reader-property', `headers.separator=${HEADERS_SEP}`, '--reader-property', `headers.key.separator=${HEADER_KV_SEP}`,
    '--reader-property', `null.marker=${NULL_MARKER}`,
    // The tool's own 1.5 s request timeout is short for a busy 2-core machine.
    '--request-timeout-ms', '30000',
    // console-producer's --compression-codec defaults to none and overrides a compression.type property, so the
    // codec must be passed through the flag or the data is silently written uncompressed.
    '--compression-codec', props['compression.type']];
  for (const [k, v] of Object.entries(props)) args.push('--command-property', `${k}=${v}`);
  await kafkaTool('console-producer', args, { input: `${lines.join('\n')}\n`, timeoutMs: 300_000 });
  return lines.length;
}

/**
 * Bulk load: `count` records of `recordSize` random-ish bytes through producer-perf-test (one JVM). Null keys;
 * returns the tool's last summary line ("N records sent, X records/sec ...").
 */
export async function producePerf(topic: string, count: number, recordSize: number, opts: ProduceOptions = {}): Promise<string> {
  const bootstrap = opts.bootstrap ?? (await ensureKafka()).bootstrap;
  const props: Record<string, string> = {
    'bootstrap.servers': bootstrap,
    acks: opts.acks ?? 'all',
    'compression.type': opts.compression ?? 'none',
    'linger.ms': String(opts.lingerMs ?? 5),
    'batch.size': String(opts.batchSize ?? 65536),
    ...(opts.partitioner === 'roundrobin' ? { 'partitioner.class': 'org.apache.kafka.clients.producer.RoundRobinPartitioner' } : {}),
    ...opts.properties,
  };
  const args = ['--topic', topic, '--num-records', String(count), '--record-size', String(recordSize), '--throughput', '-1',
    '--producer-props', ...Object.entries(props).map(([k, v]) => `${k}=${v}`)];
  const r = await kafkaTool('producer-perf-test', args, { timeoutMs: 600_000 });
  const lines = r.stdout.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/** Log-end offsets (next offset to be written) per partition, through GetOffsetShell. */
export async function endOffsets(topic: string, opts: { bootstrap?: string; time?: 'latest' | 'earliest' } = {}): Promise<Map<number, bigint>> {
  const bootstrap = opts.bootstrap ?? (await ensureKafka()).bootstrap;
  const r = await kafkaTool('get-offsets', ['--bootstrap-server', bootstrap, '--topic', topic, '--time', opts.time === 'earliest' ? '-2' : '-1']);
  const out = new Map<number, bigint>();
  for (const line of r.stdout.split('\n')) {
    // topic:partition:offset (the topic name itself has no ':')
    const m = /^(.+):(\d+):(-?\d+)$/.exec(line.trim());
    if (m && m[1] === topic) out.set(Number(m[2]), BigInt(m[3]));
  }
  if (out.size === 0) throw new Error(`get-offsets printed no offsets for ${topic}:\n${r.stdout}${r.stderr}`);
  return out;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** null when the group has no committed offset for the partition ("-"). */
  offset: bigint | null;
  logEndOffset: bigint | null;
  lag: bigint | null;
}

/** The group's committed offsets, through `consumer-groups --describe --offsets`. Empty if the group has none. */
export async function committedOffsets(group: string, opts: { bootstrap?: string } = {}): Promise<CommittedOffset[]> {
  const bootstrap = opts.bootstrap ?? (await ensureKafka()).bootstrap;
  const r = await kafkaTool('consumer-groups', ['--bootstrap-server', bootstrap, '--describe', '--offsets', '--group', group], { check: false });
  if (r.code !== 0) {
    // A group that never committed does not exist for the coordinator.
    if (/does not exist/.test(r.stdout + r.stderr)) return [];
    throw new Error(`consumer-groups --describe ${group}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  }
  const rows = r.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const headerAt = rows.findIndex((l) => /^GROUP\s+TOPIC\s+PARTITION/.test(l));
  if (headerAt < 0) return [];
  const cols = rows[headerAt].split(/\s+/);
  const at = (name: string): number => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`consumer-groups output lacks column ${name}: ${rows[headerAt]}`);
    return i;
  };
  const num = (s: string | undefined): bigint | null => (s === undefined || s === '-' ? null : BigInt(s));
  return rows.slice(headerAt + 1).filter((l) => !/^GROUP\s/.test(l)).map((l) => {
    const f = l.split(/\s+/);
    return {
      topic: f[at('TOPIC')], partition: Number(f[at('PARTITION')]),
      offset: num(f[at('CURRENT-OFFSET')]), logEndOffset: num(f[at('LOG-END-OFFSET')]), lag: num(f[at('LAG')]),
    };
  }).sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

/**
 * Sets group configs (KIP-848 per-group overrides), e.g. { 'consumer.session.timeout.ms': '3000',
 * 'consumer.heartbeat.interval.ms': '500' }; the broker allows values down to its floors (1 s / 100 ms here).
 */
export async function setGroupConfig(group: string, configs: Record<string, string>, opts: { bootstrap?: string } = {}): Promise<void> {
  const bootstrap = opts.bootstrap ?? (await ensureKafka()).bootstrap;
  const add = Object.entries(configs).map(([k, v]) => `${k}=${v}`).join(',');
  await kafkaTool('configs', ['--bootstrap-server', bootstrap, '--alter', '--entity-type', 'groups', '--entity-name', group, '--add-config', add]);
}

/**
 * The partition Kafka's default partitioner picks for a non-null key: murmur2 (Kafka's variant, seed 0x9747b28c)
 * of the key's UTF-8 bytes, made non-negative by masking the sign bit, modulo the partition count. Lets a test
 * predict where produce() puts each key.
 */
export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The 1-3 trailing bytes, highest first (the reference implementation's fall-through switch).
  const rest = length & 3;
  if (rest === 3) h ^= (data[whole + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[whole + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[whole] & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
