// The ledger of the reliability scenarios (issue 8, ../shared/notes/reliability.md): every record written, delivered
// and committed, and every assignment change, so that "nothing lost, nothing duplicated outside the at-least-once
// window, nothing out of order" is computed from facts rather than eyeballed.
//
// Values are unique and self-describing: `L|<run>|<topic>|<partition>|<seq>|<padding>`, seq counting from 0 per
// partition. A delivered message is identified by (topic, partition, offset); the value tells which write it was.
//
// Members may live in other processes (to be SIGKILLed): a member then records into its own JSON-lines file with
// `Ledger.toFile(path)` (each event is one synchronous write, so a line written is a line kept even if the process is
// killed right after), and the parent merges the files with `Ledger.load(...paths)`. Events carry `at`, a wall-clock
// time in fractional milliseconds (performance.timeOrigin + performance.now(): comparable across processes on one
// machine), and the merge orders by it; within one file the write order is kept.
//
// Checks (check()):
//   lost           a write acknowledged (and not aborted) that no member ever received
//   duplicated     a (topic, partition, offset) received again outside a seek replay; each one is classified:
//                  within the at-least-once window when no commit of that partition had passed its offset before the
//                  redelivery (the group-wide last commit is <= the offset), else outside (a violation)
//   outOfOrder     within one member's ownership span of a partition (assigned .. revoked/lost, or from a seek), an
//                  offset not above the previous one
//   gaps           within a span, an acknowledged record between two consecutive deliveries that was skipped
//   commitRegressions   a commit of a partition lower than the previous one (unless that member seeked in between)
//   commitsNotOwned     a commit by a member for a partition it did not own at that time (after revoke/lost)
//   deliveredNotOwned   a delivery to a member of a partition it did not own (members that record assignments only)
//   abortedDelivered    a record of an aborted transaction delivered
//   finalCommit    per partition, the last commit must be last delivered + 1, allowing only offsets that hold no
//                  acknowledged record in between (transaction markers, aborted records)
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** One line of the ledger. Offsets are decimal strings (JSON has no bigint). */
export type LedgerEvent =
  | { t: 'produced'; at: number; topic: string; partition: number; offset: string; seq: number; aborted?: boolean }
  | { t: 'delivered'; at: number; member: string; topic: string; partition: number; offset: string; seq: number | null }
  | { t: 'committed'; at: number; member: string; topic: string; partition: number; offset: string }
  | { t: 'commitFailed'; at: number; member: string; partitions: TopicPartitionRef[]; error: string }
  | { t: 'assigned' | 'revoked' | 'lost'; at: number; member: string; partitions: TopicPartitionRef[] }
  | { t: 'seek'; at: number; member: string; topic: string; partition: number; offset: string }
  | { t: 'mark'; at: number; member: string; label: string };

/** Distributes Omit over the union (plain Omit would collapse it). */
type WithoutAt<E> = E extends unknown ? Omit<E, 'at'> : never;

export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A unique run id for value strings (one per produce run is enough). */
export function runId(): string {
  return randomBytes(4).toString('hex');
}

/** The value written for `seq` of a partition; `size` pads it (at least the unpadded length). */
export function ledgerValue(run: string, topic: string, partition: number, seq: number, size = 0): string {
  const head = `L|${run}|${topic}|${partition}|${seq}|`;
  return size > head.length ? head + 'x'.repeat(size - head.length) : head;
}

/** The parts of a ledger value, or null when the bytes are not one (foreign records are reported, not guessed). */
export function parseLedgerValue(value: Buffer | string | null): { run: string; topic: string; partition: number; seq: number } | null {
  if (value === null) return null;
  const s = typeof value === 'string' ? value : value.toString('latin1', 0, Math.min(value.length, 400));
  const m = /^L\|([0-9a-f]+)\|([A-Za-z0-9._-]+)\|(\d+)\|(\d+)\|/.exec(s);
  return m === null ? null : { run: m[1], topic: m[2], partition: Number(m[3]), seq: Number(m[4]) };
}

/** What a delivered message must offer (gregor's Message does). */
export interface DeliveredLike {
  topic: string;
  partition: number;
  offset: bigint;
  value: Buffer | null;
}

