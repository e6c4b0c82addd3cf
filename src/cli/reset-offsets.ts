// `gregor groups reset-offsets`: the plan and its execution, with the semantics of Kafka's
// `kafka-consumer-groups --reset-offsets` (tools' GroupOffsetsResetter and ConsumerGroupCommand, Kafka 4.x):
//
// - Only an inactive group (state Empty or Dead; a group that does not exist is Dead) may be reset; otherwise the
//   command is refused, naming the members (Kafka prints an error and resets nothing).
// - Scope: --all-topics is every partition the group has a committed offset for; --topic T is every partition of T;
//   --topic T:0,2 those partitions. Every partition must exist and have a leader.
// - --to-earliest / --to-latest: the log start / log end. --to-offset N and --shift-by N (from the committed offset;
//   a partition without one is an error) are clamped to [log start, log end]. --to-datetime and --by-duration: the
//   first offset at or after the time (ListOffsets by timestamp), the log end when no record is that recent; not
//   clamped. --to-current: the committed offset, the log end for a partition without one; not clamped.
// - A dry run unless --execute; --execute commits the plan as an admin (OffsetCommit without a member).
//
// A share group (KIP-932) is reset as `kafka-share-groups --reset-offsets` does (ShareGroupCommand): the same
// scope and scenarios, where its start offsets stand in for committed offsets (DescribeShareGroupOffsets) and the
// plan is written with AlterShareGroupOffsets. Kafka's tool offers --to-earliest, --to-latest and --to-datetime;
// the others mean the same for a start offset. A share group is found where no consumer group is (`resetAnyGroup`).

import { GroupNotEmptyError, KafkaError, StateError } from '../errors.js';
import type { ListedOffset, OffsetQuery, ShareGroupDescription, ShareGroupOffset, ShareGroupOffsetSpec, TopicDescription } from '../admin/index.js';

/** LEADER_NOT_AVAILABLE and UNKNOWN_TOPIC_OR_PARTITION, Kafka's codes for the two scope checks. */
const LEADER_NOT_AVAILABLE = 5;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
/** GROUP_ID_NOT_FOUND: no such group, or (share-group calls) a group of another type. */
const GROUP_ID_NOT_FOUND = 69;

export type ResetSpec =
  | { readonly kind: 'to-earliest' }
  | { readonly kind: 'to-latest' }
  | { readonly kind: 'to-current' }
  | { readonly kind: 'to-offset'; readonly offset: bigint }
  | { readonly kind: 'shift-by'; readonly by: bigint }
  /** ms since the epoch */
  | { readonly kind: 'to-datetime'; readonly timestamp: number }
  /** ms before now */
  | { readonly kind: 'by-duration'; readonly ms: number };

export type ResetScope =
  | { readonly allTopics: true }
  /** partitions null: every partition of the topic. */
  | { readonly allTopics: false; readonly topics: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly number[] | null }> };

export interface ResetRequest {
  readonly groupId: string;
  readonly scope: ResetScope;
  readonly spec: ResetSpec;
  readonly execute: boolean;
}

export interface ResetResult {
  readonly groupId: string;
  readonly state: string;
  readonly executed: boolean;
  /** Sorted by topic, then partition. */
  readonly offsets: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly offset: bigint }>;
}

interface GroupState {
  readonly state: string;
  readonly members: ReadonlyArray<{ readonly memberId: string; readonly clientId: string; readonly clientHost: string }>;
}
interface Offset { readonly topic: string; readonly partition: number; readonly offset: bigint }

/** The part of Admin the reset uses (for a share group, `shareResetAdmin`'s view of it). */
export interface ResetAdmin {
  describeGroups(groupIds: readonly string[]): Promise<readonly GroupState[]>;
  listGroupOffsets(groupId: string): Promise<readonly Offset[]>;
  describeTopics(topics: readonly string[]): Promise<TopicDescription[]>;
  listOffsets(queries: readonly OffsetQuery[]): Promise<ListedOffset[]>;
  alterGroupOffsets(groupId: string, offsets: readonly Offset[]): Promise<void>;
}

/** The part of Admin a share group's reset uses besides ResetAdmin's topic calls. */
export interface ShareResetCalls {
  describeShareGroups(groupIds: readonly string[]): Promise<ShareGroupDescription[]>;
  listShareGroupOffsets(groupId: string): Promise<ShareGroupOffset[]>;
  alterShareGroupOffsets(groupId: string, offsets: readonly ShareGroupOffsetSpec[]): Promise<void>;
}

/** A share group seen as ResetAdmin: its start offsets are what is reset. */
export function shareResetAdmin(admin: Pick<ResetAdmin, 'describeTopics' | 'listOffsets'> & ShareResetCalls): ResetAdmin {
  return {
    describeGroups: (ids) => admin.describeShareGroups(ids),
    listGroupOffsets: async (id) => (await admin.listShareGroupOffsets(id)).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.startOffset })),
    describeTopics: (topics) => admin.describeTopics(topics),
    listOffsets: (queries) => admin.listOffsets(queries),
    alterGroupOffsets: (id, offsets) => admin.alterShareGroupOffsets(id, offsets),
  };
}

