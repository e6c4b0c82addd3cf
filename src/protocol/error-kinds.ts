// What an error code means for the client, as one classification: every layer (fetcher, offsets, metadata, group
// membership, producer, admin) asks these predicates instead of keeping its own list of numbers.
//
//   retriable          the broker's table (error-codes.ts): the same request may succeed later, unchanged
//   leaderMoved        the metadata cache is wrong about a partition: refresh it, then retry (at the new leader)
//   controllerMoved    admin requests: the active controller moved: refresh metadata, retry
//   coordinatorMoved   the group or transaction coordinator moved: look it up again (FindCoordinator), retry
//   fetchSessionReset  the broker dropped or refuses the fetch session (KIP-227): start a new one, nothing else
//   fatalForJoin       JoinGroup / SyncGroup / ConsumerGroupHeartbeat: retrying cannot help, membership stops
//   fatalForCommit     OffsetCommit: retrying this commit cannot succeed; the caller hears the exact error
//   producerFenced     a newer producer with the same transactional id exists
//   fatalForTransaction  a transactional producer can only close
//
// The sets below follow the Java client of Kafka 4.3.1 (kafka-clients), read code by code; where the Java client
// differs by request, the comment says which way gregor goes and why. Each set is read-only and its members are
// named in error-codes.ts; test/unit/protocol/error-kinds.test.ts checks every name against the table.

import { ErrorCode, isRetriable } from './error-codes.js';

export { isRetriable };

/**
 * "The leader moved / metadata is stale": a partition-level answer after which the client refreshes metadata and
 * retries, at the leader the fresh metadata names. One set for Fetch, ListOffsets, OffsetForLeaderEpoch, Produce
 * and the metadata cache; before, three lists disagreed (the fetcher's had REPLICA_NOT_AVAILABLE, the offsets
 * module's did not; the cache's lacked UNKNOWN_LEADER_EPOCH).
 *
 * In the Java client these are the codes whose exception extends InvalidMetadataException (the producer's Sender
 * requests a metadata update for exactly those), plus the two retriable codes its consumer treats the same way in
 * ListOffsets and OffsetsForLeaderEpoch (OffsetFetcherUtils, OffsetsForLeaderEpochUtils: retry with a metadata
 * update) and, for OFFSET_NOT_AVAILABLE, in Fetch (FetchCollector.handleInitializeErrors).
 */
export const LEADER_MOVED_CODES: ReadonlySet<number> = new Set<number>([
  // The broker is no longer the leader (nor a follower, for fetch-from-follower, KIP-392): the leader moved.
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  // An election is in progress; the new leader appears in metadata shortly.
  ErrorCode.LEADER_NOT_AVAILABLE,
  // The broker does not host the partition: it moved, or the topic is being created or was deleted. Java retries
  // it everywhere after a refresh; a topic that really is gone shows up in the refreshed metadata instead.
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  // The replica is not (or no longer) on that broker (Java: InvalidMetadataException; Fetch refreshes).
  ErrorCode.REPLICA_NOT_AVAILABLE,
  // The partition's log directory went offline (KIP-112, JBOD): the controller moves leadership away from it.
  ErrorCode.KAFKA_STORAGE_ERROR,
  // The leader has no endpoint for the listener the request came in on: in Java an InvalidMetadataException,
  // seen while a broker restarts with its listeners not registered yet.
  ErrorCode.LISTENER_NOT_FOUND,
  // KIP-320: the request's leader epoch is older than the broker's: our metadata is behind, a new leader exists.
  ErrorCode.FENCED_LEADER_EPOCH,
  // KIP-320: the request's leader epoch is newer than the broker's: the broker has not caught up with the election
  // our metadata already knows. Java's Fetch path only retries it without a refresh, its ListOffsets and
  // OffsetsForLeaderEpoch paths refresh; gregor refreshes everywhere: refreshes are coalesced, and the cache never
  // goes back to an older epoch, so the cost is one Metadata request and it catches a leader that moved again.
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  // KIP-207: a new leader's high watermark has not caught up yet (ListOffsets latest, Fetch). Retriable, and Java
  // refreshes metadata for it in Fetch, ListOffsets and OffsetsForLeaderEpoch: the leader may have moved again.
  ErrorCode.OFFSET_NOT_AVAILABLE,
  // KIP-516: the broker does not know the topic id: the topic was deleted, or recreated with a new id, or the
  // broker has not seen it yet. Metadata tells which.
  ErrorCode.UNKNOWN_TOPIC_ID,
  // KIP-516: the topic id does not match the broker's log: the topic was recreated; the cache holds the old id.
  ErrorCode.INCONSISTENT_TOPIC_ID,
]);

