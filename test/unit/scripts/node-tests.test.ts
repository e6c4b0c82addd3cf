// The test runners' shared logic (scripts/lib/node-tests.mjs, used by npm test and test:reliability) on small
// fixture test files run by Node's real test runner: one that always passes, one that always fails, and one that
// fails the first time and passes after (a marker file in a temp dir), the shape of a flaky integration test. The
// failed files are named from the TAP, each is re-run once alone, the one that passed only on retry is reported as
// FLAKY by name (the runner's last lines and the file .ci/run reads for its summary), the other fails again.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface RunResult { status: number; tap: string }
interface RunOptions { node: string; files: string[]; concurrency: string; tapFile: string; cwd: string; env?: NodeJS.ProcessEnv; quiet?: boolean }
interface NodeTestsLib {
  runNodeTests(opts: RunOptions): RunResult;
  failedTestFiles(tap: string, files?: string[]): string[];
  retryEach<R extends { status: number }>(failed: string[], run: (list: string[], label: string) => R): { runs: R[]; flaky: string[]; failed: string[] };
  flakyReport(prefix: string, flaky: string[]): string[];
  recordFlaky(flaky: string[], env?: NodeJS.ProcessEnv): void;
}

// Compiled to dist/test/unit/scripts/: the project root is four levels up; the scripts are not compiled.
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const lib = (await import(pathToFileURL(join(ROOT, 'scripts', 'lib', 'node-tests.mjs')).href)) as NodeTestsLib;

/** A directory with the three fixture files; `marker` is created by the flaky file's first (failing) run. */
function fixtures(): { dir: string; fine: string; broken: string; flaky: string; marker: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-runner-'));
  const marker = join(dir, 'flaky.marker');
  const file = (name: string, body: string): string => {
    const p = join(dir, name);
    // CommonJS (.js in a directory without a package.json): the runner names failed files by their `.test.js`.
    writeFileSync(p, `const { test } = require('node:test');\nconst { existsSync, writeFileSync } = require('node:fs');\n${body}\n`);
    return p;
  };
  return {
    dir,
    marker,
    fine: file('fine.test.js', "test('passes', () => {});"),
    broken: file('broken.test.js', "test('passes', () => {});\ntest('always fails', () => { throw new Error('broken'); });"),
    flaky: file('flaky.test.js', `test('fails only the first time', () => {
  const marker = ${JSON.stringify(marker)};
  if (!existsSync(marker)) { writeFileSync(marker, ''); throw new Error('first attempt'); }
});`),
  };
}

/** The runner as the scripts call it, its spec output discarded; without the test context this file runs in. */
function runner(dir: string): (list: string[], label: string) => RunResult {
  const env = { ...process.env };
  // Set for this file by the outer `node --test`: a nested runner would report to it instead of to its reporters.
  delete env.NODE_TEST_CONTEXT;
  return (list, label) => lib.runNodeTests({ node: process.execPath, files: list, concurrency: '1', tapFile: join(dir, `${label}.tap`), cwd: dir, env, quiet: true });
}

test('a failed run names its failed files from the TAP; each is re-run once alone; a pass on that re-run is FLAKY', () => {
  const f = fixtures();
  const run = runner(f.dir);
  const first = run([f.fine, f.broken, f.flaky], 'all');
  assert.notEqual(first.status, 0);
  assert.deepEqual(lib.failedTestFiles(first.tap).sort(), [f.broken, f.flaky].sort(), first.tap);

  const failed = lib.failedTestFiles(first.tap);
  const retry = lib.retryEach(failed, run);
  assert.deepEqual(retry.flaky, [f.flaky]);
  assert.deepEqual(retry.failed, [f.broken]);
  assert.equal(retry.runs.length, 2);
  assert.deepEqual(lib.failedTestFiles(retry.runs[failed.indexOf(f.broken)]!.tap), [f.broken]);
  assert.equal(retry.runs[failed.indexOf(f.flaky)]!.status, 0);
});

