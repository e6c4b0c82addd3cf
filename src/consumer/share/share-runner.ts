// ShareConsumer.run(): records handed to a handler, up to `concurrency` at a time, each acknowledged by its outcome.
// A share group keeps no order (any member may hold any record), so there are no lanes: a free slot takes the next
// record. Success accepts the record (unless the handler acknowledged it itself); a failure is retried with backoff;
// after the last retry gregor.error.policy decides (ShareConsumer._settleFailed): 'stop' releases the record (another
// member gets it, its delivery count raised) and run() rejects with a HandlerError; 'skip' rejects it (the broker
// archives it); 'dead-letter' writes it to the dead-letter topic and accepts it once written (a failed write releases
// it and run() rejects with the DeadLetterError). A record that keeps failing under 'stop' in every member ends
// archived all the same, after the group's delivery count limit.
//
// With deserializers, a record is deserialized before its handler is called; one that cannot be goes to the policy at
// once (no retry: the bytes stay the same) and an eachBatch call gets the others. The renewal timer covers a record
// until the policy settled it, dead-letter write included.
//
// Lock renewal (KIP-1222): while a record's handler runs (or waits for a retry), a timer renews its acquisition lock
// once less than half the lock duration is left; the broker answers with the new lock duration.

import { backoff, sleep } from '../../cluster/retry.js';
import { channels, trace, type ProcessDiagnostics } from '../../diagnostics.js';
import { AbortError, StateError, isGregorError } from '../../errors.js';
import type { Deserializers } from '../deserialize.js';
import type { Message } from '../message.js';
import { count, HandlerError } from '../runner/options.js';
import { AckType } from './acknowledgements.js';
import { ShareConsumerRecord, type ShareMessage, type ShareRunOptions, type ShareRunSummary } from './api.js';
import type { Held, ShareConsumer } from './share-consumer.js';

interface Resolved {
  eachMessage: NonNullable<ShareRunOptions<unknown>['eachMessage']> | null;
  eachBatch: NonNullable<ShareRunOptions<unknown>['eachBatch']> | null;
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
  const o = options as ShareRunOptions<unknown>;
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

/** The part of the ShareConsumer the runner drives (none of it depends on the deserializers' types). */
export type ShareRunnerHost = Pick<ShareConsumer, '_failures' | '_heldOf' | '_lockDurationMs' | '_queueAck' | '_settleFailed' | '_take' | 'config' | 'groupId' | 'state'>;

function newShareRecord(m: Message, key: unknown, value: unknown): ShareConsumerRecord<unknown, unknown> {
  return new ShareConsumerRecord(m, key, value);
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
  private readonly summary: ShareRunSummary = { handled: 0, rejected: 0, deadLettered: 0, renewals: 0 };

  constructor(
    private readonly consumer: ShareRunnerHost,
    options: ShareRunOptions<unknown>,
    private readonly deserializers: Deserializers | null,
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
    const done = (): void => {
      this.inFlight.delete(p);
      this.kick();
    };
    // Handling settles its own failures; should one escape (a bug), it ends run() with it rather than reject unheard.
    p.then(done, (err: unknown) => {
      this.error ??= isGregorError(err) ? err : new StateError(`run(): handling failed: ${String(err)}`, { cause: err });
      this.stopping = true;
      done();
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
    const held = this.track([record]);
    // Without deserializers the handler gets the record itself, with no promise of our own before it.
    if (this.deserializers === null) return this.callOne(held, record, record);
    return this.typed(held, [record]).then(([typed]) => (typed === undefined ? undefined : this.callOne(held, record, typed)));
  }

  private callOne(held: Held[], record: ShareMessage, typed: unknown): Promise<void> {
    const eachMessage = this.options.eachMessage!;
    return this.attempt(held, [record], (attempt) => {
      const call = (): void | Promise<void> => eachMessage(typed, { signal: this.handlerAbort.signal, attempt });
      return channels.process.hasSubscribers ? trace(channels.process, this.processDiagnostics(record, null, attempt), call) : call();
    });
  }

  private async handleBatch(taken: ShareMessage[]): Promise<void> {
    const eachBatch = this.options.eachBatch!;
    let held = this.track(taken);
    let records = taken;
    const typed = this.deserializers === null ? taken : await this.typed(held, taken);
    if (typed.length === 0) return;
    if (typed.length < taken.length) {
      // The undeserializable ones are with the policy: the batch is the others.
      records = typed.map((t) => (t as ShareConsumerRecord<unknown, unknown>).record);
      const kept = new Set<ShareMessage>(records);
      held = held.filter((h) => kept.has(h.record));
    }
    return this.attempt(held, records, (attempt) => {
      const call = (): void | Promise<void> => eachBatch(typed, { signal: this.handlerAbort.signal, attempt });
      return channels.process.hasSubscribers ? trace(channels.process, this.processDiagnostics(records[0], records, attempt), call) : call();
    });
  }

  /**
   * The records as the handler gets them: themselves without deserializers, else deserialized, those that fail
   * settled by the policy and left out (a stop, or a failed dead letter, ends run()).
   */
  private async typed(held: readonly Held[], records: readonly ShareMessage[]): Promise<unknown[]> {
    const d = this.deserializers;
    if (d === null) return [...records];
    const results = await Promise.allSettled(records.map((m) => {
      try {
        return d.apply(m, newShareRecord);
      } catch (err) {
        return Promise.reject(err);
      }
    }));
    const out: unknown[] = [];
    const failed: Held[] = [];
    const errors: unknown[] = [];
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') {
        out.push(r.value);
        continue;
      }
      const h = held.find((x) => x.record === records[i]);
      if (h !== undefined) {
        failed.push(h);
        errors.push(r.reason);
      }
    }
    if (failed.length > 0) await this.failed(failed, records[0], 0, errors);
    return out;
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
          await this.failed(held, records[0], attempt, [err]);
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

  /**
   * gregor.error.policy for records that failed (`errors[i]` for held[i], else errors[0] for all; attempts 0: not
   * deserializable), each settled by the consumer; records the handler acknowledged itself are no longer held.
   * A stop (or a dead letter that could not be written) ends run() with the error.
   */
  private async failed(held: readonly Held[], first: ShareMessage, attempts: number, errors: readonly unknown[]): Promise<void> {
    const mine = held.flatMap((h, i) => (this.consumer._heldOf(h.record) === h ? [{ h, error: errors[i] ?? errors[0] }] : []));
    const outcomes = await Promise.allSettled(mine.map(({ h, error }) => this.consumer._settleFailed(h, error, attempts)));
    for (const h of held) this.active.delete(h);
    let stopWith: unknown = null;
    for (const [i, o] of outcomes.entries()) {
      if (o.status === 'rejected') stopWith ??= o.reason;
      else if (o.value === 'rejected') this.summary.rejected++;
      else if (o.value === 'dead-lettered') this.summary.deadLettered++;
      else if (attempts === 0) stopWith ??= mine[i].error;
    }
    if (attempts > 0 && this.consumer._failures.policy === 'stop') {
      // The handler's failure ends run() even when it had acknowledged its records itself.
      const err = errors[0];
      stopWith = new HandlerError(`run(): the handler failed ${attempts} time(s) on ${first.topic}[${first.partition}] offset ${first.offset}: ${(err as Error)?.message ?? String(err)}`,
        { topic: first.topic, partition: first.partition, offset: first.offset, attempts }, { cause: err });
    }
    if (stopWith === null) return;
    this.error ??= stopWith as Error;
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
