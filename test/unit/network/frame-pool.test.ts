// The response frame pool's ownership rules (src/network/frame-pool.ts): only frames released explicitly are reused,
// each at most once per release; nothing is kept after close(); frames outside the pooled sizes are never lent; the
// idle bound holds. And FrameReader assembling large frames into pooled memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FrameLease, FramePool, MAX_IDLE_FRAMES, MAX_POOLED_BYTES, MIN_POOLED_BYTES, releaseFrame,
} from '../../../src/network/frame-pool.js';
import { FrameReader } from '../../../src/network/framing.js';

const MiB = 1024 * 1024;

test('a released frame is reused by the next acquire that fits; one that is not released is not', () => {
  const pool = new FramePool();
  const a = pool.acquire(3 * MiB);
  assert.equal(a.length, 3 * MiB);
  const b = pool.acquire(3 * MiB); // a is still lent: b is other memory
  assert.notEqual(b.buffer, a.buffer);
  assert.equal(releaseFrame(a.subarray(100, 200)), true); // any view into the frame releases it
  const c = pool.acquire(2 * MiB + 5); // smaller: fits into a's memory
  assert.equal(c.buffer, a.buffer);
  assert.equal(c.length, 2 * MiB + 5);
  assert.equal(pool.reused, 1);
  const d = pool.acquire(3 * MiB); // b never released: fresh memory
  assert.notEqual(d.buffer, b.buffer);
  assert.notEqual(d.buffer, a.buffer);
});

test('releasing twice does nothing the second time: a frame is never handed out to two holders', () => {
  const pool = new FramePool();
  const a = pool.acquire(MIN_POOLED_BYTES);
  assert.equal(releaseFrame(a), true);
  assert.equal(releaseFrame(a), false);
  assert.equal(pool.idleFrames, 1);
  const x = pool.acquire(MIN_POOLED_BYTES);
  const y = pool.acquire(MIN_POOLED_BYTES);
  assert.equal(x.buffer, a.buffer);
  assert.notEqual(y.buffer, a.buffer);
  assert.equal(releaseFrame(a), true); // lent again as x: released once more, legitimately
  assert.equal(releaseFrame(x), false);
});

test('a frame released after close() is dropped, and a closed pool lends nothing', () => {
  const pool = new FramePool();
  const a = pool.acquire(2 * MiB);
  const idle = pool.acquire(2 * MiB);
  releaseFrame(idle);
  assert.equal(pool.idleFrames, 1);
  pool.close();
  assert.equal(pool.idleFrames, 0);
  assert.equal(releaseFrame(a), true); // it was lent; the pool no longer keeps anything
  assert.equal(pool.idleFrames, 0);
  const b = pool.acquire(2 * MiB);
  assert.notEqual(b.buffer, a.buffer);
  assert.equal(releaseFrame(b), false);
});

test('frames smaller or larger than the pooled sizes are plain buffers, never lent', () => {
  const pool = new FramePool();
  const small = pool.acquire(MIN_POOLED_BYTES - 1);
  const large = pool.acquire(MAX_POOLED_BYTES + 1);
  assert.equal(large.length, MAX_POOLED_BYTES + 1);
  assert.equal(releaseFrame(small), false);
  assert.equal(releaseFrame(large), false);
  assert.equal(releaseFrame(Buffer.alloc(10)), false);
  assert.equal(pool.idleFrames, 0);
  assert.equal(pool.acquired, 0);
});

test('at most MAX_IDLE_FRAMES idle frames are kept, the larger ones', () => {
  const pool = new FramePool();
  const frames = [1, 4, 2, 3].map((m) => pool.acquire(m * MiB));
  for (const f of frames) releaseFrame(f);
  assert.equal(pool.idleFrames, MAX_IDLE_FRAMES);
  assert.equal(pool.idleByteCount, 7 * MiB);
  // The 4 MiB frame is still there for a large response.
  assert.equal(pool.acquire(4 * MiB).buffer, frames[1].buffer);
});

test('FrameLease releases the frame once sealed and every holder is done, exactly once', () => {
  const pool = new FramePool();
  const frame = pool.acquire(MiB);
  const lease = new FrameLease(frame.subarray(10, 20));
  lease.hold();
  lease.hold();
  lease.done();
  assert.equal(pool.idleFrames, 0);
  lease.seal(); // one holder left
  assert.equal(pool.idleFrames, 0);
  lease.done();
  assert.equal(pool.idleFrames, 1);
  lease.done(); // one done too many: ignored
  assert.equal(pool.idleFrames, 1);
  // No holder at all: sealing releases.
  const other = pool.acquire(MiB);
  new FrameLease(other).seal();
  assert.equal(pool.idleFrames, 1); // other went back; the first was taken by acquire()
  assert.equal(pool.acquire(MiB).buffer, other.buffer);
});

test('FrameReader assembles large frames in pooled memory, reused after release, bytes intact', () => {
  const pool = new FramePool();
  const reader = new FrameReader(64 * MiB, 4, pool);
  const size = 2 * MiB + 123;
  const seen: Buffer[] = [];
  const expected: Buffer[] = [];
  for (let round = 0; round < 3; round++) {
    const body = Buffer.alloc(size, round + 1);
    body.writeInt32BE(round, 0);
    expected.push(Buffer.from(body));
    const wire = Buffer.concat([Buffer.alloc(4), body]);
    wire.writeInt32BE(size, 0);
    for (let off = 0; off < wire.length; off += 65536) reader.push(wire.subarray(off, off + 65536), (f) => seen.push(f));
    assert.equal(seen.length, round + 1);
    assert.deepEqual(Buffer.from(seen[round]), expected[round]);
    releaseFrame(seen[round]);
  }
  assert.equal(seen[1].buffer, seen[0].buffer);
  assert.equal(seen[2].buffer, seen[0].buffer);
  assert.equal(pool.reused, 2);
});
