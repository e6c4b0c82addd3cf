// Share group membership (KIP-932): ShareGroupHeartbeat. The member picks its own id (a random UUID, kept for the
// consumer's life), joins with epoch 0 and its subscription, then heartbeats every HeartbeatIntervalMs with its
// current epoch; the coordinator answers with a new epoch and, when it changes, the assignment (topic ids and
// partitions). A share group has no revocation protocol: a partition taken away only means this member stops
// fetching it; records it holds stay locked to it until acknowledged or until their locks expire, so nothing has to
// be drained before the next assignment is used. Fenced (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID): rejoin at epoch 0
// with the same member id. Leaving: epoch -1.
//
// Heartbeats go through the heartbeat thread (cluster/group-liveness.ts), like a consumer group's: it keeps the
// member alive while the application blocks the event loop, and leaves after max.poll.interval.ms without a poll.

import type { Cluster } from '../../cluster/client.js';
import type { Coordinator } from '../../cluster/coordinator.js';
import type { GroupLiveness, HeartbeatFields } from '../../cluster/group-liveness.js';
import { backoff, sleep } from '../../cluster/retry.js';
import type { Logger } from '../../network/options.js';
import { ApiKey } from '../../protocol/index.js';
import { ErrorCode, errorName, kafkaError } from '../../protocol/error-codes.js';
import { authorizationFailed, coordinatorMoved } from '../../protocol/error-kinds.js';

/** The partitions assigned to this member, by topic id. */
export type ShareAssignment = ReadonlyMap<string, readonly number[]>;

export interface ShareMembershipHost {
  readonly cluster: Cluster;
  readonly coordinator: Coordinator;
  readonly liveness: GroupLiveness;
  readonly logger: Logger;
  readonly groupId: string;
  readonly rackId: string | null;
  readonly maxPollIntervalMs: number;
  onAssignment(assignment: ShareAssignment): void;
  onFatal(err: Error): void;
}

/** Codes after which joining again cannot succeed: the application must hear of them. */
const FATAL = new Set<number>([
  ErrorCode.INVALID_REQUEST, ErrorCode.UNSUPPORTED_VERSION, ErrorCode.GROUP_MAX_SIZE_REACHED, ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  ErrorCode.GROUP_ID_NOT_FOUND,
]);

/** A Kafka Uuid as its toString() prints it: 16 random bytes, URL-safe base64 without padding. */
export function newMemberId(): string {
  return process.getBuiltinModule('node:crypto').randomBytes(16).toString('base64url');
}

export class ShareMembership {
  readonly memberId = newMemberId();
  private epoch = 0;
  private intervalMs = 1000;
  private subscription: readonly string[] = [];
  private sendSubscription = true;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private failures = 0;

  constructor(private readonly host: ShareMembershipHost) {
    host.liveness.onKeepalive = (_apiKey, response) => this.handle(response, true);
    host.liveness.onLeft = () => {
      this.host.logger.warn('max.poll.interval.ms passed without a poll: left the share group; joining again at the next poll', { group: host.groupId });
      this.rejoin();
    };
  }

  get memberEpoch(): number {
    return this.epoch;
  }

  subscribe(topics: readonly string[]): void {
    this.subscription = [...topics];
    this.sendSubscription = true;
    this.loop ??= this.run();
    this.kick();
  }

  private kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private rejoin(): void {
    this.epoch = 0;
    this.sendSubscription = true;
    this.host.liveness.disarm();
    this.host.onAssignment(new Map());
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.heartbeat();
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.host.logger.debug('share group heartbeat failed', { group: this.host.groupId, error: (err as Error).message });
        await sleep(backoff(this.failures, this.host.cluster.retry.retryBackoffMs, this.host.cluster.retry.retryBackoffMaxMs));
        continue;
      }
      if (this.stopped) break;
      const delay = this.epoch === 0 ? 0 : this.intervalMs;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, delay).unref();
      });
    }
  }

  private async heartbeat(): Promise<void> {
    const joining = this.epoch === 0;
    const body = {
      groupId: this.host.groupId, memberId: this.memberId, memberEpoch: this.epoch,
      rackId: joining ? this.host.rackId : null,
      subscribedTopicNames: joining || this.sendSubscription ? [...this.subscription] : null,
    };
    this.sendSubscription = false;
    const res = await this.host.liveness.request(this.host.coordinator, ApiKey.ShareGroupHeartbeat, body, {
      deadline: Date.now() + this.host.cluster.requestTimeoutMs,
    });
    this.handle(res, false);
  }

  private handle(res: HeartbeatFields, fromKeepalive: boolean): void {
    const code = res.errorCode ?? ErrorCode.NONE;
    if (code === ErrorCode.NONE) {
      if ((res.heartbeatIntervalMs ?? 0) > 0) this.intervalMs = res.heartbeatIntervalMs!;
      const wasJoining = this.epoch === 0;
      if (res.memberEpoch !== undefined && res.memberEpoch > 0) this.epoch = res.memberEpoch;
      if (wasJoining && this.epoch > 0 && !fromKeepalive) this.arm();
      if (res.assignment !== null && res.assignment !== undefined) {
        const a = new Map<string, number[]>();
        for (const tp of res.assignment.topicPartitions) a.set(tp.topicId, [...tp.partitions]);
        this.host.onAssignment(a);
      }
      return;
    }
    this.host.coordinator.note(code);
    if (code === ErrorCode.FENCED_MEMBER_EPOCH || code === ErrorCode.UNKNOWN_MEMBER_ID) {
      this.host.logger.info('share group member fenced: joining again', { group: this.host.groupId, error: errorName(code) });
      this.rejoin();
      this.kick();
      return;
    }
    if (authorizationFailed(code) || FATAL.has(code)) {
      this.stopped = true;
      this.host.onFatal(kafkaError(code, 'ShareGroupHeartbeat', res.errorMessage, { group: this.host.groupId }));
      return;
    }
    if (!coordinatorMoved(code)) this.host.logger.warn('share group heartbeat answered with an error', { group: this.host.groupId, error: errorName(code) });
    if (!fromKeepalive) throw kafkaError(code, 'ShareGroupHeartbeat', res.errorMessage, { group: this.host.groupId });
  }

  private arm(): void {
    void this.host.coordinator.node().then((node) => {
      if (this.stopped || this.epoch <= 0) return;
      this.host.liveness.arm(node, {
        protocol: 'share', groupId: this.host.groupId, memberId: this.memberId, generationOrEpoch: this.epoch,
        groupInstanceId: null, intervalMs: this.intervalMs, maxPollIntervalMs: this.host.maxPollIntervalMs,
        timeoutMs: this.host.cluster.requestTimeoutMs,
      });
    }, () => {});
  }

  /** Stops heartbeating and leaves the group (epoch -1), so the partitions' work goes to the other members now. */
  async leave(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.loop?.catch(() => {});
    this.host.liveness.disarm();
    if (this.epoch <= 0) return;
    this.epoch = -1;
    try {
      await this.host.liveness.request(this.host.coordinator, ApiKey.ShareGroupHeartbeat, {
        groupId: this.host.groupId, memberId: this.memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null,
      }, { deadline: Date.now() + this.host.cluster.requestTimeoutMs });
    } catch (err) {
      this.host.logger.debug('leaving the share group failed', { group: this.host.groupId, error: (err as Error).message });
    }
  }
}
