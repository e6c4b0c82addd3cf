// One assigned partition's state: where the application is (position), where fetching is (fetch cursor), and what
// the last fetch said about the log (high watermark, last stable offset, log start offset).
//
// Invariants (see DESIGN.md, "Consumer"):
// - `position` is the offset of the next record the application will receive. It is advanced only by the delivery
//   path (handing a message out, or draining a fetched chunk whose remaining records are invisible: control records,
//   aborted transactions) and set only by offsets.ts (start position, seek, reset). Commits are built from it, so
//   nothing ahead of what the application received is ever committed.
// - `fetchOffset` >= `position` while data is buffered; it is where the next Fetch starts. Buffered data always covers
//   [position, fetchOffset) exactly, so dropping the buffer means setting fetchOffset back to position.
// - `generation` changes whenever the position is moved from outside the delivery path (seek, reset, revoke). A
//   fetch response or buffered chunk carrying an older generation is discarded, never delivered.
// - The phase (and the generation and error that go with it) changes only through the methods below, each named
//   after what happens to the partition:
//
//     initializing --moveTo()--> fetching --startValidating()--> validating --validated()/moveTo()--> fetching
//     any --startReset()--> resetting --moveTo()--> fetching
//     any --fail()--> failed --moveTo() (the application seeks)--> fetching
//     any --revoke()--> revoking (then removed from the assignment)

import type { GregorError } from '../errors.js';

export type PartitionPhase =
  /** No position yet: waiting for the committed offset (OffsetFetch) or a reset (ListOffsets). */
  | 'initializing'
  /** Has a position; fetched when not paused and its buffer is under its share. */
  | 'fetching'
  /** After a leader change: the position is being checked against the new leader's log (KIP-320). */
  | 'validating'
  /** Waiting for ListOffsets to resolve auto.offset.reset, seekToBeginning/End or offsetsForTimes. */
  | 'resetting'
  /** A per-partition error is waiting for the application (corrupt batch, out of range with policy none...). */
  | 'failed'
  /** Being revoked or lost: nothing more is fetched or delivered; removed from the assignment next. */
  | 'revoking';

