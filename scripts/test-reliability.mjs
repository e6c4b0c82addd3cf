#!/usr/bin/env node
// `npm run test:reliability`: builds, runs the reliability scenarios of issue 8 (test/reliability/**, compiled to
// dist/test/reliability) with Node's test runner against the project's real Kafka, and prints the result table
// (scenario, records, lost, duplicated, out of order, time to recover, verdict) that each scenario appended to a
// results file (test/reliability/report.ts). Exits non-zero when a scenario's verdict is fail or any test failed.
//
//   node scripts/test-reliability.mjs              every scenario
//   node scripts/test-reliability.mjs --ci         the subset for CI's 15-minute budget: files named *.long.test.js
//                                                  are left out (nothing fast is)
//   node scripts/test-reliability.mjs --no-build   skip `npm run build`
//   node scripts/test-reliability.mjs r12 single/  only files whose compiled path contains one of the arguments
//
// Files run one at a time by default (GREGOR_RELIABILITY_CONCURRENCY raises it): the scenarios inject faults and
// measure recovery, and on a 2-core machine two of them at once mostly measure each other.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const ci = args.includes('--ci');
const node = process.env.GREGOR_TEST_NODE || process.execPath;
const started = Date.now();

if (!args.includes('--no-build')) {
  // tsc reports errors of files still being edited elsewhere but emits JS anyway: carry on, as npm test does.
  const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) console.error('test-reliability: the build reported errors (JS was emitted; continuing)');
}

function collect(dir) {
  const out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

let files = collect(join(root, 'dist', 'test', 'reliability'));
if (ci) files = files.filter((f) => !f.endsWith('.long.test.js'));
const filters = args.filter((a) => !a.startsWith('--'));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.toLowerCase().includes(x.toLowerCase())));
if (files.length === 0) {
  console.error('test-reliability: no compiled scenario files under dist/test/reliability (did the build run?)');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'gregor-reliability-'));
const resultsFile = join(dir, 'results.jsonl');
const tap = join(dir, 'run.tap');
console.log(`test-reliability: ${files.length} file(s)${ci ? ' (--ci)' : ''}; results in ${resultsFile}`);
const r = spawnSync(node, ['--test', `--test-concurrency=${process.env.GREGOR_RELIABILITY_CONCURRENCY || '1'}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files], {
  stdio: 'inherit', cwd: root, env: { ...process.env, GREGOR_RELIABILITY_RESULTS: resultsFile },
});

// The table's format lives with the scenarios' side of it (test/reliability/report.ts, compiled).
const { formatTable, readResults } = await import(pathToFileURL(join(root, 'dist', 'test', 'reliability', 'report.js')).href);
const results = readResults(resultsFile);

// Test files that failed without a failing row (a crash, a timeout, an assertion before finish()) get a row too.
const failedFiles = new Set();
let tapText = '';
try { tapText = readFileSync(tap, 'utf8'); } catch { /* runner died */ }
let inFailure = false;
for (const line of tapText.split('\n')) {
  const notOk = /^\s*not ok \d+ - (.*?)(?: # .*)?$/.exec(line);
  if (notOk) { inFailure = true; if (notOk[1].endsWith('.test.js')) failedFiles.add(notOk[1]); continue; }
  if (/^\s*ok \d+ - /.test(line)) { inFailure = false; continue; }
  const loc = inFailure && /^\s*location: '(.*?\.test\.js):\d+:\d+'/.exec(line);
  if (loc) failedFiles.add(loc[1]);
}
for (const f of failedFiles) {
  results.push({ scenario: `(${relative(join(root, 'dist', 'test', 'reliability'), f)})`, records: 0, lost: 0, duplicated: 0, outOfOrder: 0,
    recoverMs: null, verdict: 'fail', notes: 'a test in this file failed (see its output above)' });
}

const failing = results.filter((x) => x.verdict !== 'pass').length;
const secs = Math.round((Date.now() - started) / 1000);
console.log(`\n## Reliability (${results.length} rows, ${failing} failing, ${secs} s${ci ? ', --ci' : ''})\n`);
console.log(formatTable(results));
const status = failing > 0 || r.status !== 0 ? 1 : 0;
if (status !== 0) console.error(`\ntest-reliability: FAILED (${failing} failing row(s), test runner exit ${r.status ?? r.signal})`);
process.exit(status);
