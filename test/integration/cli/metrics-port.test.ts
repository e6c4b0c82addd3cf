// gregor consume --metrics-port against the real broker: the page served at http://127.0.0.1:<port>/metrics is read
// by Python's prometheus_client parser (the reference implementation of the text format); the consumed counter
// equals the lines printed, the lag per partition is the backlog not yet consumed (consumed + lag = backlog on every
// scrape) and 0 once everything is printed. With --share the page is the share consumer's: the same parser reads
// it, records handed out equal the lines printed, and every printed record is counted as accepted by the broker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '../../../src/index.js';
import { ROOT, createTopic, endOffsets, ensureKafka, produce, uniqueName } from '../helpers/kafka.js';
import { setShareGroupConfigs } from '../helpers/share.js';

const BIN = join(ROOT, 'bin', 'gregor.js');
const RECORDS = 30;
const VENV = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gregor', 'prometheus-venv');
const PYTHON = join(VENV, 'bin', 'python');

/** A venv with prometheus_client, made once; null (the test skips) when pip cannot install it. */
function prometheusPython(): string | null {
  const check = (): boolean => existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import prometheus_client'], { stdio: 'ignore' }).status === 0;
  if (check()) return PYTHON;
  try {
    mkdirSync(join(VENV, '..'), { recursive: true });
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'ignore' });
    execFileSync(PYTHON, ['-m', 'pip', 'install', '--quiet', 'prometheus_client'], { stdio: 'ignore', timeout: 120_000 });
  } catch {
    return null;
  }
  return check() ? PYTHON : null;
}

/** Parses a scrape with prometheus_client: [name, labels, value] per sample. */
function parse(python: string, text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const script = `import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(out))`;
  const r = spawnSync(python, ['-c', script], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `prometheus_client could not parse the page:\n${r.stderr}\n${text}`);
  return JSON.parse(r.stdout) as { name: string; labels: Record<string, string>; value: number }[];
}

let python: string | null = null;
let child: ChildProcess | undefined;

before(() => {
  python = prometheusPython();
});

after(() => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
});

