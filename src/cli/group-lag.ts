// `gregor groups lag`: what a group has left to read, per partition, and how fast it reads it.
//
// One sample is `groups describe`'s view (committed offset, log end, lag) taken at a moment. Rates need two: the
// consumption rate is how far the committed offset moved between two samples, the production rate how far the log
// end moved, and the time to catch up is lag / (consumption - production) while the group gains on the log. A
// single sample (no --watch) therefore shows no rate; --watch measures over each refresh interval. Committed
// offsets, not the consumers' positions, are what an outsider can see: a consumer that commits every 5 s shows a
// rate that moves in 5 s steps.
//
// A share group (KIP-932) has no committed offset: per partition the broker keeps a start offset and, from Kafka 4.2
// (KIP-1226), the lag it computes itself (records from the start offset to the log end not yet acknowledged or
// archived). Its start offset moves lazily and in jumps (records past it may already be acknowledged), so the rate
// is not measured from it: the group has finished the equivalent of `log end - lag` records, and its rate is how
// fast that moves, which for a consumer group is exactly its committed offset.

import type { GroupDetails } from './deps.js';
import { isShareGroup, type ShareGroupDetails } from './share-views.js';

/** One `groups describe` view and when it was taken (ms since the epoch); a share group's with its log ends. */
export interface GroupSample {
  readonly details: GroupDetails | ShareGroupDetails;
  readonly at: number;
}

export interface LagPartition {
  readonly topic: string;
  readonly partition: number;
  /** A consumer group's committed offset (null for a share group, or none committed). */
  readonly committed: bigint | null;
  /** A share group's start offset (null for a consumer group, or no state yet). */
  readonly startOffset: bigint | null;
  readonly logEndOffset: bigint | null;
  readonly lag: bigint | null;
  /** Records per second committed since the previous sample; null with one sample, or after a reset backwards. */
  readonly rate: number | null;
  /** Records per second appended to the log since the previous sample. */
  readonly produceRate: number | null;
  /** Seconds until lag reaches 0 at the measured rates: 0 when caught up; Infinity when the group does not gain; null unmeasured. */
  readonly catchUpSeconds: number | null;
  /** The member that owns the partition (a consumer group). */
  readonly memberId: string | null;
  /** How many members share the partition (a share group; null for a consumer group). */
  readonly members: number | null;
}

