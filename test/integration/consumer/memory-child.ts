// Child process of memory.test.ts: consumes a topic to the end with one Consumer and reports the peak RSS and the
// peak of buffered bytes as one JSON line. A separate process, so the RSS is the consumer's alone.
import { Consumer } from '../../../src/index.js';

const [bootstrap, topic, partitions, count, budget] = process.argv.slice(2);
const total = Number(count);
const consumer = new Consumer({
  'bootstrap.servers': bootstrap,
  'group.id': `memory-${process.pid}`,
  'auto.offset.reset': 'earliest',
  'enable.auto.commit': false,
  ...(budget !== undefined ? { 'gregor.fetch.buffer.bytes': Number(budget) } : {}),
});
const buffer = (consumer as unknown as { buffer: { bufferedBytes: number } }).buffer;
consumer.assign(Array.from({ length: Number(partitions) }, (_, partition) => ({ topic, partition })));
let peakRss = 0;
let peakBuffered = 0;
const sample = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  peakBuffered = Math.max(peakBuffered, buffer.bufferedBytes);
};
const timer = setInterval(sample, 10);
let n = 0;
let bytes = 0;
for await (const m of consumer) {
  bytes += m.value?.length ?? 0;
  // A slower application: every 2000 messages a 5 ms pause, so the buffer fills up to its budget.
  if (++n % 2000 === 0) await new Promise((r) => setTimeout(r, 5));
  if (n === total) break;
}
sample();
clearInterval(timer);
await consumer.close();
process.stdout.write(`${JSON.stringify({ count: n, bytes, peakRss, peakBuffered })}\n`);
