// Kafka's own command-line tools (scripts/kafka-tool) as the benchmark uses them: topics, end offsets, the Java
// producer that writes the workloads once, and the Java consumer's perf test (a client of the benchmark).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.mjs';

export const KAFKA_TOOL = join(ROOT, 'scripts', 'kafka-tool');

/** Runs a tool to completion; throws with its stderr when it fails. */
export function kafkaTool(args, { env = {}, allowFail = false, timeoutMs = 15 * 60_000 } = {}) {
  const r = spawnSync(KAFKA_TOOL, args, {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`kafka-tool ${args[0]}: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) {
    throw new Error(`kafka-tool ${args.slice(0, 2).join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  }
  return r;
}

/** Partition -> end offset of a topic; an empty map when the topic does not exist. */
export function endOffsets(bootstrap, topic) {
  const r = kafkaTool(['get-offsets', '--bootstrap-server', bootstrap, '--topic', topic, '--time', '-1'], { allowFail: true });
  const out = new Map();
  for (const line of r.stdout.split('\n')) {
    // topic:partition:offset; the topic name itself has no ':' (Kafka forbids it).
    const m = /^(.+):(\d+):(\d+)$/.exec(line.trim());
    if (m !== null && m[1] === topic) out.set(Number(m[2]), Number(m[3]));
  }
  return out;
}

export function topicExists(bootstrap, topic) {
  const r = kafkaTool(['topics', '--bootstrap-server', bootstrap, '--list'], { allowFail: true });
  return r.stdout.split('\n').some((l) => l.trim() === topic);
}
