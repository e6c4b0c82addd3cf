// One TCP (or TLS) connection to one broker.
//
// Responsibilities, and nothing else: framing (framing.ts), correlation ids, pipelining up to a cap of in-flight
// requests with a client-side queue behind it (backpressure: `busy` and the 'drain' event), request timeouts, abort
// signals, and failing every pending request exactly once when the connection ends. What to send (ApiVersions, SASL,
// version choice) is the broker's business (broker.ts).
//
// Invariants:
//   - Kafka answers the requests of one connection in the order they were sent; a response whose correlation id we
//     are not waiting for means the stream is out of sync, so the connection is closed (the Java client does the same).
//   - A request that timed out while on the wire leaves the stream in an unknown state (the response may still
//     come, or the broker may be wedged), so the connection is closed, like the Java client's NetworkClient does.
//     A request that times out while still queued on the client never reached the wire: only it fails.
//   - Every request promise settles exactly once: with its response, or with the first error that applies to it.

import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  AbortError,
  ConnectionError,
  GregorError,
  ProtocolError,
  TimeoutError,
  TlsError,
  isGregorError,
} from '../errors.js';
import { decodeResponse, encodeRequest, type RequestBody, type ResponseBody } from '../protocol/index.js';
import { FramePool } from './frame-pool.js';
import { FrameReader } from './framing.js';
import type { Logger } from './options.js';
import { isTlsFailure, nodeTls, tlsConnectOptions, tlsError, type ResolvedTls } from './tls.js';

export interface ConnectionConfig {
  host: string;
  port: number;
  /** TLS settings, or undefined for a plain TCP socket. */
  tls: ResolvedTls | undefined;
  /** Sent in every request header. */
  clientId: string | null;
  connectionSetupTimeoutMs: number;
  requestTimeoutMs: number;
  maxInFlight: number;
  maxResponseBytes: number;
  noDelay: boolean;
  keepAlive: boolean;
  logger: Logger;
  /** Shown in logs and errors next to host:port, e.g. 'node 1 fetch'. */
  label?: string;
  /**
   * Whether the writes of one tick are coalesced (corked until process.nextTick): default true. A lane that carries
   * one request at a time (the consumer's fetch lane) has nothing to coalesce, and corking would hold its next Fetch
   * until the application's microtasks (handing out the records of the response just read) have all run.
   */
  coalesceWrites?: boolean;
  /**
   * The address to name in logs and errors when the socket goes elsewhere (NetworkOptions.connectAddress), e.g.
   * 'broker.example:9094 via 127.0.0.1:40123'. Default: host:port.
   */
  displayAddress?: string;
}

export interface RequestOptions {
  /** Overrides request.timeout.ms for this request (a long-polling Fetch adds its fetch.max.wait.ms). */
  timeoutMs?: number;
  /** Aborting rejects the request with AbortError; a response that still arrives is discarded. */
  signal?: AbortSignal;
  /** False for requests the broker does not answer (Produce with acks=0): resolved once written. */
  expectResponse?: boolean;
  /**
   * Sent before queued requests, even while the connection is paused and even above the in-flight cap. Used for
   * KIP-368 re-authentication, which must not wait behind the application's requests.
   */
  urgent?: boolean;
}

interface Pending {
  readonly correlationId: number;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly expectResponse: boolean;
  readonly urgent: boolean;
  frame: Buffer | undefined;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  /** Its timeout: request.timeout.ms or the request's own. */
  readonly timeoutMs: number;
  /** performance.now() at which a request awaiting a response times out (checkDeadlines()). */
  readonly deadline: number;
  /** The timeout of a request that expects no response (while queued and being written). */
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  settled: boolean;
  /** Still counted as in flight, but its caller has gone (aborted): the response is read and dropped. */
  abandoned: boolean;
  onWire: boolean;
}

type State = 'new' | 'connecting' | 'open' | 'closed';

const MAX_CORRELATION_ID = 0x7fffffff;

