// gregor consume, the command a user runs, against the project's real Kafka: records written by Kafka's Java
// producer, read over the SASL_SSL listener with a config.ini of the hands-on's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, USERS, committedOffsets, createTopic, ensureKafka, produce, uniqueName } from '../helpers/kafka.js';

const BIN = join(ROOT, 'bin', 'gregor.js');

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string }

/** Runs bin/gregor.js; `onStdout` may send it a signal. A hard timeout keeps a hang from stalling the suite. */
function gregor(args: string[], onStdout?: (stdout: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`gregor ${args.join(' ')} did not finish in 120 s\n${stderr}`)); }, 120_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; onStdout?.(stdout, child); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

function handsOnIni(dir: string, bootstrap: string, caFile: string, group: string, password = USERS.PLAIN.password): string {
  const file = join(dir, `${group}.ini`);
  writeFileSync(file, `[default]
bootstrap.servers=${bootstrap}
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=${USERS.PLAIN.username}
sasl.password=${password}
ssl.ca.location=${caFile}

[consumer]
group.id=${group}

# 'auto.offset.reset=earliest' to start reading from the beginning of
# the topic if no committed offsets exist.
auto.offset.reset=earliest
`);
  return file;
}

const KEYS = ['awalker', 'eabara', 'htanaka', 'jbernard', 'jsmith', 'sgarcia'];
const RECORDS = Array.from({ length: 30 }, (_, i) => ({ key: KEYS[i % KEYS.length], value: `poem line ${i}` }));

test('gregor consume over SASL_SSL prints the hands-on lines, commits them, and exits 0', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('cli-poems');
  await createTopic(topic, 3);
  await produce(topic, RECORDS);
  const dir = mkdtempSync(join(tmpdir(), 'gregor-cli-it-'));

  const group = uniqueName('cli-group');
  const run = await gregor(['consume', handsOnIni(dir, env.saslSslBootstrap, env.caFile, group), '--topic', topic, '--count', String(RECORDS.length)]);
  assert.equal(run.code, 0, run.stderr);
  // Python's "{:12}" on ASCII text is padEnd(12): computed here independently of gregor's formatter.
  const expected = RECORDS.map((r) => `Consumed event from topic ${topic}: key = ${r.key.padEnd(12)} value = ${r.value.padEnd(12)}`);
  const lines = run.stdout.split('\n');
  assert.equal(lines.pop(), '', 'output ends with a newline');
  assert.deepEqual([...lines].sort(), [...expected].sort());
  // Within one key (one partition) the order is the produced order.
  for (const key of KEYS) {
    assert.deepEqual(lines.filter((l) => l.includes(`key = ${key.padEnd(12)}`)), expected.filter((l) => l.includes(`key = ${key.padEnd(12)}`)));
  }
  assert.doesNotMatch(run.stderr, /warning|error/i);
  // close() committed everything printed.
  const committed = await committedOffsets(group);
  assert.equal(committed.reduce((sum, c) => sum + Number(c.offset ?? 0n), 0), RECORDS.length);

  // --format json through a second group: offsets as strings, increasing within each partition.
  const jsonRun = await gregor(['consume', handsOnIni(dir, env.saslSslBootstrap, env.caFile, uniqueName('cli-json')), '--topic', topic,
    '--count', String(RECORDS.length), '--format', 'json']);
  assert.equal(jsonRun.code, 0, jsonRun.stderr);
  const objects = jsonRun.stdout.trim().split('\n').map((l) => JSON.parse(l) as { partition: number; offset: string; key: string; value: string });
  assert.equal(objects.length, RECORDS.length);
  assert.deepEqual(objects.map((o) => `${o.key}|${o.value}`).sort(), RECORDS.map((r) => `${r.key}|${r.value}`).sort());
  const last = new Map<number, bigint>();
  for (const o of objects) {
    const offset = BigInt(o.offset);
    assert.ok(offset > (last.get(o.partition) ?? -1n), `partition ${o.partition}: offset ${offset} after ${last.get(o.partition)}`);
    last.set(o.partition, offset);
  }
});

test('Ctrl-C (SIGINT) closes cleanly: exit 0, and what was printed is committed', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('cli-sigint');
  await createTopic(topic, 1);
  await produce(topic, RECORDS.slice(0, 10));
  const dir = mkdtempSync(join(tmpdir(), 'gregor-cli-it-'));
  const group = uniqueName('cli-sigint-group');
  let sent = false;
  const run = await gregor(['consume', handsOnIni(dir, env.saslSslBootstrap, env.caFile, group), '--topic', topic], (stdout, child) => {
    // All ten printed: interrupt while the loop waits for more.
    if (!sent && stdout.split('\n').length > 10) { sent = true; child.kill('SIGINT'); }
  });
  assert.ok(sent, run.stderr);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim().split('\n').length, 10);
  const committed = await committedOffsets(group);
  assert.deepEqual(committed.map((c) => c.offset), [10n]);
});

test('a wrong password: one line on stderr, no stack trace, non-zero exit', async () => {
  const env = await ensureKafka();
  const dir = mkdtempSync(join(tmpdir(), 'gregor-cli-it-'));
  const run = await gregor(['consume', handsOnIni(dir, env.saslSslBootstrap, env.caFile, uniqueName('cli-badpw'), 'not-the-password'),
    '--topic', uniqueName('cli-badpw-topic')]);
  assert.equal(run.code, 1, run.stderr);
  const errorLines = run.stderr.split('\n').filter((l) => l.startsWith('gregor: ') && !l.startsWith('gregor: warn'));
  assert.equal(errorLines.length, 1, run.stderr);
  assert.match(errorLines[0], /auth/i);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace without --verbose');
  assert.doesNotMatch(run.stderr, /not-the-password/);
});

test('nothing listening: the first refused connection is a warning on stderr (address and reason) before the first Waiting..., and it keeps retrying', async () => {
  // A port that was free a moment ago: connections to it are refused.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const dir = mkdtempSync(join(tmpdir(), 'gregor-cli-it-'));
  const file = join(dir, 'closed.properties');
  writeFileSync(file, `bootstrap.servers=127.0.0.1:${port}\n`);
  let stderr = '';
  let sent = false;
  const run = await new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'consume', file, '--topic', uniqueName('cli-closed')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`gregor consume did not finish in 60 s\n${stderr}`)); }, 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // Still retrying (three Waiting... after the warning, no error): then Ctrl-C.
      if (!sent && (stderr.match(/^Waiting\.\.\.$/gm) ?? []).length >= 3) { sent = true; child.kill('SIGINT'); }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
  assert.ok(sent, run.stderr);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines[0], `gregor: warning: cannot connect to 127.0.0.1:${port}: connection refused [ECONNREFUSED]; retrying (Ctrl-C to stop)`, run.stderr);
  assert.deepEqual(lines.slice(1), lines.slice(1).map(() => 'Waiting...'), 'one warning, then only Waiting... while it retries');
});
