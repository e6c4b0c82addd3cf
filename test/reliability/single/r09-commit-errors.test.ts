// R9 commit errors (../shared/notes/reliability.md): a manual commit rejects with the broker's exact error, and only
// retriable errors are retried. One group member reads two partitions through the fault proxy and commits; along
// the way:
//   retriable, injected   NOT_COORDINATOR in an OffsetCommit response; a connection reset in the middle of one:
//                         commit() resolves (retried: a second OffsetCommit went out), the offset is stored
//   not retriable, real   metadata over offset.metadata.max.bytes -> KafkaError OFFSET_METADATA_TOO_LARGE, one request
//                         a commit from outside the group's generation (an assign()-mode consumer of the same group
//                         while the member is active) -> KafkaError UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION, one request
//   not retriable, injected  ILLEGAL_GENERATION (a stale generation) -> KafkaError ILLEGAL_GENERATION, one request
// and the stored offsets never move on a failed commit. Consumption then finishes: nothing lost, commits never go
// backwards, the final commit is last delivered + 1.
import { after, test } from 'node:test';
import { Consumer, KafkaError, type TopicPartition } from '../../../src/index.js';
import { ensureKafka, hostPort, uniqueName } from '../../integration/helpers/kafka.js';
import { connectVia, FaultProxy, type RequestInfo } from '../fault-proxy.js';
import { Ledger } from '../../support/ledger.js';
import { LedgerMember } from '../member.js';
import { finish } from '../report.js';
import { createLedgerTopic, writeLedger } from '../writer.js';

const OFFSET_COMMIT = 8;
const proxies: FaultProxy[] = [];
after(async () => {
  for (const p of proxies) await p.close();
});

/** Offset of the low byte of the error code of a one-topic, one-partition OffsetCommit response. */
function commitErrorCodeAt(frame: Buffer, req: RequestInfo): number {
  // Flexible versions (8+) end with three tag sections (partition, topic, response) after the error code.
  const at = req.apiVersion >= 8 ? frame.length - 4 : frame.length - 1;
  return frame[at] === 0 && frame[at - 1] === 0 ? at : -1;
}

