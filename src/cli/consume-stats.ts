// `gregor consume --stats [interval]`: a line on stderr every interval, from consumer.metrics(), for long runs:
//
//   gregor: stats: 120000 records (24000.0/s), 11.4 MiB (2.29 MiB/s), lag 3500, 3 partitions, 1 rebalance
//
// Rates are over the last interval (records handed to the application; bytes of the fetched chunks it consumed).
// lag is the sum of the owned partitions' lag as of their last Fetch response ('-' before one is known). With
// --count N the line starts with the progress, "printed 500/1000". stdout carries only the records, so a pipe
// reading them is undisturbed. The last line, when the command ends, covers the whole run.

import type { ConsumerMetrics } from '../consumer/metrics.js';

/** The interval when --stats is given without one. */
export const DEFAULT_STATS_INTERVAL_MS = 5000;
export const MIN_STATS_INTERVAL_MS = 100;

/** '5s', '500ms', '2000' (milliseconds); NaN when it is none of these. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (m === null) return NaN;
  return m[2] === 's' ? Math.round(Number(m[1]) * 1000) : Number(m[1]);
}

function size(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1048576).toFixed(bytes >= 10 * 1048576 ? 1 : 2)} MiB`;
}

function rate(n: number, seconds: number): string {
  return seconds > 0 ? (n / seconds).toFixed(1) : '0.0';
}

export interface StatsSource {
  metrics(): ConsumerMetrics;
  /** Records printed so far (the progress with --count). */
  printed(): number;
}

export class StatsReporter {
  #timer: NodeJS.Timeout | undefined;
  #last: { at: number; records: number; bytes: number };
  readonly #start: number;

  constructor(
    private readonly source: StatsSource,
    private readonly write: (line: string) => void,
    private readonly intervalMs: number,
    private readonly count: number | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#start = now();
    this.#last = { at: this.#start, records: 0, bytes: 0 };
  }

  start(): void {
    this.#timer = setInterval(() => this.report(), this.intervalMs);
    // The consume loop keeps the process alive; the statistics must not keep it alive after that.
    this.#timer.unref();
  }

  /** One line for the interval since the last one. */
  report(): void {
    const m = this.source.metrics();
    const at = this.now();
    this.write(this.line(m, (at - this.#last.at) / 1000, m.consumedMessages - this.#last.records, m.consumedBytes - this.#last.bytes, ''));
    this.#last = { at, records: m.consumedMessages, bytes: m.consumedBytes };
  }

  /** Stops the timer and writes the line for the whole run. */
  stop(): void {
    clearInterval(this.#timer);
    const m = this.source.metrics();
    this.write(this.line(m, (this.now() - this.#start) / 1000, m.consumedMessages, m.consumedBytes, 'total: '));
  }

  private line(m: ConsumerMetrics, seconds: number, records: number, bytes: number, prefix: string): string {
    let lag: bigint | null = null;
    let owned = 0;
    for (const p of m.partitions) {
      if (!p.assigned) continue;
      owned++;
      if (p.lag !== null) lag = (lag ?? 0n) + p.lag;
    }
    const parts = [
      `${m.consumedMessages} records (${rate(records, seconds)}/s)`,
      `${size(m.consumedBytes)} (${size(seconds > 0 ? bytes / seconds : 0)}/s)`,
      `lag ${lag === null ? '-' : lag}`,
      `${owned} partition${owned === 1 ? '' : 's'}`,
      `${m.rebalance.rebalances} rebalance${m.rebalance.rebalances === 1 ? '' : 's'}`,
    ];
    const progress = this.count === undefined ? '' : `printed ${this.source.printed()}/${this.count}, `;
    return `gregor: stats: ${prefix}${progress}${parts.join(', ')}\n`;
  }
}
