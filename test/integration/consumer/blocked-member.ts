// Child process of blocked-loop.test.ts: a group member that takes one message, then blocks its event loop for
// argv's stallMs (Atomics.wait: no timer, no socket, no message is handled meanwhile), then tries to commit that
// message. Prints one JSON line per event on stdout: assigned / revoked / lost (with the time), first (the first
// message's offset), woke (the time the block ended), commit (ok, or the error's code and name).
import { Consumer } from '../../../src/index.js';

const { bootstrap, topic, props, stallMs } = JSON.parse(process.argv[2] ?? '') as {
  bootstrap: string; topic: string; props: Record<string, string | number>; stallMs: number;
};
const say = (line: Record<string, unknown>): void => { process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`); };
const consumer = new Consumer({ 'bootstrap.servers': bootstrap, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false, 'gregor.log.level': 'error', ...props });
const partitions = (p: readonly { partition: number }[]): number[] => p.map((x) => x.partition);
consumer.subscribe([topic], {
  assigned: (p) => { if (p.length > 0) say({ e: 'assigned', partitions: partitions(p) }); },
  revoked: (p) => say({ e: 'revoked', partitions: partitions(p) }),
  lost: (p) => say({ e: 'lost', partitions: partitions(p) }),
});
const first = await consumer.poll(30_000);
if (first === null) throw new Error('no message');
say({ e: 'first', offset: String(first.offset) });
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, stallMs);
say({ e: 'woke' });
try {
  await consumer.commit([{ topic, partition: first.partition, offset: first.offset + 1n }]);
  say({ e: 'commit', result: 'ok' });
} catch (err) {
  const e = err as { code?: string; name?: string };
  say({ e: 'commit', result: `${e.name}:${e.code}` });
}
// The next poll: the partitions are reported lost before anything more is handed out.
const next = await consumer.poll(2000);
say({ e: 'polled', offset: next === null ? null : String(next.offset), partition: next?.partition ?? null });
await consumer.close();
say({ e: 'closed' });
