// R13 corrupt, truncated or oversized batches (../shared/notes/reliability.md), with bytes changed on the way by the
// TCP fault proxy (the broker's log stays intact, so a re-fetch reads good data):
//   - one byte flipped inside a record batch of partition 1 (found by the unique ledger value it carries): the
//     application gets a CorruptRecordError naming topic, partition and the batch's offset range; the position stays
//     at the bad batch (never silently advanced); partitions 0 and 2 keep flowing; after a seek to the position the
//     batch is re-fetched and everything is delivered once.
//   - a record batch larger than max.partition.fetch.bytes and fetch.max.bytes: the fetch grows to fit it; the
//     number of Fetch responses stays small (no busy loop).
// (A batch cut at the end of a response is what the broker itself does at every fetch limit, exercised all along in
// R12 with 32 KiB fetches; a response cut by the network is R12's truncated Fetch response.)
import { after, test } from 'node:test';
import { Consumer, CorruptRecordError, type TopicPartition } from '../../../src/index.js';
import { ensureKafka, hostPort, uniqueName } from '../../integration/helpers/kafka.js';
import { connectVia, FaultProxy } from '../fault-proxy.js';
import { Ledger, ledgerValue, parseLedgerValue } from '../../support/ledger.js';
import { LedgerMember } from '../member.js';
import { finish } from '../report.js';
import { createLedgerTopic, writeLedger } from '../writer.js';

const FETCH = 1;
const proxies: FaultProxy[] = [];
after(async () => {
  for (const p of proxies) await p.close();
});

/**
 * Where to flip a byte so that the batch holding `marker` (the value of the record at `offset`) is damaged:
 * 'record' hits the record's value (the batch CRC no longer matches); 'header' hits the batch's magic byte, found by
 * looking back from the value for the batch's base offset (8 bytes, big-endian) followed by magic 2 at +16.
 */
function locator(kind: 'record' | 'header', marker: Buffer, offset: bigint): (frame: Buffer) => number {
  if (kind === 'record') return (f) => f.indexOf(marker) + marker.length + 10;
  return (f) => {
    const at = f.indexOf(marker);
    const base = Buffer.alloc(8);
    for (let o = offset; o >= 0n && o > offset - 500n; o--) {
      base.writeBigInt64BE(o);
      for (let i = f.lastIndexOf(base, at); i >= 0; i = i > 0 ? f.lastIndexOf(base, i - 1) : -1) {
        if (at - i < 64 * 1024 && f[i + 16] === 2) return i + 16;
      }
    }
    return -1;
  };
}

