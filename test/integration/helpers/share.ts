// Share groups (KIP-932) from Kafka's side, for tests: a member run by Kafka's Java ConsoleShareConsumer (one JVM,
// records printed one per line as they arrive) and the share-group state as Kafka's ShareGroupCommand
// (`kafka-share-groups --describe`) prints it, to compare gregor's admin and CLI views with.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Admin } from '../../../src/admin/index.js';
import { ensureKafka, KAFKA_TOOL, kafkaTool, ROOT } from './kafka.js';

/**
 * Sets share-group configs (share.auto.offset.reset, share.record.lock.duration.ms, ...) and waits until the broker
 * answers DescribeConfigs with them: the controller applies the change and a broker's metadata image follows, so a
 * member started at once could still be given the defaults (a share group reading from latest misses the records
 * written before; seen as DescribeConfigs answering 'latest' right after the alter).
 */
export async function setShareGroupConfigs(admin: Admin, group: string, configs: Record<string, string>, timeoutMs = 10_000): Promise<void> {
  await admin.incrementalAlterConfigs([{ type: 'group', name: group, configs: Object.entries(configs).map(([name, value]) => ({ name, op: 'set' as const, value })) }]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [described] = await admin.describeConfigs([{ type: 'group', name: group }]);
    const missing = Object.entries(configs).filter(([name, value]) => described.configs.find((c) => c.name === name)?.value !== value);
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`group ${group}: ${missing.map(([n, v]) => `${n}=${v}`).join(', ')} not visible in DescribeConfigs after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface JavaShareConsumer {
  readonly process: ChildProcess;
  /** Lines printed so far (one per record with the default formatter: the value). */
  readonly lines: string[];
  /** Resolves once `count` lines were printed; rejects if the process exits first or `timeoutMs` passes. */
  waitForLines(count: number, timeoutMs?: number): Promise<void>;
  /** SIGTERM (the tool's shutdown hook closes its consumer, which leaves the group) and wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts Kafka's ConsoleShareConsumer as a member of share group `group` on `topic`. `properties` go to the consumer
 * (--consumer-property k=v); `formatter` to the formatter (e.g. { 'print.partition': 'true', 'print.offset': 'true' }).
 */
export async function startJavaShareConsumer(
  topic: string, group: string, opts: { bootstrap?: string; properties?: Record<string, string>; formatter?: Record<string, string> } = {},
): Promise<JavaShareConsumer> {
  const bootstrap = opts.bootstrap ?? (await ensureKafka()).bootstrap;
  const args = ['console-share-consumer', '--bootstrap-server', bootstrap, '--topic', topic, '--group', group];
  for (const [k, v] of Object.entries(opts.properties ?? {})) args.push('--consumer-property', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.formatter ?? {})) args.push('--formatter-property', `${k}=${v}`);
  const child = spawn(KAFKA_TOOL, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { for (const w of waiters) w(); resolve(); }));
  return {
    process: child,
    lines,
    waitForLines(count, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`ConsoleShareConsumer printed ${lines.length} of ${count} lines in ${timeoutMs} ms\n${stderr}`)); }, timeoutMs);
        const check = () => {
          if (lines.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`ConsoleShareConsumer exited (${child.exitCode ?? child.signalCode}) after ${lines.length} of ${count} lines\n${stderr}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One row of `kafka-share-groups --describe --offsets --verbose`: '-' is null. */
export interface JavaShareOffset {
  topic: string;
  partition: number;
  leaderEpoch: number | null;
  startOffset: bigint | null;
  lag: bigint | null;
}

/** The share group's offsets as Kafka's ShareGroupCommand prints them, sorted by topic and partition. */
export async function javaShareGroupOffsets(group: string, opts: { bootstrap?: string } = {}): Promise<JavaShareOffset[]> {
  const bootstrap = opts.bootstrap ?? (await ensureKafka()).bootstrap;
  const r = await kafkaTool('share-groups', ['--bootstrap-server', bootstrap, '--describe', '--offsets', '--verbose', '--group', group]);
  const rows = r.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const headerAt = rows.findIndex((l) => /^GROUP\s+TOPIC\s+PARTITION/.test(l));
  if (headerAt < 0 && /has no offset information/.test(r.stdout)) return [];
  if (headerAt < 0) throw new Error(`share-groups --describe printed no offsets table:\n${r.stdout}${r.stderr}`);
  const cols = rows[headerAt].split(/\s+/);
  const at = (name: string) => cols.indexOf(name);
  const big = (s: string | undefined) => (s === undefined || s === '-' ? null : BigInt(s));
  return rows.slice(headerAt + 1).map((l) => {
    const f = l.split(/\s+/);
    const epoch = f[at('LEADER-EPOCH')];
    return {
      topic: f[at('TOPIC')], partition: Number(f[at('PARTITION')]),
      leaderEpoch: epoch === undefined || epoch === '-' ? null : Number(epoch),
      startOffset: big(f[at('START-OFFSET')]), lag: big(f[at('LAG')]),
    };
  }).sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}
