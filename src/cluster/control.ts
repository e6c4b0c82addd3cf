// Requests outside the data path: finding a coordinator (FindCoordinator, group or transaction), and running a
// control request (InitProducerId, EndTxn, the admin client's group and topic calls, ...) with retries and backoff
// until a deadline. Used by the producer and the admin client alike, hence in the cluster layer below both.
//
// Retried: errors marked retriable (connection lost, request timed out, COORDINATOR_LOAD_IN_PROGRESS,
// CONCURRENT_TRANSACTIONS...). NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE also forget the cached coordinator, so
// the retry looks it up again. Anything else is thrown at once, unchanged: a fenced producer must learn it now.

import { AbortError, TimeoutError, isGregorError } from '../errors.js';
import { backoffDelay } from '../network/backoff.js';
import { sleep } from '../network/abort.js';
import type { Pool } from '../network/pool.js';
import { ApiKey, ErrorCode, kafkaError } from '../protocol/index.js';

export interface RetryPolicy {
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
}

/** FindCoordinator key types (KIP-98 added 1 for transactions). */
export const CoordinatorType = { GROUP: 0, TRANSACTION: 1 } as const;

/** Runs `op` until it succeeds, throws a non-retriable error, or `deadline` (Date.now() based) would pass. */
export async function withRetries<T>(
  what: string,
  deadline: number,
  policy: RetryPolicy,
  op: (attempt: number) => Promise<T>,
  onRetry?: (error: unknown) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new AbortError(`${what}: aborted`);
    try {
      return await op(attempt);
    } catch (err) {
      if (!(isGregorError(err) && err.retriable)) throw err;
      // CONCURRENT_TRANSACTIONS clears within milliseconds (the previous transaction's markers are being written);
      // the Java client also retries it sooner than other errors.
      const base = (err as { errorCode?: number }).errorCode === ErrorCode.CONCURRENT_TRANSACTIONS ? Math.min(20, policy.retryBackoffMs) : policy.retryBackoffMs;
      const wait = backoffDelay(attempt, { initialMs: base, maxMs: policy.retryBackoffMaxMs });
      if (Date.now() + wait >= deadline) {
        throw new TimeoutError(`${what}: gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${err.message}`, { cause: err });
      }
      onRetry?.(err);
      await sleep(wait, signal);
    }
  }
}

/** One coordinator (transaction or group), looked up lazily and cached until it moves. */
export class Coordinator {
  private nodeId: number | undefined;

  constructor(
    private readonly pool: Pool,
    readonly keyType: number,
    readonly key: string,
  ) {}

  /** The coordinator's node id: cached, or found now (one attempt; callers retry through withRetries). */
  async node(signal?: AbortSignal): Promise<number> {
    if (this.nodeId !== undefined) return this.nodeId;
    const broker = await this.pool.anyBroker(signal);
    const res = await broker.request(ApiKey.FindCoordinator, (version: number) => version >= 4
      ? { keyType: this.keyType, coordinatorKeys: [this.key] }
      : { key: this.key, keyType: this.keyType }, { signal });
    const entry = Array.isArray(res.coordinators) && res.coordinators.length > 0 ? res.coordinators[0] : res;
    if (entry.errorCode !== 0) {
      throw kafkaError(entry.errorCode, `FindCoordinator for ${this.describe()}`, entry.errorMessage);
    }
    // The coordinator may be a broker the metadata has not named yet; addBroker keeps an unchanged one as it is.
    this.pool.addBroker(entry.nodeId, entry.host, entry.port);
    this.nodeId = entry.nodeId;
    return entry.nodeId;
  }

  /** Sends a request to the coordinator; forgets it when the connection fails so the next attempt looks again. */
  async request(apiKey: number, body: object | ((version: number) => object), options: { maxVersion?: number; signal?: AbortSignal } = {}): Promise<any> {
    const node = await this.node(options.signal);
    try {
      return await this.pool.request(node, apiKey, body, { maxVersion: options.maxVersion, signal: options.signal });
    } catch (err) {
      if (isGregorError(err) && (err.code === 'ERR_CONNECTION' || err.code === 'ERR_TIMEOUT')) this.invalidate();
      throw err;
    }
  }

  /** Throws the KafkaError for a non-zero code; forgets the coordinator first when the code says it moved. */
  check(errorCode: number, context: string, brokerMessage?: string | null): void {
    if (errorCode === 0) return;
    if (errorCode === ErrorCode.NOT_COORDINATOR || errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) this.invalidate();
    throw kafkaError(errorCode, context, brokerMessage);
  }

  invalidate(): void {
    this.nodeId = undefined;
  }

  describe(): string {
    return `${this.keyType === CoordinatorType.TRANSACTION ? 'transactional id' : 'group'} ${JSON.stringify(this.key)}`;
  }
}
