// Routes owned partitions to per-broker fetchers by leader (or by the read replica the leader named, KIP-392), and
// reacts to what fetchers report: leader moves (metadata refresh, then the partition follows its leader to another
// fetcher), leader epoch changes (KIP-320 position validation before fetching from the new leader), out-of-range
// positions (auto.offset.reset), read replicas named, failing or expiring.
//
// Follower fetching (KIP-392) follows Java's consumer (AbstractFetch.selectReadReplica, FetchCollector): a leader
// that prefers another replica for our client.rack answers with preferredReadReplica and no records; the partition
// then moves to that replica's fetcher for metadata.max.age.ms, after which the leader is asked again. It goes back
// to the leader at once when that replica is not in the metadata or is offline for the partition, when a request to
// it fails, or when it answers the partition with an error (OFFSET_OUT_OF_RANGE included: its log may end before
// the leader's; only the leader's OFFSET_OUT_OF_RANGE resets the position). A partition error that a new request at
// once would only repeat holds the partition back for retry.backoff.ms, so a leader that keeps naming a replica we
// cannot reach costs a request per backoff, not a busy loop.

import type { Assignment } from './assignment.js';
import type { Cluster } from '../cluster/client.js';
import type { FetchBuffer } from './fetch-buffer.js';
import { Fetcher, type FetcherHost } from './fetcher.js';
import type { Logger } from '../config/index.js';
import type { OffsetManager } from './offsets.js';
import type { PartitionState } from './partition-state.js';
import { backoff } from '../cluster/retry.js';
import { errorName } from '../protocol/error-codes.js';
import type { ConsumerSettings } from './settings.js';

export class FetchManager implements FetcherHost {
  private readonly fetchers = new Map<number, Fetcher>();
  /** Fetchable partitions per leader, rebuilt by route(). */
  private routes = new Map<number, PartitionState[]>();
  private routedVersion = -1;
  /** Set when a partition's fetch node changed outside an assignment change (read replica named, failed, expired). */
  private routesDirty = false;
  /** Date.now() at which the routes must be computed again: the earliest read replica expiry. */
  private rerouteAt = Infinity;
  /** Wakes the fetchers when the earliest partition backoff ends. */
  private backoffTimer: NodeJS.Timeout | null = null;
  private backoffTimerAt = Infinity;
  private refreshTimer: NodeJS.Timeout | null = null;
  private refreshing = false;
  private refreshAgain = false;
  private refreshFailures = 0;
  /** Date.now() when the last refresh started: the backoff is between refreshes, not before the first one. */
  private lastRefreshAt = 0;
  /**
   * Partitions their leader refused (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH...): left out of fetches until the
   * next refresh has re-routed them. Fetched again at once, the old leader would answer each time, in a tight loop
   * of requests until the refresh (hundreds within retry.backoff.ms).
   */
  private readonly awaitingMetadata = new Set<PartitionState>();
  private closed = false;
  private active = false;

  constructor(
    readonly client: Cluster,
    readonly settings: ConsumerSettings,
    readonly buffer: FetchBuffer,
    private readonly assignment: Assignment,
    private readonly offsets: OffsetManager,
    readonly logger: Logger,
  ) {
    buffer.onRelease = () => this.wakeFetchers();
  }

  /** Starts fetching (called once the consumer has something to read). */
  start(): void {
    this.active = true;
    this.update();
  }

  /** Positions, pauses or the assignment changed: recompute routes and wake fetchers. */
  update(): void {
    if (this.closed || !this.active) return;
    this.route();
    this.wakeFetchers();
  }

  wakeFetchers(): void {
    for (const f of this.fetchers.values()) f.wake();
  }

  // --- FetcherHost -------------------------------------------------------------------------------------------------

  fetchableFor(nodeId: number): PartitionState[] {
    const now = Date.now();
    if (this.routedVersion !== this.assignment.version || this.routesDirty || now >= this.rerouteAt) this.route();
    const list = this.routes.get(nodeId);
    if (list === undefined) return [];
    return list.filter((s) => s.fetchable && s.fetchNodeId === nodeId && s.fetchBackoffUntil <= now && this.owns(s) &&
      !this.awaitingMetadata.has(s));
  }

  ownedCount(): number {
    return this.assignment.size;
  }

  owns(state: PartitionState): boolean {
    return this.assignment.getByKey(state.key) === state;
  }

  reservedBytes(except: Fetcher): number {
    let sum = 0;
    for (const f of this.fetchers.values()) if (f !== except) sum += f.reserved;
    return sum;
  }

