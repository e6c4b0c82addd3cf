import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { LineWriter, formatJson, formatText, padPython } from '../../../src/cli/output.js';
import type { CliMessage } from '../../../src/cli/deps.js';

function message(key: string | Buffer | null, value: string | Buffer | null, extra: Partial<CliMessage> = {}): CliMessage {
  const bytes = (v: string | Buffer | null) => (v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'));
  return { topic: 'poems', partition: 0, offset: 0n, key: bytes(key), value: bytes(value), headers: [], timestamp: 0, ...extra };
}

test('padPython pads to 12 code points and never truncates', () => {
  assert.equal(padPython(''), ' '.repeat(12));
  assert.equal(padPython('abc'), 'abc         ');
  assert.equal(padPython('exactly12ch!'), 'exactly12ch!');
  assert.equal(padPython('thirteen-char'), 'thirteen-char');
  assert.equal(padPython('🎉'), `🎉${' '.repeat(11)}`, 'an astral character is one code point, as in Python');
});

// Expected lines produced by Python 3 itself:
//   "Consumed event from topic {topic}: key = {key:12} value = {value:12}".format(topic=..., key=..., value=...)
const PYTHON_LINES: Array<[string, string, string, string]> = [
  ['poems', 'k1', 'v', 'Consumed event from topic poems: key = k1           value = v           '],
  ['poems', 'twelve-chars', 'exactly12ch!', 'Consumed event from topic poems: key = twelve-chars value = exactly12ch!'],
  ['poems', 'a-much-longer-key-than-12', 'v', 'Consumed event from topic poems: key = a-much-longer-key-than-12 value = v           '],
  ['p', 'ключ', 'значение', 'Consumed event from topic p: key = ключ         value = значение    '],
  ['p', '🎉', 'é', 'Consumed event from topic p: key = 🎉            value = é           '],
  ['p', 'e\u0301', '', 'Consumed event from topic p: key = e\u0301           value =             '],
];

test('text format is byte-identical to the hands-on Python line', () => {
  for (const [topic, key, value, expected] of PYTHON_LINES) {
    assert.equal(formatText(message(key, value, { topic })), expected);
    assert.deepEqual(Buffer.from(formatText(message(key, value, { topic }))), Buffer.from(expected));
  }
});

test('text format: null prints as null; invalid UTF-8 becomes U+FFFD; a view into a larger buffer is respected', () => {
  assert.equal(formatText(message(null, null)), 'Consumed event from topic poems: key = null         value = null        ');
  assert.equal(formatText(message(Buffer.from([0x61, 0xff]), 'v')), `Consumed event from topic poems: key = a\ufffd${' '.repeat(10)} value = v           `);
  const big = Buffer.from('xxkeyxxvaluexx');
  const m = message(big.subarray(2, 5), big.subarray(7, 12));
  assert.equal(formatText(m), 'Consumed event from topic poems: key = key          value = value       ');
});

test('json format: fields, offset as a string, nulls, headers, timestamp type', () => {
  const line = formatJson(message('k', null, {
    partition: 2, offset: 9007199254740993n, timestamp: 1700000000123, timestampType: 'CreateTime',
    headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'h', value: null }],
  }));
  assert.equal(line, '{"topic":"poems","partition":2,"offset":"9007199254740993","key":"k","value":null,'
    + '"headers":[{"key":"h","value":"x"},{"key":"h","value":null}],"timestamp":1700000000123,"timestampType":"CreateTime"}');
  assert.deepEqual(JSON.parse(formatJson(message('a"b\n', 'ключ'))), {
    topic: 'poems', partition: 0, offset: '0', key: 'a"b\n', value: 'ключ', headers: [], timestamp: 0,
  });
});

test('json format: bytes that are not UTF-8 are base64 and flagged', () => {
  const bin = Buffer.from([0x00, 0xff, 0xfe, 0x80]);
  const parsed = JSON.parse(formatJson(message(bin, bin, { headers: [{ key: 'b', value: bin }] })));
  assert.equal(parsed.key, bin.toString('base64'));
  assert.equal(parsed.keyEncoding, 'base64');
  assert.equal(parsed.valueEncoding, 'base64');
  assert.deepEqual(parsed.headers, [{ key: 'b', value: bin.toString('base64'), encoding: 'base64' }]);
  assert.deepEqual(Buffer.from(parsed.value, 'base64'), bin);
  assert.equal(JSON.parse(formatJson(message('ok', 'ok'))).keyEncoding, undefined);
});

class FakeStream extends EventEmitter {
  chunks: string[] = [];
  full = false;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return !this.full;
  }
}

test('LineWriter: batches lines, flushes on the next turn of the event loop, waits for drain', async () => {
  const out = new FakeStream();
  const w = new LineWriter(out);
  w.push('a');
  w.push('b');
  assert.deepEqual(out.chunks, [], 'nothing written synchronously');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(out.chunks, ['a\nb\n']);
  out.full = true;
  w.push('c');
  w.flush();
  const waiting = w.ready();
  assert.ok(waiting instanceof Promise, 'backpressure is reported');
  let drained = false;
  void waiting.then(() => { drained = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false);
  out.full = false;
  out.emit('drain');
  await waiting;
  assert.equal(drained, true);
  assert.equal(w.ready(), undefined);
  await w.end();
  assert.deepEqual(out.chunks, ['a\nb\n', 'c\n']);
});

test('LineWriter: writes at 64 KiB without waiting, and stops on a stream error (EPIPE)', () => {
  const out = new FakeStream();
  const w = new LineWriter(out);
  const line = 'x'.repeat(1023);
  for (let i = 0; i < 64; i++) w.push(line);
  assert.equal(out.chunks.length, 1);
  assert.equal(out.chunks[0].length, 64 * 1024);
  out.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  assert.equal(w.broken, true);
  w.push('after');
  w.flush();
  assert.equal(out.chunks.length, 1);
});
