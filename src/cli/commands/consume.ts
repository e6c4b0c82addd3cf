// gregor consume: the hands-on consumer loop as a command.
//
//   consumer.subscribe(topics)
//   while running: msg = poll(1 s); None -> "Waiting..."; else print the line
//   on Ctrl-C: close (commit what was delivered, leave the group)
//
// Ctrl-C does not interrupt a poll in progress: the poll ends within its 1 s timeout, and a message it returns is
// printed before closing. That matters for correctness, not just tidiness: with auto-commit, close() commits
// every message the consumer handed over, so a message handed over must also be printed, or it would be
// committed unseen.

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from '../../consumer/prometheus.js';
import { resolveConfig, type LogFunction, type ResolvedConsumerConfig } from '../../config/index.js';
import {
  UsageError, checkTopicName, configFileArg, mergeProperties, oneOf, parseCommandArgs, parseProperties, positiveInt,
  propertyOverrides, type Override,
} from '../args.js';
import type { CliConsumer, CliDeps } from '../deps.js';
import { LineWriter, formatJson, formatText } from '../output.js';
import { DEFAULT_STATS_INTERVAL_MS, MIN_STATS_INTERVAL_MS, StatsReporter, parseInterval } from '../consume-stats.js';

const COMMAND = 'consume';
/** The hands-on polls with a 1.0 s timeout. */
export const POLL_TIMEOUT_MS = 1000;

export interface ConsumeOptions {
  readonly configFile: string;
  readonly topics: readonly string[];
  readonly groupId: string | undefined;
  readonly fromBeginning: boolean;
  readonly count: number | undefined;
  readonly format: 'text' | 'json';
  readonly properties: ReadonlyArray<[string, string]>;
  readonly verbose: boolean;
  /** --metrics-port: serve Prometheus metrics at http://127.0.0.1:<port>/metrics (0: any free port). */
  readonly metricsPort: number | undefined;
  /** --stats [interval]: a statistics line on stderr every statsIntervalMs; undefined without --stats. */
  readonly statsIntervalMs: number | undefined;
  /** --share: read as a member of the share group named by group.id (KIP-932) instead of a consumer group. */
  readonly share?: boolean;
  /** --key-deserializer / --value-deserializer (bytes: unset, the bytes as before). */
  readonly keyDeserializer: CliDeserializer;
  readonly valueDeserializer: CliDeserializer;
  /** --error-policy: gregor.error.policy. */
  readonly errorPolicy: 'stop' | 'skip' | 'dead-letter' | undefined;
  /** --dead-letter-topic: gregor.dead.letter.topic. */
  readonly deadLetterTopic: string | undefined;
}

/** What --key-deserializer and --value-deserializer accept. */
export type CliDeserializer = 'bytes' | 'string' | 'json' | 'hex' | 'base64';
const DESERIALIZERS = ['bytes', 'string', 'json', 'hex', 'base64'] as const;

/** The key.deserializer / value.deserializer value for a CLI choice (hex and base64 are the CLI's own). */
function deserializerFor(choice: CliDeserializer): string | ((data: Buffer) => string) | undefined {
  switch (choice) {
    case 'bytes': return undefined;
    case 'hex': return (data) => data.toString('hex');
    case 'base64': return (data) => data.toString('base64');
    default: return choice;
  }
}

/**
 * `--stats` takes an optional interval: `--stats`, `--stats 10s`, `--stats=500ms`. parseArgs has no optional values,
 * so the forms become `--stats=<interval>` first; a bare --stats gets the default.
 */
function statsForms(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--stats') {
      out.push(argv[i]);
    } else if (argv[i + 1] !== undefined && /^\d+(\.\d+)?(ms|s)?$/.test(argv[i + 1])) {
      out.push(`--stats=${argv[++i]}`);
    } else {
      out.push(`--stats=${DEFAULT_STATS_INTERVAL_MS}ms`);
    }
  }
  return out;
}

function statsArg(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseInterval(value);
  if (Number.isNaN(ms) || ms < MIN_STATS_INTERVAL_MS) {
    throw new UsageError(`--stats takes an interval such as 5s or 500ms (milliseconds without a unit; at least ${MIN_STATS_INTERVAL_MS} ms), got '${value}'`, COMMAND);
  }
  return ms;
}

