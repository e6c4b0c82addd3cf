// KIP-848 consumer group membership (group.protocol=consumer): one ConsumerGroupHeartbeat RPC carries the
// subscription, the owned partitions and the broker's answer (member epoch, target assignment). The broker runs the
// assignor (group.remote.assignor) and evaluates regex subscriptions; the member only reconciles.
//
//   unjoined --heartbeat epoch 0 (full)--> joining --epoch > 0--> stable <--+
//                                                                   |       | ack: owned partitions in a heartbeat
//                                       assignment differs from owned v     |
//                                                              reconciling -+  revoke (commit first), ack, assign
//   any --FENCED_MEMBER_EPOCH / UNKNOWN_MEMBER_ID--> partitions lost, epoch 0 --> joining
//   any --UNRELEASED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED, UNSUPPORTED_ASSIGNOR...--> fatal (the application hears)
//   stable --max.poll.interval.ms without a poll--> leave (epoch -1/-2), partitions lost; rejoin at the next poll
//   any --close()--> revoke (commit), heartbeat epoch -1 (static members -2: the broker keeps the assignment
//                    for session timeout so a restart with the same group.instance.id gets it back)
//
// Heartbeats: one in flight at a time, every heartbeatIntervalMs the broker returns, through the heartbeat thread
// (cluster/group-liveness.ts), which sends them itself while the event loop is blocked and leaves the group once
// max.poll.interval.ms passed without a poll. Full heartbeats (every field) on joining and after a failed request (the
// broker may not have seen our last state); otherwise fields equal to the last sent ones are left null, as KIP-848
// allows. The owned partitions go out as soon as a revocation completes: that acknowledgement is what lets the
// broker give the partitions to their next owner.
//
// Commits use the member epoch as OffsetCommit's generationIdOrMemberEpoch (v9+): a member fenced out of its epoch
// cannot commit over the new owner's progress.

import { channels, traced, type GroupDiagnostics } from '../../diagnostics.js';
import { GregorError, StateError } from '../../errors.js';
import { ErrorCode, errorName, kafkaError } from '../../protocol/error-codes.js';
import { coordinatorMoved, fatalForJoin } from '../../protocol/error-kinds.js';
import { uuidToKafkaString } from '../../protocol/primitives.js';
import type { Coordinator } from '../../cluster/coordinator.js';
import type { HeartbeatFields } from '../../cluster/group-liveness.js';
import { ApiKey, type ConsumerGroupHeartbeatRequest } from '../../protocol/index.js';
import { partitionKey, type TopicPartition } from '../partition-state.js';
import { FailureStreak, backoff, sleep } from '../../cluster/retry.js';
import { toBrokerRegex } from './broker-regex.js';
import type { MembershipHost } from './classic.js';

export type ConsumerMemberState = 'unjoined' | 'joining' | 'stable' | 'reconciling' | 'leaving' | 'left' | 'fatal';

/** What a KIP-848 member needs beyond the classic host: the subscription as the application gave it. */
export interface ConsumerGroupHost extends MembershipHost {
  subscription(): { topics: readonly string[] } | { pattern: RegExp };
}

const LEAVE_EPOCH = -1;
const LEAVE_STATIC_EPOCH = -2;

/** What reconciling a target assignment means against the owned partitions. */
export function reconcilePlan(owned: readonly TopicPartition[], target: readonly TopicPartition[]): { revoke: TopicPartition[]; add: TopicPartition[] } {
  const ownedKeys = new Set(owned.map((tp) => partitionKey(tp.topic, tp.partition)));
  const targetKeys = new Set(target.map((tp) => partitionKey(tp.topic, tp.partition)));
  return {
    revoke: owned.filter((tp) => !targetKeys.has(partitionKey(tp.topic, tp.partition))),
    add: target.filter((tp) => !ownedKeys.has(partitionKey(tp.topic, tp.partition))),
  };
}

/** A member id the client makes up (KIP-1082: ConsumerGroupHeartbeat v1 wants it from the client), as Kafka prints uuids. */
export function newMemberId(): string {
  return uuidToKafkaString(process.getBuiltinModule('node:crypto').randomBytes(16));
}

