// Steps the group and cluster scenarios share: wait on the merged ledger, drain to the end and stop every member
// cleanly, and a seeded random number generator (R14).
import type { Ledger } from '../../support/ledger.js';
import type { Group, MemberProcess } from './members.js';

/** Loads the merged ledger every `everyMs` until `cond` holds; rejects naming `what` (and the members' stderr). */
export async function waitLedger(group: Group, what: string, cond: (l: Ledger) => boolean, timeoutMs = 120_000, everyMs = 500): Promise<Ledger> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const l = group.load();
    if (cond(l)) return l;
    // A member that died by itself (a crash, an unhandled rejection) fails the scenario now, not at the deadline.
    const crash = group.members.map((m) => m.crashed()).find((c) => c !== null);
    if (crash !== undefined) throw new Error(`while waiting for ${what}: ${crash}`);
    if (Date.now() > deadline) {
      const err = group.members.map((m) => m.stderr.trim() === '' ? '' : `\n${m.name}: ${m.stderr.trim().slice(-2000)}`).join('');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${l.distinctDelivered()} of ${l.producedCount()} delivered)${err}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Deliveries of one member process in a merged ledger. */
export function deliveredBy(l: Ledger, member: string): number {
  let n = 0;
  for (const e of l.events) if (e.t === 'delivered' && e.member === member) n++;
  return n;
}

/** Deliveries of `member` after its last acknowledged commit of the same partition (what a crash would re-read). */
export function uncommittedOf(l: Ledger, member: string): number {
  const next = new Map<number, bigint>();
  const delivered = new Map<number, bigint[]>();
  for (const e of l.events) {
    if (!('member' in e) || e.member !== member) continue;
    if (e.t === 'committed') next.set(e.partition, BigInt(e.offset));
    else if (e.t === 'delivered') {
      let list = delivered.get(e.partition);
      if (list === undefined) delivered.set(e.partition, (list = []));
      list.push(BigInt(e.offset));
    }
  }
  let n = 0;
  for (const [p, list] of delivered) n += list.filter((o) => o >= (next.get(p) ?? 0n)).length;
  return n;
}

/**
 * Waits until every acknowledged write was delivered (to someone), then stops the live members cleanly (each
 * commits what it delivered and leaves) and returns the final merged ledger.
 */
export async function drainAndStop(group: Group, timeoutMs = 180_000): Promise<Ledger> {
  await waitLedger(group, 'every acknowledged write to be delivered', (l) => l.distinctDelivered() >= l.producedCount(), timeoutMs);
  await stopAll(group.live());
  return group.load();
}

/** Stops members one after the other (clean: SIGTERM), so each final commit is acknowledged before the next leaves. */
export async function stopAll(members: readonly MemberProcess[]): Promise<void> {
  for (const m of members) await m.stop();
}

