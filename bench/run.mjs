#!/usr/bin/env node
// `npm run bench`: gregor against every peer on the local broker, side by side (issue 7).
//
//   node bench/run.mjs [--quick] [--runs N] [--clients a,b]
//                      [--workloads 100b,1k,1k-lz4,1k-zstd,wide-2k,wide-2k-batched,wide-10k,share-100b,share-1k,lat-5k,lat-50k]
//                      [--passes default,equal] [--profile] [--no-readme] [--bootstrap host:port] [--baseline DIR]
//                      [--with wide-10k]
//
//   --quick     a tenth of each workload; results go to bench/results/raw/ only (latest.* is for full runs: every
//               client and workload; a --clients or --workloads subset writes raw/subset-latest.* instead)
//   --baseline  another built checkout of gregor (e.g. `git archive <commit>` + npm run build): its for-await,
//               batches() and run() clients run interleaved with this one's, for before/after figures (add them to --clients)
//   wide-*      2,000 and 10,000 partitions of 100 B records: time to the first and the last record, CPU, RSS (wide-2k:
//               nearly every record a batch of its own; wide-2k-batched: 2-3 batches per partition); wide-10k
//               only when named, against a broker with >= 2 GiB of heap (the shared test broker's 512 MiB is not enough)
//   lat-*       a producer writes at 5,000 or 50,000 records/s while the client reads: receive time minus CreateTime
//               (p50/p99/p99.9); a fresh topic per run. Both run a few clients only (workloads.mjs) and no equal pass.
//   share-*     100 B and 1 KiB records read by a share group (KIP-932) of one member: gregor's ShareConsumer and
//               Kafka's ShareConsumerPerformance only (the share clients run no other workload)
//   --with      opt-in workloads (wide-10k) added to every default one: the run still counts as full and refreshes the
//               README's table (wide-10k needs a broker of its own with >= 2 GiB of heap: --bootstrap)
//   --profile   no comparison: profiles gregor (node --cpu-prof, and its GC pauses) on the 100-byte workload, or on
//               each of --workloads, and writes bench/results/profile-gregor-<workload>.md (self time per function)
//
// First run installs the peers outside the project (bench/lib/setup.mjs) and produces the workloads once with the
// Java producer (bench/lib/workloads.mjs). Every client then runs as its own process under /usr/bin/time, one after
// the other (never two at once), in an order that rotates from run to run, after one read of each workload that is not
// counted (a warm-up: the first reader of a topic pays the broker's cold start on it). Full runs write
// bench/results/latest.md, latest.svg (default settings), latest-equal.svg and latest.json, and refresh README's table
// between its `<!-- bench:start -->` and `<!-- bench:end -->` markers.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release, type } from 'node:os';
import { join, resolve } from 'node:path';
import { allClients, EQUAL_FETCH } from './lib/clients.mjs';
import { KAFKA_TOOL, kafkaTool } from './lib/kafka-tools.mjs';
import { measure, TIME_BIN } from './lib/measure.mjs';
import { BENCH, PEERS, RAW, RESULTS, ROOT } from './lib/paths.mjs';
import { profileGregor } from './lib/profile.mjs';
import { markdown, readmeTable, summarise, svg } from './lib/report.mjs';
import { setup } from './lib/setup.mjs';
import { createTopic, deleteTopic, ensureWorkload, producerArgs, workloads } from './lib/workloads.mjs';

const USAGE = 'usage: node bench/run.mjs [--quick] [--runs N] [--clients a,b] [--workloads 100b,1k,1k-lz4,1k-zstd,wide-2k,wide-2k-batched,wide-10k,share-100b,share-1k,lat-5k,lat-50k] '
  + '[--passes default,equal] [--profile] [--no-readme] [--bootstrap host:port] [--baseline DIR] [--with wide-10k]';

function parse(argv) {
  const o = { quick: false, runs: 3, clients: null, workloads: null, passes: ['default', 'equal'], profile: false, readme: true, bootstrap: '127.0.0.1:9092', baseline: null, with: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--profile') o.profile = true;
    else if (a === '--no-readme') o.readme = false;
    else if (a === '--runs') {
      o.runs = Number(value());
      if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs must be a positive integer');
    } else if (a === '--clients') o.clients = value().split(',');
    else if (a === '--workloads') o.workloads = value().split(',');
    else if (a === '--passes') {
      o.passes = value().split(',');
      for (const p of o.passes) if (p !== 'default' && p !== 'equal') throw new Error(`unknown pass '${p}' (default, equal)`);
    } else if (a === '--bootstrap') o.bootstrap = value();
    else if (a === '--baseline') o.baseline = resolve(value());
    else if (a === '--with') o.with = value().split(',');
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'`);
  }
  return o;
}

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** The Java producer of a latency run, in the background; resolves when it has written all its records. */
function startProducer(bootstrap, w, topic) {
  const child = spawn(KAFKA_TOOL, producerArgs(bootstrap, w, topic), {
    cwd: ROOT, env: { ...process.env, KAFKA_TOOL_HEAP: '512m' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stdout.resume();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => { err = (err + c).slice(-2000); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`producer-perf-test exited ${code}: ${err.trim().slice(-300)}`))));
  });
}

