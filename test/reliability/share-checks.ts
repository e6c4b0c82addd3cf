// The share-group contract as ledger checks (KIP-932), shared by the R21 rows: a share group has no order and no
// commits, so what is checked is every record accepted (nothing lost), deliveries with deliveryCount 1 never twice
// (two holders at once), and per record the accepts the broker applied.
import type { ShareConsumer, ShareMessage } from '../../src/index.js';
import type { LedgerCheck } from '../support/ledger.js';

export const key = (partition: number, offset: bigint) => `${partition}/${offset}`;

/**
 * The share-group contract as a ledger check: lost, redeliveries, and first deliveries to two holders. A broker
 * failover is the exception (`failoverAt`): Kafka 4.3.1 does not persist acquisitions, so a new leader hands out
 * again, with deliveryCount 1, what the old one had handed out and not seen acknowledged; a deliveryCount-1 delivery
 * after `failoverAt` is an at-least-once duplicate (counted in the window), not a second holder.
 */
export function shareCheck(produced: number, deliveries: readonly { partition: number; offset: bigint; deliveryCount: number; at?: number }[],
  { failoverAt = Infinity }: { failoverAt?: number } = {}): LedgerCheck {
  const seen = new Map<string, number>();
  const firsts = new Map<string, number>();
  for (const d of deliveries) {
    const k = key(d.partition, d.offset);
    seen.set(k, (seen.get(k) ?? 0) + 1);
    if (d.deliveryCount === 1 && (d.at === undefined || d.at <= failoverAt)) firsts.set(k, (firsts.get(k) ?? 0) + 1);
  }
  const twoHolders = [...firsts].filter(([, n]) => n > 1).map(([k]) => k);
  const lost = produced - seen.size;
  const violations = [
    ...(lost > 0 ? [`${lost} record(s) delivered to no member`] : []),
    ...twoHolders.slice(0, 50).map((k) => `${k} delivered with deliveryCount 1 twice (two holders at once)`),
  ];
  return {
    produced, delivered: deliveries.length, distinct: seen.size, lost, pastEnd: 0, duplicated: deliveries.length - seen.size,
    duplicatesOutsideWindow: twoHolders.length, staleAfterFreeze: 0, replayed: 0, outOfOrder: 0, gaps: 0, commitRegressions: 0, commitsNotOwned: 0,
    deliveredNotOwned: 0, abortedDelivered: 0, foreign: 0, finalCommitMismatches: 0, handOverErrors: 0, assignmentErrors: 0,
    finalCommits: new Map(), violations, duplicates: [],
  };
}

/**
 * One member's acknowledgements as the broker answered them: each accept sent, less each one the broker refused
 * (the acknowledgementFailed events), per record. Refusals of acknowledgements an earlier unanswered request carried
 * (maybeApplied: the broker may have applied that one) are also kept apart, in `maybeApplied`.
 */
export class AcceptLedger {
  readonly sent = new Map<string, number>();
  readonly refused = new Map<string, number>();
  readonly maybeApplied = new Set<string>();
  refusals: Error[] = [];
  constructor(c: ShareConsumer) {
    c.on('acknowledgementFailed', (f) => {
      this.refusals.push(f.error);
      for (const o of f.offsets) {
        this.refused.set(key(f.partition, o), (this.refused.get(key(f.partition, o)) ?? 0) + 1);
        if (f.maybeApplied) this.maybeApplied.add(key(f.partition, o));
      }
    });
  }
  accept(c: ShareConsumer, records: readonly ShareMessage[]): void {
    for (const r of records) {
      c.acknowledge(r, 'accept');
      this.sent.set(key(r.partition, r.offset), (this.sent.get(key(r.partition, r.offset)) ?? 0) + 1);
    }
  }
  /** Per record, the accepts the broker applied. */
  applied(into = new Map<string, number>()): Map<string, number> {
    for (const [k, n] of this.sent) into.set(k, (into.get(k) ?? 0) + n - (this.refused.get(k) ?? 0));
    return into;
  }
}