/** A member's view of the ledger: records what one consumer saw and did. */
export class MemberRecorder {
  constructor(readonly ledger: Ledger, readonly member: string) {}

  delivered(m: DeliveredLike): void {
    const parsed = parseLedgerValue(m.value);
    this.ledger.add({ t: 'delivered', member: this.member, topic: m.topic, partition: m.partition, offset: m.offset.toString(), seq: parsed?.seq ?? null });
  }

  /** A commit the broker acknowledged; `offset` is the next offset to read (as committed). */
  committed(offsets: readonly { topic: string; partition: number; offset: bigint | number }[]): void {
    for (const o of offsets) {
      this.ledger.add({ t: 'committed', member: this.member, topic: o.topic, partition: o.partition, offset: BigInt(o.offset).toString() });
    }
  }

  commitFailed(partitions: readonly TopicPartitionRef[], error: unknown): void {
    const e = error as { name?: string; code?: string; errorName?: string; message?: string };
    const text = `${e?.name ?? 'Error'}${e?.errorName ? `(${e.errorName})` : ''}: ${e?.message ?? String(error)}`;
    this.ledger.add({ t: 'commitFailed', member: this.member, partitions: partitions.map(tpRef), error: text });
  }

  assigned(partitions: readonly TopicPartitionRef[]): void {
    this.ledger.add({ t: 'assigned', member: this.member, partitions: partitions.map(tpRef) });
  }

  revoked(partitions: readonly TopicPartitionRef[]): void {
    this.ledger.add({ t: 'revoked', member: this.member, partitions: partitions.map(tpRef) });
  }

  lost(partitions: readonly TopicPartitionRef[]): void {
    this.ledger.add({ t: 'lost', member: this.member, partitions: partitions.map(tpRef) });
  }

  /** The application moved the position: later deliveries from `offset` on start a new span (replays allowed). */
  seek(tp: TopicPartitionRef, offset: bigint | number): void {
    this.ledger.add({ t: 'seek', member: this.member, topic: tp.topic, partition: tp.partition, offset: BigInt(offset).toString() });
  }

  /** A named instant (a fault injected, a phase begun); see Ledger.markTime() and recoveryMs(). */
  mark(label: string): void {
    this.ledger.add({ t: 'mark', member: this.member, label });
  }
}

