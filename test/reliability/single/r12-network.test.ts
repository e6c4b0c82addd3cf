// R12 network faults (../shared/notes/reliability.md) through the TCP fault proxy on loopback: added latency, a
// connection reset in the middle of a Fetch response, a truncated Fetch response, and a black hole longer than
// request.timeout.ms. Each time: nothing lost, nothing duplicated or skipped, consumption resumes without a restart
// of the consumer, the client gives up on a silent connection (timeouts honoured: it opens a new one while the old
// one still answers nothing), and memory stays bounded by the fetch budget.
//
// Every connection of the consumer goes through the proxy: gregor's connectAddress option maps the broker's address
// (bootstrap and advertised) to the proxy's port.
import { after, test } from 'node:test';
import { Consumer, type Message } from '../../../src/index.js';
import { ensureKafka, hostPort, uniqueName } from '../../integration/helpers/kafka.js';
import { connectVia, FaultProxy, type ResponseFault } from '../fault-proxy.js';
import { Ledger } from '../../support/ledger.js';
import { LedgerMember, waitFor } from '../member.js';
import { finish } from '../report.js';
import { createLedgerTopic, writeLedger } from '../writer.js';

const PARTITIONS = 3;
const PER_PARTITION = 3000;
const VALUE_BYTES = 1000;
const REQUEST_TIMEOUT_MS = 5000;
const FETCH_BUFFER_BYTES = 1 << 20;
const FETCH = 1;

const proxies: FaultProxy[] = [];
after(async () => {
  for (const p of proxies) await p.close();
});

interface Setup {
  ledger: Ledger;
  topic: string;
  proxy: FaultProxy;
  consumer: Consumer;
  member: LedgerMember;
}

async function setup(name: string, props: Record<string, unknown> = {}): Promise<Setup> {
  const env = await ensureKafka();
  const topic = uniqueName(name);
  await createLedgerTopic(env.bootstrap, topic, PARTITIONS);
  const ledger = new Ledger();
  await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: PER_PARTITION, valueBytes: VALUE_BYTES });
  const proxy = await FaultProxy.start(hostPort(env.bootstrap));
  proxies.push(proxy);
  const consumer = new Consumer({
    'bootstrap.servers': env.bootstrap,
    'group.id': uniqueName(`${name}-group`),
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'request.timeout.ms': REQUEST_TIMEOUT_MS,
    'fetch.max.wait.ms': 500,
    // Small fetches: many responses, so a fault lands in the middle of the stream.
    'max.partition.fetch.bytes': 32 * 1024,
    'fetch.max.bytes': 64 * 1024,
    'gregor.fetch.buffer.bytes': FETCH_BUFFER_BYTES,
    'reconnect.backoff.ms': 100,
    'reconnect.backoff.max.ms': 1000,
    'gregor.log.level': 'error',
    ...props,
  }, { connectAddress: connectVia([proxy]) });
  return { ledger, topic, proxy, consumer, member: new LedgerMember(consumer, ledger.member('m1')) };
}

/** Peak of the process's buffer memory while `work` runs (sampled every 100 ms). */
async function peakBuffers<T>(work: () => Promise<T>): Promise<{ value: T; peakMiB: number }> {
  let peak = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.arrayBuffers + m.external);
  };
  const timer = setInterval(sample, 100);
  try {
    const value = await work();
    sample();
    return { value, peakMiB: Math.round(peak / (1 << 20)) };
  } finally {
    clearInterval(timer);
  }
}

const MEMORY_BOUND_MIB = 256;

/**
 * Consumes everything; after `afterRecords` deliveries calls `fault(s)`, which returns the moment recovery is
 * measured from (the fault's hit, or its end) and resolves once the fault is over.
 */
async function scenario(label: string, name: string, afterRecords: number, fault: (s: Setup) => Promise<{ from: number; notes: string; failures?: (string | false)[] }>, props: Record<string, unknown> = {}): Promise<void> {
  const started = Date.now();
  const s = await setup(name, props);
  let faultRun: Promise<{ from: number; notes: string; failures?: (string | false)[] }> | undefined;
  try {
    s.consumer.subscribe([s.topic], s.member.listener());
    const total = PARTITIONS * PER_PARTITION;
    const { peakMiB } = await peakBuffers(() => s.member.run({
      done: () => s.ledger.distinctDelivered() >= total && faultRun !== undefined,
      timeoutMs: 150_000,
      commitEvery: 500,
      onMessage: (_m: Message) => {
        if (faultRun === undefined && s.member.delivered >= afterRecords) {
          faultRun = fault(s);
          faultRun.catch(() => {});
        }
      },
      progress: () => `${s.ledger.distinctDelivered()} of ${total} delivered; proxy accepted ${s.proxy.accepted} connections`,
    }));
    const f = await (faultRun as NonNullable<typeof faultRun>);
    // Recovery: from the fault to the next Fetch response that made it through the proxy.
    const check = s.ledger.check({ allowDuplicatesInWindow: false });
    finish(`R12 ${label}`, {
      check,
      recoverMs: recoveredAt.get(s) === undefined ? null : Math.round((recoveredAt.get(s) as number) - f.from),
      startedAt: started,
      notes: `${f.notes}; peak buffers ${peakMiB} MiB`,
      failures: [
        ...(f.failures ?? []),
        peakMiB > MEMORY_BOUND_MIB && `buffer memory peaked at ${peakMiB} MiB (bound ${MEMORY_BOUND_MIB} MiB with a ${FETCH_BUFFER_BYTES >> 20} MiB fetch budget)`,
      ],
    });
  } finally {
    await s.consumer.close();
  }
}

