// The Runner's own CPU per record, without the network or the decoder: a synthetic host hands records shaped as
// KafkaRecord (batch, offset delta, lazy bigint offset) of 12 partitions, in runs of 140 (as fetches deliver them),
// to the Runner of a build, with the consumer's messaging.process.duration histogram. Not a benchmark client of
// bench/run.mjs; for before/after of src/consumer/runner (bench/README.md, "run(): cost per record").
//   node bench/clients/gregor-run-cpu.mjs [DIST_SRC=dist/src] [records=2000000] [async|sync] [concurrency=1] [partition|key|none]
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
const [dir = new URL('../../dist/src', import.meta.url).pathname, nArg, mode = 'async', conc = '1', ordering = 'partition'] = process.argv.slice(2);
const N = Number(nArg ?? 2_000_000);
const { Runner } = await import(pathToFileURL(join(resolve(dir), 'consumer/runner/runner.js')).href);
const { resolveRunOptions } = await import(pathToFileURL(join(resolve(dir), 'consumer/runner/options.js')).href);
const { Histogram } = await import(pathToFileURL(join(resolve(dir), 'consumer/metrics.js')).href);
const value = Buffer.alloc(100);
const P = 12, B = 140;
// As KafkaRecord: a record holds its batch and its offset's delta; the bigint offset is made when read.
class Rec {
  constructor(batch, partition, offsetDelta) { this.batch = batch; this.partition = partition; this.offsetDelta = offsetDelta; this._offset = undefined; }
  get offset() { return (this._offset ??= this.batch.baseOffset + BigInt(this.offsetDelta)); }
  get topic() { return this.batch.topic; }
  get leaderEpoch() { return this.batch.partitionLeaderEpoch; }
  get key() { return null; }
  get value() { return value; }
}
const offsets = new Array(P).fill(0n);
let produced = 0, part = 0, inBatch = 0, batch = null;
function take() {
  if (produced >= N) return null;
  produced++;
  if (inBatch === B || batch === null) {
    if (batch !== null) part = (part + 1) % P;
    inBatch = 0;
    batch = { topic: 't', baseOffset: offsets[part], partitionLeaderEpoch: 0 };
    offsets[part] += BigInt(B);
  }
  return new Rec(batch, part, inBatch++);
}
let count = 0;
const stop = new AbortController();
let touched = 0;
const onMsg = (m) => { touched += m.value.length; if (++count === N) stop.abort(); };
const eachMessage = mode === 'sync' ? onMsg : async (m) => onMsg(m);
const opts = resolveRunOptions({ eachMessage, signal: stop.signal, concurrency: Number(conc), ordering }, 500);
const host = {
  take, polled() {}, onData() { return () => {}; }, committed: null, commit: async () => {},
  pauseFetch() { return false; }, resumeFetch() {}, rewind() {}, autoCommitIntervalMs: 5000,
  logger: { debug() {}, info() {}, warn() {}, error() {} }, detach() {},
  // As the consumer's host: messaging.process.duration is always recorded.
  processDuration: new Histogram(),
};
const t0 = process.cpuUsage(); const w0 = performance.now();
const summary = await new Runner(opts, host).run([]);
const c = process.cpuUsage(t0); const wall = performance.now() - w0;
const cpu = (c.user + c.system) / 1e6;
console.log(JSON.stringify({ dir, mode, conc, ordering, records: count, cpuPerM: +(cpu / count * 1e6).toFixed(3), recPerS: Math.round(count / wall * 1000), completed: summary.completed, touched }));
