#!/usr/bin/env node
// The package as a user gets it: packs a fresh clone of HEAD (`npm pack`, whose prepack builds), installs the
// tarball into an empty app with `--ignore-scripts --omit=optional`, and checks, on each Node given:
//   - that what ships is the bundle (dist/bundle, scripts/bundle.mjs) and the .d.ts, not the modules of dist/src;
//   - `import` from ESM and `require` from CommonJS (Node >= 22.12 loads ES modules synchronously; a top-level await
//     anywhere in the module graph would make `require` fail with ERR_REQUIRE_ASYNC_MODULE), both resolving to the
//     bundle;
//   - `npx gregor --help` and `npx gregor --version` (the version read through the package's own `exports`);
//   - the heartbeat thread's file, the installed dist/bundle/liveness-worker.js, loading and answering (no broker);
//     and in every consumer below, worker_threads.Worker wrapped before gregor loads: a real group member's heartbeat
//     thread started from that file, no 'error'; a KIP-848 member, whose join is a heartbeat, answered through it;
//   - reading gzip, snappy, lz4 and zstd records that Kafka's Java producer wrote to the local broker (produced with
//     the project's test helper, i.e. scripts/kafka-tool's console-producer), with no optional (native) package;
// once: a strict TypeScript file (ESM and CommonJS) compiled against the shipped types, and no install script (nor a
// binding.gyp, which npm builds implicitly) anywhere in the installed tree, with and without optional dependencies,
// and with them, the native CRC32C loaded by the bundle (its createRequire resolves from dist/bundle).
// Prints the tarball size and the installed sizes (bench/README.md "Package").
//
//   node scripts/check-package.mjs [--node /path/to/node]... [--no-kafka]
//
// Needs a built checkout (`npm run build`: the Kafka helper is compiled TypeScript) and, unless --no-kafka, the local
// broker (`npm run kafka:start`). The registry is used for the optional dependencies' size only.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const nodes = args.flatMap((a, i) => (args[i - 1] === '--node' ? [a] : []));
if (nodes.length === 0) nodes.push(process.execPath);
const withKafka = !args.includes('--no-kafka');
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'];

const work = mkdtempSync(join(tmpdir(), 'gregor-package-'));
let failures = 0;

function step(name, fn) {
  const t0 = Date.now();
  try {
    const note = fn();
    console.log(`ok   ${name}${note ? `: ${note}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.stderr?.toString().trim() || e.message}`);
  }
}

function run(cmd, argv, opts = {}) {
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });
}

/** Environment whose `node` (for npm, npx and bin shebangs) is `node`. */
function envFor(node) {
  return { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}` };
}

function du(dir) {
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (s === undefined) continue;
    bytes += s.isDirectory() ? du(p) : s.size;
  }
  return bytes;
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;

/** Every package below node_modules with an install script or a binding.gyp: names, for the failure message. */
function installScripts(dir) {
  const found = [];
  const visit = (nm) => {
    if (!existsSync(nm)) return;
    for (const name of readdirSync(nm)) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) { visit(join(nm, name)); continue; }
      const pkgDir = join(nm, name);
      const pj = join(pkgDir, 'package.json');
      if (existsSync(pj)) {
        const scripts = JSON.parse(readFileSync(pj, 'utf8')).scripts ?? {};
        if (['preinstall', 'install', 'postinstall'].some((k) => k in scripts) || existsSync(join(pkgDir, 'binding.gyp'))) found.push(name);
      }
      visit(join(pkgDir, 'node_modules'));
    }
  };
  visit(join(dir, 'node_modules'));
  return found;
}

// ---- pack a fresh clone ----
const clone = join(work, 'clone');
let tarball;
const npmEnv = envFor(nodes[0]);
step('pack a fresh clone of HEAD (npm ci, npm pack: prepack builds)', () => {
  run('git', ['clone', '--quiet', '--no-local', root, clone]);
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: clone, env: npmEnv });
  const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: clone, env: npmEnv }));
  tarball = join(work, out[0].filename);
  const files = out[0].files.map((f) => f.path);
  const wanted = ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'bin/gregor.js', 'dist/src/index.d.ts', 'dist/src/otel/index.d.ts',
    ...['index', 'otel', 'cli', 'liveness-worker'].map((e) => `dist/bundle/${e}.js`)];
  for (const want of wanted) {
    if (!files.includes(want)) throw new Error(`the tarball lacks ${want}`);
  }
  // The modules of dist/src are for the tests and the bench: only their .d.ts ship.
  const stray = files.filter((f) => !/^(LICENSE|README\.md|CHANGELOG\.md|package\.json|bin\/|dist\/bundle\/[^/]+\.js$|dist\/src\/.*\.d\.ts$)/.test(f));
  if (stray.length > 0) throw new Error(`unexpected files in the tarball: ${stray.join(', ')}`);
  const bundled = files.filter((f) => f.startsWith('dist/bundle/'));
  const bundleBytes = out[0].files.filter((f) => f.path.startsWith('dist/bundle/')).reduce((n, f) => n + f.size, 0);
  return `${out[0].filename}, ${out[0].files.length} files (${bundled.length} of the bundle, ${mb(bundleBytes)}), ${mb(out[0].size)} packed, ${mb(out[0].unpackedSize)} unpacked`;
});
if (tarball === undefined) finish();