test('a clean run has no failed files; a file passing on its first attempt is never FLAKY', () => {
  const f = fixtures();
  const run = runner(f.dir);
  const r = run([f.fine], 'all');
  assert.equal(r.status, 0);
  assert.deepEqual(lib.failedTestFiles(r.tap), []);
  assert.deepEqual(lib.retryEach([], run), { runs: [], flaky: [], failed: [] });
});

test('failed files are named from Node 20 TAP (locations) and from a file-level failure (a file that crashed)', () => {
  const tap = [
    'TAP version 13',
    '# Subtest: passes',
    'ok 1 - passes',
    '# Subtest: fails',
    'not ok 2 - fails',
    '  ---',
    "  location: '/x/dist/test/integration/a.test.js:3:1'",
    '  ...',
    '# Subtest: /x/dist/test/integration/b.test.js',
    'not ok 3 - /x/dist/test/integration/b.test.js',
    '  ---',
    "  location: '/x/dist/test/integration/b.test.js:1:1'",
    '  ...',
    '# Subtest: later',
    'ok 4 - later',
    '  ---',
    "  location: '/x/dist/test/integration/c.test.js:9:1'",
    '  ...',
  ].join('\n');
  assert.deepEqual(lib.failedTestFiles(tap), ['/x/dist/test/integration/a.test.js', '/x/dist/test/integration/b.test.js']);
});

test('a failure located in a module that registers the tests names the test files of the run named after it', () => {
  // As test/reliability/cluster/r04-broker-faults.js: its register function defines the test, so the failure's
  // location is the module, not the .test.js file that called it (CI once did not re-run such a file).
  const dir = mkdtempSync(join(tmpdir(), 'gregor-runner-'));
  const file = (name: string, body: string): string => {
    const p = join(dir, name);
    writeFileSync(p, body);
    return p;
  };
  file('scenario.js', "const { test } = require('node:test');\nexports.register = (label) => test(`fails in the module (${label})`, () => { throw new Error('scenario'); });\n");
  const main = file('scenario.test.js', "require('./scenario.js').register('short');\n");
  const long = file('scenario-kip848.long.test.js', "require('./scenario.js').register('long');\n");
  const other = file('scenarios.test.js', "require('node:test').test('passes', () => {});\n");
  const r = runner(dir)([main, other], 'all');
  assert.notEqual(r.status, 0);
  assert.match(r.tap, /location: '.*scenario\.js:\d+:\d+'/, r.tap);
  assert.deepEqual(lib.failedTestFiles(r.tap), [], 'without the run\'s files, a module location names nothing');
  assert.deepEqual(lib.failedTestFiles(r.tap, [main, other]), [main]);
  assert.deepEqual(lib.failedTestFiles(r.tap, [main, long, other]).sort(), [long, main].sort());
});

test('the FLAKY report: a line per file, then the count; nothing when none', () => {
  assert.deepEqual(lib.flakyReport('run-tests', []), []);
  assert.deepEqual(lib.flakyReport('run-tests', ['dist/test/integration/a.test.js', 'dist/test/integration/b.test.js']), [
    '',
    'run-tests: FLAKY (passed only on retry): dist/test/integration/a.test.js',
    'run-tests: FLAKY (passed only on retry): dist/test/integration/b.test.js',
    'run-tests: 2 FLAKY files (a test that passes only on retry is a defect: fix the cause)',
  ]);
  assert.equal(lib.flakyReport('test-reliability', ['x.test.js']).at(-1), 'test-reliability: 1 FLAKY file (a test that passes only on retry is a defect: fix the cause)');
});

test('the FLAKY names go to the file GREGOR_FLAKY_FILE names (for .ci/run), one a line; none empties it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-runner-'));
  const path = join(dir, 'flaky.txt');
  lib.recordFlaky(['dist/test/integration/a.test.js', 'dist/test/integration/b.test.js'], { GREGOR_FLAKY_FILE: path });
  assert.equal(readFileSync(path, 'utf8'), 'dist/test/integration/a.test.js\ndist/test/integration/b.test.js\n');
  lib.recordFlaky([], { GREGOR_FLAKY_FILE: path });
  assert.equal(readFileSync(path, 'utf8'), '');
  lib.recordFlaky(['x'], {}); // unset: nothing written anywhere
});
