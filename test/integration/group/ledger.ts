// The ledger of the group scale tests: gregor members run as separate processes (member-child.ts) and report every
// assignment, revoke, loss, delivery and acknowledged commit; Kafka's Java producer streams records meanwhile
// (console-producer fed over time, one JVM for the whole test). From the members' reports the ledger checks what
// issue 5 promises:
//   - nothing lost: every offset below each partition's end was delivered to some member;
//   - order: within one member's ownership of a partition (an "ownership span", assigned -> revoked/lost), the
//     offsets delivered are consecutive and increasing;
//   - hand-over: spans of one partition never overlap in time, and each new owner starts exactly where the previous
//     one stopped (its commit in the revoked listener), except after a SIGKILLed owner: then at its last
//     acknowledged commit or later - so records are delivered twice only after a killed member's last commit.
// It also keeps the live view the tests wait on: who owns what now, and when each partition was last consumed.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAFKA_TOOL, ROOT } from '../helpers/kafka.js';
import type { MemberArgs } from './member-child.js';

/** One member's ownership of one partition, from its assigned event to its revoked or lost event. */
interface Span {
  member: string;
  partition: number;
  /** Child-side wall-clock times (ms) of the first and last delivery. */
  firstT: number;
  lastT: number;
  first: number;
  last: number;
  count: number;
  /** The last acknowledged commit (next offset) of this partition while the span was open; -1 if none. */
  committed: number;
  end: 'R' | 'L' | null;
}

interface MemberView {
  owned: Set<number>;
  open: Map<number, Span>;
  startedAt: number | undefined;
  exited: boolean;
}

export class Ledger {
  readonly problems: string[] = [];
  /** A/R/L/E/X lines in arrival order, for the report. */
  readonly events: string[] = [];
  readonly killed = new Set<string>();
  /** Members asked to leave (SIGTERM or SIGKILL): no longer expected to own anything. */
  readonly leaving = new Set<string>();
  private readonly members = new Map<string, MemberView>();
  private readonly spans: Span[] = [];
  /** Deliveries per partition and offset. */
  private readonly counts: number[][];
  /** Test-side receipt time of the latest delivery per partition. */
  private readonly lastSeen: number[];
  deliveries = 0;

  constructor(readonly partitions: number) {
    this.counts = Array.from({ length: partitions }, () => []);
    this.lastSeen = Array.from({ length: partitions }, () => 0);
  }

  private member(name: string): MemberView {
    let m = this.members.get(name);
    if (m === undefined) this.members.set(name, (m = { owned: new Set(), open: new Map(), startedAt: undefined, exited: false }));
    return m;
  }

  /** One line of a member's stdout (see member-child.ts). */
  line(l: string): void {
    if (l.trim() === '') return;
    const f = l.split(' ');
    const [kind, ts, name] = f;
    const t = Number(ts);
    if (name === undefined || !Number.isFinite(t)) {
      this.problems.push(`unreadable member line: ${l}`);
      return;
    }
    const m = this.member(name);
    const list = (s: string | undefined): number[] => (s === undefined || s === '' ? [] : s.split(',').map(Number));
    switch (kind) {
      case 'S':
        m.startedAt = Date.now();
        return;
      case 'D': {
        const p = Number(f[3]);
        const o = Number(f[4]);
        const span = m.open.get(p);
        this.deliveries++;
        (this.counts[p] ??= [])[o] = (this.counts[p]![o] ?? 0) + 1;
        this.lastSeen[p] = Date.now();
        if (span === undefined) {
          this.problems.push(`${name} delivered ${p}@${o} without owning partition ${p}`);
          return;
        }
        if (span.count === 0) {
          span.first = o;
          span.firstT = t;
        } else if (o !== span.last + 1) {
          this.problems.push(`${name} delivered ${p}@${o} right after ${p}@${span.last} (same ownership span)`);
        }
        span.last = o;
        span.lastT = t;
        span.count++;
        return;
      }
      case 'C':
        for (const po of f[3]!.split(',')) {
          const [p, o] = po.split(':').map(Number) as [number, number];
          const span = m.open.get(p);
          if (span !== undefined) span.committed = o;
        }
        return;
      case 'A':
        for (const p of list(f[3])) {
          if (m.open.has(p)) this.problems.push(`${name} was assigned ${p} twice`);
          m.owned.add(p);
          const span: Span = { member: name, partition: p, firstT: 0, lastT: 0, first: -1, last: -1, count: 0, committed: -1, end: null };
          m.open.set(p, span);
          this.spans.push(span);
        }
        break;
      case 'R':
      case 'L':
        for (const p of list(f[3])) {
          const span = m.open.get(p);
          if (span === undefined) this.problems.push(`${name}: ${kind} of ${p}, which it did not own`);
          else span.end = kind;
          m.open.delete(p);
          m.owned.delete(p);
        }
        break;
      case 'X':
        m.exited = true;
        break;
      case 'E':
        break;
      default:
        this.problems.push(`unknown member line: ${l}`);
        return;
    }
    this.events.push(`${kind} ${name}${f.length > 3 ? ` ${f.slice(3).join(' ')}` : ''}`);
  }