function byTopicId(partitions: readonly TopicPartition[], idOf: (topic: string) => string | undefined): { topicId: string; partitions: number[] }[] {
  const by = new Map<string, number[]>();
  for (const tp of partitions) {
    const id = idOf(tp.topic);
    if (id === undefined) continue;
    let ps = by.get(id);
    if (ps === undefined) by.set(id, (ps = []));
    ps.push(tp.partition);
  }
  return [...by].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([topicId, ps]) => ({ topicId, partitions: ps.sort((a, b) => a - b) }));
}

export class ConsumerGroupMembership {
  state: ConsumerMemberState = 'unjoined';
  memberId = newMemberId();
  memberEpoch = 0;
  /** The broker's heartbeat interval (group.consumer.heartbeat.interval.ms), from its last answer. */
  heartbeatIntervalMs: number;
  private stopped = false;
  private waitingForPoll = false;
  /** The next heartbeat carries every field. */
  private full = true;
  private heartbeatNow = false;
  private wakeup: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private readonly lifetime = new AbortController();
  private lastHeartbeatOk = Date.now();
  /** Last sent values, to leave unchanged ones out (partial heartbeats). */
  private sentSubscription = '';
  private sentOwned = '';
  private sentRegex: string | null = null;
  /** Names of topic ids met in assignments (the metadata may not know a topic id yet). */
  private readonly topicIds = new Map<string, string>();
  /** The latest assignment from the broker, and the reconciliation working on it. */
  private target: { topicId: string; partitions: number[] }[] | null = null;
  private targetVersion = 0;
  private reconciledVersion = 0;
  private reconciling: Promise<void> | null = null;
  /** Partitions reported as owned (what was reconciled last). */
  private reported: TopicPartition[] = [];
  /** Bumped when partitions are lost: a reconciliation in progress must not act on an old epoch's target. */
  private incarnation = 0;

