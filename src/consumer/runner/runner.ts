// consumer.run(): the scheduler that hands records to the application's handler concurrently, in the order the
// `ordering` option asks for, and commits only what is completed (see DESIGN.md, "run(): ordered concurrency").
// Parts, lanes and flights: state.ts; commits: commits.ts.
//
// Flow: pump() takes records from the consumer's fetch buffer while fewer than maxBufferedRecords/Bytes are held
// (above that the fetch buffer fills and fetching pauses by itself: backpressure), routes each to its lane, and
// dispatch() starts flights from ready lanes, round robin over partitions. A completion frees its lane and slot.
//
// A partition's records are not handed out before its committed offset and metadata were read (OffsetFetch):
// records completed before a crash or by the previous owner are skipped (metadata.ts).

import { performance } from 'node:perf_hooks';
import { channels, trace } from '../../diagnostics.js';
import { StateError, UnsupportedError } from '../../errors.js';
import { isRetriableError } from '../../cluster/retry.js';
import type { Message } from '../message.js';
import { backoff, sleep } from '../../cluster/retry.js';
import { partitionKey, type TopicPartition } from '../partition-state.js';
import { FailurePolicy } from '../failure-policy.js';
import { Fifo } from './fifo.js';
import { RunCommits } from './commits.js';
import { decodeCompleted } from './metadata.js';
import { OffsetTracker } from './offset-tracker.js';
import { HandlerError, type Batch, type BatchContext, type ResolvedRunOptions, type RunCommitReason } from './options.js';
import {
  MAX_SAFE_OFFSET, NULL_KEY, OffsetReader, SINGLE_LANE, drain, newPart, processDiagnostics, recordBytes, type Entry, type Lane, type Part,
  type RunnerHost, type RunSummary,
} from './state.js';

export type { RunnerHost, RunSummary } from './state.js';

/** How long records are taken and handled without an event-loop turn (timers, sockets), at most (as handOut's). */
const YIELD_MS = 5;
/** Records of one lane started one after the other while other partitions wait for a slot (continueLane()). */
const RUN_LENGTH = 32;

export class Runner {
  private readonly parts = new Map<string, Part>();
  private readonly readyParts = new Fifo<Part>();
  private slots = 0;
  private held = 0;
  private heldBytes = 0;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private failure: unknown = null;
  private cancelWait: (() => void) | null = null;
  private kickScheduled = false;
  private readonly commits: RunCommits;
  private commitTimer: NodeJS.Timeout | null = null;
  private livenessTimer: NodeJS.Timeout | null = null;
  private readonly toLoad = new Set<Part>();
  private loadScheduled = false;
  private settle!: { resolve: (s: RunSummary) => void; reject: (e: unknown) => void };
  private readonly summary: RunSummary = { completed: 0, skipped: 0, retries: 0, failedSkipped: 0, deadLettered: 0, commitFailures: 0 };
  private readonly policy: FailurePolicy;
  private readonly onAbort = (): void => void this.stop();
  /** The partition of the last record routed: records come in runs of one partition, so most lookups stop here. */
  private lastPart: Part | null = null;
  /** dispatch() is on the stack: a flight completing synchronously leaves the starting to that loop. */
  private dispatching = false;
  /** continueLane() is starting a lane's next record: a synchronous landing goes through dispatch(). */
  private continuing = false;
  /**
   * A lane whose record landed synchronously inside dispatch()'s loop and that may go on (mayContinue()): the loop
   * starts its next record in the same slot and flight, as continueLane() does for a landing outside it.
   */
  private nextInLane: Lane | null = null;
  /**
   * The clock read that ended the last handler call, and whether it may start the next (no handler, deserializer or
   * logger code ran since): one read per call for messaging.process.duration (DESIGN.md, "run()").
   */
  private landedAt = 0;
  private landedAtFresh = false;
  private readonly offsets = new OffsetReader();
  /** The last take found the fetch buffer empty (pump() then leaves a listener that kicks when data arrives). */
  private dry = false;
  /** performance.now() when pump() last ran after an event-loop turn (kick()). */
  private lastYield = performance.now();

  constructor(private readonly options: ResolvedRunOptions, private readonly host: RunnerHost) {
    this.policy = options.failures ?? new FailurePolicy(options.errorPolicy, null, host.logger);
    this.commits = new RunCommits(host, this.summary, options.metadataMaxBytes, () => this.kick());
  }

