// Shared setup of the consumer integration tests: a Consumer on the project's real broker with quiet logs, and a
// drain loop that stops after a count or when nothing arrives for a while (so a broken consumer fails the test
// instead of hanging it).
import { Consumer, type Message } from '../../../src/index.js';
import { ensureKafka } from '../helpers/kafka.js';

export async function newConsumer(props: Record<string, unknown>): Promise<Consumer> {
  const env = await ensureKafka();
  return new Consumer({
    'bootstrap.servers': env.bootstrap,
    'gregor.log.level': 'warn',
    ...props,
  });
}

/** Polls until `count` messages arrived, or until nothing arrived for `idleMs`. */
export async function drain(consumer: Consumer, count: number, idleMs = 15_000, onMessage?: (m: Message) => void): Promise<Message[]> {
  const out: Message[] = [];
  while (out.length < count) {
    const m = await consumer.poll(idleMs);
    if (m === null) break;
    out.push(m);
    onMessage?.(m);
  }
  return out;
}

/** Polls for `ms` and returns what arrived (to check that nothing more does). */
export async function pollFor(consumer: Consumer, ms: number): Promise<Message[]> {
  const out: Message[] = [];
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    const m = await consumer.poll(left);
    if (m !== null) out.push(m);
  }
  return out;
}

export function byPartition(messages: readonly Message[]): Map<number, Message[]> {
  const out = new Map<number, Message[]>();
  for (const m of messages) {
    let list = out.get(m.partition);
    if (list === undefined) out.set(m.partition, (list = []));
    list.push(m);
  }
  return out;
}
