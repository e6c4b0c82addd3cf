// `npm run bench -- --profile`: gregor's client under `node --cpu-prof` on the 100-byte workload, and a summary of
// where the CPU went (self time per function and per file) in bench/results/profile-gregor-100b.md.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allClients } from './clients.mjs';
import { measure } from './measure.mjs';
import { CACHE, RAW, RESULTS, ROOT } from './paths.mjs';

/**
 * Self time (ms) per function and per file from a .cpuprofile (V8's sampling profile), over the samples in
 * [from, to) (indexes into profile.samples). Each function also names its nearest caller in gregor's or the bench's
 * own code, so that runtime functions (Buffer.concat, subarray...) say who called them.
 */
export function selfTimes(profile, from = 0, to = profile.samples.length) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = (id) => {
    const f = byId.get(id).callFrame;
    const url = f.url.startsWith('file://') ? relative(ROOT, fileURLToPath(f.url)) : f.url;
    return { name: f.functionName || '(anonymous)', url, line: f.lineNumber + 1 };
  };
  const own = (url) => url.startsWith('dist/') || url.startsWith('bench/');
  const fns = new Map();
  const files = new Map();
  let total = 0;
  for (let i = from; i < to; i++) {
    const id = profile.samples[i];
    // timeDeltas[i] is the time before sample i; the sample stands for the interval that follows it.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    total += ms;
    const w = where(id);
    const key = w.url ? `${w.name} ${w.url}:${w.line}` : w.name;
    let caller = '';
    if (!own(w.url) && w.url !== '') {
      for (let q = parent.get(id); q !== undefined; q = parent.get(q)) {
        const c = where(q);
        if (own(c.url)) {
          caller = `${c.name} ${c.url}:${c.line}`;
          break;
        }
      }
    }
    const e = fns.get(key) ?? { ms: 0, callers: new Map() };
    e.ms += ms;
    if (caller) e.callers.set(caller, (e.callers.get(caller) ?? 0) + ms);
    fns.set(key, e);
    const fileKey = w.url || w.name;
    files.set(fileKey, (files.get(fileKey) ?? 0) + ms);
  }
  const functions = [...fns].sort((a, b) => b[1].ms - a[1].ms).map(([k, e]) => {
    const top = [...e.callers].sort((a, b) => b[1] - a[1])[0];
    return [k, e.ms, top ? top[0] : ''];
  });
  return { total, functions, files: [...files].sort((a, b) => b[1] - a[1]) };
}

/**
 * The samples from the first to the last one spent decoding records: the consumption itself. The clients import the
 * bundle (dist/bundle/index.js), where no URL names src/protocol/records: the decoder's functions are named instead.
 */
const DECODING = new Set(['decodeRecordSet', 'decodeBatchV2', 'crc32c', 'scanRecordSet']);
export function activeWindow(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let first = -1;
  let last = -1;
  for (let i = 0; i < profile.samples.length; i++) {
    const f = byId.get(profile.samples[i]).callFrame;
    if (f.url.includes('/protocol/records/') || (f.url.includes('/bundle/') && DECODING.has(f.functionName))) {
      if (first === -1) first = i;
      last = i;
    }
  }
  return first === -1 ? [0, profile.samples.length] : [first, last + 1];
}

