// KafkaJS 2.2: consumer.run({ eachMessage }), its documented idiom, fromBeginning in a fresh group.
import { createRequire } from 'node:module';
import { deadline, parseArgs, reportAndClose, Tally } from './common.mjs';

const require = createRequire(new URL('../peers/package.json', import.meta.url));
const { Kafka, logLevel } = require('kafkajs');

const args = parseArgs();
const tally = new Tally('kafkajs', args.expected);
deadline(tally);
const options = { groupId: args.group };
if (args.fetch !== null) {
  options.maxBytes = args.fetch.maxBytes;
  options.maxBytesPerPartition = args.fetch.partitionMaxBytes;
  options.minBytes = args.fetch.minBytes;
  options.maxWaitTimeInMs = args.fetch.maxWaitMs;
}
const kafka = new Kafka({ clientId: 'gregor-bench', brokers: [args.bootstrap], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer(options);
// A crash (e.g. a codec KafkaJS lacks: only gzip is built in, lz4/zstd/snappy need plug-ins) ends run() without
// resolving anything: report it instead of waiting for records that will not come.
consumer.on(consumer.events.CRASH, (e) => {
  process.stderr.write(`bench client: KafkaJS crashed: ${e.payload?.error?.message ?? 'unknown error'}\n`);
  process.exit(1);
});
await consumer.connect();
await consumer.subscribe({ topics: [args.topic], fromBeginning: true });
tally.connected();
await consumer.run({
  eachMessage: async ({ message }) => {
    const v = message.value;
    tally.add(v === null ? 0 : v.length);
  },
});
await tally.done;
await reportAndClose(tally, () => consumer.disconnect());
