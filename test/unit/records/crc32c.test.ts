// CRC32C and CRC32: standard check values, and the native, WebAssembly and pure-JS paths agreeing on every length and
// offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { crc32, crc32c, crc32cJs, crc32cOf, crc32Js, crcImplementation, crcSmallImplementation, newCrcOwner } from '../../../src/protocol/records/crc32c.js';
import { prng } from '../../support/prng.js';

test('check values of the catalogue of parametrised CRC algorithms', () => {
  const v = Buffer.from('123456789');
  assert.equal(crc32c(v), 0xe3069283);
  assert.equal(crc32cJs(v), 0xe3069283);
  assert.equal(crc32(v), 0xcbf43926);
  assert.equal(crc32Js(v), 0xcbf43926);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  // RFC 3720 (iSCSI) B.4 test vectors for CRC32C: 32 bytes of zeros, of 0xff, and ascending bytes.
  assert.equal(crc32cJs(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32cJs(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32cJs(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
});

test('native and JS implementations agree on random data, lengths and sub-ranges', () => {
  const rnd = prng(42);
  const buf = Buffer.alloc(70000);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rnd() * 256);
  for (let k = 0; k < 400; k++) {
    const start = Math.floor(rnd() * 1000);
    const len = k < 300 ? k : Math.floor(rnd() * 69000);
    const end = Math.min(buf.length, start + len);
    assert.equal(crc32c(buf, start, end), crc32cJs(buf, start, end), `crc32c [${start}, ${end})`);
    assert.equal(crc32(buf, start, end), crc32Js(buf, start, end), `crc32 [${start}, ${end})`);
    assert.equal(crc32c(buf.subarray(start, end)), crc32cJs(buf, start, end));
  }
});

test('crc32cOf agrees on every length, offset and alignment, in a buffer at an odd byteOffset, with and without an owner', () => {
  assert.equal(crcSmallImplementation(), 'wasm');
  const rnd = prng(7);
  const whole = Buffer.alloc(5003);
  for (let i = 0; i < whole.length; i++) whole[i] = Math.floor(rnd() * 256);
  const buf = whole.subarray(3); // a view that starts at an odd byte of its ArrayBuffer, as a record set in a frame
  const owner = newCrcOwner();
  for (let k = 0; k < 600; k++) {
    const start = Math.floor(rnd() * 200);
    const len = k < 400 ? k : Math.floor(rnd() * 4700);
    const end = Math.min(buf.length, start + len);
    assert.equal(crc32cOf(owner, buf, start, end), crc32cJs(buf, start, end), `owner [${start}, ${end})`);
    assert.equal(crc32cOf(0, buf, start, end), crc32cJs(buf, start, end), `no owner [${start}, ${end})`);
  }
});

test('crc32cOf with owners: consecutive batches of a record set larger than the copy window, two record sets interleaved, and a new owner for changed bytes', () => {
  const rnd = prng(11);
  const fill = (b: Buffer): Buffer => {
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
    return b;
  };
  // 200 KiB of "batches" of 20-400 bytes, walked in order as RecordSetReader does: windows of 64 KiB are refilled as
  // the walk passes their end, and a batch that straddles a window's end starts a new one.
  const a = fill(Buffer.alloc(200 * 1024));
  const b = fill(Buffer.alloc(30 * 1024));
  const ownerA = newCrcOwner();
  const ownerB = newCrcOwner();
  let pa = 0;
  let pb = 0;
  let checked = 0;
  while (pa < a.length) {
    const ea = Math.min(a.length, pa + 20 + Math.floor(rnd() * 380));
    assert.equal(crc32cOf(ownerA, a, pa, ea), crc32cJs(a, pa, ea), `a [${pa}, ${ea})`);
    pa = ea;
    // Every third batch of `a`, one of `b`: each owner's next call finds the window holding the other's bytes.
    if (++checked % 3 === 0 && pb < b.length) {
      const eb = Math.min(b.length, pb + 20 + Math.floor(rnd() * 380));
      assert.equal(crc32cOf(ownerB, b, pb, eb), crc32cJs(b, pb, eb), `b [${pb}, ${eb})`);
      pb = eb;
    }
  }
  assert.ok(checked > 900, `${checked} batches`);
  // The same buffer object with other bytes under a new owner (a frame's memory reused for the next response) is
  // checked on its new bytes, not on the window's copy of the old ones.
  const c = fill(Buffer.alloc(1000));
  assert.equal(crc32cOf(newCrcOwner(), c, 0, 300), crc32cJs(c, 0, 300));
  fill(c);
  assert.equal(crc32cOf(newCrcOwner(), c, 0, 300), crc32cJs(c, 0, 300));
  // Larger than the window without the native module's help (crc32cOf's fallback): streamed through the window.
  assert.equal(crc32cOf(0, a, 5, a.length), crc32cJs(a, 5, a.length));
});

test('the native path is used when @node-rs/crc32 loads; without it WebAssembly takes every size; without WebAssembly (--jitless), JS', () => {
  assert.equal(crcImplementation, 'native');
  const mod = fileURLToPath(new URL('../../../src/protocol/records/crc32c.js', import.meta.url));
  // Lengths across the small-input threshold and the 64 KiB window, over bytes the parent checks with the JS code.
  const lengths = [0, 1, 9, 150, 511, 512, 4096, 70_000, 200_000];
  const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24));
  const script = `import * as m from ${JSON.stringify(mod)};
    const data = Buffer.from(Array.from({ length: 200000 }, (_, i) => (i * 2654435761) >>> 24));
    console.log(m.crcImplementation, m.crcSmallImplementation(), ${JSON.stringify(lengths)}.map((n) => m.crc32c(data, 0, n).toString(16)).join(','));`;
  const expected = lengths.map((n) => crc32cJs(data, 0, n).toString(16)).join(',');
  const run = (args: string[], env: Record<string, string>): string =>
    execFileSync(process.execPath, [...args, '--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
  assert.equal(run([], { GREGOR_NO_NATIVE_CRC: '1' }), `js wasm ${expected}`);
  assert.equal(run(['--jitless'], { GREGOR_NO_NATIVE_CRC: '1' }), `js js ${expected}`);
  assert.equal(run([], { GREGOR_NO_WASM_CRC: '1' }), `native js ${expected}`);
  assert.equal(run([], {}), `native wasm ${expected}`);
});
