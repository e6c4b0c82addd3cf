// Where the time goes between a Fetch response's arrival and the application, in process, against a real broker:
// a `for await` consumer reads a fresh 12-partition topic while producer-perf-test writes 100 B records at a fixed
// rate (acks=1, linger.ms=0, as the latency workloads). Internal methods are wrapped from outside (they are private:
// this script follows their names, and says so when one is missing) to stamp, per Fetch response on the fetch lane,
// microseconds from the frame's arrival to: the end of decoding and settling it, the fetcher's handleResponse(), the
// first chunk pushed, the first record taken, the first record in the loop body, plan() of the next Fetch, the
// connection's request(), its send(), and the socket write; and for every record, the loop body. Medians (p50), over
// the records after the first 3 s. bench/README.md, "Latency: the next Fetch after the records".
//
//   node bench/latency-path.mjs [--root <checkout with dist/>] [--rate 5000] [--seconds 10] [--bootstrap 127.0.0.1:9092]
import { spawnSync, spawn } from 'node:child_process';
import net from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({ options: {
  root: { type: 'string', default: resolve(import.meta.dirname, '..') },
  rate: { type: 'string', default: '5000' }, seconds: { type: 'string', default: '10' },
  bootstrap: { type: 'string', default: '127.0.0.1:9092' },
} });
const TOOL = resolve(import.meta.dirname, '..', 'scripts', 'kafka-tool');
const records = Number(o.rate) * Number(o.seconds);
const topic = `gregor-latency-path-${process.pid}`;
const dist = (m) => import(`${resolve(o.root)}/dist/src/${m}`);
const [{ Consumer }, { Connection }, { Fetcher }, { FetchBuffer }, { Delivery }] = await Promise.all(
  ['index.js', 'network/connection.js', 'consumer/fetcher.js', 'consumer/fetch-buffer.js', 'consumer/delivery.js'].map(dist));

const stamps = { decoded: [], handleResponse: [], pushed: [], taken: [], loopBody: [], plan: [], request: [], send: [], write: [] };
let frameAt = 0;
/** Past the warm-up (the first 3 s after the first record): stamps count. */
let warm = false;
/** Which stamps of the current response are still to be taken (each once per response). */
const pending = new Set();
const stamp = (name) => {
  if (!pending.delete(name) || !warm) return;
  stamps[name].push(performance.now() - frameAt);
};
function wrap(proto, name, before, after) {
  const orig = proto[name];
  if (typeof orig !== 'function') throw new Error(`latency-path: ${proto.constructor.name}.${name} is gone: update this script`);
  proto[name] = function (...args) {
    before?.call(this, ...args);
    const r = orig.apply(this, args);
    after?.call(this, r, ...args);
    return r;
  };
}
const isFetchLane = (conn) => conn.config.label?.endsWith(' fetch') === true;
wrap(Connection.prototype, 'onFrame', function () {
  if (!isFetchLane(this)) return;
  frameAt = performance.now();
  for (const k of Object.keys(stamps)) pending.add(k);
}, function () { if (isFetchLane(this)) stamp('decoded'); });
wrap(Fetcher.prototype, 'handleResponse', () => stamp('handleResponse'));
wrap(FetchBuffer.prototype, 'push', () => stamp('pushed'));
wrap(Delivery.prototype, 'take', undefined, (m) => { if (m !== null) stamp('taken'); });
wrap(Fetcher.prototype, 'plan', () => stamp('plan'));
wrap(Connection.prototype, 'request', function (apiKey) { if (apiKey === 1 && isFetchLane(this)) stamp('request'); });
wrap(Connection.prototype, 'send', function (p) { if (p.apiKey === 1 && isFetchLane(this)) stamp('send'); });
// A Fetch request frame: size prefix, then api key 1.
wrap(net.Socket.prototype, 'write', (chunk) => { if (chunk?.length > 6 && chunk.readInt16BE(4) === 1) stamp('write'); });

spawnSync(TOOL, ['topics', '--bootstrap-server', o.bootstrap, '--create', '--topic', topic, '--partitions', '12',
  '--replication-factor', '1'], { stdio: 'ignore' });
try {
  const consumer = new Consumer({ 'bootstrap.servers': o.bootstrap, 'group.id': topic, 'auto.offset.reset': 'earliest' });
  consumer.subscribe([topic]);
  const producer = spawn(TOOL, ['producer-perf-test', '--bootstrap-server', o.bootstrap, '--topic', topic,
    '--num-records', String(records), '--record-size', '100', '--throughput', o.rate, '--producer-props', 'acks=1',
    'linger.ms=0'], { stdio: 'ignore', env: { ...process.env, KAFKA_TOOL_HEAP: '512m' } });
  const all = [];
  let n = 0;
  let start = 0;
  for await (const _ of consumer) {
    if (n++ === 0) start = performance.now();
    else if (!warm) warm = performance.now() - start > 3000;
    if (warm) all.push(performance.now() - frameAt);
    stamp('loopBody');
    if (n >= records) break;
  }
  await consumer.close();
  await new Promise((done) => (producer.exitCode !== null ? done() : producer.once('exit', done)));
  const p50 = (a) => (a.length === 0 ? null : Math.round([...a].sort((x, y) => x - y)[a.length >> 1] * 1000));
  const out = { rate: Number(o.rate), records: all.length, fetches: stamps.write.length, everyRecordInLoopBody: p50(all) };
  for (const [k, v] of Object.entries(stamps)) out[k] = p50(v);
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  spawnSync(TOOL, ['topics', '--bootstrap-server', o.bootstrap, '--delete', '--topic', topic], { stdio: 'ignore' });
}
