// A deliberately tiny sender for the protocol integration tests: one plain (or TLS) socket, requests written with
// gregor's codec, responses matched by correlation id. It exercises the codec against the real broker without the
// network layer (src/network owns real connections), so a codec bug cannot hide behind connection logic.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { ROOT, hostPort, kafkaEnvSync } from '../helpers/kafka.js';
import { apiKeyName, decodeResponse, encodeRequest, type RequestBody, type ResponseBody } from '../../../src/protocol/index.js';

export { uniqueName } from '../helpers/kafka.js';

/** Every raw response frame received, by API key and version. */
export const captured: { apiKey: number; version: number; frame: Buffer }[] = [];

// GREGOR_CAPTURE_FIXTURES=1 saves one real response per API and version (up to 2 KiB each) under
// test/fixtures/protocol/<Api>.json, the seeds of the protocol fuzz script (bench/fuzz-protocol.ts).
if (process.env.GREGOR_CAPTURE_FIXTURES) {
  process.on('exit', () => {
    const dir = join(ROOT, 'test', 'fixtures', 'protocol');
    mkdirSync(dir, { recursive: true });
    const byApi = new Map<number, Map<number, string>>();
    for (const c of captured) {
      if (c.frame.length > 2048) continue;
      const m = byApi.get(c.apiKey) ?? new Map<number, string>();
      if (!m.has(c.version)) m.set(c.version, c.frame.toString('hex'));
      byApi.set(c.apiKey, m);
    }
    for (const [apiKey, frames] of byApi) {
      const file = join(dir, `${apiKeyName(apiKey)}.json`);
      let existing: Record<string, string> = {};
      try {
        existing = (JSON.parse(readFileSync(file, 'utf8')) as { frames: Record<string, string> }).frames;
      } catch {
        // first capture
      }
      for (const [v, hex] of frames) existing[`v${v}`] ??= hex;
      const sorted = Object.fromEntries(Object.entries(existing).sort((a, b) => Number(a[0].slice(1)) - Number(b[0].slice(1))));
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ apiKey, frames: sorted }, null, 1)}\n`);
      renameSync(tmp, file);
    }
  });
}

export class RawBroker {
  private buffered: Buffer = Buffer.alloc(0);
  private nextCorrelationId = 1;
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (e: Error): void => {
      this.closedError = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('socket closed by the broker')));
  }

  static async plaintext(): Promise<RawBroker> {
    const { host, port } = hostPort(kafkaEnvSync().bootstrap);
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawBroker(socket);
  }

  static async saslSsl(): Promise<RawBroker> {
    const env = kafkaEnvSync();
    const { host, port } = hostPort(env.saslSslBootstrap);
    const socket = tlsConnect({ host, port, ca: readFileSync(env.caFile), servername: host === '127.0.0.1' ? undefined : host });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    return new RawBroker(socket);
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      const w = this.waiting.get(correlationId);
      if (w === undefined) {
        this.socket.destroy(new Error(`response with unknown correlation id ${correlationId}`));
        return;
      }
      this.waiting.delete(correlationId);
      w.resolve(frame);
    }
  }

  /** Sends one request and decodes its response with gregor's codec. */
  async send<K extends number>(apiKey: K, version: number, body: RequestBody<K>): Promise<ResponseBody<K>> {
    const frame = await this.sendRaw(apiKey, version, body);
    const decoded = decodeResponse(apiKey, version, frame);
    captured.push({ apiKey, version, frame: Buffer.from(frame) });
    return decoded.body;
  }

  /** Sends one request and returns the raw response frame (after the size prefix). */
  sendRaw<K extends number>(apiKey: K, version: number, body: RequestBody<K>): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    return this.sendFrame(encodeRequest(apiKey, version, correlationId, 'gregor-protocol-it', body));
  }

  /** Writes an already encoded request frame (size prefix included) and returns its response frame. */
  sendFrame(frame: Buffer): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = frame.readInt32BE(8);
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting.set(correlationId, { resolve, reject });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Runs `fn` on a fresh connection and closes it afterwards. */
export async function withBroker<T>(fn: (b: RawBroker) => Promise<T>, open: () => Promise<RawBroker> = RawBroker.plaintext): Promise<T> {
  const b = await open();
  try {
    return await fn(b);
  } finally {
    b.close();
  }
}

/** Retries `fn` until `done(result)` holds (broker-side state such as a new coordinator takes a moment). */
export async function until<T>(fn: () => Promise<T>, done: (r: T) => boolean, what: string, attempts = 60): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await fn();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not reached after ${attempts} attempts; last: ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
}

export function versions(range: { min: number; max: number }): number[] {
  const out: number[] = [];
  for (let v = range.min; v <= range.max; v++) out.push(v);
  return out;
}
