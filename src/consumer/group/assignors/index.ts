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
import { type TopicPartitions, encodeSubscription } from '../../../protocol/consumer-protocol.js';
import type { Assignor, MemberOwnState, RebalanceProtocol } from './assignor.js';
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
