// One group member of the reliability scenarios, in its own process so a scenario can SIGKILL it (R3, R14), stop
// it (SIGSTOP/SIGCONT: a process that stops answering, R8, R14) or bounce it (SIGTERM, R2, R7). It is the shared
// LedgerMember (../member.ts) writing to its own ledger file (Ledger.toFile: one synchronous line per event, so a
// line written survives a SIGKILL right after); the parent merges the files (Ledger.load).
//
// argv[2]: a JSON MemberSpec (members.ts). Besides the ledger events it records marks:
//   'ready'                      subscribed, polling
//   'offsetReset:<reason>'       the consumer applied auto.offset.reset (R4: none may happen after the start)
//   'error:<name>:<message>'     poll() rejected (R5: retriable errors must not surface; R7: FENCED_INSTANCE_ID)
//   'stalling:<ms>', 'stalled:<ms>'  the handler begins and ends the sleep a 'stall' command asked (R8:
//                                max.poll.interval.ms; no commit is in flight then: the loop awaits each one)
// stdin commands, one per line: 'stall <ms>' (the next delivered message's handler awaits <ms> before returning),
// 'commit' (commit what was delivered of the partitions it owns now; recorded as committed or commitFailed),
// 'force-commit' (commit the last delivered offset + 1 of every partition it ever read, owned or not: what a zombie
// would try; the broker must refuse it after the member was fenced or lost its partitions).
// SIGTERM: stop polling, commit what was delivered, close (leave the group; a static member does not leave), exit 0.
import { createInterface } from 'node:readline';
import { Consumer, type Message } from '../../../src/index.js';
import { Ledger } from '../../support/ledger.js';
import { LedgerMember } from '../member.js';
import type { MemberSpec } from './members.js';

const spec = JSON.parse(process.argv[2] ?? '') as MemberSpec;
const ledger = Ledger.toFile(spec.ledgerFile);
const rec = ledger.member(spec.name);
// The member's own account of its group life, as 'log:' marks in its ledger: why it rejoined, where a new partition
// started, what failed. A scenario that fails on a rebalance it did not cause (R4, R17) names the cause from them;
// the CI log keeps only the end of a failure's output. Warnings also go to stderr, as gregor's default logger does.
const GROUP_LOG = new Set(['rejoin requested', 'joined group', 'heartbeat error', 'heartbeat failed', 'start position from committed offset',
  'commit refused in a generation a rebalance ended; committing in the new one']);
const fieldText = (fields?: Record<string, unknown>): string => {
  if (fields === undefined) return '';
  const { group: _group, ...rest } = fields; // the scenario knows its group
  return ` ${JSON.stringify(rest).slice(0, 400)}`;
};
const consumer = new Consumer({
  'bootstrap.servers': spec.bootstrap,
  'group.id': spec.group,
  'client.id': spec.clientId,
  'auto.offset.reset': 'earliest',
  'enable.auto.commit': false,
  'gregor.log.level': 'debug',
  'gregor.logger': (level, message, fields) => {
    const warning = level === 'warn' || level === 'error';
    if (!warning && !GROUP_LOG.has(message)) return;
    const line = `${message}${fieldText(fields)}`;
    if (warning) process.stderr.write(`gregor ${level}: ${line}\n`);
    rec.mark(`log:${level}:${line}`);
  },
  ...spec.properties,
});
const member = new LedgerMember(consumer, rec);
consumer.on('offsetReset', (e) => rec.mark(`offsetReset:${e.reason}`));

let stopping = false;
let stallNext = 0;
process.on('SIGTERM', () => { stopping = true; });
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'stall') stallNext = Number(arg);
  else if (cmd === 'commit') member.commit().catch(() => { /* recorded as commitFailed */ });
  else if (cmd === 'force-commit') {
    const list = [...lastSeen.entries()].map(([partition, offset]) => ({ topic: spec.topic, partition, offset }));
    if (list.length > 0) {
      rec.committing(list);
      consumer.commit(list).then(() => rec.committed(list), (err: unknown) => rec.commitFailed(list, err));
    }
  }
});
const lastSeen = new Map<number, bigint>();

consumer.subscribe([spec.topic], member.listener());
rec.mark('ready');
const describe = (err: unknown): string => {
  const e = err as { errorName?: string; name?: string; message?: string };
  return `${e?.errorName ?? e?.name ?? 'Error'}:${String(e?.message ?? err).replace(/\s+/g, ' ').slice(0, 300)}`;
};
await member.run({
  done: () => stopping,
  timeoutMs: 24 * 3_600_000,
  commitEvery: spec.commitEvery ?? 200,
  onMessage: async (m: Message) => {
    lastSeen.set(m.partition, m.offset + 1n);
    if (stallNext > 0) {
      const ms = stallNext;
      stallNext = 0;
      rec.mark(`stalling:${ms}`);
      await new Promise((r) => setTimeout(r, ms));
      rec.mark(`stalled:${ms}`);
    }
  },
  onError: async (err) => {
    rec.mark(`error:${describe(err)}`);
    process.stderr.write(`member ${spec.name}: poll failed: ${describe(err)}\n`);
    // A fatal error (fenced) fails every poll: do not spin.
    await new Promise((r) => setTimeout(r, 200));
    return true;
  },
}).catch((err: unknown) => { rec.mark(`error:${describe(err)}`); });
await consumer.close().catch((err: unknown) => { rec.mark(`error:close:${describe(err)}`); });
rec.mark('closed');
ledger.close();
process.exit(0);
