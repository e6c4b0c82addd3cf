#!/usr/bin/env node
// `npm run demo`: gregor's main job end to end, the way the Kafka 101 hands-on runs it, against the project's local
// Apache Kafka:
//
//   1. build gregor if dist/ is missing or older than the sources
//   2. start the local Kafka (node scripts/kafka.mjs start), remembering whether it was already running
//   3. create the topic `poems` with 3 partitions (an existing one is kept) and describe the cluster
//   4. write the poems of demo/poems.txt, keyed by title, with gregor's own Producer (only into an empty topic)
//   5. gregor consume demo/config.ini --topic poems --from-beginning --count <records in the topic>
//      over the SASL_SSL listener with PLAIN, printing the hands-on's lines
//   6. stop Kafka again, only if step 2 started it
//
// Re-runs print the poems again: the topic is written once (step 4 skips a topic that already holds records), and
// each run consumes with a group of its own (gregor-demo-<time>), which has no committed offsets yet, so
// --from-beginning (auto.offset.reset=earliest) applies. The group in demo/config.ini (gregor-demo) is left for
// running the command by hand, which behaves as the hands-on does: the second run prints nothing new.
//
// Needs no terminal (stdin is not read), so CI can run it. Exit status: 0 when every step worked.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const CONFIG = 'demo/config.ini';
const POEMS = join(ROOT, 'demo', 'poems.txt');
const TOPIC = 'poems';
const PARTITIONS = 3;
/** The address demo/config.ini names; GREGOR_KAFKA_PORT_BASE moves the broker, and then the demo says where. */
const CONFIG_BOOTSTRAP = '127.0.0.1:9094';
/** No step may hang the demo: the consumer gets this long to print every poem. */
const CONSUME_LIMIT_MS = 120_000;

process.chdir(ROOT); // demo/config.ini's relative ssl.ca.location is read from the repository root
const t0 = Date.now();
const say = (line) => process.stdout.write(`\n== ${line}\n`);
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

class DemoError extends Error {}

// ---- 1. build -----------------------------------------------------------------------------------------------------

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIfNeeded() {
  // What runs is bin/gregor.js, which loads the bundle (dist/bundle/cli.js, made from tsc's dist/src by
  // scripts/bundle.mjs): both halves of `npm run build` are needed, and a bundle older than the sources is stale.
  const output = join(ROOT, 'dist', 'bundle', 'cli.js');
  const sources = Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'tsconfig.json')).mtimeMs);
  if (existsSync(output) && statSync(output).mtimeMs >= sources) return;
  say(existsSync(output) ? 'building gregor (the sources changed since the last build)' : 'building gregor (no dist/ yet)');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) throw new DemoError('TypeScript is not installed: run `npm ci` first (the README\'s first line: npm ci && npm run demo)');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  // tsc writes its JavaScript even when it reports type errors; the demo can run on that, but says so.
  if (r.status !== 0 && !existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new DemoError(`the build failed (tsc exit ${r.status ?? r.signal})`);
  if (r.status !== 0) process.stdout.write('demo: tsc reported errors (above); running on what it emitted\n');
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (b.status !== 0 || !existsSync(output)) throw new DemoError(`bundling failed (scripts/bundle.mjs exit ${b.status ?? b.signal})`);
}

// ---- 2. Kafka -----------------------------------------------------------------------------------------------------

function startKafka() {
  say('starting the local Kafka (node scripts/kafka.mjs start)');
  // --json: the addresses on stdout; progress (downloads on the first run, "ready in ...") on stderr, shown as is.
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), 'start', '--json'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8',
  });
  if (r.status !== 0) throw new DemoError(`Kafka did not start (scripts/kafka.mjs exit ${r.status ?? r.signal}; its reason is above)`);
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (line === undefined) throw new DemoError(`scripts/kafka.mjs start --json printed no JSON: ${r.stdout}`);
  const info = JSON.parse(line);
  process.stdout.write(info.startedNow ? 'demo: started Kafka; the demo stops it again at the end\n'
    : 'demo: Kafka was already running; the demo leaves it running\n');
  return info;
}

function stopKafka() {
  say('stopping the Kafka the demo started (node scripts/kafka.mjs stop --nodes 1)');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), 'stop', '--nodes', '1'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) process.stdout.write(`demo: scripts/kafka.mjs stop exited ${r.status ?? r.signal}\n`);
}

// ---- 3, 4. topic and poems ----------------------------------------------------------------------------------------

/** demo/poems.txt: `key | value` lines; # starts a comment. */
function readPoems() {
  const records = [];
  readFileSync(POEMS, 'utf8').split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const bar = line.indexOf(' | ');
    if (bar < 1) throw new DemoError(`${relative(ROOT, POEMS)}:${i + 1}: expected 'key | value', got '${line}'`);
    records.push({ key: line.slice(0, bar).trim(), value: line.slice(bar + 3).trim() });
  });
  return records;
}

/** The demo's clients read demo/config.ini exactly as the CLI does: [default] plus their own section. */
async function clientConfig(gregor, kind, bootstrap) {
  const file = gregor.loadConfigFile(join(ROOT, CONFIG), { kind });
  const values = { ...file.values, 'gregor.log.level': 'error' };
  if (bootstrap !== CONFIG_BOOTSTRAP) values['bootstrap.servers'] = bootstrap;
  return gregor.resolveConfig(kind, values, { origins: file.origins });
}

