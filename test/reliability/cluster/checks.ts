// Checks of the group and cluster scenarios that the ledger's own check() does not make, computed from a merged
// ledger (Group.load()):
// - resumeViolations(): a member that takes a partition over starts exactly at the group's last commit (R2, R3, R8:
//   "rejoin resumes from the committed offset"), never below it, and never above it past an acknowledged write,
//   unless at an offset a member had sent a commit of (its acknowledgment may never have been recorded).
// - rebalanceEventsSince(): assignment changes after an instant (R4, R5: "no rebalance"; R7: none on the others).
// - marksSince(): the members' marks (errors surfaced by poll(), offset resets) after an instant.
// - settledOn(): every partition owned by exactly one of the given members (the group is stable again).
// - recoveryMs(): from an instant to the first delivery, after it, of each of some partitions (the slowest one).
import type { Ledger, LedgerEvent } from '../../support/ledger.js';

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * For each (member, partition) ownership span, the first delivery is compared with the last commit of the
 * partition (group-wide) before it: equal is right; below it is a re-read of committed records; above it is a skip
 * when an acknowledged write lies in between. With no commit yet, the span must start at the first write.
 */
export function resumeViolations(ledger: Ledger): string[] {
  const out: string[] = [];
  const live = new Map<string, Set<bigint>>();
  const first = new Map<string, bigint>();
  for (const e of ledger.events) {
    if (e.t !== 'produced' || e.aborted === true) continue;
    const k = key(e.topic, e.partition);
    let s = live.get(k);
    if (s === undefined) live.set(k, (s = new Set()));
    const o = BigInt(e.offset);
    s.add(o);
    if (!first.has(k) || o < (first.get(k) as bigint)) first.set(k, o);
  }
  const lastCommit = new Map<string, bigint>();
  // Offsets some member sent a commit of: one may have landed with its acknowledgment never recorded (the member
  // SIGKILLed, or the answer held by a coordinator waiting for a dead replica until after the next owner started).
  const attempted = new Map<string, Set<bigint>>();
  const openSpan = new Set<string>(); // member \u0001 tp key: assigned, nothing delivered yet
  for (const e of ledger.events) {
    if (e.t === 'assigned') {
      for (const p of e.partitions) openSpan.add(`${e.member}\u0001${key(p.topic, p.partition)}`);
    } else if (e.t === 'revoked' || e.t === 'lost') {
      for (const p of e.partitions) openSpan.delete(`${e.member}\u0001${key(p.topic, p.partition)}`);
    } else if (e.t === 'seek') {
      openSpan.delete(`${e.member}\u0001${key(e.topic, e.partition)}`);
    } else if (e.t === 'committing') {
      const k = key(e.topic, e.partition);
      let s = attempted.get(k);
      if (s === undefined) attempted.set(k, (s = new Set()));
      s.add(BigInt(e.offset));
    } else if (e.t === 'committed') {
      lastCommit.set(key(e.topic, e.partition), BigInt(e.offset));
    } else if (e.t === 'delivered') {
      const k = key(e.topic, e.partition);
      const span = `${e.member}\u0001${k}`;
      if (!openSpan.has(span)) continue;
      openSpan.delete(span);
      const at = BigInt(e.offset);
      const from = lastCommit.get(k) ?? first.get(k) ?? 0n;
      const where = `${e.topic}[${e.partition}]`;
      if (at < from) {
        out.push(`resume: ${e.member} started ${where} at ${at}, below the committed ${from}`);
      } else if (at > from && attempted.get(k)?.has(at)) {
        // Where a commit sent before this delivery put it: acknowledged to a member that did not live to record it,
        // or not yet. Loss and duplicates are the ledger's own checks.
      } else {
        for (let o = from; o < at; o++) {
          if (live.get(k)?.has(o)) {
            out.push(`resume: ${e.member} started ${where} at ${at}, skipping ${o} after the committed ${from}`);
            break;
          }
        }
      }
    }
  }
  return out;
}

/** Assignment changes (assigned, revoked, lost) after `since` (ms, ledger time), optionally of some members only. */
export type AssignmentEvent = Extract<LedgerEvent, { t: 'assigned' | 'revoked' | 'lost' }>;

