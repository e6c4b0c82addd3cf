// The Kafka 101 hands-on consumer, step for step, with gregor instead of confluent-kafka-python:
// read config.ini ([default], then [consumer]), subscribe, poll once a second, print each event, and on Ctrl-C
// leave the group and commit the final offsets.
//
//   npm run build
//   node dist/examples/consumer.js demo/config.ini            # the poems topic of `npm run demo`
//   node dist/examples/consumer.js demo/config.ini --reset    # read from the beginning again
//
// In your own project the import is `from 'gregor'`; inside this repository the example imports the sources.

import { parseArgs } from 'node:util';
import { Consumer, loadConfigFile, resolveConfig, type TopicPartition } from '../src/index.js';

// Parse the command line: the config file, --reset, and (gregor's addition) --topic.
const args = parseArgs({
  allowPositionals: true,
  options: {
    reset: { type: 'boolean', default: false },
    topic: { type: 'string', default: 'poems' },
  },
});
const configFile = args.positionals[0];
if (configFile === undefined) {
  console.error('usage: node dist/examples/consumer.js <config.ini> [--reset] [--topic <name>]');
  process.exit(2);
}

// Parse the configuration: the [default] section, updated by the [consumer] section. The property names are
// Kafka's (librdkafka's spellings included: sasl.mechanisms). Relative paths in it are read from the working
// directory, as librdkafka reads them. resolveConfig() checks every property and names the file and line of a bad one.
const file = loadConfigFile(configFile, { sections: ['default', 'consumer'] });
const config = resolveConfig('consumer', file.values, { origins: file.origins });

// Create the Consumer.
const consumer = new Consumer(config);

// With --reset, each partition the group assigns starts at its beginning instead of the committed offset.
async function resetOffset(partitions: TopicPartition[]): Promise<void> {
  if (args.values.reset) await consumer.seekToBeginning(partitions);
}

// Subscribe to the topic.
const topic = args.values.topic;
consumer.subscribe([topic], { assigned: resetOffset });

// Python's '{:12}': left-aligned, padded to 12 characters (code points), never cut.
const pad = (text: string | null): string => {
  const s = text ?? 'null';
  return s + ' '.repeat(Math.max(0, 12 - [...s].length));
};

// Ctrl-C ends the loop at the next poll (within a second); a second Ctrl-C ends the process at once.
let running = true;
process.once('SIGINT', () => { running = false; });

// Poll for new messages from Kafka and print them.
try {
  while (running) {
    const msg = await consumer.poll(1000);
    if (msg === null) {
      // The first messages may take a moment: the group has to assign the partitions first.
      console.log('Waiting...');
    } else {
      // Extract the (optional) key and value, and print. (A failed fetch is no message with an error, as in
      // confluent-kafka: poll() rejects with a typed error, and the finally below still closes the consumer.)
      console.log(`Consumed event from topic ${msg.topic}: key = ${pad(msg.keyString())} value = ${pad(msg.valueString())}`);
    }
  }
} finally {
  // Leave the group and commit the final offsets (enable.auto.commit is on by default).
  await consumer.close();
}
