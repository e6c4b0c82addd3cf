// A gregor consumer wired to the ledger: a rebalance listener that records assignment changes (and commits what was
// delivered before a revoke completes), a poll loop that records each delivery, and commits of exact offsets that
// are recorded once the broker acknowledged them. Usable in the test process and in member child processes.
import type { Consumer, Message, RebalanceListener, TopicPartition } from '../../src/index.js';
import type { MemberRecorder } from '../support/ledger.js';

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class LedgerMember {
  /** The next offset to commit per owned partition: delivered offset + 1. */
  readonly next = new Map<string, { topic: string; partition: number; offset: bigint }>();
  delivered = 0;
  private sinceCommit = 0;
  commitErrors: unknown[] = [];

  constructor(readonly consumer: Consumer, readonly rec: MemberRecorder) {}

  /**
   * A listener recording assigned/revoked/lost; on revoke it first commits what was delivered of the revoked
   * partitions (so the next owner starts right after), then forgets them. `extra` runs after.
   */
  listener(extra: RebalanceListener = {}): RebalanceListener {
    return {
      assigned: async (p) => {
        this.rec.assigned(p);
        await extra.assigned?.(p);
      },
      revoked: async (p) => {
        await this.commit(p).catch(() => {});
        for (const tp of p) this.next.delete(key(tp.topic, tp.partition));
        this.rec.revoked(p);
        await extra.revoked?.(p);
      },
      lost: async (p) => {
        for (const tp of p) this.next.delete(key(tp.topic, tp.partition));
        this.rec.lost(p);
        await extra.lost?.(p);
      },
    };
  }

  /** Records a delivered message (and remembers its next offset for the next commit). */
  record(m: Message): void {
    this.rec.delivered(m);
    this.next.set(key(m.topic, m.partition), { topic: m.topic, partition: m.partition, offset: m.offset + 1n });
    this.delivered++;
    this.sinceCommit++;
  }

  /**
   * Commits the next offsets of the delivered partitions (all, or only `only`); recorded when acknowledged, and
   * recorded as failed (then rethrown) otherwise.
   */
  async commit(only?: readonly TopicPartition[]): Promise<void> {
    const list = [...this.next.values()].filter((o) => only === undefined || only.some((tp) => tp.topic === o.topic && tp.partition === o.partition));
    if (list.length === 0) return;
    this.sinceCommit = 0;
    this.rec.committing(list);
    try {
      await this.consumer.commit(list);
      this.rec.committed(list);
    } catch (err) {
      this.rec.commitFailed(list, err);
      this.commitErrors.push(err);
      throw err;
    }
  }

  /**
   * Polls until `done()` is true, recording each message, committing every `commitEvery` messages (0 = never) and
   * once at the end. Rejects when `timeoutMs` passes first (naming what `progress()` says), or with a poll error
   * unless `onError` handles it (return true to go on).
   */
  async run(opts: {
    done: () => boolean;
    timeoutMs: number;
    commitEvery?: number;
    onMessage?: (m: Message) => void | Promise<void>;
    onError?: (err: unknown) => boolean | Promise<boolean>;
    progress?: () => string;
  }): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    const every = opts.commitEvery ?? 500;
    while (!opts.done()) {
      if (Date.now() > deadline) {
        throw new Error(`member ${this.rec.member}: not done within ${opts.timeoutMs} ms (${opts.progress?.() ?? `${this.delivered} delivered`})`);
      }
      let m: Message | null;
      try {
        m = await this.consumer.poll(200);
      } catch (err) {
        if (opts.onError !== undefined && (await opts.onError(err))) continue;
        throw err;
      }
      if (m === null) continue;
      this.record(m);
      await opts.onMessage?.(m);
      if (every > 0 && this.sinceCommit >= every) {
        // A commit refused during a rebalance is retried at the next round; only acknowledged ones are recorded.
        await this.commit().catch(() => {});
      }
    }
    await this.commit();
  }
}

/** Waits until `cond()` is true, polling every 50 ms; rejects naming `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
