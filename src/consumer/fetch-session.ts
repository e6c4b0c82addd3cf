// Client side of a fetch session (KIP-227), one per broker.
//
// Why: without a session every Fetch lists every assigned partition and every response repeats every partition's
// metadata, even for idle partitions. With a session the broker remembers the partition set; an incremental request
// carries only partitions whose fetch parameters changed (usually: the ones that just returned data) plus the ones
// to forget, and the response carries only partitions with news.
//
// Metadata rules (KIP-227):
//   sessionId 0, epoch -1   full fetch, no session wanted (used when Fetch < v7)
//   sessionId 0, epoch 0    full fetch, create a session
//   sessionId S, epoch 0    full fetch, close S and create a new one (after an error or a lost response)
//   sessionId S, epoch N>0  incremental fetch in session S; the next epoch is N+1, wrapping to 1
//   sessionId S, epoch -1   close S (sent on close)
// A response with sessionId 0 means the broker kept no session; the next request is full again.
// FETCH_SESSION_ID_NOT_FOUND and INVALID_FETCH_SESSION_EPOCH: the broker lost or distrusts the session; the next
// request is full. A request that failed on the wire leaves the broker's view unknown, so the same applies.

import { ErrorCode } from '../protocol/error-codes.js';

export interface SessionPartition {
  /**
   * `topic:partition`, when the caller has it already (the fetcher passes `PartitionState.key`). Two Map operations per
   * partition per request on a freshly concatenated string re-hash it each time: at 10,000 partitions that was ~9 ms
   * of CPU per request; a long-lived string keeps its hash.
   */
  key?: string;
  topic: string;
  /** Topic id (Fetch v13+ identifies topics by id); undefined when not known. */
  topicId: string | undefined;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

export interface ForgottenTopic {
  topic: string;
  topicId: string | undefined;
  partitions: number[];
}

export interface SessionRequest {
  sessionId: number;
  sessionEpoch: number;
  /** True when the request carries every wanted partition (no session, or a new session). */
  full: boolean;
  /** Partitions to put in the request, in request order. */
  partitions: SessionPartition[];
  /** Incremental requests only: partitions to remove from the session. */
  forgotten: ForgottenTopic[];
}

/** Shared empty lists of requests that forget nothing (read, never mutated). */
const NO_KEYS: string[] = [];
const NO_TOPICS: ForgottenTopic[] = [];

export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

function key(p: SessionPartition): string {
  return p.key ?? `${p.topic}:${p.partition}`;
}

function samePartition(a: SessionPartition, b: SessionPartition): boolean {
  return a.fetchOffset === b.fetchOffset
    && a.partitionMaxBytes === b.partitionMaxBytes
    && a.currentLeaderEpoch === b.currentLeaderEpoch
    && a.lastFetchedEpoch === b.lastFetchedEpoch
    && a.topicId === b.topicId;
}

/** What the request built last changes in the session once its response succeeds. */
interface PendingChange {
  /** A full request: the session becomes exactly these partitions. */
  full: boolean;
  /** Partitions sent (all wanted ones when full; the new or changed ones when incremental). */
  partitions: readonly SessionPartition[];
  /** Incremental only: keys of the session's partitions this request forgets. */
  forgotten: readonly string[];
}

export class FetchSession {
  private sessionId = INVALID_SESSION_ID;
  private epoch = INITIAL_EPOCH;
  /** Partitions the broker holds in the session, as of the last successful response. */
  private session = new Map<string, SessionPartition>();
  /** What the in-flight request will make the session, applied when its response succeeds. */
  private pending: PendingChange | null = null;
  private readonly enabled: boolean;

  /** `enabled` is false when the broker's Fetch version predates sessions (< v7). */
  constructor(enabled = true) {
    this.enabled = enabled;
  }

  get id(): number {
    return this.sessionId;
  }

  /** Number of partitions the broker keeps in the session. */
  get size(): number {
    return this.session.size;
  }