const recoveredAt = new Map<Setup, number>();

/** Resolves when a Fetch response passes the proxy after the current count; records the time. */
async function nextFetchThrough(s: Setup, timeoutMs: number): Promise<number> {
  const before = s.proxy.responses(FETCH);
  await waitFor(() => s.proxy.responses(FETCH) > before, timeoutMs, 'a Fetch response through the proxy after the fault');
  const at = Date.now();
  // The first recovery after a fault is the one reported.
  if (!recoveredAt.has(s)) recoveredAt.set(s, at);
  return at;
}

async function oneResponseFault(s: Setup, fault: ResponseFault): Promise<{ from: number; acceptedBefore: number }> {
  const acceptedBefore = s.proxy.accepted;
  const armed = s.proxy.inject(fault);
  await armed.fired;
  const from = Date.now();
  await nextFetchThrough(s, 60_000);
  return { from, acceptedBefore };
}

test('R12 latency: 150 ms added to every frame', { timeout: 240_000 }, async () => {
  await scenario('latency 150 ms', 'r12-latency', 2000, async (s) => {
    s.proxy.latencyMs = 150;
    const from = Date.now();
    await waitFor(() => s.member.delivered >= 5000, 120_000, '3000 more deliveries under latency');
    s.proxy.latencyMs = 0;
    recoveredAt.delete(s);
    return { from, notes: 'latency on both directions for 3000 records' };
  });
});

test('R12 reset mid-Fetch: RST after half of a Fetch response, three times', { timeout: 240_000 }, async () => {
  await scenario('reset mid-Fetch (x3)', 'r12-reset', 1500, async (s) => {
    let first = 0;
    let reconnects = 0;
    for (let i = 0; i < 3; i++) {
      const r = await oneResponseFault(s, { apiKey: FETCH, match: (f) => f.length > 16 * 1024, action: { type: 'reset', afterBytes: 8 * 1024 } });
      if (i === 0) first = r.from;
      if (s.proxy.accepted > r.acceptedBefore) reconnects++;
    }
    return { from: first, notes: `3 resets; fetching resumed on a new connection each time (${reconnects}/3)`, failures: [reconnects < 3 && `only ${reconnects} of 3 resets were followed by a new connection`] };
  });
});

test('R12 truncated Fetch response: connection closed cleanly mid-frame', { timeout: 240_000 }, async () => {
  await scenario('truncated Fetch response', 'r12-trunc', 1500, async (s) => {
    const r = await oneResponseFault(s, { apiKey: FETCH, match: (f) => f.length > 16 * 1024, action: { type: 'truncate', afterBytes: 5000 } });
    return { from: r.from, notes: 'FIN after 5000 bytes of a Fetch response', failures: [s.proxy.accepted <= r.acceptedBefore && 'no new connection after the truncated response'] };
  });
});

test('R12 black hole longer than request.timeout.ms', { timeout: 240_000 }, async () => {
  await scenario('black hole 3x request.timeout.ms', 'r12-blackhole', 1500, async (s) => {
    const acceptedBefore = s.proxy.accepted;
    s.proxy.blackhole(true);
    // Three request timeouts of silence: a client that honours request.timeout.ms abandons the silent connection
    // and tries a new one within that time.
    await new Promise((r) => setTimeout(r, 3 * REQUEST_TIMEOUT_MS));
    const newDuring = s.proxy.accepted - acceptedBefore;
    s.proxy.blackhole(false);
    const from = Date.now();
    await nextFetchThrough(s, 60_000);
    return {
      from,
      notes: `${3 * REQUEST_TIMEOUT_MS / 1000} s of silence; ${newDuring} new connection attempt(s) during it; recover = heal -> next Fetch response`,
      failures: [newDuring === 0 && 'no new connection during the black hole: request.timeout.ms was not honoured'],
    };
  });
});

test('R12 black hole on the fetch connection only: one Fetch response never arrives', { timeout: 240_000 }, async () => {
  await scenario('Fetch response black-holed (fetch lane only)', 'r12-fetch-hole', 1500, async (s) => {
    // The connection stays open and silent from that response on; heartbeats and commits (other lanes) go on.
    const r = await oneResponseFault(s, { apiKey: FETCH, match: (f) => f.length > 16 * 1024, action: { type: 'blackhole' } });
    return {
      from: r.from,
      notes: `request.timeout.ms ${REQUEST_TIMEOUT_MS}; recover = response swallowed -> next Fetch response (on a new connection)`,
      failures: [s.proxy.accepted <= r.acceptedBefore && 'no new connection: the silent fetch connection was never given up'],
    };
  });
});

for (const protocol of ['classic', 'consumer'] as const) test(`R12 every connection reset at once (fetch, group and default lanes), twice (group.protocol=${protocol})`, { timeout: 240_000 }, async () => {
  await scenario(`all connections reset (x2), ${protocol === 'classic' ? 'classic group' : 'KIP-848 group'}`, 'r12-resetall', 1500, async (s) => {
    const acceptedBefore = s.proxy.accepted;
    s.proxy.resetAll();
    const from = Date.now();
    await nextFetchThrough(s, 60_000);
    await waitFor(() => s.member.delivered >= 4000, 120_000, '2500 more deliveries after the first reset');
    s.proxy.resetAll();
    await nextFetchThrough(s, 60_000);
    return {
      from,
      notes: `${s.proxy.accepted - acceptedBefore} new connections after the resets; group membership kept (no duplicate allowed)`,
      failures: [s.proxy.accepted <= acceptedBefore && 'no new connection after the resets'],
    };
  }, { 'group.protocol': protocol });
});
