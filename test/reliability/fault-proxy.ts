// A TCP proxy for fault injection between gregor and a real broker (issue 8, R12/R13), written here with no
// dependency. It listens on 127.0.0.1 (an ephemeral port) and forwards to one broker; the test steers it at runtime:
//
//   latencyMs = n                 every frame (both directions) waits n ms more, order kept
//   blackhole(true | false)       stop forwarding: sockets stay open, bytes are dropped (a silent network
//                                 partition); on heal, connections that lost bytes are reset (their framing is broken)
//   inject({ apiKey, action })    a fault on the next matching RESPONSE frame(s):
//       reset     forward `afterBytes` bytes of the response, then reset (RST) both sockets
//       truncate  forward `afterBytes` bytes, then close the client side cleanly (FIN)
//       corrupt   flip a byte (xor) at an offset of the frame chosen by number or by a function of the frame
//       blackhole hold that response and drop everything after it on that connection, sockets open
//   resetAll()                    reset every open connection (a crude broker restart)
//
// The proxy speaks just enough Kafka to aim: it splits both directions into size-prefixed frames and remembers each
// request's api key by correlation id, so a fault can hit "the next Fetch response" rather than whatever comes
// first. It does not work for TLS traffic (frames are opaque there): put it on a PLAINTEXT listener.
//
// Brokers advertise their own address in Metadata, which would let the client bypass the proxy after bootstrap:
// gregor's `connectAddress` option (ConsumerOptions / NetworkOptions) maps each broker address to its proxy
// (connectVia()).
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { ConnectAddressResolver } from '../../src/index.js';

/** The request a response answers (from its header, matched by correlation id). */
export interface RequestInfo {
  apiKey: number;
  apiVersion: number;
}

export type FaultAction =
  | { type: 'reset'; afterBytes: number }
  | { type: 'truncate'; afterBytes: number }
  | { type: 'corrupt'; at: number | ((frame: Buffer, request: RequestInfo) => number); xor?: number }
  | { type: 'blackhole' };

export interface ResponseFault {
  /** Only responses to requests of this API key (1 = Fetch, 3 = Metadata, 8 = OffsetCommit...). Default: any. */
  apiKey?: number;
  /** Only frames (size prefix included) for which this returns true, e.g. those containing a given value. */
  match?: (frame: Buffer, request: RequestInfo) => boolean;
  /** How many responses to hit (default 1). */
  times?: number;
  action: FaultAction;
}

export interface FaultHit {
  connection: number;
  apiKey: number;
  /** Frame size, size prefix included. */
  frameBytes: number;
  /** For corrupt: the frame offset changed; -1 when the locator gave an offset outside the frame (nothing changed). */
  at?: number;
}

interface ArmedFault extends ResponseFault {
  left: number;
  hits: FaultHit[];
  fired: (hit: FaultHit) => void;
}

/** Splits a byte stream into Kafka frames (int32 size + body). */
class FrameSplitter {
  private chunks: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const out: Buffer[] = [];
    while (this.length >= 4) {
      if (this.chunks[0].length < 4) this.flatten();
      const size = this.chunks[0].readInt32BE(0);
      // Not Kafka framing (or garbage): pass the bytes on as one "frame"; the peer will complain, not the proxy.
      const total = size < 0 ? this.length : 4 + size;
      if (this.length < total) break;
      this.flatten();
      const all = this.chunks[0];
      out.push(all.subarray(0, total));
      const rest = all.subarray(total);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.length = rest.length;
    }
    return out;
  }

  private flatten(): void {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
  }
}

class ProxiedConnection {
  readonly requests = new FrameSplitter();
  readonly responses = new FrameSplitter();
  /** correlation id -> the request in flight. */
  readonly inFlight = new Map<number, RequestInfo>();
  /** Bytes were dropped (black hole): the framing is broken, so the connection is reset when healed. */
  poisoned = false;
  /** Holding everything from a per-response black hole. */
  holding = false;
  closed = false;
  private lastToClient = 0;
  private lastToBroker = 0;
  upstream: Socket | undefined;

  constructor(readonly id: number, readonly client: Socket) {}

