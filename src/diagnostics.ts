// gregor's diagnostics_channel events: one TracingChannel (node:diagnostics_channel) per operation of the clients,
// the way undici and @platformatic/kafka publish theirs, so that APM agents and gregor/otel observe gregor without
// patching it. This file names the channels and types their payloads; the clients publish, every layer alike (it is
// shared by every layer, as errors.ts is, and imports none of them: payloads are described structurally).
//
// Every channel follows TracingChannel.tracePromise()'s sequence: `start` (synchronously, in the caller's async
// context), `end` when the call returned, then `asyncStart` and `asyncEnd` when its result settled, with `result` or
// `error` on the payload; a synchronous throw publishes `error` and `end` only. Zero cost without subscribers: a
// publisher asks `hasSubscribers` before it builds a payload, and calls the work directly when nobody listens.

import { tracingChannel, type TracingChannel } from 'node:diagnostics_channel';

/** The names of gregor's TracingChannels (each publishes `tracing:<name>:start`, `:end`, ... as Node defines). */
export const DIAGNOSTICS_CHANNELS = {
  /** A connection to a broker opened: TCP, TLS, ApiVersions, SASL. Payload: ConnectDiagnostics. */
  connect: 'gregor:connect',
  /** One Kafka request of any client (the admin client's requests, a producer's, a consumer's). RequestDiagnostics. */
  request: 'gregor:request',
  /** One Fetch request of a consumer to one broker. FetchDiagnostics. */
  fetch: 'gregor:consumer:fetch',
  /** consumer.poll() or pollBatch() (batches()): the receive operation; result: the message(s). PollDiagnostics. */
  poll: 'gregor:consumer:poll',
  /** One record handed to run()'s eachMessage, or one batch to eachBatch, until it settled. ProcessDiagnostics. */
  process: 'gregor:consumer:process',
  /** One offset commit (OffsetCommit, retries included). CommitDiagnostics. */
  commit: 'gregor:consumer:commit',
  /** A classic JoinGroup. GroupDiagnostics. */
  join: 'gregor:consumer:join',
  /** A classic SyncGroup. GroupDiagnostics. */
  sync: 'gregor:consumer:sync',
  /** A Heartbeat (classic) or ConsumerGroupHeartbeat (KIP-848) the main thread sends. GroupDiagnostics. */
  heartbeat: 'gregor:consumer:heartbeat',
  /** Partitions assigned, revoked or lost, from the event to the end of the listener. RebalanceDiagnostics. */
  rebalance: 'gregor:consumer:rebalance',
  /** producer.send() of one record, until it is acknowledged. SendDiagnostics. */
  send: 'gregor:producer:send',
  /**
   * A share consumer's acknowledgement of one record (accept, release, reject, renew; KIP-932, KIP-1222), from when
   * it was made until the broker applied or refused it. AcknowledgeDiagnostics.
   */
  acknowledge: 'gregor:share:acknowledge',
} as const;

/** The payload fields TracingChannel sets: `result` when the operation succeeded, `error` when it failed. */
export interface TracedOutcome<R> {
  /** Set before `asyncStart` when the operation succeeded. */
  result?: R;
  /** Set before `error` when the operation failed. */
  error?: unknown;
}

