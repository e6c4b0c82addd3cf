// The consumer's CPU cost per record without the network: real record sets, the real decoding and delivery code.
// A script, not a test:
//
//   npm run build && node dist/bench/delivery.js [--workloads 100b,1k-lz4,1k-zstd] [--modes iterate,batches,run,decode]
//        [--rounds 5] [--partitions 12] [--fetch-bytes 1048576] [--data-dir .kafka/single/data] [--prefill N]
//        [--json FILE]      appends every round's raw figures to FILE, one JSON line per workload
//        [--compare DIR]    also runs another build of gregor (DIR/dist/src, e.g. `git archive <commit>` built there)
//                           in the same process, interleaved with this one: before/after figures under the same load
//
// The record sets are the broker's own log segments of the benchmark's workload topics (bench/lib/workloads.mjs,
// produced by Kafka's Java producer): the bytes a Fetch response carries, byte for byte. Each partition's log is cut
// into fetch-sized chunks at batch boundaries (max.partition.fetch.bytes, 1 MiB by default), and one "response" holds
// one chunk of every partition, copied into one fresh buffer as the network layer's framing does (so the allocation
// and garbage of a real response are part of the figure; the socket reads are not). The consumer's FetchBuffer then
// receives a chunk per partition, and the application side reads it:
//
//   iterate  `for await` over an async iterator whose next() is the consumer's own (src/consumer/consumer.ts,
//            [Symbol.asyncIterator]): beforePoll, Delivery.take, Delivery.handOut; the loop reads every value
//   consumer the consumer's own next() (Consumer[Symbol.asyncIterator]) on a real Consumer made to look subscribed:
//            what iterate leaves out (state checks, the session check, the membership's poll hook, the gate)
//   bare     `for await` over FetchBuffer.next() alone, a fresh { done, value } per step: the floor under the two above
//   batches  the same through pollBatch()'s steps (one promise per batch of max.poll.records = 500, FetchBuffer.nextMany)
//   run      consumer.run()'s Runner (src/consumer/runner) with its defaults and an async eachMessage, on a host that
//            takes from the same FetchBuffer (no group: nothing committed); messaging.process.duration recorded
//   decode   decodeRecordSet alone over the same chunks, every value read (the records layer's share)
//
// A new response is pushed when the buffer runs dry (the fetcher has always answered in time: no waiting is measured);
// --prefill N pushes N responses before reading starts (a consumer behind its fetcher, the buffer full).
// Modes alternate within each round; each line reports the median (min-max) over the rounds of records/s, CPU seconds
// (user + system, process.cpuUsage) per million records, and garbage-collector ms per million records (v8.GCProfiler: every collection's cost).

import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GCProfiler } from 'node:v8';
import * as delivery from '../src/consumer/delivery.js';
import * as fetchBuffer from '../src/consumer/fetch-buffer.js';
import * as message from '../src/consumer/message.js';
import type { Message } from '../src/consumer/message.js';
import * as partitionState from '../src/consumer/partition-state.js';
import * as recordSource from '../src/consumer/record-source.js';
import * as decode from '../src/protocol/records/decode.js';
import type { DecodeOptions } from '../src/protocol/records/decode.js';
import * as runner from '../src/consumer/runner/runner.js';
import * as runOptions from '../src/consumer/runner/options.js';
import * as consumerModule from '../src/consumer/consumer.js';

/** The modules a run uses: this build's, or (--compare) another build's dist/, loaded beside them. */
interface Impl {
  name: string;
  Delivery: typeof delivery.Delivery;
  FetchBuffer: typeof fetchBuffer.FetchBuffer;
  Message: typeof message.Message;
  PartitionState: typeof partitionState.PartitionState;
  ChunkRecords: typeof recordSource.ChunkRecords;
  scanRecordSet: typeof recordSource.scanRecordSet;
  decodeRecordSet: typeof decode.decodeRecordSet;
  Runner: typeof runner.Runner;
  resolveRunOptions: typeof runOptions.resolveRunOptions;
  Consumer: typeof consumerModule.Consumer;
}