export function rebalanceEventsSince(ledger: Ledger, since: number, members?: (name: string) => boolean): AssignmentEvent[] {
  return ledger.events.filter((e): e is AssignmentEvent => (e.t === 'assigned' || e.t === 'revoked' || e.t === 'lost') && e.at >= since
    && (members === undefined || members(e.member)));
}

/**
 * What the members logged about their group life (member-child.ts's 'log:' marks: rejoin reasons, heartbeat and
 * commit trouble, warnings) from `since` to `until`, the first `max` of them, for a failure that must say why a
 * rebalance nobody asked for happened.
 */
export function groupLogSince(ledger: Ledger, since: number, until = Infinity, max = 6): string {
  const lines = marksSince(ledger, since, 'log:').filter((m) => m.at < until && !/connection failed|connect to/.test(m.label));
  if (lines.length === 0) return 'the members logged nothing about it';
  const t0 = lines[0].at;
  return `members' log: ${lines.slice(0, max).map((m) => `+${Math.round(m.at - t0)} ms ${m.member} ${m.label.slice(4, 220)}`).join(' | ')}${lines.length > max ? ` (+${lines.length - max} more)` : ''}`;
}

/** Members' marks whose label starts with `prefix`, after `since`. */
export function marksSince(ledger: Ledger, since: number, prefix: string): { member: string; label: string; at: number }[] {
  const out: { member: string; label: string; at: number }[] = [];
  for (const e of ledger.events) if (e.t === 'mark' && e.at >= since && e.label.startsWith(prefix)) out.push({ member: e.member, label: e.label, at: e.at });
  return out;
}

/** Partitions each member owns after all events (by assignment events). */
export function owners(ledger: Ledger): Map<string, Set<string>> {
  const owned = new Map<string, Set<string>>();
  for (const e of ledger.events) {
    if (e.t !== 'assigned' && e.t !== 'revoked' && e.t !== 'lost') continue;
    let s = owned.get(e.member);
    if (s === undefined) owned.set(e.member, (s = new Set()));
    for (const p of e.partitions) {
      if (e.t === 'assigned') s.add(key(p.topic, p.partition));
      else s.delete(key(p.topic, p.partition));
    }
  }
  return owned;
}

/** True when each partition 0..partitions-1 of `topic` is owned by exactly one of `members` (and by no one else). */
export function settledOn(ledger: Ledger, topic: string, partitions: number, members: readonly string[]): boolean {
  const owned = owners(ledger);
  const count = new Map<number, number>();
  for (const m of members) {
    for (const k of owned.get(m) ?? []) {
      const [t, p] = k.split('\u0000');
      if (t === topic) count.set(Number(p), (count.get(Number(p)) ?? 0) + 1);
    }
  }
  for (let p = 0; p < partitions; p++) if (count.get(p) !== 1) return false;
  // Nobody else (a member that is gone but did not say so is not counted: pass only live members' names).
  return [...count.values()].every((n) => n === 1) && members.every((m) => (owned.get(m)?.size ?? 0) > 0);
}

/**
 * Milliseconds from `since` to the first delivery, in each of `partitions`, of a record written after `since` (the
 * slowest partition), or null when one of them has none yet. Records written before the fault may still sit in the
 * consumer's buffer and be delivered at once: they say nothing about recovery. This is end to end (the writer's
 * failover is included), as an application sees it.
 */
export function recoveryMs(ledger: Ledger, since: number, topic: string, partitions: readonly number[]): number | null {
  const fresh = new Set<string>();
  for (const e of ledger.events) if (e.t === 'produced' && e.at >= since && e.topic === topic) fresh.add(`${e.partition}:${e.offset}`);
  let worst = 0;
  for (const p of partitions) {
    const e = ledger.events.find((x) => x.t === 'delivered' && x.at >= since && x.topic === topic && x.partition === p && fresh.has(`${p}:${x.offset}`));
    if (e === undefined) return null;
    worst = Math.max(worst, e.at - since);
  }
  return Math.round(worst);
}

/** The time of the parent's mark `label` (throws when missing: a scenario bug). */
export function markAt(ledger: Ledger, label: string): number {
  const t = ledger.markTime(label);
  if (t === undefined) throw new Error(`no mark '${label}' in the ledger`);
  return t;
}
