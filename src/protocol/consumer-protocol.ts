// The classic group's embedded "consumer" protocol: the bytes a member puts in JoinGroup's protocol metadata
// (its Subscription) and the bytes the leader hands each member through SyncGroup (its Assignment).
//
// The broker never looks inside these bytes; only the members do. So they must match what Kafka's Java client and
// librdkafka write, byte for byte, or a mixed group breaks. The format is Kafka's ConsumerProtocolSubscription and
// ConsumerProtocolAssignment message specs (kafka-clients, common/message/): an int16 version, then the message
// body in the classic (non-flexible) encoding - int16-length strings, int32-length bytes (-1 = null), int32-count
// arrays.
//
//   Subscription v0: Topics [string], UserData nullable bytes
//                v1: + OwnedPartitions [Topic string, Partitions [int32]]        (KIP-429, cooperative rebalancing)
//                v2: + GenerationId int32, default -1                           (KAFKA-12984: spot stale owners)
//                v3: + RackId nullable string                                   (KIP-881, rack-aware assignment)
//   Assignment   v0..v3: AssignedPartitions [Topic string, Partitions [int32]], UserData nullable bytes
//                (the Assignment body did not change; its version moves with the Subscription's.)
//
// Forward compatibility, as the spec's comments promise: "new versions cannot remove or reorder any of the
// existing fields", so a reader that meets a version newer than it knows decodes the fields it knows and ignores
// what follows. Java does exactly that (it parses a newer version as its highest known one); so do we. Fields that
// a chosen older version cannot carry are "ignorable" in the spec: encoding at that version drops them, as Java does.

import { ProtocolError } from '../errors.js';
import { Reader, Writer } from './primitives.js';

/** The protocol type a consumer group member announces in JoinGroup. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';
/** Highest Subscription/Assignment version this module writes (and fully understands). */
export const CONSUMER_PROTOCOL_LATEST_VERSION = 3;

/** Partitions of one topic. Kafka's wire shape for a topic's partition list. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** What a member writes in its Subscription. */
export interface ConsumerSubscriptionFields {
  /** Topics the member wants to consume (after resolving a pattern on the client). */
  topics: readonly string[];
  /** Assignor-specific bytes (e.g. the sticky assignor's previous assignment); null when the assignor has none. */
  userData?: Uint8Array | null;
  /** v1+: the partitions the member owns now (KIP-429). Dropped at v0. */
  ownedPartitions?: readonly TopicPartitions[];
  /** v2+: generation in which the member got its owned partitions; -1 when it has none. Dropped below v2. */
  generationId?: number;
  /** v3+: the member's client.rack (KIP-881); null when not configured. Dropped below v3. */
  rackId?: string | null;
}

/** A decoded Subscription. Fields absent at the version read take the spec's defaults. */
export interface ConsumerSubscription {
  /** The version found on the wire (may be higher than CONSUMER_PROTOCOL_LATEST_VERSION). */
  version: number;
  topics: string[];
  /** A copy: it does not pin the response buffer it came from. */
  userData: Buffer | null;
  /** Empty below v1. */
  ownedPartitions: TopicPartitions[];
  /** -1 when absent (below v2) or negative on the wire, as Java's Subscription treats it ("no generation"). */
  generationId: number;
  /** null when absent (below v3), null or empty on the wire (Java treats an empty rack as none). */
  rackId: string | null;
  /**
   * Bytes left after the known fields. Expected for a newer version (fields we do not know yet); for a known
   * version it means the sender wrote something odd. Java ignores them in both cases; so do we, but we report.
   */
  trailingBytes: number;
}

/** What the leader writes in an Assignment. */
export interface ConsumerAssignmentFields {
  assignedPartitions: readonly TopicPartitions[];
  userData?: Uint8Array | null;
}

/** A decoded Assignment. */
export interface ConsumerAssignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  /** A copy, as in ConsumerSubscription. */
  userData: Buffer | null;
  /** As in ConsumerSubscription. */
  trailingBytes: number;
}

const INT32_MAX = 0x7fff_ffff;

function checkVersion(version: number, what: string): void {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_LATEST_VERSION) {
    throw new ProtocolError(
      `cannot encode a consumer protocol ${what} at version ${version}: supported versions are 0-${CONSUMER_PROTOCOL_LATEST_VERSION}`,
    );
  }
}

function checkTopicName(topic: unknown, what: string): asserts topic is string {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new ProtocolError(`${what}: a topic name must be a non-empty string, got ${JSON.stringify(topic)}`);
  }
}

function checkPartition(p: unknown, topic: string, what: string): asserts p is number {
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > INT32_MAX) {
    throw new ProtocolError(`${what}: partition ${String(p)} of topic ${JSON.stringify(topic)} is not a partition number`);
  }
}

/**
 * Normalises a partition list for the wire: one entry per topic, topics in code-unit order, partitions ascending,
 * duplicates rejected (a member claiming a partition twice is a bug, not something to paper over).
 */
export function normalizeTopicPartitions(list: readonly TopicPartitions[], what: string): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const entry of list) {
    checkTopicName(entry?.topic, what);
    if (!Array.isArray(entry.partitions)) {
      throw new ProtocolError(`${what}: partitions of topic ${JSON.stringify(entry.topic)} must be an array`);
    }
    let parts = byTopic.get(entry.topic);
    if (parts === undefined) byTopic.set(entry.topic, (parts = []));
    for (const p of entry.partitions) {
      checkPartition(p, entry.topic, what);
      parts.push(p);
    }
  }
  const topics = [...byTopic.keys()].sort();
  return topics.map((topic) => {
    const parts = byTopic.get(topic)!.sort((a, b) => a - b);
    for (let i = 1; i < parts.length; i++) {
      if (parts[i] === parts[i - 1]) {
        throw new ProtocolError(`${what}: partition ${parts[i]} of topic ${JSON.stringify(topic)} is listed twice`);
      }
    }
    return { topic, partitions: parts };
  });
}

