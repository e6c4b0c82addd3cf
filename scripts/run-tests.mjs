#!/usr/bin/env node
// Runs the compiled tests with Node's built-in runner.
//   node scripts/run-tests.mjs            unit + integration (integration tests start the local Kafka if needed)
//   node scripts/run-tests.mjs --unit     unit tests only (no broker; also run under Node 24 by .ci/run)
// Node 20's `node --test` takes no globs, so the file list is collected here.
import { readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const node = process.env.GREGOR_TEST_NODE || process.execPath;

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

const files = collect(join(root, 'dist', 'test', 'unit'));
if (!unitOnly) files.push(...collect(join(root, 'dist', 'test', 'integration')));
if (files.length === 0) {
  console.error('run-tests: no compiled test files found under dist/test (did `npm run build` run?)');
  process.exit(1);
}
// Integration test files share one broker; they run concurrently but each uses unique topic and group names.
const concurrency = process.env.GREGOR_TEST_CONCURRENCY || '2';
const r = spawnSync(node, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
