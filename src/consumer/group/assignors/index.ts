// The built-in assignors by wire name, `partition.assignment.strategy` parsing, and the two rules that decide how a
// classic group rebalances.
//
// Who picks the assignor: not the client. Each member offers its strategies in JoinGroup, in its order of
// preference, each with its own Subscription bytes. The broker keeps the strategies every member offers; each
// member then votes for the first of those in its own list, and the most voted wins (the group coordinator's
// ClassicGroup.selectProtocol; on a tie the broker's pick is arbitrary). The elected leader runs the winner. So with
// identical configurations the first commonly supported strategy in that list is used; this module only has to
// offer the list in order, with wire names identical to the Java client's.
//
// Which rebalance protocol (KIP-429): the Java client takes the protocols supported by EVERY strategy it is
// configured with and uses the highest (COOPERATIVE over EAGER). So ["cooperative-sticky"] rebalances
// cooperatively, while ["range", "cooperative-sticky"] (Java's default) stays EAGER even when cooperative-sticky
// is elected: that is the documented two-step upgrade path (first add cooperative-sticky everywhere, then remove
// range).

import { ConfigError } from '../../../errors.js';
import { type TopicPartitions, encodeSubscription, normalizeTopicPartitions } from '../../../protocol/consumer-protocol.js';
import type { Assignor, AssignorMember, GroupAssignment, MemberOwnState, RebalanceProtocol } from './assignor.js';
import { cooperativeStickyAssignor } from './cooperative-sticky.js';
import { rangeAssignor } from './range.js';
import { roundRobinAssignor } from './round-robin.js';
import { stickyAssignor } from './sticky.js';

export type {
  Assignor,
  AssignorMember,
  AssignmentInput,
  GroupAssignment,
  MemberOwnState,
  PartitionInfo,
  RebalanceProtocol,
} from './assignor.js';
export { decodeStickyUserData, encodeStickyUserData } from './sticky.js';
export { decodeCooperativeStickyUserData, encodeCooperativeStickyUserData } from './cooperative-sticky.js';

export type AssignorName = 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky';

/** The built-in assignors by the name they have on the wire. */
export const assignors: Readonly<Record<AssignorName, Assignor>> = Object.freeze({
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  sticky: stickyAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
});

/** The Java client's default partition.assignment.strategy (since Kafka 3.0): range first, cooperative-sticky next. */
export const DEFAULT_ASSIGNMENT_STRATEGY: readonly AssignorName[] = Object.freeze(['range', 'cooperative-sticky']);

/** Java class names, as they appear in Java .properties files, mapped to the wire names. */
const JAVA_CLASS_NAMES: Readonly<Record<string, AssignorName>> = {
  'org.apache.kafka.clients.consumer.RangeAssignor': 'range',
  'org.apache.kafka.clients.consumer.RoundRobinAssignor': 'roundrobin',
  'org.apache.kafka.clients.consumer.StickyAssignor': 'sticky',
  'org.apache.kafka.clients.consumer.CooperativeStickyAssignor': 'cooperative-sticky',
};

const RANK: Readonly<Record<RebalanceProtocol, number>> = { EAGER: 0, COOPERATIVE: 1 };
const PROPERTY = 'partition.assignment.strategy';

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/** A built-in assignor by wire name or Java class name; a ConfigError naming the closest valid name otherwise. */
export function getAssignor(name: string): Assignor {
  const key = typeof name === 'string' ? name.trim() : '';
  const found = (assignors as Record<string, Assignor | undefined>)[key] ?? assignors[JAVA_CLASS_NAMES[key] ?? ('' as AssignorName)];
  if (found !== undefined) return found;
  const names = Object.keys(assignors);
  const simple = key.slice(key.lastIndexOf('.') + 1).toLowerCase().replace(/assignor$/, '').replace(/_/g, '-');
  const closest = names.reduce((best, n) => (editDistance(simple, n) < editDistance(simple, best) ? n : best), names[0]);
  throw new ConfigError(
    `${PROPERTY}: unknown assignor ${JSON.stringify(name)}; did you mean "${closest}"? (valid: ${names.join(', ')})`,
    PROPERTY,
  );
}

/**
 * Parses partition.assignment.strategy: a comma-separated string (as in .properties and librdkafka files) or a
 * list of names or Assignor objects (a custom assignor). Order is preference order. Empty or duplicated names
 * are ConfigErrors. The result also passes chooseRebalanceProtocol (some protocol common to all).
 */
export function parseAssignmentStrategy(value: string | readonly (string | Assignor)[]): Assignor[] {
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : value;
  if (!Array.isArray(items) || items.length === 0) throw new ConfigError(`${PROPERTY} must name at least one assignor`, PROPERTY);
  const out: Assignor[] = [];
  for (const item of items) {
    const a = typeof item === 'string' ? getAssignor(item) : checkCustomAssignor(item);
    if (out.some((o) => o.name === a.name)) throw new ConfigError(`${PROPERTY}: assignor "${a.name}" is listed twice`, PROPERTY);
    out.push(a);
  }
  chooseRebalanceProtocol(out);
  return out;
}

