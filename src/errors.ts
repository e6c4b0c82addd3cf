// Client errors: a small set of classes with stable string codes and a `cause`.
//
// Why a brand instead of relying on `instanceof` alone: an application can end up with two copies of gregor
// (nested node_modules), and `instanceof` fails across copies. `isGregorError()` checks a `Symbol.for` brand,
// which is shared by every copy in the process (the same trick undici uses).

const BRAND = Symbol.for('gregor.error');

/** Stable codes; applications may switch on them. Never renamed once released. */
export type GregorErrorCode =
  | 'ERR_CONFIG' // a configuration property is unknown, has a bad value, or properties conflict
  | 'ERR_STATE' // a call made in a state where it is not allowed (e.g. poll() after close())
  | 'ERR_PROTOCOL' // bytes from the network that do not decode, or a response that breaks the protocol
  | 'ERR_CORRUPT_RECORD' // a record batch failed its CRC or is malformed; names topic, partition and offsets
  | 'ERR_KAFKA' // the broker answered with a Kafka error code
  | 'ERR_TOPIC_AUTHORIZATION' // TOPIC_AUTHORIZATION_FAILED: the principal may not use these topics (`topics`)
  | 'ERR_GROUP_AUTHORIZATION' // GROUP_AUTHORIZATION_FAILED: the principal may not use this group (`groupId`)
  | 'ERR_CLUSTER_AUTHORIZATION' // CLUSTER_AUTHORIZATION_FAILED: a cluster-level operation is not allowed
  | 'ERR_TRANSACTIONAL_ID_AUTHORIZATION' // TRANSACTIONAL_ID_AUTHORIZATION_FAILED (`transactionalId`)
  | 'ERR_CONNECTION' // a socket could not be opened, or closed under an in-flight request
  | 'ERR_TIMEOUT' // a request or wait exceeded its deadline
  | 'ERR_AUTHENTICATION' // SASL failed: wrong credentials, unsupported mechanism
  | 'ERR_TLS' // TLS handshake refused: untrusted CA, wrong host name, bad client certificate
  | 'ERR_UNSUPPORTED' // the broker does not support a needed API version, or a feature is not available
  | 'ERR_ABORTED' // an operation was cancelled with an AbortSignal or by close()
  | 'ERR_HANDLER' // an application handler given to consumer.run() failed and its retry policy gave up
  | 'ERR_ACKNOWLEDGEMENT' // a share consumer's acknowledgements were refused by the broker (KIP-932)
  | 'ERR_DEAD_LETTER' // gregor.error.policy=dead-letter: writing a failed record to the dead-letter topic failed
  | 'ERR_DESERIALIZATION'; // a key.deserializer or value.deserializer failed for a record (topic, partition, offset)

/** What every error's constructor takes besides its message. */
export interface GregorErrorOptions {
  /** The underlying error (`error.cause`). */
  cause?: unknown;
  /** True when retrying the same operation may succeed (a leader moved, a coordinator is loading). */
  retriable?: boolean;
}

/**
 * The base of every error gregor throws or emits: a stable `code` to switch on, `retriable`, and the standard
 * `cause`. Test with {@link isGregorError} rather than `instanceof` when two copies of gregor may be loaded.
 */
export class GregorError extends Error {
  /** Stable code ({@link GregorErrorCode}): what kind of failure this is. */
  readonly code: GregorErrorCode;
  /** True when retrying the same operation may succeed (a leader moved, a coordinator is loading, a timeout). */
  readonly retriable: boolean;

