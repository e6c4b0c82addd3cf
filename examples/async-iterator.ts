// The same consumer as examples/consumer.ts, written the Node way: `for await` over the consumer, and offsets
// committed by hand, only for messages that were fully processed (at-least-once delivery).
//
//   npm run build
//   node dist/examples/async-iterator.js demo/config.ini [--topic poems] [--commit-every 10]
//
// Why `for await`: the loop asks for the next message only when the body is done with the current one, and
// gregor stops fetching while its buffer is full, so a slow body never makes memory grow (backpressure).
// Why manual commits: with enable.auto.commit the consumer commits what it handed out, on its own schedule; here
// a message counts as done only once processed, and the commit says exactly that.
//
// In your own project the import is `from 'gregor'`; inside this repository the example imports the sources.

import { parseArgs } from 'node:util';
import { Consumer, loadConfigFile, resolveConfig, type Message } from '../src/index.js';

const args = parseArgs({
  allowPositionals: true,
  options: {
    'topic': { type: 'string', default: 'poems' },
    'commit-every': { type: 'string', default: '10' },
  },
});
const configFile = args.positionals[0];
const commitEvery = Number(args.values['commit-every']);
if (configFile === undefined || !Number.isInteger(commitEvery) || commitEvery < 1) {
  console.error('usage: node dist/examples/async-iterator.js <config.ini> [--topic <name>] [--commit-every <n>]');
  process.exit(2);
}

// [default] then [consumer], as in the hands-on; auto-commit off, whatever the file says: this example commits.
const file = loadConfigFile(configFile, { sections: ['default', 'consumer'] });
const config = resolveConfig('consumer', { ...file.values, 'enable.auto.commit': false }, { origins: file.origins });
const consumer = new Consumer(config);

/** The application's work. Anything async fits here: the next message waits for it. */
async function handle(message: Message): Promise<void> {
  console.log(`${message.topic}[${message.partition}]@${message.offset}: ${message.keyString()} = ${message.valueString()}`);
}

// commit() with no arguments commits, for every partition this member owns, the offset after the last message
// handed out. In a `for await` loop that is the message whose body just finished (the next one is not asked for
// before), so it commits exactly what was processed. Called from the rebalance listener too, so progress on
// partitions about to move to another member is saved before they go.
let uncommitted = 0;
async function commitProcessed(): Promise<void> {
  if (uncommitted === 0) return;
  uncommitted = 0;
  await consumer.commit();
}

consumer.subscribe([args.values.topic], { revoked: commitProcessed });

// Ctrl-C or SIGTERM: commit what was processed, then close(), which ends the `for await` loop below even while
// it waits for a message. The handler runs between two messages (the body does not yield mid-message here; with
// an async body, the message in progress is simply not committed, and is read again after a restart).
let stopping: Promise<void> | undefined;
function stop(): void {
  stopping ??= commitProcessed().finally(() => consumer.close());
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

try {
  for await (const message of consumer) {
    await handle(message);
    if (++uncommitted >= commitEvery) await commitProcessed();
  }
} finally {
  // The loop ends when close() was called (by stop), or throws: either way, close (idempotent) after a last commit.
  stop();
  await stopping;
}
console.error('closed: processed offsets committed, group left');
