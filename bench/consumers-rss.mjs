#!/usr/bin/env node
// N consumers in one process, each in a group of its own on one topic, all joined and idle: the process's RSS and
// thread count (/proc/self/status), against the same process before the first consumer. What a service that runs
// several consumers pays per consumer; the heartbeat thread is shared (group-liveness.ts, LivenessThread).
//
//   node bench/consumers-rss.mjs [--consumers 1,4,8] [--bootstrap 127.0.0.1:9092] [--topic T]
//
// Each count runs in a process of its own (a child of this one); the topic must exist (any topic: nothing is read,
// auto.offset.reset=latest). One JSON line per count.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const bootstrap = flag('bootstrap', '127.0.0.1:9092');
const topic = flag('topic', 'gregor-bench-100b-2000000');

if (process.env.GREGOR_RSS_CHILD !== undefined) {
  const n = Number(process.env.GREGOR_RSS_CHILD);
  const { Consumer } = await import('gregor');
  const threads = () => Number(readFileSync('/proc/self/status', 'utf8').match(/Threads:\s+(\d+)/)[1]);
  const before = { rss: process.memoryUsage.rss(), threads: threads() };
  const consumers = [];
  for (let i = 0; i < n; i++) {
    const c = new Consumer({ 'bootstrap.servers': bootstrap, 'group.id': `consumers-rss-${process.pid}-${i}`, 'auto.offset.reset': 'latest' });
    const joined = new Promise((resolve) => c.subscribe([topic], { assigned: () => resolve() }));
    consumers.push({ c, joined, loop: (async () => { for await (const _ of c) { /* idle: nothing is produced */ } })() });
  }
  await Promise.all(consumers.map((x) => x.joined));
  await new Promise((r) => setTimeout(r, 3000));
  const mib = (b) => Math.round(b / 1048576 * 10) / 10;
  console.log(JSON.stringify({ consumers: n, rssMiB: mib(process.memoryUsage.rss()), beforeMiB: mib(before.rss), threads: threads(), threadsBefore: before.threads, node: process.version }));
  await Promise.all(consumers.map(({ c }) => c.close()));
  await Promise.all(consumers.map(({ loop }) => loop));
} else {
  for (const n of flag('consumers', '1,4,8').split(',').map(Number)) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args], { env: { ...process.env, GREGOR_RSS_CHILD: String(n) }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) process.exit(r.status ?? 1);
    process.stdout.write(r.stdout);
  }
}
