// The group scale tests' member processes and what they report: gregor members run as separate processes
// (member-child.ts) and report every assignment, revoke, loss, delivery and acknowledged commit; Kafka's Java
// producer streams records meanwhile (console-producer fed over time, one JVM for the whole test). MemberReports
// turns the reports into the one ledger of the tests (test/support/ledger.ts) and checks what issue 5 promises:
//   - nothing lost: every offset below each partition's end was delivered to some member;
//   - order: within one member's ownership of a partition (an "ownership span", assigned -> revoked/lost), the
//     offsets delivered are consecutive and increasing;
//   - hand-over: spans of one partition never overlap in time, and each new owner starts exactly where the previous
//     one stopped (its commit in the revoked listener), except after a SIGKILLed owner: then at its last
//     acknowledged commit or later - so records are delivered twice only after a killed member's last commit;
//   - and the ledger's other checks (no commit going back, none while not owned, listener events consistent).
// It also keeps the live view the tests wait on: who owns what now, and when each partition was last consumed.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ledger, type CheckOptions } from '../../support/ledger.js';
import { KAFKA_TOOL, ROOT } from '../helpers/kafka.js';
import type { MemberArgs } from './member-child.js';

/**
 * The ledger's checks for these members: records written by console-producer (not ledger values, declared by
 * logEnd()); members commit in their revoked listener, so hand-overs are exact; no final commit is expected (the
 * last member is still running when the test checks).
 */
export const GROUP_CHECK: CheckOptions = { ledgerValues: false, finalCommit: false, exactHandOver: true, strictAssignments: true };

export class MemberReports {
  /** What the processes reported, as ledger events at the times they reported. */
  readonly ledger = new Ledger();
  /** Reports that are not ledger facts: unreadable lines, a member exiting uncleanly (not SIGKILLed). */
  readonly problems: string[] = [];
  /** A/R/L/E/X lines in arrival order, for the report. */
  readonly log: string[] = [];
  readonly killed = new Set<string>();
  /** Members asked to leave (SIGTERM or SIGKILL): no longer expected to own anything. */
  readonly leaving = new Set<string>();
  private readonly ownedBy = new Map<string, Set<number>>();
  private readonly started = new Map<string, number>();
  /** Test-side receipt time of the latest delivery per partition. */
  private readonly lastSeen: number[];

  constructor(readonly topic: string, readonly partitions: number) {
    this.lastSeen = Array.from({ length: partitions }, () => 0);
  }

  private owns(name: string): Set<number> {
    let s = this.ownedBy.get(name);
    if (s === undefined) this.ownedBy.set(name, (s = new Set()));
    return s;
  }

  /** One line of a member's stdout (see member-child.ts). */
  line(l: string): void {
    if (l.trim() === '') return;
    const f = l.split(' ');
    const [kind, ts, member] = f;
    const at = Number(ts);
    if (member === undefined || !Number.isFinite(at)) {
      this.problems.push(`unreadable member line: ${l}`);
      return;
    }
    const { topic } = this;
    const list = (s: string | undefined): number[] => (s === undefined || s === '' ? [] : s.split(',').map(Number));
    switch (kind) {
      case 'S':
        this.started.set(member, Date.now());
        return;
      case 'D': {
        const partition = Number(f[3]);
        this.lastSeen[partition] = Date.now();
        this.ledger.add({ t: 'delivered', member, topic, partition, offset: f[4]!, seq: null }, at);
        return;
      }
      case 'C':
        for (const po of f[3]!.split(',')) {
          const [partition, offset] = po.split(':') as [string, string];
          this.ledger.add({ t: 'committed', member, topic, partition: Number(partition), offset }, at);
        }
        return;
      case 'A':
      case 'R':
      case 'L': {
        const ps = list(f[3]);
        const t = kind === 'A' ? 'assigned' : kind === 'R' ? 'revoked' : 'lost';
        this.ledger.add({ t, member, partitions: ps.map((partition) => ({ topic, partition })) }, at);
        const owned = this.owns(member);
        for (const p of ps) {
          if (kind === 'A') owned.add(p);
          else owned.delete(p);
        }
        break;
      }
      case 'X':
      case 'E':
        break;
      default:
        this.problems.push(`unknown member line: ${l}`);
        return;
    }
    this.log.push(`${kind} ${member}${f.length > 3 ? ` ${f.slice(3).join(' ')}` : ''}`);
  }

  /** `name` is being SIGKILLed: its last span may be re-read from its last commit on (GROUP_CHECK's hand-over). */
  kill(name: string): void {
    this.killed.add(name);
    this.ledger.member(name).killed();
  }

  startedAt(name: string): number | undefined {
    return this.started.get(name);
  }

  owned(name: string): number[] {
    return [...(this.ownedBy.get(name) ?? [])].sort((a, b) => a - b);
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
      const owned = this.ownedBy.get(name);
      if (owned === undefined || owned.size !== share) return false;
      for (const p of owned) all.add(p);
    }
    if (all.size !== this.partitions) return false;
    for (const name of this.leaving) {
      if (!this.killed.has(name) && (this.ownedBy.get(name)?.size ?? 0) > 0) return false;
    }
    return true;
  }

  /** Every partition had a record delivered (as the test saw it) at or after `t`. */
  consumedSince(t: number): boolean {
    return this.lastSeen.every((s) => s >= t);
  }

  /** Distinct offsets delivered in total. */
  distinct(): number {
    return this.ledger.distinctDelivered();
  }

  /** Deliveries in total (re-reads included). */
  deliveries(): number {
    return this.ledger.deliveredCount();
  }

  /** Offsets delivered more than once (the extra deliveries). */
  duplicates(): number {
    return this.deliveries() - this.distinct();
  }

  /**
   * The checks the tests assert, given each partition's end offset: the problems found (none is a pass). `complete`
   * false: the ledger has only some of the group's members (others run in the test process), so it cannot say
   * whether a record was lost or a hand-over exact; the rest is checked.
   */
  check(ends: ReadonlyMap<number, bigint>, { complete = true } = {}): string[] {
    for (let p = 0; p < this.partitions; p++) this.ledger.logEnd(this.topic, p, ends.get(p) ?? 0n);
    const opts: CheckOptions = complete ? GROUP_CHECK : { ...GROUP_CHECK, expectAll: false, exactHandOver: false };
    return [...this.problems, ...this.ledger.check(opts).violations];
  }

  /** Re-delivered records per partition after a SIGKILL: `p: first..last (n distinct offsets)`. */
  reReads(): string[] {
    const seen = new Set<string>();
    const again = new Map<number, Set<bigint>>();
    for (const e of this.ledger.events) {
      if (e.t !== 'delivered') continue;
      const k = `${e.partition}:${e.offset}`;
      if (!seen.has(k)) {
        seen.add(k);
        continue;
      }
      let offsets = again.get(e.partition);
      if (offsets === undefined) again.set(e.partition, (offsets = new Set()));
      offsets.add(BigInt(e.offset));
    }
    return [...again].sort(([a], [b]) => a - b).map(([p, offsets]) => {
      const sorted = [...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `${p}: ${sorted[0]}..${sorted[sorted.length - 1]} (${sorted.length})`;
    });
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

/** Starts a member process; its reports go to `reports`. An unclean exit that was not a SIGKILL is a problem. */
export function startMember(reports: MemberReports, args: MemberArgs): MemberProcess {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) reports.line(l);
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  let gone = false;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => {
    gone = true;
    if (code !== 0 && !(signal === 'SIGKILL' && reports.killed.has(args.name))) reports.problems.push(`${args.name} exited ${code ?? signal}: ${err.slice(-2000)}`);
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
