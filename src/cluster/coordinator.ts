// A coordinator: the broker that owns a consumer group's state and committed offsets (key type group), a
// transactional id's transactions (KIP-98, key type transaction) or a share group's state (KIP-932, key type share).
// The one FindCoordinator sender of gregor: consumer groups and offsets, the producer's transactions and the admin
// client's group calls all use this class.
//
// Found lazily with FindCoordinator and cached until a response says the coordinator moved (coordinatorMoved() of
// src/protocol/error-kinds.ts: NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE; via check() / note()), or the connection to it fails or times out (request()). Concurrent lookups share one request.

import { TimeoutError, isGregorError } from '../errors.js';
import { raceAbort } from '../network/abort.js';
import type { Lane } from '../network/broker.js';
import { ApiKey, ErrorCode, apiKeyName, coordinatorMoved, kafkaError, type RequestBodyFor, type ResponseBody } from '../protocol/index.js';
import type { Cluster } from './client.js';
import { withRetries } from './retry.js';

/** FindCoordinator key types: group (0), transaction (1, KIP-98), share (2, KIP-932). */
export const CoordinatorType = { GROUP: 0, TRANSACTION: 1, SHARE: 2 } as const;
export type CoordinatorKeyType = (typeof CoordinatorType)[keyof typeof CoordinatorType];

export interface CoordinatorRequestOptions {
  /**
   * Look the coordinator up with retries (retry.backoff.ms) until this Date.now()-based deadline. Without it, one
   * lookup attempt: callers that wrap the whole exchange in withRetries retry the lookup with it.
   */
  deadline?: number;
  /** Overrides request.timeout.ms. */
  timeoutMs?: number;
  maxVersion?: number;
  signal?: AbortSignal;
}

export class Coordinator {
  private nodeId: number | undefined;
  private finding: Promise<number> | undefined;
  /** The node each response came from (request(), GroupLiveness.request()), so note() can tell a late refusal. */
  private readonly answeredBy = new WeakMap<object, number>();

  constructor(
    private readonly cluster: Cluster,
    readonly keyType: CoordinatorKeyType,
    /** The group id or transactional id. */
    readonly key: string,
    /** The traffic lane of its requests (the consumer's group traffic: 'group'). */
    private readonly lane: Lane = 'default',
  ) {}

  /** The coordinator's node id: cached, or found now with one FindCoordinator (shared by concurrent callers). */
  node(signal?: AbortSignal): Promise<number> {
    if (this.nodeId !== undefined) return Promise.resolve(this.nodeId);
    if (this.finding === undefined) {
      const finding = this.lookup(signal);
      this.finding = finding;
      const clear = (): void => {
        if (this.finding === finding) this.finding = undefined;
      };
      finding.then(clear, clear);
    }
    return this.finding;
  }

  /** The coordinator's node id, looked up when not cached; retriable errors are retried until the deadline. */
  find(deadline: number, signal?: AbortSignal): Promise<number> {
    if (this.nodeId !== undefined) return Promise.resolve(this.nodeId);
    return withRetries(() => this.node(signal), {
      ...this.cluster.retry,
      deadline,
      signal,
      what: `find the coordinator of ${this.describe()}`,
    });
  }