/**
 * Not in LEADER_MOVED_CODES although Java's InvalidMetadataException covers them: NETWORK_EXCEPTION (gregor sees a
 * lost connection as a retriable ConnectionError from the network layer, and the caller refreshes on any failed
 * request anyway), and the ElectLeaders results ELECTION_NOT_NEEDED, ELIGIBLE_LEADERS_NOT_AVAILABLE and
 * PREFERRED_LEADER_NOT_AVAILABLE (admin answers about an election, not about where a partition lives).
 */
export function leaderMoved(code: number): boolean {
  return LEADER_MOVED_CODES.has(code);
}

/** NOT_CONTROLLER: admin requests that must go to the active controller (KIP-590 forwards most) find it moved. */
export function controllerMoved(code: number): boolean {
  return code === ErrorCode.NOT_CONTROLLER;
}

/** leaderMoved() or controllerMoved(): the metadata cache is wrong, a refresh is due before the retry. */
export function staleMetadata(code: number): boolean {
  return leaderMoved(code) || controllerMoved(code);
}

/**
 * The coordinator (group, transaction, share) is not where the client thinks: forget it, FindCoordinator again,
 * retry. In Java these two extend RefreshRetriableException and make every coordinator request call
 * markCoordinatorUnknown(). COORDINATOR_LOAD_IN_PROGRESS is not one of them: the coordinator is right, it is
 * still loading the group, so the same coordinator is asked again after a backoff.
 */