/**
 * resetOffsets() for a consumer group or, when no consumer group has the id (state Dead) and a share group does
 * (members or offsets), for that share group. An id that names neither is reset as a new consumer group, as before
 * share groups (Kafka's kafka-consumer-groups creates it).
 */
export async function resetAnyGroup(admin: ResetAdmin & ShareResetCalls, req: ResetRequest, warn: (m: string) => void): Promise<ResetResult> {
  const [group] = await admin.describeGroups([req.groupId]);
  if (group.state === 'Dead') {
    const share = shareResetAdmin(admin);
    const [shareGroup] = await admin.describeShareGroups([req.groupId]).catch((err: unknown) => {
      // A classic group with offsets but no members is Dead to DescribeGroups and not a share group to the coordinator.
      if (err instanceof KafkaError && err.errorCode === GROUP_ID_NOT_FOUND) return [{ state: 'Dead' }];
      throw err;
    });
    if (shareGroup.state !== 'Dead' || (await share.listGroupOffsets(req.groupId)).length > 0) return resetOffsets(share, req, warn);
  }
  return resetOffsets(admin, req, warn);
}

interface TP { readonly topic: string; readonly partition: number }
const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const INACTIVE = new Set(['Empty', 'Dead']);

async function offsetsOf(admin: ResetAdmin, partitions: readonly TP[], spec: OffsetQuery['spec']): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  if (partitions.length === 0) return out;
  for (const o of await admin.listOffsets(partitions.map((p) => ({ topic: p.topic, partition: p.partition, spec })))) {
    out.set(key(o.topic, o.partition), o.offset);
  }
  return out;
}

/** Kafka's checkOffsetsRange: above the log end -> the log end, below the log start -> the log start. */
async function clamp(admin: ResetAdmin, requested: ReadonlyMap<string, { tp: TP; offset: bigint }>, warn: (m: string) => void): Promise<Map<string, bigint>> {
  const tps = [...requested.values()].map((r) => r.tp);
  const [starts, ends] = await Promise.all([offsetsOf(admin, tps, 'earliest'), offsetsOf(admin, tps, 'latest')]);
  const out = new Map<string, bigint>();
  for (const [k, { tp, offset }] of requested) {
    const end = ends.get(k);
    const start = starts.get(k);
    const name = `${tp.topic}-${tp.partition}`;
    if (end !== undefined && offset > end) {
      warn(`New offset (${offset}) is higher than latest offset for topic partition ${name}. Value will be set to ${end}.`);
      out.set(k, end);
    } else if (start !== undefined && offset < start) {
      warn(`New offset (${offset}) is lower than earliest offset for topic partition ${name}. Value will be set to ${start}.`);
      out.set(k, start);
    } else {
      out.set(k, offset);
    }
  }
  return out;
}

async function byTime(admin: ResetAdmin, tps: readonly TP[], timestamp: number, warn: (m: string) => void): Promise<Map<string, bigint>> {
  const found = await offsetsOf(admin, tps, { timestamp });
  const empty = tps.filter((tp) => (found.get(key(tp.topic, tp.partition)) ?? -1n) < 0n);
  for (const tp of empty) warn(`Partition ${tp.partition} from topic ${tp.topic} is empty. Falling back to latest known offset.`);
  for (const [k, v] of await offsetsOf(admin, empty, 'latest')) found.set(k, v);
  return found;
}

/** Which partitions the scope names, checked to exist and to have a leader. */
async function partitionsToReset(admin: ResetAdmin, req: ResetRequest, committed: () => Promise<readonly Offset[]>): Promise<TP[]> {
  let wanted: TP[];
  if (req.scope.allTopics) {
    wanted = (await committed()).map((c) => ({ topic: c.topic, partition: c.partition }));
  } else {
    const whole = req.scope.topics.filter((t) => t.partitions === null).map((t) => t.topic);
    const described = whole.length === 0 ? [] : await admin.describeTopics([...new Set(whole)]);
    wanted = [
      ...req.scope.topics.flatMap((t) => (t.partitions ?? []).map((partition) => ({ topic: t.topic, partition }))),
      ...described.flatMap((d) => d.partitions.map((p) => ({ topic: d.name, partition: p.partition }))),
    ];
  }
  const unique = new Map(wanted.map((tp) => [key(tp.topic, tp.partition), tp]));
  const topics = [...new Set([...unique.values()].map((tp) => tp.topic))];
  if (topics.length > 0) {
    const leaders = new Map<string, number>();
    for (const d of await admin.describeTopics(topics)) for (const p of d.partitions) leaders.set(key(d.name, p.partition), p.leader);
    const missing = [...unique.entries()].filter(([k]) => !leaders.has(k)).map(([, tp]) => `${tp.topic}-${tp.partition}`);
    if (missing.length > 0) {
      throw new KafkaError(UNKNOWN_TOPIC_OR_PARTITION, 'UNKNOWN_TOPIC_OR_PARTITION', `The partitions "${missing.join(',')}" do not exist`);
    }
    const leaderless = [...unique.entries()].filter(([k]) => (leaders.get(k) ?? -1) < 0).map(([, tp]) => `${tp.topic}-${tp.partition}`);
    if (leaderless.length > 0) {
      throw new KafkaError(LEADER_NOT_AVAILABLE, 'LEADER_NOT_AVAILABLE', `The partitions "${leaderless.join(',')}" have no leader`, { retriable: true });
    }
  }
  return [...unique.values()];
}