/** One run of one client on one workload; a latency workload gets a fresh topic and its producer alongside. */
async function runOnce(c, w, { group, bootstrap, fetch, timeoutMs, topicSuffix }) {
  // A new share group starts at the latest offset unless its group config says otherwise (set before the clock runs).
  if (w.kind === 'share') {
    kafkaTool(['configs', '--bootstrap-server', bootstrap, '--alter', '--entity-type', 'groups', '--entity-name', group,
      '--add-config', 'share.auto.offset.reset=earliest']);
  }
  if (w.kind !== 'latency') return measure(c.command({ topic: w.topic, group, expected: w.records, bootstrap, fetch }), { timeoutMs });
  const topic = `${w.topic}-${topicSuffix}`;
  createTopic(bootstrap, topic, w.partitions);
  try {
    // The producer starts when the client says it is up (JavaLatency: after the JVM's start, which took 11 s at load
    // ~20 and outlasted a --quick run's production), or at once for clients that start in well under a second.
    /** @type {Promise<void>} */
    let producing = Promise.resolve();
    const sample = await measure(c.command({ topic, group, expected: w.records, bootstrap, fetch, latency: true }), {
      timeoutMs,
      onReady: () => {
        producing = startProducer(bootstrap, w, topic);
        producing.catch(() => {});
      },
    });
    await producing;
    return sample;
  } finally {
    deleteTopic(bootstrap, topic);
  }
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

function peerVersion(pkg) {
  const f = join(PEERS, 'node_modules', pkg, 'package.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')).version : null;
}

