// Per-partition progress of run(): which taken records are not completed yet, and what may be committed.
//
// Records of a partition are taken in offset order but complete in any order. The tracker keeps only the offsets
// taken and not completed (`pending`, ascending) and the last offset taken: every offset up to the last taken that
// is not pending is completed, or does not exist (compaction, transaction markers) and will never be delivered.
// So memory is bounded by the records in the runner's hands, however long a gap stays open, and:
//   committed offset  = the first pending offset, or the last taken + 1 when nothing is pending;
//   completed ranges  = the stretches between pending offsets (and after the last one, up to the last taken),
//                       plus the completions inherited from the previous commit that lie ahead (see metadata.ts).
// Completions inherited from the metadata of the committed offset make add() answer "skip": the record was
// completed before a crash or by the previous owner, and must not be handled again.
//
// Offsets are numbers here, bigints only at the edges (the committed metadata in, committable() out): a record's
// bigint offset costs two BigInt allocations (KafkaRecord computes it lazily from its batch), and BigInt compares
// per take and completion cost more than the rest of the tracker. The runner hands in offsets below 2^53
// (Number.MAX_SAFE_INTEGER, 285 years at a million records a second), where numbers are exact.

import { Fifo } from './fifo.js';
import type { OffsetRange } from './metadata.js';

export interface Committable {
  /** The first offset not completed: what OffsetCommit stores. */
  offset: bigint;
  /** Leader epoch of the record before `offset` when known (KIP-320), else -1. */
  leaderEpoch: number;
  /** Completed offsets after `offset`. */
  ranges: OffsetRange[];
}

/** A stretch of completed offsets, as numbers (see above). */
interface Range {
  start: number;
  end: number;
}

export class OffsetTracker {
  private readonly pending = new Fifo<number>();
  /** The last offset taken; -1 before any (offsets are >= 0). */
  private lastTaken = -1;
  private lastTakenEpoch = -1;
  /** Completions loaded from the committed metadata, not yet passed by taken records. */
  private inherited: Range[];

  constructor(inherited: readonly OffsetRange[] = []) {
    // An inherited range beyond 2^53 can never be reached by an offset the runner hands in: its end is clamped.
    this.inherited = inherited
      .map((r) => ({ start: Number(r.start), end: r.end > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(r.end) }))
      .sort((a, b) => a.start - b.start);
  }

  /** Records taken and not completed. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * True when committable() may have ranges: an offset between the first pending one and the last taken is not
   * pending (completed out of order, or skipped by compaction), or inherited completions lie ahead. False means the
   * metadata is empty: the runner skips its size check then (records completed in order, the common case).
   */
  hasCompletedAhead(): boolean {
    if (this.inherited.length > 0) return true;
    const p = this.pending;
    if (p.length === 0) return false;
    return this.lastTaken - p.at(0)! + 1 !== p.length;
  }

  /** True once a record was taken (before that there is nothing to commit). */
  get started(): boolean {
    return this.lastTaken >= 0;
  }

  /**
   * A record taken from the partition (offsets strictly increase). Returns false when it was completed before
   * (inherited from the committed metadata): it is not to be handled, and counts as completed.
   */
  take(offset: number, leaderEpoch = -1): boolean {
    if (offset <= this.lastTaken) {
      throw new RangeError(`offset tracker: offset ${offset} taken after ${this.lastTaken} (offsets must increase)`);
    }
    this.lastTaken = offset;
    this.lastTakenEpoch = leaderEpoch;
    while (this.inherited.length > 0 && this.inherited[0].end < offset) this.inherited.shift();
    if (this.inherited.length > 0 && this.inherited[0].start <= offset) return false;
    this.pending.push(offset);
    return true;
  }

  /** The record at `offset` is completed. Returns false when it was not pending (already completed, never taken). */
  complete(offset: number): boolean {
    const p = this.pending;
    // Completions come mostly in offset order: look at the front first.
    if (p.length > 0 && p.at(0) === offset) {
      p.shift();
      return true;
    }
    let lo = 0;
    let hi = p.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = p.at(mid)!;
      if (at === offset) {
        p.removeAt(mid);
        return true;
      }
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** What to commit now; null before any record was taken. */
  committable(): Committable | null {
    const last = this.lastTaken;
    if (last < 0) return null;
    const p = this.pending.toArray();
    const ranges: Range[] = [];
    for (let i = 0; i < p.length; i++) {
      const start = p[i] + 1;
      const end = i + 1 < p.length ? p[i + 1] - 1 : last;
      if (start <= end) ranges.push({ start, end });
    }
    for (const r of this.inherited) {
      const start = r.start > last ? r.start : last + 1;
      if (start > r.end) continue;
      const prev = ranges[ranges.length - 1];
      if (prev !== undefined && prev.end + 1 >= start) {
        if (r.end > prev.end) prev.end = r.end;
      } else {
        ranges.push({ start, end: r.end });
      }
    }
    const out = ranges.map((r) => ({ start: BigInt(r.start), end: BigInt(r.end) }));
    return p.length > 0
      ? { offset: BigInt(p[0]), leaderEpoch: -1, ranges: out }
      : { offset: BigInt(last + 1), leaderEpoch: this.lastTakenEpoch, ranges: out };
  }
}