  startedAt(name: string): number | undefined {
    return this.members.get(name)?.startedAt;
  }

  owned(name: string): number[] {
    return [...(this.members.get(name)?.owned ?? [])].sort((a, b) => a - b);
  }

  /**
   * The members not asked to leave own the partitions evenly (P / n each, every partition once; the assignors in
   * use all balance one topic exactly when n divides P) and the members that left cleanly own nothing.
   */
  balanced(live: readonly string[]): boolean {
    if (live.length === 0 || this.partitions % live.length !== 0) return false;
    const share = this.partitions / live.length;
    const all = new Set<number>();
    for (const name of live) {
      const owned = this.members.get(name)?.owned;
      if (owned === undefined || owned.size !== share) return false;
      for (const p of owned) all.add(p);
    }
    if (all.size !== this.partitions) return false;
    for (const name of this.leaving) {
      if (!this.killed.has(name) && (this.members.get(name)?.owned.size ?? 0) > 0) return false;
    }
    return true;
  }

  /** Every partition had a record delivered (as the test saw it) at or after `t`. */
  consumedSince(t: number): boolean {
    return this.lastSeen.every((s) => s >= t);
  }

  /** Distinct offsets delivered in total. */
  distinct(): number {
    let n = 0;
    for (const c of this.counts) for (const x of c) if (x !== undefined) n++;
    return n;
  }

  /** Offsets delivered more than once (the extra deliveries). */
  duplicates(): number {
    let n = 0;
    for (const c of this.counts) for (const x of c) if (x !== undefined && x > 1) n += x - 1;
    return n;
  }

  /**
   * The checks the scale test asserts, given each partition's end offset: returns the problems found (none is a
   * pass), with the live problems (deliveries outside ownership, gaps inside a span) first.
   */
  check(ends: ReadonlyMap<number, bigint>): string[] {
    const out = [...this.problems];
    for (let p = 0; p < this.partitions; p++) {
      const end = Number(ends.get(p) ?? 0n);
      const counts = this.counts[p] ?? [];
      const missing: number[] = [];
      for (let o = 0; o < end; o++) if (counts[o] === undefined) missing.push(o);
      if (missing.length > 0) out.push(`partition ${p}: ${missing.length} offsets never delivered (first ${missing.slice(0, 5).join(',')})`);
      if (counts.length > end) out.push(`partition ${p}: delivered offset ${counts.length - 1} at or past the end ${end}`);
      const spans = this.spans.filter((s) => s.partition === p && s.count > 0).sort((a, b) => a.firstT - b.firstT);
      if (spans.length > 0 && spans[0]!.first !== 0) out.push(`partition ${p}: the first owner started at ${spans[0]!.first}, not 0`);
      for (let i = 1; i < spans.length; i++) {
        const prev = spans[i - 1]!;
        const next = spans[i]!;
        const what = `partition ${p}: ${prev.member} [${prev.first}..${prev.last}] then ${next.member} [${next.first}..${next.last}]`;
        if (next.firstT <= prev.lastT) out.push(`${what}: consumed by both at once`);
        if (this.killed.has(prev.member) && prev.end === null) {
          // The new owner starts at the killed member's last commit: acknowledged (>= the last one it reported).
          const from = Math.max(prev.first, prev.committed);
          if (next.first < from || next.first > prev.last + 1) out.push(`${what}: after the kill, expected a start in [${from}, ${prev.last + 1}]`);
        } else if (next.first !== prev.last + 1) {
          out.push(`${what}: the new owner did not start where the previous one stopped`);
        }
      }
    }
    return out;
  }

