// ShareConsumer.run(): records handed to a handler, up to `concurrency` at a time, each acknowledged by its outcome.
// A share group keeps no order (any member may hold any record), so there are no lanes: a free slot takes the next
// record. Success accepts the record (unless the handler acknowledged it itself); a failure is retried with backoff;
// after the last retry gregor.error.policy decides: 'stop' releases the record (another member gets it, its delivery
// count raised) and run() rejects with a HandlerError; 'skip' rejects it (the broker archives it). A record that keeps
// failing under 'stop' in every member ends archived all the same, after the group's delivery count limit.
//
// Lock renewal (KIP-1222): while a record's handler runs (or waits for a retry), a timer renews its acquisition lock
// once less than half the lock duration is left; the broker answers with the new lock duration.

import { backoff, sleep } from '../../cluster/retry.js';
import { channels, trace, type ProcessDiagnostics } from '../../diagnostics.js';
import { AbortError } from '../../errors.js';
import { count, HandlerError, type ErrorPolicy } from '../runner/options.js';
import { AckType } from './acknowledgements.js';
import type { ShareMessage, ShareRunOptions, ShareRunSummary } from './api.js';
import type { Held, ShareConsumer } from './share-consumer.js';

interface Resolved {
  eachMessage: NonNullable<ShareRunOptions['eachMessage']> | null;
  eachBatch: NonNullable<ShareRunOptions['eachBatch']> | null;
  concurrency: number;
  batchSize: number;
  retries: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  renewLocks: boolean;
  drainTimeoutMs: number;
  signal: AbortSignal | null;
}