function tpRef(tp: TopicPartitionRef): TopicPartitionRef {
  return { topic: tp.topic, partition: tp.partition };
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export interface DuplicateInfo {
  topic: string;
  partition: number;
  offset: bigint;
  firstMember: string;
  againMember: string;
  /** The last commit of the partition before the redelivery (group-wide), null when none. */
  committedBefore: bigint | null;
  withinWindow: boolean;
}

export interface LedgerCheck {
  /** Acknowledged, non-aborted writes. */
  produced: number;
  /** Deliveries (all, including duplicates). */
  delivered: number;
  /** Distinct (topic, partition, offset) delivered. */
  distinct: number;
  lost: number;
  /** Duplicated deliveries (replays after a recorded seek are not counted). */
  duplicated: number;
  duplicatesOutsideWindow: number;
  /** Redeliveries after a seek back (intended). */
  replayed: number;
  outOfOrder: number;
  gaps: number;
  commitRegressions: number;
  commitsNotOwned: number;
  deliveredNotOwned: number;
  abortedDelivered: number;
  /** Deliveries whose value is not a ledger value. */
  foreign: number;
  finalCommitMismatches: number;
  /** Per partition "topic[p]" -> last commit, for the report. */
  finalCommits: Map<string, bigint | null>;
  /** Each violation in words (empty when the run is clean), at most 50 of each kind. */
  violations: string[];
  duplicates: DuplicateInfo[];
}

export interface CheckOptions {
  /** Every acknowledged write must have been delivered (default true). */
  expectAll?: boolean;
  /** Check the final commit of each partition against the last delivery (default true). */
  finalCommit?: boolean;
  /** Duplicates within the at-least-once window are allowed (default true); false makes every duplicate a violation. */
  allowDuplicatesInWindow?: boolean;
  /** Only these partitions ("topic" or exact refs); default every partition written. */
  partitions?: readonly TopicPartitionRef[];
}

export class Ledger {
  readonly events: LedgerEvent[] = [];
  private fd: number | undefined;

  /** A ledger that also appends each event to `path` (one JSON line, synchronous write): for member processes. */
  static toFile(path: string): Ledger {
    const l = new Ledger();
    l.fd = openSync(path, 'a');
    return l;
  }

  /** Merges ledger files (and optionally in-memory ledgers) into one, ordered by time. Missing files count as empty. */
  static load(paths: readonly string[], others: readonly Ledger[] = []): Ledger {
    const all: LedgerEvent[] = [];
    for (const p of paths) {
      let text = '';
      try {
        text = readFileSync(p, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      for (const line of text.split('\n')) {
        // A process killed mid-write leaves at most a partial last line: it is not an event.
        if (line.trim() === '') continue;
        try {
          all.push(JSON.parse(line) as LedgerEvent);
        } catch {
          /* partial last line of a killed member */
        }
      }
    }
    for (const o of others) all.push(...o.events);
    const merged = new Ledger();
    // A stable sort keeps each file's own order among equal times.
    for (const x of all.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i)) {
      merged.events.push(x.e);
      merged.count(x.e);
    }
    return merged;
  }

  member(name: string): MemberRecorder {
    return new MemberRecorder(this, name);
  }

  add(event: WithoutAt<LedgerEvent>): void {
    const e = { ...event, at: now() } as LedgerEvent;
    this.events.push(e);
    this.count(e);
    if (this.fd !== undefined) writeSync(this.fd, `${JSON.stringify(e)}\n`);
  }

  /** A write the broker acknowledged (acks=all), with its offset. */
  produced(topic: string, partition: number, offset: bigint, seq: number, aborted = false): void {
    this.add(aborted
      ? { t: 'produced', topic, partition, offset: offset.toString(), seq, aborted: true }
      : { t: 'produced', topic, partition, offset: offset.toString(), seq });
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Time of the first mark with this label, or undefined. */
  markTime(label: string): number | undefined {
    return this.events.find((e) => e.t === 'mark' && e.label === label)?.at;
  }

  // Running counts, so that a poll loop may ask for progress after every message at no cost.
  private readonly seen = new Set<string>();
  private deliveries = 0;
  private acknowledged = 0;

  private count(e: LedgerEvent): void {
    if (e.t === 'delivered') {
      this.deliveries++;
      this.seen.add(`${e.topic}\u0000${e.partition}\u0000${e.offset}`);
    } else if (e.t === 'produced' && e.aborted !== true) {
      this.acknowledged++;
    }
  }

  /** Deliveries so far (of every member). */
  deliveredCount(): number {
    return this.deliveries;
  }

  /** Distinct (topic, partition, offset) delivered so far: what a scenario waits for. */
  distinctDelivered(): number {
    return this.seen.size;
  }

  /** Acknowledged, non-aborted writes so far. */
  producedCount(): number {
    return this.acknowledged;
  }

  /**
   * Milliseconds from the mark `label` (a fault injected, or healed) to the first delivery after it; null when
   * nothing was delivered after it. The time to recover that the report prints.
   */
  recoveryMs(label: string, opts: { partition?: TopicPartitionRef } = {}): number | null {
    const from = this.markTime(label);
    if (from === undefined) return null;
    const p = opts.partition;
    const first = this.events.find((e) => e.t === 'delivered' && e.at >= from && (p === undefined || (e.topic === p.topic && e.partition === p.partition)));
    return first === undefined ? null : Math.round(first.at - from);
  }

  check(opts: CheckOptions = {}): LedgerCheck {
    const expectAll = opts.expectAll ?? true;
    const allowInWindow = opts.allowDuplicatesInWindow ?? true;
    const wanted = opts.partitions === undefined ? undefined : new Set(opts.partitions.map((p) => tpKey(p.topic, p.partition)));
    const inScope = (topic: string, partition: number): boolean => wanted === undefined || wanted.has(tpKey(topic, partition));
    const violations: string[] = [];
    const perKind = new Map<string, number>();
    const violate = (kind: string, text: string): void => {
      const n = (perKind.get(kind) ?? 0) + 1;
      perKind.set(kind, n);
      if (n <= 50) violations.push(`${kind}: ${text}`);
      else if (n === 51) violations.push(`${kind}: ... (more)`);
    };
    const name = (topic: string, p: number): string => `${topic}[${p}]`;

    // Acknowledged writes per partition: offset -> aborted?
    const writes = new Map<string, Map<bigint, boolean>>();
    for (const e of this.events) {
      if (e.t !== 'produced' || !inScope(e.topic, e.partition)) continue;
      let m = writes.get(tpKey(e.topic, e.partition));
      if (m === undefined) writes.set(tpKey(e.topic, e.partition), (m = new Map()));
      m.set(BigInt(e.offset), e.aborted === true);
    }
    const isLiveWrite = (topic: string, p: number, o: bigint): boolean => writes.get(tpKey(topic, p))?.get(o) === false;

    // Ownership per member: only members that record assignment events are checked for it.
    const tracksOwnership = new Set<string>();
    for (const e of this.events) if (e.t === 'assigned' || e.t === 'revoked' || e.t === 'lost') tracksOwnership.add(e.member);
    const owned = new Map<string, Set<string>>(); // member -> owned tp keys
    const ownedBy = (member: string): Set<string> => {
      let s = owned.get(member);
      if (s === undefined) owned.set(member, (s = new Set()));
      return s;
    };

    // Per (member, tp) span state: last offset delivered in the current span; whether the span began with a seek.
    interface Span { last: bigint | null; fromSeek: boolean }
    const spans = new Map<string, Span>(); // member \0 tpKey
    const spanKey = (member: string, k: string): string => `${member}\u0001${k}`;
    const seekSince = new Map<string, boolean>(); // member \1 tpKey: seeked since its last commit of tp

    const firstDelivery = new Map<string, string>(); // tpKey \0 offset -> member
    const lastCommit = new Map<string, bigint>(); // tpKey -> offset (group-wide, by time)
    const lastDelivered = new Map<string, bigint>(); // tpKey -> highest delivered offset
    const duplicates: DuplicateInfo[] = [];
    let delivered = 0;
    let replayed = 0;
    let outOfOrder = 0;
    let gaps = 0;
    let commitRegressions = 0;
    let commitsNotOwned = 0;
    let deliveredNotOwned = 0;
    let abortedDelivered = 0;
    let foreign = 0;

    for (const e of this.events) {
      switch (e.t) {
        case 'assigned':
        case 'revoked':
        case 'lost': {
          const s = ownedBy(e.member);
          for (const p of e.partitions) {
            const k = tpKey(p.topic, p.partition);
            if (e.t === 'assigned') s.add(k);
            else s.delete(k);
            // Every ownership change ends the span; a new assignment starts from the committed offset.
            spans.delete(spanKey(e.member, k));
          }
          break;
        }
        case 'seek': {
          const k = tpKey(e.topic, e.partition);
          spans.set(spanKey(e.member, k), { last: null, fromSeek: true });
          seekSince.set(spanKey(e.member, k), true);
          break;
        }
        case 'committed': {
          if (!inScope(e.topic, e.partition)) break;
          const k = tpKey(e.topic, e.partition);
          const offset = BigInt(e.offset);
          if (tracksOwnership.has(e.member) && !ownedBy(e.member).has(k)) {
            commitsNotOwned++;
            violate('commit while not owned', `${e.member} committed ${name(e.topic, e.partition)} at ${offset} without owning it`);
          }
          const prev = lastCommit.get(k);
          if (prev !== undefined && offset < prev && seekSince.get(spanKey(e.member, k)) !== true) {
            commitRegressions++;
            violate('commit regression', `${name(e.topic, e.partition)} committed ${offset} by ${e.member} after ${prev}`);
          }
          seekSince.delete(spanKey(e.member, k));
          lastCommit.set(k, offset);
          break;
        }
        case 'delivered': {
          if (!inScope(e.topic, e.partition)) break;
          delivered++;
          const k = tpKey(e.topic, e.partition);
          const offset = BigInt(e.offset);
          if (e.seq === null) {
            foreign++;
            violate('foreign record', `${name(e.topic, e.partition)}@${offset} delivered to ${e.member} is not a ledger value`);
          }
          if (writes.get(k)?.get(offset) === true) {
            abortedDelivered++;
            violate('aborted record delivered', `${name(e.topic, e.partition)}@${offset} (aborted transaction) reached ${e.member}`);
          }
          if (tracksOwnership.has(e.member) && !ownedBy(e.member).has(k)) {
            deliveredNotOwned++;
            violate('delivered while not owned', `${name(e.topic, e.partition)}@${offset} reached ${e.member}, which did not own it`);
          }
          const sk = spanKey(e.member, k);
          let span = spans.get(sk);
          if (span === undefined) spans.set(sk, (span = { last: null, fromSeek: false }));
          if (span.last !== null) {
            if (offset <= span.last) {
              outOfOrder++;
              violate('out of order', `${e.member} got ${name(e.topic, e.partition)}@${offset} after @${span.last}`);
            } else {
              // Offsets between two deliveries must hold nothing acknowledged (markers and aborted records only).
              for (let o = span.last + 1n; o < offset; o++) {
                if (isLiveWrite(e.topic, e.partition, o)) {
                  gaps++;
                  violate('gap', `${e.member} skipped ${name(e.topic, e.partition)}@${o} (got @${span.last} then @${offset})`);
                }
              }
            }
          }
          if (span.last === null || offset > span.last) span.last = offset;
          const dk = `${k}\u0000${offset}`;
          const first = firstDelivery.get(dk);
          if (first === undefined) {
            firstDelivery.set(dk, e.member);
          } else if (span.fromSeek) {
            replayed++;
          } else {
            const committedBefore = lastCommit.get(k) ?? null;
            const withinWindow = allowInWindow && (committedBefore === null || committedBefore <= offset);
            duplicates.push({ topic: e.topic, partition: e.partition, offset, firstMember: first, againMember: e.member, committedBefore, withinWindow });
            if (!withinWindow) {
              violate('duplicate', `${name(e.topic, e.partition)}@${offset} again to ${e.member} (first ${first}; committed ${committedBefore ?? 'none'} before)`);
            }
          }
          const hi = lastDelivered.get(k);
          if (hi === undefined || offset > hi) lastDelivered.set(k, offset);
          break;
        }
        default:
          break;
      }
    }

    // Lost: acknowledged live writes never delivered.
    let produced = 0;
    let lost = 0;
    for (const [k, m] of writes) {
      const [topic, p] = k.split('\u0000');
      for (const [offset, aborted] of m) {
        if (aborted) continue;
        produced++;
        if (expectAll && !firstDelivery.has(`${k}\u0000${offset}`)) {
          lost++;
          violate('lost', `${name(topic, Number(p))}@${offset} never delivered`);
        }
      }
    }

    // Final commit per partition written: last delivered + 1, or beyond only over offsets holding no live write.
    let finalCommitMismatches = 0;
    const finalCommits = new Map<string, bigint | null>();
    const keys = new Set([...writes.keys(), ...lastDelivered.keys()]);
    for (const k of keys) {
      const [topic, ps] = k.split('\u0000');
      const p = Number(ps);
      const c = lastCommit.get(k) ?? null;
      finalCommits.set(name(topic, p), c);
      if (opts.finalCommit === false) continue;
      const hi = lastDelivered.get(k);
      if (hi === undefined) continue;
      let ok = c !== null && c >= hi + 1n;
      if (ok && c !== null) {
        for (let o = hi + 1n; o < c; o++) if (isLiveWrite(topic, p, o)) ok = false;
      }
      if (!ok) {
        finalCommitMismatches++;
        violate('final commit', `${name(topic, p)} last delivered @${hi}, last commit ${c ?? 'none'}`);
      }
    }

    const dupOutside = duplicates.filter((d) => !d.withinWindow).length;
    return {
      produced, delivered, distinct: firstDelivery.size, lost, duplicated: duplicates.length, duplicatesOutsideWindow: dupOutside,
      replayed, outOfOrder, gaps, commitRegressions, commitsNotOwned, deliveredNotOwned, abortedDelivered, foreign,
      finalCommitMismatches, finalCommits, violations, duplicates,
    };
  }
}