// ---- install into empty apps ----
const app = join(work, 'app');
const full = join(work, 'app-optional');
for (const dir of [app, full]) {
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'gregor-package-check', private: true, version: '1.0.0' }));
}
step('npm install the tarball --ignore-scripts --omit=optional', () => {
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts', '--omit=optional', tarball], { cwd: app, env: npmEnv });
  const scripts = installScripts(app);
  if (scripts.length > 0) throw new Error(`install scripts in the tree: ${scripts.join(', ')}`);
  const pkgs = readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'));
  return `installed size ${mb(du(join(app, 'node_modules')))} (${pkgs.join(', ')})`;
});
step('npm install the tarball --ignore-scripts, with optional dependencies (size, install scripts)', () => {
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts', tarball], { cwd: full, env: npmEnv });
  const scripts = installScripts(full);
  if (scripts.length > 0) throw new Error(`install scripts in the tree: ${scripts.join(', ')}`);
  return `installed size ${mb(du(join(full, 'node_modules')))}`;
});

// ---- per Node: ESM, CommonJS, the CLI ----
const ESM = `import { Consumer, Producer, Admin, Message, GregorError, resolveConfig } from 'gregor';
import pkg from 'gregor/package.json' with { type: 'json' };
for (const [n, v] of Object.entries({ Consumer, Producer, Admin, Message, GregorError, resolveConfig })) if (typeof v !== 'function') throw new Error(n);
// gregor/otel resolves; its optional peer @opentelemetry/api is not installed here, and the import names it.
if (!import.meta.resolve('gregor').endsWith('/gregor/dist/bundle/index.js')) throw new Error('gregor: ' + import.meta.resolve('gregor'));
if (!import.meta.resolve('gregor/otel').endsWith('/gregor/dist/bundle/otel.js')) throw new Error('gregor/otel: ' + import.meta.resolve('gregor/otel'));
const otel = await import('gregor/otel').then(() => 'loaded', (e) => e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes("'@opentelemetry/api'") ? 'needs @opentelemetry/api' : e);
if (otel !== 'needs @opentelemetry/api') throw new Error('gregor/otel without @opentelemetry/api: ' + otel);
console.log('esm', pkg.name, '; gregor/otel', otel);`;
const CJS = `const { Consumer, Producer, Admin, Message, GregorError, resolveConfig } = require('gregor');
for (const [n, v] of Object.entries({ Consumer, Producer, Admin, Message, GregorError, resolveConfig })) if (typeof v !== 'function') throw new Error(n);
if (!require.resolve('gregor').endsWith('/gregor/dist/bundle/index.js')) throw new Error('gregor: ' + require.resolve('gregor'));
if (new Consumer({ 'bootstrap.servers': '127.0.0.1:1', 'group.id': 'g' }).constructor.name !== 'Consumer') throw new Error('Consumer lost its name');
if (new GregorError('CONFIG', 'x').name !== 'GregorError') throw new Error('GregorError lost its name');
console.log('cjs', require('gregor/package.json').name);`;
// Loaded before gregor (--import): wraps worker_threads.Worker (syncBuiltinESMExports updates the named export the
// bundle imports) and, at exit, checks every thread gregor started: the installed bundle's liveness-worker.js, no
// error; at least one thread; with GREGOR_CHECK_REPLIES=1, at least one request answered by a thread (a KIP-848
// member's heartbeat goes through it before its first assignment; 'online' is no proof: close() may come first).
const WORKERS = `import { createRequire, syncBuiltinESMExports } from 'node:module';
const threads = createRequire(import.meta.url)('node:worker_threads');
const started = [];
const Base = threads.Worker;
threads.Worker = class extends Base {
  constructor(file, options) {
    super(file, options);
    const s = { file: String(file), replies: 0, error: null };
    started.push(s);
    this.on('message', (m) => { if (m.op === 'reply') s.replies++; });
    this.on('error', (e) => { s.error = e.message; });
  }
};
syncBuiltinESMExports();
process.on('exit', () => {
  const bad = started.filter((s) => !s.file.endsWith('/node_modules/gregor/dist/bundle/liveness-worker.js') || s.error !== null);
  const replies = started.reduce((n, s) => n + s.replies, 0);
  if (started.length === 0 || bad.length > 0 || (process.env.GREGOR_CHECK_REPLIES === '1' && replies === 0)) {
    console.error('heartbeat threads: ' + JSON.stringify(started));
    process.exitCode = 1;
  }
});`;
// No broker: the installed liveness-worker.js started as LivenessThread starts it, a member opened, asked for an API version of a node
// that does not listen. Any 'reply' (here an error: the options are a minimum) proves every chunk it imports resolved
// and its code answered; a missing chunk is an 'error' event instead.
const WORKER_BOOT = `import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
const file = createRequire(import.meta.url).resolve('gregor').replace(/index\\.js$/, 'liveness-worker.js');
const w = new Worker(file, { execArgv: [] });
w.on('error', (e) => { console.error(e.message); process.exitCode = 1; });
w.on('message', (m) => { if (m.op === 'reply' && m.sid === 1 && m.id === 1) { console.log(file.slice(file.indexOf('node_modules')) + ' loaded and answered'); void w.terminate(); } });
w.postMessage({ op: 'open', sid: 1, data: {
  options: { bootstrapServers: [{ host: '127.0.0.1', port: 1 }] }, activity: new SharedArrayBuffer(64), state: new SharedArrayBuffer(64), base: Date.now(),
} });
w.postMessage({ op: 'version', sid: 1, id: 1, node: { nodeId: 0, host: '127.0.0.1', port: 1, connectHost: '127.0.0.1', connectPort: 1 }, apiKey: 18 });`;
writeFileSync(join(app, 'workers.mjs'), WORKERS);
writeFileSync(join(app, 'worker-boot.mjs'), WORKER_BOOT);
writeFileSync(join(app, 'esm.mjs'), ESM);
writeFileSync(join(app, 'cjs.cjs'), CJS);
for (const node of nodes) {
  const v = run(node, ['-v']).trim();
  const env = envFor(node);
  step(`Node ${v}: import from ESM`, () => run(node, ['esm.mjs'], { cwd: app, env }).trim());
  step(`Node ${v}: require from CommonJS`, () => {
    const r = spawnSync(node, ['cjs.cjs'], { cwd: app, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr.trim());
    // Node 22 warns that require() of ES modules is experimental; anything else on stderr is a problem.
    const other = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/ExperimentalWarning|--trace-warnings/.test(l));
    if (other.length > 0) throw new Error(`stderr: ${other.join(' | ')}`);
    return r.stdout.trim();
  });
  step(`Node ${v}: npx gregor --help`, () => {
    const out = run('npx', ['--no-install', 'gregor', '--help'], { cwd: app, env });
    if (!/consume/.test(out)) throw new Error(`unexpected help text: ${out.slice(0, 200)}`);
    return `${out.split('\n').length} lines`;
  });
  step(`Node ${v}: npx gregor --version`, () => {
    const out = run('npx', ['--no-install', 'gregor', '--version'], { cwd: app, env }).trim();
    const want = JSON.parse(readFileSync(join(app, 'node_modules', 'gregor', 'package.json'), 'utf8')).version;
    if (!out.includes(want)) throw new Error(`--version printed ${out}, the package is ${want}`);
    return out;
  });
  step(`Node ${v}: the heartbeat thread's file loads and answers from the installed bundle (no broker)`, () =>
    run(node, ['worker-boot.mjs'], { cwd: app, env, timeout: 60_000 }).trim());
}

