// The consumer's retry policy, in one place: which failures are retried, with what backoff, until when.
//
// Retried: errors marked retriable (a leader moved, a coordinator is loading, a connection dropped, a request
// timed out). Everything else is surfaced at once with its exact error (reliability R9: manual commits reject with
// the broker's error, and a wrong password never becomes a retry storm).

import { AbortError, TimeoutError, isGregorError } from '../errors.js';

export interface RetryOptions {
  /** Absolute deadline (Date.now() based). */
  deadline: number;
  backoffMs: number;
  backoffMaxMs: number;
  signal?: AbortSignal;
  /** What the operation is, for the timeout message ("commit offsets for group g"). */
  what: string;
  /** Called before each retry with the error that caused it (e.g. to rediscover the coordinator). */
  onRetry?: (error: unknown, attempt: number) => void | Promise<void>;
  /** Overrides the default retriable check. */
  isRetriable?: (error: unknown) => boolean;
}

export function isRetriableError(error: unknown): boolean {
  return isGregorError(error) && error.retriable;
}

/** Resolves after `ms`, or rejects with AbortError when the signal fires first. Timers never keep the process alive. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortError());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    timer.unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with +-20% jitter, like the Java client (KIP-580). */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, baseMs * Math.pow(2, Math.max(0, attempt - 1)));
  return Math.round(exp * (0.8 + 0.4 * Math.random()));
}

/** Runs `op` until it succeeds, fails with a non-retriable error, or the deadline passes. */
export async function withRetries<T>(op: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const retriable = options.isRetriable ?? isRetriableError;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new AbortError();
    try {
      return await op(attempt);
    } catch (err) {
      if (!retriable(err)) throw err;
      const wait = backoff(attempt, options.backoffMs, options.backoffMaxMs);
      if (Date.now() + wait >= options.deadline) {
        throw new TimeoutError(`${options.what}: gave up after ${attempt} attempts: ${(err as Error).message}`, { cause: err });
      }
      await options.onRetry?.(err, attempt);
      await sleep(wait, options.signal);
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
