// Installs the peers on first run, outside the project's package.json (CI's `npm ci` must never build librdkafka):
//   Node 24          npm ci in bench/peers/node24 (the node-<os>-<cpu> packages: Node itself from the npm registry)
//   Node peers       npm ci in bench/peers, run by Node 24 so native code is built against it
//   confluent-kafka  pip, into a venv in .kafka/bench/venv
//   franz-go         go build of bench/franz through the Go module proxy, into .kafka/bench/franz-bench
// Each step is skipped when its stamp says it is current; a step that cannot run makes its clients unavailable
// (reported in the results) instead of stopping the benchmark.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH, CACHE, FRANZ_BIN, JAVA_LATENCY_DIR, NODE24_DIR, PEERS, ROOT, VENV } from './paths.mjs';

export const NODE24_BIN = join(NODE24_DIR, 'node_modules', '.bin', 'node');

function hash(...files) {
  const h = createHash('sha256');
  for (const f of files) h.update(existsSync(f) ? readFileSync(f) : 'missing');
  return h.digest('hex').slice(0, 16);
}

function run(cmd, args, { cwd, env = {}, logFile } = {}) {
  const fd = logFile === undefined ? 'ignore' : openSync(logFile, 'a');
  try {
    const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd], timeout: 30 * 60_000 });
    if (r.error) return `${cmd}: ${r.error.message}`;
    return r.status === 0 ? null : `${cmd} ${args.join(' ')} exited ${r.status}${logFile ? ` (log: ${logFile})` : ''}`;
  } finally {
    if (typeof fd === 'number') closeSync(fd);
  }
}

