// Message codec throughput, the consumer's hot path first: decoding Fetch responses (many partitions, records left
// as views) and encoding Fetch requests. A script, not a test:
//
//   npm run build && node dist/bench/protocol-codec.js [--seconds 1] [--quick]
//
// Shapes: "1x1000" is one topic with 1000 partitions, "100x10" a hundred topics of ten partitions; each partition
// carries a 1 KiB records blob that the codec must hand out as a view (never copy, never decode). Reported: decodes
// per second, partitions per second, and MB/s of frame bytes.

import { performance } from 'node:perf_hooks';
import { ApiKey, decodeResponse, encodeRequest, encodeResponse } from '../src/protocol/index.js';
import { randomBytes } from 'node:crypto';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const i = args.indexOf('--seconds');
const seconds = i >= 0 ? Number(args[i + 1]) : quick ? 0.3 : 1;

function measure(fn: () => void): number {
  for (let k = 0; k < 50; k++) fn(); // warm-up: compile plans, let V8 optimise
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let k = 0; k < 20; k++) fn();
    n += 20;
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

function fetchResponse(version: number, topics: number, partitions: number, recordBytes: number): Buffer {
  const records = Buffer.alloc(recordBytes, 7);
  const body = {
    throttleTimeMs: 0, errorCode: 0, sessionId: 12345,
    responses: Array.from({ length: topics }, (_, t) => ({
      topic: `topic-${t}`, topicId: randomBytes(16).toString('base64url'),
      partitions: Array.from({ length: partitions }, (_, p) => ({
        partitionIndex: p, errorCode: 0, highWatermark: 1_000_000n + BigInt(p), lastStableOffset: 1_000_000n, logStartOffset: 0n,
        abortedTransactions: null, preferredReadReplica: -1, records,
        currentLeader: version >= 12 && p % 10 === 0 ? { leaderId: 1, leaderEpoch: 3 } : undefined,
      })),
    })),
  };
  return encodeResponse(ApiKey.Fetch, version, 1, body).subarray(4);
}

const rows: string[] = [];
for (const version of [11, 17]) {
  for (const [topics, partitions] of [[1, 1000], [100, 10], [1, 10]] as const) {
    const frame = fetchResponse(version, topics, partitions, 1024);
    const rate = measure(() => decodeResponse(ApiKey.Fetch, version, frame));
    const parts = topics * partitions;
    rows.push(`Fetch response v${version} ${topics}x${partitions} (${(frame.length / 1024).toFixed(0)} KiB): ` +
      `${rate.toFixed(0)} decodes/s, ${((rate * parts) / 1e6).toFixed(2)} M partitions/s, ${((rate * frame.length) / 1e6).toFixed(0)} MB/s`);
  }
}

for (const version of [11, 17]) {
  const body = {
    maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: Array.from({ length: 10 }, (_, t) => ({
      topic: `topic-${t}`, topicId: randomBytes(16).toString('base64url'),
      partitions: Array.from({ length: 10 }, (_, p) => ({ partition: p, currentLeaderEpoch: 3, fetchOffset: 123456n, logStartOffset: -1n, partitionMaxBytes: 1048576 })),
    })),
  };
  const rate = measure(() => encodeRequest(ApiKey.Fetch, version, 7, 'bench', body));
  rows.push(`Fetch request v${version} 10x10 encode: ${rate.toFixed(0)} encodes/s, ${((rate * 100) / 1e6).toFixed(2)} M partitions/s`);
}

{
  const hb = { groupId: 'group-1', memberId: 'abc', memberEpoch: 5, rebalanceTimeoutMs: -1 };
  rows.push(`ConsumerGroupHeartbeat request v1 encode: ${measure(() => encodeRequest(ApiKey.ConsumerGroupHeartbeat, 1, 9, 'bench', hb)).toFixed(0)} encodes/s`);
}

console.log(`protocol codec, node ${process.version}, ${seconds}s per case`);
for (const r of rows) console.log(`  ${r}`);