  /**
   * Builds the next request from the partitions wanted now (in the caller's priority order). Partitions in the
   * session but not wanted are forgotten; wanted partitions identical to the session's copy are left out.
   *
   * An incremental request costs one lookup per wanted partition and allocates only for the partitions it sends:
   * the session is not copied per request (at 10,000 partitions a fresh Map per Fetch was ~10,000 entries of garbage
   * each time), and the session is searched for partitions to forget only when fewer of its partitions were wanted
   * than it holds.
   */
  build(wanted: readonly SessionPartition[]): SessionRequest {
    const incremental = this.enabled && this.sessionId !== INVALID_SESSION_ID && this.epoch !== INITIAL_EPOCH;
    if (!incremental) {
      const all = [...wanted];
      this.pending = { full: true, partitions: all, forgotten: [] };
      const sessionEpoch = this.enabled ? INITIAL_EPOCH : FINAL_EPOCH;
      const sessionId = this.enabled ? this.sessionId : INVALID_SESSION_ID;
      return { sessionId, sessionEpoch, full: true, partitions: all, forgotten: [] };
    }
    const partitions: SessionPartition[] = [];
    // Forgetting is rare (a partition revoked or paused): its lists are made only when it happens.
    let forgottenKeys: string[] = NO_KEYS;
    let forgottenByTopic: Map<string, ForgottenTopic> | null = null;
    const forget = (k: string, p: SessionPartition): void => {
      if (forgottenByTopic === null) {
        forgottenByTopic = new Map();
        forgottenKeys = [];
      }
      forgottenKeys.push(k);
      const tkey = `${p.topic}\u0000${p.topicId ?? ''}`;
      let t = forgottenByTopic.get(tkey);
      if (t === undefined) {
        t = { topic: p.topic, topicId: p.topicId, partitions: [] };
        forgottenByTopic.set(tkey, t);
      }
      t.partitions.push(p.partition);
    };
    let stillWanted = 0;
    for (const p of wanted) {
      const k = key(p);
      const had = this.session.get(k);
      if (had === undefined) {
        partitions.push(p);
        continue;
      }
      stillWanted++;
      if (samePartition(had, p)) continue;
      partitions.push(p);
      // A topic recreated under the same name has a new id: the old id's partition must be forgotten explicitly.
      if (had.topicId !== p.topicId) forget(k, had);
    }
    if (stillWanted < this.session.size) {
      const wantedKeys = new Set<string>();
      for (const p of wanted) wantedKeys.add(key(p));
      for (const [k, had] of this.session) if (!wantedKeys.has(k)) forget(k, had);
    }
    this.pending = { full: false, partitions, forgotten: forgottenKeys };
    const forgotten = forgottenByTopic === null ? NO_TOPICS : [...(forgottenByTopic as Map<string, ForgottenTopic>).values()];
    return { sessionId: this.sessionId, sessionEpoch: this.epoch, full: false, partitions, forgotten };
  }

  /**
   * Records the outcome of the request built last. `errorCode` is the response's top-level error code.
   * Returns true when the session survived (the pending partition set is now the session).
   */
  onResponse(errorCode: number, responseSessionId: number): boolean {
    const pending = this.pending;
    this.pending = null;
    if (!this.enabled) return true;
    if (errorCode !== ErrorCode.NONE) {
      // FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH and any other top-level error: start over with a
      // full fetch. Closing the old id (sessionId S, epoch 0) frees its slot in the broker's session cache.
      this.epoch = INITIAL_EPOCH;
      if (errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND) this.sessionId = INVALID_SESSION_ID;
      this.session.clear();
      return false;
    }
    if (pending !== null) this.apply(pending);
    if (responseSessionId === INVALID_SESSION_ID) {
      // The broker kept no session (cache full, or sessions disabled): every request stays full.
      this.sessionId = INVALID_SESSION_ID;
      this.epoch = INITIAL_EPOCH;
      this.session.clear();
      return true;
    }
    this.sessionId = responseSessionId;
    this.epoch = this.epoch >= 0x7fffffff ? 1 : this.epoch + 1;
    return true;
  }

  private apply(change: PendingChange): void {
    if (change.full) {
      const next = new Map<string, SessionPartition>();
      for (const p of change.partitions) next.set(key(p), p);
      this.session = next;
      return;
    }
    // Forgotten first: a partition of a recreated topic is both forgotten (old id) and sent (new id).
    for (const k of change.forgotten) this.session.delete(k);
    for (const p of change.partitions) this.session.set(key(p), p);
  }

  /** The request failed on the wire or timed out: the broker's view is unknown, so the next request is full. */
  onFailure(): void {
    this.pending = null;
    this.epoch = INITIAL_EPOCH;
    this.session.clear();
  }

  /** Metadata for the final request that closes the session (sent on close when a session exists). */
  closeRequest(): { sessionId: number; sessionEpoch: number } | null {
    if (!this.enabled || this.sessionId === INVALID_SESSION_ID) return null;
    return { sessionId: this.sessionId, sessionEpoch: FINAL_EPOCH };
  }
}