async function main() {
  const opts = parse(process.argv.slice(2));
  if (!existsSync(TIME_BIN)) throw new Error(`${TIME_BIN} not found: it measures each client's CPU time and peak RSS (apt-get install time)`);
  if (!existsSync(join(ROOT, 'dist', 'src', 'index.js'))) throw new Error('dist/ is missing: run `npm run bench` (it builds first)');

  // The shared broker: started if it is not running, never stopped or restarted (others use it).
  const started = spawnSync(process.execPath, [join(ROOT, 'scripts', 'kafka.mjs'), 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (started.status !== 0) throw new Error('the local broker did not start (npm run kafka:start)');

  const env = setup(log);
  if (env.node24 === null) throw new Error(`Node 24 could not be installed: ${env.problems.get('node24')}`);
  const { Consumer } = await import('../dist/src/index.js');
  const hasRun = typeof Consumer.prototype.run === 'function';
  const hasBatches = typeof Consumer.prototype.batches === 'function';

  // Opt-in workloads (wide-10k: see workloads.mjs) run only when named.
  const all = workloads(opts.quick);
  for (const id of opts.with) {
    if (!all.some((w) => w.id === id && w.optIn === true)) throw new Error(`--with ${id}: not an opt-in workload (${all.filter((w) => w.optIn).map((w) => w.id).join(', ')})`);
  }
  const selected = all.filter((w) => (opts.workloads === null ? w.optIn !== true || opts.with.includes(w.id) : opts.workloads.includes(w.id)));
  if (selected.length === 0) throw new Error(`no workload matches --workloads ${opts.workloads}`);
  for (const w of selected) log(`${w.topic}: ${ensureWorkload(opts.bootstrap, w, log)}`);

  if (opts.profile) {
    for (const w of opts.workloads === null ? [selected[0]] : selected) {
      const out = await profileGregor({ node24: env.node24, node24Version: env.node24Version, hasBatches, workload: w, bootstrap: opts.bootstrap, quick: opts.quick, log,
        runLatency: (c, lw, group) => runOnce(c, lw, { group, bootstrap: opts.bootstrap, fetch: null, timeoutMs: 600_000, topicSuffix: group }),
      });
      log(`profile written to ${out}`);
    }
    return;
  }

  if (opts.baseline !== null && !existsSync(join(opts.baseline, 'dist', 'src', 'index.js'))) throw new Error(`--baseline ${opts.baseline}: no dist/src/index.js there (build it first)`);
  const clients = allClients({ node24: env.node24, node24Version: env.node24Version, hasRun, hasBatches, baseline: opts.baseline })
    .filter((c) => opts.clients === null || opts.clients.includes(c.id));
  if (clients.length === 0) throw new Error(`no client matches --clients ${opts.clients}`);
  const unavailable = {};
  for (const c of clients) {
    const missing = c.needs.find((n) => !env.peers.has(n));
    if (missing !== undefined) unavailable[c.id] = env.problems.get(missing) ?? `${missing} unavailable`;
  }
  const notes = [];
  if (!hasRun) notes.push('gregor\'s consumer.run() (issue 6) does not exist yet in this build: not measured.');
  else notes.push('gregor (run()) is `consumer.run({ eachMessage: async (m) => ... })` with run()\'s defaults (ordering per partition, '
    + 'one record in flight, commits of completed records), written as KafkaJS\'s eachMessage client is.');
  if (hasBatches) notes.push('gregor (batches()) is `for await (const batch of consumer.batches()) for (const m of batch)`: one promise per batch instead of one per message.');
  notes.push('Clients that decode a whole first fetch before handing out the first record (@platformatic/kafka, franz-go) '
    + 'look faster from first record to last than they are end to end: compare the total column too.');
  notes.push('The Java consumer is Kafka\'s consumer-perf-test (via scripts/kafka-tool, C2 compiler on, 1 GiB heap); its rate '
    + 'is its own fetch.nMsg.sec (records over the time after the group join), its CPU and RSS include the JVM\'s start.');
  notes.push('The Python client uses poll() one message at a time, as the confluent-kafka getting-started guide does.');
  notes.push('Latency: Kafka\'s producer-perf-test (acks=1, linger.ms=0) writes 100 B records at the fixed rate into a fresh '
    + '12-partition topic while the client reads it; latency is the client\'s receive time minus the record\'s CreateTime '
    + '(the producer\'s clock at send(), ms), over the records created from 3 s after the first record arrived (the Java producer\'s own start-up stalls it for up to ~0.5 s). Java is '
    + 'clients/JavaLatency.java (KafkaConsumer, defaults, poll()), compiled once by the setup (its CPU is the JVM\'s start and its reading).');
  notes.push('Wide topics: 100 B records spread evenly over 2,000 or 10,000 partitions; "to first record" is from process '
    + 'start (metadata, group join, offsets, first fetch).');

  const runnable = clients.filter((c) => unavailable[c.id] === undefined);
  const results = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    quick: opts.quick,
    runs: opts.runs,
    passes: opts.passes,
    equalFetch: EQUAL_FETCH,
    machine: {
      cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30),
      os: `${type()} ${release()}`, loadStart: loadavg().map((x) => +x.toFixed(2)), loadEnd: [],
    },
    versions: {
      node24: `Node ${env.node24Version}`, nodeSystem: `Node ${process.version}`,
      kafka: (await import('../scripts/kafka.mjs')).KAFKA_VERSION,
      peers: [
        `KafkaJS ${peerVersion('kafkajs')}`, `@platformatic/kafka ${peerVersion('@platformatic/kafka')}`,
        `@confluentinc/kafka-javascript ${peerVersion('@confluentinc/kafka-javascript')}`,
        `${firstLine('java', ['-version'])}`, `Python confluent-kafka ${readFileSync(join(BENCH, 'clients', 'requirements.txt'), 'utf8').trim().split('==')[1]}`,
        `franz-go ${/twmb\/franz-go (v\S+)/.exec(readFileSync(join(BENCH, 'franz', 'go.mod'), 'utf8'))?.[1]} (${firstLine('go', ['version'])})`,
      ].join(', '),
    },
    workloads: selected,
    clients: clients.map(({ command: _c, ...rest }) => rest),
    latencyWarmupMs: 3000,
    unavailable,
    notes,
    samples: [],
  };

  const stamp = results.date.replace(/[:]/g, '-');
  let n = 0;
  for (const pass of opts.passes) {
    const fetch = pass === 'equal' ? EQUAL_FETCH : null;
    for (const w of selected) {
      if (pass === 'equal' && w.kind !== 'throughput') continue;
      const inPass = runnable.filter((c) => (pass === 'default' || (!c.defaultsEqual && !c.defaultPassOnly))
        && (w.clients === undefined || w.clients.includes(c.id)) && (c.shareOnly === true) === (w.kind === 'share'));
      if (w.kind !== 'latency' && inPass.length > 0) {
        // One read that is not counted first: the first reader of a topic left alone for a while pays the broker's
        // cold start on it, which the rotation below would hand to whichever client goes first in run 1. Seen in a
        // full run: gregor first in run 1 waited 7.6 s for wide-2k-batched's first record (franz-go, second, 0.16 s;
        // 0.24-0.25 s for gregor in runs 2 and 3), and the first Fetch of wide-10k's 10,000 partitions took ~1 s.
        const c = inPass.find((x) => x.id === 'gregor') ?? inPass[0];
        try {
          const warm = await runOnce(c, w, {
            group: `gregor-bench-warmup-${c.id}-${stamp}-${++n}`, bootstrap: opts.bootstrap, fetch,
            timeoutMs: opts.quick ? 180_000 : 600_000, topicSuffix: `${stamp}-${n}`,
          });
          log(`${pass} ${w.id} warm-up (${c.id}, not counted): first record ${((warm.totalMs - warm.activeMs) / 1000).toFixed(2)} s, `
            + `total ${(warm.totalMs / 1000).toFixed(2)} s`);
        } catch (err) {
          log(`${pass} ${w.id} warm-up (${c.id}, not counted): FAILED ${err.message}`);
        }
      }
      for (let run = 0; run < opts.runs; run++) {
        // Rotate the order each run so that no client always goes first (cold broker page cache) or last.
        const order = inPass.map((_, i) => inPass[(i + run) % inPass.length]);
        for (const c of order) {
          const group = `gregor-bench-${c.id}-${stamp}-${++n}`;
          const sample = { pass, workload: w.id, client: c.id, run: run + 1, load1: +loadavg()[0].toFixed(2) };
          try {
            Object.assign(sample, { ok: true }, await runOnce(c, w, {
              group, bootstrap: opts.bootstrap, fetch, timeoutMs: opts.quick ? 180_000 : 600_000, topicSuffix: `${stamp}-${n}`,
            }));
            if (sample.records < w.records) throw new Error(`read ${sample.records} of ${w.records} records`);
            const l = sample.latency;
            log(`${pass} ${w.id} run ${run + 1} ${c.id}: ${Math.round(sample.records / (sample.activeMs / 1000)).toLocaleString('en-US')} rec/s, `
              + `total ${(sample.totalMs / 1000).toFixed(2)} s, first record ${((sample.totalMs - sample.activeMs) / 1000).toFixed(2)} s, `
              + `CPU ${sample.cpuS.toFixed(2)} s, RSS ${Math.round(sample.rssKiB / 1024)} MiB`
              + `${l === undefined ? '' : `, latency ms p50 ${l.p50} p99 ${l.p99} p99.9 ${l.p999} max ${l.max} (${l.n} records)`}`);
          } catch (err) {
            Object.assign(sample, { ok: false, error: err.message });
            log(`${pass} ${w.id} run ${run + 1} ${c.id}: FAILED ${err.message}`);
          }
          results.samples.push(sample);
        }
      }
    }
  }
  results.machine.loadEnd = loadavg().map((x) => +x.toFixed(2));

  const summary = summarise(results);
  mkdirSync(RAW, { recursive: true });
  writeFileSync(join(RAW, `${stamp}${opts.quick ? '-quick' : ''}.json`), `${JSON.stringify({ ...results, summary }, null, 1)}\n`);
  // Only a full run (every client, every workload) replaces bench/results/latest.*; subsets and quick runs go to raw/.
  const full = !opts.quick && opts.clients === null && opts.workloads === null && opts.passes.includes('default') && opts.baseline === null;
  const dir = full ? RESULTS : RAW;
  const base = full ? 'latest' : opts.quick ? 'quick-latest' : 'subset-latest';
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify({ ...results, summary }, null, 1)}\n`);
  writeFileSync(join(dir, `${base}.md`), markdown(results, summary));
  writeFileSync(join(dir, `${base}.svg`), svg(results, summary, 'default'));
  if (opts.passes.includes('equal')) writeFileSync(join(dir, `${base}-equal.svg`), svg(results, summary, 'equal'));
  log(`results: ${join(dir, `${base}.md`)}`);
  process.stdout.write(`${markdown(results, summary)}\n`);

  if (opts.readme && full) updateReadme(results, summary);
}

function updateReadme(results, summary) {
  const file = join(ROOT, 'README.md');
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a === -1 || b < a) {
    log('README.md has no bench markers: table not updated');
    return;
  }
  const m = results.machine;
  const body = [
    start,
    `Latest full run: ${results.date.slice(0, 10)}, ${m.cpus} cores (${m.cpuModel}), ${m.memGiB} GiB RAM, load average `
      + `${m.loadStart[0]} → ${m.loadEnd[0]}; Node clients on ${results.versions.node24}`
      + `${results.clients.some((c) => c.id === 'gregor-system-node') ? `, gregor also on ${results.versions.nodeSystem}` : ''}; `
      + `Kafka ${results.versions.kafka} on the same machine. Default settings, median of ${results.runs} runs `
      + '(records/s from first record to last). Full tables: [bench/results/latest.md](bench/results/latest.md).',
    '',
    readmeTable(results, summary),
    '',
    '![records per second](bench/results/latest.svg)',
    end,
  ].join('\n');
  writeFileSync(file, text.slice(0, a) + body + text.slice(b + end.length));
  log('README.md benchmark table updated');
}

main().catch((err) => {
  log(err.message);
  process.exitCode = 1;
});
