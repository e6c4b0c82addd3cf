// @platformatic/kafka: consumer.consume() returns a stream; `for await` over it (its README's idiom). mode
// 'earliest' in a fresh group (auto.offset.reset=earliest). Needs Node >= 22.22.
import { createRequire } from 'node:module';
import { deadline, parseArgs, reportAndClose, Tally } from './common.mjs';

const require = createRequire(new URL('../peers/package.json', import.meta.url));
const { Consumer } = await import(require.resolve('@platformatic/kafka'));

const args = parseArgs();
const tally = new Tally('platformatic', args.expected, args.latency);
deadline(tally);
const consumer = new Consumer({ groupId: args.group, clientId: 'gregor-bench', bootstrapBrokers: [args.bootstrap] });
const options = { topics: [args.topic], mode: 'earliest' };
if (args.fetch !== null) {
  options.maxBytes = args.fetch.maxBytes;
  options.maxBytesPerPartition = args.fetch.partitionMaxBytes;
  options.minBytes = args.fetch.minBytes;
  options.maxWaitTime = args.fetch.maxWaitMs;
}
const stream = await consumer.consume(options);
tally.connected();
for await (const m of stream) {
  const v = m.value;
  if (tally.add(v == null ? 0 : v.length, Number(m.timestamp))) break;
}
await reportAndClose(tally, () => consumer.close(true));
