// One fetcher per broker: a loop sending one Fetch at a time for all the partitions fetched from this broker (those
// it leads, and those whose leader named it as the read replica, KIP-392), on the broker's 'fetch' lane (so a long
// poll never delays a heartbeat or a commit).
//
// The loop is: build the next request (fetch session diff, byte budget, rotation), send it, turn the response into
// chunks in the FetchBuffer, repeat at once. Because chunks are handed to the application from the buffer, the next
// Fetch is in flight while the application processes the previous one; the byte budget is what stops it running
// ahead without bound.
//
// Fairness: each request lists partitions in a rotated order (and partitions that need a bigger limit first), so
// with fetch.max.bytes reached the same partitions are not always the ones left out (KIP-74 fills the response in
// request order). Inside a fetch session the broker additionally moves partitions that returned data to the end of
// its own list.

import { channels, traced } from '../diagnostics.js';
import { StateError, isGregorError } from '../errors.js';
import { ErrorCode, errorName, kafkaError } from '../protocol/error-codes.js';
import { fetchSessionReset, isRetriable, leaderMoved } from '../protocol/error-kinds.js';
import { FrameLease, type Cluster } from '../cluster/client.js';
import { ApiKey, type FetchResponse } from '../protocol/index.js';
import { DeferredChunk, type FetchBuffer } from './fetch-buffer.js';
import { FetchSession, type SessionPartition } from './fetch-session.js';
import type { Logger } from '../config/index.js';
import type { PartitionState } from './partition-state.js';
import { ChunkEnd, ChunkRecords, firstEntryComplete, scanRecordSet, type AbortedTransaction } from './record-source.js';
import { FailureStreak, backoff, sleep } from '../cluster/retry.js';
import type { ConsumerSettings } from './settings.js';
import { responseTopicName } from './topic-ids.js';

/** What a fetcher asks of the fetch manager. */
export interface FetcherHost {
  readonly client: Cluster;
  readonly settings: ConsumerSettings;
  readonly buffer: FetchBuffer;
  readonly logger: Logger;
  /** Owned partitions fetched from `nodeId` (their leader or read replica) which may be fetched now. */
  fetchableFor(nodeId: number): PartitionState[];
  /** Number of owned partitions (for each partition's share of the byte budget). */
  ownedCount(): number;
  /** Whether `state` is still owned (not revoked). */
  owns(state: PartitionState): boolean;
  /** Bytes other fetchers have asked for and not received yet. */
  reservedBytes(except: Fetcher): number;
  /** Brokers that lead fetchable partitions now: each fetcher may reserve at most its share of the byte budget. */
  activeFetchers(): number;
  /** `by` received its response: its reservation is free again, so fetchers waiting for room may go on. */
  reservationReleased(by: Fetcher): void;
  /** A leader moved, a topic id is missing...: refresh metadata and re-route. */
  requestMetadataRefresh(topic?: string): void;
  /** The leader refused the partition (it moved, or is not ready): not fetched again until metadata is refreshed. */
  refused(state: PartitionState): void;
  /**
   * KIP-951: a refusal named the partition's current leader; applied (true) when newer than the metadata's, and the
   * partition goes to it (validated first, KIP-320) without waiting for a metadata refresh.
   */
  leaderHint(state: PartitionState, leader: { leaderId: number; leaderEpoch: number } | undefined,
    endpoints: readonly { nodeId: number; host: string; port: number; rack: string | null }[] | undefined): boolean;
  /** OFFSET_OUT_OF_RANGE for a partition. */
  outOfRange(state: PartitionState, offset: bigint): void;
  /** The broker reports a diverging epoch (KIP-320): validate the position. */
  diverged(state: PartitionState): void;
  /** The leader prefers another replica for this partition (KIP-392 preferredReadReplica): fetch from it. */
  useReadReplica(state: PartitionState, nodeId: number): void;
  /** The read replica answered the partition with an error: back to the leader, after a backoff. */
  readReplicaFailed(state: PartitionState, code: number): void;
  /** A request to `fetcher`'s broker failed: partitions that read from it as a replica go back to their leaders. */
  fetcherFailed(fetcher: Fetcher): void;
  /** Holds the partition back for retry.backoff.ms (an answer that a new request at once would only repeat). */
  backOff(state: PartitionState): void;
}

