// CRC32C and CRC32: standard check values, and the native and pure-JS paths agreeing on every length and offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { crc32, crc32c, crc32cJs, crc32cOf, crc32Js, crcImplementation } from '../../../src/protocol/records/crc32c.js';
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

test('crc32cOf (words read through a DataView) agrees on every length, offset and alignment, in a buffer at an odd byteOffset', () => {
  const rnd = prng(7);
  const whole = Buffer.alloc(5003);
  for (let i = 0; i < whole.length; i++) whole[i] = Math.floor(rnd() * 256);
  const buf = whole.subarray(3); // a view that starts at an odd byte of its ArrayBuffer, as a record set in a frame
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  for (let k = 0; k < 600; k++) {
    const start = Math.floor(rnd() * 200);
    const len = k < 400 ? k : Math.floor(rnd() * 4700);
    const end = Math.min(buf.length, start + len);
    assert.equal(crc32cOf(view, buf, start, end), crc32cJs(buf, start, end), `[${start}, ${end})`);
  }
});

test('the native path is used when @node-rs/crc32 loads, the JS fallback when it is disabled', () => {
  assert.equal(crcImplementation, 'native');
  const mod = fileURLToPath(new URL('../../../src/protocol/records/crc32c.js', import.meta.url));
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `import * as m from ${JSON.stringify(mod)}; console.log(m.crcImplementation, m.crc32c(Buffer.from('123456789')).toString(16))`],
    { env: { ...process.env, GREGOR_NO_NATIVE_CRC: '1' }, encoding: 'utf8' },
  );
  assert.equal(out.trim(), 'js e3069283');
});