/** Checks ShareConsumer.run()'s options. */
export function resolveShareRunOptions(options: unknown, maxPollRecords: number): Resolved {
  if (options === null || typeof options !== 'object') throw new TypeError('run(): expected an options object with eachMessage or eachBatch');
  const o = options as ShareRunOptions;
  const known = new Set(['eachMessage', 'eachBatch', 'concurrency', 'batchSize', 'retry', 'renewLocks', 'drainTimeoutMs', 'signal']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new TypeError(`run(): unknown option ${JSON.stringify(k)}`);
  if ((o.eachMessage === undefined) === (o.eachBatch === undefined)) throw new TypeError('run(): give exactly one of eachMessage and eachBatch');
  if (o.eachMessage !== undefined && typeof o.eachMessage !== 'function') throw new TypeError('run(): eachMessage must be a function');
  if (o.eachBatch !== undefined && typeof o.eachBatch !== 'function') throw new TypeError('run(): eachBatch must be a function');
  let retries = 5;
  let initialBackoffMs = 100;
  let maxBackoffMs = 10_000;
  if (o.retry === false) {
    retries = 0;
  } else if (o.retry !== undefined) {
    if (o.retry === null || typeof o.retry !== 'object') throw new TypeError('run(): retry must be an object { retries, initialBackoffMs, maxBackoffMs } or false');
    retries = count(o.retry.retries, 'retry.retries', retries, 0, true);
    initialBackoffMs = count(o.retry.initialBackoffMs, 'retry.initialBackoffMs', initialBackoffMs, 0);
    maxBackoffMs = count(o.retry.maxBackoffMs, 'retry.maxBackoffMs', Math.max(maxBackoffMs, initialBackoffMs), initialBackoffMs);
  }
  if (o.renewLocks !== undefined && typeof o.renewLocks !== 'boolean') throw new TypeError('run(): renewLocks must be a boolean');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError('run(): signal must be an AbortSignal');
  return {
    eachMessage: o.eachMessage ?? null,
    eachBatch: o.eachBatch ?? null,
    concurrency: count(o.concurrency, 'concurrency', 1, 1),
    batchSize: count(o.batchSize, 'batchSize', maxPollRecords, 1),
    retries, initialBackoffMs, maxBackoffMs,
    renewLocks: o.renewLocks ?? true,
    drainTimeoutMs: count(o.drainTimeoutMs, 'drainTimeoutMs', 30_000, 0),
    signal: o.signal ?? null,
  };
}

export class ShareRunner {
  private readonly options: Resolved;
  private readonly inFlight = new Set<Promise<void>>();
  /** Records whose handler runs or waits for a retry, and the lock deadline a renewal was last asked at. */
  private readonly active = new Map<Held, number>();
  private readonly handlerAbort = new AbortController();
  private stopping = false;
  private error: Error | null = null;
  private done: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly summary: ShareRunSummary = { handled: 0, rejected: 0, renewals: 0 };

  constructor(
    private readonly consumer: ShareConsumer,
    options: ShareRunOptions,
    private readonly errorPolicy: ErrorPolicy,
  ) {
    this.options = resolveShareRunOptions(options, consumer.config['max.poll.records']);
  }

  /** Stops taking records and waits for the handlers in flight (up to drainTimeoutMs). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.kick();
    await this.done;
  }

  private kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async run(): Promise<ShareRunSummary> {
    let finish!: () => void;
    this.done = new Promise((resolve) => (finish = resolve));
    const onAbort = (): void => {
      this.stopping = true;
      this.kick();
    };
    this.options.signal?.addEventListener('abort', onAbort);
    if (this.options.signal?.aborted === true) this.stopping = true;
    const renewTimer = setInterval(() => this.renewDue(), Math.max(100, Math.min(1000, Math.floor(this.consumer._lockDurationMs / 10))));
    renewTimer.unref();
    try {
      await this.loop();
      await this.drain();
    } finally {
      clearInterval(renewTimer);
      this.options.signal?.removeEventListener('abort', onAbort);
      finish();
    }
    if (this.error !== null) throw this.error;
    return { ...this.summary };
  }

  private async loop(): Promise<void> {
    const { concurrency, eachBatch, batchSize } = this.options;
    while (!this.stopping && this.error === null) {
      if (this.inFlight.size >= concurrency) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      let records: ShareMessage[];
      try {
        records = await this.consumer._take(eachBatch !== null ? batchSize : concurrency - this.inFlight.size, 500);
      } catch (err) {
        this.error ??= err as Error;
        break;
      }
      if (this.consumer.state !== 'active') break;
      if (records.length === 0) continue;
      if (eachBatch !== null) this.spawn(this.handleBatch(records));
      else for (const r of records) this.spawn(this.handleOne(r));
    }
  }

  private spawn(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.drainTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    if (this.inFlight.size === 0) return;
    // Handlers still running after the drain timeout: their records go back to the group, not accepted.
    this.handlerAbort.abort(new AbortError('run(): stopping, and the drain timeout passed'));
    for (const h of this.active.keys()) if (this.consumer._heldOf(h.record) === h) this.consumer._queueAck(h, AckType.RELEASE);
    this.active.clear();
  }

  private track(records: readonly ShareMessage[]): Held[] {
    const out: Held[] = [];
    for (const r of records) {
      const h = this.consumer._heldOf(r);
      if (h === undefined) continue;
      this.active.set(h, -1);
      out.push(h);
    }
    return out;
  }

  /** Acknowledges the records still held (the handler may have acknowledged some itself) and stops tracking them. */
  private settle(held: readonly Held[], type: typeof AckType.ACCEPT | typeof AckType.RELEASE | typeof AckType.REJECT): number {
    let n = 0;
    for (const h of held) {
      this.active.delete(h);
      if (this.consumer._heldOf(h.record) !== h) continue;
      this.consumer._queueAck(h, type);
      n++;
    }
    return n;
  }

  private handleOne(record: ShareMessage): Promise<void> {
    const eachMessage = this.options.eachMessage!;
    return this.attempt(this.track([record]), [record], (attempt) => {
      const call = (): void | Promise<void> => eachMessage(record, { signal: this.handlerAbort.signal, attempt });
      return channels.process.hasSubscribers ? trace(channels.process, this.processDiagnostics(record, null, attempt), call) : call();
    });
  }

  private handleBatch(records: ShareMessage[]): Promise<void> {
    const eachBatch = this.options.eachBatch!;
    return this.attempt(this.track(records), records, (attempt) => {
      const call = (): void | Promise<void> => eachBatch(records, { signal: this.handlerAbort.signal, attempt });
      return channels.process.hasSubscribers ? trace(channels.process, this.processDiagnostics(records[0], records, attempt), call) : call();
    });
  }

  /** The gregor:consumer:process payload of a handler call (the same channel as Consumer.run()'s). */
  private processDiagnostics(first: ShareMessage, messages: readonly ShareMessage[] | null, attempt: number): ProcessDiagnostics {
    return {
      clientId: this.consumer.config['client.id'], groupId: this.consumer.groupId, topic: first.topic, partition: first.partition,
      message: messages === null ? first : null, messages, attempt,
    };
  }

  private async attempt(held: Held[], records: readonly ShareMessage[], call: (attempt: number) => void | Promise<void>): Promise<void> {
    const { retries, initialBackoffMs, maxBackoffMs } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        await call(attempt);
        this.settle(held, AckType.ACCEPT);
        this.summary.handled += records.length;
        return;
      } catch (err) {
        if (this.handlerAbort.signal.aborted) return;
        if (attempt > retries) {
          this.failed(held, records[0], attempt, err);
          return;
        }
        try {
          await sleep(backoff(attempt, initialBackoffMs, maxBackoffMs), this.handlerAbort.signal);
        } catch {
          return;
        }
      }
    }
  }

  private failed(held: Held[], first: ShareMessage, attempts: number, err: unknown): void {
    const where = { topic: first.topic, partition: first.partition, offset: first.offset, attempts };
    if (this.errorPolicy === 'skip') {
      const n = this.settle(held, AckType.REJECT);
      this.summary.rejected += n;
      this.consumer._logger.warn('run(): handler failed after its retries; record rejected (gregor.error.policy=skip)', {
        ...where, offset: String(first.offset), deliveryCount: first.deliveryCount, error: (err as Error)?.message,
      });
      return;
    }
    this.settle(held, AckType.RELEASE);
    this.error ??= new HandlerError(`run(): the handler failed ${attempts} time(s) on ${first.topic}[${first.partition}] offset ${first.offset}: ${(err as Error)?.message ?? String(err)}`, where, { cause: err });
    this.stopping = true;
    this.kick();
  }

  /** Renews the locks of records still being handled once less than half the lock duration is left (file comment). */
  private renewDue(): void {
    if (!this.options.renewLocks) return;
    const now = Date.now();
    const half = this.consumer._lockDurationMs / 2;
    for (const [h, askedAt] of this.active) {
      if (this.consumer._heldOf(h.record) !== h) {
        this.active.delete(h);
        continue;
      }
      // One renewal per lock deadline: the next is due only after the broker moved the deadline.
      if (h.deadline - now > half || askedAt === h.deadline) continue;
      this.active.set(h, h.deadline);
      this.consumer._queueAck(h, AckType.RENEW);
      this.summary.renewals++;
    }
  }
}