test('gregor consume --metrics-port: prometheus_client reads the page; consumed equals printed, lag the backlog left', async (t) => {
  if (python === null) {
    t.skip(`pip could not install prometheus_client into ${VENV}`);
    return;
  }
  const py = python;
  const env = await ensureKafka();
  const topic = uniqueName('cli-metrics');
  await createTopic(topic, 2);
  await produce(topic, Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  const backlog = await endOffsets(topic);
  const group = uniqueName('cli-metrics-g');
  const dir = mkdtempSync(join(tmpdir(), 'gregor-metrics-'));
  const config = join(dir, 'consumer.properties');
  writeFileSync(config, `bootstrap.servers=${env.bootstrap}\ngroup.id=${group}\nauto.offset.reset=earliest\n`);

  const proc = spawn(process.execPath, [BIN, 'consume', config, '--topic', topic, '--metrics-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  const until = async (what: string, cond: () => boolean): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!cond()) {
      if (Date.now() > deadline || proc.exitCode !== null) assert.fail(`${what}; stderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until('the metrics URL on stderr', () => /metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/.test(stderr));
  const url = /(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr)![1];

  const scrape = async () => {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parse(py, await res.text());
  };
  const perPartition = (samples: ReturnType<typeof parse>, name: string): Map<number, number> => {
    const m = new Map<number, number>();
    for (const s of samples) if (s.name === name && s.labels.topic === topic) m.set(Number(s.labels.partition), s.value);
    return m;
  };

  // While records arrive: what is consumed plus what is left is the backlog, per partition.
  let caughtUp = false;
  while (!caughtUp) {
    const lines = stdout.split('\n').length - 1;
    const samples = await scrape();
    const consumed = perPartition(samples, 'messaging_client_consumed_messages_total');
    const lag = perPartition(samples, 'gregor_consumer_lag_records');
    for (const [p, left] of lag) assert.equal((consumed.get(p) ?? 0) + left, Number(backlog.get(p)), `partition ${p}: consumed + lag = backlog`);
    const total = [...consumed.values()].reduce((a, b) => a + b, 0);
    assert.ok(total >= lines, 'every printed line was counted');
    caughtUp = lines === RECORDS && lag.size === 2;
    if (!caughtUp) await new Promise((r) => setTimeout(r, 100));
    if (proc.exitCode !== null) assert.fail(`gregor consume exited: ${stderr}`);
  }
  const samples = await scrape();
  const consumed = perPartition(samples, 'messaging_client_consumed_messages_total');
  const lag = perPartition(samples, 'gregor_consumer_lag_records');
  assert.equal([...consumed.values()].reduce((a, b) => a + b, 0), RECORDS, 'the consumed counter equals the lines printed');
  assert.equal(stdout.split('\n').length - 1, RECORDS);
  for (const [p, end] of backlog) {
    assert.equal(consumed.get(p), Number(end), `partition ${p} consumed`);
    assert.equal(lag.get(p), 0, `partition ${p} caught up`);
  }
  const labels = samples.find((s) => s.name === 'gregor_consumer_lag_records')!.labels;
  assert.equal(labels.group, group);
  assert.equal(labels.messaging_system, 'kafka');
  assert.ok(samples.some((s) => s.name === 'messaging_client_operation_duration_seconds_count' && s.labels.messaging_operation_name === 'fetch' && s.value > 0));
  assert.equal((await fetch(url.replace('/metrics', '/other'))).status, 404);

  proc.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
});

test('gregor consume --share --metrics-port: the share consumer\'s page; handed out and accepted equal printed', async (t) => {
  if (python === null) {
    t.skip(`pip could not install prometheus_client into ${VENV}`);
    return;
  }
  const py = python;
  const env = await ensureKafka();
  const topic = uniqueName('cli-share-metrics');
  const group = uniqueName('cli-share-metrics-g');
  await createTopic(topic, 2);
  const admin = new Admin({ 'bootstrap.servers': env.bootstrap });
  try {
    await setShareGroupConfigs(admin, group, { 'share.auto.offset.reset': 'earliest' });
  } finally {
    await admin.close();
  }
  await produce(topic, Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  const dir = mkdtempSync(join(tmpdir(), 'gregor-share-metrics-'));
  const config = join(dir, 'consumer.properties');
  writeFileSync(config, `bootstrap.servers=${env.bootstrap}\ngroup.id=${group}\n`);

  const proc = spawn(process.execPath, [BIN, 'consume', config, '--topic', topic, '--share', '--metrics-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  const alive = (what: string) => {
    if (Date.now() > deadline || proc.exitCode !== null) assert.fail(`${what}; stderr:\n${stderr}`);
  };
  while (!/metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/.test(stderr)) {
    alive('the metrics URL on stderr');
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr)![1];
  const scrape = async () => {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parse(py, await res.text());
  };
  const value = (samples: ReturnType<typeof parse>, name: string, labels: Record<string, string> = {}): number | undefined =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  // While records arrive: never more accepted than printed, never fewer handed out than printed.
  let samples: ReturnType<typeof parse>;
  for (;;) {
    const lines = stdout.split('\n').length - 1;
    samples = await scrape();
    const handed = value(samples, 'messaging_client_consumed_messages_total') ?? 0;
    const accepted = value(samples, 'gregor_share_consumer_acknowledgements_total', { type: 'accept' }) ?? 0;
    assert.ok(handed >= lines, `handed out ${handed} >= printed ${lines}`);
    assert.ok(accepted <= stdout.split('\n').length - 1, `accepted ${accepted} <= printed`);
    if (lines === RECORDS && accepted === RECORDS) break;
    alive(`printed ${lines}, accepted ${accepted} of ${RECORDS}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(value(samples, 'messaging_client_consumed_messages_total'), RECORDS);
  assert.ok(value(samples, 'gregor_share_consumer_acquisitions_total')! >= RECORDS);
  for (const type of ['release', 'reject']) assert.equal(value(samples, 'gregor_share_consumer_acknowledgements_total', { type }), 0, type);
  assert.equal(value(samples, 'gregor_share_consumer_lock_expiries_total'), 0);
  assert.equal(value(samples, 'gregor_share_consumer_acknowledgement_failures_total'), 0);
  assert.equal(value(samples, 'gregor_share_consumer_lock_renewals_total'), 0);
  assert.equal(value(samples, 'gregor_share_consumer_assigned_partitions'), 2);
  assert.ok(value(samples, 'gregor_share_consumer_member_epoch')! > 0);
  assert.ok(value(samples, 'gregor_share_consumer_requests_total', { api: 'ShareFetch' })! > 0);
  const labels = samples.find((s) => s.name === 'messaging_client_consumed_messages_total')!.labels;
  assert.deepEqual([labels.messaging_system, labels.messaging_consumer_group_name], ['kafka', group]);

  proc.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
});
