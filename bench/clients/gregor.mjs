// gregor, through its public API: subscribe() in a fresh group, `for await` over the consumer (the idiom README
// shows). With --api batches: `for await` over consumer.batches() (one promise per batch); with --api run:
// consumer.run({ eachMessage }) (issue 6); --ordering key|none --concurrency N change run()'s ordering and concurrency,
// --handler sync makes eachMessage a plain function (run() lands its result without a promise).
// `from 'gregor'` resolves through package.json's `exports` (a self-reference): the bundle, what users import.
import { constants as perf, PerformanceObserver } from 'node:perf_hooks';
import { Consumer } from 'gregor';
import { deadline, parseArgs, reportAndClose, Tally } from './common.mjs';

// GREGOR_BENCH_GC=1: the garbage collector's pauses (count and total ms, per kind) on stderr after the report line.
const gc = { count: 0, ms: 0, byKind: {} };
if (process.env.GREGOR_BENCH_GC === '1') {
  // detail.kind is one of perf_hooks' NODE_PERFORMANCE_GC_* constants (4 is a full mark-compact, 8 incremental marking).
  const kinds = {
    [perf.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [perf.NODE_PERFORMANCE_GC_MINOR_MARK_SWEEP]: 'minor mark-sweep',
    [perf.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [perf.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [perf.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.ms += e.duration;
      const k = kinds[e.detail?.kind] ?? String(e.detail?.kind);
      gc.byKind[k] = (gc.byKind[k] ?? 0) + e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => {
    const byKind = Object.entries(gc.byKind).map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`).join(', ');
    process.stderr.write(`gc: ${gc.count} pauses, ${gc.ms.toFixed(0)} ms (${byKind})\n`);
  });
}

const argv = process.argv.slice(2);
let api = 'iterator';
const own = (flag) => {
  const at = argv.indexOf(flag);
  if (at === -1) return undefined;
  const v = argv[at + 1];
  argv.splice(at, 2);
  return v;
};
api = own('--api') ?? api;
const ordering = own('--ordering');
const concurrency = own('--concurrency');
const handler = own('--handler') ?? 'async';
const args = parseArgs(argv);
const config = {
  'bootstrap.servers': args.bootstrap,
  'group.id': args.group,
  'auto.offset.reset': 'earliest',
};
if (args.fetch !== null) {
  config['fetch.max.bytes'] = args.fetch.maxBytes;
  config['max.partition.fetch.bytes'] = args.fetch.partitionMaxBytes;
  config['fetch.min.bytes'] = args.fetch.minBytes;
  config['fetch.max.wait.ms'] = args.fetch.maxWaitMs;
}
// GREGOR_BENCH_PROPS: extra properties as JSON (e.g. '{"gregor.fetch.buffer.bytes":16777216}'), for experiments.
if (process.env.GREGOR_BENCH_PROPS !== undefined) Object.assign(config, JSON.parse(process.env.GREGOR_BENCH_PROPS));
const tally = new Tally(`gregor-${api}${ordering === undefined ? '' : `-${ordering}`}${handler === 'sync' ? '-sync' : ''}`, args.expected, args.latency);
deadline(tally);
const consumer = new Consumer(config);
consumer.subscribe([args.topic]);
tally.connected();

if (api === 'iterator') {
  for await (const m of consumer) {
    const v = m.value;
    if (tally.add(v === null ? 0 : v.length, m.timestamp)) break;
  }
} else if (api === 'batches') {
  let done = false;
  for await (const batch of consumer.batches()) {
    for (const m of batch) {
      const v = m.value;
      if (tally.add(v === null ? 0 : v.length, m.timestamp)) done = true;
    }
    if (done) break;
  }
} else if (api === 'run') {
  if (typeof consumer.run !== 'function') {
    process.stderr.write('bench client: this gregor has no consumer.run() yet (issue 6)\n');
    process.exit(4);
  }
  // run() with its defaults (one record at a time per partition, in order) and an async eachMessage, as KafkaJS's
  // client is written; it resolves once the signal stops it.
  const stop = new AbortController();
  const each = (m) => {
    const v = m.value;
    if (tally.add(v === null ? 0 : v.length, m.timestamp)) stop.abort();
  };
  const running = consumer.run({
    eachMessage: handler === 'sync' ? each : async (m) => each(m),
    signal: stop.signal,
    ...(ordering === undefined ? {} : { ordering }),
    ...(concurrency === undefined ? {} : { concurrency: Number(concurrency) }),
  });
  running.catch((err) => {
    process.stderr.write(`bench client: run() failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  });
  await tally.done;
} else {
  process.stderr.write(`bench client: unknown --api '${api}' (iterator, batches or run)\n`);
  process.exit(2);
}
await reportAndClose(tally, () => consumer.close());
