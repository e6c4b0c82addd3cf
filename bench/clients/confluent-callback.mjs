// @confluentinc/kafka-javascript, its callback API (node-rdkafka's): KafkaConsumer in flowing mode, 'data' events.
import { createRequire } from 'node:module';
import { deadline, parseArgs, reportAndClose, Tally } from './common.mjs';

const require = createRequire(new URL('../peers/package.json', import.meta.url));
const { KafkaConsumer } = require('@confluentinc/kafka-javascript');

const args = parseArgs();
const tally = new Tally('confluent-callback', args.expected);
deadline(tally);
const config = {
  'bootstrap.servers': args.bootstrap,
  'group.id': args.group,
};
if (args.fetch !== null) {
  config['fetch.max.bytes'] = args.fetch.maxBytes;
  config['max.partition.fetch.bytes'] = args.fetch.partitionMaxBytes;
  config['fetch.min.bytes'] = args.fetch.minBytes;
  config['fetch.wait.max.ms'] = args.fetch.maxWaitMs;
}
// auto.offset.reset is a topic-level property in this API: in the global object it is overridden by the topic
// configuration's default (latest).
const consumer = new KafkaConsumer(config, { 'auto.offset.reset': 'earliest' });
await new Promise((resolve, reject) => {
  consumer.connect({}, (err) => (err ? reject(err) : resolve()));
});
tally.connected();
consumer.on('data', (m) => {
  const v = m.value;
  tally.add(v == null ? 0 : v.length);
});
consumer.on('event.error', (err) => {
  process.stderr.write(`bench client: ${err?.message ?? err}\n`);
});
consumer.subscribe([args.topic]);
consumer.consume();
await tally.done;
await reportAndClose(tally, () => new Promise((resolve) => consumer.disconnect(() => resolve())));
