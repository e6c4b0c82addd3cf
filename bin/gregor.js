#!/usr/bin/env node
// Thin launcher: the CLI itself is compiled TypeScript, bundled into dist/bundle/cli.js (scripts/bundle.mjs).
//
// Node's on-disk compile cache (V8 code cache, module.enableCompileCache, Node 22.1+) is enabled before the CLI's
// bundle loads: a command run again skips compiling it (bench/README.md, "Start-up"). It is the CLI's choice
// as an application; the library never enables it for the process it is loaded in. NODE_COMPILE_CACHE overrides the
// directory, NODE_DISABLE_COMPILE_CACHE=1 turns it off; a cache that cannot be written is skipped silently.
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('../dist/bundle/cli.js');

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`gregor: ${err?.message ?? err}`); process.exitCode = 1; },
);