function checkCustomAssignor(a: unknown): Assignor {
  const x = a as Partial<Assignor> | null;
  const ok =
    x !== null &&
    typeof x === 'object' &&
    typeof x.name === 'string' &&
    x.name.length > 0 &&
    Array.isArray(x.rebalanceProtocols) &&
    x.rebalanceProtocols.every((p) => p === 'EAGER' || p === 'COOPERATIVE') &&
    typeof x.assign === 'function' &&
    typeof x.subscriptionUserData === 'function';
  if (!ok) {
    throw new ConfigError(
      `${PROPERTY}: an assignor object needs name, rebalanceProtocols (EAGER/COOPERATIVE), assign() and subscriptionUserData()`,
      PROPERTY,
    );
  }
  return x as Assignor;
}

/**
 * The rebalance protocol a member configured with these assignors uses: the highest protocol that every one of
 * them supports (ConsumerCoordinator's rule). A ConfigError when they share none.
 */
export function chooseRebalanceProtocol(list: readonly Assignor[]): RebalanceProtocol {
  if (list.length === 0) throw new ConfigError(`${PROPERTY} must name at least one assignor`, PROPERTY);
  let common = new Set<RebalanceProtocol>(list[0].rebalanceProtocols);
  for (const a of list.slice(1)) common = new Set(a.rebalanceProtocols.filter((p) => common.has(p)));
  if (common.size === 0) {
    throw new ConfigError(
      `${PROPERTY}: assignors ${list.map((a) => a.name).join(', ')} have no rebalance protocol in common`,
      PROPERTY,
    );
  }
  return [...common].sort((a, b) => RANK[b] - RANK[a])[0];
}

/** What a member puts in its JoinGroup protocols. */
export interface SubscriptionState {
  topics: readonly string[];
  /** Sent as ownedPartitions: what the member owns at this moment (empty under EAGER, after revoking everything). */
  ownedPartitions: readonly TopicPartitions[];
  /** Sent as generationId: the member's current generation, -1 when it has none. */
  generationId: number;
  rackId: string | null;
  /** The last assignment received and its generation, from which sticky assignors build their user data. */
  lastAssignment: MemberOwnState;
}

/**
 * The JoinGroup protocol list: one (name, Subscription bytes) per assignor, in preference order, each with that
 * assignor's user data. `version` is the consumer protocol version to write (3 unless talking to very old peers).
 */
export function joinGroupProtocols(
  list: readonly Assignor[],
  state: SubscriptionState,
  version?: number,
): { name: string; metadata: Buffer }[] {
  return list.map((a) => ({
    name: a.name,
    metadata: encodeSubscription(
      {
        topics: state.topics,
        userData: a.subscriptionUserData(state.lastAssignment),
        ownedPartitions: state.ownedPartitions,
        generationId: state.generationId,
        rackId: state.rackId,
      },
      version,
    ),
  }));
}

/**
 * Checks an assignment produced by an assignor (a custom one, say) before the leader sends it: every member has an
 * entry, every partition goes to a member subscribed to its topic and to one member only, and - under COOPERATIVE -
 * no member receives a partition that another member still claims. Returns the problems found (empty: fine).
 */
export function checkAssignment(
  members: readonly AssignorMember[],
  assignment: GroupAssignment,
  protocol: RebalanceProtocol,
): string[] {
  const problems: string[] = [];
  const ownerOf = new Map<string, string>();
  const claimsOf = new Map<string, Set<string>>();
  const key = (t: string, p: number): string => `${t}-${p}`;
  for (const m of members) {
    const owned = new Set<string>();
    for (const tp of m.ownedPartitions ?? []) for (const p of tp.partitions) owned.add(key(tp.topic, p));
    claimsOf.set(m.memberId, owned);
  }
  for (const m of members) {
    const list = assignment.get(m.memberId);
    if (list === undefined) {
      problems.push(`member ${JSON.stringify(m.memberId)} has no assignment`);
      continue;
    }
    const topics = new Set(m.topics);
    for (const tp of normalizeTopicPartitions(list, `assignment of ${m.memberId}`)) {
      if (!topics.has(tp.topic)) problems.push(`member ${JSON.stringify(m.memberId)} is assigned topic ${JSON.stringify(tp.topic)} it does not subscribe to`);
      for (const p of tp.partitions) {
        const k = key(tp.topic, p);
        const other = ownerOf.get(k);
        if (other !== undefined) problems.push(`partition ${k} is assigned to both ${JSON.stringify(other)} and ${JSON.stringify(m.memberId)}`);
        ownerOf.set(k, m.memberId);
        if (protocol === 'COOPERATIVE' && !claimsOf.get(m.memberId)!.has(k)) {
          for (const [id, owned] of claimsOf) {
            if (id !== m.memberId && owned.has(k)) {
              problems.push(`partition ${k} goes to ${JSON.stringify(m.memberId)} while ${JSON.stringify(id)} still owns it`);
            }
          }
        }
      }
    }
  }
  for (const id of assignment.keys()) {
    if (!claimsOf.has(id)) problems.push(`assignment names ${JSON.stringify(id)}, which is not a member`);
  }
  return problems;
}