export class PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** `${topic}:${partition}`, the key of every per-partition map in the consumer. */
  readonly key: string;

  private currentPhase: PartitionPhase = 'initializing';
  private currentGeneration = 0;
  private currentError: GregorError | null = null;
  private basePosition: bigint | null = null;
  private baseEpoch = -1;
  /**
   * The last message handed out since the position was last set explicitly. The position is derived from it on
   * demand, so delivering a message costs a pointer write instead of BigInt arithmetic (the hot path).
   */
  private delivered: { readonly offset: bigint; readonly leaderEpoch: number } | null = null;

  /** Next offset to hand to the application; null until known. */
  get position(): bigint | null {
    const d = this.delivered;
    return d === null ? this.basePosition : d.offset + 1n;
  }

  set position(offset: bigint | null) {
    this.basePosition = offset;
    this.delivered = null;
  }

  /** Leader epoch of the record before `position` (committed with it, used for truncation detection), -1 if unknown. */
  get positionEpoch(): number {
    const d = this.delivered;
    return d === null ? this.baseEpoch : d.leaderEpoch;
  }

  set positionEpoch(epoch: number) {
    const d = this.delivered;
    if (d !== null) {
      this.basePosition = d.offset + 1n;
      this.delivered = null;
    }
    this.baseEpoch = epoch;
  }

  /** Delivery path: `message` was handed to the application; the position is now its offset + 1. */
  advance(message: { readonly offset: bigint; readonly leaderEpoch: number }): void {
    this.delivered = message;
  }

  /**
   * The position stops depending on the last delivered message (a chunk was used up): that message keeps its whole
   * decoded batch alive (records, value views), and on 2,000 partitions batches of 16 KiB held that way were
   * ~70 MB that every young-generation collection copied and promoted. One BigInt per chunk instead.
   */
  settle(): void {
    const d = this.delivered;
    if (d === null) return;
    this.basePosition = d.offset + 1n;
    this.baseEpoch = d.leaderEpoch;
    this.delivered = null;
  }
  private cursor = -1n;
  private cursorEpoch = -1;
  private held = false;
  /**
   * The end of the chunk fetched last, when its entry headers have not been walked yet (see deferCursor()): the fetch
   * cursor (fetchOffset, lastFetchedEpoch, fetchHeld) is what that walk says, taken the first time it is read or set.
   */
  private deferred: DeferredEnd | null = null;

  /** Next offset to fetch. */
  get fetchOffset(): bigint {
    if (this.deferred !== null) this.takeDeferred();
    return this.cursor;
  }

  set fetchOffset(offset: bigint) {
    if (this.deferred !== null) this.takeDeferred();
    this.cursor = offset;
  }

  /** Leader epoch of the last fetched batch (Fetch v12+ lastFetchedEpoch). */
  get lastFetchedEpoch(): number {
    if (this.deferred !== null) this.takeDeferred();
    return this.cursorEpoch;
  }

  set lastFetchedEpoch(epoch: number) {
    if (this.deferred !== null) this.takeDeferred();
    this.cursorEpoch = epoch;
  }

  /**
   * A chunk was fetched and buffered: the fetch cursor moves to its end, found when first needed (the next Fetch of
   * this partition, another fetcher's answer for it, the chunk used up or dropped) instead of on arrival. Walking the
   * entry headers of a 52 MB response of one-record batches on arrival cost 20-40 ms before the first record could
   * be delivered (bench/README.md, "Wide topics"), and a partition whose chunk fills its share of the buffer is not
   * fetched again before the chunk is used up, when its bytes are in the cache anyway.
   */
  deferCursor(end: DeferredEnd): void {
    if (this.deferred !== null) this.takeDeferred();
    this.deferred = end;
  }

  private takeDeferred(): void {
    const end = this.deferred!;
    this.deferred = null;
    this.cursor = end.endOffset;
    this.cursorEpoch = end.endEpoch;
    if (end.malformed) this.held = true;
  }

  /** Paused by the application (pause()/resume()). */
  pausedByApplication = false;
  /**
   * Held by run(): its completions beyond the gap do not fit in the commit metadata (runner/metadata.ts). Kept apart
   * from the application's pause so that neither resume undoes the other's pause.
   */
  heldByRun = false;
  /** Not fetched, nothing delivered, buffered data kept: paused by the application or held by run(). */
  get paused(): boolean {
    return this.pausedByApplication || this.heldByRun;
  }
  /** Sets the application's pause (tests and pause()/resume() through the consumer). */
  set paused(value: boolean) {
    this.pausedByApplication = value;
  }
  /**
   * Fetching stops until the buffered data has been delivered: a malformed entry was fetched, and fetching past it
   * (or again at it) would only repeat it. Delivery then fails the partition with the located error.
   */
  get fetchHeld(): boolean {
    if (this.deferred !== null) this.takeDeferred();
    return this.held;
  }

  set fetchHeld(value: boolean) {
    if (this.deferred !== null) this.takeDeferred();
    this.held = value;
  }
  /** Fetched bytes of this partition not yet handed to the application. */
  bufferedBytes = 0;
  /** Records handed to the application (metrics: messaging.client.consumed.messages). */
  consumedMessages = 0;
  /** Raw bytes of the fetched chunks the application consumed entirely (metrics). */
  consumedBytes = 0;
  /** Set when a batch larger than the per-partition limit blocks progress: the next fetch asks for this much. */
  maxBytesOverride = 0;

  /** Leader as last known from metadata: broker id and leader epoch (sent as currentLeaderEpoch, KIP-320). */
  leaderId = -1;
  leaderEpoch = -1;

  /**
   * KIP-392: the replica the leader told us to fetch from (its preferredReadReplica, e.g. the follower in our
   * client.rack), -1 for none; valid until `readReplicaUntil` (Date.now() ms: metadata.max.age.ms after the hint,
   * as Java's consumer), after which the leader is asked again. Cleared when that replica fails or answers with an
   * error, and when the position must be looked up or checked again.
   */
  readReplica = -1;
  readReplicaUntil = 0;
  /** The broker this partition is fetched from now: the read replica, else the leader (set by the fetch manager). */
  fetchNodeId = -1;
  /**
   * Date.now() before which this partition is not fetched: after a partition error that a refetch at once would
   * only repeat (a leader or replica that cannot serve it yet), retry.backoff.ms, so no answer makes a busy loop.
   */
  fetchBackoffUntil = 0;

  /** From the last fetch response for this partition; -1 until one arrived. */
  highWatermark = -1n;
  lastStableOffset = -1n;
  logStartOffset = -1n;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
    this.key = partitionKey(topic, partition);
  }

  get phase(): PartitionPhase {
    return this.currentPhase;
  }

  /** Bumped whenever the position moves outside the delivery path; stale fetches are dropped. */
  get generation(): number {
    return this.currentGeneration;
  }

  /** Error for the application when phase is 'failed'. */
  get error(): GregorError | null {
    return this.currentError;
  }

  /**
   * True when this partition may be included in the next Fetch. A chunk's end not walked yet is not walked here (this
   * is asked of every partition before each Fetch): the fetcher reads fetchHeld again for those it includes.
   */
  get fetchable(): boolean {
    return this.phase === 'fetching' && !this.paused && !this.held;
  }

  /**
   * Moves the position from outside the delivery path (start, seek, reset). Buffered and in-flight data become
   * stale; the caller drops the buffered chunks (see FetchBuffer.dropPartition).
   */
  moveTo(offset: bigint, epoch: number): void {
    this.position = offset;
    this.positionEpoch = epoch;
    this.fetchOffset = offset;
    this.lastFetchedEpoch = epoch;
    this.currentGeneration++;
    this.currentPhase = 'fetching';
    this.currentError = null;
    this.maxBytesOverride = 0;
    this.fetchHeld = false;
  }

  /** Puts the partition into the failed phase; fetching stops until the application seeks. */
  fail(error: GregorError): void {
    this.readReplica = -1;
    this.currentPhase = 'failed';
    this.currentError = error;
    this.currentGeneration++;
    this.rewindFetch();
  }

  /**
   * The position is about to be looked up again (ListOffsets: auto.offset.reset, seekToBeginning/End). What was
   * fetched or buffered is stale; the caller drops the buffered chunks. moveTo() ends the phase.
   */
  startReset(): void {
    this.readReplica = -1;
    this.currentPhase = 'resetting';
    this.currentGeneration++;
  }

  /**
   * The position must be checked against the leader's log before fetching goes on (KIP-320: the leader epoch went
   * up, or the leader reported a diverging epoch). Fetched data past the position cannot be trusted: fetching will
   * resume from the position. validated() or moveTo() (truncation: a new position) ends the phase.
   */
  startValidating(): void {
    this.readReplica = -1;
    this.currentGeneration++;
    this.rewindFetch();
    this.currentPhase = 'validating';
  }

  /** The leader's log holds the position (or there is no epoch to check it against): fetching goes on. */
  validated(): void {
    if (this.currentPhase === 'validating') this.currentPhase = 'fetching';
  }

  /**
   * The partition is being revoked or lost: nothing more of it is fetched or delivered (in-flight and buffered data
   * become stale; the caller drops the buffered chunks). It leaves the assignment next.
   */
  revoke(): void {
    this.currentGeneration++;
    this.currentPhase = 'revoking';
  }

  /**
   * The fetch cursor goes back to the position, its epoch with it: Fetch's lastFetchedEpoch (KIP-320) must be the
   * epoch of the record before fetchOffset, as Java sends the position's epoch. Kept at the epoch of dropped records,
   * a new leader that never had that epoch answers divergingEpoch to every Fetch while the position validates fine.
   */
  private rewindFetch(): void {
    if (this.position === null) return;
    this.fetchOffset = this.position;
    this.lastFetchedEpoch = this.positionEpoch;
  }

  /** Where a Fetch stops (the high watermark, or the last stable offset under read_committed) as of the last response; -1 until one. */
  endOffset(readCommitted: boolean): bigint {
    return readCommitted ? this.lastStableOffset : this.highWatermark;
  }

  /**
   * Lag from the last fetch response: records between the position and the high watermark (the last stable offset
   * under read_committed, as the Java client's currentLag). Null until both are known. No request is made.
   */
  lag(readCommitted: boolean): bigint | null {
    const end = this.endOffset(readCommitted);
    if (this.position === null || end < 0n) return null;
    const lag = end - this.position;
    return lag > 0n ? lag : 0n;
  }
}

/** Where a fetched chunk ends, and whether an entry header in it is malformed (record-source.ts ChunkEnd). */
export interface DeferredEnd {
  readonly endOffset: bigint;
  readonly endEpoch: number;
  readonly malformed: boolean;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** A partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A partition of a topic and an offset in it. */
export interface TopicPartitionOffset extends TopicPartition {
  offset: bigint;
}