  /** When a frame may go out, keeping the order of each direction under added latency. */
  slot(toClient: boolean, latencyMs: number): number {
    const at = Math.max(Date.now() + latencyMs, toClient ? this.lastToClient : this.lastToBroker);
    if (toClient) this.lastToClient = at;
    else this.lastToBroker = at;
    return at - Date.now();
  }

  reset(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.resetAndDestroy();
    this.upstream?.resetAndDestroy();
  }
}

export class FaultProxy {
  /** Added delay per frame, both directions (ms). */
  latencyMs = 0;
  /** Connections accepted so far. */
  accepted = 0;
  private readonly server: Server;
  private readonly connections = new Set<ProxiedConnection>();
  private readonly faults: ArmedFault[] = [];
  private blackholed = false;
  private readonly responseCounts = new Map<number, number>();
  private nextId = 1;

  private constructor(private current: { host: string; port: number }, server: Server, private readonly frames: boolean) {
    this.server = server;
  }

  /**
   * Starts a proxy on 127.0.0.1 (ephemeral port) forwarding to `target`. `frames: false` forwards bytes as they
   * come, without reading Kafka frames (TLS listeners): latency, black hole and connection counts still work,
   * response faults do not.
   */
  static async start(target: { host: string; port: number }, opts: { frames?: boolean } = {}): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(target, server, opts.frames ?? true);
    server.on('connection', (socket) => proxy.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** Where new connections go from now on (a broker replaced on another port behind the same address); open ones stay. */
  retarget(target: { host: string; port: number }): void {
    this.current = target;
  }

  /** The broker address new connections are forwarded to. */
  get target(): { host: string; port: number } {
    return this.current;
  }

  get port(): number {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('fault proxy: not listening');
    return a.port;
  }

  /** "127.0.0.1:<port>" */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Connections open now. */
  get open(): number {
    let n = 0;
    for (const c of this.connections) if (!c.closed) n++;
    return n;
  }

  /** Responses forwarded (in part or whole) per api key. */
  responses(apiKey: number): number {
    return this.responseCounts.get(apiKey) ?? 0;
  }

  /** Arms a fault on the next matching response(s); resolves on the first hit. `hits` lists them all. */
  inject(fault: ResponseFault): { fired: Promise<FaultHit>; hits: FaultHit[]; cancel(): void } {
    let fired!: (hit: FaultHit) => void;
    const p = new Promise<FaultHit>((resolve) => { fired = resolve; });
    const armed: ArmedFault = { ...fault, left: fault.times ?? 1, hits: [], fired };
    this.faults.push(armed);
    return {
      fired: p,
      hits: armed.hits,
      cancel: () => {
        const i = this.faults.indexOf(armed);
        if (i >= 0) this.faults.splice(i, 1);
      },
    };
  }

  /** Stops (true) or resumes (false) forwarding on every connection; resuming resets connections that lost bytes. */
  blackhole(on: boolean): void {
    this.blackholed = on;
    if (!on) {
      for (const c of this.connections) if (c.poisoned || c.holding) c.reset();
    }
  }

  /** Clears latency, black hole and armed faults. */
  heal(): void {
    this.latencyMs = 0;
    this.faults.length = 0;
    this.blackhole(false);
  }

  /** Resets every open connection. */
  resetAll(): void {
    for (const c of this.connections) c.reset();
  }

  async close(): Promise<void> {
    this.faults.length = 0;
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(client: Socket): void {
    this.accepted += 1;
    const c = new ProxiedConnection(this.nextId++, client);
    this.connections.add(c);
    client.setNoDelay(true);
    const done = (): void => {
      c.closed = true;
      this.connections.delete(c);
      if (!client.destroyed) client.destroy();
      if (c.upstream !== undefined && !c.upstream.destroyed) c.upstream.destroy();
    };
    client.on('error', done);
    client.on('close', done);
    if (this.blackholed) {
      // Accepted but never forwarded: the client sees a connection that answers nothing.
      c.poisoned = true;
      client.on('data', () => {});
      return;
    }
    const upstream = connect({ host: this.target.host, port: this.target.port });
    c.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', done);
    upstream.on('close', done);
    if (!this.frames) {
      client.on('data', (chunk: Buffer) => this.forward(c, chunk, false));
      upstream.on('data', (chunk: Buffer) => this.forward(c, chunk, true));
      return;
    }
    client.on('data', (chunk: Buffer) => {
      for (const frame of c.requests.push(chunk)) {
        if (frame.length >= 12) c.inFlight.set(frame.readInt32BE(8), { apiKey: frame.readInt16BE(4), apiVersion: frame.readInt16BE(6) });
        this.forward(c, frame, false);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const frame of c.responses.push(chunk)) {
        const request = (frame.length >= 8 ? c.inFlight.get(frame.readInt32BE(4)) : undefined) ?? { apiKey: -1, apiVersion: -1 };
        if (frame.length >= 8) c.inFlight.delete(frame.readInt32BE(4));
        this.onResponse(c, frame, request);
      }
    });
  }

  private onResponse(c: ProxiedConnection, frame: Buffer, request: RequestInfo): void {
    if (c.closed) return;
    const apiKey = request.apiKey;
    const fault = this.blackholed || c.holding ? undefined : this.faults.find((f) => (f.apiKey === undefined || f.apiKey === apiKey) && (f.match === undefined || f.match(frame, request)));
    this.responseCounts.set(apiKey, (this.responseCounts.get(apiKey) ?? 0) + 1);
    if (fault === undefined) {
      this.forward(c, frame, true);
      return;
    }
    fault.left -= 1;
    if (fault.left <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    const hit: FaultHit = { connection: c.id, apiKey, frameBytes: frame.length };
    const a = fault.action;
    switch (a.type) {
      case 'reset':
      case 'truncate': {
        const part = frame.subarray(0, Math.max(0, Math.min(a.afterBytes, frame.length - 1)));
        this.forward(c, part, true, () => {
          if (a.type === 'reset') c.reset();
          else {
            c.closed = true;
            c.client.end();
            c.upstream?.destroy();
          }
        });
        break;
      }
      case 'corrupt': {
        const copy = Buffer.from(frame);
        const at = typeof a.at === 'number' ? a.at : a.at(copy, request);
        // An offset outside the frame (the locator did not find its target) changes nothing: hit.at is -1.
        if (at >= 0 && at < copy.length) copy[at] ^= a.xor ?? 0xff;
        hit.at = at >= 0 && at < copy.length ? at : -1;
        this.forward(c, copy, true);
        break;
      }
      case 'blackhole':
        c.holding = true;
        c.poisoned = true;
        break;
    }
    fault.hits.push(hit);
    fault.fired(hit);
  }

  private forward(c: ProxiedConnection, frame: Buffer, toClient: boolean, then?: () => void): void {
    if (c.closed) return;
    if (this.blackholed || c.holding) {
      c.poisoned = true;
      return;
    }
    const out = toClient ? c.client : c.upstream;
    const send = (): void => {
      if (c.closed || this.blackholed || c.holding) {
        if (!c.closed) c.poisoned = true;
        return;
      }
      if (frame.length > 0) out?.write(frame);
      if (then !== undefined) {
        // Let the partial frame reach the client before the reset, or the RST could discard it unsent.
        out?.write(Buffer.alloc(0), () => then());
      }
    };
    // Always through the slot: frames queued under latency are never overtaken once it is lowered.
    const delay = c.slot(toClient, this.latencyMs);
    if (delay > 0) setTimeout(send, delay);
    else send();
  }
}

/**
 * A gregor connectAddress option that sends each broker's traffic through its proxy (matched by the proxy's
 * target host:port); other addresses are connected directly.
 */
export function connectVia(proxies: readonly FaultProxy[]): ConnectAddressResolver {
  return (b) => {
    const p = proxies.find((x) => x.target.port === b.port && (x.target.host === b.host || sameLoopback(x.target.host, b.host)));
    return p === undefined ? { host: b.host, port: b.port } : { host: '127.0.0.1', port: p.port };
  };
}

function sameLoopback(a: string, b: string): boolean {
  const loop = (h: string): boolean => h === 'localhost' || h === '127.0.0.1' || h === '::1';
  return loop(a) && loop(b);
}
