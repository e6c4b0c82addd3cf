// One broker: its negotiated API versions and one lazily opened connection per traffic lane.
//
// Lanes exist because Kafka answers the requests of one connection strictly in order: a Fetch that long-polls for
// fetch.max.wait.ms would hold back a Heartbeat queued behind it and get the member kicked out of its group. So
// group coordination, fetching and everything else each get their own socket (the layout franz-go uses):
//   'group'   JoinGroup, SyncGroup, Heartbeat, ConsumerGroupHeartbeat, LeaveGroup, OffsetCommit/Fetch
//   'fetch'   Fetch
//   'default' Metadata, ListOffsets, OffsetForLeaderEpoch, FindCoordinator, admin, Produce
//
// Setting up a lane's connection: connect (TCP, TLS), ApiVersions once per broker (KIP-511: start at the highest
// version gregor knows; a broker that does not know it answers UNSUPPORTED_VERSION with the versions it does know),
// then SASL when configured. Requests go out at the highest version both sides support.
//
// Failures: a lane that fails to connect waits an exponential, jittered backoff before the next attempt
// (reconnect.backoff.ms .. reconnect.backoff.max.ms), and concurrent callers share one attempt, so a dead broker
// costs one connection attempt per backoff period, not one per request. Authentication, TLS and version failures
// are sticky: they are reported to every later caller and never retried (a wrong password retried is a login storm
// that can lock the account). KIP-368 re-authentication runs on the open connection, pausing only new requests.

import {
  AbortError,
  AuthenticationError,
  ProtocolError,
  StateError,
  TlsError,
  UnsupportedError,
} from '../errors.js';
import { ApiKey, supportedVersions, type RequestBody, type RequestBodyFor, type ResponseBody } from '../protocol/index.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';
import { channels, traced } from '../diagnostics.js';
import { raceAbort, sleep } from './abort.js';
import { Backoff, backoffDelay } from './backoff.js';
import { Connection, type RequestOptions } from './connection.js';
import { formatAddress, type ResolvedNetworkOptions } from './options.js';
import { authenticateSasl, saslVersions } from './sasl/authenticate.js';

export type Lane = 'default' | 'fetch' | 'group';
export const LANES: readonly Lane[] = ['default', 'fetch', 'group'];

export interface VersionRange {
  min: number;
  max: number;
}

export interface BrokerRequestOptions extends Omit<RequestOptions, 'urgent'> {
  /** Which connection to use; default 'default'. */
  lane?: Lane;
  /** Lowest version the caller can work with (e.g. a field it needs appeared in that version). */
  minVersion?: number;
  /** Highest version the caller wants (e.g. to avoid a newer behaviour). */
  maxVersion?: number;
}

/**
 * A request body, or a function that builds it for the version chosen by negotiation. The codec rejects fields a
 * version cannot carry (unless Kafka marks them ignorable), so bodies whose shape changed across versions
 * (FindCoordinator v4 batching, OffsetFetch v8 groups, LeaveGroup v3 members) are built per version.
 */
export type { RequestBodyFor } from '../protocol/index.js';

export interface BrokerStats {
  /** TCP connection attempts made (all lanes), for tests and metrics. */
  connectAttempts: number;
  /** Attempts that failed (connect, TLS, ApiVersions or SASL). */
  connectFailures: number;
  /** KIP-368 re-authentications completed. */
  reauthentications: number;
  /** The session lifetime the broker announced at the last authentication (0: none, no re-authentication needed). */
  sessionLifetimeMs: number;
}

interface LaneState {
  readonly lane: Lane;
  conn: Connection | undefined;
  ready: Promise<Connection> | undefined;
  /** `conn` once its set-up (ApiVersions, SASL) completed, until it closes: requests go to it without a wait. */
  open: Connection | undefined;
  readonly backoff: Backoff;
  reauthTimer: NodeJS.Timeout | undefined;
  /** KIP-368 session lifetime of the open connection; 0 when the broker set none (re-authentication is refused). */
  sessionLifetimeMs: number;
}

const API_NAMES = new Map<number, string>(Object.entries(ApiKey).map(([name, key]) => [key as number, name]));

export function apiName(apiKey: number): string {
  return API_NAMES.get(apiKey) ?? `api ${apiKey}`;
}

export class Broker {
  /** Kafka node id; negative for bootstrap pseudo-nodes (-1, -2, ...) whose real id is not known yet. */
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /** host:port */
  readonly address: string;
  readonly stats: BrokerStats = { connectAttempts: 0, connectFailures: 0, reauthentications: 0, sessionLifetimeMs: 0 };

