// Classic consumer group membership (JoinGroup / SyncGroup / Heartbeat / LeaveGroup), as an explicit state machine.
//
//   unjoined --join()--> joining --JoinGroup ok--> syncing --SyncGroup ok--> stable
//      ^                  |  ^                      |                          |
//      |                  |  +--- MEMBER_ID_REQUIRED (KIP-394), REBALANCE_IN_PROGRESS, coordinator moved ----+
//      |                  +--> fatal (fenced, bad config, not authorised): partitions lost, the application is told,
//      |                       membership stops
//      +---- poll timeout (max.poll.interval.ms): LeaveGroup, partitions lost; rejoin on the next poll
//   stable --heartbeat says REBALANCE_IN_PROGRESS / subscription or metadata changed--> joining
//   stable --heartbeat says UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION--> partitions lost --> joining
//   joining/syncing --UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION--> partitions a COOPERATIVE member kept lost --> joining
//   any --close()--> leaving --LeaveGroup (dynamic members only, KIP-345)--> left
//
// Heartbeats run on their own timer and go out through the heartbeat thread (cluster/group-liveness.ts), which sends
// them itself while the event loop is blocked: neither a slow handler nor a synchronous one misses a heartbeat (the
// complaint behind KafkaJS #1083). Only max.poll.interval.ms bounds how long the application may go without polling;
// past it the heartbeat thread leaves the group, as Java's does.
//
// Rebalance protocols (KIP-429): EAGER revokes everything before rejoining (committing delivered offsets first when
// auto-commit is on); COOPERATIVE keeps owned partitions, revokes only what the new assignment takes away, then
// rejoins so the partitions can move. The protocol follows partition.assignment.strategy (assignors/index.ts).

import { channels, traced, type GroupDiagnostics } from '../../diagnostics.js';
import { GregorError, StateError } from '../../errors.js';
import { ErrorCode, errorName, kafkaError } from '../../protocol/error-codes.js';
import { coordinatorMoved, fatalForJoin } from '../../protocol/error-kinds.js';
import type { Cluster } from '../../cluster/client.js';
import type { Coordinator } from '../../cluster/coordinator.js';
import type { GroupLiveness } from '../../cluster/group-liveness.js';
import type { Logger } from '../../config/index.js';
import { ApiKey, type JoinGroupResponse, type JoinGroupResponseMember, type SyncGroupResponse } from '../../protocol/index.js';
import { partitionKey, type TopicPartition } from '../partition-state.js';
import { FailureStreak, backoff, sleep } from '../../cluster/retry.js';
import type { ConsumerSettings } from '../settings.js';
import type { Assignor, AssignorMember, RebalanceProtocol } from './assignors/index.js';
import { chooseRebalanceProtocol, getAssignor, joinGroupProtocols, parseAssignmentStrategy } from './assignors/index.js';
import {
  CONSUMER_PROTOCOL_LATEST_VERSION,
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  type TopicPartitions,
} from '../../protocol/consumer-protocol.js';

export type MemberState = 'unjoined' | 'joining' | 'syncing' | 'stable' | 'leaving' | 'left';

/** What the membership asks of the consumer. */
export interface MembershipHost {
  readonly client: Cluster;
  readonly settings: ConsumerSettings;
  readonly logger: Logger;
  /** The topics the subscription means now (a pattern is resolved against fresh metadata). */
  subscribedTopics(): Promise<string[]>;
  /** Partitions owned now. */
  ownedPartitions(): TopicPartition[];
  /** New partitions: start owning and fetching them. */
  assigned(partitions: TopicPartition[]): Promise<void>;
  /** Partitions taken away in an orderly way: deliver nothing more of them, commit delivered offsets, drop them. */
  revoked(partitions: TopicPartition[]): Promise<void>;
  /** Partitions lost (session expired, fenced, poll timeout): drop them, commit nothing. */
  lost(partitions: TopicPartition[]): Promise<void>;
  /** The heartbeat thread: sends heartbeats, keeps the session while the event loop is blocked, polls' deadline. */
  readonly liveness: GroupLiveness;
  /** An error the membership cannot get past; the application must hear about it. */
  fatal(error: GregorError): void;
  /** A retriable error that has lasted (coordinator unreachable...): the application hears, retries go on. */
  report(error: GregorError): void;
}