for (const kind of ['record', 'header'] as const) test(`R13 corrupt batch (${kind === 'record' ? 'CRC' : 'magic byte'}): typed error with the offset range, position kept, other partitions flow, seek recovers`, { timeout: 240_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const topic = uniqueName('r13-corrupt');
  const PARTITIONS = 3;
  const PER_PARTITION = 3000;
  await createLedgerTopic(env.bootstrap, topic, PARTITIONS);
  const ledger = new Ledger();
  await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: PER_PARTITION, valueBytes: 300 });
  const target = ledger.events.find((e) => e.t === 'produced' && e.partition === 1 && e.seq === 1500);
  if (target === undefined || target.t !== 'produced') throw new Error('seq 1500 of partition 1 was not written');
  const targetOffset = BigInt(target.offset);
  const proxy = await FaultProxy.start(hostPort(env.bootstrap));
  proxies.push(proxy);
  const consumer = new Consumer({
    'bootstrap.servers': env.bootstrap,
    'group.id': uniqueName('r13-group'),
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'max.partition.fetch.bytes': 32 * 1024,
    'fetch.max.bytes': 96 * 1024,
    'gregor.log.level': 'error',
  }, { connectAddress: connectVia([proxy]) });
  const member = new LedgerMember(consumer, ledger.member('m1'));
  const tp1: TopicPartition = { topic, partition: 1 };
  const errors: CorruptRecordError[] = [];
  let marker: string | undefined;
  let cancelFault = (): void => {};
  let hits = 0;
  try {
    consumer.subscribe([topic], member.listener());
    // Arm once the first record tells the run id (the marker must match the exact value of seq 1500).
    const fault = { armed: false, fired: false, hitAt: -1 };
    let deliveredOthersAfterError = 0;
    let positionAtError: bigint | null = null;
    await member.run({
      done: () => errors.length > 0 && deliveredOthersAfterError >= 100,
      timeoutMs: 120_000,
      commitEvery: 500,
      onMessage: (m) => {
        if (!fault.armed) {
          const run = parseLedgerValue(m.value)?.run as string;
          marker = ledgerValue(run, topic, 1, 1500);
          const bytes = Buffer.from(marker, 'latin1');
          fault.armed = true;
          // Every response carrying the record is corrupted until the error arrives: one of them may hold it only
          // in a batch cut at the response's end, which the consumer rightly drops and fetches again.
          const injected = proxy.inject({
            apiKey: FETCH,
            times: 1000,
            match: (f) => f.includes(bytes),
            // Magic 2 xor 5 = 7: an unknown record format.
            action: { type: 'corrupt', at: locator(kind, bytes, targetOffset), xor: kind === 'record' ? 0xff : 0x05 },
          });
          cancelFault = () => { hits = injected.hits.length; injected.cancel(); };
          void injected.fired.then((hit) => { fault.fired = true; fault.hitAt = hit.at ?? -1; });
        }
        if (errors.length > 0 && m.partition !== 1) deliveredOthersAfterError++;
      },
      onError: async (err) => {
        if (!(err instanceof CorruptRecordError)) return false;
        cancelFault();
        errors.push(err);
        // position() of a failed partition rethrows its error; lag() shows where it stands.
        if (positionAtError === null) positionAtError = consumer.lag().find((l) => l.partition === 1)?.position ?? null;
        return true;
      },
      progress: () => `errors ${errors.length}, fault fired ${fault.fired}, others after error ${deliveredOthersAfterError}`,
    });
    const err = errors[0];
    const p1Delivered = ledger.events.filter((e) => e.t === 'delivered' && e.partition === 1).map((e) => BigInt((e as { offset: string }).offset));
    const p1Max = p1Delivered.reduce((a, b) => (b > a ? b : a), -1n);
    // Recover as an application would: seek to the offset the error names (the fault is cancelled, so the re-fetch
    // is clean). A failed partition stays failed until then: position() rethrows the error.
    const positionThrows = await consumer.position(tp1).then(() => false, (e: unknown) => e === err);
    consumer.seek(tp1, err.baseOffset ?? 0n);
    const healedAt = Date.now();
    let firstAfterSeek: number | null = null;
    await member.run({
      done: () => ledger.distinctDelivered() >= PARTITIONS * PER_PARTITION,
      timeoutMs: 120_000,
      commitEvery: 500,
      onMessage: (m) => {
        if (firstAfterSeek === null && m.partition === 1) firstAfterSeek = Date.now() - healedAt;
      },
      progress: () => `${ledger.distinctDelivered()} of ${PARTITIONS * PER_PARTITION} delivered after the seek`,
    });
    const check = ledger.check({ allowDuplicatesInWindow: false });
    const named = err.message.includes(`${topic}`) && err.message.includes('1');
    finish(`R13 corrupt batch (${kind === 'record' ? 'CRC' : 'magic byte'})`, {
      check,
      recoverMs: firstAfterSeek,
      startedAt: started,
      notes: `CorruptRecordError [${err.partition}] offsets ${err.baseOffset}-${err.lastOffset ?? '?'} (target @${targetOffset}): "${err.message.replace(topic, '<topic>').slice(0, 90)}"; ` +
        `position at error ${positionAtError}; ${hits} response(s) corrupted; ${deliveredOthersAfterError} records of other partitions after it; recover = seek -> next record of the partition`,
      failures: [
        !fault.fired && 'the proxy never corrupted a response',
        fault.hitAt === -1 && 'the locator found nothing to corrupt in the response',
        err.topic !== topic && `error names topic ${err.topic}`,
        err.partition !== 1 && `error names partition ${err.partition}, expected 1`,
        // With an unknown magic byte nothing after it can be trusted: the batch's start is all that can be named.
        (err.baseOffset === undefined || err.baseOffset > targetOffset || (err.lastOffset === undefined ? kind === 'record' : targetOffset > err.lastOffset)) &&
          `error offset range ${err.baseOffset}-${err.lastOffset} does not hold the corrupted record @${targetOffset}`,
        !named && `error message does not name the partition: ${err.message}`,
        positionAtError === null && 'position() unknown after the error',
        positionAtError !== null && err.baseOffset !== undefined && positionAtError > err.baseOffset && `position ${positionAtError} moved past the bad batch starting @${err.baseOffset}`,
        err.baseOffset !== undefined && p1Max >= err.baseOffset && `a record of the bad batch was delivered before the seek (@${p1Max})`,
        deliveredOthersAfterError < 100 && 'other partitions stopped after the error',
        !positionThrows && 'position() of the failed partition did not report its error',
      ],
    });
  } finally {
    await consumer.close();
  }
});

test('R13 oversized batch: the fetch grows to fit, without a busy loop', { timeout: 240_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const topic = uniqueName('r13-big');
  await createLedgerTopic(env.bootstrap, topic, 2);
  const ledger = new Ledger();
  // Partition 0: small records around big ones (600 KB, larger than both fetch limits); partition 1: small only.
  for (let round = 0; round < 3; round++) {
    await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: [0, 1], perPartition: 200, valueBytes: 100 });
    await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: [0], perPartition: 1, valueBytes: 600_000 });
  }
  const proxy = await FaultProxy.start(hostPort(env.bootstrap));
  proxies.push(proxy);
  const consumer = new Consumer({
    'bootstrap.servers': env.bootstrap,
    'group.id': uniqueName('r13-big-group'),
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'max.partition.fetch.bytes': 16 * 1024,
    'fetch.max.bytes': 32 * 1024,
    'gregor.log.level': 'error',
  }, { connectAddress: connectVia([proxy]) });
  const member = new LedgerMember(consumer, ledger.member('m1'));
  try {
    consumer.subscribe([topic], member.listener());
    const total = ledger.producedCount();
    await member.run({ done: () => ledger.distinctDelivered() >= total, timeoutMs: 120_000, commitEvery: 100 });
    const fetches = proxy.responses(FETCH);
    // Needed: about (60 KB small / 16 KB) + 2 per big record; a busy loop makes hundreds per second.
    const bound = 200;
    finish('R13 oversized batch (600 KB > fetch limits)', {
      check: ledger.check({ allowDuplicatesInWindow: false }),
      startedAt: started,
      notes: `${fetches} Fetch responses for ${total} records (3 of 600 KB; limits 16/32 KiB)`,
      failures: [fetches > bound && `${fetches} Fetch responses (bound ${bound}): the fetch does not grow`],
    });
  } finally {
    await consumer.close();
  }
});

