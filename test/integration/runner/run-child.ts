// Child process of the run() crash test (crash.test.ts): one consumer in its own process so the test can SIGKILL it
// in the middle of run(). Its only argument is a JSON ChildArgs. It writes one line per completed record to stdout
// ("D <offset>", written when the handler finished, before the runner records the completion), and "S" once run()
// started. Writes to a pipe are synchronous: a line written is a line the test sees, even if killed right after.
import { Consumer } from '../../../src/index.js';

export interface ChildArgs {
  bootstrap: string;
  topic: string;
  group: string;
  /** This record's handler waits `slowMs` (keeps a gap open below completed records). */
  slowOffset: number;
  slowMs: number;
  concurrency: number;
  autoCommitIntervalMs: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const consumer = new Consumer({
  'bootstrap.servers': args.bootstrap,
  'group.id': args.group,
  'auto.offset.reset': 'earliest',
  'auto.commit.interval.ms': args.autoCommitIntervalMs,
  'gregor.log.level': 'warn',
});
consumer.assign([{ topic: args.topic, partition: 0 }]);
process.on('SIGTERM', () => void consumer.close());
process.stdout.write('S\n');
await consumer.run({
  ordering: 'key',
  concurrency: args.concurrency,
  eachMessage: async (m) => {
    const delay = Number(m.offset) === args.slowOffset ? args.slowMs : 2 + (Number(m.offset) % 5);
    await new Promise((r) => setTimeout(r, delay));
    process.stdout.write(`D ${m.offset}\n`);
  },
});
