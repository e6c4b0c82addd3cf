// The one ledger of the tests that judge delivery: the reliability scenarios (test/reliability, issue 8) and the group
// integration tests with member processes (test/integration/group, issue 5). Every record written, delivered and
// committed, and every assignment change, so that "nothing lost, nothing duplicated outside the at-least-once
// window, nothing out of order, each new owner starting where the last one stopped" is computed from facts rather
// than eyeballed.
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
// Records written outside the ledger (the group tests stream with Kafka's console-producer, values not ledger
// values) are declared afterwards with logEnd(): every offset below a partition's end holds one acknowledged record.
//
// Checks (check()):
//   lost           a write acknowledged (and not aborted) that no member ever received
//   pastEnd        a delivered offset at or past a partition's declared log end (logEnd())
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
// and, on request (CheckOptions), the stricter properties of the group tests, whose members commit in their revoked
// listener:
//   handOver       (exactHandOver) the ownership spans of a partition never overlap in time, the first starts at
//                  the partition's first write, and each next one starts exactly where the previous one stopped,
//                  except after a SIGKILLed owner (killed()): then from its last acknowledged commit on (re-reads
//                  only of what it had not committed), never past where it stopped
//   assignments    (strictAssignments) a partition assigned to a member that already owns it, or revoked or lost
//                  by one that does not
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
  | { t: 'committing'; at: number; member: string; topic: string; partition: number; offset: string }
  | { t: 'committed'; at: number; member: string; topic: string; partition: number; offset: string }
  | { t: 'commitFailed'; at: number; member: string; partitions: TopicPartitionRef[]; error: string }
  | { t: 'assigned' | 'revoked' | 'lost'; at: number; member: string; partitions: TopicPartitionRef[] }
  | { t: 'seek'; at: number; member: string; topic: string; partition: number; offset: string }
  | { t: 'mark'; at: number; member: string; label: string }
  /** The member's process was SIGKILLed: its open ownership spans end without a revoke or a last commit. */
  | { t: 'killed'; at: number; member: string }
  /** Written outside the ledger: every offset below `offset` holds one acknowledged, non-transactional record. */
  | { t: 'logEnd'; at: number; topic: string; partition: number; offset: string };

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

  /**
   * A commit about to be sent. The broker may store it and its acknowledgment never reach the ledger (the member
   * SIGKILLed meanwhile, or the answer held by a coordinator that waits for a dead replica and arriving after the next
   * owner started from it): the checks judge a commit by where the member stood when it sent it.
   */
  committing(offsets: readonly { topic: string; partition: number; offset: bigint | number }[]): void {
    for (const o of offsets) {
      this.ledger.add({ t: 'committing', member: this.member, topic: o.topic, partition: o.partition, offset: BigInt(o.offset).toString() });
    }
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

  /** The member's process is being SIGKILLed (recorded by whoever kills it): see CheckOptions.exactHandOver. */
  killed(): void {
    this.ledger.add({ t: 'killed', member: this.member });
  }
}

