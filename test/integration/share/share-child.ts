// Child process of the share-group tests: one ShareConsumer in its own process, so a test can run many members and
// SIGKILL one. Its only argument is a JSON ShareChildArgs. It writes lines to stdout (a pipe: synchronous writes, so a
// line written is a line the test sees even if killed right after):
//   "R"                      once the coordinator assigned it at least one partition
//   "A <partition> <offset> <deliveryCount> <ms>"   a record handed to it (ms: Date.now())
//   "C <ms>"                 the acknowledgements of every record above were answered by the broker (commit())
// Modes: 'accept' accepts each poll's records and commits (the ledger test); 'hold' polls once, holds what it got
// without acknowledging it, and waits to be killed.
import { ShareConsumer } from '../../../src/index.js';

export interface ShareChildArgs {
  bootstrap: string;
  topic: string;
  group: string;
  mode: 'accept' | 'hold';
  maxPollRecords: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ShareChildArgs;
const consumer = new ShareConsumer({
  'bootstrap.servers': args.bootstrap,
  'group.id': args.group,
  'share.acknowledgement.mode': 'explicit',
  'max.poll.records': args.maxPollRecords,
  'gregor.log.level': 'warn',
});
let ready = false;
consumer.on('assigned', (partitions) => {
  if (!ready && partitions.length > 0) {
    ready = true;
    process.stdout.write('R\n');
  }
});
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
consumer.subscribe([args.topic]);
while (!stopping) {
  const records = await consumer.poll(500);
  if (records.length === 0) continue;
  const now = Date.now();
  process.stdout.write(records.map((r) => `A ${r.partition} ${r.offset} ${r.deliveryCount} ${now}\n`).join(''));
  if (args.mode === 'hold') {
    // Hold the records, unacknowledged, until killed.
    await new Promise(() => {});
  }
  for (const r of records) consumer.acknowledge(r, 'accept');
  try {
    await consumer.commit();
  } catch (err) {
    process.stderr.write(`share-child: commit failed: ${(err as Error).message}\n`);
  }
  process.stdout.write(`C ${Date.now()}\n`);
}
await consumer.close();
