// The clients of the benchmark: how each is started, on which runtime, and whether its default fetch sizes already
// equal the "equal fetch sizes" values (then the second pass reuses its default-pass figures instead of re-running).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseJavaPerf, parseJavaSharePerf, parseJsonReport } from './measure.mjs';
import { KAFKA_TOOL } from './kafka-tools.mjs';
import { BENCH, FRANZ_BIN, JAVA_LATENCY_DIR, ROOT, VENV } from './paths.mjs';

/**
 * The values every client gets in the second pass: the Java consumer's defaults (fetch.max.bytes 50 MiB,
 * max.partition.fetch.bytes 1 MiB, fetch.min.bytes 1, fetch.max.wait.ms 500), which are also librdkafka's and
 * gregor's. KafkaJS (10 MiB total, 5 s wait), @platformatic/kafka (50 MiB per partition, 5 s wait), Confluent's
 * KafkaJS-style API (10 MiB per partition) and franz-go (5 s wait) differ from them by default.
 */
export const EQUAL_FETCH = { maxBytes: 52_428_800, partitionMaxBytes: 1_048_576, minBytes: 1, maxWaitMs: 500 };

/**
 * @typedef {{ id: string, label: string, family: 'gregor' | 'node' | 'other', runtime: string, needs: string[],
 *   defaultsEqual: boolean, defaultPassOnly?: boolean, shareOnly?: boolean,
 *   command: (a: { topic: string, group: string, expected: number, bootstrap: string, fetch: typeof EQUAL_FETCH | null,
 *     latency?: boolean }) => import('./measure.mjs').Command }} Client
 */

function nodeArgs(a) {
  const args = ['--bootstrap', a.bootstrap, '--topic', a.topic, '--group', a.group, '--expected', String(a.expected)];
  if (a.fetch !== null) {
    args.push('--fetch-max-bytes', String(a.fetch.maxBytes), '--max-partition-fetch-bytes', String(a.fetch.partitionMaxBytes),
      '--fetch-min-bytes', String(a.fetch.minBytes), '--fetch-max-wait-ms', String(a.fetch.maxWaitMs));
  }
  if (a.latency === true) args.push('--latency', '1');
  return args;
}

function nodeClient(id, label, family, file, node, runtime, extra = {}) {
  return {
    id, label, family, runtime, needs: extra.needs ?? [], defaultsEqual: extra.defaultsEqual ?? false,
    defaultPassOnly: extra.defaultPassOnly ?? false,
    command: (a) => ({
      cmd: node, args: [...(extra.nodeFlags ?? []), join(extra.bench ?? BENCH, 'clients', file), ...(extra.args ?? []), ...nodeArgs(a)],
      env: extra.env, cwd: ROOT, parse: parseJsonReport,
    }),
  };
}

/**
 * @param {{ node24: string, node24Version: string, hasRun: boolean, hasBatches?: boolean, baseline?: string | null }} env
 *   baseline: another checkout of gregor, built (its dist/ and bench/clients/): adds its `for await`, batches() and run()
 *   as the clients gregor-baseline, gregor-batches-baseline, gregor-run-baseline and gregor-run-key-baseline, for
 *   before/after figures run interleaved.
 * @returns {Client[]}
 */
