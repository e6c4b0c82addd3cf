// Frame reassembly under every way TCP can cut a byte stream: random chunk sizes (including 1-byte chunks and
// prefixes split across chunks), many frames per chunk, corrupt size prefixes, and socket reads made through
// readBuffer()/pushRead() (net.Socket's onread).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader, READ_BYTES } from '../../../src/network/framing.js';
import { ProtocolError } from '../../../src/errors.js';
import { prng as rng } from '../../support/prng.js';

function makeFrames(random: () => number, count: number, maxSize: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const size = 4 + Math.floor(random() * maxSize);
    const f = Buffer.alloc(size);
    f.writeInt32BE(i, 0); // a correlation id, so order is checkable
    for (let j = 4; j < size; j++) f[j] = Math.floor(random() * 256);
    frames.push(f);
  }
  return frames;
}

function wire(frames: Buffer[]): Buffer {
  return Buffer.concat(
    frames.flatMap((f) => {
      const p = Buffer.alloc(4);
      p.writeInt32BE(f.length, 0);
      return [p, f];
    }),
  );
}

function chop(stream: Buffer, random: () => number, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let off = 0; off < stream.length; ) {
    const n = Math.min(stream.length - off, 1 + Math.floor(random() * maxChunk));
    // Copy each chunk so views into it cannot accidentally alias the original stream.
    chunks.push(Buffer.from(stream.subarray(off, off + n)));
    off += n;
  }
  return chunks;
}

test('random chunking reassembles every frame, in order, byte for byte', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const random = rng(seed);
    const frames = makeFrames(random, 1 + Math.floor(random() * 40), seed % 3 === 0 ? 5000 : 60);
    const maxChunk = [1, 3, 7, 64, 1500, 70000][seed % 6];
    const reader = new FrameReader(1 << 20, 4);
    const out: Buffer[] = [];
    for (const c of chop(wire(frames), random, maxChunk)) reader.push(c, (f) => out.push(Buffer.from(f)));
    assert.equal(out.length, frames.length, `seed ${seed}`);
    for (let i = 0; i < frames.length; i++) assert.ok(out[i].equals(frames[i]), `seed ${seed} frame ${i}`);
    assert.equal(reader.bufferedBytes, 0, `seed ${seed}: nothing left over`);
  }
});

test('frames inside one chunk are views, not copies', () => {
  const frames = makeFrames(rng(7), 10, 100);
  const chunk = wire(frames);
  const reader = new FrameReader(1 << 20, 4);
  const views: Buffer[] = [];
  reader.push(chunk, (f) => views.push(f));
  assert.equal(views.length, 10);
  for (const v of views) assert.equal(v.buffer, chunk.buffer, 'shares the chunk memory');
});

test('a frame split across chunks is emitted once complete, and the rest of the last chunk still parses', () => {
  const frames = makeFrames(rng(9), 3, 50);
  const stream = wire(frames);
  const reader = new FrameReader(1 << 20, 4);
  const out: Buffer[] = [];
  // Cut inside the first size prefix, then inside the first frame's body, then deliver the rest in one go.
  reader.push(stream.subarray(0, 2), (f) => out.push(f));
  assert.equal(out.length, 0);
  reader.push(stream.subarray(2, 10), (f) => out.push(f));
  assert.equal(out.length, 0);
  reader.push(stream.subarray(10), (f) => out.push(f));
  assert.deepEqual(out.map((f) => f.readInt32BE(0)), [0, 1, 2]);
});

test('a size prefix above the maximum fails before buffering anything for it', () => {
  const reader = new FrameReader(1000, 4);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(0x7fffffff, 0); // 2 GiB: a corrupt prefix must not allocate
  assert.throws(
    () => reader.push(prefix, () => assert.fail('no frame expected')),
    (err: unknown) => err instanceof ProtocolError && /exceeds the maximum of 1000 bytes/.test(err.message),
  );
  assert.equal(reader.bufferedBytes, 0);
});

test('a negative or too-small size is a ProtocolError, also when the prefix is split', () => {
  const neg = Buffer.alloc(4);
  neg.writeInt32BE(-5, 0);
  assert.throws(() => new FrameReader(1000, 4).push(neg, () => {}), ProtocolError);
  const reader = new FrameReader(1000, 4);
  reader.push(Buffer.from([0, 0]), () => {});
  assert.throws(() => reader.push(Buffer.from([0, 2, 1, 1]), () => {}), /invalid response size 2/);
});

test('TLS bytes on a plaintext reader are rejected as too large, with a hint', () => {
  // A TLS alert record starts 15 03 03 ...: read as an int32 that is ~350 MB.
  const reader = new FrameReader(100_000_000, 4);
  assert.throws(() => reader.push(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]), () => {}), /TLS vs plaintext/);
});

test('reset drops a partial frame', () => {
  const reader = new FrameReader(1000, 4);
  reader.push(Buffer.from([0, 0, 0, 10, 1, 2]), () => assert.fail());
  assert.equal(reader.bufferedBytes, 6);
  reader.reset();
  assert.equal(reader.bufferedBytes, 0);
  const out: Buffer[] = [];
  reader.push(Buffer.from([0, 0, 0, 4, 9, 9, 9, 9]), (f) => out.push(f));
  assert.deepEqual(out, [Buffer.from([9, 9, 9, 9])]);
});

test('onread: reads land in the frame being assembled or in one reused scratch area; every frame arrives intact', () => {
  const random = rng(11);
  // Small frames (many per read) and large ones (spanning many reads), in random order.
  const frames = [...makeFrames(random, 300, 2_000), ...makeFrames(random, 12, 400_000)].sort(() => random() - 0.5);
  const stream = wire(frames);
  const reader = new FrameReader(1_000_000, 4);
  const out: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  let direct = 0;
  for (let off = 0; off < stream.length; ) {
    // As the kernel does: fill at most the offered buffer, with whatever has arrived (random amounts).
    const target = reader.readBuffer();
    const n = Math.min(target.length, stream.length - off, 1 + Math.floor(random() * 200_000));
    stream.copy(target, 0, off, off + n);
    buffers.add(target.buffer);
    if (target.length !== READ_BYTES) direct += n;
    reader.pushRead(n, target, (f) => out.push(f));
    off += n;
  }
  assert.equal(out.length, frames.length);
  for (let i = 0; i < frames.length; i++) assert.ok(out[i].equals(frames[i]), `frame ${i} intact after every later read`);
  assert.ok(direct > stream.length / 2, `most bytes were read straight into their frame (${direct} of ${stream.length})`);
  assert.ok(buffers.size <= 13, `one scratch area plus the large frames themselves (${buffers.size} buffers)`);
  assert.equal(reader.bufferedBytes, 0);
});