interface InFlightPartition {
  readonly state: PartitionState;
  readonly generation: number;
  readonly fetchOffset: bigint;
}

/** One Fetch request's partitions and limits, as plan() built it. */
interface FetchPlan {
  partitions: SessionPartition[];
  inFlight: InFlightPartition[];
  maxBytes: number;
  maxWaitMs: number;
}

/** What plan() built for a partition last time: reused while nothing in it changed. */
interface Planned {
  readonly session: SessionPartition;
  readonly inFlight: InFlightPartition;
}

export class Fetcher {
  readonly nodeId: number;
  private readonly host: FetcherHost;
  private readonly session = new FetchSession(true);
  private rotation = 0;
  private running = false;
  private closed = false;
  private wakeup: (() => void) | null = null;
  private woken = false;
  private failures = 0;
  private readonly streak: FailureStreak;
  /** Fetch requests sent: full (new session, or none) and incremental (KIP-227). */
  readonly stats = { full: 0, incremental: 0 };
  /** Bytes the in-flight request may bring (its maxBytes), counted against the shared budget. */
  reserved = 0;
  private readonly lifetime = new AbortController();
  /**
   * Per partition, the entries of its last request. At low rates a Fetch returns a record or two and the next one
   * lists every partition again, unchanged but for the one that moved: rebuilding two objects per partition per
   * request was a fifth of the consumer's allocation at 5,000 records/s (12 partitions). Entries are never mutated
   * (the fetch session keeps the SessionPartition it was sent), only replaced.
   */
  private readonly planned = new WeakMap<PartitionState, Planned>();
  /** plan()'s working lists, refilled per request (at low rates there is a Fetch per record or two). */
  private readonly wanted: PartitionState[] = [];
  private readonly ordered: PartitionState[] = [];
  /**
   * The request's lists, also refilled per request: one request is out at a time, and nothing keeps them past its
   * response (the fetch session copies what it keeps, diagnostics subscribers get a copy).
   */
  private readonly planPartitions: SessionPartition[] = [];
  private readonly planInFlight: InFlightPartition[] = [];
  /**
   * Every Fetch's request options: the settings do not change while the consumer runs. No AbortSignal: close() does
   * not wait for the loop, and the long poll in flight fails when the client closes its connections (its answer is
   * not read: `closed`); an abort listener added and removed per Fetch was ~4 % of the request path's garbage.
   */
  private readonly requestOptions: { lane: 'fetch'; timeoutMs: number };
  /**
   * performance.now() when plan() first held a Fetch back for a backlog (backlogHeldBack()); 0 while it does not.
   * After fetch.max.wait.ms of that the caught-up partitions are polled once without a long poll (quickPoll).
   */
  private heldBackSince = 0;
  /** Set by build() when it held a Fetch back this time (read by plan()). */
  private heldBack = false;
  private quickPoll = false;
  /**
   * The last response was small (under HAND_OUT_FIRST_BYTES): the next Fetch is built and written once the
   * application has been handed its records (see HAND_OUT_FIRST_BYTES).
   */
  private handOutFirst = false;