  /**
   * Sends a request to the coordinator on its lane; forgets it when the connection fails or times out. With a
   * deadline, the whole exchange (lookup, connection, answer) ends by it: a request still unanswered then is abandoned
   * (its connection stays; the answer is dropped when it comes) and the call rejects with a TimeoutError. Without
   * that, the attempt under way ran to its own request.timeout.ms: commit() took 6.2-10.8 s of a 5 s
   * default.api.timeout.ms against a stopped coordinator (R22).
   */
  async request<K extends number>(apiKey: K, body: RequestBodyFor<K>, options: CoordinatorRequestOptions = {}): Promise<ResponseBody<K>> {
    const { deadline, signal } = options;
    if (deadline === undefined) return this.send(await this.node(signal), apiKey, body, options, signal);
    const expired = new AbortController();
    const timer = setTimeout(() => expired.abort(), Math.max(0, deadline - Date.now()));
    const bounded = signal === undefined ? expired.signal : AbortSignal.any([signal, expired.signal]);
    try {
      const node = await raceAbort(this.find(deadline, signal), expired.signal);
      return await this.send(node, apiKey, body, options, bounded);
    } catch (err) {
      if (!expired.signal.aborted || signal?.aborted === true) throw err;
      // As a request timeout does: a coordinator that did not answer in time may be gone.
      this.invalidate();
      throw new TimeoutError(`${apiKeyName(apiKey)} for ${this.describe()}: no answer by the caller's deadline`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  private async send<K extends number>(node: number, apiKey: K, body: RequestBodyFor<K>, options: CoordinatorRequestOptions,
    signal: AbortSignal | undefined): Promise<ResponseBody<K>> {
    try {
      const res = await this.cluster.request(node, apiKey, body, { lane: this.lane, signal, timeoutMs: options.timeoutMs, maxVersion: options.maxVersion });
      if (typeof res === 'object' && res !== null) this.answeredBy.set(res, node);
      return res;
    } catch (err) {
      if (isGregorError(err) && (err.code === 'ERR_CONNECTION' || err.code === 'ERR_TIMEOUT')) this.invalidate();
      throw err;
    }
  }

  /**
   * Checks an error code of a coordinator response: forgets the coordinator when it moved; returns the code. With the
   * response (from request() or GroupLiveness.request()), a refusal by a coordinator already replaced by a newer
   * lookup (a request sent to the old one before it was found) leaves the new one cached: forgetting it would cost
   * one more FindCoordinator per late refusal.
   */
  note(errorCode: number, response?: object): number {
    if (coordinatorMoved(errorCode)) {
      const from = response === undefined ? undefined : this.answeredBy.get(response);
      if (from === undefined || from === this.nodeId) this.invalidate();
    }
    return errorCode;
  }

  /** Records which node answered `response`, for note(). */
  answered(response: object, nodeId: number): void {
    this.answeredBy.set(response, nodeId);
  }

  /** Throws the KafkaError for a non-zero code; forgets the coordinator first when the code says it moved. */
  check(errorCode: number, context: string, brokerMessage?: string | null, about?: { topic?: string }): void {
    if (this.note(errorCode) !== ErrorCode.NONE) throw kafkaError(errorCode, context, brokerMessage, { ...this.resource(), ...about });
  }

  /** The key as the resource an authorization error names (the group id or the transactional id). */
  resource(): { group?: string; transactionalId?: string } {
    return this.keyType === CoordinatorType.TRANSACTION ? { transactionalId: this.key } : { group: this.key };
  }

  /** Forgets the cached coordinator (it moved, or its connection failed). */
  invalidate(): void {
    this.nodeId = undefined;
  }

  describe(): string {
    const what = this.keyType === CoordinatorType.TRANSACTION ? 'transactional id' : this.keyType === CoordinatorType.SHARE ? 'share group' : 'group';
    return `${what} ${JSON.stringify(this.key)}`;
  }

  private async lookup(signal?: AbortSignal): Promise<number> {
    // v4+ batches keys (coordinatorKeys, KIP-699); older versions take one key.
    const res = await this.cluster.requestAny(ApiKey.FindCoordinator, (version) => version >= 4
      ? { keyType: this.keyType, coordinatorKeys: [this.key] }
      : { key: this.key, keyType: this.keyType }, { signal });
    const entry = res.coordinators.length > 0 ? res.coordinators[0] : res;
    if (entry.errorCode !== ErrorCode.NONE) {
      throw kafkaError(entry.errorCode, `FindCoordinator for ${this.describe()}`, entry.errorMessage, this.resource());
    }
    // The coordinator may be a broker the metadata has not named yet; addBroker keeps an unchanged one as it is.
    this.cluster.addBroker(entry.nodeId, entry.host, entry.port);
    this.nodeId = entry.nodeId;
    return entry.nodeId;
  }
}
