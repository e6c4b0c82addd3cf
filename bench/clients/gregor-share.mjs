// gregor's ShareConsumer (KIP-932) through its public API: a member of a fresh share group (bench/run.mjs sets the
// group config share.auto.offset.reset=earliest first), poll() in the default implicit acknowledgement mode (the
// records of a poll are accepted at the next one), every record's value touched, until the expected count. The
// counterpart of Kafka's ShareConsumerPerformance (one share consumer, its defaults).
import { ShareConsumer } from 'gregor';
import { deadline, parseArgs, reportAndClose, Tally } from './common.mjs';

const args = parseArgs();
const tally = new Tally('gregor-share', args.expected);
deadline(tally);
const consumer = new ShareConsumer({ 'bootstrap.servers': args.bootstrap, 'group.id': args.group });
consumer.subscribe([args.topic]);
tally.connected();
let done = false;
while (!done) {
  for (const m of await consumer.poll(1000)) {
    const v = m.value;
    if (tally.add(v === null ? 0 : v.length)) {
      done = true;
      break;
    }
  }
}
// The last poll's records are accepted by close(), as a real member's would be.
await reportAndClose(tally, () => consumer.close());
