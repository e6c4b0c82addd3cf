// Where the benchmark keeps things. Installed peers and built binaries live outside git: bench/peers/node_modules,
// bench/peers/node24/node_modules (Node 24 itself) and .kafka/bench/ (the Python venv, the franz-go binary, profiles).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(BENCH, '..');
export const PEERS = join(BENCH, 'peers');
export const NODE24_DIR = join(PEERS, 'node24');
export const CACHE = join(ROOT, '.kafka', 'bench');
export const VENV = join(CACHE, 'venv');
// Named after its sources: .kafka/bench is shared by every worktree of the repository, and a binary named only
// franz-bench was rebuilt from whichever worktree's sources were touched last.
const franzSources = createHash('sha256');
for (const f of ['main.go', 'go.mod', 'go.sum']) franzSources.update(readFileSync(join(BENCH, 'franz', f)));
export const FRANZ_BIN = join(CACHE, `franz-bench-${franzSources.digest('hex').slice(0, 12)}`);
// The Java latency client, compiled once by setup.mjs into a directory named after its source (run as a source file,
// it compiled at every start: on a loaded machine that took seconds, the quick runs' producer was done before its
// warm-up ended, and it reported no latency at all).
export const JAVA_LATENCY_DIR = join(CACHE, `java-latency-${createHash('sha256').update(readFileSync(join(BENCH, 'clients', 'JavaLatency.java'))).digest('hex').slice(0, 12)}`);
export const RESULTS = join(BENCH, 'results');
export const RAW = join(RESULTS, 'raw');
