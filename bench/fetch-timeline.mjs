// The fetch pipeline of one `for await` consumption, on a time line: each Fetch (sent, answered, bytes of records),
// the pauses of the loop longer than 1 ms, the fetch buffer's bytes and chunks every 2 ms, and GC pauses. It is how
// the stall behind a long poll was found (bench/README.md, "A backlog behind a long poll"). Reads a private field of
// the consumer (its FetchBuffer) by name, as latency-path.mjs does; the loop reads the clock per record (~40 ns), so
// its rate is below the benchmark's.
//
//   node bench/fetch-timeline.mjs --topic gregor-bench-100b-2000000 --records 2000000 [--bootstrap host:port]
//     [--root DIR] [--props '{"fetch.max.wait.ms":500}'] [--fetches N] [--gaps N]
import { tracingChannel } from 'node:diagnostics_channel';
import { PerformanceObserver } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const { values: opt } = parseArgs({
  options: {
    topic: { type: 'string' },
    records: { type: 'string' },
    bootstrap: { type: 'string', default: '127.0.0.1:9092' },
    root: { type: 'string', default: '.' },
    props: { type: 'string', default: '{}' },
    fetches: { type: 'string', default: '30' },
    gaps: { type: 'string', default: '30' },
  },
});
if (opt.topic === undefined || opt.records === undefined) {
  console.error('usage: node bench/fetch-timeline.mjs --topic T --records N [--bootstrap host:port] [--root DIR] [--props JSON]');
  process.exit(2);
}
const expected = Number(opt.records);
const { Consumer } = await import(pathToFileURL(resolve(opt.root, 'dist/bundle/index.js')).href);

const fetches = [];
const sentAt = new WeakMap();
const requests = {
  start(ctx) { if (ctx.apiKey === 1) sentAt.set(ctx, performance.now()); },
  asyncEnd(ctx) {
    if (ctx.apiKey !== 1) return;
    let bytes = 0;
    for (const t of ctx.result?.responses ?? []) for (const p of t.partitions ?? []) bytes += p.records?.length ?? 0;
    fetches.push({ sent: sentAt.get(ctx), done: performance.now(), bytes });
  },
  end() {}, asyncStart() {}, error() {},
};
tracingChannel('gregor:request').subscribe(requests);
const gcs = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ at: e.startTime, ms: e.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });

const consumer = new Consumer({
  'bootstrap.servers': opt.bootstrap,
  'group.id': `fetch-timeline-${Date.now()}`,
  'auto.offset.reset': 'earliest',
  ...JSON.parse(opt.props),
});
consumer.subscribe([opt.topic]);
const samples = [];
const sampler = setInterval(() => {
  const b = consumer.buffer; // FetchBuffer (private): bytes and chunks waiting for the application
  samples.push({ at: performance.now(), bytes: b.totalBytes, chunks: b.queue.length - b.head });
}, 2);

let n = 0;
let first = 0;
let last = 0;
const gaps = [];
for await (const m of consumer) {
  const now = performance.now();
  if (n === 0) first = now;
  else if (now - last > 1) gaps.push({ from: last, to: now });
  last = now;
  void m.value;
  if (++n >= expected) break;
}
const end = performance.now();
clearInterval(sampler);
await consumer.close();
tracingChannel('gregor:request').unsubscribe(requests);
gcObserver.disconnect();

const rel = (t) => (t - first).toFixed(1);
const gapMs = gaps.reduce((s, g) => s + g.to - g.from, 0);
const inWindow = gcs.filter((g) => g.at >= first && g.at <= end);
console.log(`${n} records in ${(end - first).toFixed(0)} ms (${(n / (end - first) / 1000).toFixed(2)} M/s); ` +
  `loop paused > 1 ms ${gaps.length} times, ${gapMs.toFixed(0)} ms; GC ${inWindow.length} pauses, ` +
  `${inWindow.reduce((s, g) => s + g.ms, 0).toFixed(0)} ms`);
const shown = fetches.filter((f) => f.done >= first);
console.log(`\nFetch requests answered from the first record on: ${shown.length} (ms from the first record)`);
for (const f of shown.slice(0, Number(opt.fetches))) {
  console.log(`  sent ${rel(f.sent)}  answered ${rel(f.done)}  (${(f.done - f.sent).toFixed(1)} ms)  ${(f.bytes / 1048576).toFixed(2)} MiB`);
}
console.log('\nloop pauses > 1 ms');
for (const g of gaps.slice(0, Number(opt.gaps))) console.log(`  ${rel(g.from)} -> ${rel(g.to)} (${(g.to - g.from).toFixed(1)} ms)`);
console.log('\nfetch buffer every 2 ms (ms: MiB/chunks; ! = empty)');
const line = samples.filter((s) => s.at >= first && s.at <= end)
  .map((s) => `${rel(s.at).split('.')[0]}:${(s.bytes / 1048576).toFixed(0)}/${s.chunks}${s.chunks === 0 ? '!' : ''}`);
for (let i = 0; i < line.length; i += 12) console.log('  ' + line.slice(i, i + 12).join(' '));