function flatten(list: readonly TopicPartitions[]): TopicPartition[] {
  const out: TopicPartition[] = [];
  for (const t of list) for (const p of t.partitions) out.push({ topic: t.topic, partition: p });
  return out;
}

function group(list: readonly TopicPartition[]): TopicPartitions[] {
  const by = new Map<string, number[]>();
  for (const tp of list) {
    let ps = by.get(tp.topic);
    if (ps === undefined) by.set(tp.topic, (ps = []));
    ps.push(tp.partition);
  }
  return [...by].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}

export class ClassicMembership {
  state: MemberState = 'unjoined';
  memberId = '';
  generationId = -1;
  protocolName: string | null = null;
  private readonly assignors: Assignor[];
  readonly rebalanceProtocol: RebalanceProtocol;
  /** The last assignment received, for sticky assignors' user data and cooperative diffs. */
  private lastAssignment: { partitions: TopicPartitions[] | null; generationId: number } = { partitions: null, generationId: -1 };
  private rejoinWanted = true;
  private rejoinReason = 'joining the group';
  /** max.poll.interval.ms was exceeded: stay out until the application polls again. */
  private waitingForPoll = false;
  private stopped = false;
  private wakeup: (() => void) | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatsOn = false;
  private metadataTimer: NodeJS.Timeout | null = null;
  private lastHeartbeatOk = 0;
  /** Subscribed topics and partition counts at the last join (a change means a rebalance is needed). */
  private joinedSnapshot = '';
  /** Date.now() when this join round refreshed the subscription's metadata (before JoinGroup). */
  private joinRefreshFrom = 0;
  /**
   * The topics of a JoinGroup the coordinator answered with MEMBER_ID_REQUIRED (KIP-394): the JoinGroup that follows
   * at once with the given id sends them again without a Metadata round trip of its own.
   */
  private memberIdRetryTopics: string[] | null = null;
  /** Leader only: all members' topics at the last assignment, watched for partition count changes. */
  private groupTopics: string[] = [];
  private running: Promise<void> | null = null;
  /** Pending from the JoinGroup answer until the SyncGroup answer (see rebalanceRound()). */
  private syncRound: Promise<void> | null = null;
  private readonly lifetime = new AbortController();

  constructor(
    private readonly host: MembershipHost,
    private readonly coordinator: Coordinator,
  ) {
    this.assignors = parseAssignmentStrategy(host.settings.assignmentStrategies);
    this.rebalanceProtocol = chooseRebalanceProtocol(this.assignors);
    host.liveness.onKeepalive = (_apiKey, response, sentAt, nodeId) => {
      this.coordinator.answered(response, nodeId);
      const code = this.coordinator.note(response.errorCode ?? ErrorCode.NONE, response);
      void this.onHeartbeatAnswer(code, this.generationId, sentAt).catch((err: unknown) => {
        this.host.logger.warn('heartbeat answer failed', { group: this.groupId, error: String(err) });
      });
    };
    host.liveness.onLeft = () => {
      void this.afterPollTimeout().catch((err: unknown) => {
        this.host.logger.warn('leaving after max.poll.interval.ms failed', { group: this.groupId, error: String(err) });
      });
    };
  }

  get groupId(): string {
    return this.coordinator.key;
  }

  private get isStatic(): boolean {
    return this.host.settings.groupInstanceId !== null;
  }

  /** Identity for OffsetCommit: valid only while the member is stable in a generation. */
  commitIdentity(): { generationId: number; memberId: string; groupInstanceId: string | null } | null {
    // The heartbeat thread left the group (max.poll.interval.ms) or was fenced while this thread was blocked: the
    // commit is not attempted (StateError), as Java's consumer throws CommitFailedException.
    if (this.generationId < 0 || this.memberId === '' || this.host.liveness.ended() !== null) return null;
    return { generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.host.settings.groupInstanceId };
  }

  /**
   * While JoinGroup is answered and SyncGroup is not (the coordinator is completing the rebalance): settles when the
   * SyncGroup answer came or failed. A commit in that window is refused (REBALANCE_IN_PROGRESS with the new generation;
   * Java's consumer cannot send one there, its rebalance runs inside poll()), so commits wait for it. Null otherwise.
   */
  rebalanceRound(): Promise<void> | null {
    return this.syncRound;
  }

  /** Starts the membership loop (joins the group). */
  start(): void {
    if (this.running !== null) return;
    this.running = this.run();
    this.scheduleMetadataCheck();
  }