  activeFetchers(): number {
    if (this.routedVersion !== this.assignment.version || this.routesDirty) this.route();
    return this.routes.size;
  }

  reservationReleased(by: Fetcher): void {
    for (const f of this.fetchers.values()) if (f !== by) f.wake();
  }

  requestMetadataRefresh(topic?: string): void {
    this.client.markStale(topic);
    if (this.closed) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    if (this.refreshTimer !== null) return;
    // As Java's metadata refresh backoff: the first refresh after a quiet period goes out at once (a timer of 0 still
    // gathers a burst of errors from one response into one refresh); later ones wait retry.backoff.ms since the last.
    const delay = this.refreshFailures === 0
      ? Math.max(0, this.lastRefreshAt + this.settings.retryBackoffMs - Date.now())
      : backoff(this.refreshFailures, this.settings.retryBackoffMs, this.settings.retryBackoffMaxMs);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, delay);
    this.refreshTimer.unref();
  }

  refused(state: PartitionState): void {
    this.awaitingMetadata.add(state);
    this.requestMetadataRefresh(state.topic);
  }

  leaderHint(state: PartitionState, leader: { leaderId: number; leaderEpoch: number } | undefined,
    endpoints: readonly { nodeId: number; host: string; port: number; rack: string | null }[] | undefined): boolean {
    if (leader === undefined || !this.client.updateLeader(state.topic, state.partition, leader.leaderId, leader.leaderEpoch, endpoints)) {
      return false;
    }
    this.logger.debug('leader moved: following the leader the answer names (KIP-951)', {
      topic: state.topic, partition: state.partition, leader: leader.leaderId, epoch: leader.leaderEpoch,
    });
    // Replicas and ISR are still the old ones: a refresh follows, in the background (as Java's consumer asks one).
    this.client.markStale(state.topic);
    this.reroute();
    return true;
  }

  outOfRange(state: PartitionState, offset: bigint): void {
    this.logger.info('fetch offset out of range', { topic: state.topic, partition: state.partition, offset: String(offset) });
    this.buffer.dropPartition(state);
    state.fetchOffset = offset;
    this.offsets.resetByPolicy([state], 'out-of-range');
  }

  useReadReplica(state: PartitionState, nodeId: number): void {
    if (!this.client.replicaOnline(state.topic, state.partition, nodeId)) {
      // A broker our metadata does not know yet (it came back after a crash, and the last refresh ran while it was
      // fenced): learn it first. Asking the leader again at once would only get the same answer: a busy loop.
      this.logger.debug('the preferred read replica is not in the metadata: refreshing', {
        topic: state.topic, partition: state.partition, replica: nodeId,
      });
      this.refused(state);
      return;
    }
    if (state.readReplica !== nodeId) {
      this.logger.debug('fetching from the read replica the leader prefers (KIP-392)', {
        topic: state.topic, partition: state.partition, leader: state.leaderId, replica: nodeId,
      });
    }
    state.readReplica = nodeId;
    state.readReplicaUntil = Date.now() + this.settings.metadataMaxAgeMs;
    this.reroute();
  }

  readReplicaFailed(state: PartitionState, code: number): void {
    this.logger.debug('read replica answered with an error: back to the leader', {
      topic: state.topic, partition: state.partition, replica: state.readReplica, error: errorName(code),
    });
    state.readReplica = -1;
    this.backOff(state);
    this.reroute();
  }

  fetcherFailed(fetcher: Fetcher): void {
    let moved = false;
    for (const s of this.assignment.all()) {
      if (s.readReplica === fetcher.nodeId) {
        s.readReplica = -1;
        moved = true;
      }
    }
    if (moved) {
      this.logger.debug('read replica unreachable: back to the leader', { replica: fetcher.nodeId });
      this.reroute();
    }
  }

  backOff(state: PartitionState): void {
    const at = Date.now() + this.settings.retryBackoffMs;
    state.fetchBackoffUntil = at;
    this.armBackoffTimer(at);
  }

  /** One timer for the earliest backoff end: it wakes the fetchers, then arms itself for the next one. */
  private armBackoffTimer(at: number): void {
    if (this.closed || this.backoffTimerAt <= at) return;
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    this.backoffTimerAt = at;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      this.backoffTimerAt = Infinity;
      const now = Date.now();
      let next = Infinity;
      for (const s of this.assignment.all()) if (s.fetchBackoffUntil > now) next = Math.min(next, s.fetchBackoffUntil);
      if (next !== Infinity) this.armBackoffTimer(next);
      this.wakeFetchers();
    }, Math.max(1, at - Date.now()));
    this.backoffTimer.unref();
  }

  /** A partition's fetch node changed: routes are computed again before the next request, idle fetchers woken. */
  private reroute(): void {
    this.routesDirty = true;
    this.update();
  }

  diverged(state: PartitionState): void {
    // The leader says our log diverged from its own (KIP-320, via Fetch v12+): what was fetched past the position
    // cannot be trusted, and the position itself is checked against the leader's log.
    this.buffer.dropPartition(state);
    state.startValidating();
    this.offsets.validate([state]);
  }

  // --- routing -----------------------------------------------------------------------------------------------------

  /**
   * Groups fetchable partitions by leader, starting fetchers for new leaders. A partition whose leader epoch went up
   * since it was last routed is validated first (KIP-320): its new leader may have a shorter log.
   */
  private route(): void {
    this.routedVersion = this.assignment.version;
    this.routesDirty = false;
    const now = Date.now();
    let rerouteAt = Infinity;
    const routes = new Map<number, PartitionState[]>();
    const toValidate: PartitionState[] = [];
    let unknown: string | undefined;
    let missing = false;
    for (const s of this.assignment.all()) {
      if (s.phase !== 'fetching' && s.phase !== 'validating') continue;
      const leader = this.client.leaderFor(s.topic, s.partition);
      if (leader === undefined || leader.leaderId < 0) {
        missing = true;
        unknown = s.topic;
        continue;
      }
      const moved = s.leaderEpoch >= 0 && leader.leaderEpoch > s.leaderEpoch;
      s.leaderId = leader.leaderId;
      s.leaderEpoch = leader.leaderEpoch;
      // A new leader may prefer another replica: it says so in its first answer (Java clears it the same way).
      if (moved) s.readReplica = -1;
      if (moved && s.phase === 'fetching' && s.positionEpoch >= 0) {
        this.logger.debug('leader epoch changed: validating the position', {
          topic: s.topic, partition: s.partition, leader: leader.leaderId, epoch: leader.leaderEpoch,
        });
        s.startValidating();
        toValidate.push(s);
        continue;
      }
      if (s.phase !== 'fetching') continue;
      let target = leader.leaderId;
      if (s.readReplica >= 0 && s.readReplica !== target) {
        if (now >= s.readReplicaUntil || !this.client.replicaOnline(s.topic, s.partition, s.readReplica)) {
          // Expired (metadata.max.age.ms: the leader is asked again), or a replica the metadata does not know or
          // lists offline (Java's selectReadReplica): the leader it is.
          s.readReplica = -1;
        } else {
          target = s.readReplica;
          rerouteAt = Math.min(rerouteAt, s.readReplicaUntil);
        }
      }
      s.fetchNodeId = target;
      let list = routes.get(target);
      if (list === undefined) routes.set(target, (list = []));
      list.push(s);
    }
    this.routes = routes;
    this.rerouteAt = rerouteAt;
    for (const nodeId of routes.keys()) {
      let f = this.fetchers.get(nodeId);
      if (f === undefined) {
        f = new Fetcher(nodeId, this);
        this.fetchers.set(nodeId, f);
      }
      f.start();
    }
    if (toValidate.length > 0) {
      // One pass over the buffer for all of them: a leader change moves every partition it led at once.
      this.buffer.dropPartitions(toValidate);
      this.offsets.validate(toValidate);
    }
    if (missing) this.requestMetadataRefresh(unknown);
  }

  private async refresh(): Promise<void> {
    if (this.closed) return;
    this.refreshing = true;
    this.refreshAgain = false;
    this.lastRefreshAt = Date.now();
    try {
      const topics = [...new Set(this.assignment.all().map((s) => s.topic))];
      if (topics.length > 0) await this.client.refreshMetadata(topics);
      this.refreshFailures = 0;
    } catch (err) {
      this.refreshFailures++;
      this.refreshAgain = true;
      this.logger.debug('metadata refresh failed', { error: (err as Error).message });
    } finally {
      this.refreshing = false;
    }
    // Refused partitions go where the fresh metadata says (a failed refresh retries them at the same leader, and a
    // new refusal waits for the next refresh, retry.backoff.ms later).
    this.awaitingMetadata.clear();
    this.route();
    this.wakeFetchers();
    if (this.refreshAgain) this.requestMetadataRefresh();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
    await Promise.all([...this.fetchers.values()].map((f) => f.close()));
    this.fetchers.clear();
  }
}