  constructor(nodeId: number, host: FetcherHost) {
    this.nodeId = nodeId;
    this.host = host;
    this.streak = new FailureStreak(host.settings.defaultApiTimeoutMs);
    this.requestOptions = {
      lane: 'fetch', timeoutMs: host.settings.requestTimeoutMs + host.settings.fetchMaxWaitMs,
    };
  }

  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.loop().catch((err: unknown) => {
      // A bug, not a broker answer: say so where the application will see it rather than crash the process.
      this.host.logger.warn('fetcher stopped by an unexpected error', { broker: this.nodeId, error: String(err) });
      this.host.buffer.pushError(err instanceof Error && isGregorError(err) ? err : new StateError(`fetcher for broker ${this.nodeId} failed: ${String(err)}`, { cause: err }));
    }).finally(() => {
      this.running = false;
    });
  }

  /** Something changed (data delivered, partition resumed, assignment changed): build a new request if idle. */
  wake(): void {
    this.woken = true;
    const w = this.wakeup;
    if (w !== null) {
      this.wakeup = null;
      w();
    }
  }

  /** Stops the loop; best effort, closes the broker-side fetch session. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lifetime.abort();
    this.wake();
    this.host.logger.debug('fetch requests', { broker: this.nodeId, ...this.stats });
    const close = this.session.closeRequest();
    if (close === null) return;
    // A broker answers a connection's requests in order, so on the fetch connection the closing Fetch would wait
    // behind a long poll in flight (up to fetch.max.wait.ms: close() took ~500 ms on an idle consumer). Sessions belong
    // to the broker, not to a connection (KIP-227): with a Fetch out (its bytes still reserved) the closing one goes on
    // the default lane; the long poll is dropped when the client closes its connections.
    const lane = this.reserved > 0 ? 'default' : 'fetch';
    try {
      await this.host.client.request(this.nodeId, ApiKey.Fetch, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 0,
        isolationLevel: 0,
        sessionId: close.sessionId,
        sessionEpoch: close.sessionEpoch,
        topics: [],
        forgottenTopicsData: [],
        rackId: this.host.settings.clientRack,
      }, { lane, timeoutMs: 1000 });
    } catch {
      // The broker evicts idle sessions by itself; closing is a courtesy.
    }
  }

  /** Until wake(); with `quickPollInMs` finite, at most that long, after which a quick poll is due (backlogHeldBack()). */
  private waitForWake(quickPollInMs = Infinity): Promise<void> {
    if (this.woken || quickPollInMs <= 0) {
      if (!this.woken) this.quickPoll = true;
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = Number.isFinite(quickPollInMs)
        ? setTimeout(() => {
          this.wakeup = null;
          this.quickPoll = true;
          resolve();
        }, Math.ceil(quickPollInMs))
        : undefined;
      this.wakeup = () => {
        clearTimeout(timer);
        this.woken = false;
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      if (this.handOutFirst) {
        this.handOutFirst = false;
        await afterMicrotasks();
        if (this.closed) return;
      }
      this.woken = false;
      const request = this.plan();
      if (request === null) {
        await this.waitForWake(this.heldBackSince > 0 ? this.heldBackSince + this.host.settings.fetchMaxWaitMs - performance.now() : Infinity);
        continue;
      }
      const meter = this.host.buffer.meter;
      const started = performance.now();
      try {
        if (channels.fetch.hasSubscribers) {
          await traced(channels.fetch, () => ({
            clientId: this.host.settings.clientId, groupId: this.host.settings.groupId, nodeId: this.nodeId, partitions: [...request.partitions],
          }), () => this.fetchOnce(request));
        } else {
          await this.fetchOnce(request);
        }
        meter.fetchRequests++;
        meter.fetchDuration.record((performance.now() - started) / 1000);
        this.failures = 0;
        this.streak.ok();
      } catch (err) {
        if (this.closed) return;
        meter.fetchErrors++;
        this.session.onFailure();
        this.failures++;
        const wait = backoff(this.failures, this.host.settings.retryBackoffMs, this.host.settings.retryBackoffMaxMs);
        this.host.logger.debug('fetch failed', { broker: this.nodeId, error: (err as Error).message, retryInMs: wait });
        if (isGregorError(err) && ((!err.retriable && err.code !== 'ERR_PROTOCOL') || this.streak.fail())) {
          // Authentication, authorization, unsupported version, or a broker unreachable for default.api.timeout.ms:
          // the application must hear about it (fetching goes on retrying).
          this.host.buffer.pushError(err);
        }
        // The broker may be gone or no longer leader: look again before the retry. Partitions read from it as a
        // replica go back to their leaders now (Java clears the preferred replica of the session's partitions).
        this.host.fetcherFailed(this);
        this.host.requestMetadataRefresh();
        try {
          await sleep(wait, this.lifetime.signal);
        } catch {
          return;
        }
      } finally {
        const had = this.reserved;
        this.reserved = 0;
        if (had > 0) this.host.reservationReleased(this);
      }
    }
  }

  /** The partitions and limits of the next request, or null when there is nothing to fetch now. */
  private plan(): FetchPlan | null {
    this.heldBack = false;
    const request = this.build();
    // Held back again: the quick poll stays due when it was; any other outcome ends the hold-back.
    if (!this.heldBack) this.heldBackSince = 0;
    else if (this.heldBackSince === 0) this.heldBackSince = performance.now();
    return request;
  }

  private build(): FetchPlan | null {
    const { settings, buffer } = this.host;
    const left = buffer.budgetLeft() - this.host.reservedBytes(this);
    // Fetch only with room for at least one partition's worth; a nearly full buffer waits for the application,
    // instead of sending a stream of tiny fetches. Checked before looking at any partition: every chunk the
    // application finishes wakes an idle fetcher, and while the buffer is full each wake-up only finds no room (at
    // 2,000 partitions a full pass was ~1.6 ms, four of five passes found no room).
    const minRoom = Math.min(settings.fetchMaxBytes, settings.maxPartitionFetchBytes, Math.floor(buffer.budgetBytes / 4));
    if (left < Math.max(1, minRoom)) return null;
    const candidates = this.host.fetchableFor(this.nodeId);
    const owned = this.host.ownedCount();
    const { wanted, ordered } = this;
    wanted.length = 0;
    ordered.length = 0;
    let overrides = 0;
    for (const s of candidates) {
      // fetchHeld is read again for the partitions wanted: a chunk's end walked only now may hold the partition.
      if (!buffer.wantsMore(s, owned) || s.fetchHeld) continue;
      wanted.push(s);
      if (s.maxBytesOverride > 0) overrides++;
    }
    if (wanted.length === 0 && this.session.size === 0) return null;
    if (wanted.length > 0 && !this.quickPoll && this.backlogHeldBack(candidates, wanted, owned)) {
      wanted.length = 0;
      this.heldBack = true;
      return null;
    }
    // Rotate the start so every partition takes its turn at the front; partitions blocked by a batch bigger than
    // their limit go first, the last found first (KIP-74 returns at least one whole batch for the first partition).
    const n = wanted.length;
    const start = n === 0 ? 0 : this.rotation++ % n;
    if (overrides > 0) {
      for (let i = n - 1; i >= 0; i--) {
        const s = wanted[(start + i) % n];
        if (s.maxBytesOverride > 0) ordered.push(s);
      }
    }
    for (let i = 0; i < n; i++) {
      const s = wanted[(start + i) % n];
      if (overrides === 0 || s.maxBytesOverride === 0) ordered.push(s);
    }
    wanted.length = 0;
    const partitions = this.planPartitions;
    const inFlight = this.planInFlight;
    partitions.length = 0;
    inFlight.length = 0;
    for (const s of ordered) {
      const topicId = this.host.client.topicId(s.topic);
      const partitionMaxBytes = Math.max(settings.maxPartitionFetchBytes, s.maxBytesOverride);
      let entry = this.planned.get(s);
      const last = entry?.session;
      if (entry === undefined || last === undefined || last.fetchOffset !== s.fetchOffset || last.topicId !== topicId
          || last.partitionMaxBytes !== partitionMaxBytes || last.currentLeaderEpoch !== s.leaderEpoch
          || last.lastFetchedEpoch !== s.lastFetchedEpoch || entry.inFlight.generation !== s.generation) {
        entry = {
          session: {
            key: s.key,
            topic: s.topic,
            topicId,
            partition: s.partition,
            fetchOffset: s.fetchOffset,
            partitionMaxBytes,
            currentLeaderEpoch: s.leaderEpoch,
            lastFetchedEpoch: s.lastFetchedEpoch,
          },
          inFlight: { state: s, generation: s.generation, fetchOffset: s.fetchOffset },
        };
        this.planned.set(s, entry);
      }
      partitions.push(entry.session);
      inFlight.push(entry.inFlight);
    }
    if (partitions.length === 0) {
      // Nothing wanted, but the broker's session still holds partitions: nothing is sent; an incremental request
      // forgetting them goes out with the next real fetch. (Idle sessions are evicted by the broker.)
      return null;
    }
    let override = 0;
    for (const s of ordered) if (s.maxBytesOverride > override) override = s.maxBytesOverride;
    ordered.length = 0;
    // With several leaders, one fetcher reserving all that is left would leave the others no room until its
    // (long-polling, possibly empty) response came back, and it asks again at once: the other brokers' partitions
    // would starve. Each fetcher takes at most its share of the budget.
    const share = Math.floor(buffer.budgetBytes / Math.max(1, this.host.activeFetchers()));
    const maxBytes = Math.max(1, Math.min(settings.fetchMaxBytes, Math.max(Math.min(left, share), override)));
    // A quick poll (see backlogHeldBack()) is answered at once: it must not hold back the partition with the backlog.
    const maxWaitMs = this.quickPoll ? 0 : settings.fetchMaxWaitMs;
    this.quickPoll = false;
    return { partitions, inFlight, maxBytes, maxWaitMs };
  }

  /**
   * Whether the next Fetch would only long-poll: every wanted partition has reached its end (as of its last
   * response) while a partition left out for its buffered share still has records on the broker. Such a Fetch is
   * answered only after fetch.max.wait.ms, and it is the one Fetch this broker may have in flight: the partition with
   * the backlog, once drained below its share, could not be fetched until then, so the application ran dry for up to
   * fetch.max.wait.ms at a time (measured: 370-500 ms stalls at the end of a 2 M record backlog once fetching
   * outpaced the application). Nothing is sent instead; the release of that partition's chunks wakes this fetcher, and
   * its next Fetch carries it (answered at once) with the others. Records the caught-up partitions receive meanwhile
   * would have been queued behind that partition's buffered chunks anyway (delivery is in arrival order). So that a
   * slow application does not leave them unfetched (and their lag unknown) for as long as it takes to drain that
   * share, they are polled without a long poll (MaxWaitMs 0, answered at once) every fetch.max.wait.ms meanwhile.
   */
  private backlogHeldBack(candidates: readonly PartitionState[], wanted: readonly PartitionState[], owned: number): boolean {
    const readCommitted = this.host.settings.isolationLevel === 'read_committed';
    for (const s of wanted) {
      const end = s.endOffset(readCommitted);
      if (end < 0n || s.fetchOffset < end || s.maxBytesOverride > 0) return false;
    }
    const { buffer } = this.host;
    for (const s of candidates) {
      // Left out for its share (wantsMore() is true for a partition with nothing buffered).
      if (buffer.wantsMore(s, owned) || s.fetchHeld) continue;
      const end = s.endOffset(readCommitted);
      if (end >= 0n && s.fetchOffset < end) return true;
    }
    return false;
  }

  private async fetchOnce(plan: FetchPlan): Promise<void> {
    const { settings, client } = this.host;
    this.reserved = plan.maxBytes;
    let usedTopicIds = false;
    let missingTopicId: string | undefined;
    const res = await client.request(this.nodeId, ApiKey.Fetch, (version: number) => {
      usedTopicIds = version >= 13;
      let partitions = plan.partitions;
      if (usedTopicIds && partitions.some((p) => p.topicId === undefined)) {
        partitions = partitions.filter((p) => {
          if (p.topicId !== undefined) return true;
          missingTopicId = p.topic;
          return false;
        });
      }
      const req = this.session.build(partitions);
      if (req.full) this.stats.full++;
      else this.stats.incremental++;
      return {
        replicaId: -1,
        maxWaitMs: plan.maxWaitMs,
        minBytes: settings.fetchMinBytes,
        maxBytes: plan.maxBytes,
        isolationLevel: settings.isolationLevel === 'read_committed' ? 1 : 0,
        sessionId: req.sessionId,
        sessionEpoch: req.sessionEpoch,
        topics: groupByTopic(req.partitions, (p) => ({
          partition: p.partition,
          currentLeaderEpoch: p.currentLeaderEpoch,
          fetchOffset: p.fetchOffset,
          lastFetchedEpoch: p.lastFetchedEpoch,
          logStartOffset: -1n,
          partitionMaxBytes: p.partitionMaxBytes,
        })),
        forgottenTopicsData: req.forgotten.length === 0 ? NONE : req.forgotten.map((f) => ({ topic: f.topic, topicId: f.topicId, partitions: f.partitions })),
        rackId: settings.clientRack,
      };
    }, this.requestOptions);
    if (this.closed) return; // answered after close(): nobody reads it
    if (missingTopicId !== undefined) this.host.requestMetadataRefresh(missingTopicId);
    const previousSession = this.session.id;
    const sessionOk = this.session.onResponse(res.errorCode ?? ErrorCode.NONE, res.sessionId ?? 0);
    if (this.session.id !== previousSession && this.session.id !== 0) {
      this.host.logger.debug('fetch session established', { broker: this.nodeId, sessionId: this.session.id });
    }
    if (!sessionOk) {
      if (!fetchSessionReset(res.errorCode)) {
        throw kafkaError(res.errorCode, `Fetch from broker ${this.nodeId}`);
      }
      this.host.logger.debug('fetch session reset', { broker: this.nodeId, error: errorName(res.errorCode) });
      return;
    }
    const bytes = this.handleResponse(res, plan.inFlight);
    this.handOutFirst = bytes > 0 && bytes < HAND_OUT_FIRST_BYTES;
  }

  /** Buffers the response's records; returns how many bytes of records it buffered. */
  private handleResponse(res: FetchResponse, inFlight: readonly InFlightPartition[]): number {
    const { settings, buffer, client } = this.host;
    // A request of a few partitions is searched in place (no Map and no key string per response: at low rates there
    // is a response per record or two); a wide one through a Map, built once per response.
    let byKey: Map<string, InFlightPartition> | null = null;
    if (inFlight.length > SCAN_IN_PLACE) {
      byKey = new Map();
      for (const f of inFlight) byKey.set(f.state.key, f);
    }
    const readCommitted = settings.isolationLevel === 'read_committed';
    // The response's frame is reused once every chunk taken from it has left the buffer (frame-pool.ts).
    let lease: FrameLease | null = null;
    let buffered = 0;
    for (const t of res.responses ?? []) {
      const topic = responseTopicName(t, (id) => client.topicName(id));
      if (topic === undefined) {
        this.host.requestMetadataRefresh();
        continue;
      }
      for (const p of t.partitions ?? []) {
        const f = byKey !== null ? byKey.get(`${topic}:${p.partitionIndex}`) : findInFlight(inFlight, topic, p.partitionIndex);
        // In an incremental session the broker may answer for partitions of the session that were not in this
        // request; their fetch parameters are unchanged since they were last sent.
        const state = f?.state ?? this.sessionPartition(topic, p.partitionIndex);
        if (state === undefined || !this.host.owns(state)) continue;
        const generation = f?.generation ?? state.generation;
        if (state.generation !== generation) continue; // seek/reset/revoke while in flight: stale
        if (state.phase !== 'fetching') continue;
        // Another fetcher may have delivered this range meanwhile (the partition moved to a new leader while this
        // request was out): only data starting where the partition's cursor is now may be buffered.
        if (f !== undefined && state.fetchOffset !== f.fetchOffset) continue;
        const code: number = p.errorCode;
        if (code !== ErrorCode.NONE) {
          // KIP-951: the refusal names the new leader (and the response its endpoint): follow it now rather than
          // after a Metadata round trip.
          if (leaderMoved(code) && this.host.leaderHint(state, p.currentLeader, res.nodeEndpoints)) continue;
          this.partitionError(state, code, f?.fetchOffset ?? state.fetchOffset);
          continue;
        }
        state.highWatermark = p.highWatermark;
        state.lastStableOffset = p.lastStableOffset;
        state.logStartOffset = p.logStartOffset;
        const preferred: number = p.preferredReadReplica;
        if (preferred >= 0 && preferred !== this.nodeId) {
          // KIP-392: the leader prefers another replica for our client.rack and sent no records: read from it.
          this.host.useReadReplica(state, preferred);
          continue;
        }
        if (p.divergingEpoch !== undefined && p.divergingEpoch !== null && p.divergingEpoch.epoch >= 0) {
          this.host.diverged(state);
          continue;
        }
        const records: Buffer | null = p.records;
        if (records === null || records.length === 0) continue;
        const fetchOffset = state.fetchOffset;
        if (firstEntryComplete(records)) {
          // The chunk has an end; where exactly is walked when first needed (PartitionState.deferCursor).
          state.maxBytesOverride = 0;
          const end = new ChunkEnd(records);
          state.deferCursor(end);
          buffered += records.length;
          buffer.push(new DeferredChunk(state, generation, records.length, new ChunkRecords(topic, state.partition, records, fetchOffset, {
            checkCrcs: settings.checkCrcs,
            readCommitted,
            abortedTransactions: readCommitted ? p.abortedTransactions : null,
          }), (lease ??= new FrameLease(records)).hold(), end));
          continue;
        }
        const scan = scanRecordSet(records);
        if (scan.nextOffset === undefined) {
          if (scan.firstEntrySize !== undefined) {
            // A batch larger than what we asked for: ask for exactly its size next time, first in the request.
            state.maxBytesOverride = scan.firstEntrySize;
            this.host.logger.debug('batch larger than the fetch limit: growing it', {
              topic, partition: state.partition, bytes: scan.firstEntrySize,
            });
          } else if (scan.malformed) {
            // Nothing decodable at the fetch offset: hand the bytes to the decoder so the application gets the
            // located CorruptRecordError, and stop fetching this partition until it seeks.
            state.fetchHeld = true;
            buffer.push({
              state, generation, bytes: records.length, endOffset: fetchOffset, endEpoch: state.lastFetchedEpoch,
              records: new ChunkRecords(topic, state.partition, records, fetchOffset, {
                checkCrcs: true, readCommitted, abortedTransactions: null,
              }),
              lease: (lease ??= new FrameLease(records)).hold(),
            });
          }
          continue;
        }
        state.maxBytesOverride = 0;
        state.fetchOffset = scan.nextOffset;
        state.lastFetchedEpoch = scan.lastEpoch;
        if (scan.malformed) state.fetchHeld = true;
        buffered += records.length;
        const aborted: AbortedTransaction[] | null = readCommitted ? p.abortedTransactions : null;
        buffer.push({
          state,
          generation,
          bytes: records.length,
          endOffset: scan.nextOffset,
          endEpoch: scan.lastEpoch,
          records: new ChunkRecords(topic, state.partition, records, fetchOffset, {
            checkCrcs: settings.checkCrcs,
            readCommitted,
            abortedTransactions: aborted,
          }),
          lease: (lease ??= new FrameLease(records)).hold(),
        });
      }
    }
    lease?.seal();
    return buffered;
  }

  private sessionPartition(topic: string, partition: number): PartitionState | undefined {
    // fetchHeld read here too: fetchable does not walk a chunk's end (PartitionState.deferCursor).
    for (const s of this.host.fetchableFor(this.nodeId)) if (s.topic === topic && s.partition === partition) return s.fetchHeld ? undefined : s;
    return undefined;
  }

  private partitionError(state: PartitionState, code: number, fetchOffset: bigint): void {
    if (state.readReplica === this.nodeId && state.leaderId !== this.nodeId &&
        (code === ErrorCode.OFFSET_OUT_OF_RANGE || isRetriable(code))) {
      // From a read replica (KIP-392): its log may end before the leader's, or it is no longer a replica. The leader
      // decides (Java's FetchCollector: out of range from a replica only clears it; the others also refresh).
      this.host.readReplicaFailed(state, code);
      if (leaderMoved(code)) this.host.requestMetadataRefresh(state.topic);
      return;
    }
    if (code === ErrorCode.OFFSET_OUT_OF_RANGE) {
      // Only meaningful if we still want that offset.
      if (state.fetchOffset === fetchOffset) this.host.outOfRange(state, fetchOffset);
      return;
    }
    if (leaderMoved(code)) {
      this.host.logger.debug('partition moved or unavailable: refreshing metadata', {
        topic: state.topic, partition: state.partition, error: errorName(code),
      });
      this.host.refused(state);
      return;
    }
    const err = kafkaError(code, `Fetch ${state.topic}[${state.partition}] at offset ${fetchOffset}`, null, { topic: state.topic });
    if (err.retriable) {
      this.host.refused(state);
      return;
    }
    // Not retriable (authorization, corrupt message on the broker...): the partition stops, the application hears.
    this.host.buffer.dropPartition(state);
    state.fail(err);
    this.host.buffer.pushError(err);
  }
}