function implOf(name: string, m: {
  d: typeof delivery; f: typeof fetchBuffer; m: typeof message; p: typeof partitionState; r: typeof recordSource; c: typeof decode;
  run: typeof runner; o: typeof runOptions; k: typeof consumerModule;
}): Impl {
  return {
    name, Delivery: m.d.Delivery, FetchBuffer: m.f.FetchBuffer, Message: m.m.Message, PartitionState: m.p.PartitionState,
    ChunkRecords: m.r.ChunkRecords, scanRecordSet: m.r.scanRecordSet, decodeRecordSet: m.c.decodeRecordSet,
    Runner: m.run.Runner, resolveRunOptions: m.o.resolveRunOptions, Consumer: m.k.Consumer,
  };
}

async function loadImpl(dir: string): Promise<Impl> {
  const at = (f: string): Promise<never> => import(pathToFileURL(join(resolve(dir), 'dist', 'src', f)).href) as Promise<never>;
  return implOf(dir, {
    d: await at('consumer/delivery.js'), f: await at('consumer/fetch-buffer.js'), m: await at('consumer/message.js'),
    p: await at('consumer/partition-state.js'), r: await at('consumer/record-source.js'), c: await at('protocol/records/decode.js'),
    run: await at('consumer/runner/runner.js'), o: await at('consumer/runner/options.js'), k: await at('consumer/consumer.js'),
  });
}

const THIS = implOf('this build', { d: delivery, f: fetchBuffer, m: message, p: partitionState, r: recordSource, c: decode, run: runner, o: runOptions, k: consumerModule });

const WORKLOADS: Record<string, { topic: string; records: number }> = {
  '100b': { topic: 'gregor-bench-100b-2000000', records: 2_000_000 },
  '1k': { topic: 'gregor-bench-1k-500000', records: 500_000 },
  '1k-lz4': { topic: 'gregor-bench-1k-lz4-500000', records: 500_000 },
  '1k-zstd': { topic: 'gregor-bench-1k-zstd-500000', records: 500_000 },
  // 2,000 partitions of one-record batches: the per-batch path (--partitions 2000, on the broker that holds it).
  'wide-2k': { topic: 'gregor-bench-wide-2k-400000', records: 400_000 },
  'wide-2k-batched': { topic: 'gregor-bench-wide-2k-batched-400000', records: 400_000 },
};
const MODES = ['iterate', 'consumer', 'bare', 'batches', 'run', 'decode'] as const;
type Mode = (typeof MODES)[number];

type Options = { workloads: string[]; modes: Mode[]; rounds: number; partitions: number; fetchBytes: number; dataDir: string; prefill: number; json: string; compare: string };

