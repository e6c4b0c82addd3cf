// Acknowledgements of a share consumer (KIP-932), pure: what is waiting to be sent to one broker's share session, and
// how it becomes the AcknowledgementBatches of a ShareFetch or ShareAcknowledge request.
//
// An acknowledgement is (partition, offset, type). Types are Kafka's: 0 gap (an acquired offset with no record: a
// transaction marker, a compacted-away record), 1 accept, 2 release, 3 reject, 4 renew (KIP-1222, extends the
// acquisition lock, not final). Per partition the offsets are sorted and cut into runs of consecutive offsets; a run
// whose offsets share one type is sent with a single type (AcknowledgeTypes [t]: the broker applies it to the whole
// range), a mixed run with one type per offset. Renew acknowledgements travel apart from the others: a request that
// carries one sets IsRenewAck and then may not fetch (KIP-1222), so they go in ShareAcknowledge requests of their own.
//
// States of one acknowledgement: queued (here) -> taken into a request (`take()`: owned by that request) -> answered
// (the response's per-partition error, or the whole request's error). A request that failed as a whole gives its
// acknowledgements back (`requeue()`): the locks belong to the member, not to the session, so a new session may carry
// them. A share-session error says the broker applied nothing; a request that got no answer (timed out, connection
// lost) may have been applied, and its acknowledgements are marked `unanswered`: if the broker refuses them when they
// are sent again (INVALID_RECORD_STATE: no longer acquired, perhaps because the first attempt accepted them), the
// failure says the first may have counted (AcknowledgementFailure.maybeApplied).

export const AckType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3, RENEW: 4 } as const;
export type AckTypeCode = (typeof AckType)[keyof typeof AckType];

/** The application's names for the acknowledgement types. */
export type AcknowledgeType = 'accept' | 'release' | 'reject' | 'renew';

export const ACK_TYPE_BY_NAME: Readonly<Record<AcknowledgeType, AckTypeCode>> = {
  accept: AckType.ACCEPT, release: AckType.RELEASE, reject: AckType.REJECT, renew: AckType.RENEW,
};

export const ACK_NAMES = ['gap', 'accept', 'release', 'reject', 'renew'] as const;

/** A partition of the share session: topic id (Kafka's base64 form) and index. */
export interface SharePartitionKey {
  readonly topicId: string;
  readonly partition: number;
}

export function partitionKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

/** AcknowledgementBatch as the ShareFetch and ShareAcknowledge requests carry it. */
export interface AcknowledgementBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  acknowledgeTypes: number[];
}

/** The acknowledgements of one request, per partition, ready for the request body. */
export interface TakenAcks {
  readonly partitions: Map<string, { topicId: string; partition: number; offsets: Map<bigint, AckTypeCode> }>;
  readonly renew: boolean;
  readonly count: number;
  /** Per partition key, the offsets an earlier request carried and got no answer for (see the file comment). */
  readonly unanswered: ReadonlyMap<string, ReadonlySet<bigint>>;
}

/** The acknowledgements queued for one broker's share session (see the file comment). */
export class AckQueue {
  private final = new Map<string, { topicId: string; partition: number; offsets: Map<bigint, AckTypeCode> }>();
  private renews = new Map<string, { topicId: string; partition: number; offsets: Map<bigint, AckTypeCode> }>();
  /** Per partition key, queued offsets that an earlier request carried without an answer. */
  private unanswered = new Map<string, Set<bigint>>();

  /** Queues an acknowledgement; a later one for the same offset replaces an earlier one not yet taken. */
  add(topicId: string, partition: number, offset: bigint, type: AckTypeCode): void {
    const into = type === AckType.RENEW ? this.renews : this.final;
    const key = partitionKey(topicId, partition);
    let p = into.get(key);
    if (p === undefined) {
      p = { topicId, partition, offsets: new Map() };
      into.set(key, p);
    }
    p.offsets.set(offset, type);
    // A final acknowledgement supersedes a renew of the same record that has not gone out yet.
    if (type !== AckType.RENEW) {
      const r = this.renews.get(key);
      if (r !== undefined && r.offsets.delete(offset) && r.offsets.size === 0) this.renews.delete(key);
    }
  }

