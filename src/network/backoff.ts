// Exponential backoff with jitter, for reconnects (reconnect.backoff.ms .. reconnect.backoff.max.ms).
//
// Why jitter: when a broker restarts, every client (and every lane of every client) notices at the same moment; with
// a deterministic schedule they would all reconnect in lockstep. The Java client (KIP-144) multiplies the
// exponential delay by a random factor in [0.8, 1.2]; we do the same so operators see familiar timings.

export interface BackoffOptions {
  /** First delay, in ms (reconnect.backoff.ms). */
  initialMs: number;
  /** Upper bound for the delay before jitter is applied, in ms (reconnect.backoff.max.ms). */
  maxMs: number;
  /** Growth factor per failure; 2 like the Java client. */
  multiplier?: number;
  /** Relative jitter: the delay is multiplied by a uniform factor in [1 - jitter, 1 + jitter]. */
  jitter?: number;
}

/** Delay before attempt number `failures + 1`, given `failures` consecutive failures so far (>= 1). */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  const { initialMs, maxMs } = options;
  const multiplier = options.multiplier ?? 2;
  const jitter = options.jitter ?? 0.2;
  if (failures <= 0 || maxMs <= 0) return 0;
  const base = Math.min(maxMs, Math.max(0, initialMs) * Math.pow(multiplier, failures - 1));
  const factor = 1 - jitter + 2 * jitter * random();
  return Math.max(0, Math.round(base * factor));
}

/** Tracks consecutive failures of one target (a broker lane) and when the next attempt may start. */
export class Backoff {
  private failures = 0;
  private nextAttemptAt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Records a failure; returns the delay until the next attempt is allowed. */
  fail(): number {
    this.failures += 1;
    const delay = backoffDelay(this.failures, this.options, this.random);
    this.nextAttemptAt = this.now() + delay;
    return delay;
  }

  succeed(): void {
    this.failures = 0;
    this.nextAttemptAt = 0;
  }

  /** Milliseconds to wait before the next attempt (0 when one may start now). */
  remainingMs(): number {
    return Math.max(0, this.nextAttemptAt - this.now());
  }
}