/**
 * After a response with fewer record bytes than this, the next Fetch waits until the microtasks that hand its records
 * out have run (a `for await` or batches() loop over buffered records runs in microtasks): the write of a Fetch costs
 * 40-95 µs of CPU (on loopback the syscall runs the broker's TCP receive path too, and wakes its thread), more than
 * handing out a few dozen records of 100 B-1 KiB (0.4-2 µs each), so the records going first lowers their latency
 * while the next Fetch leaves only microseconds later. A larger response is handed out for longer than the write
 * takes: its next Fetch is written at once, so fetching overlaps processing (bench/README.md, "Latency: the next
 * Fetch after the records").
 */
const HAND_OUT_FIRST_BYTES = 16 * 1024;

/** Resolves once the microtask queue has drained: process.nextTick runs after it (Node's processTicksAndRejections). */
function afterMicrotasks(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/** Requests of up to this many partitions are matched to their response by a linear search. */
const SCAN_IN_PLACE = 32;

function findInFlight(inFlight: readonly InFlightPartition[], topic: string, partition: number): InFlightPartition | undefined {
  for (const f of inFlight) if (f.state.partition === partition && f.state.topic === topic) return f;
  return undefined;
}

/** The request's topics: the partitions of each topic, in request order. */
function groupByTopic<T>(
  partitions: readonly SessionPartition[],
  map: (p: SessionPartition) => T,
): { topic: string; topicId: string | undefined; partitions: T[] }[] {
  if (partitions.length === 0) return NONE;
  const out: { topic: string; topicId: string | undefined; partitions: T[] }[] = [];
  // Most requests name one topic, or a few: the topic of the previous partition is tried first, a Map only when the
  // topics are many.
  let index: Map<string, number> | null = null;
  let last = -1;
  for (const p of partitions) {
    let i = last >= 0 && out[last].topic === p.topic ? last : -1;
    if (i < 0) {
      if (index !== null) i = index.get(p.topic) ?? -1;
      else for (let j = 0; j < out.length; j++) if (out[j].topic === p.topic) { i = j; break; }
    }
    if (i < 0) {
      i = out.length;
      out.push({ topic: p.topic, topicId: p.topicId, partitions: [] });
      if (index !== null) index.set(p.topic, i);
      else if (out.length > GROUP_IN_PLACE) index = new Map(out.map((t, j) => [t.topic, j]));
    }
    out[i].partitions.push(map(p));
    last = i;
  }
  return out;
}

/** Up to this many topics per request are grouped by a linear search. */
const GROUP_IN_PLACE = 8;

/** An empty list shared by requests that carry none (never mutated: the codec only reads it). */
const NONE: never[] = [];
