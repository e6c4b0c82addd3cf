// One measured run of one client: a child process under /usr/bin/time (CPU seconds and peak RSS from the kernel's
// rusage, the same way for Node, the JVM, Python and Go), timed from spawn until its report line arrives.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TIME_BIN = '/usr/bin/time';

/**
 * @typedef {{ p50: number | null, p99: number | null, p999: number | null, max: number | null, n: number }} Latency
 * @typedef {{ records: number, bytes: number, activeMs: number, totalMs: number, cpuS: number, rssKiB: number,
 *   connectMs: number | null, firstMs?: number, firstCpuS?: number, latency?: Latency }} Sample
 * @typedef {{ cmd: string, args: string[], env?: Record<string, string>, cwd?: string, ready?: string,
 *   parse: (stdout: string) => null | { records: number, bytes: number, activeMs: number, connectMs: number | null,
 *     firstMs?: number, firstCpuS?: number, latency?: Latency } }} Command
 * `ready`: a line the client prints once it has started (see measure()'s onReady).
 */

/** The report line of bench/clients/common.mjs (and of the Go and Python clients). */
export function parseJsonReport(stdout) {
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const r = JSON.parse(t);
      if (typeof r.records === 'number' && typeof r.lastMs === 'number') {
        return {
          records: r.records, bytes: r.bytes, activeMs: r.lastMs - r.firstMs, connectMs: r.connectMs, firstMs: r.firstMs,
          // CPU to the first record (the clients that report it: gregor's, the other Node clients, franz-go).
          ...(typeof r.firstCpuMs === 'number' && r.firstCpuMs > 0 ? { firstCpuS: r.firstCpuMs / 1000 } : {}),
          ...(r.latency === undefined ? {} : { latency: r.latency }),
        };
      }
    } catch {
      // not the report
    }
  }
  return null;
}

/**
 * The Java consumer's perf test prints a CSV header and one row. fetch.time.ms is the time spent reading after the
 * group join (rebalance.time.ms), i.e. from the first fetch to the last record: its closest equivalent of
 * first-record-to-last.
 */
export function parseJavaPerf(stdout) {
  const row = perfRow(stdout);
  if (row === null) return null;
  const { get, ...sample } = row;
  return { ...sample, connectMs: get('rebalance.time.ms') };
}

/**
 * Kafka's ShareConsumerPerformance prints the same kind of CSV without rebalance.time.ms: its fetch.time.ms runs from
 * the start (the share group join included) to the last record, so it is the active time and the join is not apart.
 */
export function parseJavaSharePerf(stdout) {
  const row = perfRow(stdout);
  if (row === null) return null;
  const { get: _get, ...sample } = row;
  return { ...sample, connectMs: null };
}

/** The CSV row both perf tools print under their `start.time,...` header: records, bytes and fetch.time.ms. */
function perfRow(stdout) {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const h = lines.findIndex((l) => l.startsWith('start.time'));
  if (h === -1 || h + 1 >= lines.length) return null;
  const names = lines[h].split(',').map((s) => s.trim());
  const values = lines[h + 1].split(',').map((s) => s.trim());
  if (values.length !== names.length) return null;
  const get = (name) => Number(values[names.indexOf(name)]);
  const records = get('data.consumed.in.nMsg');
  const fetchMs = get('fetch.time.ms');
  if (!Number.isFinite(records) || !Number.isFinite(fetchMs)) return null;
  return { records, bytes: Math.round(get('data.consumed.in.MB') * 1024 * 1024), activeMs: fetchMs, get };
}

/**
 * Runs the command once. Resolves with a Sample, or rejects with the reason (exit status, timeout, missing report)
 * and the tail of its stderr. `onReady` is called once: when the command's `ready` line appears on its stdout, or at
 * once for a command without one (a latency run starts its producer then).
 * @param {Command} command
 * @param {{ timeoutMs?: number, onReady?: () => void }} [options]
 * @returns {Promise<Sample>}
 */
export function measure(command, { timeoutMs = 600_000, onReady } = {}) {
  let ready = onReady;
  const signalReady = () => {
    const r = ready;
    ready = undefined;
    r?.();
  };
  if (command.ready === undefined) signalReady();
  const dir = mkdtempSync(join(tmpdir(), 'gregor-bench-'));
  const timeFile = join(dir, 'rusage');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let tReport = null;
    let stdout = '';
    let stderr = '';
    const child = spawn(TIME_BIN, ['-f', '%e %U %S %M', '-o', timeFile, command.cmd, ...command.args], {
      cwd: command.cwd, env: { ...process.env, ...command.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (ready !== undefined && stdout.split('\n').some((l) => l.trim() === command.ready)) signalReady();
      if (tReport === null && command.parse(stdout) !== null) tReport = performance.now();
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-8000);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      signalReady();
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`cannot start ${command.cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      signalReady();
      const tExit = performance.now();
      let rusage = '';
      try {
        rusage = readFileSync(timeFile, 'utf8');
      } catch {
        // time(1) did not write it: reported below
      }
      rmSync(dir, { recursive: true, force: true });
      const report = command.parse(stdout);
      const why = signal !== null ? `killed (${signal}${signal === 'SIGKILL' ? `, over ${timeoutMs} ms` : ''})`
        : code !== 0 ? `exit ${code}` : report === null ? 'no report line' : null;
      if (why !== null) {
        // The clients say what went wrong on a 'bench client:' line; otherwise the last lines of stderr.
        const lines = stderr.trim().split('\n');
        const own = lines.filter((l) => l.startsWith('bench client:')).map((l) => l.slice('bench client:'.length).trim());
        reject(new Error(`${why}: ${(own.length > 0 ? own : lines.slice(-3)).join(' | ').slice(0, 600)}`));
        return;
      }
      // The last line of time(1)'s output: "%e %U %S %M" (earlier lines, if any, say the command failed).
      const last = rusage.trim().split('\n').pop() ?? '';
      const [, user, sys, maxrss] = last.split(' ').map(Number);
      if (![user, sys, maxrss].every(Number.isFinite)) {
        reject(new Error(`cannot read /usr/bin/time output: ${JSON.stringify(rusage)}`));
        return;
      }
      // GREGOR_BENCH_GC=1 makes gregor's client print its collector pauses (bench/clients/gregor.mjs).
      const gc = /^gc: (\d+) pauses, (\d+) ms \((.*)\)$/m.exec(stderr);
      resolve({
        ...(gc === null ? {} : { gc: { pauses: Number(gc[1]), ms: Number(gc[2]), detail: gc[3] } }),
        ...(report.latency === undefined ? {} : { latency: report.latency }),
        ...(report.firstMs === undefined ? {} : { firstMs: report.firstMs }),
        ...(report.firstCpuS === undefined ? {} : { firstCpuS: report.firstCpuS }),
        records: report.records,
        bytes: report.bytes,
        activeMs: report.activeMs,
        connectMs: report.connectMs,
        totalMs: (tReport ?? tExit) - t0,
        cpuS: user + sys,
        rssKiB: maxrss,
      });
    });
  });
}