export function allClients({ node24, node24Version, hasRun, hasBatches = false, baseline = null }) {
  const n24 = `Node ${node24Version}`;
  const list = [
    nodeClient('gregor', 'gregor (for await)', 'gregor', 'gregor.mjs', node24, n24, { defaultsEqual: true }),
  ];
  if (baseline !== null) {
    const bench = join(baseline, 'bench');
    list.push(
      nodeClient('gregor-baseline', 'gregor (for await), baseline', 'gregor', 'gregor.mjs', node24, n24, { defaultsEqual: true, defaultPassOnly: true, bench }),
      nodeClient('gregor-batches-baseline', 'gregor (batches()), baseline', 'gregor', 'gregor.mjs', node24, n24, {
        defaultsEqual: true, defaultPassOnly: true, bench, args: ['--api', 'batches'],
      }),
      nodeClient('gregor-run-baseline', 'gregor (run()), baseline', 'gregor', 'gregor.mjs', node24, n24, {
        defaultsEqual: true, defaultPassOnly: true, bench, args: ['--api', 'run'],
      }),
      nodeClient('gregor-run-key-baseline', "gregor (run(), ordering 'key', concurrency 16), baseline", 'gregor', 'gregor.mjs', node24, n24, {
        defaultsEqual: true, defaultPassOnly: true, bench, args: ['--api', 'run', '--ordering', 'key', '--concurrency', '16'],
      }),
    );
  }
  if (hasBatches) {
    list.push(nodeClient('gregor-batches', 'gregor (batches())', 'gregor', 'gregor.mjs', node24, n24, { defaultsEqual: true, args: ['--api', 'batches'] }));
  }
  if (hasRun) {
    list.push(nodeClient('gregor-run', 'gregor (run())', 'gregor', 'gregor.mjs', node24, n24, { defaultsEqual: true, args: ['--api', 'run'] }));
    list.push(nodeClient('gregor-run-sync', 'gregor (run(), synchronous eachMessage)', 'gregor', 'gregor.mjs', node24, n24, {
      defaultsEqual: true, defaultPassOnly: true, args: ['--api', 'run', '--handler', 'sync'],
    }));
    // ordering 'key' with 16 in flight: the workloads' keys are null (one key per partition), so this measures the
    // cost of the key bookkeeping with up to 12 records in flight, not a speed-up from key parallelism.
    list.push(nodeClient('gregor-run-key', "gregor (run(), ordering 'key', concurrency 16)", 'gregor', 'gregor.mjs', node24, n24, {
      defaultsEqual: true, defaultPassOnly: true, args: ['--api', 'run', '--ordering', 'key', '--concurrency', '16'],
    }));
  }
  // gregor on the system's Node too, when gregor supports it (>= 22.15: an older one has no zstd in node:zlib).
  const [major, minor] = process.versions.node.split('.').map(Number);
  const systemSupported = major > 22 || (major === 22 && minor >= 15);
  if (process.version !== node24Version && systemSupported) {
    list.push(nodeClient('gregor-system-node', `gregor (for await) on Node ${process.version}`, 'gregor', 'gregor.mjs', process.execPath,
      `Node ${process.version}`, { defaultsEqual: true, defaultPassOnly: true }));
  }
  list.push(
    nodeClient('kafkajs', 'KafkaJS (eachMessage)', 'node', 'kafkajs.mjs', node24, n24, { needs: ['kafkajs'] }),
    nodeClient('platformatic', '@platformatic/kafka (stream)', 'node', 'platformatic.mjs', node24, n24, { needs: ['platformatic'] }),
    nodeClient('confluent-kafkajs', 'Confluent JS (KafkaJS API, eachMessage)', 'node', 'confluent-kafkajs.mjs', node24, n24, { needs: ['confluent'] }),
    nodeClient('confluent-callback', 'Confluent JS (callback API, flowing)', 'node', 'confluent-callback.mjs', node24, n24, {
      needs: ['confluent'], defaultsEqual: true,
    }),
    {
      id: 'java', label: 'Java consumer (consumer-perf-test)', family: 'other', runtime: 'JVM', needs: ['java'], defaultsEqual: true,
      command: (a) => {
        // consumer-perf-test reports no latency: the latency workloads run clients/JavaLatency.java (same consumer).
        if (a.latency === true) {
          // Compiled by setup.mjs (a source file compiles at each start: seconds of the run on a loaded machine).
          const lib = join(ROOT, '.kafka', 'lib', '*');
          const compiled = existsSync(join(JAVA_LATENCY_DIR, 'JavaLatency.class'));
          const main = compiled ? ['-cp', `${JAVA_LATENCY_DIR}:${lib}`, 'JavaLatency'] : ['-cp', lib, join(BENCH, 'clients', 'JavaLatency.java')];
          return { cmd: 'java', args: ['-Xmx1g', ...main, ...nodeArgs(a)], cwd: ROOT, parse: parseJsonReport, ready: 'ready' };
        }
        const args = ['consumer-perf-test', '--bootstrap-server', a.bootstrap, '--topic', a.topic, '--group', a.group,
          '--num-records', String(a.expected), '--timeout', '60000'];
        if (a.fetch !== null) {
          args.push('--command-property', `fetch.max.bytes=${a.fetch.maxBytes}`, `max.partition.fetch.bytes=${a.fetch.partitionMaxBytes}`,
            `fetch.min.bytes=${a.fetch.minBytes}`, `fetch.max.wait.ms=${a.fetch.maxWaitMs}`);
        }
        // kafka-tool tunes its JVMs for quick start (C1 only); a throughput run wants the C2 compiler back. The heap is
        // raised from kafka-tool's 256 MiB to 1 GiB so that 50 MiB fetches never make the collector the bottleneck.
        return { cmd: KAFKA_TOOL, args, env: { KAFKA_TOOL_OPTS: '-XX:TieredStopAtLevel=4', KAFKA_TOOL_HEAP: '1g' }, cwd: ROOT, parse: parseJavaPerf };
      },
    },
    // Share groups (KIP-932): these two read the 'share' workloads only, and only those workloads run them.
    {
      ...nodeClient('gregor-share', 'gregor ShareConsumer (poll)', 'gregor', 'gregor-share.mjs', node24, n24, { defaultPassOnly: true }),
      shareOnly: true,
    },
    {
      id: 'java-share', label: 'Java KafkaShareConsumer (ShareConsumerPerformance)', family: 'other', runtime: 'JVM', needs: ['java'],
      defaultsEqual: true, defaultPassOnly: true, shareOnly: true,
      command: (a) => ({
        cmd: KAFKA_TOOL, cwd: ROOT, parse: parseJavaSharePerf, env: { KAFKA_TOOL_OPTS: '-XX:TieredStopAtLevel=4', KAFKA_TOOL_HEAP: '1g' },
        args: ['share-consumer-perf-test', '--bootstrap-server', a.bootstrap, '--topic', a.topic, '--group', a.group,
          '--num-records', String(a.expected), '--timeout', '60000'],
      }),
    },
    {
      id: 'python', label: 'confluent-kafka (Python, poll())', family: 'other', runtime: 'CPython', needs: ['python'], defaultsEqual: true,
      command: (a) => ({ cmd: join(VENV, 'bin', 'python'), args: [join(BENCH, 'clients', 'confluent_python.py'), ...nodeArgs(a)], cwd: ROOT, parse: parseJsonReport }),
    },
    {
      id: 'franz', label: 'franz-go', family: 'other', runtime: 'Go', needs: ['franz'], defaultsEqual: false,
      command: (a) => ({
        cmd: FRANZ_BIN, cwd: ROOT, parse: parseJsonReport,
        args: nodeArgs(a).map((s) => (s.startsWith('--') ? s.slice(1) : s)),
      }),
    },
  );
  return list;
}