export const COORDINATOR_MOVED_CODES: ReadonlySet<number> = new Set<number>([
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);

export function coordinatorMoved(code: number): boolean {
  return COORDINATOR_MOVED_CODES.has(code);
}

/**
 * Top-level Fetch errors that only mean the fetch session (KIP-227) must start over with a full request: the
 * broker evicted it (FETCH_SESSION_ID_NOT_FOUND), its epoch went out of step (INVALID_FETCH_SESSION_EPOCH), or a
 * topic id changed under it (FETCH_SESSION_TOPIC_ID_ERROR, KIP-516).
 */
export const FETCH_SESSION_RESET_CODES: ReadonlySet<number> = new Set<number>([
  ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
  ErrorCode.INVALID_FETCH_SESSION_EPOCH,
  ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR,
]);

export function fetchSessionReset(code: number): boolean {
  return FETCH_SESSION_RESET_CODES.has(code);
}

/**
 * Answers to JoinGroup, SyncGroup (classic) and ConsumerGroupHeartbeat (KIP-848) after which joining again cannot
 * succeed without the application changing something: the membership stops, its partitions are lost, and the
 * application hears the error. Java: AbstractCoordinator's JoinGroup handler (INCONSISTENT_GROUP_PROTOCOL,
 * INVALID_SESSION_TIMEOUT, INVALID_GROUP_ID, GROUP_AUTHORIZATION_FAILED, GROUP_MAX_SIZE_REACHED, FENCED_INSTANCE_ID,
 * UNSUPPORTED_VERSION) and the KIP-848 heartbeat manager's fatal answers (TOPIC_AUTHORIZATION_FAILED,
 * INVALID_REQUEST, UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR, INVALID_REGULAR_EXPRESSION). None is retriable in
 * the broker's table; the set names them so a reader sees the decision, not a fall-through.
 */
export const FATAL_FOR_JOIN_CODES: ReadonlySet<number> = new Set<number>([
  ErrorCode.INCONSISTENT_GROUP_PROTOCOL, // no protocol in common with the group's members
  ErrorCode.INVALID_GROUP_ID,
  ErrorCode.INVALID_SESSION_TIMEOUT, // outside group.min/max.session.timeout.ms
  ErrorCode.TOPIC_AUTHORIZATION_FAILED, // KIP-848: a subscribed topic may not be described
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.UNSUPPORTED_VERSION,
  ErrorCode.INVALID_REQUEST, // KIP-848: the heartbeat's fields do not fit the member's state
  ErrorCode.GROUP_MAX_SIZE_REACHED, // KIP-389
  ErrorCode.FENCED_INSTANCE_ID, // KIP-345: another member took this group.instance.id
  ErrorCode.UNRELEASED_INSTANCE_ID, // KIP-848: the group.instance.id is still held by a member that has not left
  ErrorCode.UNSUPPORTED_ASSIGNOR, // KIP-848: group.remote.assignor names no assignor the broker has
  ErrorCode.INVALID_REGULAR_EXPRESSION, // KIP-848: the subscription pattern is not valid RE2/J
]);

export function fatalForJoin(code: number): boolean {
  return FATAL_FOR_JOIN_CODES.has(code);
}

/**
 * OffsetCommit answers after which retrying the same commit cannot succeed; the commit rejects with the broker's
 * error. Java's ConsumerCoordinator raises these to the caller without a retry: authorization and size errors as
 * they are; FENCED_INSTANCE_ID fatal; REBALANCE_IN_PROGRESS (commit after the rebalance completes),
 * UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION (CommitFailedException: the generation is gone, a rejoin follows).
 * KIP-848 adds the member-epoch pair: FENCED_MEMBER_EPOCH (the member must rejoin) and STALE_MEMBER_EPOCH (the
 * commit carried an epoch the coordinator moved past). Retriable answers (COORDINATOR_LOAD_IN_PROGRESS,
 * UNKNOWN_TOPIC_OR_PARTITION, REQUEST_TIMED_OUT, coordinatorMoved()) are retried until the commit's deadline.
 */
export const FATAL_FOR_COMMIT_CODES: ReadonlySet<number> = new Set<number>([
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.OFFSET_METADATA_TOO_LARGE, // the metadata string exceeds offset.metadata.max.bytes
  ErrorCode.INVALID_COMMIT_OFFSET_SIZE, // the commit is larger than the offsets topic's segment allows
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.FENCED_MEMBER_EPOCH,
  ErrorCode.STALE_MEMBER_EPOCH,
]);

export function fatalForCommit(code: number): boolean {
  return FATAL_FOR_COMMIT_CODES.has(code);
}

/**
 * "A newer producer with this transactional id exists": PRODUCER_FENCED (KIP-588, brokers from 2.7 answer
 * EndTxn, AddPartitionsToTxn and TxnOffsetCommit with it) and INVALID_PRODUCER_EPOCH (what Produce and older
 * brokers answer for the same situation). Java's TransactionManager treats both as ProducerFencedException.
 */
export function producerFenced(code: number): boolean {
  return code === ErrorCode.PRODUCER_FENCED || code === ErrorCode.INVALID_PRODUCER_EPOCH;
}

/**
 * Errors after which a transactional producer can do nothing but close (Java's TransactionManager moves to
 * FATAL_ERROR for them): fenced (producerFenced(), TRANSACTION_COORDINATOR_FENCED), not authorized for the
 * transactional id or the cluster, a producer id the coordinator no longer maps, a state the coordinator refuses,
 * and a broker too old for transactions.
 */
export const FATAL_FOR_TRANSACTION_CODES: ReadonlySet<number> = new Set<number>([
  ErrorCode.PRODUCER_FENCED,
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTION_COORDINATOR_FENCED,
  ErrorCode.INVALID_PRODUCER_ID_MAPPING,
  ErrorCode.INVALID_TXN_STATE,
  ErrorCode.UNSUPPORTED_VERSION,
  ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
]);

export function fatalForTransaction(code: number): boolean {
  return FATAL_FOR_TRANSACTION_CODES.has(code);
}

/**
 * The broker's authorizer refused the principal: the request fails the same way until the ACLs change, so nothing
 * retries it (the codes are not retriable in the table) and kafkaError() gives the typed AuthorizationError
 * subclasses. Java: the AuthorizationException family.
 */
export const AUTHORIZATION_FAILED_CODES: ReadonlySet<number> = new Set<number>([
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
]);

export function authorizationFailed(code: number): boolean {
  return AUTHORIZATION_FAILED_CODES.has(code);
}