  private readonly options: ResolvedNetworkOptions;
  private readonly lanes = new Map<Lane, LaneState>();
  private versions: Map<number, VersionRange> | undefined;
  private versionsPromise: Promise<Map<number, VersionRange>> | undefined;
  /** Set when a connection dropped unexpectedly: the broker may have restarted with another version. */
  private renegotiate = false;
  private fatal: Error | undefined;
  private closed = false;
  private readonly closeController = new AbortController();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(nodeId: number, host: string, port: number, options: ResolvedNetworkOptions, rack: string | null = null) {
    this.nodeId = nodeId;
    this.host = host;
    this.port = port;
    this.rack = rack;
    this.address = formatAddress({ host, port });
    this.options = options;
    for (const lane of LANES) {
      this.lanes.set(lane, {
        lane,
        conn: undefined,
        ready: undefined,
        open: undefined,
        backoff: new Backoff({ initialMs: options.reconnectBackoffMs, maxMs: options.reconnectBackoffMaxMs }),
        reauthTimer: undefined,
        sessionLifetimeMs: 0,
      });
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Lanes with an open connection now (metrics). */
  get openConnections(): number {
    let n = 0;
    for (const l of this.lanes.values()) if (l.conn !== undefined) n++;
    return n;
  }

  /** The sticky error (authentication, TLS, unsupported broker) that stopped this broker, if any. */
  get failure(): Error | undefined {
    return this.fatal;
  }

  /** The broker's ApiVersions ranges once negotiated. */
  get apiVersions(): ReadonlyMap<number, VersionRange> | undefined {
    return this.versions;
  }

  /** The open connection of a lane, if any (to look at `busy`, `inFlightCount` or wait for 'drain'). */
  connection(lane: Lane = 'default'): Connection | undefined {
    const conn = this.lanes.get(lane)?.conn;
    return conn?.isOpen ? conn : undefined;
  }

  /**
   * True when a request on this lane would queue on the client (in-flight cap reached); wait for the connection's
   * 'drain' event (see `connection(lane)`) to apply backpressure upstream. False when the lane is not open.
   */
  isBusy(lane: Lane = 'default'): boolean {
    return this.connection(lane)?.busy ?? false;
  }

  /** Requests in flight or queued over all lanes; used to pick the least loaded broker. */
  get load(): number {
    let n = 0;
    for (const s of this.lanes.values()) if (s.conn) n += s.conn.inFlightCount + s.conn.queuedCount;
    return n;
  }

  /** Opens the default lane if needed and resolves once ApiVersions (and SASL) completed. */
  async ready(signal?: AbortSignal): Promise<void> {
    await this.laneConnection('default', signal);
  }

  /**
   * The version a request of `apiKey` would use: the highest both gregor and the broker support within the caller's
   * bounds. Throws UnsupportedError when the ranges do not overlap. Needs negotiated versions (call `ready()`).
   */
  versionFor(apiKey: number, bounds: { minVersion?: number; maxVersion?: number } = {}): number {
    if (this.versions === undefined) {
      throw new StateError(`API versions of broker ${this.address} are not known yet (not connected)`);
    }
    let ours: VersionRange;
    try {
      ours = supportedVersions(apiKey);
    } catch (err) {
      throw new UnsupportedError(`gregor does not implement ${apiName(apiKey)}`, { cause: err });
    }
    const theirs = this.versions.get(apiKey);
    if (theirs === undefined) {
      throw new UnsupportedError(`broker ${this.address} does not support ${apiName(apiKey)}`);
    }
    const lo = Math.max(ours.min, theirs.min, bounds.minVersion ?? 0);
    const hi = Math.min(ours.max, theirs.max, bounds.maxVersion ?? Number.MAX_SAFE_INTEGER);
    if (hi < lo) {
      throw new UnsupportedError(
        `no common version of ${apiName(apiKey)}: gregor supports ${ours.min}-${ours.max}, broker ${this.address} ` +
          `supports ${theirs.min}-${theirs.max}` +
          (bounds.minVersion !== undefined || bounds.maxVersion !== undefined
            ? `, caller needs ${bounds.minVersion ?? 0}-${bounds.maxVersion ?? 'any'}`
            : ''),
      );
    }
    return hi;
  }

  /** Sends a request on a lane at the negotiated version; resolves with the decoded response body. */
  request<K extends number>(apiKey: K, body: RequestBodyFor<K>, options: BrokerRequestOptions = {}): Promise<ResponseBody<K>> {
    const conn = this.closed || this.fatal ? undefined : this.lanes.get(options.lane ?? 'default')?.open;
    if (conn === undefined || !conn.isOpen || options.signal?.aborted === true) return this.requestVersioned(apiKey, body, options).then((r) => r.body);
    // The lane is open: straight to the connection. A consumer sends a Fetch per response, at low rates one per
    // record or two; the awaits of the general path (the lane's readiness raced against the signal, two async
    // frames) were ~2 KB of garbage and an abort listener per Fetch.
    let payload: RequestBody<K>;
    let version: number;
    try {
      version = this.versionFor(apiKey, options);
      payload = typeof body === 'function' ? (body as (version: number) => RequestBody<K>)(version) : body;
    } catch (err) {
      return Promise.reject(err);
    }
    return conn.request(apiKey, version, payload, options);
  }

  /** Like `request`, also returning the version used (some responses are read differently per version). */
  async requestVersioned<K extends number>(
    apiKey: K,
    body: RequestBodyFor<K>,
    options: BrokerRequestOptions = {},
  ): Promise<{ version: number; body: ResponseBody<K> }> {
    const conn = await this.laneConnection(options.lane ?? 'default', options.signal);
    const version = this.versionFor(apiKey, options);
    const payload: RequestBody<K> = typeof body === 'function' ? (body as (version: number) => RequestBody<K>)(version) : body;
    const { timeoutMs, signal, expectResponse } = options;
    const res = await conn.request(apiKey, version, payload, { timeoutMs, signal, expectResponse });
    return { version, body: res };
  }

  /**
   * Closes every lane. Pending requests reject with `error` or an AbortError; later calls reject with StateError.
   */
  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    const err = error ?? new AbortError(`the client was closed (broker ${this.address})`);
    this.closeController.abort(err);
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    for (const s of this.lanes.values()) {
      if (s.reauthTimer) clearTimeout(s.reauthTimer);
      s.reauthTimer = undefined;
      s.conn?.close(err);
      s.conn = undefined;
      s.ready = undefined;
      s.open = undefined;
    }
  }

  /** The lane's ready connection, opening it (after any backoff) when needed. */
  private laneConnection(lane: Lane, signal?: AbortSignal): Promise<Connection> {
    if (this.closed) return Promise.reject(new StateError(`broker ${this.address} is closed`));
    if (this.fatal) return Promise.reject(this.fatal);
    const s = this.lanes.get(lane);
    if (s === undefined) return Promise.reject(new TypeError(`unknown lane '${String(lane)}'`));
    if (s.ready === undefined) {
      const ready = this.openLane(s);
      s.ready = ready;
      ready.catch(() => {
        if (s.ready === ready) s.ready = undefined;
      });
    }
    return signal ? raceAbort(s.ready, signal) : s.ready;
  }

  private async openLane(s: LaneState): Promise<Connection> {
    const wait = s.backoff.remainingMs();
    if (wait > 0) await sleep(wait, this.closeController.signal, { ref: true });
    if (this.closed) throw new StateError(`broker ${this.address} is closed`);
    if (this.fatal) throw this.fatal;
    const o = this.options;
    // connectAddress (a tunnel, a test proxy) changes where the socket goes, not whom TLS must find there.
    const to = o.connectAddress?.({ nodeId: this.nodeId, host: this.host, port: this.port }) ?? this;
    const tls = o.tls && to.host !== this.host && o.tls.servername === undefined ? { ...o.tls, servername: this.host } : o.tls;
    const conn = new Connection({
      host: to.host,
      port: to.port,
      ...(to === this ? {} : { displayAddress: `${this.address} via ${formatAddress(to)}` }),
      tls,
      clientId: o.clientId,
      // KIP-601: each consecutive failure doubles the setup timeout up to its maximum, with Java's 20 % jitter, so a
      // broker that is down (SYNs dropped) is given up quickly at first and a slow network still gets its time.
      connectionSetupTimeoutMs: backoffDelay(s.backoff.consecutiveFailures + 1, {
        initialMs: o.connectionSetupTimeoutMs, maxMs: Math.max(o.connectionSetupTimeoutMs, o.connectionSetupTimeoutMaxMs),
      }),
      requestTimeoutMs: o.requestTimeoutMs,
      maxInFlight: o.maxInFlightRequestsPerConnection,
      maxResponseBytes: o.maxResponseBytes,
      noDelay: o.socketNoDelay,
      keepAlive: o.socketKeepAlive,
      logger: o.logger,
      label: `node ${this.nodeId} ${s.lane}`,
      coalesceWrites: s.lane !== 'fetch',
    });
    this.stats.connectAttempts += 1;
    s.conn = conn;
    try {
      await traced(channels.connect, () => ({ clientId: o.clientId, nodeId: this.nodeId, host: this.host, port: this.port, lane: s.lane }), () => this.setUp(s, conn));
    } catch (err) {
      this.stats.connectFailures += 1;
      conn.close(err as Error);
      if (s.conn === conn) s.conn = undefined;
      const e = err as Error;
      if (isFatal(e)) {
        this.fatal = e;
        o.logger.error('broker unusable; not retrying', { broker: this.address, error: e.message });
      } else {
        const delay = s.backoff.fail();
        o.logger.warn('connection failed', { broker: this.address, lane: s.lane, error: e.message, backoffMs: delay });
      }
      throw e;
    }
    if (this.closed) {
      conn.close();
      throw new StateError(`broker ${this.address} is closed`);
    }
    s.backoff.succeed();
    conn.on('close', (err: Error) => this.onLaneClosed(s, conn, err));
    s.open = conn;
    this.ensureIdleTimer();
    return conn;
  }

  /** A new connection's setup: TCP (and TLS), ApiVersions when not known yet, SASL. */
  private async setUp(s: LaneState, conn: Connection): Promise<void> {
    await conn.connect();
    if (this.versions === undefined || this.renegotiate) await this.negotiate(conn);
    if (this.options.sasl) {
      const result = await this.authenticate(conn);
      this.scheduleReauth(s, conn, result.sessionLifetimeMs);
    }
  }

  private onLaneClosed(s: LaneState, conn: Connection, err: Error): void {
    if (s.conn !== conn) return;
    s.conn = undefined;
    s.ready = undefined;
    s.open = undefined;
    if (s.reauthTimer) clearTimeout(s.reauthTimer);
    s.reauthTimer = undefined;
    s.sessionLifetimeMs = 0;
    // An unexpected close waits a backoff before the next attempt, so a broker that accepts and drops
    // connections is not hammered; closing an idle connection ourselves does not.
    if (!(err instanceof IdleClose) && !this.closed) {
      s.backoff.fail();
      // A broker that went away may come back upgraded or downgraded (a rolling upgrade): ask for its versions again
      // on the next connection, keeping the old ones for lanes still open meanwhile.
      this.renegotiate = true;
    }
  }

  /** ApiVersions, once per broker (KIP-511 fallback when the broker does not know our version). */
  private negotiate(conn: Connection): Promise<Map<number, VersionRange>> {
    if (this.renegotiate && this.versions !== undefined) {
      this.renegotiate = false;
      this.versionsPromise = undefined;
    }
    if (this.versionsPromise === undefined) {
      const p = this.runApiVersions(conn);
      this.versionsPromise = p;
      p.then(
        (v) => {
          this.versions = v;
        },
        () => {
          if (this.versionsPromise !== p) return;
          this.versionsPromise = undefined;
          if (this.versions !== undefined) this.renegotiate = true;
        },
      );
    }
    return this.versionsPromise;
  }

  private async runApiVersions(conn: Connection): Promise<Map<number, VersionRange>> {
    const o = this.options;
    let version = supportedVersions(ApiKey.ApiVersions).max;
    for (let attempt = 0; ; attempt++) {
      const resp = await conn.request(ApiKey.ApiVersions, version, {
        clientSoftwareName: o.clientSoftwareName,
        clientSoftwareVersion: o.clientSoftwareVersion,
      });
      const ranges = new Map<number, VersionRange>();
      for (const k of resp.apiKeys ?? []) ranges.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
      if (resp.errorCode === ErrorCode.UNSUPPORTED_VERSION && attempt === 0) {
        // Retry at the highest version the broker says it supports.
        const theirs = ranges.get(ApiKey.ApiVersions);
        version = Math.min(version - 1, theirs?.max ?? 0);
        if (version < 0) break;
        continue;
      }
      if (resp.errorCode !== ErrorCode.NONE) {
        throw new ProtocolError(`ApiVersions v${version} to ${this.address} failed: ${errorName(resp.errorCode)}`);
      }
      if (ranges.size === 0) throw new ProtocolError(`broker ${this.address} listed no API versions`);
      o.logger.debug('api versions negotiated', { broker: this.address, apiVersionsVersion: version, apis: ranges.size });
      return ranges;
    }
    throw new UnsupportedError(`broker ${this.address} supports no ApiVersions version gregor can use`);
  }

  private async authenticate(conn: Connection, urgent = false) {
    const sasl = this.options.sasl!;
    const versions = saslVersions((k) => this.versions?.get(k), this.address);
    return authenticateSasl(
      (apiKey, apiVersion, body, opts) => conn.request(apiKey, apiVersion, body, { ...opts, urgent }),
      sasl,
      versions,
      this.address,
    );
  }

  /**
   * KIP-368: the broker closes a connection used after its session lifetime unless it re-authenticated. Re-authenticate
   * at 85-95% of the lifetime (jitter spreads the lanes and clients apart), on the same connection: new requests wait
   * (the connection is paused), requests already in flight complete normally since their responses are matched by
   * correlation id whatever arrives in between. The broker handles one request per connection at a time, so the
   * handshake starts after those in-flight requests.
   */
  private scheduleReauth(s: LaneState, conn: Connection, lifetimeMs: number): void {
    this.stats.sessionLifetimeMs = lifetimeMs;
    s.sessionLifetimeMs = lifetimeMs;
    if (s.reauthTimer) clearTimeout(s.reauthTimer);
    s.reauthTimer = undefined;
    if (lifetimeMs <= 0 || !this.options.sasl?.reauthenticate) return;
    const delay = Math.max(0, Math.floor(lifetimeMs * (0.85 + Math.random() * 0.1)));
    s.reauthTimer = setTimeout(() => this.runReauth(s, conn).catch(() => {}), delay);
    s.reauthTimer.unref();
  }

  /**
   * Re-authenticates a lane's open connection now (KIP-368), as the session-lifetime timer does; also useful after
   * rotating credentials. Requests already in flight complete; new ones wait until it is done. Resolves false without
   * doing anything when the lane has no open connection or its broker announced no session lifetime (a broker
   * refuses re-authentication then, with ILLEGAL_SASL_STATE). Rejects, and closes the connection, when the broker
   * refuses the credentials.
   */
  async reauthenticate(lane: Lane = 'default'): Promise<boolean> {
    const s = this.lanes.get(lane);
    const conn = s?.conn;
    if (s === undefined || conn === undefined || !conn.isOpen || !this.options.sasl || s.sessionLifetimeMs <= 0) {
      return false;
    }
    await this.runReauth(s, conn);
    return true;
  }

  private async runReauth(s: LaneState, conn: Connection): Promise<void> {
    if (s.reauthTimer) clearTimeout(s.reauthTimer);
    s.reauthTimer = undefined;
    if (s.conn !== conn || !conn.isOpen) return;
    conn.pause();
    try {
      const result = await this.authenticate(conn, true);
      this.stats.reauthentications += 1;
      this.options.logger.debug('re-authenticated', { broker: this.address, lane: s.lane, lifetimeMs: result.sessionLifetimeMs });
      this.scheduleReauth(s, conn, result.sessionLifetimeMs);
    } catch (err) {
      // The next use reconnects and authenticates from scratch; if the credentials are now refused, that attempt
      // makes the failure sticky.
      this.options.logger.warn('re-authentication failed; closing the connection', {
        broker: this.address,
        lane: s.lane,
        error: (err as Error).message,
      });
      conn.close(err as Error);
      throw err;
    } finally {
      conn.resume();
    }
  }

  private ensureIdleTimer(): void {
    if (this.idleTimer || this.closed) return;
    const maxIdle = this.options.connectionsMaxIdleMs;
    this.idleTimer = setInterval(() => this.closeIdle(), Math.max(100, Math.min(maxIdle / 2, 30_000)));
    this.idleTimer.unref();
  }

  /** connections.max.idle.ms: closes lanes with nothing pending for that long. */
  closeIdle(now = Date.now()): void {
    let open = 0;
    for (const s of this.lanes.values()) {
      const conn = s.conn;
      if (!conn) continue;
      if (conn.isOpen && conn.idleMs(now) >= this.options.connectionsMaxIdleMs) {
        this.options.logger.debug('closing idle connection', { broker: this.address, lane: s.lane });
        conn.close(new IdleClose(this.address));
      } else {
        open += 1;
      }
    }
    if (open === 0 && this.idleTimer) {
      clearInterval(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  /** Keeps credentials and sockets out of logs: `util.inspect(broker)` shows identity and state only. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const lanes = LANES.filter((l) => this.lanes.get(l)?.conn?.isOpen).join(',') || 'none';
    return `Broker { nodeId: ${this.nodeId}, address: '${this.address}', open lanes: ${lanes}${this.fatal ? `, failed: ${this.fatal.message}` : ''} }`;
  }

  toJSON(): Record<string, unknown> {
    return { nodeId: this.nodeId, address: this.address, rack: this.rack };
  }
}

/** Why a connection was closed by the idle timer (not a failure: no backoff). */
class IdleClose extends AbortError {
  constructor(address: string) {
    super(`connection to ${address} closed after connections.max.idle.ms without traffic`);
  }
}

function isFatal(err: Error): boolean {
  return err instanceof AuthenticationError || err instanceof TlsError || err instanceof UnsupportedError;
}
