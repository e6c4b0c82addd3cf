// `npm run bench -- --profile`: gregor's client under `node --cpu-prof` on the 100-byte workload, and a summary of
// where the CPU went (self time per function and per file) in bench/results/profile-gregor-100b.md.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allClients } from './clients.mjs';
import { measure } from './measure.mjs';
import { CACHE, RAW, RESULTS, ROOT } from './paths.mjs';

/** Self time (ms) per function and per file from a .cpuprofile (V8's sampling profile). */
export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    // timeDeltas[i] is the time *before* sample i; the sample stands for the interval that follows, which the next
    // delta measures. The difference is one interval over the whole profile.
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const fns = new Map();
  const files = new Map();
  let total = 0;
  for (const [id, ms] of self) {
    const f = byId.get(id).callFrame;
    total += ms;
    let url = f.url;
    if (url.startsWith('file://')) url = relative(ROOT, fileURLToPath(url));
    const name = f.functionName || '(anonymous)';
    const key = url ? `${name} ${url}:${f.lineNumber + 1}` : name;
    fns.set(key, (fns.get(key) ?? 0) + ms);
    const fileKey = url || name;
    files.set(fileKey, (files.get(fileKey) ?? 0) + ms);
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, functions: sorted(fns), files: sorted(files) };
}

export async function profileGregor({ node24, node24Version, workload, bootstrap, quick, log }) {
  const dir = join(CACHE, 'profiles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const gregor = allClients({ node24, node24Version, hasRun: false }).find((c) => c.id === 'gregor');
  const cmd = gregor.command({ topic: workload.topic, group: `gregor-bench-profile-${Date.now()}`, expected: workload.records, bootstrap, fetch: null });
  cmd.args.unshift('--cpu-prof', '--cpu-prof-dir', dir);
  log(`profiling gregor on ${workload.topic} (${node24Version})`);
  const sample = await measure(cmd);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile written in ${dir}`);
  const p = selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  const pct = (ms) => `${((ms / p.total) * 100).toFixed(1)} %`;
  const L = [
    `# Where gregor spends its CPU: ${workload.label}, ${workload.records.toLocaleString('en-US')} records`, '',
    `${new Date().toISOString().slice(0, 10)}, Node ${node24Version}, \`node --cpu-prof\` on bench/clients/gregor.mjs (for await, `
      + `default settings). This run: ${Math.round(sample.records / (sample.activeMs / 1000)).toLocaleString('en-US')} records/s, `
      + `CPU ${sample.cpuS.toFixed(2)} s, profile ${(p.total / 1000).toFixed(2)} s sampled (startup and connecting included; `
      + '"(idle)" is time waiting for the network).', '',
    '## Self time per function (top 30)', '', '| function | self ms | share |', '|---|--:|--:|',
    ...p.functions.slice(0, 30).map(([k, ms]) => `| \`${k}\` | ${ms.toFixed(1)} | ${pct(ms)} |`), '',
    '## Self time per file (top 15)', '', '| file | self ms | share |', '|---|--:|--:|',
    ...p.files.slice(0, 15).map(([k, ms]) => `| \`${k}\` | ${ms.toFixed(1)} | ${pct(ms)} |`), '',
  ];
  const out = join(quick ? RAW : RESULTS, quick ? 'profile-gregor-100b-quick.md' : 'profile-gregor-100b.md');
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, L.join('\n'));
  process.stdout.write(`${L.join('\n')}\n`);
  return out;
}