function tpRef(tp: TopicPartitionRef): TopicPartitionRef {
  return { topic: tp.topic, partition: tp.partition };
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function splitKey(k: string): [string, number] {
  const i = k.lastIndexOf('\u0000');
  return [k.slice(0, i), Number(k.slice(i + 1))];
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
  /** Deliveries of an offset at or past the partition's declared log end. */
  pastEnd: number;
  /** Duplicated deliveries (replays after a recorded seek are not counted). */
  duplicated: number;
  duplicatesOutsideWindow: number;
  /** Repeats allowed by CheckOptions.staleAfterFreeze. */
  staleAfterFreeze: number;
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
  /** Hand-overs that break CheckOptions.exactHandOver (0 when not asked for). */
  handOverErrors: number;
  /** Assignment events that break CheckOptions.strictAssignments (0 when not asked for). */
  assignmentErrors: number;
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
  /**
   * Every delivered value must be a ledger value (default true); false for records written outside the ledger
   * (logEnd()), which are then not counted as foreign.
   */
  ledgerValues?: boolean;
  /**
   * Ownership spans of a partition (assigned .. revoked/lost/killed, members recording assignments only) never
   * overlap in time, the first starts at the partition's first write, and each next one starts at the previous
   * one's last delivery + 1, or, after a SIGKILLed owner, anywhere from its last acknowledged commit in that span (or
   * its first delivery) to its last delivery + 1 (default false: only for members committing in their revoked
   * listener, with every commit succeeding; the at-least-once window is what the reliability scenarios allow).
   */
  exactHandOver?: boolean;
  /** A partition assigned to a member owning it already, or revoked or lost by one not owning it (default false). */
  strictAssignments?: boolean;
  /**
   * A member that stood still past its session timeout (SIGSTOP) may hand out up to `max` buffered messages, from
   * `from` until it reports its partitions lost, that another member read and committed past meanwhile: the consumer
   * reads the clock for its session check once per 32 messages handed out (consumer.ts SESSION_CHECK_EVERY, DESIGN.md
   * "R8, frozen member"), so `max` is 31. Such repeats are counted (`staleAfterFreeze`), not violations, up to `max`.
   */
  staleAfterFreeze?: { member: string; from: number; max: number };
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

  /** Records `event` at `at` (default now; another process's clock on this machine when it reported the time). */
  add(event: WithoutAt<LedgerEvent>, at = now()): void {
    const e = { ...event, at } as LedgerEvent;
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

  /**
   * Declares records written outside the ledger (Kafka's console-producer, acks=all, no transactions): every offset
   * of the partition below `end` holds one acknowledged record, and nothing is at or past `end`.
   */
  logEnd(topic: string, partition: number, end: bigint): void {
    this.add({ t: 'logEnd', topic, partition, offset: end.toString() });
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
    } else if (e.t === 'logEnd') {
      this.acknowledged += Number(e.offset);
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
    const ledgerValues = opts.ledgerValues ?? true;
    // In time order: a ledger fed by several processes' reports (add() with their times) may hold them out of it.
    const events = this.events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i).map((x) => x.e);
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
    const stale = opts.staleAfterFreeze;
    // Until the member's first report of lost partitions from `from` on (none: to the end).
    const staleUntil = stale === undefined ? -Infinity
      : (events.find((e) => e.t === 'lost' && e.member === stale.member && e.at >= stale.from)?.at ?? Infinity);
    let staleAfterFreeze = 0;

    // Acknowledged writes per partition: offset -> aborted?; declared log ends.
    const writes = new Map<string, Map<bigint, boolean>>();
    const writesOf = (k: string): Map<bigint, boolean> => {
      let m = writes.get(k);
      if (m === undefined) writes.set(k, (m = new Map()));
      return m;
    };
    const ends = new Map<string, bigint>();
    for (const e of events) {
      if ((e.t !== 'produced' && e.t !== 'logEnd') || !inScope(e.topic, e.partition)) continue;
      const k = tpKey(e.topic, e.partition);
      if (e.t === 'produced') {
        writesOf(k).set(BigInt(e.offset), e.aborted === true);
      } else {
        const m = writesOf(k);
        const end = BigInt(e.offset);
        ends.set(k, end);
        for (let o = 0n; o < end; o++) if (!m.has(o)) m.set(o, false);
      }
    }
    const isLiveWrite = (topic: string, p: number, o: bigint): boolean => writes.get(tpKey(topic, p))?.get(o) === false;

    // Ownership per member: only members that record assignment events are checked for it.
    const tracksOwnership = new Set<string>();
    for (const e of events) if (e.t === 'assigned' || e.t === 'revoked' || e.t === 'lost') tracksOwnership.add(e.member);
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

    // Ownership spans for the hand-over check: assigned .. revoked/lost (or the member killed), with what was delivered
    // and committed in them (offsets) and the times of the first and last delivery.
    interface OwnerSpan {
      member: string; k: string; first: bigint; last: bigint; firstAt: number; lastAt: number; count: number;
      committed: bigint | null; end: 'revoked' | 'lost' | null;
    }
    const ownerSpans: OwnerSpan[] = [];
    const openSpans = new Map<string, OwnerSpan>(); // member \1 tpKey
    const killed = new Set<string>();

    const firstDelivery = new Map<string, string>(); // tpKey \0 offset -> member
    const lastCommit = new Map<string, bigint>(); // tpKey -> offset (group-wide, by time)
    const ownedAtCommit = new Map<string, boolean>(); // member \1 tpKey \1 offset -> owned when the commit was sent
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
    let pastEnd = 0;
    let assignmentErrors = 0;

    for (const e of events) {
      switch (e.t) {
        case 'assigned':
        case 'revoked':
        case 'lost': {
          const s = ownedBy(e.member);
          for (const p of e.partitions) {
            const k = tpKey(p.topic, p.partition);
            if (opts.strictAssignments === true && s.has(k) === (e.t === 'assigned') && inScope(p.topic, p.partition)) {
              assignmentErrors++;
              violate('assignment', `${e.member}: ${e.t} ${name(p.topic, p.partition)}, which it ${e.t === 'assigned' ? 'owned already' : 'did not own'}`);
            }
            if (e.t === 'assigned') s.add(k);
            else s.delete(k);
            // Every ownership change ends the span; a new assignment starts from the committed offset.
            spans.delete(spanKey(e.member, k));
            const open = openSpans.get(spanKey(e.member, k));
            if (open !== undefined && e.t !== 'assigned') open.end = e.t;
            openSpans.delete(spanKey(e.member, k));
            if (e.t === 'assigned') {
              const span: OwnerSpan = { member: e.member, k, first: -1n, last: -1n, firstAt: 0, lastAt: 0, count: 0, committed: null, end: null };
              ownerSpans.push(span);
              openSpans.set(spanKey(e.member, k), span);
            }
          }
          break;
        }
        case 'killed':
          // Its spans stay without an end (whatever it reported until the signal landed still counts): the next
          // owner may re-read what it had not committed.
          killed.add(e.member);
          break;
        case 'seek': {
          const k = tpKey(e.topic, e.partition);
          spans.set(spanKey(e.member, k), { last: null, fromSeek: true });
          seekSince.set(spanKey(e.member, k), true);
          break;
        }
        case 'committing': {
          // Ownership when the commit was sent: an acknowledgment may arrive after a revoke or loss (see committing()).
          const k = tpKey(e.topic, e.partition);
          ownedAtCommit.set(`${e.member}\u0001${k}\u0001${e.offset}`, ownedBy(e.member).has(k));
          break;
        }
        case 'committed': {
          if (!inScope(e.topic, e.partition)) break;
          const k = tpKey(e.topic, e.partition);
          const offset = BigInt(e.offset);
          const owned = ownedAtCommit.get(`${e.member}\u0001${k}\u0001${e.offset}`) ?? ownedBy(e.member).has(k);
          if (tracksOwnership.has(e.member) && !owned) {
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
          const open = openSpans.get(spanKey(e.member, k));
          if (open !== undefined) open.committed = offset;
          break;
        }
        case 'delivered': {
          if (!inScope(e.topic, e.partition)) break;
          delivered++;
          const k = tpKey(e.topic, e.partition);
          const offset = BigInt(e.offset);
          if (e.seq === null && ledgerValues) {
            foreign++;
            violate('foreign record', `${name(e.topic, e.partition)}@${offset} delivered to ${e.member} is not a ledger value`);
          }
          const end = ends.get(k);
          if (end !== undefined && offset >= end) {
            pastEnd++;
            violate('past end', `${name(e.topic, e.partition)}@${offset} reached ${e.member}, at or past the log end ${end}`);
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
          const open = openSpans.get(sk);
          if (open !== undefined) {
            if (open.count === 0) {
              open.first = offset;
              open.firstAt = e.at;
            }
            open.last = offset;
            open.lastAt = e.at;
            open.count++;
          }
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
            let withinWindow = allowInWindow && (committedBefore === null || committedBefore <= offset);
            if (!withinWindow && stale !== undefined && e.member === stale.member && e.at >= stale.from && e.at < staleUntil) {
              staleAfterFreeze++;
              withinWindow = true;
            }
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

    let handOverErrors = 0;
    if (opts.exactHandOver === true) {
      const byPartition = new Map<string, OwnerSpan[]>();
      for (const s of ownerSpans) {
        if (s.count === 0 || !inScope(...splitKey(s.k))) continue;
        const list = byPartition.get(s.k);
        if (list === undefined) byPartition.set(s.k, [s]);
        else list.push(s);
      }
      const handOver = (text: string): void => {
        handOverErrors++;
        violate('hand-over', text);
      };
      for (const [k, list] of byPartition) {
        const [topic, p] = splitKey(k);
        list.sort((a, b) => a.firstAt - b.firstAt);
        const live = [...(writes.get(k) ?? new Map<bigint, boolean>())].filter(([, aborted]) => !aborted).map(([o]) => o);
        const firstWrite = live.length === 0 ? undefined : live.reduce((a, b) => (b < a ? b : a));
        if (firstWrite !== undefined && list[0]!.first !== firstWrite) {
          handOver(`${name(topic, p)}: the first owner ${list[0]!.member} started at ${list[0]!.first}, not at the first write ${firstWrite}`);
        }
        for (let i = 1; i < list.length; i++) {
          const prev = list[i - 1]!;
          const next = list[i]!;
          const what = `${name(topic, p)}: ${prev.member} [${prev.first}..${prev.last}] then ${next.member} [${next.first}..${next.last}]`;
          if (next.firstAt <= prev.lastAt) handOver(`${what}: consumed by both at once`);
          if (killed.has(prev.member) && prev.end === null) {
            // The new owner starts at the killed member's last commit: acknowledged (>= the last one it recorded).
            const from = prev.committed !== null && prev.committed > prev.first ? prev.committed : prev.first;
            if (next.first < from || next.first > prev.last + 1n) handOver(`${what}: after the kill, expected a start in [${from}, ${prev.last + 1n}]`);
          } else if (next.first !== prev.last + 1n) {
            handOver(`${what}: the new owner did not start where the previous one stopped`);
          }
        }
      }
    }

    if (stale !== undefined && staleAfterFreeze > stale.max) {
      violate('stale after freeze', `${stale.member} handed out ${staleAfterFreeze} records others had committed past, after standing still, before reporting its partitions lost (at most ${stale.max})`);
    }
    const dupOutside = duplicates.filter((d) => !d.withinWindow).length;
    return {
      produced, delivered, distinct: firstDelivery.size, lost, pastEnd, duplicated: duplicates.length, duplicatesOutsideWindow: dupOutside, staleAfterFreeze,
      replayed, outOfOrder, gaps, commitRegressions, commitsNotOwned, deliveredNotOwned, abortedDelivered, foreign,
      finalCommitMismatches, handOverErrors, assignmentErrors, finalCommits, violations, duplicates,
    };
  }
}