/** A partition as payloads name it. */
export interface DiagnosticsPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A record as payloads show it (the consumer's Message has these fields). */
export interface DiagnosticsRecord extends DiagnosticsPartition {
  readonly offset: bigint;
  readonly key: Buffer | null;
  /** null for a tombstone. */
  readonly value: Buffer | null;
  readonly headers: readonly { readonly key: string; readonly value: Buffer | null }[];
  /** A share group's record (KIP-932): how many times the broker has handed it out (1 the first time). */
  readonly deliveryCount?: number;
}

/** gregor:connect. */
export interface ConnectDiagnostics extends TracedOutcome<void> {
  readonly clientId: string;
  /** The broker's node id (negative: a bootstrap address). */
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** The connection's lane: 'default', 'fetch' or 'group'. */
  readonly lane: string;
}

/**
 * gregor:request. `result` is the response body; a Fetch response's `records` are views into a frame that is reused
 * once the consumer has decoded it, so a subscriber that keeps them past its handler must copy them.
 */
export interface RequestDiagnostics extends TracedOutcome<unknown> {
  /** The kind of client sending it. */
  readonly client: 'consumer' | 'producer' | 'admin';
  readonly clientId: string;
  /** The broker's node id; null when the least loaded broker is chosen (requestAny). */
  readonly nodeId: number | null;
  /** Kafka's API key (ApiKey.Fetch = 1, ...). */
  readonly apiKey: number;
}

/** gregor:consumer:fetch: a consumer's Fetch, or a share consumer's ShareFetch (groupId: the share group). */
export interface FetchDiagnostics extends TracedOutcome<void> {
  readonly clientId: string;
  readonly groupId: string | null;
  readonly nodeId: number;
  /** The partitions the request is for (a KIP-227 session sends only those whose state changed). */
  readonly partitions: readonly DiagnosticsPartition[];
}

/** gregor:consumer:poll. */
export interface PollDiagnostics extends TracedOutcome<DiagnosticsRecord | null | readonly DiagnosticsRecord[]> {
  readonly clientId: string;
  readonly groupId: string | null;
  /** Which call: 'poll' (result: one message or null) or 'pollBatch' (result: an array, maybe empty). */
  readonly operation: 'poll' | 'pollBatch';
}

/** gregor:consumer:process. */
export interface ProcessDiagnostics extends TracedOutcome<void> {
  readonly clientId: string;
  readonly groupId: string | null;
  readonly topic: string;
  readonly partition: number;
  /** eachMessage's record; null for a batch. */
  readonly message: DiagnosticsRecord | null;
  /** eachBatch's records; null for one record. */
  readonly messages: readonly DiagnosticsRecord[] | null;
  /** 1 for the first call, more for retries. */
  readonly attempt: number;
  /**
   * A `start` subscriber may set this to run the handler inside a context of its own (gregor/otel makes the
   * `process` span the active OpenTelemetry context this way): the handler is then called as `wrap(handler)`.
   * Stores bound with `start.bindStore()` apply too.
   */
  wrap?: <T>(fn: () => T) => T;
}

/** gregor:consumer:commit. */
export interface CommitDiagnostics extends TracedOutcome<void> {
  readonly clientId: string;
  readonly groupId: string | null;
  /** Each partition's committed offset (the next offset to read). */
  readonly offsets: readonly (DiagnosticsPartition & { readonly offset: bigint })[];
}

/** gregor:consumer:join, :sync and :heartbeat. result: the response body. */
export interface GroupDiagnostics extends TracedOutcome<unknown> {
  readonly clientId: string;
  readonly groupId: string;
  /** group.protocol: 'classic' (JoinGroup, SyncGroup, Heartbeat) or 'consumer' (KIP-848 ConsumerGroupHeartbeat). */
  readonly protocol: 'classic' | 'consumer';
  /** The member id sent ('' before the first JoinGroup). */
  readonly memberId: string;
  /** The generation id (classic) or member epoch (KIP-848) sent. */
  readonly generationId: number;
}

/** gregor:consumer:rebalance. */
export interface RebalanceDiagnostics extends TracedOutcome<void> {
  readonly clientId: string;
  readonly groupId: string | null;
  /** 'assigned', 'revoked' (handed back in a rebalance, or on close/unsubscribe) or 'lost' (session expired, fenced). */
  readonly kind: 'assigned' | 'revoked' | 'lost';
  readonly partitions: readonly DiagnosticsPartition[];
}

/** gregor:producer:send. result: { partition, offset }. */
export interface SendDiagnostics extends TracedOutcome<{ partition: number; offset: bigint }> {
  readonly clientId: string;
  readonly topic: string;
  /** The partition asked for; null when the partitioner chooses. */
  readonly partition: number | null;
  /** The record's key as given (string, bytes or null). */
  readonly key: unknown;
  /**
   * Headers a `start` subscriber adds to the record (gregor/otel adds `traceparent` and `tracestate`), appended to
   * the record's own; a header the record already has is not added again.
   */
  readonly headers: { key: string; value: string }[];
}

/**
 * gregor:share:acknowledge. `start` and `end` are published when the acknowledgement is made (acknowledge(), run()'s
 * outcome, the implicit accept), `asyncStart`/`asyncEnd` when the broker answered: `error` set when it refused it (an
 * expired lock: INVALID_RECORD_STATE). A renewal superseded by a final acknowledgement before it was sent settles
 * without error then.
 */
export interface AcknowledgeDiagnostics extends TracedOutcome<void> {
  readonly clientId: string;
  /** The share group. */
  readonly groupId: string;
  readonly record: DiagnosticsRecord;
  readonly type: 'accept' | 'release' | 'reject' | 'renew';
}

/** gregor's TracingChannels, by the names of DIAGNOSTICS_CHANNELS. */
export const channels = {
  connect: tracingChannel<unknown, ConnectDiagnostics>(DIAGNOSTICS_CHANNELS.connect),
  request: tracingChannel<unknown, RequestDiagnostics>(DIAGNOSTICS_CHANNELS.request),
  fetch: tracingChannel<unknown, FetchDiagnostics>(DIAGNOSTICS_CHANNELS.fetch),
  poll: tracingChannel<unknown, PollDiagnostics>(DIAGNOSTICS_CHANNELS.poll),
  process: tracingChannel<unknown, ProcessDiagnostics>(DIAGNOSTICS_CHANNELS.process),
  commit: tracingChannel<unknown, CommitDiagnostics>(DIAGNOSTICS_CHANNELS.commit),
  join: tracingChannel<unknown, GroupDiagnostics>(DIAGNOSTICS_CHANNELS.join),
  sync: tracingChannel<unknown, GroupDiagnostics>(DIAGNOSTICS_CHANNELS.sync),
  heartbeat: tracingChannel<unknown, GroupDiagnostics>(DIAGNOSTICS_CHANNELS.heartbeat),
  rebalance: tracingChannel<unknown, RebalanceDiagnostics>(DIAGNOSTICS_CHANNELS.rebalance),
  send: tracingChannel<unknown, SendDiagnostics>(DIAGNOSTICS_CHANNELS.send),
  acknowledge: tracingChannel<unknown, AcknowledgeDiagnostics>(DIAGNOSTICS_CHANNELS.acknowledge),
};

/**
 * Runs `fn` traced on `channel` when someone subscribes, else directly (the payload is not even built). For the
 * less frequent operations; per-record paths test `hasSubscribers` themselves and call trace().
 */
export function traced<T, P extends TracedOutcome<unknown>>(channel: TracingChannel<unknown, P>, payload: () => P, fn: () => Promise<T>): Promise<T> {
  return channel.hasSubscribers ? trace(channel, payload(), fn) as Promise<T> : fn();
}

/**
 * tracePromise()'s event sequence for a function that may also return synchronously (a run() handler): a
 * synchronous result is returned as it is, after `end`, `asyncStart` and `asyncEnd`, so that a handler that does not
 * return a promise keeps completing synchronously (run() relies on it). `payload.wrap`, when a `start` subscriber
 * set one, runs `fn`.
 */
export function trace<T, P extends TracedOutcome<unknown> & { wrap?: <U>(fn: () => U) => U }>(channel: TracingChannel<unknown, P>, payload: P, fn: () => T): T {
  const { start, end, asyncStart, asyncEnd, error } = channel;
  const settled = (value: unknown): void => {
    payload.result = value;
    asyncStart.publish(payload);
    asyncEnd.publish(payload);
  };
  const failed = (err: unknown): void => {
    payload.error = err;
    error.publish(payload);
    asyncStart.publish(payload);
    asyncEnd.publish(payload);
  };
  return start.runStores(payload, () => {
    let result: T;
    try {
      const wrap = payload.wrap;
      result = wrap === undefined ? fn() : wrap(fn);
    } catch (err) {
      payload.error = err;
      error.publish(payload);
      end.publish(payload);
      throw err;
    }
    end.publish(payload);
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      return (result as unknown as PromiseLike<unknown>).then((v) => {
        settled(v);
        return v;
      }, (err: unknown) => {
        failed(err);
        throw err;
      }) as T;
    }
    settled(result);
    return result;
  });
}