  constructor(code: GregorErrorCode, message: string, options: GregorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The class name (`'KafkaError'`, `'TimeoutError'`, ...), also on errors from another copy of gregor. */
  override get name(): string {
    return this.constructor.name;
  }

  /** Serialised errors carry code and message only: never configuration, so never credentials. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retriable: this.retriable };
  }
}

/** True for any error gregor made, from this copy of gregor or another one in the process (a `Symbol.for` brand). */
export function isGregorError(value: unknown): value is GregorError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** A configuration property is unknown, has a bad value, or properties conflict (`ERR_CONFIG`). */
export class ConfigError extends GregorError {
  /** The property the problem is about, when there is one. */
  readonly property: string | undefined;
  constructor(message: string, property?: string, options?: GregorErrorOptions) {
    super('ERR_CONFIG', message, options);
    this.property = property;
  }
}

/** A call made in a state where it is not allowed, e.g. poll() after close() (`ERR_STATE`). */
export class StateError extends GregorError {
  constructor(message: string, options?: GregorErrorOptions) {
    super('ERR_STATE', message, options);
  }
}

/** A group member as a {@link GroupNotEmptyError} names it. */
export interface GroupMemberRef {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
}

/**
 * A change only an inactive group may take (resetting its offsets) was asked of a group with members (`ERR_STATE`).
 * Kafka's rule: the state must be Empty or Dead. `members` names who is still in it.
 */
export class GroupNotEmptyError extends StateError {
  constructor(readonly groupId: string, readonly state: string, readonly members: readonly GroupMemberRef[], message?: string) {
    const who = members.map((m) => `${m.memberId} (${m.clientId}@${m.clientHost})`).join(', ');
    super(message ?? `group '${groupId}' is ${state} with ${members.length} member${members.length === 1 ? '' : 's'}: ${who}; offsets can only be reset while the group is inactive (Empty): stop its consumers first`);
  }
}

/** Bytes from the network that do not decode, or a response that breaks the protocol (`ERR_PROTOCOL`). */
export class ProtocolError extends GregorError {
  constructor(message: string, options?: GregorErrorOptions) {
    super('ERR_PROTOCOL', message, options);
  }
}

/** A record batch that cannot be trusted. The position is never advanced past it silently. */
export class CorruptRecordError extends GregorError {
  /** The topic of the batch, when known. */
  readonly topic: string | undefined;
  /** The partition of the batch, when known. */
  readonly partition: number | undefined;
  /** First offset of the bad batch, when it could be read. */
  readonly baseOffset: bigint | undefined;
  /** Last offset the batch claims to hold, when it could be read. */
  readonly lastOffset: bigint | undefined;
  constructor(
    message: string,
    where: { topic?: string; partition?: number; baseOffset?: bigint; lastOffset?: bigint } = {},
    options?: GregorErrorOptions,
  ) {
    super('ERR_CORRUPT_RECORD', message, options);
    this.topic = where.topic;
    this.partition = where.partition;
    this.baseOffset = where.baseOffset;
    this.lastOffset = where.lastOffset;
  }
}

/** The broker answered with a Kafka error code (see src/protocol/error-codes.ts for the table). */
export class KafkaError extends GregorError {
  /** The broker's numeric error code (Kafka's Errors table). */
  readonly errorCode: number;
  /** The error code's name in Kafka's table, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  readonly errorName: string;
  constructor(errorCode: number, errorName: string, message: string, options?: GregorErrorOptions, code: GregorErrorCode = 'ERR_KAFKA') {
    super(code, message, options);
    this.errorCode = errorCode;
    this.errorName = errorName;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errorCode: this.errorCode, errorName: this.errorName };
  }
}

/**
 * The broker's authorizer refused the principal (ACLs). Never retriable: the same request fails the same way until
 * someone changes the ACLs, so the client reports it at once instead of retrying (Java's AuthorizationException).
 * Still a KafkaError: `errorCode` and `errorName` are the broker's. `resources` names what was refused (topic
 * names, the group id, the transactional id; empty for the cluster).
 */
export abstract class AuthorizationError extends KafkaError {
  /** The kind of resource the ACLs refused. */
  abstract readonly resourceType: 'topic' | 'group' | 'cluster' | 'transactional-id';
  /** What was refused: topic names, the group id, the transactional id; empty for the cluster. */
  readonly resources: readonly string[];
  constructor(code: GregorErrorCode, errorCode: number, errorName: string, message: string, resources: readonly string[], options?: GregorErrorOptions) {
    super(errorCode, errorName, message, { ...options, retriable: false }, code);
    this.resources = Object.freeze([...resources]);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), resourceType: this.resourceType, resources: this.resources };
  }
}

/** TOPIC_AUTHORIZATION_FAILED: no ACL lets the principal describe, read or write `topics`. */
export class TopicAuthorizationError extends AuthorizationError {
  readonly resourceType = 'topic' as const;
  constructor(errorCode: number, errorName: string, message: string, topics: readonly string[], options?: GregorErrorOptions) {
    super('ERR_TOPIC_AUTHORIZATION', errorCode, errorName, message, topics, options);
  }
  /** The topics the principal may not use. */
  get topics(): readonly string[] {
    return this.resources;
  }
}

/** GROUP_AUTHORIZATION_FAILED: no ACL lets the principal describe or read the consumer group `groupId`. */
export class GroupAuthorizationError extends AuthorizationError {
  readonly resourceType = 'group' as const;
  constructor(errorCode: number, errorName: string, message: string, groupId: string | undefined, options?: GregorErrorOptions) {
    super('ERR_GROUP_AUTHORIZATION', errorCode, errorName, message, groupId === undefined ? [] : [groupId], options);
  }
  /** The group the principal may not use, when the request named one. */
  get groupId(): string | undefined {
    return this.resources[0];
  }
}

/** CLUSTER_AUTHORIZATION_FAILED: a cluster-level operation (create topics, idempotent write before 2.8, ...). */
export class ClusterAuthorizationError extends AuthorizationError {
  readonly resourceType = 'cluster' as const;
  constructor(errorCode: number, errorName: string, message: string, options?: GregorErrorOptions) {
    super('ERR_CLUSTER_AUTHORIZATION', errorCode, errorName, message, [], options);
  }
}

/** TRANSACTIONAL_ID_AUTHORIZATION_FAILED: no ACL lets the principal use `transactionalId`. */
export class TransactionalIdAuthorizationError extends AuthorizationError {
  readonly resourceType = 'transactional-id' as const;
  constructor(errorCode: number, errorName: string, message: string, transactionalId: string | undefined, options?: GregorErrorOptions) {
    super('ERR_TRANSACTIONAL_ID_AUTHORIZATION', errorCode, errorName, message, transactionalId === undefined ? [] : [transactionalId], options);
  }
  /** The transactional id the principal may not use, when the request named one. */
  get transactionalId(): string | undefined {
    return this.resources[0];
  }
}

/** A socket could not be opened, or closed under an in-flight request (`ERR_CONNECTION`, retriable). */
export class ConnectionError extends GregorError {
  /** host:port of the broker, never credentials. */
  readonly broker: string | undefined;
  constructor(message: string, broker?: string, options?: GregorErrorOptions) {
    super('ERR_CONNECTION', message, { retriable: true, ...options });
    this.broker = broker;
  }
}

/** A request or wait exceeded its deadline (`ERR_TIMEOUT`, retriable). */
export class TimeoutError extends GregorError {
  constructor(message: string, options?: GregorErrorOptions) {
    super('ERR_TIMEOUT', message, { retriable: true, ...options });
  }
}

/** SASL failed: wrong credentials or an unsupported mechanism (`ERR_AUTHENTICATION`, never retriable). */
export class AuthenticationError extends GregorError {
  constructor(message: string, options?: GregorErrorOptions) {
    // Not retriable: retrying a wrong password only produces a storm of failed logins.
    super('ERR_AUTHENTICATION', message, { retriable: false, ...options });
  }
}

/** The TLS handshake was refused: untrusted CA, wrong host name, bad client certificate (`ERR_TLS`). */
export class TlsError extends GregorError {
  constructor(message: string, options?: GregorErrorOptions) {
    super('ERR_TLS', message, { retriable: false, ...options });
  }
}

/**
 * The broker does not support an API version gregor needs, or a feature is not available here (e.g. the producer's
 * snappy or lz4 encoding without its optional package) (`ERR_UNSUPPORTED`).
 */
export class UnsupportedError extends GregorError {
  constructor(message: string, options?: GregorErrorOptions) {
    super('ERR_UNSUPPORTED', message, options);
  }
}

/** An operation was cancelled with an AbortSignal or by close() (`ERR_ABORTED`). */
export class AbortError extends GregorError {
  constructor(message = 'the operation was aborted', options?: GregorErrorOptions) {
    super('ERR_ABORTED', message, options);
  }
}