  /** Starts processing; `owned` are the partitions assigned now (their metadata is read at once). */
  run(owned: readonly TopicPartition[]): Promise<RunSummary> {
    const done = new Promise<RunSummary>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    const signal = this.options.signal;
    if (signal !== null) {
      if (signal.aborted) {
        void this.stop();
        return done;
      }
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
    if (this.host.committed !== null) {
      // One periodic commit in flight at a time (see OffsetManager.startAutoCommit).
      let inFlight = false;
      this.commitTimer = setInterval(() => {
        if (inFlight) return;
        inFlight = true;
        // A failure is reported by commitAll(); the next tick commits what is completed by then.
        void this.commitAll(null, 'periodic').catch(() => {}).finally(() => { inFlight = false; });
      }, this.host.autoCommitIntervalMs);
      this.commitTimer.unref();
    }
    // While the runner waits for records it is as alive as a waiting poll (max.poll.interval.ms).
    this.livenessTimer = setInterval(() => {
      if (this.cancelWait !== null) this.host.polled();
    }, 1000);
    this.livenessTimer.unref();
    this.assigned(owned);
    this.pump();
    return done;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Rebalance hooks (called by the consumer's membership host)

  /** Newly assigned partitions: their committed metadata is read before any of their records is handed out. */
  assigned(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.partFor(tp);
  }

  /**
   * Partitions being revoked: nothing more of them is handed out; flights in progress are awaited (at most
   * drainTimeoutMs, then their signal is aborted), their completions committed. Resolves when the rebalance may go on.
   */
  async revoked(partitions: readonly TopicPartition[]): Promise<void> {
    const parts = this.existing(partitions);
    for (const p of parts) this.retire(p, 'revoking');
    await drain(parts, this.options.drainTimeoutMs, this.host.logger);
    if (this.host.committed !== null) {
      // Reported by commitAll(); the rebalance goes on (the records are handled again by the next owner).
      await this.commitAll(parts, 'revoke').catch(() => {});
    }
    for (const p of parts) this.forget(p);
    this.kick();
  }

  /** Partitions lost (another member may own them): dropped at once, never committed; their handlers are aborted. */
  lost(partitions: readonly TopicPartition[]): void {
    for (const p of this.existing(partitions)) {
      this.retire(p, 'gone');
      p.abort.abort(new StateError(`${p.key}: partition lost`));
      this.forget(p);
    }
    this.kick();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Stopping

  /**
   * Stops handing out records, awaits flights (drainTimeoutMs), commits completions, rewinds positions to the first
   * record not completed, and settles run(). Idempotent.
   */
  stop(error?: unknown): Promise<void> {
    if (error !== undefined && this.failure === null) this.failure = error;
    if (this.stopped !== null) return this.stopped;
    this.stopping = true;
    this.stopped = this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.cancelWait?.();
    this.cancelWait = null;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (this.livenessTimer !== null) clearInterval(this.livenessTimer);
    const parts = [...this.parts.values()];
    for (const p of parts) {
      for (const t of p.retryTimers) clearTimeout(t);
      p.retryTimers.clear();
    }
    await drain(parts, this.options.drainTimeoutMs, this.host.logger);
    if (this.commitTimer !== null) clearInterval(this.commitTimer);
    if (this.host.committed !== null) {
      // Reported by commitAll(); run() rejects with it, unless it already fails for another reason: resolving would
      // tell the application its completed records are committed when they are not.
      await this.commitAll(null, 'final').catch((err: unknown) => {
        if (this.failure === null) this.failure = err;
      });
    }
    for (const p of parts) {
      if (p.phase === 'gone') continue;
      // Records taken but not completed were consumed from the fetch buffer: the position goes back to the first
      // of them so that whatever reads next (poll, another run()) sees them.
      const first = p.tracker?.committable()?.offset ?? p.waiting[0]?.message.offset;
      try {
        if (first !== undefined) this.host.rewind(p.tp, first);
        if (p.pausedForMetadata) this.host.resumeFetch(p.tp);
      } catch (err) {
        this.host.logger.debug('run(): rewind skipped', { partition: p.key, error: (err as Error).message });
      }
    }
    this.host.detach();
    if (this.failure !== null) this.settle.reject(this.failure);
    else this.settle.resolve(this.summary);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Taking records

  /** Runs pump() soon, once, after the event loop had a turn (a synchronous handler must not starve I/O). */
  private kick(): void {
    if (this.kickScheduled || this.stopping) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      this.lastYield = performance.now();
      this.pump();
    });
  }

  /**
   * After a handler call landed: once half of what may be held is handled, more records are taken in this same stack,
   * unless the event loop last had a turn YIELD_MS ago or more (then through kick(), as `for await`'s handOut yields).
   * Waiting for an event-loop turn per maxBufferedRecords instead made the consumer read its sockets and send Fetch
   * requests every ~0.5 ms: 5-8x the Fetch requests of `for await`, each smaller (bench/README.md).
   */
  private refill(): void {
    // dry: the fetch buffer was empty at the last take; the listener pump() left kicks when data arrives.
    if (this.stopping || this.kickScheduled || this.dry) return;
    if (this.held <= this.options.maxBufferedRecords >>> 1) {
      if (performance.now() - this.lastYield < YIELD_MS) this.pump();
      else this.kick();
    } else if (this.slots === 0 && this.readyParts.length === 0) {
      // Nothing in flight will land and call this again: what is held waits (loading, backing off).
      this.kick();
    }
  }

  private pump(): void {
    if (this.stopping) return;
    this.host.polled();
    const { maxBufferedRecords, maxBufferedBytes } = this.options;
    this.dry = false;
    while (this.held < maxBufferedRecords && this.heldBytes < maxBufferedBytes) {
      let m: Message | null;
      try {
        m = this.host.take();
      } catch (err) {
        void this.stop(err);
        return;
      }
      if (m === null) {
        this.dry = true;
        break;
      }
      this.route(m);
    }
    this.dispatch();
    if (this.held < maxBufferedRecords && this.heldBytes < maxBufferedBytes && this.cancelWait === null) {
      this.cancelWait = this.host.onData(() => {
        this.cancelWait = null;
        this.kick();
      });
    }
  }

  private partFor(tp: TopicPartition): Part {
    const key = partitionKey(tp.topic, tp.partition);
    let p = this.parts.get(key);
    if (p !== undefined) return p;
    p = newPart(tp, key);
    this.parts.set(key, p);
    if (this.host.committed === null) {
      p.tracker = new OffsetTracker();
      p.phase = 'active';
    } else {
      this.toLoad.add(p);
      if (!this.loadScheduled) {
        this.loadScheduled = true;
        setImmediate(() => {
          this.loadScheduled = false;
          void this.load();
        });
      }
    }
    return p;
  }

  /** Reads committed offsets and metadata of partitions met or assigned since the last call, in one OffsetFetch. */
  private async load(): Promise<void> {
    const parts = [...this.toLoad].filter((p) => p.phase === 'loading');
    this.toLoad.clear();
    if (parts.length === 0 || this.host.committed === null) return;
    let found: Map<string, { offset: bigint; metadata: string | null }>;
    try {
      found = await this.host.committed(parts.map((p) => p.tp));
    } catch (err) {
      if (this.stopping) return;
      // committed() retried what is retriable until default.api.timeout.ms (withRetries). A non-retriable answer
      // (GROUP_AUTHORIZATION_FAILED, ...) fails the same way every time: run() stops with it.
      if (!isRetriableError(err)) {
        void this.stop(err);
        return;
      }
      this.host.logger.warn('run(): reading committed metadata failed; retrying', { error: (err as Error).message });
      // Ref'd, as withRetries' waits: the application awaits run(), and this wait may be all the event loop holds.
      await sleep(1000, undefined, { ref: true });
      for (const p of parts) if (p.phase === 'loading') this.toLoad.add(p);
      return this.load();
    }
    for (const p of parts) {
      if (p.phase !== 'loading') continue;
      const c = found.get(p.key);
      p.tracker = new OffsetTracker(c === undefined ? [] : decodeCompleted(c.offset, c.metadata));
      if (c !== undefined && c.offset >= 0n) p.lastCommit = { offset: c.offset, metadata: c.metadata ?? '' };
      p.phase = 'active';
      const waiting = p.waiting;
      p.waiting = [];
      for (const e of waiting) this.admit(e);
    }
    this.dispatch();
    this.kick();
  }

  private route(m: Message): void {
    let p = this.lastPart;
    if (p === null || p.tp.partition !== m.partition || p.tp.topic !== m.topic || p.phase === 'gone') {
      p = this.partFor(m);
      this.lastPart = p;
    }
    if (p.phase === 'revoking' || p.phase === 'gone') return; // the consumer dropped its buffer already; belt and braces
    let lane: Lane | undefined;
    if (this.options.ordering === 'key') {
      const key = m.key === null ? NULL_KEY : m.key.toString('latin1');
      lane = p.lanes.get(key);
      if (lane === undefined) p.lanes.set(key, (lane = this.newLane(p, key)));
    } else {
      lane = p.single ?? undefined;
      if (lane === undefined) {
        lane = p.lanes.get(SINGLE_LANE);
        if (lane === undefined) p.lanes.set(SINGLE_LANE, (lane = this.newLane(p, SINGLE_LANE)));
        p.single = lane;
      }
    }
    const offset = this.offsets.of(m);
    if (offset < 0) {
      void this.stop(new UnsupportedError(`run(): ${p.key} offset ${m.offset} is beyond 2^53 - 1, where run() counts offsets exactly`));
      try {
        this.host.rewind(p.tp, m.offset); // not handed out: read again by whatever reads next
      } catch {
        // no longer owned
      }
      return;
    }
    const e: Entry = { message: m, offset, bytes: recordBytes(m), part: p, lane, attempt: 0, typed: undefined, released: false, startedAt: -1 };
    this.held++;
    this.heldBytes += e.bytes;
    if (p.phase === 'loading') p.waiting.push(e);
    else this.admit(e);
  }

  private newLane(p: Part, key: string | symbol): Lane {
    const lane: Lane = {
      key, part: p, queue: new Fifo<Entry>(), exclusive: this.options.ordering !== 'none', busy: false, inReady: false,
      flying: null, onDone: null, onFail: null, streak: 0,
    };
    if (lane.exclusive && this.options.eachMessage !== null) {
      lane.onDone = () => this.landed(lane, lane.flying!, false, null);
      lane.onFail = (err: unknown) => this.landed(lane, lane.flying!, true, err);
      // Sound because a native promise settles once, and startOne hands these only to native promises.
    }
    return lane;
  }

  private admit(e: Entry): void {
    const p = e.part;
    if (!p.tracker!.take(e.offset, e.message.leaderEpoch)) {
      this.summary.skipped++;
      this.release(e);
      this.dropLaneIfIdle(e.lane, p);
      return;
    }
    e.lane.queue.push(e);
    if (!e.lane.busy) this.markReady(e.lane, p);
    // Completions beyond the gap may outgrow the metadata: checked every 64 records held, when there are any (records
    // completed in order leave none, and then the check is skipped).
    if (p.tracker!.pendingCount >= 64 && (p.tracker!.pendingCount & 63) === 0 && p.tracker!.hasCompletedAhead()) this.commits.checkMetadataSize(p);
  }

  private release(e: Entry): void {
    if (e.released) return;
    e.released = true;
    this.held--;
    this.heldBytes -= e.bytes;
  }

  private markReady(lane: Lane, p: Part): void {
    if (lane.inReady || lane.queue.length === 0 || p.phase !== 'active') return;
    lane.inReady = true;
    p.ready.push(lane);
    if (!p.inReadyParts) {
      p.inReadyParts = true;
      this.readyParts.push(p);
    }
  }

  private dropLaneIfIdle(lane: Lane, p: Part): void {
    // A partition's single lane is kept for its lifetime (it would be made again for the next record).
    if (lane === p.single) return;
    if (lane.queue.length === 0 && !lane.busy && !lane.inReady && p.lanes.get(lane.key) === lane) p.lanes.delete(lane.key);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Dispatching

  private dispatch(): void {
    // A handler that returns synchronously completes inside this loop (landed() -> dispatch() again): the inner call
    // returns at once and this loop, which re-reads slots and ready lanes on every turn, goes on.
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      const batchMode = this.options.eachBatch !== null;
      while (!this.stopping && this.slots < this.options.concurrency && this.readyParts.length > 0) {
        const p = this.readyParts.shift()!;
        p.inReadyParts = false;
        if (p.phase !== 'active' || p.ready.length === 0) continue;
        if (batchMode) {
          const entries = this.takeBatch(p);
          this.requeue(p);
          if (entries.length > 0) this.startFlight(p, entries);
        } else {
          const lane = p.ready.at(0)!;
          const e = this.takeOne(p, lane);
          this.requeue(p);
          this.startOne(p, lane, e);
          // A synchronous handler: the lane's records one after the other without the round robin's queues per record.
          while (this.nextInLane === lane) {
            this.nextInLane = null;
            this.callOne(p, lane, lane.queue.shift()!);
          }
        }
      }
    } finally {
      this.dispatching = false;
      this.landedAtFresh = false;
      this.nextInLane = null;
    }
  }

  private requeue(p: Part): void {
    if (p.ready.length > 0) {
      p.inReadyParts = true;
      this.readyParts.push(p);
    }
  }

  private takeOne(p: Part, lane: Lane): Entry {
    const e = lane.queue.shift()!;
    if (lane.exclusive || lane.queue.length === 0) {
      p.ready.shift();
      lane.inReady = false;
    }
    if (lane.exclusive) lane.busy = true;
    return e;
  }

  /**
   * One record to eachMessage: the handler is called directly (no async frame of our own); a synchronous result
   * lands at once, a promise through `then` with the lane's own callbacks (exclusive lanes) or a closure ('none').
   */
  private startOne(p: Part, lane: Lane, e: Entry): void {
    this.slots++;
    p.flights++;
    const deserializers = this.options.deserializers;
    if (deserializers !== null && e.typed === undefined) {
      this.landedAtFresh = false; // the deserializer's time is not the handler's
      // Deserialized once, at its first dispatch (a retry reuses it); a failure is not retried: the bytes stay the same.
      let typed: unknown;
      try {
        typed = deserializers.apply(e.message);
      } catch (err) {
        this.unreadable(p, [e], err);
        return;
      }
      if (typed instanceof Promise) {
        typed.then((t: unknown) => {
          e.typed = t;
          if (p.phase !== 'active' || this.stopping) {
            e.startedAt = -1; // no handler call to measure
            this.landed(lane, e, true, null);
          }
          else this.callOne(p, lane, e);
        }, (err: unknown) => this.unreadable(p, [e], err));
        return;
      }
      e.typed = typed;
    }
    this.callOne(p, lane, e);
  }

  private callOne(p: Part, lane: Lane, e: Entry): void {
    const attempt = ++e.attempt;
    let result: void | Promise<void>;
    const context = attempt === 1 ? p.firstContext : { signal: p.abort.signal, attempt };
    if (this.host.processDuration !== undefined) {
      e.startedAt = this.landedAtFresh ? this.landedAt : performance.now();
      this.landedAtFresh = false;
    } else e.startedAt = -1; // not timed: a histogram given while the call runs must not record it
    try {
      const arg = e.typed ?? e.message;
      result = channels.process.hasSubscribers
        ? trace(channels.process, processDiagnostics(this.host, e.message, null, attempt), () => this.options.eachMessage!(arg, context))
        : this.options.eachMessage!(arg, context);
    } catch (err) {
      this.landed(lane, e, true, err);
      return;
    }
    if (result === null || result === undefined || typeof (result as { then?: unknown }).then !== 'function') {
      this.landed(lane, e, false, null);
      return;
    }
    // Another thenable might call back twice or synchronously: Promise.resolve() makes it a promise that settles once,
    // later, as `await` would.
    const promise = result instanceof Promise ? result : Promise.resolve(result);
    if (lane.onDone !== null) {
      lane.flying = e;
      promise.then(lane.onDone, lane.onFail);
    } else {
      promise.then(() => this.landed(lane, e, false, null), (err: unknown) => this.landed(lane, e, true, err));
    }
  }

  /** eachMessage's call for `e` settled. */
  private landed(lane: Lane, e: Entry, failed: boolean, error: unknown): void {
    const p = lane.part;
    const histogram = this.host.processDuration;
    if (histogram !== undefined && e.startedAt >= 0) {
      const now = performance.now();
      histogram.record((now - e.startedAt) / 1000);
      this.landedAt = now;
      this.landedAtFresh = true;
    }
    if (lane.flying === e) lane.flying = null;
    if (!failed) {
      this.complete(e);
      if (lane.exclusive && !this.continuing) {
        if (!this.dispatching) {
          if (this.continueLane(p, lane)) return;
        } else if (this.mayContinue(p, lane)) {
          // Landed synchronously inside dispatch()'s loop: that loop starts the lane's next record (refill() waits for
          // the run's end, so that taking records is not counted in the next call's duration).
          this.nextInLane = lane;
          return;
        }
      }
      this.slots--;
      this.freeLane(p, lane);
    } else {
      this.slots--;
      this.failed(p, [e], e.attempt, error);
      this.landedAtFresh = false; // a retry's warning went to the application's logger
    }
    this.flightDone(p);
    this.dispatch();
    this.refill();
  }

  /**
   * After a record of an exclusive lane landed outside dispatch(): its lane's next record is started at once in the
   * same slot and flight, without the round robin's queueing, for up to RUN_LENGTH records while other partitions wait
   * for a slot (no partition starves), without limit while none does. False: the lane goes the usual way.
   */
  private continueLane(p: Part, lane: Lane): boolean {
    if (!this.mayContinue(p, lane)) return false;
    const next = lane.queue.shift()!;
    // A handler that returns synchronously lands inside this call: that landing goes the usual way (dispatch()'s
    // loop), or a lane of synchronous calls would recurse here.
    this.continuing = true;
    this.callOne(p, lane, next);
    this.continuing = false;
    this.landedAtFresh = false;
    this.refill();
    return true;
  }

  /** Whether an exclusive lane whose record landed may start its next record in the same slot (continueLane()). */
  private mayContinue(p: Part, lane: Lane): boolean {
    if (lane.queue.length === 0 || p.phase !== 'active' || this.stopping || this.options.deserializers !== null) {
      lane.streak = 0;
      return false;
    }
    if (this.readyParts.length > 0 && ++lane.streak > RUN_LENGTH) {
      lane.streak = 0;
      return false;
    }
    return true;
  }

  private flightDone(p: Part): void {
    if (--p.flights === 0 && p.idle.length > 0) {
      const idle = p.idle;
      p.idle = [];
      for (const f of idle) f();
    }
  }

  /** A batch: records of ready lanes of one partition, each lane's in its order, merged into offset order. */
  private takeBatch(p: Part): Entry[] {
    const size = this.options.batchSize;
    const out: Entry[] = [];
    let lanes = 0;
    while (out.length < size && p.ready.length > 0) {
      const lane = p.ready.shift()!;
      lane.inReady = false;
      out.push(...lane.queue.take(size - out.length));
      lanes++;
      if (lane.exclusive) lane.busy = true;
      else if (lane.queue.length > 0) this.markReady(lane, p);
    }
    if (lanes > 1) out.sort((a, b) => (a.offset < b.offset ? -1 : 1));
    return out;
  }

  /** One batch to eachBatch (the per-record path is startOne). */
  private startFlight(p: Part, entries: Entry[]): void {
    this.slots++;
    p.flights++;
    void this.fly(p, entries).finally(() => this.flightDone(p));
  }

  /**
   * The entries of a batch deserialized (records that fail go to the policy at once, in this flight, so a revoke
   * waits for their dead letters); the ones left for the handler, or null when run() stops.
   */
  private async deserializeBatch(p: Part, entries: Entry[]): Promise<Entry[] | null> {
    const deserializers = this.options.deserializers!;
    const bad: { e: Entry; err: unknown }[] = [];
    const waits: Promise<void>[] = [];
    for (const e of entries) {
      if (e.typed !== undefined) continue;
      try {
        const t = deserializers.apply(e.message);
        if (t instanceof Promise) waits.push(t.then((v) => { e.typed = v; }, (err: unknown) => { bad.push({ e, err }); }));
        else e.typed = t;
      } catch (err) {
        bad.push({ e, err });
      }
    }
    if (waits.length > 0) await Promise.all(waits);
    if (bad.length === 0) return entries;
    bad.sort((a, b) => (a.e.offset < b.e.offset ? -1 : 1));
    const settled = await this.settleFailed(p, bad.map((b) => b.e), bad[0].err, 0, bad.map((b) => b.err));
    if (!settled) return null;
    const left = entries.filter((e) => e.typed !== undefined);
    // A lane with records left for the handler stays busy until the batch lands (order within the lane).
    const busy = new Set(left.map((e) => e.lane));
    this.freeLanes(p, bad.map((b) => b.e).filter((e) => !busy.has(e.lane)));
    return left;
  }

  private async fly(p: Part, all: Entry[]): Promise<void> {
    let error: unknown = null;
    let failed = false;
    const signal = p.abort.signal;
    let entries = all;
    if (this.options.deserializers !== null) {
      const left = await this.deserializeBatch(p, all);
      if (left === null || left.length === 0) {
        this.slots--;
        if (left !== null) this.freeLanes(p, all);
        this.dispatch();
        this.kick();
        return;
      }
      entries = left;
    }
    let attempt = 0;
    for (const e of entries) attempt = Math.max(attempt, ++e.attempt);
    const timed = this.host.processDuration;
    const started = timed !== undefined ? performance.now() : 0;
    try {
      const first = entries[0].message;
      const batch: Batch<unknown> = { topic: first.topic, partition: first.partition, messages: entries.map((e) => e.typed ?? e.message) };
      const context: BatchContext<unknown> = { signal, attempt, resolveOffset: (o) => this.resolveUpTo(p, entries, o) };
      await (channels.process.hasSubscribers
        ? trace(channels.process, processDiagnostics(this.host, first, entries.map((e) => e.message), attempt), () => this.options.eachBatch!(batch, context))
        : this.options.eachBatch!(batch, context));
    } catch (err) {
      error = err;
      failed = true;
    }
    timed?.record((performance.now() - started) / 1000);
    this.slots--;
    if (!failed) {
      for (const e of entries) this.complete(e);
      this.freeLanes(p, entries);
    } else {
      this.failed(p, entries, attempt, error);
    }
    this.dispatch();
    this.kick();
  }

  private resolveUpTo(p: Part, entries: readonly Entry[], o: unknown): void {
    const given = typeof o === 'bigint' ? o : (o as { offset?: unknown } | null)?.offset;
    if (typeof given !== 'bigint') throw new TypeError('resolveOffset(): expected a bigint offset or a Message');
    // Entries' offsets are below 2^53: a larger given offset resolves them all, as the bigint compare would.
    const offset = given > MAX_SAFE_OFFSET ? Infinity : Number(given);
    for (const e of entries) if (e.offset <= offset) this.complete(e);
    if (p.pausedForMetadata) this.commits.checkMetadataSize(p);
  }

  /** A record is completed: committable from now on (unless its partition is gone). */
  private complete(e: Entry): void {
    if (e.released) return;
    this.release(e);
    this.summary.completed++;
    const p = e.part;
    if (p.phase === 'gone' || p.tracker === null) return;
    p.tracker.complete(e.offset);
    if (p.pausedForMetadata) this.commits.checkMetadataSize(p);
  }

  private freeLanes(p: Part, entries: readonly Entry[]): void {
    for (const e of entries) this.freeLane(p, e.lane);
  }

  private freeLane(p: Part, lane: Lane): void {
    if (!lane.busy && lane.exclusive) return;
    lane.busy = false;
    this.markReady(lane, p);
    this.dropLaneIfIdle(lane, p);
  }

  private failed(p: Part, entries: Entry[], attempt: number, error: unknown): void {
    const left = entries.filter((e) => !e.released);
    const first = left[0] ?? entries[0];
    if (p.phase !== 'active' || this.stopping) {
      // Revoked, lost or stopping: the record stays uncompleted (not committed) and is handled again later.
      for (const e of left) this.release(e);
      return;
    }
    if (left.length === 0) {
      // eachBatch resolved every record and then threw: nothing is left to retry.
      this.freeLanes(p, entries);
      return;
    }
    const where = `${first.message.topic}[${first.message.partition}] offset ${first.offset}`;
    if (attempt > this.options.retries && this.policy.policy !== 'stop') {
      // Passed over or dead-lettered, then counted as handled, so the commit moves past it (nothing else marks a
      // failed record done). A dead letter keeps its lane busy and counts as a flight until it is acknowledged.
      p.flights++;
      void this.settleFailed(p, left, error, attempt).then((settled) => {
        if (settled) this.freeLanes(p, entries);
        this.flightDone(p);
        this.dispatch();
        this.kick();
      });
      return;
    }
    if (attempt > this.options.retries) {
      for (const e of left) this.release(e);
      void this.stop(new HandlerError(
        `run(): the handler failed for ${where} after ${attempt} attempt(s): ${(error as Error)?.message ?? String(error)}`,
        { topic: first.message.topic, partition: first.message.partition, offset: first.message.offset, attempts: attempt },
        { cause: error },
      ));
      return;
    }
    this.summary.retries++;
    const delay = backoff(attempt, this.options.initialBackoffMs, this.options.maxBackoffMs);
    this.host.logger.warn('run(): handler failed; retrying', { record: where, attempt, delayMs: delay, error: (error as Error)?.message ?? String(error) });
    // The records go back to the front of their lanes; exclusive lanes stay busy meanwhile, so nothing of the same
    // key (or partition) overtakes them.
    for (const e of left) p.backingOff.add(e);
    const timer = setTimeout(() => {
      p.retryTimers.delete(timer);
      for (const e of left) p.backingOff.delete(e);
      if (p.phase !== 'active' || this.stopping) return;
      const byLane = new Map<Lane, Entry[]>();
      for (const e of left) {
        let list = byLane.get(e.lane);
        if (list === undefined) byLane.set(e.lane, (list = []));
        list.push(e);
      }
      for (const [lane, list] of byLane) {
        lane.queue.unshiftAll(list);
        lane.busy = false;
        this.markReady(lane, p);
      }
      for (const e of entries) if (e.released) this.freeLanes(p, [e]);
      this.dispatch();
    }, delay);
    p.retryTimers.add(timer);
  }

  /** eachMessage: a record that could not be deserialized; the policy settles it in this flight (no retry). */
  private unreadable(p: Part, entries: Entry[], err: unknown): void {
    void this.settleFailed(p, entries, err, 0).then((settled) => {
      this.slots--;
      if (settled) this.freeLanes(p, entries);
      this.flightDone(p);
      this.dispatch();
      this.kick();
    });
  }

  /**
   * gregor.error.policy for failed records (`errors[i]` for entries[i], else `error` for all): true when they were
   * skipped or dead-lettered and are now completed; false when run() stops (policy stop, or the dead letter failed).
   */
  private async settleFailed(p: Part, entries: readonly Entry[], error: unknown, attempts: number, errors?: readonly unknown[]): Promise<boolean> {
    if (p.phase !== 'active' || this.stopping) {
      // Revoked, lost or stopping: left uncompleted (not committed), handled again later.
      for (const e of entries) this.release(e);
      return false;
    }
    let stopWith: unknown = null;
    for (const [i, e] of entries.entries()) {
      const err = errors?.[i] ?? error;
      let outcome;
      try {
        outcome = await this.policy.settle(e.message, err, attempts);
      } catch (deadLetterFailed) {
        stopWith = deadLetterFailed;
        break;
      }
      if (outcome === null) {
        stopWith = attempts === 0 ? err : new HandlerError(
          `run(): the handler failed for ${e.message.topic}[${e.message.partition}] offset ${e.offset} after ${attempts} attempt(s): ${(err as Error)?.message ?? String(err)}`,
          { topic: e.message.topic, partition: e.message.partition, offset: e.message.offset, attempts }, { cause: err },
        );
        break;
      }
      if (outcome === 'skipped') this.summary.failedSkipped++;
      else this.summary.deadLettered++;
      this.complete(e);
      this.summary.completed--;
    }
    if (stopWith === null) return true;
    for (const e of entries) this.release(e);
    void this.stop(stopWith);
    return false;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Revoke, loss, drain

  private existing(partitions: readonly TopicPartition[]): Part[] {
    const out: Part[] = [];
    for (const tp of partitions) {
      const p = this.parts.get(partitionKey(tp.topic, tp.partition));
      if (p !== undefined && p.phase !== 'gone') out.push(p);
    }
    return out;
  }

  /** Nothing more of this partition is handed out; its queued records are dropped (they stay uncommitted). */
  private retire(p: Part, phase: 'revoking' | 'gone'): void {
    p.phase = phase;
    this.toLoad.delete(p);
    for (const t of p.retryTimers) clearTimeout(t);
    p.retryTimers.clear();
    for (const e of p.backingOff) this.release(e);
    p.backingOff.clear();
    for (const e of p.waiting) this.release(e);
    p.waiting = [];
    for (const lane of p.lanes.values()) {
      for (const e of lane.queue.drain()) this.release(e);
      lane.inReady = false;
    }
    p.ready = new Fifo<Lane>();
  }

  private forget(p: Part): void {
    p.phase = 'gone';
    if (this.lastPart === p) this.lastPart = null;
    if (this.parts.get(p.key) === p) this.parts.delete(p.key);
  }

  /**
   * Commits the completed prefix and the completions beyond it of `parts` (null: every active partition, as they are
   * when the commit starts), serialised after any commit in progress (commits.ts).
   */
  private commitAll(parts: readonly Part[] | null, reason: RunCommitReason): Promise<void> {
    return this.commits.commit(() => parts ?? [...this.parts.values()], reason);
  }
}