async function prepareTopic(gregor, bootstrap) {
  say(`creating the topic '${TOPIC}' with ${PARTITIONS} partitions (kept if it exists)`);
  const admin = new gregor.Admin(await clientConfig(gregor, 'admin', bootstrap));
  try {
    const [created] = await admin.createTopics([{ topic: TOPIC, numPartitions: PARTITIONS }], { ifNotExists: true });
    process.stdout.write(created.created ? `demo: created '${TOPIC}' (${created.numPartitions} partitions)\n`
      : `demo: '${TOPIC}' exists already (${created.numPartitions} partitions)\n`);
    return await recordsIn(admin, created.created ? PARTITIONS : created.numPartitions);
  } finally {
    await admin.close();
  }
}

/** How many records the topic holds: the sum over its partitions of log end minus log start. */
async function recordsIn(admin, partitions) {
  const queries = [];
  for (let p = 0; p < partitions; p++) queries.push({ topic: TOPIC, partition: p, spec: 'earliest' }, { topic: TOPIC, partition: p, spec: 'latest' });
  const offsets = await admin.listOffsets(queries);
  let total = 0n;
  for (let i = 0; i < offsets.length; i += 2) total += offsets[i + 1].offset - offsets[i].offset;
  return Number(total);
}

async function writePoems(gregor, bootstrap, poems) {
  say(`writing ${poems.length} lines of poems to '${TOPIC}' with gregor's Producer (key = the poem's title)`);
  const producer = new gregor.Producer(await clientConfig(gregor, 'producer', bootstrap));
  try {
    const written = await producer.sendBatch(poems.map((p) => ({ topic: TOPIC, key: p.key, value: p.value })));
    const perPartition = new Map();
    for (const m of written) perPartition.set(m.partition, (perPartition.get(m.partition) ?? 0) + 1);
    const spread = [...perPartition].sort((a, b) => a[0] - b[0]).map(([p, n]) => `partition ${p}: ${n}`).join(', ');
    process.stdout.write(`demo: wrote ${written.length} records (${spread})\n`);
  } finally {
    await producer.close();
  }
}

// ---- 3, 5. the CLI ------------------------------------------------------------------------------------------------

/** Runs bin/gregor.js as a user would, output straight to the terminal. Resolves to its exit status or signal. */
function gregorCli(args, limitMs) {
  process.stdout.write(`$ gregor ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'gregor.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new DemoError(`gregor ${args[0]} did not finish within ${limitMs / 1000} s; stopped it`));
    }, limitMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve(code ?? signal); });
  });
}

function bootstrapArgs(bootstrap) {
  return bootstrap === CONFIG_BOOTSTRAP ? [] : ['--property', `bootstrap.servers=${bootstrap}`];
}

function groupName() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `gregor-demo-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

// ---- the run ------------------------------------------------------------------------------------------------------

async function run() {
  buildIfNeeded();
  const gregor = await import(new URL('../dist/src/index.js', import.meta.url).href);
  const poems = readPoems();
  const kafka = startKafka();
  let interrupted = false;
  // Ctrl-C reaches the consumer too (same process group): it closes cleanly, and the demo still stops Kafka.
  const onSignal = () => { interrupted = true; };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const bootstrap = kafka.saslSslBootstrap;
    if (bootstrap !== CONFIG_BOOTSTRAP) {
      process.stdout.write(`demo: Kafka's SASL_SSL listener is at ${bootstrap} (GREGOR_KAFKA_PORT_BASE), not ${CONFIG_BOOTSTRAP} as in ${CONFIG}: the commands below say so with --property\n`);
    }
    let records = await prepareTopic(gregor, bootstrap);

    say('the cluster, as gregor sees it');
    const describe = await gregorCli(['cluster', 'describe', CONFIG, ...bootstrapArgs(bootstrap)], 60_000);
    if (interrupted) throw new DemoError('interrupted');
    if (describe !== 0) throw new DemoError(`gregor cluster describe ended with ${describe}`);

    if (records === 0) {
      await writePoems(gregor, bootstrap, poems);
      records = poems.length;
    } else {
      say(`'${TOPIC}' holds ${records} records already (an earlier demo wrote them): not writing them again`);
    }
    if (interrupted) throw new DemoError('interrupted');

    say(`reading them back over SASL_SSL (PLAIN) with a new consumer group, from the beginning`);
    const consume = await gregorCli(['consume', CONFIG, '--topic', TOPIC, '--from-beginning', '--count', String(records),
      '--group', groupName(), ...bootstrapArgs(bootstrap)], CONSUME_LIMIT_MS);
    if (interrupted) throw new DemoError('interrupted');
    if (consume !== 0) throw new DemoError(`gregor consume ended with ${consume}`);
  } finally {
    if (kafka.startedNow) stopKafka();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  say(`done in ${elapsed()}. Next: README.md "Quick start" (the same loop as a library call: examples/consumer.ts)`);
}

run().then(() => { process.exitCode = 0; }, (err) => {
  process.stderr.write(`demo: ${err instanceof DemoError ? err.message : err?.stack ?? err}\n`);
  process.exitCode = 1;
});
