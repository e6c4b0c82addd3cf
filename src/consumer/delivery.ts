// Handing messages to the application, and knowing what it holds.
//
// - take()/waitForMessage(): a message from the FetchBuffer now, or when one arrives (a poll with a timeout).
// - handOut(): resolves a value; once a buffered run has lasted 5 ms, through setImmediate (see below).
// - What the application holds: the message (or batch) handed out last, until it polls again. A message counts as
//   processed when the application comes back for more; finishedOffsets() and untilProcessed() build on that.
// - Poll activity for max.poll.interval.ms: a counter per poll and the number of polls waiting, in shared memory that
//   the heartbeat thread reads (cluster/group-liveness.ts): no clock read per message, and it keeps counting while
//   the application blocks the event loop.

import { ACTIVITY_LAST_POLL, ACTIVITY_POLLS, ACTIVITY_POLLS_SEEN, ACTIVITY_SLOTS, ACTIVITY_WAITING, stampAge } from '../cluster/group-liveness.js';
import type { FetchBuffer } from './fetch-buffer.js';
import type { Message } from './message.js';
import type { OffsetToCommit } from './offsets.js';
import { partitionKey, type PartitionState } from './partition-state.js';

/** handOut() reads the clock once per this many messages handed out (see handOut()). */
const YIELD_CHECK_EVERY = 256;

export class Delivery {
  /** The message handed out last; the application is still processing it until it polls again. */
  private inHand: Message | null = null;
  /** The batch handed out last by pollBatch(): in the application's hands until it polls again. */
  private inHandBatch: Message[] | null = null;
  /** Revokes waiting for the application to come back for more (see untilProcessed()). */
  private pollWaiters: (() => void)[] = [];
  /** Polls so far and polls waiting now (ACTIVITY_* slots), shared with the heartbeat thread. */
  readonly activity = new Int32Array(new SharedArrayBuffer(ACTIVITY_SLOTS * 4));
  /** Date.now() the ACTIVITY_LAST_POLL stamps count from. */
  readonly activityBase = Date.now();
  private lastPoll = Date.now();
  private pollsSeen = 0;
  /** Messages handed out from the buffer since the event loop last had a turn, and when that was. */
  private sinceYield = 0;
  private lastYield = performance.now();

  constructor(
    private readonly buffer: FetchBuffer,
    /** True once the consumer is closing: waiting polls resolve with null. */
    private readonly isClosing: () => boolean,
  ) {}

  /** Restarts the max.poll.interval.ms clock (subscribe, assign). */
  resetPollClock(): void {
    this.activity[ACTIVITY_POLLS]++;
  }