export class Connection extends EventEmitter {
  /** host:port, used in every error (never credentials). */
  readonly address: string;
  private readonly config: ConnectionConfig;
  private state: State = 'new';
  private socket: Socket | TLSSocket | undefined;
  private readonly reader: FrameReader;
  /** Large response frames, reused once their consumer releases them (frame-pool.ts); dropped at close(). */
  private readonly frames = new FramePool();
  private readonly frameHandler = (frame: Buffer): void => this.onFrame(frame);
  private nextCorrelationId = 0;
  private readonly inFlight = new Map<number, Pending>();
  private readonly queue: Pending[] = [];
  private paused = false;
  private wasBusy = false;
  private corked = false;
  private closeError: Error | undefined;
  /**
   * One timer for the deadlines of every request awaiting a response, armed for the earliest and re-armed when it
   * fires, rather than a timer per request: on the fetch lane a request's timer was set and cleared per Fetch, and
   * with every other timer of the process unref'd each one toggled the event loop's reference (two calls into C++)
   * and created and deleted Node's list for its duration: ~10 µs to set and ~5 µs to clear on the latency path's cold
   * caches (bench/README.md, "Latency: the next Fetch after the records").
   */
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** When deadlineTimer fires (performance.now()); Infinity when it is not armed. */
  private deadlineAt = Infinity;
  private readonly deadlineHandler = (): void => this.checkDeadlines();
  private lastActivity = Date.now();
  private connectPromise: Promise<void> | undefined;