  /** Re-delivered records per partition after a SIGKILL: `p: first..last (n)`. */
  reReads(): string[] {
    const out: string[] = [];
    this.counts.forEach((c, p) => {
      const dups = c.flatMap((x, o) => (x !== undefined && x > 1 ? [o] : []));
      if (dups.length > 0) out.push(`${p}: ${dups[0]}..${dups[dups.length - 1]} (${dups.length})`);
    });
    return out;
  }
}

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'member-child.js');

export interface MemberProcess {
  name: string;
  proc: ChildProcess;
  /** Exit code (null: killed by a signal). */
  exited: Promise<number | null>;
  /** True once the process has exited, for whatever reason. */
  gone(): boolean;
  /** What it wrote to stderr (the end of it). */
  stderr(): string;
}

/** Starts a member process; its reports go to the ledger. An unclean exit that was not a SIGKILL is a problem. */
export function startMember(ledger: Ledger, args: MemberArgs): MemberProcess {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) ledger.line(l);
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  let gone = false;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => {
    gone = true;
    if (code !== 0 && !(signal === 'SIGKILL' && ledger.killed.has(args.name))) ledger.problems.push(`${args.name} exited ${code ?? signal}: ${err.slice(-2000)}`);
    resolve(code);
  }));
  return { name: args.name, proc, exited, gone: () => gone, stderr: () => err.slice(-2000) };
}

export interface StreamingProducer {
  /** Records handed to the producer so far. */
  sent(): number;
  /** Ends its input, waits (up to 2 minutes) for it to flush and exit; resolves with the number of records sent. */
  stop(): Promise<number>;
  /** Kills it (test clean-up after a failure). */
  kill(): void;
}

/**
 * Kafka's Java producer as a long-running process: console-producer reading lines `k<i>\tv<i>` from a pipe that
 * this side writes at `perSecond` records per second until stop(). Keys spread the records over the partitions
 * (murmur2); acks=all, so what the tool accepted is in the log when it exits 0.
 */
export function streamingProducer(bootstrap: string, topic: string, perSecond: number): StreamingProducer {
  const proc = spawn(KAFKA_TOOL, ['console-producer', '--bootstrap-server', bootstrap, '--topic', topic,
    '--reader-property', 'parse.key=true', '--request-timeout-ms', '30000',
    '--command-property', 'acks=all', '--command-property', 'linger.ms=5'], { cwd: ROOT, stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  proc.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const started = Date.now();
  let n = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) * perSecond) / 1000);
    if (due <= n) return;
    let chunk = '';
    for (; n < due; n++) chunk += `k${n}\tv${n}\n`;
    proc.stdin!.write(chunk);
  }, 20);
  return {
    sent: () => n,
    stop: async () => {
      clearInterval(timer);
      proc.stdin!.end();
      const guard = setTimeout(() => proc.kill('SIGKILL'), 120_000);
      const code = await exited;
      clearTimeout(guard);
      if (code !== 0) throw new Error(`console-producer exited ${code}: ${err.slice(-2000)}`);
      return n;
    },
    kill: () => {
      clearInterval(timer);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}