test('R9 commit errors: exact typed errors, retriable ones retried, stored offsets never move on failure', { timeout: 240_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const topic = uniqueName('r9');
  await createLedgerTopic(env.bootstrap, topic, 2);
  const ledger = new Ledger();
  const PER_PARTITION = 2000;
  await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: 2, perPartition: PER_PARTITION, valueBytes: 100 });
  const proxy = await FaultProxy.start(hostPort(env.bootstrap));
  proxies.push(proxy);
  const group = uniqueName('r9-group');
  const consumer = new Consumer({
    'bootstrap.servers': env.bootstrap,
    'group.id': group,
    'group.protocol': 'classic',
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'max.poll.records': 100,
    'gregor.log.level': 'error',
  }, { connectAddress: connectVia([proxy]) });
  const member = new LedgerMember(consumer, ledger.member('m1'));
  const p0: TopicPartition = { topic, partition: 0 };
  const failures: (string | false)[] = [];
  const outcomes: string[] = [];
  const stored = async (): Promise<bigint | null> => (await consumer.committed([p0]))[0].offset;
  const consumeSome = (n: number): Promise<void> => {
    const target = member.delivered + n;
    return member.run({ done: () => member.delivered >= target, timeoutMs: 60_000, commitEvery: 0 });
  };

  /** A commit of p0 with an injected response fault: must resolve, with a second OffsetCommit on the wire. */
  const retriedCommit = async (label: string, fault: Parameters<FaultProxy['inject']>[0]): Promise<void> => {
    await consumeSome(100);
    const before = proxy.responses(OFFSET_COMMIT);
    const armed = proxy.inject(fault);
    try {
      await member.commit([p0]);
    } catch (err) {
      failures.push(`${label}: commit rejected with ${(err as Error).message}`);
      return;
    } finally {
      armed.cancel();
    }
    const hit = armed.hits[0];
    const sent = proxy.responses(OFFSET_COMMIT) - before;
    const want = member.next.get(`${topic}\u00000`)?.offset ?? null;
    const have = await stored();
    outcomes.push(`${label}: resolved after ${sent} OffsetCommit responses`);
    failures.push(
      hit === undefined && `${label}: the fault never hit`,
      hit?.at === -1 && `${label}: error code not found in the OffsetCommit response`,
      sent < 2 && `${label}: not retried (${sent} OffsetCommit response)`,
      have !== want && `${label}: stored offset ${have}, expected ${want}`,
    );
  };

  /** A commit of p0 that must reject with KafkaError `names` after exactly one request, leaving the offset alone. */
  const rejectedCommit = async (label: string, names: string[], run: () => Promise<unknown>, countOn: FaultProxy | null): Promise<void> => {
    const storedBefore = await stored();
    const before = countOn?.responses(OFFSET_COMMIT) ?? 0;
    const err = await run().then(() => null, (e: unknown) => e);
    const sent = (countOn?.responses(OFFSET_COMMIT) ?? 0) - before;
    const storedAfter = await stored();
    const name = err instanceof KafkaError ? err.errorName : null;
    outcomes.push(`${label}: ${name ?? String(err)}${countOn ? ` after ${sent} request` : ''}`);
    failures.push(
      err === null && `${label}: commit resolved, expected ${names.join(' or ')}`,
      err !== null && !(err instanceof KafkaError) && `${label}: rejected with ${String(err)}, not a KafkaError`,
      name !== null && !names.includes(name) && `${label}: ${name}, expected ${names.join(' or ')}`,
      err instanceof KafkaError && err.retriable && `${label}: the error is marked retriable`,
      countOn !== null && sent !== 1 && `${label}: ${sent} OffsetCommit responses (retried a non-retriable error?)`,
      storedAfter !== storedBefore && `${label}: stored offset moved ${storedBefore} -> ${storedAfter}`,
    );
  };

  const outsider = new Consumer({
    'bootstrap.servers': env.bootstrap, 'group.id': group, 'group.protocol': 'classic', 'enable.auto.commit': false, 'gregor.log.level': 'error',
  });
  try {
    consumer.subscribe([topic], member.listener());
    await consumeSome(300);
    await member.commit();

    await retriedCommit('NOT_COORDINATOR', { apiKey: OFFSET_COMMIT, action: { type: 'corrupt', at: commitErrorCodeAt, xor: 16 } });
    await retriedCommit('reset mid-response', { apiKey: OFFSET_COMMIT, action: { type: 'reset', afterBytes: 6 } });

    await consumeSome(100);
    const next = member.next.get(`${topic}\u00000`)?.offset as bigint;
    await rejectedCommit('metadata too large', ['OFFSET_METADATA_TOO_LARGE'],
      () => consumer.commit([{ ...p0, offset: next, metadata: 'm'.repeat(5000) }]), proxy);

    outsider.assign([p0]);
    await rejectedCommit('commit from outside the generation', ['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION'],
      () => outsider.commit([{ ...p0, offset: 1n }]), null);

    await consumeSome(100);
    const armed = proxy.inject({ apiKey: OFFSET_COMMIT, action: { type: 'corrupt', at: commitErrorCodeAt, xor: 22 } });
    await rejectedCommit('ILLEGAL_GENERATION (stale generation)', ['ILLEGAL_GENERATION'], async () => {
      try {
        await member.commit([p0]);
      } finally {
        armed.cancel();
      }
    }, proxy);
    failures.push(armed.hits[0]?.at === -1 && 'ILLEGAL_GENERATION: error code not found in the OffsetCommit response');

    // The rest: the member goes on (rejoining if it believes its generation is stale) and commits normally.
    await member.run({ done: () => ledger.distinctDelivered() >= 2 * PER_PARTITION, timeoutMs: 120_000, commitEvery: 250 });
    const check = ledger.check();
    finish('R9 commit errors', {
      check,
      startedAt: started,
      notes: outcomes.join('; '),
      failures,
    });
  } finally {
    await outsider.close();
    await consumer.close();
  }
});
