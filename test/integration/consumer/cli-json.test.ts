// Acceptance, through the command a user runs: 100,000 records over 6 partitions written by Kafka's Java producer,
// read by `gregor consume --format json`: each exactly once, in offset order within each partition, content intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, createTopic, ensureKafka, partitionForKey, produce, uniqueName } from '../helpers/kafka.js';

const COUNT = 100_000;
const PARTITIONS = 6;

function gregorJson(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'gregor.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`gregor did not finish in 300 s\n${stderr}`)); }, 300_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr }); });
  });
}

test('gregor consume --format json: 100,000 records over 6 partitions, each once, in order per partition', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('cli-100k');
  await createTopic(topic, PARTITIONS);
  await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ key: `key-${i}`, value: `value-${i}`, headers: i % 1000 === 0 ? { n: String(i) } : undefined })),
    { compression: 'zstd', lingerMs: 20, batchSize: 65536 });
  const dir = mkdtempSync(join(tmpdir(), 'gregor-consumer-it-'));
  const config = join(dir, 'consumer.properties');
  writeFileSync(config, `bootstrap.servers=${env.bootstrap}\ngroup.id=${uniqueName('cli-100k-group')}\n`);
  const run = await gregorJson(['consume', config, '--topic', topic, '--from-beginning', '--count', String(COUNT), '--format', 'json']);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, COUNT);
  const seen = new Uint8Array(COUNT);
  const nextOffset = new Map<number, bigint>();
  const lastIndex = new Map<number, number>();
  for (const line of lines) {
    const o = JSON.parse(line) as { topic: string; partition: number; offset: string; key: string; value: string; headers: unknown; timestamp: number };
    assert.equal(o.topic, topic);
    const i = Number(o.key.slice(4));
    assert.equal(o.value, `value-${i}`);
    assert.equal(o.partition, partitionForKey(o.key, PARTITIONS));
    assert.equal(seen[i], 0, `record ${i} printed twice`);
    seen[i] = 1;
    const offset = BigInt(o.offset);
    assert.equal(offset, nextOffset.get(o.partition) ?? 0n, `partition ${o.partition}: offsets in order, none missing`);
    nextOffset.set(o.partition, offset + 1n);
    assert.ok(i > (lastIndex.get(o.partition) ?? -1), `partition ${o.partition}: production order kept`);
    lastIndex.set(o.partition, i);
    if (i % 1000 === 0) assert.ok(JSON.stringify(o.headers).includes(String(i)), `headers of record ${i}: ${JSON.stringify(o.headers)}`);
    assert.ok(o.timestamp > 1_600_000_000_000);
  }
  assert.equal(seen.reduce((a, b) => a + b, 0), COUNT);
});
