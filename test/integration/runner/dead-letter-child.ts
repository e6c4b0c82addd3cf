// Child process of the dead-letter crash test (dead-letter.test.ts): a run() consumer with
// gregor.error.policy=dead-letter whose sink is the built-in one wrapped so that, once the dead letter of the first
// poison record is acknowledged, it writes "A <partition> <offset>" to stdout and never resolves: the record cannot
// be completed, so nothing commits past it, and the test SIGKILLs the process at exactly that point (after the
// dead-letter produce was acknowledged, before the commit). Other lines: "S" once run() started, "D <partition>
// <offset>" per good record handled. Writes to a pipe are synchronous: a line written is a line the test sees.
import { Consumer, ProducerDeadLetterSink, resolveConfig, type DeadLetter } from '../../../src/index.js';

export interface DeadLetterChildArgs {
  bootstrap: string;
  topic: string;
  group: string;
  partitions: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as DeadLetterChildArgs;
const config = resolveConfig('consumer', {
  'bootstrap.servers': args.bootstrap,
  'group.id': args.group,
  'auto.offset.reset': 'earliest',
  'auto.commit.interval.ms': 50,
  'gregor.error.policy': 'dead-letter',
  'gregor.log.level': 'error',
});
const inner = new ProducerDeadLetterSink(config);
let held = false;
const consumer = new Consumer(config, {
  deadLetterSink: {
    send: async (letter: DeadLetter) => {
      await inner.send(letter);
      if (held) return;
      held = true;
      process.stdout.write(`A ${letter.record.partition} ${letter.record.offset}\n`);
      await new Promise(() => {});
    },
    close: () => inner.close(),
  },
});
consumer.assign(Array.from({ length: args.partitions }, (_, partition) => ({ topic: args.topic, partition })));
process.stdout.write('S\n');
await consumer.run({
  retry: false,
  eachMessage: (m) => {
    if (m.valueString()!.includes('"poison":true')) throw new Error(`cannot handle ${m.valueString()}`);
    process.stdout.write(`D ${m.partition} ${m.offset}\n`);
  },
});
