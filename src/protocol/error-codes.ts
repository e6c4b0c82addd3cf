// Every Kafka error code, as one table: code, name, retriable, a short description.
//
// Codes, names and the retriable flag follow Kafka 4.3.1's protocol error table
// (https://kafka.apache.org/protocol#protocol_error_codes; "retriable" is the column of that table: the Java
// client's exception for the code extends RetriableException). The descriptions are gregor's own, kept short: they
// end up in KafkaError messages next to the name, which is what people search for.
//
// Retriable here means "the same request may succeed later without the application changing anything" (a leader
// moved, a coordinator is loading). Some non-retriable codes are still handled by the client (UNKNOWN_MEMBER_ID
// makes a group member rejoin, OFFSET_OUT_OF_RANGE triggers the reset policy); callers branch on the named
// constants below for those.

import {
  ClusterAuthorizationError, GroupAuthorizationError, KafkaError, TopicAuthorizationError, TransactionalIdAuthorizationError,
  type GregorErrorOptions,
} from '../errors.js';

export interface ErrorCodeInfo {
  readonly code: number;
  readonly name: string;
  readonly retriable: boolean;
  readonly message: string;
}

type Row = readonly [code: number, name: string, retriable: boolean, message: string];

// prettier-ignore
const ROWS: readonly Row[] = [
  [-1, 'UNKNOWN_SERVER_ERROR', false, 'the broker hit an unexpected error while handling the request'],
  [0, 'NONE', false, 'no error'],
  [1, 'OFFSET_OUT_OF_RANGE', false, 'the requested offset is outside the partition\'s log range'],
  [2, 'CORRUPT_MESSAGE', true, 'a message failed its CRC, is too large, or is otherwise malformed'],
  [3, 'UNKNOWN_TOPIC_OR_PARTITION', true, 'this broker does not host the topic-partition'],
  [4, 'INVALID_FETCH_SIZE', false, 'the requested fetch size is invalid'],
  [5, 'LEADER_NOT_AVAILABLE', true, 'the partition has no leader right now (an election is in progress)'],
  [6, 'NOT_LEADER_OR_FOLLOWER', true, 'this broker is not the leader or a follower of the partition; metadata is stale'],
  [7, 'REQUEST_TIMED_OUT', true, 'the request timed out on the broker'],
  [8, 'BROKER_NOT_AVAILABLE', false, 'the broker is not available'],
  [9, 'REPLICA_NOT_AVAILABLE', true, 'the replica is not available for the requested partition'],
  [10, 'MESSAGE_TOO_LARGE', false, 'the request included a message larger than the broker accepts'],
  [11, 'STALE_CONTROLLER_EPOCH', false, 'the controller moved to another broker'],
  [12, 'OFFSET_METADATA_TOO_LARGE', false, 'the metadata attached to the committed offset is too large'],
  [13, 'NETWORK_EXCEPTION', true, 'the broker disconnected before a response was received'],
  [14, 'COORDINATOR_LOAD_IN_PROGRESS', true, 'the coordinator is still loading its state'],
  [15, 'COORDINATOR_NOT_AVAILABLE', true, 'the coordinator is not available'],
  [16, 'NOT_COORDINATOR', true, 'this broker is not the coordinator for the group or transaction'],
  [17, 'INVALID_TOPIC_EXCEPTION', false, 'the topic name is invalid or the operation is not allowed on it'],
  [18, 'RECORD_LIST_TOO_LARGE', false, 'the record batch is larger than the segment size'],
  [19, 'NOT_ENOUGH_REPLICAS', true, 'fewer in-sync replicas than required; the write was rejected'],
  [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', true, 'the write was appended with fewer in-sync replicas than required'],
  [21, 'INVALID_REQUIRED_ACKS', false, 'the requested acks value is invalid'],
  [22, 'ILLEGAL_GENERATION', false, 'the group generation id is not the current one'],
  [23, 'INCONSISTENT_GROUP_PROTOCOL', false, 'the member\'s protocol type or protocols do not match the group'],
  [24, 'INVALID_GROUP_ID', false, 'the group id is invalid'],
  [25, 'UNKNOWN_MEMBER_ID', false, 'the coordinator does not know this member id'],
  [26, 'INVALID_SESSION_TIMEOUT', false, 'the session timeout is outside the broker\'s allowed range'],
  [27, 'REBALANCE_IN_PROGRESS', false, 'the group is rebalancing; the member must rejoin'],
  [28, 'INVALID_COMMIT_OFFSET_SIZE', false, 'the committing offset data size is invalid'],
  [29, 'TOPIC_AUTHORIZATION_FAILED', false, 'not authorized to access the topic'],
  [30, 'GROUP_AUTHORIZATION_FAILED', false, 'not authorized to access the group'],
  [31, 'CLUSTER_AUTHORIZATION_FAILED', false, 'not authorized for this cluster operation'],
  [32, 'INVALID_TIMESTAMP', false, 'the record timestamp is outside the accepted range'],
  [33, 'UNSUPPORTED_SASL_MECHANISM', false, 'the broker does not support the requested SASL mechanism'],
  [34, 'ILLEGAL_SASL_STATE', false, 'the request is not valid in the current SASL state'],
  [35, 'UNSUPPORTED_VERSION', false, 'the broker does not support this API version'],
  [36, 'TOPIC_ALREADY_EXISTS', false, 'a topic with this name already exists'],
  [37, 'INVALID_PARTITIONS', false, 'the number of partitions is invalid'],
  [38, 'INVALID_REPLICATION_FACTOR', false, 'the replication factor is invalid'],
  [39, 'INVALID_REPLICA_ASSIGNMENT', false, 'the replica assignment is invalid'],
  [40, 'INVALID_CONFIG', false, 'the configuration is invalid'],
  [41, 'NOT_CONTROLLER', true, 'this broker is not the active controller'],
  [42, 'INVALID_REQUEST', false, 'the request is malformed or not valid for this broker (see the broker log)'],
  [43, 'UNSUPPORTED_FOR_MESSAGE_FORMAT', false, 'the message format on the broker does not support this request'],
  [44, 'POLICY_VIOLATION', false, 'the request breaks a policy configured on the broker'],
  [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', false, 'the broker received a producer sequence number out of order'],
  [46, 'DUPLICATE_SEQUENCE_NUMBER', false, 'the broker received a duplicate producer sequence number'],
  [47, 'INVALID_PRODUCER_EPOCH', false, 'the producer epoch is older than the current one (the producer was fenced)'],
  [48, 'INVALID_TXN_STATE', false, 'the operation is not valid in the transaction\'s current state'],
  [49, 'INVALID_PRODUCER_ID_MAPPING', false, 'the producer id does not match the transactional id'],
  [50, 'INVALID_TRANSACTION_TIMEOUT', false, 'the transaction timeout exceeds transaction.max.timeout.ms'],
  [51, 'CONCURRENT_TRANSACTIONS', true, 'another operation on this transactional id is still in progress'],
  [52, 'TRANSACTION_COORDINATOR_FENCED', false, 'a newer transaction coordinator exists for this transactional id'],
  [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', false, 'not authorized for the transactional id'],
  [54, 'SECURITY_DISABLED', false, 'security features are disabled on the broker'],
  [55, 'OPERATION_NOT_ATTEMPTED', false, 'the broker did not attempt the operation because another part of the batch failed'],
  [56, 'KAFKA_STORAGE_ERROR', true, 'a disk error occurred on the broker while accessing the log'],
  [57, 'LOG_DIR_NOT_FOUND', false, 'the user-specified log directory was not found on the broker'],
  [58, 'SASL_AUTHENTICATION_FAILED', false, 'SASL authentication failed'],
  [59, 'UNKNOWN_PRODUCER_ID', false, 'the broker has no state for this producer id'],
  [60, 'REASSIGNMENT_IN_PROGRESS', false, 'a partition reassignment is in progress'],
  [61, 'DELEGATION_TOKEN_AUTH_DISABLED', false, 'delegation token authentication is disabled'],
  [62, 'DELEGATION_TOKEN_NOT_FOUND', false, 'the delegation token was not found'],
  [63, 'DELEGATION_TOKEN_OWNER_MISMATCH', false, 'the principal is not the owner or renewer of the delegation token'],
  [64, 'DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', false, 'delegation token requests are not allowed on this connection type'],
  [65, 'DELEGATION_TOKEN_AUTHORIZATION_FAILED', false, 'not authorized for the delegation token operation'],
  [66, 'DELEGATION_TOKEN_EXPIRED', false, 'the delegation token has expired'],
  [67, 'INVALID_PRINCIPAL_TYPE', false, 'the principal type is not supported'],
  [68, 'NON_EMPTY_GROUP', false, 'the group is not empty'],
  [69, 'GROUP_ID_NOT_FOUND', false, 'the group id does not exist'],
  [70, 'FETCH_SESSION_ID_NOT_FOUND', true, 'the fetch session id was not found (KIP-227)'],
  [71, 'INVALID_FETCH_SESSION_EPOCH', true, 'the fetch session epoch is invalid (KIP-227)'],
  [72, 'LISTENER_NOT_FOUND', true, 'the leader has no endpoint for the listener the request came in on'],
  [73, 'TOPIC_DELETION_DISABLED', false, 'topic deletion is disabled on the broker'],
  [74, 'FENCED_LEADER_EPOCH', true, 'the request\'s leader epoch is older than the broker\'s (KIP-320)'],
  [75, 'UNKNOWN_LEADER_EPOCH', true, 'the request\'s leader epoch is newer than the broker\'s (KIP-320)'],
  [76, 'UNSUPPORTED_COMPRESSION_TYPE', false, 'the requesting client does not support the compression type'],
  [77, 'STALE_BROKER_EPOCH', false, 'the broker epoch has changed'],
  [78, 'OFFSET_NOT_AVAILABLE', true, 'the leader high watermark has not caught up after an election'],
  [79, 'MEMBER_ID_REQUIRED', false, 'the group member must rejoin with the member id the coordinator assigned (KIP-394)'],
  [80, 'PREFERRED_LEADER_NOT_AVAILABLE', true, 'the preferred leader was not available'],
  [81, 'GROUP_MAX_SIZE_REACHED', false, 'the group has reached its maximum size'],
  [82, 'FENCED_INSTANCE_ID', false, 'another member with the same group.instance.id fenced this one (KIP-345)'],
  [83, 'ELIGIBLE_LEADERS_NOT_AVAILABLE', true, 'no eligible leader for the partition'],
  [84, 'ELECTION_NOT_NEEDED', true, 'the leader election is not needed'],
  [85, 'NO_REASSIGNMENT_IN_PROGRESS', false, 'no partition reassignment is in progress'],
  [86, 'GROUP_SUBSCRIBED_TO_TOPIC', false, 'the group is subscribed to the topic, so its offsets cannot be deleted'],
  [87, 'INVALID_RECORD', false, 'the record failed the broker\'s validation'],
  [88, 'UNSTABLE_OFFSET_COMMIT', true, 'there are unstable offsets that need to be cleared (a transaction is pending)'],
  [89, 'THROTTLING_QUOTA_EXCEEDED', true, 'the throttling quota was exceeded'],
  [90, 'PRODUCER_FENCED', false, 'a newer producer with the same transactional id fenced this one'],
  [91, 'RESOURCE_NOT_FOUND', false, 'the request referred to a resource that does not exist'],
  [92, 'DUPLICATE_RESOURCE', false, 'the request referred to the same resource twice'],
  [93, 'UNACCEPTABLE_CREDENTIAL', false, 'the requested credential does not meet the criteria for acceptability'],
  [94, 'INCONSISTENT_VOTER_SET', false, 'the voter is not part of the quorum\'s voter set'],
  [95, 'INVALID_UPDATE_VERSION', false, 'the given update version is invalid'],
  [96, 'FEATURE_UPDATE_FAILED', false, 'the feature update failed due to a server error'],
  [97, 'PRINCIPAL_DESERIALIZATION_FAILURE', false, 'the forwarded request\'s principal could not be deserialized'],
  [98, 'SNAPSHOT_NOT_FOUND', false, 'the requested snapshot was not found'],
  [99, 'POSITION_OUT_OF_RANGE', false, 'the requested position is outside the snapshot'],
  [100, 'UNKNOWN_TOPIC_ID', true, 'this broker does not know the topic id'],
  [101, 'DUPLICATE_BROKER_REGISTRATION', false, 'a broker with this id is already registered'],
  [102, 'BROKER_ID_NOT_REGISTERED', false, 'the broker id is not registered'],
  [103, 'INCONSISTENT_TOPIC_ID', true, 'the topic id in the request does not match the topic id in the log'],
  [104, 'INCONSISTENT_CLUSTER_ID', false, 'the cluster id in the request does not match the broker\'s'],
  [105, 'TRANSACTIONAL_ID_NOT_FOUND', false, 'the transactional id was not found'],
  [106, 'FETCH_SESSION_TOPIC_ID_ERROR', true, 'the fetch session saw a topic id change or a mix of requests with and without topic ids'],
  [107, 'INELIGIBLE_REPLICA', false, 'the new ISR contains at least one ineligible replica'],
  [108, 'NEW_LEADER_ELECTED', false, 'the AlterPartition request succeeded but a new leader was elected'],
  [109, 'OFFSET_MOVED_TO_TIERED_STORAGE', false, 'the requested offset has moved to tiered storage'],
  [110, 'FENCED_MEMBER_EPOCH', false, 'the member epoch is fenced by the coordinator; the member must rejoin with epoch 0 (KIP-848)'],
  [111, 'UNRELEASED_INSTANCE_ID', false, 'the instance id is still used by another member (KIP-848)'],
  [112, 'UNSUPPORTED_ASSIGNOR', false, 'the requested server-side assignor is not supported (KIP-848)'],
  [113, 'STALE_MEMBER_EPOCH', false, 'the member epoch is stale; the member should retry with its current epoch (KIP-848)'],
  [114, 'MISMATCHED_ENDPOINT_TYPE', false, 'the request was sent to an endpoint of the wrong type'],
  [115, 'UNSUPPORTED_ENDPOINT_TYPE', false, 'this endpoint type is not supported yet'],
  [116, 'UNKNOWN_CONTROLLER_ID', false, 'this controller id is not known'],
  [117, 'UNKNOWN_SUBSCRIPTION_ID', false, 'the client telemetry subscription id is unknown (KIP-714)'],
  [118, 'TELEMETRY_TOO_LARGE', false, 'the client telemetry payload is too large (KIP-714)'],
  [119, 'INVALID_REGISTRATION', false, 'the controller considers the broker registration invalid'],
  [120, 'TRANSACTION_ABORTABLE', false, 'the transaction must be aborted by the producer; it cannot commit (KIP-890)'],
  [121, 'INVALID_RECORD_STATE', false, 'the record state is invalid; the acknowledgement was rejected (KIP-932)'],
  [122, 'SHARE_SESSION_NOT_FOUND', true, 'the share session was not found (KIP-932)'],
  [123, 'INVALID_SHARE_SESSION_EPOCH', true, 'the share session epoch is invalid (KIP-932)'],
  [124, 'FENCED_STATE_EPOCH', false, 'the share coordinator rejected the request because the share-group state epoch did not match'],
  [125, 'INVALID_VOTER_KEY', false, 'the voter key does not match the receiving replica\'s key'],
  [126, 'DUPLICATE_VOTER', false, 'the voter is already part of the voter set'],
  [127, 'VOTER_NOT_FOUND', false, 'the voter is not part of the voter set'],
  [128, 'INVALID_REGULAR_EXPRESSION', false, 'the regular expression is not valid (KIP-848 subscriptions use RE2/J syntax)'],
  [129, 'REBOOTSTRAP_REQUIRED', false, 'client metadata is stale; the client must rebootstrap (KIP-1102)'],
  [130, 'STREAMS_INVALID_TOPOLOGY', false, 'the supplied Streams topology is invalid'],
  [131, 'STREAMS_INVALID_TOPOLOGY_EPOCH', false, 'the supplied Streams topology epoch is invalid'],
  [132, 'STREAMS_TOPOLOGY_FENCED', false, 'the supplied Streams topology epoch is outdated'],
  [133, 'SHARE_SESSION_LIMIT_REACHED', true, 'the broker\'s limit of share sessions has been reached'],
];

const BY_CODE = new Map<number, ErrorCodeInfo>();
const BY_NAME = new Map<string, ErrorCodeInfo>();
for (const [code, name, retriable, message] of ROWS) {
  const info: ErrorCodeInfo = Object.freeze({ code, name, retriable, message });
  BY_CODE.set(code, info);
  BY_NAME.set(name, info);
}

/** Every known error code, in code order. */
export const ERROR_CODES: readonly ErrorCodeInfo[] = Object.freeze([...BY_CODE.values()]);

/** Named constants for the codes the client branches on. */
export const ErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  REPLICA_NOT_AVAILABLE: 9,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  OPERATION_NOT_ATTEMPTED: 55,
  KAFKA_STORAGE_ERROR: 56,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  LISTENER_NOT_FOUND: 72,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  OFFSET_NOT_AVAILABLE: 78,
  MEMBER_ID_REQUIRED: 79,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  ELECTION_NOT_NEEDED: 84,
  NO_REASSIGNMENT_IN_PROGRESS: 85,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  THROTTLING_QUOTA_EXCEEDED: 89,
  PRODUCER_FENCED: 90,
  UNKNOWN_TOPIC_ID: 100,
  INCONSISTENT_TOPIC_ID: 103,
  FETCH_SESSION_TOPIC_ID_ERROR: 106,
  OFFSET_MOVED_TO_TIERED_STORAGE: 109,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
  UNKNOWN_SUBSCRIPTION_ID: 117,
  TELEMETRY_TOO_LARGE: 118,
  TRANSACTION_ABORTABLE: 120,
  INVALID_RECORD_STATE: 121,
  INVALID_REGULAR_EXPRESSION: 128,
  REBOOTSTRAP_REQUIRED: 129,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

/** The table entry for a code, or undefined for a code this version of gregor does not know. */
export function errorInfo(code: number): ErrorCodeInfo | undefined {
  return BY_CODE.get(code);
}

/** The table entry for a name such as 'NOT_COORDINATOR'. */
export function errorInfoByName(name: string): ErrorCodeInfo | undefined {
  return BY_NAME.get(name);
}

/** The name of a code; unknown codes get `UNKNOWN_ERROR_CODE_<n>` so they still show up clearly in logs. */
export function errorName(code: number): string {
  return BY_CODE.get(code)?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
}

/** Whether the broker's table marks the code retriable. Unknown codes are not retriable. */
export function isRetriable(code: number): boolean {
  return BY_CODE.get(code)?.retriable ?? false;
}

export interface KafkaErrorOptions extends GregorErrorOptions {
  /**
   * What an authorization failure may be about; the code picks one: `topic` (name or names) for
   * TOPIC_AUTHORIZATION_FAILED, `group` for GROUP_AUTHORIZATION_FAILED, `transactionalId` for
   * TRANSACTIONAL_ID_AUTHORIZATION_FAILED. Ignored for other codes, so a caller passes what it knows.
   */
  topic?: string | readonly string[];
  group?: string;
  transactionalId?: string;
}

/**
 * A typed KafkaError for a non-zero error code. `context` says what was being done ("Fetch topic t partition 3");
 * `brokerMessage` is the optional errorMessage string some responses carry. The four authorization codes give
 * their own classes (TopicAuthorizationError, ... in errors.ts) naming the resource from `options`.
 */
export function kafkaError(code: number, context?: string, brokerMessage?: string | null, options: KafkaErrorOptions = {}): KafkaError {
  const info = BY_CODE.get(code);
  const name = info?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
  let message = `${name} (${code}): ${info?.message ?? 'an error code this client does not know'}`;
  if (context) message = `${context}: ${message}`;
  if (brokerMessage) message += ` (broker: ${brokerMessage})`;
  const { topic, group, transactionalId, ...rest } = options;
  const opts: GregorErrorOptions = { retriable: info?.retriable ?? false, ...rest };
  switch (code) {
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
      return new TopicAuthorizationError(code, name, message, topic === undefined ? [] : typeof topic === 'string' ? [topic] : topic, opts);
    case ErrorCode.GROUP_AUTHORIZATION_FAILED: return new GroupAuthorizationError(code, name, message, group, opts);
    case ErrorCode.CLUSTER_AUTHORIZATION_FAILED: return new ClusterAuthorizationError(code, name, message, opts);
    case ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED: return new TransactionalIdAuthorizationError(code, name, message, transactionalId, opts);
    default: return new KafkaError(code, name, message, opts);
  }
}

/** Throws kafkaError(code, ...) unless code is NONE. */
export function throwIfError(code: number, context?: string, brokerMessage?: string | null): void {
  if (code !== ErrorCode.NONE) throw kafkaError(code, context, brokerMessage);
}