  constructor(config: ConnectionConfig) {
    super();
    this.config = config;
    this.address = config.displayAddress ?? (config.host.includes(':') ? `[${config.host}]:${config.port}` : `${config.host}:${config.port}`);
    // A response carries at least its correlation id.
    this.reader = new FrameReader(config.maxResponseBytes, 4, this.frames);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Requests written and awaiting a response (including abandoned ones still owed a response). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  /** True when a new request would have to wait on the client: callers may wait for 'drain'. */
  get busy(): boolean {
    return this.inFlight.size >= this.config.maxInFlight || this.queue.length > 0;
  }

  /** Milliseconds since the last request or response, or 0 while anything is pending. */
  idleMs(now = Date.now()): number {
    if (this.inFlight.size > 0 || this.queue.length > 0) return 0;
    return now - this.lastActivity;
  }

  /** Opens the socket (and completes the TLS handshake). Idempotent while connecting. */
  connect(): Promise<void> {
    if (this.connectPromise) return this.connectPromise;
    if (this.state === 'closed') {
      return Promise.reject(this.closeError ?? new ConnectionError(`connection to ${this.address} is closed`, this.address));
    }
    this.state = 'connecting';
    this.connectPromise = new Promise<void>((resolve, reject) => {
      const { host, port, tls } = this.config;
      let settled = false;
      // TLS only: TCP is up but the handshake is not done. A close or reset then is a handshake failure.
      let tcpConnected = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.close(err);
        reject(err);
      };
      let timer: NodeJS.Timeout | undefined = undefined;
      // Reads land where FrameReader says (readBuffer(): the rest of a large frame being assembled, else its reused
      // scratch area), instead of a fresh 64 KiB chunk per read that is then copied: measured -8 % CPU and -22 % peak
      // RSS on 1 KiB lz4/zstd. Such a socket emits no 'data'; 'error', 'end' and 'close' come as usual. tls.connect()
      // takes the same option and hands decrypted bytes to it the same way.
      const reader = this.reader;
      const onread = {
        buffer: () => reader.readBuffer(),
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          if (this.socket === socket) this.onRead(bytes, buffer as Buffer);
          return true;
        },
      };
      // @types/node omits `onread` from tls.ConnectionOptions although tls.connect() documents and forwards it.
      let socket: Socket | TLSSocket;
      try {
        socket = tls
          ? nodeTls().connect(Object.assign(tlsConnectOptions(tls, host, port), { onread }))
          : netConnect({ host, port, onread });
      } catch (err) {
        fail(err instanceof Error ? err : new ConnectionError(`cannot connect to ${this.address}: ${String(err)}`, this.address));
        return;
      }
      // The setup timeout covers the connection, from here: the first TLS connection of a process loads node:tls and
      // builds its default secure context (the root CA store) synchronously above, ~50-150 ms on a loaded machine
      // that came out of the first attempt's socket.connection.setup.timeout.ms (KIP-601) before.
      timer = setTimeout(() => {
        fail(
          new ConnectionError(
            `connection to ${this.address} was not established within ${this.config.connectionSetupTimeoutMs} ms ` +
              '(socket.connection.setup.timeout.ms)',
            this.address,
          ),
        );
      }, this.config.connectionSetupTimeoutMs);
      this.socket = socket;
      socket.setNoDelay(this.config.noDelay);
      if (this.config.keepAlive) socket.setKeepAlive(true, 60_000);
      if (tls) {
        socket.once('connect', () => {
          tcpConnected = true;
        });
      }
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.state = 'open';
        this.lastActivity = Date.now();
        this.config.logger.debug('connected', { broker: this.address, label: this.config.label, tls: !!tls });
        resolve();
        this.pump();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        const mapped = tcpConnected && !settled ? this.handshakeAborted(err) : this.mapSocketError(err, !settled);
        if (!settled) fail(mapped);
        else this.close(mapped);
      });
      socket.on('close', () => {
        const err = tcpConnected && !settled ? this.handshakeAborted(undefined) : new ConnectionError(
          this.inFlight.size > 0
            ? `connection to ${this.address} closed by the broker with ${this.inFlight.size} request(s) in flight`
            : `connection to ${this.address} closed by the broker`,
          this.address,
        );
        if (!settled) fail(err);
        else this.close(err);
      });
    });
    return this.connectPromise;
  }

  /**
   * Sends one request and resolves with the decoded response body (or undefined when `expectResponse` is false).
   * Rejects with TimeoutError, AbortError, ConnectionError, TlsError or ProtocolError.
   */
  request<K extends number>(apiKey: K, apiVersion: number, body: RequestBody<K>, options: RequestOptions = {}): Promise<ResponseBody<K>> {
    if (this.state === 'closed') {
      return Promise.reject(
        new ConnectionError(`connection to ${this.address} is closed`, this.address, { cause: this.closeError }),
      );
    }
    if (options.signal?.aborted) return Promise.reject(abortErrorFrom(options.signal));
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId === MAX_CORRELATION_ID ? 0 : correlationId + 1;
    let frame: Buffer;
    try {
      frame = encodeRequest(apiKey, apiVersion, correlationId, this.config.clientId, body);
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = options.timeoutMs ?? this.config.requestTimeoutMs;
    const expectResponse = options.expectResponse ?? true;
    return new Promise<ResponseBody<K>>((resolve, reject) => {
      const p: Pending = {
        correlationId,
        apiKey,
        apiVersion,
        expectResponse,
        urgent: options.urgent === true,
        frame,
        // settle() passes the body decodeResponse() read for this request's api key (undefined without a response).
        resolve: resolve as (value: unknown) => void,
        reject,
        timeoutMs,
        deadline: expectResponse ? performance.now() + timeoutMs : Infinity,
        timer: undefined,
        signal: options.signal,
        onAbort: undefined,
        settled: false,
        abandoned: false,
        onWire: false,
      };
      if (!expectResponse) p.timer = setTimeout(() => this.onTimeout(p, timeoutMs), timeoutMs);
      else if (p.deadline < this.deadlineAt) this.armDeadlines(p.deadline);
      if (p.signal) {
        p.onAbort = () => this.onAbort(p);
        // Not `once`: settle() removes it, and an options object per request is garbage on the fetch path.
        p.signal.addEventListener('abort', p.onAbort);
      }
      if (options.urgent) this.queue.unshift(p);
      else this.queue.push(p);
      if (this.busy) this.wasBusy = true;
      this.lastActivity = Date.now();
      if (this.state === 'open') this.pump();
    });
  }

  /** Stops sending queued requests (in-flight ones complete normally); urgent requests still go out. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    if (this.state === 'open') this.pump();
  }

  /**
   * Closes the socket and rejects every pending request once, with `error` or a ConnectionError. Idempotent.
   */
  close(error?: Error): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const err =
      error ?? new ConnectionError(`connection to ${this.address} was closed by the client`, this.address);
    this.closeError = err;
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
    this.reader.reset();
    this.frames.close();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      // Keep an error listener: a late 'error' after destroy() must not become an uncaught exception.
      socket.on('error', () => {});
      socket.destroy();
    }
    const pending = [...this.inFlight.values(), ...this.queue];
    this.inFlight.clear();
    this.queue.length = 0;
    for (const p of pending) {
      // Requests that were on the wire get the specific error; the close error already names the broker.
      this.settle(p, undefined, err);
    }
    if (pending.length > 0 || error) {
      this.config.logger.debug('connection closed', {
        broker: this.address,
        label: this.config.label,
        pending: pending.length,
        error: err.message,
      });
    }
    this.emit('close', err);
  }

  private pump(): void {
    while (this.queue.length > 0 && this.state === 'open') {
      const head = this.queue[0];
      // Urgent requests sit at the head of the queue and ignore both the pause and the cap.
      if (!head.urgent && (this.paused || this.inFlight.size >= this.config.maxInFlight)) break;
      this.queue.shift();
      this.send(head);
    }
  }

  private send(p: Pending): void {
    const socket = this.socket as Socket;
    const frame = p.frame as Buffer;
    p.frame = undefined;
    p.onWire = true;
    // Coalesce the writes of one tick into one syscall (and one TLS record when they fit).
    if (!this.corked && this.config.coalesceWrites !== false) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        if (this.socket === socket) socket.uncork();
      });
    }
    if (p.expectResponse) {
      this.inFlight.set(p.correlationId, p);
      socket.write(frame);
    } else {
      socket.write(frame, (err) => {
        this.settle(
          p,
          undefined,
          err
            ? new ConnectionError(`cannot write to ${this.address}: ${err.message}`, this.address, { cause: err })
            : undefined,
        );
      });
    }
  }

  /** onread's callback: `bytes` were read into `buffer`, which the reader's readBuffer() returned. */
  private onRead(bytes: number, buffer: Buffer): void {
    this.lastActivity = Date.now();
    try {
      this.reader.pushRead(bytes, buffer, this.frameHandler);
    } catch (err) {
      this.close(
        isGregorError(err)
          ? withBroker(err, this.address)
          : new ProtocolError(`response from ${this.address} could not be handled: ${String(err)}`, { cause: err }),
      );
    }
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.inFlight.get(correlationId);
    if (p === undefined) {
      throw new ProtocolError(
        `response with correlation id ${correlationId} from ${this.address} matches no request in flight`,
      );
    }
    this.inFlight.delete(correlationId);
    if (!p.abandoned && !p.settled) {
      let body: unknown;
      let error: Error | undefined;
      try {
        body = decodeResponse(p.apiKey, p.apiVersion, frame).body;
      } catch (err) {
        // Only this response is bad: the frame boundary is intact, so the connection stays usable.
        error = isGregorError(err)
          ? err
          : new ProtocolError(
              `cannot decode response to api ${p.apiKey} v${p.apiVersion} from ${this.address}: ${String(err)}`,
              { cause: err },
            );
      }
      this.settle(p, body, error);
    } else {
      clearTimeout(p.timer);
    }
    this.afterResponse();
  }

  private afterResponse(): void {
    this.pump();
    // 'drain' marks the busy -> not busy transition only, like a stream's.
    if (this.wasBusy && !this.busy) {
      this.wasBusy = false;
      this.emit('drain');
    }
  }

  private armDeadlines(at: number): void {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineAt = at;
    this.deadlineTimer = setTimeout(this.deadlineHandler, Math.max(1, Math.ceil(at - performance.now())));
  }

  /**
   * Times out the requests awaiting a response whose deadline has passed (queued ones fail alone, one on the wire
   * closes the connection: see onTimeout()), earliest first, and re-arms the timer for the earliest left. A request
   * is watched while it is queued or in flight (an abandoned one included: its response is still owed).
   */
  private checkDeadlines(): void {
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
    if (this.state === 'closed') return;
    // Within a millisecond counts as due: the timer's clock (the event loop's cached time) may run a little behind.
    const due = performance.now() + 1;
    let expired: Pending[] | undefined;
    let next = Infinity;
    for (const list of [this.queue, this.inFlight.values()]) {
      for (const p of list) {
        if (!p.expectResponse) continue;
        if (p.deadline <= due) (expired ??= []).push(p);
        else if (p.deadline < next) next = p.deadline;
      }
    }
    if (expired !== undefined) {
      expired.sort((a, b) => a.deadline - b.deadline);
      for (const p of expired) {
        if (this.isClosed) return; // an earlier one was on the wire: close() failed the rest
        this.onTimeout(p, p.timeoutMs);
      }
    }
    if (!this.isClosed && next < Infinity) this.armDeadlines(next);
  }

  private onTimeout(p: Pending, timeoutMs: number): void {
    p.timer = undefined;
    const err = new TimeoutError(
      `request (api ${p.apiKey} v${p.apiVersion}) to ${this.address} timed out after ${timeoutMs} ms ` +
        '(request.timeout.ms)',
    );
    if (!p.onWire) {
      removeFrom(this.queue, p);
      this.settle(p, undefined, err);
      return;
    }
    const wasAbandoned = p.abandoned;
    this.settle(p, undefined, err);
    // The response never came: the connection's state is unknown. Close it; other requests fail with a
    // ConnectionError whose cause is this timeout.
    this.close(
      new ConnectionError(
        `connection to ${this.address} closed: ${wasAbandoned ? 'an abandoned' : 'a'} request timed out after ${timeoutMs} ms`,
        this.address,
        { cause: err },
      ),
    );
  }

  private onAbort(p: Pending): void {
    const err = abortErrorFrom(p.signal as AbortSignal);
    if (!p.onWire) {
      removeFrom(this.queue, p);
      this.settle(p, undefined, err);
      return;
    }
    // Already on the wire: the broker will answer; keep the slot until it does, but release the caller now.
    p.abandoned = true;
    const timer = p.timer;
    p.timer = undefined;
    this.settle(p, undefined, err);
    p.timer = timer; // the timeout still guards against a response that never comes
  }

  private settle(p: Pending, value: unknown, err: Error | undefined): void {
    if (p.timer !== undefined) {
      clearTimeout(p.timer);
      p.timer = undefined;
    }
    if (p.settled) return;
    p.settled = true;
    if (p.signal && p.onAbort) p.signal.removeEventListener('abort', p.onAbort);
    if (err) p.reject(err);
    else p.resolve(value);
  }

  /**
   * The broker dropped the connection in the middle of the TLS handshake: typically a listener that does not speak
   * TLS (a Kafka plaintext listener reads the ClientHello as a 369 MB request and disconnects). Like the Java client
   * (SslAuthenticationException), this is a TLS failure, not a network blip to retry.
   */
  private handshakeAborted(err: NodeJS.ErrnoException | undefined): Error {
    if (err && isTlsFailure(err)) return tlsError(err, this.address);
    return new TlsError(
      `TLS handshake with ${this.address} failed: the broker closed the connection during the handshake ` +
        `(is ${this.address} a TLS listener? check security.protocol and the port) [${err?.code ?? 'CLOSED'}]`,
      { cause: err },
    );
  }

  private mapSocketError(err: NodeJS.ErrnoException, duringSetup: boolean): Error {
    if (this.config.tls && isTlsFailure(err)) return tlsError(err, this.address);
    const code = err.code ?? 'ERROR';
    const what =
      code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'ECONNRESET'
          ? 'connection reset by peer'
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? 'host name not resolved'
            : code === 'ETIMEDOUT'
              ? 'connection timed out'
              : err.message;
    const inFlight = this.inFlight.size > 0 ? ` with ${this.inFlight.size} request(s) in flight` : '';
    return new ConnectionError(
      `${duringSetup ? 'cannot connect to' : 'connection to'} ${this.address}: ${what} [${code}]${inFlight}`,
      this.address,
      { cause: err },
    );
  }
}

function removeFrom(queue: Pending[], p: Pending): void {
  const i = queue.indexOf(p);
  if (i >= 0) queue.splice(i, 1);
}

function abortErrorFrom(signal: AbortSignal): AbortError {
  const reason: unknown = signal.reason;
  if (reason instanceof AbortError) return reason;
  return new AbortError('the request was aborted', { cause: reason });
}

/** Adds the broker address to a protocol error raised by the framing layer, which does not know it. */
function withBroker(err: GregorError, address: string): GregorError {
  if (err instanceof ProtocolError && !err.message.includes(address)) {
    return new ProtocolError(`${err.message} (from ${address})`, { cause: err });
  }
  return err;
}
