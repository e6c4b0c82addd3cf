#!/usr/bin/env node
// The second half of `npm run build`: bundles tsc's output (dist/src) into one file per entry point of the package,
// dist/bundle/{index,otel,cli,liveness-worker}.js, plus the chunks they share. What users import, run (npx gregor)
// and start as the heartbeat thread is the bundle; tests, bench and the .d.ts keep using the modules in dist/src.
//
// Why: Node's ESM loader does per-file work (resolve, stat, package scope, a module record and a compile per file)
// for ~130 modules in the main thread and ~35 again in the heartbeat Worker; a few files instead cut the import from
// ~105 to ~40 ms of CPU (bench/README.md "Start-up").
//
//   - splitting: the main thread's entries and the liveness worker share chunks, so each class exists once per
//     thread and the worker loads only the code it uses. Every dynamic import is an entry point too, and code is
//     chunked per set of entry points reaching it: the CLI loads its clients on use from the package's index
//     (src/cli/deps.ts), not module by module, so `import 'gregor'` loads 7 files, not 18 (-12 ms, -2 MiB);
//   - entry names are the bare [name] in one directory: group-liveness.ts starts the worker with
//     `new URL('./liveness-worker.js', import.meta.url)`, which resolves to dist/bundle/liveness-worker.js from any
//     chunk just as it resolves to dist/src/cluster/liveness-worker.js from the modules;
//   - every package stays external (`packages: 'external'`): the optional natives (@node-rs/crc32, lz4-napi,
//     snappy, loaded through createRequire) and the optional peer @opentelemetry/api resolve at run time, and
//     `gregor/package.json` is read through the package's own `exports` (a self-reference);
//   - keepNames: scope hoisting renames colliding identifiers (two modules' `bad` become `bad` and `bad2`, a class
//     that names itself becomes `var Reader = class _Reader`); GregorError's `name` is `this.constructor.name`, so
//     class and function names are kept (~5-8 ms of the import: bench/README.md);
//   - no --target, no minification: the syntax tsc emitted stays as it is and stack traces stay readable.
//
//   node scripts/bundle.mjs
import { build } from 'esbuild-wasm';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'dist', 'src');
const outdir = join(root, 'dist', 'bundle');

/** Entry name (the file in dist/bundle) -> the tsc output it bundles. */
export const ENTRIES = {
  'index': 'index.js',
  'otel': 'otel/index.js',
  'cli': 'cli/main.js',
  'liveness-worker': 'cluster/liveness-worker.js',
};

rmSync(outdir, { recursive: true, force: true });
const t0 = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: Object.entries(ENTRIES).map(([out, input]) => ({ in: join(src, input), out })),
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  keepNames: true,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
const outputs = Object.entries(result.metafile.outputs);
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0);
// stderr: `npm pack --json` (prepack builds) keeps its stdout for the JSON.
console.error(`bundle: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB in dist/bundle (${Date.now() - t0} ms)`);