  /**
   * The application came back for more: what it held is processed. Counts the poll (the clock is read by the
   * heartbeat thread, not here) and releases revokes waiting for this moment.
   */
  beforePoll(): void {
    this.inHand = null;
    this.inHandBatch = null;
    this.activity[ACTIVITY_POLLS]++;
    if (this.pollWaiters.length > 0) {
      const waiters = this.pollWaiters;
      this.pollWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * When the application last polled, as a revoke waiting for it needs it: now while a poll is waiting, else the
   * time the heartbeat thread last saw the poll counter move (precise to 100 ms), else (no heartbeat thread) the
   * time this method last saw it move.
   */
  pollActivity(): number {
    if (Atomics.load(this.activity, ACTIVITY_WAITING) > 0) return Date.now();
    const seen = Atomics.load(this.activity, ACTIVITY_LAST_POLL);
    if (seen !== 0 && this.activity[ACTIVITY_POLLS] === Atomics.load(this.activity, ACTIVITY_POLLS_SEEN)) {
      const now = Date.now();
      return now - stampAge((now - this.activityBase) | 0, seen);
    }
    const polls = this.activity[ACTIVITY_POLLS];
    if (polls !== this.pollsSeen) {
      this.pollsSeen = polls;
      this.lastPoll = Date.now();
    }
    return this.lastPoll;
  }

  /** The next buffered message (now in the application's hands), or a waiting error thrown. */
  take(): Message | null {
    const buffer = this.buffer;
    if (buffer.hasError) throw buffer.takeError()!;
    const m = buffer.next();
    this.inHand = m;
    return m;
  }

  /**
   * The application now holds this batch (pollBatch()). A batch stands for many messages, so it counts as a whole
   * check interval: the handOut() that hands it out reads the clock (and yields if the run has lasted).
   */
  holdBatch(batch: Message[]): void {
    this.inHand = null;
    this.inHandBatch = batch;
    this.sinceYield = YIELD_CHECK_EVERY - 1;
  }

  /**
   * Resolves with `value`. A loop over buffered messages runs in microtasks only, which never lets the event loop
   * read sockets or run timers; with a synchronous handler and a full buffer that would starve heartbeats (and the
   * next Fetch response) for as long as the buffer lasts. So every few milliseconds of such a run, the value is
   * handed out through setImmediate instead, giving I/O and timers their turn. Checked every 256 messages: the
   * clock is not read per message.
   */
  handOut<T>(value: T): Promise<T> {
    if (++this.sinceYield < YIELD_CHECK_EVERY) return Promise.resolve(value);
    this.sinceYield = 0;
    const now = performance.now();
    if (now - this.lastYield < 5) return Promise.resolve(value);
    return new Promise((resolve) => setImmediate(() => {
      this.lastYield = performance.now();
      resolve(value);
    }));
  }

  /** A message as soon as one is buffered; null after `timeoutMs` (Infinity: never) or when the consumer closes. */
  waitForMessage(timeoutMs: number): Promise<Message | null> {
    return new Promise<Message | null>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let cancel: (() => void) | undefined;
      Atomics.add(this.activity, ACTIVITY_WAITING, 1);
      const finish = (): void => {
        Atomics.sub(this.activity, ACTIVITY_WAITING, 1);
        if (timer !== undefined) clearTimeout(timer);
        cancel?.();
      };
      const attempt = (): void => {
        if (this.isClosing()) {
          finish();
          resolve(null);
          return;
        }
        let m: Message | null;
        try {
          m = this.take();
        } catch (err) {
          finish();
          reject(err);
          return;
        }
        if (m !== null) {
          finish();
          resolve(m);
          return;
        }
        this.lastYield = performance.now();
        cancel = this.buffer.onData(attempt);
      };
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          finish();
          resolve(null);
        }, timeoutMs);
      }
      cancel = this.buffer.onData(attempt);
    });
  }

  private held(): readonly Message[] {
    return this.inHandBatch ?? (this.inHand === null ? [] : [this.inHand]);
  }

  /** Offsets the application has finished with: each position, minus the messages it still holds. */
  finishedOffsets(states: readonly PartitionState[]): OffsetToCommit[] {
    const out: OffsetToCommit[] = [];
    // The first message in the application's hands, per partition: nothing from it on is finished.
    const first = new Map<string, Message>();
    for (const m of this.held()) {
      const k = partitionKey(m.topic, m.partition);
      if (!first.has(k)) first.set(k, m);
    }
    for (const s of states) {
      const position = s.position;
      if (position === null) continue;
      const m = first.get(s.key);
      if (m !== undefined && m.offset < position) {
        out.push({ topic: s.topic, partition: s.partition, offset: m.offset, leaderEpoch: m.leaderEpoch, metadata: null });
      } else {
        out.push({ topic: s.topic, partition: s.partition, offset: position, leaderEpoch: s.positionEpoch, metadata: null });
      }
    }
    return out;
  }

  /**
   * Resolves when no message of these partitions is in the application's hands: at once if none is, else at the
   * application's next poll, or when `maxPollIntervalMs` since its last poll has passed (then the message counts
   * as unfinished and is delivered again to the next owner: at least once). `nextPoll`: wait for the next poll (or a
   * poll waiting now) even when the application holds nothing of these partitions.
   */
  untilProcessed(states: readonly PartitionState[], maxPollIntervalMs: number, nextPoll = false): Promise<void> {
    const keys = new Set(states.map((s) => s.key));
    if (Atomics.load(this.activity, ACTIVITY_WAITING) > 0) return Promise.resolve();
    if (!nextPoll && !this.held().some((m) => keys.has(partitionKey(m.topic, m.partition)))) return Promise.resolve();
    const limit = Math.max(0, this.pollActivity() + maxPollIntervalMs - Date.now());
    return new Promise((resolve) => {
      const timer = setTimeout(done, limit);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.pollWaiters.push(done);
    });
  }

  /** Closing: nothing waits for the application any more. */
  releaseWaiters(): void {
    for (const w of this.pollWaiters.splice(0)) w();
    this.buffer.wake();
  }
}