  /** Asks for a rebalance (subscription changed, metadata changed, a heartbeat said so). */
  requestRejoin(reason: string): void {
    if (!this.rejoinWanted) this.host.logger.debug('rejoin requested', { group: this.groupId, reason });
    this.rejoinWanted = true;
    this.rejoinReason = reason;
    this.signal();
  }

  /**
   * True when, while heartbeats are due, none succeeded for session.timeout.ms: the coordinator has surely expired
   * the member (its process was stopped, or its event loop blocked), and another member may have read past what is
   * buffered here. poll() checks it before handing out anything, so those records are not delivered a second time.
   */
  sessionLapsed(): boolean {
    if (!this.heartbeatsOn || this.stopped) return false;
    return this.host.liveness.ended() !== null || Date.now() - this.lastOk() > this.host.settings.sessionTimeoutMs;
  }

  /** Date.now() of the last successful heartbeat (or join), 0 before the first: the metrics' heartbeat age. */
  get lastHeartbeatAt(): number {
    return this.lastHeartbeatOk;
  }

  /** After sessionLapsed(): the partitions are lost (nothing committed) and the member joins again. */
  async expireSession(): Promise<void> {
    const ended = this.host.liveness.ended();
    if (ended === 'poll-timeout') {
      await this.afterPollTimeout();
      return;
    }
    if (ended === 'fenced') {
      // The heartbeat thread's answer, handled as onHeartbeatAnswer() handles the main thread's: an unknown member
      // joins anew with an empty id (rejoining under the old one costs a refused JoinGroup), and an instance id taken
      // by another member (KIP-345) is fatal.
      const code = this.host.liveness.endedCode();
      if (code === ErrorCode.FENCED_INSTANCE_ID) {
        await this.onHeartbeatAnswer(code, this.generationId);
        return;
      }
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      this.generationId = -1;
    }
    this.lastHeartbeatOk = Date.now();
    this.stopHeartbeats();
    this.host.liveness.disarm();
    await this.loseAll(ended === 'fenced' ? 'the coordinator no longer knows this member (generation)' : 'no successful heartbeat within session.timeout.ms');
    this.requestRejoin('the session expired');
  }

  /** The last successful heartbeat, the main thread's or the heartbeat thread's. */
  private lastOk(): number {
    return Math.max(this.lastHeartbeatOk, this.host.liveness.lastOkAt());
  }

  /** Called on every application poll: a member that left for exceeding max.poll.interval.ms rejoins now. */
  onPoll(): void {
    if (this.waitingForPoll) {
      this.waitingForPoll = false;
      this.requestRejoin('the application polled again after exceeding max.poll.interval.ms');
    }
  }

  /** Revokes (committing first, via the host), leaves the group (dynamic members), stops. Safe to call twice. */
  async leave(reason = 'the consumer is closing'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopHeartbeats();
    this.host.liveness.disarm();
    if (this.metadataTimer !== null) clearTimeout(this.metadataTimer);
    this.signal();
    const owned = this.host.ownedPartitions();
    if (owned.length > 0) {
      try {
        await this.host.revoked(owned);
      } catch (err) {
        this.host.logger.warn('revoke on leave failed', { error: (err as Error).message });
      }
    }
    this.state = 'leaving';
    // Static members keep their membership until session.timeout.ms, so a restart within it causes no rebalance
    // (KIP-345); only dynamic members send LeaveGroup.
    if (this.memberId !== '' && !this.isStatic) {
      const memberId = this.memberId;
      try {
        const res = await this.coordinator.request(ApiKey.LeaveGroup, (version) => version >= 3
          ? { groupId: this.groupId, members: [{ memberId, groupInstanceId: null, reason }] }
          : { groupId: this.groupId, memberId }, { deadline: Date.now() + this.host.settings.requestTimeoutMs });
        if (res.errorCode !== ErrorCode.NONE) this.host.logger.debug('LeaveGroup answered', { error: errorName(res.errorCode) });
      } catch (err) {
        this.host.logger.debug('LeaveGroup failed', { error: (err as Error).message });
      }
    }
    this.lifetime.abort();
    this.memberId = '';
    this.generationId = -1;
    this.state = 'left';
    await this.running?.catch(() => {});
  }

  private signal(): void {
    const w = this.wakeup;
    if (w !== null) {
      this.wakeup = null;
      w();
    }
  }

