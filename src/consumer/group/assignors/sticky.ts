// "sticky" (KIP-54): balanced like roundrobin, but keeps partitions where they were. It runs under the EAGER
// protocol only: every member revokes everything before it rejoins, so its Subscription's ownedPartitions is empty
// and the previous assignment travels in the user data instead - the format of Java's StickyAssignor, which
// every member of a mixed group must read and write alike:
//
//   StickyAssignorUserData v0: previous_assignment [topic string, partitions [int32]]
//   StickyAssignorUserData v1: v0 + generation int32
//
// No version prefix: a reader tries v1, and falls back to v0 when the bytes end before the generation (that is how
// Java tells them apart). Java always writes v1; it writes no user data at all before the member's first
// assignment. Bytes that fit neither format mean "no previous assignment" for Java; we do the same, and warn.

import { ProtocolError } from '../../../errors.js';
import { Reader, Writer } from '../../../protocol/primitives.js';
import { type TopicPartitions, normalizeTopicPartitions } from '../../../protocol/consumer-protocol.js';
import { type AssignmentInput, type Assignor, type AssignorMember, type GroupAssignment, type MemberOwnState, assignmentFromOwners, buildGroupModel } from './assignor.js';
import { type MemberClaims, stickyAssign } from './sticky-core.js';

export interface StickyUserData {
  partitions: TopicPartitions[];
  /** Absent in v0 user data. */
  generation: number | null;
}

/** Encodes the v1 user data Java's StickyAssignor writes: previous assignment, then generation. */
export function encodeStickyUserData(partitions: readonly TopicPartitions[], generation: number): Buffer {
  if (!Number.isInteger(generation) || generation < -1 || generation > 0x7fff_ffff) {
    throw new ProtocolError(`sticky assignor user data: generation ${generation} is not an int32 >= -1`);
  }
  const list = normalizeTopicPartitions(partitions, 'sticky assignor user data');
  const w = new Writer(64);
  w.arrayLength(list.length);
  for (const { topic, partitions: ps } of list) {
    w.string(topic);
    w.arrayLength(ps.length);
    for (const p of ps) w.int32(p);
  }
  w.int32(generation);
  return w.finish();
}

function readAssignment(r: Reader): TopicPartitions[] {
  const n = r.arrayLength('previous assignment', 6);
  if (n === null) throw new ProtocolError('previous assignment is null');
  const out: TopicPartitions[] = [];
  for (let i = 0; i < n; i++) {
    const topic = r.string('previous assignment topic');
    const k = r.arrayLength('previous assignment partitions', 4);
    if (k === null) throw new ProtocolError('previous assignment partitions are null');
    const partitions: number[] = [];
    for (let j = 0; j < k; j++) partitions.push(r.int32('previous assignment partition'));
    out.push({ topic, partitions });
  }
  return out;
}

/** Decodes StickyAssignor user data, v1 or v0; null when the bytes fit neither. */
export function decodeStickyUserData(bytes: Uint8Array): StickyUserData | null {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let partitions: TopicPartitions[];
  const r = new Reader(buf);
  try {
    partitions = readAssignment(r);
  } catch {
    return null;
  }
  // Like Java's Schema.read, bytes after the fields are not checked.
  if (r.remaining >= 4) return { partitions, generation: r.int32() };
  return { partitions, generation: null };
}

/** The previous assignment an eager sticky member reports: its user data (see above). */
function stickyClaims(m: AssignorMember, warn: (message: string) => void): MemberClaims {
  const data = m.userData;
  if (data != null && data.length > 0) {
    const decoded = decodeStickyUserData(data);
    if (decoded !== null) return { partitions: decoded.partitions, generation: decoded.generation ?? -1 };
    warn(`member ${JSON.stringify(m.memberId)}: user data is not sticky assignor data; treated as owning nothing`);
    return { partitions: [], generation: -1 };
  }
  // No user data (a first join, or a client that reports ownership only in the Subscription's own fields, which
  // Java's StickyAssignor ignores): use those fields; for an eager member they are normally empty.
  return { partitions: m.ownedPartitions ?? [], generation: m.generationId ?? -1 };
}

function assignSticky(input: AssignmentInput): GroupAssignment {
  const model = buildGroupModel(input);
  const claims = model.members.map((m) => stickyClaims(m.source, model.warn));
  return assignmentFromOwners(model, stickyAssign(model, claims));
}

export const stickyAssignor: Assignor = {
  name: 'sticky',
  rebalanceProtocols: ['EAGER'],
  subscriptionUserData(state: MemberOwnState): Buffer | null {
    if (state.ownedPartitions === null) return null;
    return encodeStickyUserData(state.ownedPartitions, state.generationId);
  },
  assign: assignSticky,
};