function writeTopicPartitions(w: Writer, list: readonly TopicPartitions[]): void {
  w.arrayLength(list.length);
  for (const { topic, partitions } of list) {
    w.string(topic);
    w.arrayLength(partitions.length);
    for (const p of partitions) w.int32(p);
  }
}

function readTopicPartitions(r: Reader, what: string): TopicPartitions[] {
  // Smallest element: an empty topic name (2) and an empty partition array (4).
  const n = r.arrayLength(what, 6);
  if (n === null) throw new ProtocolError(`${what} is null where the consumer protocol requires an array`);
  const out: TopicPartitions[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const topic = r.string(`${what} topic`);
    const count = r.arrayLength(`${what}: partitions of topic ${JSON.stringify(topic)}`, 4);
    if (count === null) throw new ProtocolError(`${what}: partitions of topic ${JSON.stringify(topic)} are null`);
    const partitions: number[] = new Array(count);
    for (let j = 0; j < count; j++) partitions[j] = r.int32(`${what} partition`);
    out[i] = { topic, partitions };
  }
  return out;
}

function copyOrNull(b: Buffer | null): Buffer | null {
  return b === null ? null : Buffer.from(b);
}

function readVersion(r: Reader, what: string): number {
  const version = r.int16(`consumer protocol ${what} version`);
  // Java refuses a negative version too ("Unsupported subscription version").
  if (version < 0) throw new ProtocolError(`unsupported consumer protocol ${what} version ${version}`);
  return version;
}

/**
 * Encodes a Subscription at `version` (default: the latest). Topics are written sorted, owned partitions grouped
 * by topic and sorted, as Java writes them, so equal subscriptions give equal bytes.
 */
export function encodeSubscription(sub: ConsumerSubscriptionFields, version = CONSUMER_PROTOCOL_LATEST_VERSION): Buffer {
  checkVersion(version, 'subscription');
  if (!Array.isArray(sub.topics)) throw new ProtocolError('subscription: topics must be an array of topic names');
  const topics = [...new Set(sub.topics)];
  for (const t of topics) checkTopicName(t, 'subscription');
  topics.sort();
  const w = new Writer(64);
  w.int16(version);
  w.arrayLength(topics.length);
  for (const t of topics) w.string(t);
  w.nullableBytes(sub.userData ?? null);
  if (version >= 1) writeTopicPartitions(w, normalizeTopicPartitions(sub.ownedPartitions ?? [], 'subscription owned partitions'));
  if (version >= 2) {
    const gen = sub.generationId ?? -1;
    if (!Number.isInteger(gen) || gen < -1 || gen > INT32_MAX) {
      throw new ProtocolError(`subscription: generation id ${String(gen)} is not an int32 >= -1`);
    }
    w.int32(gen);
  }
  if (version >= 3) w.nullableString(sub.rackId ?? null);
  return w.finish();
}

/** Decodes a Subscription of any version >= 0 (newer versions: the known fields; see the file comment). */
export function decodeSubscription(bytes: Buffer): ConsumerSubscription {
  const r = new Reader(bytes);
  const version = readVersion(r, 'subscription');
  const known = Math.min(version, CONSUMER_PROTOCOL_LATEST_VERSION);
  const topicCount = r.arrayLength('subscription topics', 2);
  if (topicCount === null) throw new ProtocolError('subscription topics are null where an array is required');
  const topics: string[] = new Array(topicCount);
  for (let i = 0; i < topicCount; i++) topics[i] = r.string('subscription topic');
  const userData = copyOrNull(r.nullableBytes('subscription user data'));
  const ownedPartitions = known >= 1 ? readTopicPartitions(r, 'subscription owned partitions') : [];
  let generationId = -1;
  if (known >= 2) {
    const g = r.int32('subscription generation id');
    generationId = g < 0 ? -1 : g;
  }
  let rackId: string | null = null;
  if (known >= 3) {
    const rack = r.nullableString('subscription rack id');
    rackId = rack === null || rack === '' ? null : rack;
  }
  return { version, topics, userData, ownedPartitions, generationId, rackId, trailingBytes: r.remaining };
}

/** Encodes an Assignment at `version` (default: the latest). Topics sorted, partitions ascending. */
export function encodeAssignment(a: ConsumerAssignmentFields, version = CONSUMER_PROTOCOL_LATEST_VERSION): Buffer {
  checkVersion(version, 'assignment');
  if (!Array.isArray(a.assignedPartitions)) throw new ProtocolError('assignment: assignedPartitions must be an array');
  const w = new Writer(64);
  w.int16(version);
  writeTopicPartitions(w, normalizeTopicPartitions(a.assignedPartitions, 'assignment'));
  w.nullableBytes(a.userData ?? null);
  return w.finish();
}

/**
 * Decodes an Assignment of any version >= 0. Bytes too short to hold even the version (e.g. an empty SyncGroup
 * assignment) are a ProtocolError: what an empty assignment means is the group layer's decision, not the codec's.
 */
export function decodeAssignment(bytes: Buffer): ConsumerAssignment {
  const r = new Reader(bytes);
  const version = readVersion(r, 'assignment');
  const assignedPartitions = readTopicPartitions(r, 'assignment');
  const userData = copyOrNull(r.nullableBytes('assignment user data'));
  return { version, assignedPartitions, userData, trailingBytes: r.remaining };
}
