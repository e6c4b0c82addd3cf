// Abortable waiting: the one `sleep` of every layer (src/cluster/retry.ts re-exports it for the layers above).

import { AbortError, isGregorError } from '../errors.js';

export interface SleepOptions {
  /**
   * Keep the process alive while waiting. Default false: a background loop's backoff (fetching, heartbeats, joining)
   * must not keep an application from exiting. A wait inside a call someone awaits (bootstrapping, a lane's next
   * connection attempt, withRetries) is ref'd: with every socket down it may be the only thing the event loop holds,
   * and an unref'd timer would let the process exit in the middle of that await.
   */
  ref?: boolean;
}

/** Resolves after `ms`, or rejects with the signal's reason (an AbortError unless a gregor error) when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal, options?: SleepOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(toAbortError(signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(toAbortError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    if (options?.ref !== true) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts (the promise itself keeps running). The promise's own
 * rejection is always handled here: a caller gone after an abort must not leave it to crash the process.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody else may be listening (an ApiVersions under Cluster.apiVersion() that times out after close() aborted
    // the client telemetry's signal was an unhandled TimeoutError that killed a bench process).
    promise.catch(() => {});
    return Promise.reject(toAbortError(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(toAbortError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** The signal's reason when it is a gregor error (AbortError, StateError...), else an AbortError wrapping it. */
export function toAbortError(reason: unknown): Error {
  if (isGregorError(reason)) return reason;
  return new AbortError('the operation was aborted', { cause: reason });
}