// ---- the optional natives, resolved from the installed bundle's chunks (createRequire(import.meta.url)) ----
step('with optional dependencies: importing gregor loads @node-rs/crc32 from the app\'s node_modules', () => {
  writeFileSync(join(full, 'natives.mjs'), `import { createRequire } from 'node:module';
await import('gregor');
const crc = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('/node_modules/@node-rs/crc32/'));
if (crc.length === 0) throw new Error('@node-rs/crc32 was not loaded');
console.log(crc[0].slice(crc[0].indexOf('node_modules')));`);
  return run(nodes[0], ['natives.mjs'], { cwd: full, env: npmEnv }).trim();
});

// ---- TypeScript against the shipped types ----
step('strict TypeScript (ESM and CommonJS) compiled against the shipped types', () => {
  const ts = join(clone, 'node_modules', 'typescript', 'bin', 'tsc');
  writeFileSync(join(app, 'check.mts'), `import { Consumer, Producer, KafkaError, isGregorError, type ConsumerConfig, type Message, type RunOptions } from 'gregor';
const config: ConsumerConfig = { 'bootstrap.servers': '127.0.0.1:9092', 'group.id': 'g', 'auto.offset.reset': 'earliest' };
const consumer = new Consumer(config);
consumer.subscribe(['t']);
const options: RunOptions = {};
export async function first(): Promise<string | null> {
  const m: Message | null = await consumer.poll(100);
  return m === null ? null : m.valueString();
}
export function kind(e: unknown): string { return isGregorError(e) ? e.code : e instanceof KafkaError ? 'kafka' : 'other'; }
export const p: typeof Producer = Producer;
void options;
`);
  writeFileSync(join(app, 'check.cts'), `import gregor = require('gregor');
export const c: typeof gregor.Consumer = gregor.Consumer;
`);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022',
      types: ['node'], typeRoots: [join(clone, 'node_modules', '@types')], skipLibCheck: false,
    },
    files: ['check.mts', 'check.cts'],
  }));
  run(process.execPath, [ts, '-p', 'tsconfig.json'], { cwd: app });
});

