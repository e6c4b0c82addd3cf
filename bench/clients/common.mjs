// What every Node client of the benchmark shares: its command line and the one-line JSON report it prints.
//
//   node bench/clients/<client>.mjs --bootstrap 127.0.0.1:9092 --topic T --group G --expected N
//        [--fetch-max-bytes B --max-partition-fetch-bytes B --fetch-min-bytes B --fetch-max-wait-ms MS] [--latency 1]
//
// A client reads T from the beginning in the fresh group G, touches every record's value (so lazy decoders do the
// work a real application makes them do), and once it has seen N records prints
//   {"records":N,"bytes":B,"connectMs":..,"firstMs":..,"firstCpuMs":..,"lastMs":..,"client":".."}
// where the times are milliseconds since the process started (performance.now()) and firstCpuMs is the CPU time
// (user + system) the process had used when the first record arrived (its start-up: import, join, first fetch).
// bench/run.mjs times the process from the outside as well and reads its CPU time and peak RSS from /usr/bin/time.
// The fetch options are given only in the "equal fetch sizes" pass; without them each client keeps its defaults.
// With --latency 1 (the latency workloads: a producer writes at a fixed rate while the client reads) the client also
// passes each record's CreateTime, and the report gains "latency": receive time minus CreateTime in ms, p50/p99/p99.9,
// over the records created after the warm-up (LATENCY_WARMUP_MS after the first record arrived: the backlog of the
// group join is not latency).

const FETCH_FLAGS = ['fetch-max-bytes', 'max-partition-fetch-bytes', 'fetch-min-bytes', 'fetch-max-wait-ms'];

/**
 * @returns {{ bootstrap: string, topic: string, group: string, expected: number, latency: boolean,
 *   fetch: null | { maxBytes: number, partitionMaxBytes: number, minBytes: number, maxWaitMs: number } }}
 */
export function parseArgs(argv = process.argv.slice(2)) {
  const values = new Map();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!flag.startsWith('--') || i + 1 >= argv.length) fail(`bad argument '${flag}': expected --name value pairs`);
    values.set(flag.slice(2), argv[i + 1]);
  }
  const need = (name) => {
    const v = values.get(name);
    if (v === undefined || v === '') fail(`--${name} is required`);
    return v;
  };
  const expected = Number(need('expected'));
  if (!Number.isSafeInteger(expected) || expected <= 0) fail(`--expected must be a positive integer, got ${values.get('expected')}`);
  const given = FETCH_FLAGS.filter((f) => values.has(f));
  if (given.length !== 0 && given.length !== FETCH_FLAGS.length) fail(`give all of --${FETCH_FLAGS.join(', --')} or none`);
  const num = (name) => {
    const n = Number(values.get(name));
    if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a non-negative integer`);
    return n;
  };
  return {
    bootstrap: values.get('bootstrap') ?? '127.0.0.1:9092',
    topic: need('topic'),
    group: need('group'),
    expected,
    latency: values.get('latency') === '1',
    fetch: given.length === 0 ? null : {
      maxBytes: num('fetch-max-bytes'),
      partitionMaxBytes: num('max-partition-fetch-bytes'),
      minBytes: num('fetch-min-bytes'),
      maxWaitMs: num('fetch-max-wait-ms'),
    },
  };
}

export function fail(message) {
  process.stderr.write(`bench client: ${message}\n`);
  process.exit(2);
}

export const LATENCY_WARMUP_MS = 3000;

/** Wall-clock milliseconds with sub-millisecond resolution (CreateTime is the producer's wall clock). */
export function wallMs() {
  return performance.timeOrigin + performance.now();
}

/** p50, p99, p99.9 and max of latencies (ms), and how many there were. */
export function percentiles(lat, n) {
  const s = lat.subarray(0, n).sort();
  const at = (q) => (n === 0 ? null : +s[Math.min(n - 1, Math.ceil(q * n) - 1)].toFixed(3));
  return { n, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) };
}

/** Counts records and value bytes; resolves `done` at the expected count. */
export class Tally {
  /** @param {string} client @param {number} expected @param {boolean} [latency] */
  constructor(client, expected, latency = false) {
    this.client = client;
    // Preallocated, so that measuring adds no garbage per record.
    this.lat = latency ? new Float64Array(expected) : null;
    this.latN = 0;
    this.warmUntil = Infinity;
    this.expected = expected;
    this.records = 0;
    this.bytes = 0;
    this.connectMs = 0;
    this.firstMs = 0;
    /** CPU (user + system, every thread) the process had used when the first record arrived: its start-up. */
    this.firstCpuMs = 0;
    this.lastMs = 0;
    /** @type {Promise<void>} */
    this.done = new Promise((resolve) => { this.finish = resolve; });
  }

  connected() {
    this.connectMs = performance.now();
  }

  /**
   * @param {number} valueLength @param {number} [createTime] the record's timestamp (ms), with --latency
   * @returns {boolean} true once the expected count is reached
   */
  add(valueLength, createTime = 0) {
    if (this.lat !== null) {
      const now = wallMs();
      if (this.records === 0) this.warmUntil = now + LATENCY_WARMUP_MS;
      if (createTime >= this.warmUntil) this.lat[this.latN++] = now - createTime;
    }
    if (this.records === 0) {
      this.firstMs = performance.now();
      const cpu = process.cpuUsage();
      this.firstCpuMs = (cpu.user + cpu.system) / 1000;
    }
    this.records++;
    this.bytes += valueLength;
    if (this.records === this.expected) {
      this.lastMs = performance.now();
      this.finish();
      return true;
    }
    return this.records > this.expected;
  }

  /** Prints the report line; bench/run.mjs stops the clock when it reads it. */
  report() {
    const { client, records, bytes, connectMs, firstMs, firstCpuMs, lastMs } = this;
    const report = { client, records, bytes, connectMs, firstMs, firstCpuMs, lastMs };
    if (this.lat !== null) report.latency = percentiles(this.lat, this.latN);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
}

/**
 * Reports, then gives the client `closeMs` to close cleanly (leaving the group) before the process exits anyway:
 * a slow close is not part of the measurement and must not hang the run.
 */
export async function reportAndClose(tally, close, closeMs = 10_000) {
  tally.report();
  const timer = setTimeout(() => process.exit(0), closeMs);
  try {
    await close();
  } catch (err) {
    process.stderr.write(`bench client: close failed: ${err?.message ?? err}\n`);
  }
  clearTimeout(timer);
  process.exit(0);
}

/** Exits non-zero when the count is not reached in time (a stalled client must not hang the benchmark). */
export function deadline(tally, ms = Number(process.env.BENCH_CLIENT_TIMEOUT_MS ?? 600_000)) {
  const timer = setTimeout(() => {
    process.stderr.write(`bench client: ${tally.client} saw ${tally.records} of ${tally.expected} records in ${ms} ms\n`);
    process.exit(3);
  }, ms);
  timer.unref();
}
