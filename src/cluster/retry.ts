// The retry policy of every client, in one place: which failures are retried, with what backoff, until when; and
// the one `sleep` and `backoff` the layers above use (the consumer's fetch loop, group membership, commits, the
// producer's transactions, the admin client's calls).
//
// Retried: errors marked retriable (a leader moved, a coordinator is loading, a connection dropped, a request timed
// out, CONCURRENT_TRANSACTIONS...). Everything else is surfaced at once with its exact error: a fenced producer must
// learn it now, manual commits reject with the broker's error (reliability R9), and a wrong password never becomes a
// retry storm.

import { AbortError, KafkaError, TimeoutError, isGregorError } from '../errors.js';
import { sleep } from '../network/abort.js';
import { backoffDelay } from '../network/backoff.js';
import { ErrorCode } from '../protocol/index.js';

export { sleep };

/** retry.backoff.ms and retry.backoff.max.ms of a client's configuration. */
export interface RetryPolicy {
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
}

export interface RetryOptions extends RetryPolicy {
  /** What the operation is, for the timeout message ("commit offsets for group g"). */
  what: string;
  /** Absolute deadline (Date.now() based). */
  deadline: number;
  signal?: AbortSignal;
  /** Called before each retry with the error that caused it (e.g. to find the coordinator again). */
  onRetry?: (error: unknown, attempt: number) => void | Promise<void>;
  /** Overrides the default retriable check (isRetriableError). */
  isRetriable?: (error: unknown) => boolean;
}

export function isRetriableError(error: unknown): boolean {
  return isGregorError(error) && error.retriable;
}

/**
 * Exponential backoff with +-20% jitter, like the Java client (KIP-580): the delay before attempt `attempt + 1`
 * after `attempt` consecutive failures. The formula is the network layer's reconnect backoff (KIP-144), shared.
 */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  return backoffDelay(attempt, { initialMs: baseMs, maxMs });
}

/**
 * Runs `op` until it succeeds, fails with a non-retriable error, or the next wait would pass the deadline. The one
 * retry loop of every client: the consumer's commits, OffsetFetch and coordinator lookups, the producer's
 * transactions and topic loads, the admin client's calls.
 */
export async function withRetries<T>(op: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const retriable = options.isRetriable ?? isRetriableError;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new AbortError(`${options.what}: aborted`);
    try {
      return await op(attempt);
    } catch (err) {
      if (!retriable(err)) throw err;
      // CONCURRENT_TRANSACTIONS clears within milliseconds (the previous transaction's markers are being written);
      // the Java client also retries it sooner than other errors.
      const base = err instanceof KafkaError && err.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS
        ? Math.min(20, options.retryBackoffMs)
        : options.retryBackoffMs;
      const wait = backoff(attempt, base, options.retryBackoffMaxMs);
      if (Date.now() + wait >= options.deadline) {
        const message = err instanceof Error ? err.message : String(err);
        throw new TimeoutError(`${options.what}: gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${message}`, { cause: err });
      }
      await options.onRetry?.(err, attempt);
      // Ref'd: someone awaits this call (commit(), createTopics(), initTransactions()...). With every connection
      // down the wait may be the only thing the event loop holds, and an unref'd timer would end the process in the
      // middle of the await instead of at the deadline's TimeoutError.
      await sleep(wait, options.signal, { ref: true });
    }
  }
}

/**
 * A run of consecutive failures of background work that retries by itself (fetching, start positions, joining).
 * Retrying forever in silence is a stall the application cannot see (a complaint about every Node client); so once a
 * streak has lasted `windowMs` (default.api.timeout.ms), its last error is reported to the application, once per
 * window, while the retries go on.
 */
export class FailureStreak {
  private since = 0;
  private reportedAt = 0;

  constructor(private readonly windowMs: number) {}

  /**
   * Records a failure of an attempt that started at `startedAt` (default: now); true when the application should
   * hear about it now.
   */
  fail(startedAt?: number): boolean {
    const now = Date.now();
    if (this.since === 0) this.since = startedAt ?? now;
    if (now - this.since < this.windowMs) return false;
    if (this.reportedAt !== 0 && now - this.reportedAt < this.windowMs) return false;
    this.reportedAt = now;
    return true;
  }

  ok(): void {
    this.since = 0;
    this.reportedAt = 0;
  }
}