  private waitForSignal(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeup = resolve;
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    // Failing to join for default.api.timeout.ms is reported to the application (retries go on): no silent stall.
    const streak = new FailureStreak(this.host.settings.defaultApiTimeoutMs);
    while (!this.stopped) {
      if (this.waitingForPoll || (this.state === 'stable' && !this.rejoinWanted)) {
        this.memberIdRetryTopics = null;
        await this.waitForSignal();
        continue;
      }
      const attemptStartedAt = Date.now();
      try {
        const outcome = await this.joinAndSync();
        failures = outcome === 'retry' ? failures + 1 : 0;
        if (outcome === 'done') streak.ok();
        if (outcome === 'retry') {
          await sleep(backoff(failures, this.host.settings.retryBackoffMs, this.host.settings.retryBackoffMaxMs), this.lifetime.signal);
        }
      } catch (err) {
        if (this.stopped) return;
        const error = err instanceof GregorError ? err : new StateError(`group membership: ${String(err)}`, { cause: err });
        if (!error.retriable) {
          this.host.logger.warn('group membership failed', { group: this.groupId, error: error.message });
          this.stopped = true;
          this.state = 'unjoined';
          this.stopHeartbeats();
          this.host.liveness.disarm();
          // A COOPERATIVE member keeps its partitions while it rejoins; once the membership has failed (fenced by
          // another instance of its group.instance.id, say) they belong to the group again, and may already be
          // assigned to someone else: lost, as on a heartbeat's FENCED_INSTANCE_ID and in KIP-848's fatal state.
          await this.loseAll('the membership failed').catch(() => {});
          this.host.fatal(error);
          return;
        }
        failures++;
        this.host.logger.warn('joining the group failed, retrying', { group: this.groupId, error: error.message });
        if (streak.fail(attemptStartedAt)) this.host.report(error);
        this.state = 'unjoined';
        try {
          await sleep(backoff(failures, this.host.settings.retryBackoffMs, this.host.settings.retryBackoffMaxMs), this.lifetime.signal);
        } catch {
          return;
        }
      }
    }
  }

  /** The payload of the gregor:consumer:join/sync/heartbeat diagnostics channels. */
  private diagnostics(): GroupDiagnostics {
    return { clientId: this.host.settings.clientId, groupId: this.groupId, protocol: 'classic', memberId: this.memberId, generationId: this.generationId };
  }

