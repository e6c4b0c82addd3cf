// What scripts/run-tests.mjs (npm test) and scripts/test-reliability.mjs share: collecting compiled test files,
// running them with Node's test runner (spec on the terminal, a TAP copy in a file), and naming the files that
// failed from that TAP, so that a failed file can be re-run once.
import { readFileSync, readdirSync, statSync } from 'node:fs';
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
 */
export function runNodeTests({ node, files, concurrency, tapFile, cwd, env }) {
  const r = spawnSync(node, ['--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files], { stdio: 'inherit', cwd, env: env ?? process.env });
  let tap = '';
  try { tap = readFileSync(tapFile, 'utf8'); } catch { /* the runner died before writing */ }
  return { status: r.status ?? 1, signal: r.signal, tap };
}

/** Test files with a failure, from a TAP: Node 20 names each file as a top-level test; every failure has a location. */
export function failedTestFiles(tap) {
  const out = new Set();
  let inFailure = false;
  for (const line of tap.split('\n')) {
    const notOk = /^\s*not ok \d+ - (.*?)(?: # .*)?$/.exec(line);
    if (notOk) { inFailure = true; if (notOk[1].endsWith('.test.js')) out.add(notOk[1]); continue; }
    if (/^\s*ok \d+ - /.test(line)) { inFailure = false; continue; }
    const loc = inFailure && /^\s*location: '(.*?\.test\.js):\d+:\d+'/.exec(line);
    if (loc) out.add(loc[1]);
  }
  return [...out];
}