export interface LagView {
  readonly groupId: string;
  readonly type: string;
  readonly state: string;
  readonly members: number;
  readonly at: number;
  /** Milliseconds the rates were measured over; null for a single sample. */
  readonly intervalMs: number | null;
  /** The sum of the known lags; null when no partition's lag is known. */
  readonly totalLag: bigint | null;
  readonly rate: number | null;
  readonly catchUpSeconds: number | null;
  readonly partitions: readonly LagPartition[];
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

interface Row {
  readonly topic: string;
  readonly partition: number;
  readonly committed: bigint | null;
  readonly startOffset: bigint | null;
  readonly logEndOffset: bigint | null;
  readonly lag: bigint | null;
  /** The offset the group has finished the equivalent of: committed, or a share group's log end - lag. */
  readonly done: bigint | null;
  readonly memberId: string | null;
  readonly members: number | null;
}

function rows(d: GroupDetails | ShareGroupDetails): Row[] {
  if (!isShareGroup(d)) return d.offsets.map((o) => ({ ...o, startOffset: null, done: o.committed, members: null }));
  return d.offsets.map((o) => {
    const logEndOffset = o.logEndOffset ?? null;
    return {
      topic: o.topic, partition: o.partition, committed: null, startOffset: o.startOffset, logEndOffset, lag: o.lag,
      done: logEndOffset !== null && o.lag !== null ? logEndOffset - o.lag : null, memberId: null, members: o.members,
    };
  });
}

function perSecond(before: bigint | null | undefined, after: bigint | null, ms: number): number | null {
  if (before === null || before === undefined || after === null || ms <= 0) return null;
  const delta = Number(after - before);
  return delta < 0 ? null : (delta * 1000) / ms;
}

function catchUp(lag: bigint | null, rate: number | null, produceRate: number | null): number | null {
  if (lag === null) return null;
  if (lag <= 0n) return 0;
  if (rate === null || produceRate === null) return null;
  const gain = rate - produceRate;
  return gain > 0 ? Number(lag) / gain : Infinity;
}

/** The lag view of `current`, with rates measured against `previous` when there is one. */
export function lagView(current: GroupSample, previous?: GroupSample): LagView {
  const ms = previous === undefined ? 0 : current.at - previous.at;
  const before = new Map<string, Row>();
  for (const o of previous === undefined ? [] : rows(previous.details)) before.set(key(o.topic, o.partition), o);
  let totalLag: bigint | null = null;
  let totalRate: number | null = null;
  let totalProduce: number | null = null;
  let allRates = previous !== undefined;
  const partitions = rows(current.details).map((o) => {
    const was = before.get(key(o.topic, o.partition));
    const rate = perSecond(was?.done, o.done, ms);
    const produceRate = perSecond(was?.logEndOffset, o.logEndOffset, ms);
    if (o.lag !== null) totalLag = (totalLag ?? 0n) + o.lag;
    if (rate !== null && produceRate !== null) {
      totalRate = (totalRate ?? 0) + rate;
      totalProduce = (totalProduce ?? 0) + produceRate;
    } else if (o.lag !== null && o.lag > 0n) {
      allRates = false;
    }
    return {
      topic: o.topic, partition: o.partition, committed: o.committed, startOffset: o.startOffset, logEndOffset: o.logEndOffset, lag: o.lag,
      rate, produceRate, catchUpSeconds: catchUp(o.lag, rate, produceRate), memberId: o.memberId, members: o.members,
    };
  });
  const d = current.details;
  return {
    groupId: d.groupId, type: d.type, state: d.state, members: d.members.length, at: current.at,
    intervalMs: previous === undefined ? null : ms,
    totalLag,
    rate: totalRate,
    catchUpSeconds: allRates ? catchUp(totalLag, totalRate, totalProduce) : (totalLag === 0n ? 0 : null),
    partitions,
  };
}

/** 0s, 42s, 3m05s, 2h07m, 3d04h; 'never' when the group does not gain on the log; '-' unmeasured. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (!Number.isFinite(seconds)) return 'never';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

export function formatRate(rate: number | null): string {
  if (rate === null) return '-';
  return rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
}

/** The JSON object of one view: offsets as strings (64-bit), rates in records/s, catch-up in seconds (null: never or unknown). */
export function lagJson(v: LagView): Record<string, unknown> {
  const seconds = (s: number | null) => (s === null || !Number.isFinite(s) ? null : Math.round(s * 10) / 10);
  const rate = (r: number | null) => (r === null ? null : Math.round(r * 10) / 10);
  return {
    groupId: v.groupId, type: v.type, state: v.state, members: v.members, time: new Date(v.at).toISOString(),
    intervalMs: v.intervalMs, totalLag: v.totalLag?.toString() ?? null, rate: rate(v.rate),
    catchUpSeconds: seconds(v.catchUpSeconds), catchUp: formatDuration(v.catchUpSeconds),
    partitions: v.partitions.map((p) => ({
      topic: p.topic, partition: p.partition,
      ...(v.type === 'share' ? { startOffset: p.startOffset?.toString() ?? null } : { committed: p.committed?.toString() ?? null }),
      logEndOffset: p.logEndOffset?.toString() ?? null, lag: p.lag?.toString() ?? null,
      rate: rate(p.rate), produceRate: rate(p.produceRate), catchUpSeconds: seconds(p.catchUpSeconds),
      ...(v.type === 'share' ? { members: p.members } : { memberId: p.memberId }),
    })),
  };
}