function parse(argv: string[]): Options {
  const o = { workloads: ['100b', '1k-lz4', '1k-zstd'], modes: [...MODES] as Mode[], rounds: 5, partitions: 12, fetchBytes: 1 << 20, dataDir: '.kafka/single/data', prefill: 1, json: '', compare: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--workloads') o.workloads = value.split(',');
    else if (flag === '--modes') o.modes = value.split(',') as Mode[];
    else if (flag === '--rounds') o.rounds = Number(value);
    else if (flag === '--partitions') o.partitions = Number(value);
    else if (flag === '--fetch-bytes') o.fetchBytes = Number(value);
    else if (flag === '--data-dir') o.dataDir = value;
    else if (flag === '--prefill') o.prefill = Number(value);
    else if (flag === '--json') o.json = value;
    else if (flag === '--compare') o.compare = value;
    else throw new Error(`unknown argument ${flag}`);
  }
  for (const w of o.workloads) if (WORKLOADS[w] === undefined) throw new Error(`unknown workload ${w} (${Object.keys(WORKLOADS).join(', ')})`);
  for (const m of o.modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m} (${MODES.join(', ')})`);
  return o;
}

/** One partition's log as fetch-sized record sets (views into the segment files), cut at batch boundaries. */
function partitionChunks(dir: string, fetchBytes: number): Buffer[] {
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  const chunks: Buffer[] = [];
  for (const f of logs) {
    const data = readFileSync(join(dir, f));
    let p = 0;
    while (p < data.length) {
      const scan = THIS.scanRecordSet(data.subarray(p, p + fetchBytes));
      // A batch larger than the fetch size comes whole (KIP-74).
      const size = scan.completeBytes > 0 ? scan.completeBytes : (scan.firstEntrySize ?? data.length - p);
      chunks.push(data.subarray(p, p + size));
      p += size;
    }
  }
  return chunks;
}

interface Response {
  parts: { partition: number; bytes: number; endOffset: bigint; endEpoch: number; offset: number }[];
  size: number;
  source: Buffer[];
}

/** Fetch responses in order: response i holds chunk i of every partition that still has one. */
function responses(perPartition: Buffer[][]): Response[] {
  const out: Response[] = [];
  for (let i = 0; ; i++) {
    const r: Response = { parts: [], size: 0, source: [] };
    perPartition.forEach((chunks, partition) => {
      const c = chunks[i];
      if (c === undefined) return;
      const scan = THIS.scanRecordSet(c);
      r.parts.push({ partition, bytes: c.length, endOffset: scan.nextOffset!, endEpoch: scan.lastEpoch, offset: r.size });
      r.source.push(c);
      r.size += c.length;
    });
    if (r.parts.length === 0) return out;
    out.push(r);
  }
}

/** Copies a response into one fresh buffer, as framing assembles a Fetch response, and returns it. */
function receive(r: Response): Buffer {
  const frame = Buffer.allocUnsafe(r.size);
  let p = 0;
  for (const s of r.source) p += s.copy(frame, p);
  return frame;
}

class Feed {
  next = 0;
  readonly buffer: fetchBuffer.FetchBuffer;
  readonly delivery: delivery.Delivery;
  readonly states: partitionState.PartitionState[];

  constructor(private readonly impl: Impl, topic: string, partitions: number, private readonly list: Response[], prefill: number) {
    this.buffer = new impl.FetchBuffer(Number.MAX_SAFE_INTEGER);
    this.delivery = new impl.Delivery(this.buffer, () => false);
    this.states = Array.from({ length: partitions }, (_, p) => {
      const s = new impl.PartitionState(topic, p);
      s.moveTo(0n, -1);
      return s;
    });
    for (let i = 0; i < prefill; i++) this.push();
  }

  /** Pushes the next response's chunks; false when there is none left. */
  push(): boolean {
    const r = this.list[this.next++];
    if (r === undefined) return false;
    const frame = receive(r);
    for (const part of r.parts) {
      const s = this.states[part.partition];
      const records = frame.subarray(part.offset, part.offset + part.bytes);
      this.buffer.push({
        state: s, generation: s.generation, bytes: part.bytes, endOffset: part.endOffset, endEpoch: part.endEpoch,
        records: new this.impl.ChunkRecords(s.topic, s.partition, records, s.position ?? 0n, { checkCrcs: true, readCommitted: false, abortedTransactions: null }),
      });
    }
    return true;
  }
}

/** Mirrors Consumer[Symbol.asyncIterator]'s next() with the network replaced by Feed.push(). */
function iterator(feed: Feed): AsyncIterable<Message> {
  const { delivery } = feed;
  return {
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<Message>> => {
        delivery.beforePoll();
        let m = delivery.take();
        while (m === null && feed.push()) m = delivery.take();
        if (m === null) return Promise.resolve({ done: true, value: undefined });
        return delivery.handOut({ done: false, value: m });
      },
    }),
  };
}

/** The membership as the iteration path sees it (classic: a session check every few records, a poll flag). */
class BenchMembership {
  waitingForPoll = false;
  private readonly lastOk = Date.now();
  sessionLapsed(): boolean {
    return Date.now() - this.lastOk > 45_000;
  }
  onPoll(): void {
    if (this.waitingForPoll) this.waitingForPoll = false;
  }
}

/**
 * The consumer's own `for await` (Consumer[Symbol.asyncIterator]) over the feed: a real Consumer (never connected),
 * made to look subscribed, its buffer and delivery the feed's, a stand-in membership. Its wait for data is the feed's
 * next response.
 */
function consumerIterator(impl: Impl, feed: Feed): AsyncIterable<Message> {
  const c = new impl.Consumer({ 'bootstrap.servers': '127.0.0.1:1', 'group.id': 'gregor-bench-delivery', 'gregor.logger': silent });
  const inside = c as unknown as {
    buffer: fetchBuffer.FetchBuffer; delivery: delivery.Delivery; lifecycle: string; membership: unknown;
    assignmentState: { mode: string };
  };
  const { buffer } = feed;
  // The buffer ran dry: the next response comes in at once (the fetcher has always answered in time), or never.
  feed.delivery.waitForMessage = (): Promise<Message | null> => {
    while (feed.push()) {
      const m = feed.delivery.take();
      if (m !== null) return Promise.resolve(m);
    }
    return new Promise(() => {});
  };
  inside.buffer = buffer;
  inside.delivery = feed.delivery;
  inside.lifecycle = 'active';
  inside.assignmentState.mode = 'subscribe';
  inside.membership = new BenchMembership();
  return c as unknown as AsyncIterable<Message>;
}

/** The floor under iterate: `for await` over the buffer's messages with nothing of the consumer's around them. */
function bareIterator(feed: Feed): AsyncIterable<Message> {
  const { buffer } = feed;
  return {
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<Message>> => {
        let m = buffer.next();
        while (m === null && feed.push()) m = buffer.next();
        if (m === null) return Promise.resolve({ done: true, value: undefined });
        return Promise.resolve({ done: false, value: m });
      },
    }),
  };
}

/** Mirrors Consumer.pollBatch() (max.poll.records = 500). */
async function pollBatch(feed: Feed): Promise<Message[]> {
  const { delivery, buffer } = feed;
  delivery.beforePoll();
  let first = delivery.take();
  while (first === null && feed.push()) first = delivery.take();
  if (first === null) return [];
  const batch = [first];
  // A --compare build from before FetchBuffer.nextMany() took the rest one message at a time, as pollBatch() did.
  const older = buffer as { nextMany?: unknown };
  if (typeof older.nextMany === 'function') {
    buffer.nextMany(batch, 500);
  } else {
    while (batch.length < 500 && !buffer.hasError) {
      const m = buffer.next();
      if (m === null) break;
      batch.push(m);
    }
  }
  delivery.holdBatch(batch);
  return delivery.handOut(batch);
}

const silent = { debug(): void {}, info(): void {}, warn(): void {}, error(): void {} };

/**
 * Mirrors run(): the Runner on a host as consumer.ts builds it (runnerHost()), without a group, taking from the feed's
 * FetchBuffer (a new response pushed when it runs dry, as iterate does). Resolves after `expected` records.
 */
async function runRunner(impl: Impl, feed: Feed, expected: number, each: (m: Message) => void): Promise<void> {
  const { buffer } = feed;
  const stop = new AbortController();
  let seen = 0;
  const eachMessage = async (m: Message): Promise<void> => {
    each(m);
    if (++seen === expected) stop.abort();
  };
  const host: runner.RunnerHost = {
    take: () => {
      if (buffer.hasError) throw buffer.takeError()!;
      let m = buffer.next();
      while (m === null && feed.push()) m = buffer.next();
      return m;
    },
    polled: () => feed.delivery.beforePoll(),
    onData: (listener) => buffer.onData(listener),
    committed: null,
    commit: async () => {},
    commitFailed: () => {},
    pauseFetch: () => false,
    resumeFetch: () => {},
    rewind: () => {},
    autoCommitIntervalMs: 5000,
    logger: silent,
    detach: () => {},
    processDuration: buffer.meter.processDuration,
    identity: { clientId: 'bench', groupId: null },
  };
  await new impl.Runner(impl.resolveRunOptions({ eachMessage, signal: stop.signal }, 500), host).run([]);
}

async function run(impl: Impl, mode: Mode, topic: string, partitions: number, list: Response[], prefill: number, expected = 0): Promise<{ records: number; bytes: number }> {
  let records = 0;
  let bytes = 0;
  if (mode === 'decode') {
    for (const r of list) {
      const frame = receive(r);
      for (const part of r.parts) {
        const opts: DecodeOptions = { checkCrcs: true, topic, partition: part.partition };
        const result = impl.decodeRecordSet(frame.subarray(part.offset, part.offset + part.bytes), opts);
        if (result.error !== undefined) throw result.error;
        for (const b of result.batches) {
          if (b.isControl) continue;
          for (const rec of b.records) {
            const v = rec.value;
            records++;
            bytes += v === null ? 0 : v.length;
          }
        }
      }
    }
  } else if (mode === 'run') {
    const feed = new Feed(impl, topic, partitions, list, prefill);
    await runRunner(impl, feed, expected, (m) => {
      const v = m.value;
      records++;
      bytes += v === null ? 0 : v.length;
    });
  } else if (mode === 'iterate') {
    const feed = new Feed(impl, topic, partitions, list, prefill);
    for await (const m of iterator(feed)) {
      const v = m.value;
      records++;
      bytes += v === null ? 0 : v.length;
    }
  } else if (mode === 'bare') {
    const feed = new Feed(impl, topic, partitions, list, prefill);
    for await (const m of bareIterator(feed)) {
      const v = m.value;
      records++;
      bytes += v === null ? 0 : v.length;
    }
  } else if (mode === 'consumer') {
    // The consumer's iterator waits for more once the feed is used up: the loop ends at the expected count.
    const feed = new Feed(impl, topic, partitions, list, prefill);
    for await (const m of consumerIterator(impl, feed)) {
      const v = m.value;
      records++;
      bytes += v === null ? 0 : v.length;
      if (records === expected) break;
    }
  } else {
    const feed = new Feed(impl, topic, partitions, list, prefill);
    for (;;) {
      const batch = await pollBatch(feed);
      if (batch.length === 0) break;
      for (const m of batch) {
        const v = m.value;
        records++;
        bytes += v === null ? 0 : v.length;
      }
    }
  }
  return { records, bytes };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: number[], digits: number): string => {
  const f = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
};

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const impls = [THIS];
  if (o.compare !== '') impls.push(await loadImpl(o.compare));
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  console.log(`node ${process.version}; fetch chunks of ${o.fetchBytes} B per partition; ${o.rounds} rounds; modes alternate within a round`);
  console.log('workload | mode | records/s | CPU s / M records | GC ms / M records');
  console.log('---|---|--:|--:|--:');
  for (const id of o.workloads) {
    const w = WORKLOADS[id];
    const perPartition: Buffer[][] = [];
    for (let p = 0; p < o.partitions; p++) {
      const dir = join(o.dataDir, `${w.topic}-${p}`);
      if (!existsSync(dir)) throw new Error(`${dir} not found: run the benchmark once (npm run bench) so the workload exists`);
      perPartition.push(partitionChunks(dir, o.fetchBytes));
    }
    const list = responses(perPartition);
    const { records: expected } = await run(THIS, 'decode', w.topic, o.partitions, list, o.prefill);
    const figures = new Map<string, { rate: number[]; cpu: number[]; gc: number[] }>();
    const runs = impls.flatMap((impl) => o.modes.map((mode) => ({ impl, mode, key: impls.length > 1 ? `${mode} (${impl.name})` : mode })));
    for (const r of runs) {
      figures.set(r.key, { rate: [], cpu: [], gc: [] });
      await run(r.impl, r.mode, w.topic, o.partitions, list, o.prefill, expected); // warm-up: compile the hot paths once
    }
    for (let round = 0; round < o.rounds; round++) {
      for (let i = 0; i < runs.length; i++) {
        const { impl, mode, key } = runs[(i + round) % runs.length];
        await settle();
        const gc = new GCProfiler();
        gc.start();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const { records } = await run(impl, mode, w.topic, o.partitions, list, o.prefill, expected);
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const gcMs = (gc.stop()?.statistics ?? []).reduce((sum, e) => sum + e.cost, 0) / 1000;
        const f = figures.get(key)!;
        f.rate.push(records / seconds);
        f.cpu.push((cpu.user + cpu.system) / 1e6 / (records / 1e6));
        f.gc.push(gcMs / (records / 1e6));
      }
    }
    if (o.json !== '') appendFileSync(o.json, `${JSON.stringify({ workload: id, node: process.version, figures: Object.fromEntries(figures) })}\n`);
    for (const [mode, f] of figures) {
      console.log(`${id} | ${mode} | ${fmt(f.rate.map((x) => x / 1000), 0)} k | ${fmt(f.cpu, 3)} | ${fmt(f.gc, 0)}`);
    }
  }
}

await main();