/** Profiles one gregor client (one API) and returns its Markdown section. */
async function profileOne(client, { workload, bootstrap, node24Version, log, runLatency }) {
  const dir = join(CACHE, 'profiles', client.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const profiled = (a) => {
    const cmd = client.command(a);
    cmd.args.unshift('--cpu-prof', '--cpu-prof-dir', dir);
    cmd.env = { ...cmd.env, GREGOR_BENCH_GC: '1' };
    return cmd;
  };
  log(`profiling ${client.label} on ${workload.topic} (${node24Version})`);
  const group = `gregor-bench-profile-${Date.now()}`;
  // A latency workload needs its fresh topic and the producer beside the client: run.mjs's runOnce() does both.
  const sample = workload.kind === 'latency'
    ? await runLatency({ ...client, command: profiled }, workload, group)
    : await measure(profiled({ topic: workload.topic, group, expected: workload.records, bootstrap, fetch: null }));
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile written in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const [from, to] = activeWindow(profile);
  const p = selfTimes(profile, from, to);
  const whole = selfTimes(profile);
  const pct = (ms, of) => `${((ms / of) * 100).toFixed(1)} %`;
  // Share of the time the process was busy (idle excluded): steadier than the share of the window on a loaded machine,
  // where waiting for a busy broker inflates "(idle)".
  const busy = p.total - (p.functions.find(([k]) => k === '(idle)')?.[1] ?? 0);
  const busyPct = (k, ms) => (k === '(idle)' ? '' : pct(ms, busy));
  return [
    `## ${client.label}`, '',
    `This run: ${Math.round(sample.records / (sample.activeMs / 1000)).toLocaleString('en-US')} records/s, CPU ${sample.cpuS.toFixed(2)} s, `
      + `peak RSS ${Math.round(sample.rssKiB / 1024)} MiB${sample.latency === undefined ? '' : `, latency ms p50 ${sample.latency.p50} p99 ${sample.latency.p99}`}. The tables cover the consumption itself: ${(p.total / 1000).toFixed(2)} s `
      + `from the first record batch decoded to the last (the whole profile, startup and group join included, is `
      + `${(whole.total / 1000).toFixed(2)} s). Raw profile: .kafka/bench/profiles/${client.id}/ (open it in Chrome DevTools).`
      + (sample.gc === undefined ? '' : ` Garbage collector (perf_hooks, whole process): ${sample.gc.pauses} pauses, ${sample.gc.ms} ms (${sample.gc.detail}).`), '',
    '### Self time per function (top 30)', '',
    '| function | self ms | share of window | share of busy time | called from (nearest gregor/bench frame) |', '|---|--:|--:|--:|---|',
    ...p.functions.slice(0, 30).map(([k, ms, caller]) => `| \`${k}\` | ${ms.toFixed(1)} | ${pct(ms, p.total)} | ${busyPct(k, ms)} | ${caller ? `\`${caller}\`` : ''} |`), '',
    '### Self time per file (top 15)', '', '| file | self ms | share of window | share of busy time |', '|---|--:|--:|--:|',
    ...p.files.slice(0, 15).map(([k, ms]) => `| \`${k}\` | ${ms.toFixed(1)} | ${pct(ms, p.total)} | ${busyPct(k, ms)} |`), '',
  ];
}

/**
 * `--profile`: gregor's async iteration, batches() and run() (async and synchronous eachMessage) on one workload (100 B unless
 * --workloads says otherwise; each selected workload gets its own file, profile-gregor-<id>.md).
 */
export async function profileGregor({ node24, node24Version, hasBatches, workload, bootstrap, quick, log, runLatency }) {
  // run() too (issue 15's "run() >= 0.9x for await"): the async eachMessage the comparison measures, and the
  // synchronous one beside it (their difference is the handler's promise and its then()).
  const profiled = new Set(['gregor', 'gregor-batches', 'gregor-run', 'gregor-run-sync']);
  const clients = allClients({ node24, node24Version, hasRun: true, hasBatches }).filter((c) => profiled.has(c.id));
  const L = [
    `# Where gregor spends its CPU: ${workload.label}, ${workload.records.toLocaleString('en-US')} records`, '',
    `${new Date().toISOString().slice(0, 10)}, Node ${node24Version}, \`node --cpu-prof\` on bench/clients/gregor.mjs, default settings. `
      + '"(idle)" is the event loop waiting for the network; "(program)" is V8 outside JavaScript (compilation, IC misses); '
      + 'the for-await loop\'s own cost (promise resolution, resuming the loop) shows as the anonymous top-level function of '
      + 'bench/clients/gregor.mjs.', '',
  ];
  for (const c of clients) L.push(...await profileOne(c, { workload, bootstrap, node24Version, log, runLatency }));
  const out = join(quick ? RAW : RESULTS, `profile-gregor-${workload.id}${quick ? '-quick' : ''}.md`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, L.join('\n'));
  process.stdout.write(`${L.join('\n')}\n`);
  return out;
}