function has(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

function stamped(file, value) {
  return existsSync(file) && readFileSync(file, 'utf8') === value;
}

/** @returns {{ node24: string | null, node24Version: string | null, peers: Set<string>, problems: Map<string, string> }} */
export function setup(log) {
  mkdirSync(CACHE, { recursive: true });
  const problems = new Map();
  const peers = new Set();

  // Node 24.
  let node24 = null;
  let node24Version = null;
  const n24stamp = join(NODE24_DIR, 'node_modules', '.gregor-stamp');
  const n24hash = hash(join(NODE24_DIR, 'package-lock.json'));
  if (!stamped(n24stamp, n24hash) || !existsSync(NODE24_BIN)) {
    log('installing Node 24 from the npm registry (bench/peers/node24)');
    const err = run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: NODE24_DIR, logFile: join(CACHE, 'install-node24.log') });
    if (err === null && existsSync(NODE24_BIN)) writeFileSync(n24stamp, n24hash);
    else problems.set('node24', err ?? 'no node binary for this platform in bench/peers/node24');
  }
  if (existsSync(NODE24_BIN)) {
    const r = spawnSync(NODE24_BIN, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) {
      node24 = NODE24_BIN;
      node24Version = r.stdout.trim();
    }
  }

  // Node peers, installed by Node 24's npm run so that node-gyp builds Confluent's addon for Node 24's ABI.
  if (node24 !== null) {
    const nodeDir = join(NODE24_DIR, 'node_modules', `node-${process.platform}-${process.arch}`);
    const stamp = join(PEERS, 'node_modules', '.gregor-stamp');
    const want = `${hash(join(PEERS, 'package-lock.json'))} ${node24Version}`;
    if (!stamped(stamp, want)) {
      zstdHeaders(log);
      log('installing the Node peers (bench/peers; Confluent\'s client builds librdkafka: minutes)');
      const err = run('npm', ['ci', '--no-audit', '--no-fund'], {
        cwd: PEERS, logFile: join(CACHE, 'install-peers.log'),
        env: {
          PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`,
          // Headers for node-gyp: Node 24's own (the package ships include/node), not the system Node's.
          npm_config_nodedir: nodeDir,
          // librdkafka linked against the system's zlib/OpenSSL/zstd instead of its default of downloading their
          // sources at build time (impossible without internet).
          CKJS_LINKING: 'dynamic',
        },
      });
      if (err === null) writeFileSync(stamp, want);
      else problems.set('peers', err);
    }
    for (const [id, pkg] of [['kafkajs', 'kafkajs'], ['platformatic', '@platformatic/kafka'], ['confluent', '@confluentinc/kafka-javascript']]) {
      if (existsSync(join(PEERS, 'node_modules', pkg, 'package.json'))) peers.add(id);
      else problems.set(id, `${pkg} is not installed (see ${join(CACHE, 'install-peers.log')})`);
    }
    if (peers.has('confluent') && !existsSync(join(PEERS, 'node_modules', '@confluentinc', 'kafka-javascript', 'build', 'Release'))) {
      peers.delete('confluent');
      problems.set('confluent', `its native build failed (see ${join(CACHE, 'install-peers.log')})`);
    }
  } else {
    for (const id of ['kafkajs', 'platformatic', 'confluent']) problems.set(id, 'no Node 24 (see install-node24.log)');
  }

  // Python confluent-kafka.
  const requirements = join(BENCH, 'clients', 'requirements.txt');
  const python = join(VENV, 'bin', 'python');
  const pyStamp = join(VENV, '.gregor-stamp');
  if (!has('python3')) {
    problems.set('python', 'python3 not found');
  } else {
    if (!stamped(pyStamp, hash(requirements)) || !existsSync(python)) {
      log('installing confluent-kafka for Python into .kafka/bench/venv');
      const logFile = join(CACHE, 'install-python.log');
      const err = run('python3', ['-m', 'venv', VENV], { logFile })
        ?? run(join(VENV, 'bin', 'pip'), ['install', '-q', '-r', requirements], { logFile });
      if (err === null) writeFileSync(pyStamp, hash(requirements));
      else problems.set('python', err);
    }
    if (!problems.has('python')) peers.add('python');
  }

  // franz-go.
  if (!has('go', ['version'])) {
    problems.set('franz', 'go not found');
  } else {
    // FRANZ_BIN carries the hash of its sources in its name: a binary of that name is current.
    if (!existsSync(FRANZ_BIN)) {
      log('building the franz-go client (bench/franz) through the Go module proxy');
      const err = run('go', ['build', '-o', FRANZ_BIN, '.'], { cwd: join(BENCH, 'franz'), logFile: join(CACHE, 'install-franz.log') });
      if (err !== null) problems.set('franz', err);
    }
    if (!problems.has('franz')) peers.add('franz');
  }

  if (has('java', ['-version'])) {
    peers.add('java');
    // The latency workloads' Java client, compiled against the broker's kafka-clients jar (clients.mjs runs the
    // source file instead when there is no javac).
    if (!existsSync(join(JAVA_LATENCY_DIR, 'JavaLatency.class')) && has('javac', ['-version'])) {
      log('compiling bench/clients/JavaLatency.java');
      const err = run('javac', ['-d', JAVA_LATENCY_DIR, '-cp', join(ROOT, '.kafka', 'lib', '*'), join(BENCH, 'clients', 'JavaLatency.java')],
        { logFile: join(CACHE, 'install-java-latency.log') });
      if (err !== null) log(`JavaLatency.java did not compile (${err}): it runs as a source file`);
    }
  } else problems.set('java', 'java not found (Java >= 17 runs Kafka\'s consumer-perf-test)');
  return { node24, node24Version, peers, problems };
}

/**
 * Confluent's client needs libzstd's headers to read zstd batches once librdkafka is linked against system
 * libraries. As root with apt-get (this project's machines), install them; otherwise say what is missing.
 */
function zstdHeaders(log) {
  if (has('pkg-config', ['--exists', 'libzstd'])) return;
  if (process.getuid?.() === 0 && has('apt-get', ['--version'])) {
    log('installing libzstd-dev, liblz4-dev and pkg-config with apt-get (for Confluent\'s librdkafka build)');
    const logFile = join(CACHE, 'install-apt.log');
    const pkgs = ['install', '-y', '-q', '--no-install-recommends', 'libzstd-dev', 'liblz4-dev', 'pkg-config'];
    if (run('apt-get', pkgs, { logFile }) !== null) {
      run('apt-get', ['update', '-q'], { logFile });
      run('apt-get', pkgs, { logFile });
    }
  } else {
    log('warning: libzstd headers not found (pkg-config libzstd): Confluent\'s client will be built without zstd');
  }
}