// ---- records Kafka's Java producer wrote, read by the installed package ----
if (withKafka) {
  const helper = join(root, 'dist', 'test', 'integration', 'helpers', 'kafka.js');
  const topics = {};
  step('produce 50 records per codec with Kafka\'s Java producer (scripts/kafka-tool console-producer)', () => {
    const script = `
      const k = await import(${JSON.stringify(pathToFileURL(helper).href)});
      const env = await k.ensureKafka();
      const topics = {};
      for (const codec of ${JSON.stringify(CODECS)}) {
        const topic = k.uniqueName('package-' + codec);
        await k.createTopic(topic, 1);
        // 50 records, values up to 40 KB (several snappy/lz4 blocks), one batch or more: what DumpLogSegments shows.
        const records = Array.from({ length: 50 }, (_, i) => ({ key: 'k' + i, value: codec + '-' + i + '-' + 'v'.repeat(i * 800), headers: { h: String(i) } }));
        await k.produce(topic, records, { compression: codec, lingerMs: 50, batchSize: 1 << 20 });
        topics[codec] = topic;
      }
      console.log(JSON.stringify({ bootstrap: env.bootstrap, topics }));`;
    Object.assign(topics, JSON.parse(run(process.execPath, ['--input-type=module', '-e', script], { cwd: root }).trim().split('\n').pop()));
    return Object.values(topics.topics).join(', ');
  });
  if (topics.topics !== undefined) {
    writeFileSync(join(app, 'consume.mjs'), `import { Consumer } from 'gregor';
const [bootstrap, codec, topic, protocol = 'classic'] = process.argv.slice(2);
const consumer = new Consumer({ 'bootstrap.servers': bootstrap, 'group.id': 'package-check-' + process.version + '-' + codec + '-' + protocol, 'group.protocol': protocol, 'auto.offset.reset': 'earliest', 'gregor.log.level': 'warn' });
consumer.subscribe([topic]);
const seen = [];
const deadline = Date.now() + 60_000;
try {
  while (seen.length < 50 && Date.now() < deadline) {
    const m = await consumer.poll(1000);
    if (m !== null) seen.push(m);
  }
} finally {
  await consumer.close();
}
if (seen.length !== 50) throw new Error(codec + ': ' + seen.length + ' of 50 records');
seen.forEach((m, i) => {
  if (m.keyString() !== 'k' + i || m.valueString() !== codec + '-' + i + '-' + 'v'.repeat(i * 800)) throw new Error(codec + ': record ' + i + ' differs');
});
console.log(codec + ' 50/50');
`);
    for (const node of nodes) {
      const v = run(node, ['-v']).trim();
      for (const codec of CODECS) {
        step(`Node ${v}: consume ${codec} records (no optional packages installed)`, () =>
          run(node, ['--import', './workers.mjs', 'consume.mjs', topics.bootstrap, codec, topics.topics[codec]], { cwd: app, env: envFor(node), timeout: 120_000 }).trim()
            + ', its heartbeat thread started from dist/bundle/liveness-worker.js');
      }
      step(`Node ${v}: a KIP-848 member (group.protocol=consumer) joins through the heartbeat thread of the installed bundle`, () =>
        run(node, ['--import', './workers.mjs', 'consume.mjs', topics.bootstrap, 'gzip', topics.topics.gzip, 'consumer'],
          { cwd: app, env: { ...envFor(node), GREGOR_CHECK_REPLIES: '1' }, timeout: 120_000 }).trim() + ', its heartbeats answered through dist/bundle/liveness-worker.js');
    }
    step('delete the topics', () => {
      const script = `const k = await import(${JSON.stringify(pathToFileURL(helper).href)});
        for (const t of ${JSON.stringify(Object.values(topics.topics))}) await k.deleteTopic(t);`;
      run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    });
  }
}

finish();

function finish() {
  rmSync(work, { recursive: true, force: true });
  console.log(failures === 0 ? 'check-package: passed' : `check-package: ${failures} check(s) FAILED`);
  process.exit(failures === 0 ? 0 : 1);
}