  get size(): number {
    return count(this.final) + count(this.renews);
  }

  get hasFinal(): boolean {
    return this.final.size > 0;
  }

  /** Whether final acknowledgements are queued for a partition not in `keys` (they cannot ride on a ShareFetch). */
  hasFinalOutside(keys: ReadonlyMap<string, unknown>): boolean {
    for (const key of this.final.keys()) if (!keys.has(key)) return true;
    return false;
  }

  get hasRenew(): boolean {
    return this.renews.size > 0;
  }

  /** Takes the final acknowledgements (renew: false) or the renewals (renew: true) for one request. */
  take(renew: boolean): TakenAcks | null {
    const from = renew ? this.renews : this.final;
    if (from.size === 0) return null;
    const unanswered = new Map<string, Set<bigint>>();
    for (const [key, p] of from) {
      const marks = this.unanswered.get(key);
      if (marks === undefined) continue;
      const mine = new Set<bigint>();
      for (const o of p.offsets.keys()) if (marks.delete(o)) mine.add(o);
      if (mine.size > 0) unanswered.set(key, mine);
      if (marks.size === 0) this.unanswered.delete(key);
    }
    const taken: TakenAcks = { partitions: from, renew, count: count(from), unanswered };
    if (renew) this.renews = new Map();
    else this.final = new Map();
    return taken;
  }

  /**
   * Gives back the acknowledgements of a request that failed as a whole; those queued since win. `answered: false`:
   * the request got no answer, so the broker may have applied it (they are marked, see the file comment).
   */
  requeue(taken: TakenAcks, { answered }: { answered: boolean }): void {
    for (const p of taken.partitions.values()) {
      const key = partitionKey(p.topicId, p.partition);
      const before = taken.unanswered.get(key);
      for (const [offset, type] of p.offsets) {
        const newer = (type === AckType.RENEW ? this.renews : this.final).get(key)?.offsets.has(offset) === true
          || (type === AckType.RENEW && this.final.get(key)?.offsets.has(offset) === true);
        if (newer) continue;
        this.add(p.topicId, p.partition, offset, type);
        if (type !== AckType.RENEW && (!answered || before?.has(offset) === true)) {
          let marks = this.unanswered.get(key);
          if (marks === undefined) this.unanswered.set(key, (marks = new Set()));
          marks.add(offset);
        }
      }
    }
  }

  /** Drops what is queued for partitions no longer wanted (their records' locks are gone with the assignment). */
  clear(): void {
    this.final.clear();
    this.renews.clear();
    this.unanswered.clear();
  }
}

function count(m: Map<string, { offsets: Map<bigint, AckTypeCode> }>): number {
  let n = 0;
  for (const p of m.values()) n += p.offsets.size;
  return n;
}

/** One partition's acknowledgements as AcknowledgementBatches: consecutive offsets in one batch (file comment). */
export function toBatches(offsets: ReadonlyMap<bigint, AckTypeCode>): AcknowledgementBatch[] {
  const sorted = [...offsets.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: AcknowledgementBatch[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1n) j++;
    const types = sorted.slice(i, j + 1).map((o) => offsets.get(o)!);
    const uniform = types.every((t) => t === types[0]);
    out.push({ firstOffset: sorted[i], lastOffset: sorted[j], acknowledgeTypes: uniform ? [types[0]] : types });
    i = j + 1;
  }
  return out;
}

/** Counts of acknowledgements by type name, for metrics. */
export function countByType(taken: TakenAcks): Record<(typeof ACK_NAMES)[number], number> {
  const out = { gap: 0, accept: 0, release: 0, reject: 0, renew: 0 };
  for (const p of taken.partitions.values()) for (const t of p.offsets.values()) out[ACK_NAMES[t]]++;
  return out;
}