  constructor(
    private readonly host: ConsumerGroupHost,
    private readonly coordinator: Coordinator,
  ) {
    this.heartbeatIntervalMs = host.settings.heartbeatIntervalMs;
    const sub = host.subscription();
    if ('pattern' in sub) toBrokerRegex(sub.pattern); // refuse what RE2/J cannot express before joining
    host.liveness.onKeepalive = (_apiKey, response, _at, nodeId) => {
      this.coordinator.answered(response, nodeId);
      void this.onKeepalive(response).catch((err: unknown) => {
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

  /** Identity for OffsetCommit v9+: the member epoch stands where the classic generation id stood. */
  commitIdentity(): { generationId: number; memberId: string; groupInstanceId: string | null } | null {
    // Left (max.poll.interval.ms) or fenced while this thread was blocked: not attempted (see ClassicMembership).
    if (this.memberEpoch <= 0 || this.host.liveness.ended() !== null) return null;
    return { generationId: this.memberEpoch, memberId: this.memberId, groupInstanceId: this.host.settings.groupInstanceId };
  }

  start(): void {
    if (this.running !== null) return;
    this.host.liveness.prepare();
    this.running = this.run();
  }

  /** The subscription changed: send it in a heartbeat at once. */
  requestRejoin(reason: string): void {
    this.host.logger.debug('subscription sent again', { group: this.groupId, reason });
    const sub = this.host.subscription();
    if ('pattern' in sub) toBrokerRegex(sub.pattern);
    this.beatNow();
  }

  /** Called on every application poll: a member that left for exceeding max.poll.interval.ms joins again. */
  onPoll(): void {
    if (this.waitingForPoll) {
      this.waitingForPoll = false;
      this.full = true;
      this.beatNow();
    }
  }

  /** Revokes (committing first, via the host), leaves with epoch -1 (static members -2), stops. Safe to call twice. */
  async leave(reason = 'the consumer is closing'): Promise<void> {
    if (this.stopped) return;
    // A member that already left (poll timeout) or failed has nobody to tell.
    const member = !this.waitingForPoll && this.state !== 'fatal';
    this.stopped = true;
    this.host.liveness.disarm();
    this.signal();
    await this.reconciling?.catch(() => {});
    const owned = this.host.ownedPartitions();
    if (owned.length > 0 && this.memberEpoch > 0) {
      try {
        await this.host.revoked(owned);
      } catch (err) {
        this.host.logger.warn('revoke on leave failed', { error: (err as Error).message });
      }
    } else if (owned.length > 0) {
      await this.host.lost(owned);
    }
    this.state = 'leaving';
    this.lifetime.abort(); // an in-flight heartbeat is abandoned: the leave heartbeat supersedes it
    await this.running?.catch(() => {});
    if (member) await this.sendLeave(reason);
    this.memberEpoch = LEAVE_EPOCH;
    this.state = 'left';
  }

  private async sendLeave(reason: string): Promise<void> {
    const epoch = this.isStatic ? LEAVE_STATIC_EPOCH : LEAVE_EPOCH;
    try {
      const res = await this.coordinator.request(ApiKey.ConsumerGroupHeartbeat, {
        groupId: this.groupId,
        memberId: this.memberId,
        memberEpoch: epoch,
        instanceId: this.host.settings.groupInstanceId,
      }, { deadline: Date.now() + this.host.settings.requestTimeoutMs });
      if (res.errorCode !== ErrorCode.NONE) this.host.logger.debug('leave heartbeat answered', { error: errorName(res.errorCode), reason });
    } catch (err) {
      this.host.logger.debug('leave heartbeat failed', { error: (err as Error).message });
    }
  }

  private beatNow(): void {
    this.heartbeatNow = true;
    this.signal();
  }

  private signal(): void {
    const w = this.wakeup;
    if (w !== null) {
      this.wakeup = null;
      w();
    }
  }

  /** Waits for `ms`, or less when something asks for a heartbeat now. */
  private pause(ms: number): Promise<void> {
    if (this.heartbeatNow || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeup = null;
        resolve();
      }, ms);
      this.wakeup = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    // A retriable failure reaches the application only once it has lasted default.api.timeout.ms (DESIGN.md,
    // "Failures"): a coordinator that dies is found again by the next leader of its __consumer_offsets partition
    // within seconds, and the refused connections in between are no news for the application.
    const streak = new FailureStreak(this.host.settings.defaultApiTimeoutMs);
    while (!this.stopped) {
      if (this.waitingForPoll) {
        await this.pause(60_000);
        continue;
      }
      this.heartbeatNow = false;
      let wait = this.heartbeatIntervalMs;
      try {
        const outcome = await this.heartbeat();
        if (outcome === 'retry') {
          failures++;
          wait = backoff(failures, this.host.settings.retryBackoffMs, this.host.settings.retryBackoffMaxMs);
        } else {
          failures = 0;
          streak.ok();
          if (outcome === 'now') wait = 0;
        }
      } catch (err) {
        if (this.stopped) return;
        const error = err instanceof GregorError ? err : new StateError(`group membership: ${String(err)}`, { cause: err });
        if (!error.retriable) {
          await this.fail(error);
          return;
        }
        failures++;
        this.full = true;
        this.host.logger.debug('heartbeat failed', { group: this.groupId, error: error.message });
        if (this.memberEpoch > 0 && Date.now() - this.lastOk() > this.host.settings.sessionTimeoutMs) {
          // The coordinator has surely expired us by now.
          await this.loseAll('no successful heartbeat within the session timeout');
        }
        if (streak.fail()) this.host.report(error);
        wait = backoff(failures, this.host.settings.retryBackoffMs, this.host.settings.retryBackoffMaxMs);
      }
      if (wait > 0 && !this.stopped) await this.pause(wait);
    }
  }

  /** The request body of the next heartbeat: every field when full, else only what changed since the last one. */
  private heartbeatBody(version: number): ConsumerGroupHeartbeatRequest {
    const { settings } = this.host;
    const full = this.full || this.memberEpoch === 0;
    const sub = this.host.subscription();
    const regex = 'pattern' in sub ? toBrokerRegex(sub.pattern) : null;
    if (regex !== null && version < 1) {
      throw kafkaError(ErrorCode.UNSUPPORTED_VERSION, 'ConsumerGroupHeartbeat v0 has no SubscribedTopicRegex (the broker is older than Kafka 4.0); subscribe with topic names');
    }
    const subKey = regex !== null ? `re:${regex}` : `names:${[...(sub as { topics: readonly string[] }).topics].sort().join(',')}`;
    const owned = byTopicId(this.reported, (t) => this.idOf(t));
    const ownedKey = JSON.stringify(owned);
    const body: ConsumerGroupHeartbeatRequest = {
      groupId: this.groupId,
      memberId: version >= 1 || this.memberEpoch > 0 ? this.memberId : '',
      memberEpoch: this.memberEpoch,
      instanceId: settings.groupInstanceId,
      rackId: full && settings.clientRack !== '' ? settings.clientRack : null,
      rebalanceTimeoutMs: full ? settings.maxPollIntervalMs : -1,
      serverAssignor: full ? settings.groupRemoteAssignor : null,
      subscribedTopicNames: null,
      topicPartitions: full || ownedKey !== this.sentOwned ? owned : null,
    };
    if (full || subKey !== this.sentSubscription) {
      if (regex !== null) {
        body.subscribedTopicNames = [];
        body.subscribedTopicRegex = regex;
      } else {
        body.subscribedTopicNames = [...(sub as { topics: readonly string[] }).topics];
        // An empty regex clears a regex sent before (the subscription went from a pattern to names).
        if (version >= 1 && this.sentRegex !== null) body.subscribedTopicRegex = '';
      }
    }
    this.pendingSent = { subKey, ownedKey, regex, full };
    return body;
  }

  private pendingSent: { subKey: string; ownedKey: string; regex: string | null; full: boolean } | null = null;

  private async heartbeat(): Promise<'ok' | 'now' | 'retry'> {
    const { settings } = this.host;
    if (this.memberEpoch === 0 && this.state !== 'joining') {
      this.state = 'joining';
      const sub = this.host.subscription();
      // Names: warm the metadata (topic ids of the assignment) and report topics that do not exist.
      if ('topics' in sub) await this.host.subscribedTopics().catch(() => {});
    }
    const incarnation = this.incarnation;
    const deadline = Date.now() + settings.requestTimeoutMs;
    const res = await traced(channels.heartbeat, (): GroupDiagnostics => ({
      clientId: settings.clientId, groupId: this.groupId, protocol: 'consumer', memberId: this.memberId, generationId: this.memberEpoch,
    }), () => this.host.liveness.request(this.coordinator, ApiKey.ConsumerGroupHeartbeat, (version) => this.heartbeatBody(version), {
      deadline,
      timeoutMs: settings.requestTimeoutMs,
      signal: this.lifetime.signal,
    }));
    const code: number = this.coordinator.note(res.errorCode, res);
    if (this.stopped) return 'ok';
    if (code !== ErrorCode.NONE) return this.heartbeatError(code, res.errorMessage);
    const sent = this.pendingSent!;
    this.sentSubscription = sent.subKey;
    this.sentOwned = sent.ownedKey;
    if (sent.subKey.startsWith('re:')) this.sentRegex = sent.regex;
    else if (this.sentRegex !== null && sent.subKey.startsWith('names:')) this.sentRegex = null;
    this.full = false;
    if (incarnation !== this.incarnation) {
      this.lastHeartbeatOk = Date.now();
      return 'now';
    }
    await this.onAnswer(res);
    return 'ok';
  }

  /** A successful answer, to the main thread's heartbeat or to one the heartbeat thread sent: epoch, assignment. */
  private async onAnswer(res: { memberId: string | null; memberEpoch: number; heartbeatIntervalMs: number; assignment?: { topicPartitions: { topicId: unknown; partitions: number[] }[] } | null }): Promise<void> {
    const { settings, logger } = this.host;
    this.lastHeartbeatOk = Date.now();
    if (res.memberId !== null && res.memberId !== '') this.memberId = res.memberId;
    if (res.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = res.heartbeatIntervalMs;
    const joined = this.memberEpoch === 0 && res.memberEpoch > 0;
    if (res.memberEpoch !== this.memberEpoch) logger.debug('member epoch', { group: this.groupId, epoch: res.memberEpoch });
    this.memberEpoch = res.memberEpoch;
    if (joined) {
      logger.debug('joined group (KIP-848)', { group: this.groupId, member: this.memberId, epoch: this.memberEpoch, heartbeatIntervalMs: this.heartbeatIntervalMs });
      this.state = 'stable';
      const node = await this.coordinator.find(Date.now() + settings.requestTimeoutMs, this.lifetime.signal);
      this.host.liveness.arm(node, {
        protocol: 'consumer', groupId: this.groupId, memberId: this.memberId, generationOrEpoch: this.memberEpoch,
        groupInstanceId: settings.groupInstanceId, intervalMs: this.heartbeatIntervalMs, maxPollIntervalMs: settings.maxPollIntervalMs,
        timeoutMs: settings.requestTimeoutMs,
      });
    }
    if (res.assignment !== null && res.assignment !== undefined) {
      this.target = res.assignment.topicPartitions.map((t) => ({ topicId: String(t.topicId), partitions: [...t.partitions] }));
      this.targetVersion++;
    }
    this.maybeReconcile();
  }

  /** An answer to a heartbeat the heartbeat thread sent while the event loop was blocked. */
  private async onKeepalive(res: HeartbeatFields): Promise<void> {
    if (this.stopped || this.memberEpoch <= 0) return;
    const code: number = this.coordinator.note(res.errorCode ?? ErrorCode.NONE, res);
    if (code === ErrorCode.NONE) {
      // The worker passes the decoded ConsumerGroupHeartbeat answer whole.
      await this.onAnswer(res as Parameters<ConsumerGroupMembership['onAnswer']>[0]);
      return;
    }
    try {
      if (await this.heartbeatError(code, res.errorMessage ?? null) === 'now') this.beatNow();
    } catch (err) {
      await this.fail(err as GregorError);
    }
  }

  private async heartbeatError(code: number, message: string | null): Promise<'now' | 'retry'> {
    const what = `ConsumerGroupHeartbeat for group ${JSON.stringify(this.groupId)}`;
    if (code === ErrorCode.FENCED_MEMBER_EPOCH || code === ErrorCode.UNKNOWN_MEMBER_ID) {
      // The broker moved on without us: whatever we owned may belong to someone else now. Rejoin at epoch 0.
      await this.loseAll(`heartbeat answered ${errorName(code)}`);
      return 'now';
    }
    if (code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || coordinatorMoved(code)) {
      // note() forgot a coordinator that moved: it is looked up again.
      this.full = true;
      return 'retry';
    }
    const subscription = this.host.subscription();
    const error = kafkaError(code, what, message, { group: this.groupId, topic: 'topics' in subscription ? subscription.topics : [] });
    if (fatalForJoin(code) || !error.retriable) throw error;
    this.full = true;
    return 'retry';
  }

  private async fail(error: GregorError): Promise<void> {
    this.host.logger.warn('group membership failed', { group: this.groupId, error: error.message });
    this.stopped = true;
    this.state = 'fatal';
    this.host.liveness.disarm();
    await this.loseAll('the membership failed').catch(() => {});
    this.host.fatal(error);
  }

  /**
   * True when a joined member has had no successful heartbeat for session.timeout.ms (the broker's own session
   * timeout is not known to the client; the same estimate as run() uses): poll() then reports the partitions lost
   * before handing out buffered records another member may have read already.
   */
  sessionLapsed(): boolean {
    if (this.stopped || this.memberEpoch <= 0) return false;
    return this.host.liveness.ended() !== null || Date.now() - this.lastOk() > this.host.settings.sessionTimeoutMs;
  }

  /** Date.now() of the last successful heartbeat of a joined member, 0 when not joined: the metrics' heartbeat age. */
  get lastHeartbeatAt(): number {
    return this.memberEpoch > 0 ? this.lastHeartbeatOk : 0;
  }

  /** After sessionLapsed(): the partitions are lost (nothing committed) and the member joins again at epoch 0. */
  async expireSession(): Promise<void> {
    const ended = this.host.liveness.ended();
    if (ended === 'poll-timeout') {
      await this.afterPollTimeout();
      return;
    }
    await this.loseAll(ended === 'fenced' ? 'the coordinator fenced this member' : 'no successful heartbeat within the session timeout');
    this.beatNow();
  }

  /** The last successful heartbeat, the main thread's or the heartbeat thread's. */
  private lastOk(): number {
    return Math.max(this.lastHeartbeatOk, this.host.liveness.lastOkAt());
  }

  /**
   * The heartbeat thread left the group (epoch -1, static members -2): max.poll.interval.ms passed without a poll.
   * The partitions are lost; the member joins again on the next poll.
   */
  private async afterPollTimeout(): Promise<void> {
    if (this.waitingForPoll || this.stopped) return;
    this.host.logger.warn('max.poll.interval.ms exceeded: left the group until the next poll', {
      group: this.groupId, maxPollIntervalMs: this.host.settings.maxPollIntervalMs,
    });
    this.waitingForPoll = true;
    await this.loseAll('max.poll.interval.ms exceeded');
  }

  /** Drops every owned partition without commit and goes back to epoch 0 (a full heartbeat joins again). */
  private async loseAll(reason: string): Promise<void> {
    this.host.liveness.disarm();
    this.incarnation++;
    this.memberEpoch = 0;
    this.state = 'unjoined';
    this.full = true;
    this.target = null;
    this.reported = [];
    await this.reconciling?.catch(() => {});
    const owned = this.host.ownedPartitions();
    if (owned.length === 0) return;
    this.host.logger.warn('partitions lost', { group: this.groupId, reason, partitions: owned.length });
    await this.host.lost(owned);
  }

  // --- reconciliation --------------------------------------------------------------------------------------------

  private idOf(topic: string): string | undefined {
    return this.topicIds.get(topic) ?? this.host.client.topicId(topic);
  }

  private maybeReconcile(): void {
    if (this.reconciling !== null || this.target === null || this.stopped) return;
    if (this.reconciledVersion === this.targetVersion) return;
    const version = this.targetVersion;
    const target = this.target;
    const incarnation = this.incarnation;
    this.reconciling = this.reconcile(target, incarnation)
      .then((complete) => {
        if (complete) this.reconciledVersion = version;
      })
      .catch((err: unknown) => this.host.logger.warn('reconciling the assignment failed', { group: this.groupId, error: String(err) }))
      .finally(() => {
        this.reconciling = null;
        if (this.reconciledVersion !== this.targetVersion) this.beatNow(); // a newer target came meanwhile
      });
  }

  /** Revokes what the target takes away (commit first), acknowledges, then takes the new partitions. */
  private async reconcile(target: { topicId: string; partitions: number[] }[], incarnation: number): Promise<boolean> {
    const names = await this.resolve(target.map((t) => t.topicId));
    if (incarnation !== this.incarnation || this.stopped) return false;
    const wanted: TopicPartition[] = [];
    let complete = true;
    for (const t of target) {
      const topic = names.get(t.topicId);
      if (topic === undefined) {
        complete = false; // the metadata does not know the topic yet: retried after the next heartbeat
        continue;
      }
      for (const partition of t.partitions) wanted.push({ topic, partition });
    }
    const owned = this.host.ownedPartitions();
    const plan = reconcilePlan(owned, wanted);
    const first = this.state === 'joining' || this.reported.length === 0 && owned.length === 0;
    if (plan.revoke.length === 0 && plan.add.length === 0 && !first) {
      this.reported = wanted;
      return complete;
    }
    this.state = 'reconciling';
    if (plan.revoke.length > 0) await this.host.revoked(plan.revoke);
    if (incarnation !== this.incarnation || this.stopped) return false;
    // Acknowledge at once: the broker hands revoked partitions to their next owner only after this.
    this.reported = wanted;
    this.beatNow();
    if (plan.add.length > 0 || owned.length === 0) await this.host.assigned(plan.add);
    if (incarnation === this.incarnation && !this.stopped) this.state = 'stable';
    return complete;
  }

  /** Topic names of assignment topic ids, refreshing the metadata for ids it does not know. */
  private async resolve(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const lookup = (): string[] => {
      const missing: string[] = [];
      for (const id of ids) {
        const name = this.host.client.topicName(id);
        if (name === undefined) missing.push(id);
        else {
          out.set(id, name);
          this.topicIds.set(name, id);
        }
      }
      return missing;
    };
    if (lookup().length > 0) {
      const sub = this.host.subscription();
      try {
        await this.host.client.refreshMetadata('topics' in sub ? [...sub.topics] : 'all', { signal: this.lifetime.signal });
        if (lookup().length > 0 && 'topics' in sub) {
          await this.host.client.refreshMetadata('all', { signal: this.lifetime.signal });
          lookup();
        }
      } catch (err) {
        this.host.logger.debug('metadata refresh for the assignment failed', { error: (err as Error).message });
        await sleep(this.host.settings.retryBackoffMs, this.lifetime.signal).catch(() => {});
      }
    }
    return out;
  }
}
