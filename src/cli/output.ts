// How consumed messages are printed, and a buffered writer with backpressure for stdout.
//
// Text format, byte for byte the hands-on Python consumer's line:
//   print("Consumed event from topic {topic}: key = {key:12} value = {value:12}".format(...))
// `{:12}` on a str left-aligns and pads with spaces to 12 characters counted in code points (Python's len());
// longer strings are not cut. Key and value are decoded as UTF-8; invalid bytes become U+FFFD (the hands-on's
// .decode('utf-8') would raise instead). A null key or value (which the hands-on cannot print: None has no
// .decode) prints as `null`; --format json tells null from the string "null".
//
// JSON format, one object per line:
//   {"topic","partition","offset" (a string: offsets are 64-bit),"key","value","headers":[{"key","value"}],
//    "timestamp" (ms since the epoch, -1 if none),"timestampType"}
// key, value and header values are UTF-8 strings, or null. Bytes that are not valid UTF-8 are written in base64
// and flagged with "keyEncoding":"base64" / "valueEncoding":"base64" (or "encoding" inside a header), so binary
// data survives the round trip and text stays readable.
//
// With --key-deserializer / --value-deserializer the key or value is what the deserializer made: a string (string,
// hex, base64) printed as it is, or a JSON value (json) printed as JSON text in the text format and embedded as JSON
// in the json format.

import { isUtf8 } from 'node:buffer';
import type { CliMessage, OutputStream } from './deps.js';

const WIDTH = 12;

/** Python's '{:12}'.format(s) for a str: left-aligned, padded to 12 code points, never truncated. */
export function padPython(text: string, width = WIDTH): string {
  let length = 0;
  for (const _ of text) {
    if (++length >= width) return text;
  }
  return text + ' '.repeat(width - length);
}

function asText(data: unknown): string {
  if (data === null || data === undefined) return 'null';
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  return typeof data === 'string' ? data : JSON.stringify(data);
}

/** One line in the hands-on format, without the newline. */
export function formatText(message: CliMessage): string {
  return `Consumed event from topic ${message.topic}: key = ${padPython(asText(message.key))} value = ${padPython(asText(message.value))}`;
}

function encodeBytes(bytes: Uint8Array | null): { text: string | null; base64: boolean } {
  if (bytes === null) return { text: null, base64: false };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isUtf8(buf) ? { text: buf.toString('utf8'), base64: false } : { text: buf.toString('base64'), base64: true };
}

/** Bytes as encodeBytes() writes them; a deserialized value as it is (a string, or a JSON value). */
function encodeData(data: unknown): { text: unknown; base64: boolean } {
  if (data === undefined) return { text: null, base64: false };
  if (data === null || data instanceof Uint8Array) return encodeBytes(data);
  return { text: data, base64: false };
}

/** One JSON object, without the newline. */
export function formatJson(message: CliMessage): string {
  const key = encodeData(message.key);
  const value = encodeData(message.value);
  const out: Record<string, unknown> = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset.toString(),
    key: key.text,
  };
  if (key.base64) out.keyEncoding = 'base64';
  out.value = value.text;
  if (value.base64) out.valueEncoding = 'base64';
  out.headers = message.headers.map((h) => {
    const v = encodeBytes(h.value);
    return v.base64 ? { key: h.key, value: v.text, encoding: 'base64' } : { key: h.key, value: v.text };
  });
  out.timestamp = message.timestamp;
  if (message.timestampType !== undefined) out.timestampType = message.timestampType;
  if (message.deliveryCount !== undefined) out.deliveryCount = message.deliveryCount;
  return JSON.stringify(out);
}

const FLUSH_BYTES = 64 * 1024;

/**
 * Collects lines and writes them in chunks: at 64 KiB, or when the event loop next turns (so output is never
 * held back while the consumer waits for data). When the stream reports backpressure, `ready()` waits for
 * 'drain', and the poll loop waits on it: a slow reader of stdout slows consumption instead of growing memory.
 * A stream that breaks (EPIPE when `| head` exits) sets `broken`, and the loop stops.
 */
export class LineWriter {
  #lines: string[] = [];
  #size = 0;
  #scheduled = false;
  #waiting: Promise<void> | null = null;
  broken = false;

  constructor(private readonly out: OutputStream) {
    out.on('error', () => { this.broken = true; });
  }

  push(line: string): void {
    if (this.broken) return;
    this.#lines.push(line, '\n');
    this.#size += line.length + 1;
    if (this.#size >= FLUSH_BYTES) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => { this.#scheduled = false; this.flush(); });
    }
  }

  /** Writes what is buffered now. */
  flush(): void {
    if (this.#lines.length === 0 || this.broken) return;
    const data = this.#lines.join('');
    this.#lines = [];
    this.#size = 0;
    let ok: boolean;
    try {
      ok = this.out.write(data);
    } catch {
      this.broken = true;
      return;
    }
    if (!ok && this.#waiting === null) {
      this.#waiting = new Promise<void>((resolve) => {
        const done = () => {
          this.out.off('drain', done);
          this.out.off('error', done);
          this.out.off('close', done);
          this.#waiting = null;
          resolve();
        };
        this.out.once('drain', done);
        this.out.once('error', done);
        this.out.once('close', done);
      });
    }
  }

  /** Resolves when the stream can take more (immediately unless it reported backpressure). */
  ready(): Promise<void> | undefined {
    return this.#waiting ?? undefined;
  }

  /** Flushes and waits until the stream has taken everything. */
  async end(): Promise<void> {
    this.flush();
    if (this.#waiting !== null) await this.#waiting;
  }
}