  /** One JoinGroup + SyncGroup round. 'retry' after a retriable broker answer, 'again' to rejoin at once. */
  private async joinAndSync(): Promise<'done' | 'retry' | 'again'> {
    const { settings, logger } = this.host;
    this.state = 'joining';
    // Java's rule (ConsumerCoordinator.onJoinPrepare): a member whose generation or id was reset since it got its
    // partitions (JoinGroup or SyncGroup answered UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION) is out of the generation it
    // owns them in, and the coordinator may have given them to another member meanwhile: they are lost, not revoked
    // (nothing is committed for them), before it joins again. Only a COOPERATIVE member still owns any here; the
    // paths that reset the generation themselves (a heartbeat's answer, an expired session) have lost them already.
    if ((this.generationId < 0 || this.memberId === '') && this.host.ownedPartitions().length > 0) {
      await this.loseAll('the coordinator no longer knows this member in the generation it owns its partitions in');
    }
    // Heartbeats go on while the revoke runs (it may wait for the application to finish the message in its
    // hands): the coordinator keeps the session only while they arrive. They stop when JoinGroup is sent.
    if (this.rebalanceProtocol === 'EAGER') {
      const owned = this.host.ownedPartitions();
      if (owned.length > 0) await this.host.revoked(owned);
    }
    this.stopHeartbeats();
    this.host.liveness.disarm();
    const deadline = Date.now() + settings.defaultApiTimeoutMs;
    // A new member's first JoinGroup is answered MEMBER_ID_REQUIRED (KIP-394) and the second one follows at once: the
    // first round's metadata is still current (as Java's member, which does not refresh between the two). Refreshed
    // again, a wide topic's Metadata cost its decoding twice (2,000 partitions: ~7 ms of CPU and ~20 ms of wall).
    const retryTopics = this.memberIdRetryTopics;
    this.memberIdRetryTopics = null;
    // The subscription's Metadata and FindCoordinator are independent: asked together, the first join waits for one
    // round trip instead of two, and a wide topic's Metadata is decoded while FindCoordinator is under way.
    if (retryTopics === null) this.joinRefreshFrom = Date.now();
    const subscribed = retryTopics === null ? this.host.subscribedTopics() : Promise.resolve(retryTopics);
    // Awaited below; a failing find() must not leave its rejection unhandled.
    subscribed.catch(() => {});
    const coordinatorNode = await this.coordinator.find(deadline, this.lifetime.signal);
    const topics = await subscribed;
    // The heartbeat thread is armed after SyncGroup; its bootstrap (40-70 ms of its own) starts now, while this thread
    // waits for JoinGroup and SyncGroup, instead of competing with the start positions' passes after SyncGroup.
    this.host.liveness.prepare();
    this.joinedSnapshot = this.snapshot(topics);
    const owned = this.rebalanceProtocol === 'COOPERATIVE' ? group(this.host.ownedPartitions()) : [];
    const protocols = joinGroupProtocols(this.assignors, {
      topics,
      ownedPartitions: owned,
      generationId: this.generationId,
      rackId: settings.clientRack === '' ? null : settings.clientRack,
      lastAssignment: { ownedPartitions: this.lastAssignment.partitions, generationId: this.lastAssignment.generationId },
    });
    const reason = this.rejoinReason;
    this.rejoinWanted = false;
    // JoinGroup may be held by the coordinator for up to the rebalance timeout (max.poll.interval.ms) while it
    // waits for the other members.
    const joinTimeout = Math.max(settings.requestTimeoutMs, settings.maxPollIntervalMs + 5000);
    const join = await traced(channels.join, () => this.diagnostics(), () => this.coordinator.request(ApiKey.JoinGroup, {
      groupId: this.groupId,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      rebalanceTimeoutMs: settings.maxPollIntervalMs,
      memberId: this.memberId,
      groupInstanceId: settings.groupInstanceId,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocols,
      reason,
    }, { deadline: Date.now() + joinTimeout, timeoutMs: joinTimeout, signal: this.lifetime.signal }));
    const code: number = this.coordinator.note(join.errorCode, join);
    if (code !== ErrorCode.NONE) return this.joinError(code, join, topics);
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.protocolName = join.protocolName;
    const isLeader = join.leader === join.memberId;
    logger.debug('joined group', { group: this.groupId, generation: this.generationId, member: this.memberId, leader: isLeader, protocol: this.protocolName });

    this.state = 'syncing';
    let synced!: () => void;
    this.syncRound = new Promise<void>((resolve) => { synced = resolve; });
    let sync: SyncGroupResponse;
    try {
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (isLeader && !join.skipAssignment) assignments = await this.assign(join.members, this.protocolName ?? '');
      sync = await traced(channels.sync, () => this.diagnostics(), () => this.coordinator.request(ApiKey.SyncGroup, {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: settings.groupInstanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocolName: this.protocolName,
        assignments,
      }, { deadline: Date.now() + settings.requestTimeoutMs, signal: this.lifetime.signal }));
    } finally {
      this.syncRound = null;
      synced();
    }
    const syncCode: number = this.coordinator.note(sync.errorCode, sync);
    if (syncCode !== ErrorCode.NONE) return this.syncError(syncCode);
    const assignment: Buffer = sync.assignment;
    const assigned = assignment.length === 0 ? [] : decodeAssignment(assignment).assignedPartitions;
    if (this.stopped) return 'done';
    this.state = 'stable';
    this.lastHeartbeatOk = Date.now();
    this.host.liveness.arm(coordinatorNode, {
      protocol: 'classic', groupId: this.groupId, memberId: this.memberId, generationOrEpoch: this.generationId,
      groupInstanceId: settings.groupInstanceId, intervalMs: settings.heartbeatIntervalMs, maxPollIntervalMs: settings.maxPollIntervalMs,
      timeoutMs: Math.min(settings.requestTimeoutMs, settings.sessionTimeoutMs),
    });
    this.scheduleHeartbeat();
    await this.apply(assigned);
    return 'done';
  }

