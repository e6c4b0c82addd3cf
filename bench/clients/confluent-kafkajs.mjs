// @confluentinc/kafka-javascript (librdkafka underneath), its KafkaJS-compatible API: run({ eachMessage }).
import { createRequire } from 'node:module';
import { deadline, parseArgs, reportAndClose, Tally } from './common.mjs';

const require = createRequire(new URL('../peers/package.json', import.meta.url));
const { KafkaJS } = require('@confluentinc/kafka-javascript');

const args = parseArgs();
const tally = new Tally('confluent-kafkajs', args.expected);
deadline(tally);
const kafkaJS = { groupId: args.group, fromBeginning: true };
if (args.fetch !== null) {
  // This API maps maxBytes to librdkafka's fetch.message.max.bytes (a per-partition alias), so the total goes in as
  // librdkafka's own fetch.max.bytes.
  kafkaJS.maxBytesPerPartition = args.fetch.partitionMaxBytes;
  kafkaJS.minBytes = args.fetch.minBytes;
  kafkaJS.maxWaitTimeInMs = args.fetch.maxWaitMs;
}
const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: [args.bootstrap], logLevel: KafkaJS.logLevel.NOTHING } });
const consumer = kafka.consumer(args.fetch === null ? { kafkaJS } : { kafkaJS, 'fetch.max.bytes': args.fetch.maxBytes });
await consumer.connect();
await consumer.subscribe({ topics: [args.topic] });
tally.connected();
await consumer.run({
  eachMessage: async ({ message }) => {
    const v = message.value;
    tally.add(v === null ? 0 : v.length);
  },
});
await tally.done;
await reportAndClose(tally, () => consumer.disconnect());