/** Parses `gregor consume` arguments; 'help' when --help was asked for. Throws UsageError. */
export function parseConsumeArgs(argv: string[]): ConsumeOptions | 'help' {
  const { values, positionals } = parseCommandArgs(COMMAND, statsForms(argv), {
    'topic': { type: 'string', short: 't', multiple: true },
    'group': { type: 'string', short: 'g' },
    'from-beginning': { type: 'boolean' },
    'count': { type: 'string', short: 'n' },
    'format': { type: 'string' },
    'property': { type: 'string', short: 'p', multiple: true },
    'verbose': { type: 'boolean', short: 'v' },
    'metrics-port': { type: 'string' },
    'stats': { type: 'string' },
    'share': { type: 'boolean' },
    'key-deserializer': { type: 'string' },
    'value-deserializer': { type: 'string' },
    'error-policy': { type: 'string' },
    'dead-letter-topic': { type: 'string' },
    'help': { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return 'help';
  const configFile = configFileArg(COMMAND, positionals);
  const topics = (values.topic as string[] | undefined) ?? [];
  if (topics.length === 0) throw new UsageError('at least one --topic <name> is required', COMMAND);
  const unique = [...new Set(topics.map((t) => checkTopicName(COMMAND, t)))];
  const group = values.group as string | undefined;
  if (group !== undefined && group.trim() === '') throw new UsageError('--group needs a non-empty id', COMMAND);
  const share = values.share === true;
  if (share) {
    // A share group has no per-consumer start position: where it starts is the group's config (KIP-932).
    if (values['from-beginning'] === true) {
      throw new UsageError('--from-beginning does not apply to a share group: where a new share group starts is its group config share.auto.offset.reset (latest by default), e.g. kafka-configs --alter --entity-type groups --entity-name <group> --add-config share.auto.offset.reset=earliest', COMMAND);
    }
    // --stats reports a consumer group's lag and positions, which a share member does not have.
    if (values.stats !== undefined) throw new UsageError('--stats is for consumer groups; not with --share', COMMAND);
  }
  return {
    configFile,
    topics: unique,
    groupId: group?.trim(),
    fromBeginning: values['from-beginning'] === true,
    count: positiveInt(COMMAND, '--count', values.count as string | undefined),
    format: oneOf(COMMAND, '--format', values.format as string | undefined, ['text', 'json'] as const, 'text'),
    properties: parseProperties(COMMAND, values.property as string[] | undefined),
    verbose: values.verbose === true,
    metricsPort: portArg(values['metrics-port'] as string | undefined),
    statsIntervalMs: statsArg(values.stats as string | undefined),
    ...(share ? { share } : {}),
    keyDeserializer: oneOf(COMMAND, '--key-deserializer', values['key-deserializer'] as string | undefined, DESERIALIZERS, 'bytes'),
    valueDeserializer: oneOf(COMMAND, '--value-deserializer', values['value-deserializer'] as string | undefined, DESERIALIZERS, 'bytes'),
    errorPolicy: values['error-policy'] === undefined ? undefined
      : oneOf(COMMAND, '--error-policy', values['error-policy'] as string, ['stop', 'skip', 'dead-letter'] as const, 'stop'),
    deadLetterTopic: values['dead-letter-topic'] === undefined ? undefined : checkTopicName(COMMAND, values['dead-letter-topic'] as string),
  };
}

function portArg(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n > 65535) {
    throw new UsageError(`--metrics-port needs a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(value)}`, COMMAND);
  }
  return n;
}

/**
 * Serves the consumer's metrics in Prometheus' text format at http://127.0.0.1:<port>/metrics while the command
 * runs (loopback only: metrics name topics and groups). Resolves once listening, with the port bound.
 */
async function serveMetrics(consumer: CliConsumer, port: number): Promise<{ server: Server; port: number }> {
  const metrics = consumer.metrics;
  const own = consumer.prometheus;
  const page: (() => string) | undefined = own !== undefined ? () => own.call(consumer) : metrics !== undefined ? () => prometheusText(metrics.call(consumer)) : undefined;
  if (page === undefined) throw new UsageError('--metrics-port: this consumer has no metrics()', COMMAND);
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('gregor serves /metrics only\n');
      return;
    }
    res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(page());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A scrape must not keep the command alive after the consumer closed.
  server.unref();
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * gregor's log lines on stderr as `gregor: <level>: <message> <fields>`, with --verbose only. Without it the client
 * logs nothing: a failure reaches the user once, as the one error line main() prints, not also as the log lines
 * that led to it.
 */
export function stderrLogger(deps: Pick<CliDeps, 'stderr'>, verbose: boolean): LogFunction {
  if (!verbose) return () => {};
  return (level, message, fields) => {
    const extra = fields !== undefined && Object.keys(fields).length > 0 ? ` ${safeJson(fields)}` : '';
    deps.stderr.write(`gregor: ${level}: ${message}${extra}\n`);
  };
}

/**
 * Connections that fail are retried until default.api.timeout.ms, and without --verbose nothing said so: a wrong
 * port looked like an idle topic ("Waiting...") for a minute, then failed. So the first failure to reach each
 * address is said at once on stderr (address and reason, as librdkafka and the Java tools do) while the retries go
 * on. It follows the network layer's 'connection failed' warning (src/network/broker.ts).
 */
export function connectionWarnings(deps: Pick<CliDeps, 'stderr'>, timeoutMs: () => number | undefined): LogFunction {
  const warned = new Set<string>();
  return (level, message, fields) => {
    if (level !== 'warn' || message !== 'connection failed') return;
    const broker = typeof fields?.broker === 'string' ? fields.broker : '';
    if (warned.has(broker)) return;
    warned.add(broker);
    const reason = typeof fields?.error === 'string' ? fields.error : `cannot connect to ${broker}`;
    const t = timeoutMs();
    const until = t === undefined ? ' (Ctrl-C to stop)' : ` for up to ${t / 1000} s (default.api.timeout.ms)`;
    deps.stderr.write(`gregor: warning: ${reason}; retrying${until}\n`);
  };
}

/** Both loggers: the first failed connection per address always, everything with --verbose. */
export function cliLogger(deps: Pick<CliDeps, 'stderr'>, verbose: boolean, timeoutMs: () => number | undefined): LogFunction {
  const warn = connectionWarnings(deps, timeoutMs);
  const print = stderrLogger(deps, verbose);
  return (level, message, fields) => {
    warn(level, message, fields);
    print(level, message, fields);
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return '[unprintable]';
  }
}

/**
 * The consumer configuration: the file, then --property, then the dedicated flags. Without any group id a fresh
 * group is made up, and - as Kafka's console consumer does for its generated groups - auto-commit is turned off
 * unless asked for, so a throwaway group leaves no offsets behind.
 */
export function consumeConfig(opts: ConsumeOptions, deps: Pick<CliDeps, 'stderr'>): ResolvedConsumerConfig {
  const overrides: Override[] = propertyOverrides([...opts.properties]);
  if (opts.groupId !== undefined) overrides.push({ name: 'group.id', value: opts.groupId, origin: '--group' });
  if (opts.fromBeginning) overrides.push({ name: 'auto.offset.reset', value: 'earliest', origin: '--from-beginning' });
  const key = deserializerFor(opts.keyDeserializer);
  if (key !== undefined) overrides.push({ name: 'key.deserializer', value: key, origin: '--key-deserializer' });
  const value = deserializerFor(opts.valueDeserializer);
  if (value !== undefined) overrides.push({ name: 'value.deserializer', value, origin: '--value-deserializer' });
  if (opts.errorPolicy !== undefined) overrides.push({ name: 'gregor.error.policy', value: opts.errorPolicy, origin: '--error-policy' });
  if (opts.deadLetterTopic !== undefined) overrides.push({ name: 'gregor.dead.letter.topic', value: opts.deadLetterTopic, origin: '--dead-letter-topic' });
  // No deadline is named: the consumer reports a failure once it has lasted default.api.timeout.ms, but a bootstrap
  // attempt that never connects runs the network layer's own 30 s first, so "up to N s" would not be true.
  overrides.push({ name: 'gregor.logger', value: cliLogger(deps, opts.verbose, () => undefined), origin: 'gregor consume' });
  if (opts.verbose) overrides.push({ name: 'gregor.log.level', value: 'debug', origin: '--verbose' });
  // Explicit: a record is accepted once it was printed, never merely because it was fetched (see share-consume.ts).
  if (opts.share === true) overrides.push({ name: 'share.acknowledgement.mode', value: 'explicit', origin: '--share' });
  const merged = mergeProperties('consumer', opts.configFile, overrides);
  let generatedGroup: string | undefined;
  if (!merged.has('group.id')) {
    generatedGroup = `gregor-consume-${opts.share === true ? 'share-' : ''}${randomBytes(4).toString('hex')}`;
    merged.values['group.id'] = generatedGroup;
    if (!merged.has('enable.auto.commit')) merged.values['enable.auto.commit'] = false;
  }
  const config = resolveConfig('consumer', merged.values, {
    origins: merged.origins,
    onWarning: (w) => { deps.stderr.write(`gregor: warning: ${w.message}\n`); },
  });
  if (generatedGroup !== undefined && opts.verbose) {
    const commits = opts.share === true ? 'a new share group starts at the latest offset' : config['enable.auto.commit'] ? 'auto-commit on' : 'commits nothing';
    deps.stderr.write(`gregor: no group.id given; using the new group ${generatedGroup} (${commits})\n`);
  }
  return config;
}

async function closeQuietly(consumer: CliConsumer, deps: CliDeps, verbose: boolean): Promise<void> {
  try {
    await consumer.close();
  } catch (err) {
    if (verbose) deps.stderr.write(`gregor: closing after the error also failed: ${(err as Error).message}\n`);
  }
}

/** Runs the consume loop until --count, Ctrl-C/SIGTERM, or a closed stdout. Resolves to the exit code. */
export async function runConsume(opts: ConsumeOptions, deps: CliDeps): Promise<number> {
  const config = consumeConfig(opts, deps);
  let stopping = false;
  const onSignal = () => {
    if (stopping) {
      deps.stderr.write('gregor: interrupted again; exiting without closing cleanly\n');
      deps.exit(130);
      return;
    }
    stopping = true;
    if (opts.verbose) deps.stderr.write('gregor: closing (Ctrl-C again to exit at once)\n');
  };
  deps.signals.on('SIGINT', onSignal);
  deps.signals.on('SIGTERM', onSignal);
  const writer = new LineWriter(deps.stdout);
  const format = opts.format === 'json' ? formatJson : formatText;
  let consumer: CliConsumer | undefined;
  let metricsServer: Server | undefined;
  let stats: StatsReporter | undefined;
  let printed = 0;
  try {
    try {
      consumer = opts.share === true ? await deps.createShareConsumer(config) : await deps.createConsumer(config);
      if (opts.metricsPort !== undefined) {
        const served = await serveMetrics(consumer, opts.metricsPort);
        metricsServer = served.server;
        deps.stderr.write(`gregor: metrics at http://127.0.0.1:${served.port}/metrics\n`);
      }
      if (opts.statsIntervalMs !== undefined) {
        const c = consumer;
        const metrics = c.metrics;
        if (metrics === undefined) throw new UsageError('--stats: this consumer has no metrics()', COMMAND);
        stats = new StatsReporter({ metrics: () => metrics.call(c), printed: () => printed }, (line) => { deps.stderr.write(line); }, opts.statsIntervalMs, opts.count);
        stats.start();
      }
      if (!stopping) await consumer.subscribe([...opts.topics]);
      while (!stopping && !writer.broken && (opts.count === undefined || printed < opts.count)) {
        const backpressure = writer.ready();
        if (backpressure !== undefined) await backpressure;
        const message = await consumer.poll(POLL_TIMEOUT_MS);
        if (message === null) {
          if (!stopping) deps.stderr.write('Waiting...\n');
          continue;
        }
        writer.push(format(message));
        printed++;
      }
      // The run's total while the consumer still owns its partitions (their lag is gone after close()).
      stats?.stop();
      stats = undefined;
      await writer.end();
    } catch (err) {
      // What was handed over is printed even when the next poll fails: it may be committed on close.
      writer.flush();
      if (consumer !== undefined) await closeQuietly(consumer, deps, opts.verbose);
      throw err;
    }
    await consumer.close();
  } finally {
    stats?.stop();
    metricsServer?.close();
    deps.signals.off('SIGINT', onSignal);
    deps.signals.off('SIGTERM', onSignal);
  }
  if (opts.verbose) deps.stderr.write(`gregor: printed ${printed} message${printed === 1 ? '' : 's'}\n`);
  return 0;
}
