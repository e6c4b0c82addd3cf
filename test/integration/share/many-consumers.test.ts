// Pass item of issue 14: a 3-partition topic, 8 gregor share consumers as separate processes while Kafka's Java
// producer (producer-perf-test) writes 40,000 records. Judged by a ledger of every acquisition (record, consumer,
// when handed out, when its acknowledgement was answered): every record accepted, all 8 consumers got work (more
// consumers than partitions), and no record held by two consumers at once while a lock is valid.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Admin } from '../../../src/index.js';
import { producePerf } from '../helpers/kafka.js';
import type { ShareChildArgs } from './share-child.js';
import { bootstrap, LOCK_MS, makeTopic, shareGroup, until } from './support.js';

const CHILD = fileURLToPath(new URL('./share-child.js', import.meta.url));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** One acquisition of a record by a consumer: handed out at `at`, acknowledgement answered at `end`. */
interface Hold {
  consumer: number;
  deliveryCount: number;
  at: number;
  end: number;
}

interface Member {
  proc: ChildProcess;
  ready: boolean;
  /** Records handed out whose commit has not been answered yet. */
  open: string[];
  exited: Promise<void>;
}

function startMember(n: number, args: ShareChildArgs, ledger: Map<string, Hold[]>): Member {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(proc);
  const m: Member = { proc, ready: false, open: [], exited: new Promise((resolve) => proc.on('exit', () => resolve())) };
  let rest = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    rest += chunk;
    const lines = rest.split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      const f = l.split(' ');
      if (f[0] === 'R') m.ready = true;
      else if (f[0] === 'A') {
        const key = `${f[1]}/${f[2]}`;
        let holds = ledger.get(key);
        if (holds === undefined) ledger.set(key, (holds = []));
        holds.push({ consumer: n, deliveryCount: Number(f[3]), at: Number(f[4]), end: Infinity });
        m.open.push(key);
      } else if (f[0] === 'C') {
        for (const key of m.open) {
          const h = ledger.get(key)!.findLast((x) => x.consumer === n);
          if (h !== undefined && h.end === Infinity) h.end = Number(f[1]);
        }
        m.open = [];
      }
    }
  });
  return m;
}

test('8 share consumers (processes) on 3 partitions while the Java producer writes 40,000 records: all delivered, all 8 work, no record held twice at once', { timeout: 180_000 }, async () => {
  const total = 40_000;
  const topic = await makeTopic('share-many', 3);
  const group = await shareGroup('share-many');
  const ledger = new Map<string, Hold[]>();
  const args: ShareChildArgs = { bootstrap: await bootstrap(), topic, group, mode: 'accept', maxPollRecords: 100 };
  const members = Array.from({ length: 8 }, (_, n) => startMember(n, args, ledger));
  await until('all 8 members assigned', () => members.every((m) => m.ready), 60_000);
  // Small batches (4 KiB, ~35 records of 100 B) so the broker can hand out work in small pieces to all members.
  await producePerf(topic, total, 100, { batchSize: 4096, lingerMs: 2 });
  const admin = new Admin({ 'bootstrap.servers': args.bootstrap });
  let ends: bigint[];
  try {
    const listed = await admin.listOffsets([0, 1, 2].map((partition) => ({ topic, partition, spec: 'latest' as const })));
    ends = [0, 1, 2].map((p) => listed.find((l) => l.partition === p)!.offset);
  } finally {
    await admin.close();
  }
  assert.equal(ends.reduce((a, b) => a + b, 0n), BigInt(total));
  const accepted = (): number => {
    let n = 0;
    for (const holds of ledger.values()) if (holds.some((h) => h.end !== Infinity)) n++;
    return n;
  };
  await until(`all ${total} records accepted (so far ${accepted()})`, () => accepted() === total, 90_000);
  for (const m of members) m.proc.kill('SIGTERM');
  await Promise.all(members.map((m) => m.exited));

  // Every record of every partition, no other.
  for (let p = 0; p < 3; p++) {
    for (let o = 0n; o < ends[p]; o++) assert.ok(ledger.has(`${p}/${o}`), `record ${p}/${o} never delivered`);
  }
  assert.equal(ledger.size, total);
  // All 8 members got work.
  const perMember = Array.from({ length: 8 }, (_, n) => [...ledger.values()].filter((hs) => hs.some((h) => h.consumer === n)).length);
  assert.ok(perMember.every((c) => c > 0), `records per member: ${perMember.join(', ')}`);
  // No two holds of one record overlap while the earlier lock is valid: a later acquisition starts after the earlier
  // holder's acknowledgement was answered, or after its lock ran out.
  let redelivered = 0;
  for (const [key, holds] of ledger) {
    holds.sort((a, b) => a.at - b.at);
    for (let i = 1; i < holds.length; i++) {
      redelivered++;
      const prev = holds[i - 1];
      const lockEnd = Math.min(prev.end, prev.at + LOCK_MS);
      assert.ok(holds[i].at >= lockEnd, `${key}: held by consumer ${prev.consumer} from ${prev.at} to ${prev.end} and by ${holds[i].consumer} from ${holds[i].at}`);
    }
  }
  console.log(`records per member: ${perMember.join(', ')}; redelivered: ${redelivered}`);
});