/**
 * The new offsets for the request, committed when `req.execute`. Refuses (GroupNotEmptyError) unless the group is
 * Empty or Dead. `now` is the clock --by-duration counts back from; `warn` receives Kafka's warnings (clamping,
 * empty partitions).
 */
export async function resetOffsets(admin: ResetAdmin, req: ResetRequest, warn: (m: string) => void, now: () => number = Date.now): Promise<ResetResult> {
  const [group] = await admin.describeGroups([req.groupId]);
  if (!INACTIVE.has(group.state)) {
    throw new GroupNotEmptyError(req.groupId, group.state, group.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost })));
  }
  let committedOnce: Promise<readonly Offset[]> | undefined;
  const committed = () => (committedOnce ??= admin.listGroupOffsets(req.groupId));
  const tps = await partitionsToReset(admin, req, committed);
  const spec = req.spec;
  let planned: Map<string, bigint>;
  switch (spec.kind) {
    case 'to-earliest':
      planned = await offsetsOf(admin, tps, 'earliest');
      break;
    case 'to-latest':
      planned = await offsetsOf(admin, tps, 'latest');
      break;
    case 'to-offset':
      planned = await clamp(admin, new Map(tps.map((tp) => [key(tp.topic, tp.partition), { tp, offset: spec.offset }])), warn);
      break;
    case 'shift-by': {
      const current = new Map((await committed()).map((c) => [key(c.topic, c.partition), c.offset]));
      const requested = new Map<string, { tp: TP; offset: bigint }>();
      for (const tp of tps) {
        const at = current.get(key(tp.topic, tp.partition));
        if (at === undefined) {
          throw new StateError(`Cannot shift offset for partition ${tp.topic}-${tp.partition} since there is no current committed offset`);
        }
        requested.set(key(tp.topic, tp.partition), { tp, offset: at + spec.by });
      }
      planned = await clamp(admin, requested, warn);
      break;
    }
    case 'to-datetime':
      planned = await byTime(admin, tps, spec.timestamp, warn);
      break;
    case 'by-duration':
      planned = await byTime(admin, tps, now() - spec.ms, warn);
      break;
    case 'to-current': {
      const current = new Map((await committed()).map((c) => [key(c.topic, c.partition), c.offset]));
      const without = tps.filter((tp) => !current.has(key(tp.topic, tp.partition)));
      planned = new Map([...current].filter(([k]) => tps.some((tp) => key(tp.topic, tp.partition) === k)));
      for (const [k, v] of await offsetsOf(admin, without, 'latest')) planned.set(k, v);
      break;
    }
  }
  const offsets = tps
    .map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: planned.get(key(tp.topic, tp.partition)) }))
    .filter((o): o is { topic: string; partition: number; offset: bigint } => o.offset !== undefined && o.offset >= 0n)
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  if (req.execute) await admin.alterGroupOffsets(req.groupId, offsets);
  return { groupId: req.groupId, state: group.state, executed: req.execute, offsets };
}

/**
 * --to-datetime's formats, as Kafka's Utils.getDateTime: yyyy-MM-ddTHH:mm:ss.SSS with an optional zone (Z, +08,
 * +0800, +08:00); no zone means UTC. The milliseconds may be left out. NaN when it is not such a time.
 */
export function parseDateTime(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (m === null) return NaN;
  const [, y, mo, d, h, mi, s, ms, zone] = m;
  const local = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms === undefined ? 0 : Number(ms.padEnd(3, '0')));
  const check = new Date(local);
  if (check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) return NaN;
  if (zone === undefined || zone === 'Z') return local;
  const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
  const offsetMin = (Number(z[2]) * 60 + Number(z[3] ?? 0)) * (z[1] === '-' ? -1 : 1);
  return local - offsetMin * 60_000;
}

/** --by-duration's ISO-8601 duration, as Java's Duration.parse: PnDTnHnMn.nS (days are 24 h). NaN otherwise. */
export function parseDuration(text: string): number {
  const m = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i.exec(text.trim());
  if (m === null || /T$/i.test(text.trim()) || m.slice(2, 6).every((x) => x === undefined)) return NaN;
  const [, sign, d, h, mi, s, frac] = m;
  const secs = Number(s ?? 0);
  const fracMs = frac === undefined || frac === '' ? 0 : Number(`0.${frac}`) * 1000 * (secs < 0 || (s ?? '').startsWith('-') ? -1 : 1);
  const ms = Number(d ?? 0) * 86_400_000 + Number(h ?? 0) * 3_600_000 + Number(mi ?? 0) * 60_000 + secs * 1000 + fracMs;
  return sign === '-' ? -ms : ms;
}