  private joinError(code: number, join: JoinGroupResponse, topics: string[]): 'retry' | 'again' {
    this.rejoinWanted = true;
    if (code === ErrorCode.MEMBER_ID_REQUIRED) {
      // KIP-394: the broker gave us an id; join again with it at once.
      this.memberId = join.memberId;
      this.memberIdRetryTopics = topics;
      return 'again';
    }
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) {
      // Our id expired: join as a new member.
      this.resetMember();
      return 'again';
    }
    if (code === ErrorCode.REBALANCE_IN_PROGRESS || code === ErrorCode.ILLEGAL_GENERATION
      || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || coordinatorMoved(code)) {
      return 'retry';
    }
    // fatalForJoin() (fenced, bad configuration, not authorised) and any other non-retriable code end the
    // membership in run(); a retriable one is retried there with backoff.
    throw kafkaError(code, `JoinGroup for group ${JSON.stringify(this.groupId)}`, null, { group: this.groupId, ...(fatalForJoin(code) ? { retriable: false } : {}) });
  }

  private syncError(code: number): 'retry' | 'again' {
    this.rejoinWanted = true;
    if (code === ErrorCode.REBALANCE_IN_PROGRESS) return 'again'; // another round started; join it
    if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION) {
      this.resetMember();
      return 'again';
    }
    if (code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || coordinatorMoved(code)) return 'retry';
    throw kafkaError(code, `SyncGroup for group ${JSON.stringify(this.groupId)}`, null, { group: this.groupId });
  }

  /** Leader: runs the elected assignor over every member's subscription. */
  private async assign(members: readonly JoinGroupResponseMember[], protocolName: string): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.assignors.find((a) => a.name === protocolName) ?? getAssignor(protocolName);
    let version = CONSUMER_PROTOCOL_LATEST_VERSION;
    const input: AssignorMember[] = members.map((m) => {
      const sub = decodeSubscription(m.metadata);
      version = Math.min(version, sub.version);
      return {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        topics: sub.topics,
        userData: sub.userData,
        ownedPartitions: sub.ownedPartitions,
        generationId: sub.generationId,
        rackId: sub.rackId,
      };
    });
    const topics = [...new Set(input.flatMap((m) => m.topics))].sort();
    // As Java's leader (ConsumerCoordinator.updateGroupSubscription: metadata is fetched again only for topics new to
    // the cache or when it is stale): this round's refresh before JoinGroup usually covers every member's topics.
    // Refreshing anyway cost two more Metadata round trips before SyncGroup, each answer as large as the topics
    // (2,000 partitions: 4 ms of CPU each). Partitions added meanwhile are caught by the metadata watch below.
    const fresh = this.host.client.metadataFreshSince(topics, this.joinRefreshFrom);
    if (!fresh) await this.host.client.refreshMetadata(topics, { signal: this.lifetime.signal });
    const partitionsPerTopic = new Map<string, number>();
    for (const t of topics) {
      const n = this.host.client.partitionCount(t);
      if (n !== undefined) partitionsPerTopic.set(t, n);
    }
    this.groupTopics = topics;
    if (!fresh) this.joinedSnapshot = this.snapshot(await this.host.subscribedTopics());
    const result = assignor.assign({
      members: input,
      partitionsPerTopic,
      onWarning: (message) => this.host.logger.warn(`assignor ${assignor.name}: ${message}`, { group: this.groupId }),
    });
    this.host.logger.debug('assigned partitions as leader', {
      group: this.groupId,
      assignor: assignor.name,
      members: input.length,
      partitions: [...partitionsPerTopic.values()].reduce((a, b) => a + b, 0),
    });
    return input.map((m) => ({
      memberId: m.memberId,
      assignment: encodeAssignment({ assignedPartitions: result.get(m.memberId) ?? [] }, version),
    }));
  }

  /** Applies an assignment: EAGER adds everything (all was revoked); COOPERATIVE revokes the difference first. */
  private async apply(assignedList: TopicPartitions[]): Promise<void> {
    const assigned = flatten(assignedList);
    this.lastAssignment = { partitions: assignedList, generationId: this.generationId };
    const owned = this.host.ownedPartitions();
    let revoked: TopicPartition[] = [];
    let added = assigned;
    // A first assignment (or one after losing everything) adds all: no key sets of every partition to compare.
    if (owned.length > 0) {
      const ownedKeys = new Set(owned.map((tp) => partitionKey(tp.topic, tp.partition)));
      const newKeys = new Set(assigned.map((tp) => partitionKey(tp.topic, tp.partition)));
      revoked = owned.filter((tp) => !newKeys.has(partitionKey(tp.topic, tp.partition)));
      added = assigned.filter((tp) => !ownedKeys.has(partitionKey(tp.topic, tp.partition)));
    }
    if (revoked.length > 0) {
      await this.host.revoked(revoked);
      // KIP-429: partitions given up must be re-assigned in a further rebalance.
      if (this.rebalanceProtocol === 'COOPERATIVE') this.requestRejoin('partitions were revoked (cooperative rebalance)');
    }
    if (added.length > 0 || owned.length === 0) await this.host.assigned(added);
  }

  private resetMember(): void {
    this.memberId = '';
    this.generationId = -1;
  }

  // --- heartbeats ------------------------------------------------------------------------------------------------

  private scheduleHeartbeat(): void {
    this.stopHeartbeats();
    if (this.stopped) return;
    this.heartbeatsOn = true;
    const generationId = this.generationId;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeat().catch((err: unknown) => {
        this.host.logger.warn('heartbeat failed unexpectedly', { group: this.groupId, error: String(err) });
        this.nextHeartbeat(generationId);
      });
    }, this.host.settings.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  /**
   * The heartbeat after one that was answered (or failed): only while heartbeats of that generation are still due.
   * The answer that asks for a rebalance wakes the join loop, and a COOPERATIVE member (nothing to revoke first) sends
   * its JoinGroup, stopping heartbeats, before this answer's handling resumes; re-armed then, heartbeats of the old
   * generation went on while the coordinator held the JoinGroup for the other members (seconds, when one of them
   * died). The one answered just after the join completed said ILLEGAL_GENERATION, and read before the JoinGroup's
   * answer it lost every partition the member was keeping (group/scale.test: m2 re-read 30 records of each of its
   * partitions from its last commit). Java's heartbeat thread is likewise off from JoinGroup to SyncGroup.
   */
  private nextHeartbeat(generationId: number): void {
    if (this.heartbeatsOn && !this.stopped && this.generationId === generationId) this.scheduleHeartbeat();
  }

  private stopHeartbeats(): void {
    this.heartbeatsOn = false;
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /**
   * Heartbeats are due from SyncGroup until the next JoinGroup is sent: while stable, and while a rebalance revokes
   * partitions before its JoinGroup (the revoke may wait for the application to finish the message in its hands).
   * They go out through the heartbeat thread, which also sends them itself while this timer cannot run.
   */
  private async heartbeat(): Promise<void> {
    this.heartbeatTimer = null;
    if (!this.heartbeatsOn || this.stopped) return;
    const { settings, logger } = this.host;
    const generationId = this.generationId;
    // Success counts from the send (see liveness-worker.ts observe()).
    const sentAt = Date.now();
    let code: number;
    try {
      const res = await traced(channels.heartbeat, () => this.diagnostics(), () => this.host.liveness.request(this.coordinator, ApiKey.Heartbeat, {
        groupId: this.groupId,
        generationId,
        memberId: this.memberId,
        groupInstanceId: settings.groupInstanceId,
      }, { deadline: Date.now() + settings.requestTimeoutMs, timeoutMs: Math.min(settings.requestTimeoutMs, settings.sessionTimeoutMs) }));
      code = this.coordinator.note(res.errorCode, res);
    } catch (err) {
      // Heartbeats of this generation ended meanwhile (a JoinGroup went out, the member left): nothing to act on.
      if (!this.heartbeatsOn || this.stopped || this.generationId !== generationId) return;
      logger.debug('heartbeat failed', { group: this.groupId, error: (err as Error).message });
      if (Date.now() - this.lastOk() > settings.sessionTimeoutMs) {
        // The coordinator has surely expired us by now.
        await this.loseAll('no successful heartbeat within session.timeout.ms');
        this.requestRejoin('the session expired');
        return;
      }
      this.nextHeartbeat(generationId);
      return;
    }
    if (!this.heartbeatsOn || this.generationId !== generationId) return;
    if (code === ErrorCode.NONE) this.lastHeartbeatOk = Math.max(this.lastHeartbeatOk, sentAt);
    if (await this.onHeartbeatAnswer(code, generationId, sentAt)) this.nextHeartbeat(generationId);
  }

  /**
   * What a Heartbeat answer means, the main thread's or one the heartbeat thread sent while the event loop was
   * blocked. False when heartbeats of this generation are over.
   */
  private async onHeartbeatAnswer(code: number, generationId: number, sentAt = Date.now()): Promise<boolean> {
    const { settings, logger } = this.host;
    if (!this.heartbeatsOn || this.stopped || this.generationId !== generationId) return false;
    if (code === ErrorCode.NONE) return true;
    if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
      // Rejoin (EAGER revokes first, with a commit of delivered offsets).
      this.lastHeartbeatOk = Math.max(this.lastHeartbeatOk, sentAt);
      if (this.state === 'stable') this.requestRejoin('the coordinator started a rebalance');
      // Keep the session alive until the JoinGroup goes out (joinAndSync stops the timer then): an EAGER revoke
      // waits for the application to finish the message in its hands, which may take longer than
      // session.timeout.ms; without heartbeats the coordinator would expire us mid-rebalance and the revoke's
      // commit would be refused (UNKNOWN_MEMBER_ID), so the next owner would re-read that message.
      return true;
    }
    if (code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.UNKNOWN_MEMBER_ID) {
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      this.generationId = -1;
      this.stopHeartbeats();
      this.host.liveness.disarm();
      await this.loseAll(`heartbeat: ${errorName(code)}`);
      this.requestRejoin(`heartbeat answered ${errorName(code)}`);
      return false;
    }
    if (code === ErrorCode.FENCED_INSTANCE_ID) {
      // Another member took our group.instance.id (KIP-345).
      this.stopHeartbeats();
      this.host.liveness.disarm();
      await this.loseAll('fenced by another member with the same group.instance.id');
      this.stopped = true;
      this.host.fatal(kafkaError(code, `Heartbeat for group ${JSON.stringify(this.groupId)} (group.instance.id ${JSON.stringify(settings.groupInstanceId)})`));
      return false;
    }
    logger.debug('heartbeat error', { group: this.groupId, error: errorName(code) });
    if (Date.now() - this.lastOk() > settings.sessionTimeoutMs) {
      await this.loseAll('no successful heartbeat within session.timeout.ms');
      this.requestRejoin('the session expired');
      return false;
    }
    return true;
  }

  /**
   * The heartbeat thread left the group: max.poll.interval.ms passed without a poll (it sent LeaveGroup, dynamic
   * members only, KIP-345). The partitions are lost; the member stays out until the application polls again.
   */
  private async afterPollTimeout(): Promise<void> {
    if (this.waitingForPoll || this.stopped) return;
    this.host.logger.warn('max.poll.interval.ms exceeded: left the group until the next poll', { group: this.groupId, maxPollIntervalMs: this.host.settings.maxPollIntervalMs });
    this.waitingForPoll = true;
    this.state = 'unjoined';
    this.stopHeartbeats();
    this.host.liveness.disarm();
    if (!this.isStatic) this.memberId = '';
    this.generationId = -1;
    await this.loseAll('max.poll.interval.ms exceeded');
  }

  private async loseAll(reason: string): Promise<void> {
    const owned = this.host.ownedPartitions();
    this.lastAssignment = { partitions: null, generationId: -1 };
    if (owned.length === 0) return;
    this.host.logger.warn('partitions lost', { group: this.groupId, reason, partitions: owned.length });
    await this.host.lost(owned);
  }

  // --- metadata watch --------------------------------------------------------------------------------------------

  private snapshot(topics: readonly string[]): string {
    return [...topics].sort().map((t) => `${t}:${this.host.client.partitionCount(t) ?? -1}`).join(',');
  }

  /**
   * Every metadata.max.age.ms: a pattern may match new topics, and partitions may have been added; either changes
   * the assignment, so the member rejoins (the leader also watches the topics of the other members).
   */
  private scheduleMetadataCheck(): void {
    if (this.stopped || this.host.settings.metadataMaxAgeMs <= 0) return;
    this.metadataTimer = setTimeout(() => void this.checkMetadata(), this.host.settings.metadataMaxAgeMs);
    this.metadataTimer.unref();
  }

  private async checkMetadata(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.state === 'stable' && !this.rejoinWanted) {
        const topics = await this.host.subscribedTopics();
        const before = this.groupTopics.map((t) => this.host.client.partitionCount(t) ?? -1).join(',');
        if (this.groupTopics.length > 0) await this.host.client.refreshMetadata(this.groupTopics);
        const after = this.groupTopics.map((t) => this.host.client.partitionCount(t) ?? -1).join(',');
        if (this.snapshot(topics) !== this.joinedSnapshot) this.requestRejoin('the subscribed topics or their partitions changed');
        else if (before !== after) this.requestRejoin('partitions were added to a topic of the group');
      }
    } catch (err) {
      this.host.logger.debug('metadata check failed', { error: (err as Error).message });
    }
    this.scheduleMetadataCheck();
  }
}
