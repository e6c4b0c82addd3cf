// Group liveness that does not depend on the application yielding (issue 16): a worker thread (liveness-worker.ts)
// sends the group member's heartbeats on a connection of its own, so a handler that blocks the event loop (JSON,
// templating, crypto, a synchronous run() handler) does not get the member expelled after session.timeout.ms. This
// is the main thread's side: it starts the worker, forwards the membership's heartbeats to it (Heartbeat,
// ConsumerGroupHeartbeat, ShareGroupHeartbeat), arms and disarms its keep-alive, and reads what it learned while the main thread was
// busy. One thread serves every consumer of the process (LivenessThread): each is a member of it (`sid`) with its own
// connection, options, serial queue, keep-alive and shared memory there; only the isolate is shared.
//
// Why every heartbeat goes through the worker, not only those of a blocked main thread: a heartbeat sent just before
// the event loop blocks has its answer stuck in the main thread's socket until the loop is free, and a KIP-848
// answer may carry a new member epoch; a second sender that did not see it would be fenced (FENCED_MEMBER_EPOCH).
// With one sender that sees every answer in order, the worker always knows the current epoch, and the main thread
// gets the answers in the order the broker gave them.
//
// What crosses the thread boundary:
//   - when a consumer joins the thread (`open`): its network options with credentials revealed (the SASL password,
//     the TLS key and its passphrase; never logged, never in an error), and two SharedArrayBuffers (below);
//   - main -> worker: the coordinator's node (id, address, where to connect), requests to send, arm/disarm;
//   - worker -> main: answers (decoded bodies or errors by code), keep-alive answers that need the membership's
//     attention (a rebalance, fencing, a new epoch or assignment), "left after max.poll.interval.ms", log lines,
//     and asks for an OAUTHBEARER token (the provider is application code, so it runs on the main thread).
//   - shared memory, read without waiting for a message (the main thread may be blocked in a loop of microtasks
//     that never lets a message in): the application's poll counter (written by Delivery), the time of the last
//     successful heartbeat and "the membership ended" (written by the worker).
//
// What is guaranteed, and what is not: DESIGN.md, "Heartbeats never depend on the application".

import { Worker } from 'node:worker_threads';
import {
  AbortError, AuthenticationError, ConnectionError, GregorError, KafkaError, ProtocolError, StateError, TimeoutError,
  TlsError, UnsupportedError, type GregorErrorCode,
} from '../errors.js';
import type { ResolvedNetworkOptions, Logger } from '../network/options.js';
import type { RequestBodyFor, ResponseBody } from '../protocol/index.js';
import type { Cluster } from './client.js';
import type { Coordinator } from './coordinator.js';

/** Slots of the poll-activity array Delivery writes (Int32Array over a SharedArrayBuffer). */
export const ACTIVITY_POLLS = 0;
export const ACTIVITY_WAITING = 1;
/** Written by the worker: the poll count it saw last, and when it saw it change (ms since the base, wrapping). */
export const ACTIVITY_POLLS_SEEN = 2;
export const ACTIVITY_LAST_POLL = 3;
/**
 * Written by the main thread every LOOP_TICK_MS while armed: its event loop turns. A poll waiting for data counts as
 * polling only while it does (an application blocking the loop with a poll pending is not polling).
 */
export const ACTIVITY_LOOP = 4;
export const ACTIVITY_SLOTS = 5;
export const LOOP_TICK_MS = 250;
/** A loop stamp older than this: the main thread's event loop is blocked. */
export const LOOP_STALE_MS = 1000;

/** Slots of the state array the worker writes. Times are ms since `base`, wrapping (compare by difference). */
export const STATE_LAST_OK = 0;
export const STATE_ENDED_REASON = 1;
export const STATE_ENDED_TOKEN = 2;
/** The error code that fenced the member (ENDED_FENCED): the membership resets as the main thread's own answer would. */
export const STATE_ENDED_CODE = 3;
const STATE_SLOTS = 4;

/** Why the worker ended a membership: it left after max.poll.interval.ms, or the coordinator fenced it. */
export const ENDED_POLL_TIMEOUT = 1;
export const ENDED_FENCED = 2;
export type LivenessEnd = 'poll-timeout' | 'fenced';

/**
 * The fields of heartbeat requests and answers the worker and the memberships read (Heartbeat, ConsumerGroupHeartbeat,
 * LeaveGroup bodies as decoded or built; the codec owns their full shapes).
 */
export interface HeartbeatFields {
  errorCode?: number;
  errorMessage?: string | null;
  generationId?: number;
  memberId?: string | null;
  memberEpoch?: number;
  heartbeatIntervalMs?: number;
  assignment?: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
}

/** A node as the worker needs it: identity, the address it is known by, where to open the TCP connection. */
export interface LivenessNode {
  nodeId: number;
  host: string;
  port: number;
  connectHost: string;
  connectPort: number;
}

/** What the worker keeps alive while armed. */
export interface KeepaliveSpec {
  /** classic: Heartbeat; consumer: ConsumerGroupHeartbeat (KIP-848); share: ShareGroupHeartbeat (KIP-932). */
  protocol: 'classic' | 'consumer' | 'share';
  groupId: string;
  memberId: string;
  /** Classic: the generation id; KIP-848: the member epoch (the worker follows it from later answers). */
  generationOrEpoch: number;
  groupInstanceId: string | null;
  /** The heartbeat interval; the worker sends when the main thread's heartbeat is this much plus a grace late. */
  intervalMs: number;
  maxPollIntervalMs: number;
  /**
   * How long the worker's own heartbeat may wait for its answer: the main thread's heartbeat timeout (classic:
   * min(request.timeout.ms, session.timeout.ms)). It shares the worker's serial queue with the main thread's
   * heartbeats, so a longer wait on a coordinator that stopped answering would hold those back too, and the session
   * would lapse unnoticed until request.timeout.ms.
   */
  timeoutMs: number;
}

/** The plain fields of the network options, copied one by one (a field added there must be thought about here). */
const PLAIN_FIELDS = [
  'clientId', 'securityProtocol', 'requestTimeoutMs', 'connectionSetupTimeoutMs', 'connectionSetupTimeoutMaxMs', 'connectionsMaxIdleMs', 'reconnectBackoffMs',
  'reconnectBackoffMaxMs', 'maxInFlightRequestsPerConnection', 'maxResponseBytes', 'metadataMaxAgeMs', 'bootstrapTimeoutMs',
  'metadataRecoveryStrategy', 'rebootstrapTriggerMs',
  'socketNoDelay', 'socketKeepAlive', 'clientSoftwareName', 'clientSoftwareVersion',
] as const;

/** The network options as plain data for the thread's `open`: functions left out, secrets revealed. */
export interface TransferableNetworkOptions extends Pick<ResolvedNetworkOptions, (typeof PLAIN_FIELDS)[number] | 'bootstrapServers'> {
  sasl: { mechanism: string; username: string | undefined; password: string | undefined; authorizationId: string; oauth: boolean; reauthenticate: boolean } | undefined;
  tls: {
    ca: Uint8Array[] | undefined; cert: Uint8Array | undefined; key: Uint8Array | undefined; passphrase: string | undefined;
    verifyHostname: boolean; rejectUnauthorized: boolean; servername: string | undefined; minVersion: string | undefined;
  } | undefined;
}

/** What the thread needs to serve one consumer (sent with `open`; the buffers are shared, not copied). */
export interface LivenessMemberData {
  options: TransferableNetworkOptions;
  activity: SharedArrayBuffer;
  state: SharedArrayBuffer;
  base: number;
}

/** An error as it crosses the thread boundary: code and message (never configuration, so never credentials). */
export interface WireError {
  code: GregorErrorCode;
  message: string;
  retriable: boolean;
  errorCode?: number;
  errorName?: string;
}

/** Messages to the thread; `sid` names the consumer (GroupLiveness) they are for. */
export type ToWorker =
  | { op: 'open'; sid: number; data: LivenessMemberData }
  | { op: 'close'; sid: number }
  | { op: 'version'; sid: number; id: number; node: LivenessNode; apiKey: number }
  | { op: 'send'; sid: number; id: number; node: LivenessNode; apiKey: number; version: number; body: unknown; timeoutMs: number }
  | { op: 'arm'; sid: number; token: number; node: LivenessNode; spec: KeepaliveSpec }
  | { op: 'disarm'; sid: number; token: number }
  | { op: 'token'; sid: number; id: number; value?: unknown; error?: WireError };

export type FromWorker =
  | { op: 'reply'; sid: number; id: number; value?: unknown; error?: WireError }
  /** `at`: Date.now() when the answered request was sent (a success renews the session from then). */
  | { op: 'keepalive'; sid: number; token: number; apiKey: number; response: HeartbeatFields; at: number }
  | { op: 'left'; sid: number; token: number }
  | { op: 'log'; sid: number; level: keyof Logger; message: string; fields?: Record<string, unknown> }
  | { op: 'token'; sid: number; id: number };

/** A message to the thread before it is addressed (GroupLiveness adds its `sid`). */
type Unaddressed<M> = M extends unknown ? Omit<M, 'sid'> : never;

export function toWireError(err: unknown): WireError {
  if (err instanceof GregorError) {
    const out: WireError = { code: err.code, message: err.message, retriable: err.retriable };
    if (err instanceof KafkaError) {
      out.errorCode = err.errorCode;
      out.errorName = err.errorName;
    }
    return out;
  }
  return { code: 'ERR_STATE', message: err instanceof Error ? err.message : String(err), retriable: false };
}

export function fromWireError(e: WireError): GregorError {
  const options = { retriable: e.retriable };
  switch (e.code) {
    case 'ERR_KAFKA': return new KafkaError(e.errorCode ?? -1, e.errorName ?? 'UNKNOWN', e.message, options);
    case 'ERR_CONNECTION': return new ConnectionError(e.message, undefined, options);
    case 'ERR_TIMEOUT': return new TimeoutError(e.message, options);
    case 'ERR_AUTHENTICATION': return new AuthenticationError(e.message, options);
    case 'ERR_TLS': return new TlsError(e.message, options);
    case 'ERR_UNSUPPORTED': return new UnsupportedError(e.message, options);
    case 'ERR_ABORTED': return new AbortError(e.message, options);
    case 'ERR_PROTOCOL': return new ProtocolError(e.message, options);
    default: return new StateError(e.message, options);
  }
}

/** Wrap-safe milliseconds between two stamps of the state array. */
export function stampAge(now: number, stamp: number): number {
  return (now - stamp) | 0;
}

export function transferableOptions(o: ResolvedNetworkOptions): TransferableNetworkOptions {
  if (o.tls?.checkServerIdentity !== undefined) {
    // Application code cannot cross to another thread; the configuration never sets it (NetworkOptions only).
    throw new StateError('group liveness: a checkServerIdentity function cannot be used by the heartbeat thread');
  }
  const { sasl, tls } = o;
  const plain = Object.fromEntries(PLAIN_FIELDS.map((k) => [k, o[k]])) as Pick<ResolvedNetworkOptions, (typeof PLAIN_FIELDS)[number]>;
  return {
    ...plain,
    bootstrapServers: o.bootstrapServers.map((a) => ({ host: a.host, port: a.port })),
    sasl: sasl === undefined ? undefined : {
      mechanism: sasl.mechanism,
      username: sasl.username,
      password: sasl.password?.reveal(),
      authorizationId: sasl.authorizationId,
      oauth: sasl.oauthTokenProvider !== undefined,
      reauthenticate: sasl.reauthenticate,
    },
    tls: tls === undefined ? undefined : {
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key?.reveal(),
      passphrase: tls.passphrase?.reveal(),
      verifyHostname: tls.verifyHostname,
      rejectUnauthorized: tls.rejectUnauthorized,
      servername: tls.servername,
      minVersion: tls.minVersion,
    },
  };
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * The process's one heartbeat thread, shared by every consumer in it (each a GroupLiveness, a member of the thread
 * with its own connection there). A Worker costs ~18 MiB of RSS and 35-50 ms of CPU to start; one per consumer made a
 * process with 8 consumers ~100 MiB larger (bench/README.md, "Consumers in one process"). Started with the first
 * member, ended with the last (a later consumer starts a new one); unref'd, so it never keeps the process alive.
 */
class LivenessThread {
  private static current: LivenessThread | null = null;
  private worker: Worker | null = null;
  private readonly members = new Map<number, GroupLiveness>();
  private nextSid = 1;

  /** The running thread, or a new one. */
  static shared(): LivenessThread {
    return (LivenessThread.current ??= new LivenessThread());
  }

  /** Adds a member; its `open` (with its data) is the first message the thread gets from it. */
  join(member: GroupLiveness): number {
    const data = member.memberData();
    const sid = this.nextSid++;
    this.members.set(sid, member);
    this.post({ op: 'open', sid, data });
    return sid;
  }

  /** Removes a member (the thread closes its connection); the last one ends the thread. */
  async leave(sid: number): Promise<void> {
    if (!this.members.delete(sid)) return;
    const worker = this.worker;
    if (this.members.size > 0) {
      worker?.postMessage({ op: 'close', sid } satisfies ToWorker);
      return;
    }
    if (LivenessThread.current === this) LivenessThread.current = null;
    this.worker = null;
    if (worker !== null) await worker.terminate();
  }

  post(message: ToWorker): void {
    this.start().postMessage(message);
  }

  /** The running worker's threadId (null when none runs). */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  /** The worker, started on first use (and again after an unexpected exit, every member opened again). */
  private start(): Worker {
    if (this.worker !== null) return this.worker;
    // The thread sends a heartbeat per interval per member and allocates little: V8's default young generation (grown
    // to 4-8 MiB in traces of a busy member) only adds resident memory. 2 MiB: ~2 MiB less RSS (bench/README.md).
    const worker = new Worker(new URL('./liveness-worker.js', import.meta.url), {
      execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 2 },
    });
    worker.unref();
    worker.on('message', (m: FromWorker) => this.members.get(m.sid)?.onMessage(m));
    worker.on('error', (err) => {
      for (const m of this.members.values()) m.threadFailed(err);
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      if (this.members.size === 0) return;
      // A new thread takes over at once: each member opens again and re-arms, so a blocked main thread is covered.
      const err = new ConnectionError(`the heartbeat thread exited (code ${code})`, undefined, { retriable: true });
      for (const [sid, m] of this.members) {
        this.post({ op: 'open', sid, data: m.memberData() });
        m.threadExited(err);
      }
    });
    this.worker = worker;
    return worker;
  }
}

/** One per consumer in a group: its membership of the heartbeat thread, and the main thread's view of it. */
export class GroupLiveness {
  private thread: LivenessThread | null = null;
  private sid = 0;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private token = 0;
  private armed: { token: number; node: LivenessNode; spec: KeepaliveSpec } | null = null;
  private readonly state = new Int32Array(new SharedArrayBuffer(STATE_SLOTS * 4));
  private readonly versions = new Map<string, number>();
  private loopTimer: NodeJS.Timeout | null = null;
  private readonly activityView: Int32Array;
  private closed = false;
  /** Keep-alive answers and "left" notices for the membership (set by it). */
  onKeepalive: ((apiKey: number, response: HeartbeatFields, at: number, nodeId: number) => void) | null = null;
  onLeft: (() => void) | null = null;

  constructor(
    private readonly cluster: Cluster,
    /** Delivery's poll-activity array (ACTIVITY_* slots). */
    private readonly activity: SharedArrayBuffer,
    /** Date.now() that stamps in shared memory count from. */
    private readonly base: number,
    private readonly logger: Logger,
  ) {
    Atomics.store(this.state, STATE_LAST_OK, 0);
    this.activityView = new Int32Array(activity);
  }

  /** Date.now() of the last successful heartbeat the worker saw (0 when none). */
  lastOkAt(): number {
    const stamp = Atomics.load(this.state, STATE_LAST_OK);
    return stamp === 0 ? 0 : Date.now() - stampAge((Date.now() - this.base) | 0, stamp);
  }

  /** Whether the worker ended the membership it was armed for last (read from shared memory, no message needed). */
  ended(): LivenessEnd | null {
    if (this.armed === null || Atomics.load(this.state, STATE_ENDED_TOKEN) !== this.armed.token) return null;
    return Atomics.load(this.state, STATE_ENDED_REASON) === ENDED_POLL_TIMEOUT ? 'poll-timeout' : 'fenced';
  }

  /** After ended() === 'fenced': the coordinator's error code (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, ...). */
  endedCode(): number {
    return Atomics.load(this.state, STATE_ENDED_CODE);
  }

  /**
   * Sends a heartbeat request through the worker to the coordinator (the body may be built per version). Like
   * Coordinator.request: the coordinator is looked up until `deadline`, and forgotten when its connection fails.
   */
  async request<K extends number>(coordinator: Coordinator, apiKey: K, body: RequestBodyFor<K>,
    options: { deadline: number; timeoutMs?: number; signal?: AbortSignal }): Promise<ResponseBody<K>> {
    const nodeId = await coordinator.find(options.deadline, options.signal);
    const node = this.node(nodeId);
    try {
      let built: unknown = body;
      let version: number | undefined;
      if (typeof body === 'function') {
        const key = `${node.nodeId}@${node.host}:${node.port}/${apiKey}`;
        version = this.versions.get(key);
        if (version === undefined) {
          version = await this.call<number>({ op: 'version', id: 0, node, apiKey }, options.signal);
          this.versions.set(key, version);
        }
        built = (body as (v: number) => unknown)(version);
      }
      const res = await this.call<ResponseBody<K>>({ op: 'send', id: 0, node, apiKey, version: version ?? -1, body: built,
        timeoutMs: options.timeoutMs ?? this.cluster.requestTimeoutMs }, options.signal);
      coordinator.answered(res as object, nodeId);
      return res;
    } catch (err) {
      this.versions.clear();
      if (err instanceof GregorError && (err.code === 'ERR_CONNECTION' || err.code === 'ERR_TIMEOUT')) coordinator.invalidate();
      throw err;
    }
  }

  /** Starts the keep-alive for a member (a new generation, or a KIP-848 member that joined). */
  arm(nodeId: number, spec: KeepaliveSpec): void {
    if (this.closed) return;
    const token = ++this.token;
    const node = this.node(nodeId);
    this.armed = { token, node, spec };
    this.tickLoop();
    if (this.loopTimer === null) {
      this.loopTimer = setInterval(() => this.tickLoop(), LOOP_TICK_MS);
      this.loopTimer.unref();
    }
    this.post({ op: 'arm', token, node, spec });
  }

  private tickLoop(): void {
    Atomics.store(this.activityView, ACTIVITY_LOOP, ((Date.now() - this.base) | 0) || 1);
  }

  private stopLoopTicks(): void {
    if (this.loopTimer !== null) clearInterval(this.loopTimer);
    this.loopTimer = null;
  }

  /** Stops the keep-alive (JoinGroup sent, partitions lost, leaving). */
  disarm(): void {
    if (this.armed === null) return;
    this.post({ op: 'disarm', token: this.armed.token });
    this.armed = null;
    this.stopLoopTicks();
  }

  /** The heartbeat thread's threadId while this consumer is a member of it (one thread serves every consumer). */
  get threadId(): number | null {
    return this.thread?.threadId ?? null;
  }

  get isArmed(): boolean {
    return this.armed !== null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.armed = null;
    this.stopLoopTicks();
    const thread = this.thread;
    this.thread = null;
    this.failPending(new AbortError('the client was closed'));
    if (thread !== null) await thread.leave(this.sid);
  }

  private node(nodeId: number): LivenessNode {
    const address = this.cluster.brokerAddress(nodeId);
    if (address === undefined) throw new ConnectionError(`broker node ${nodeId} is not known`, undefined, { retriable: true });
    return { nodeId, ...address };
  }

  private call<T>(message: Unaddressed<Extract<ToWorker, { op: 'version' | 'send' }>>, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new AbortError('the client was closed'));
    if (signal?.aborted) return Promise.reject(new AbortError());
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        this.pending.delete(id);
        reject(new AbortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => { signal?.removeEventListener('abort', onAbort); resolve(v as T); },
        reject: (e) => { signal?.removeEventListener('abort', onAbort); reject(e); },
      });
      this.post({ ...message, id });
    });
  }

  private post(message: Unaddressed<ToWorker>): void {
    this.join().post({ ...message, sid: this.sid } as ToWorker);
  }

  /**
   * Joins the thread now, before its first use: a worker isolate's bootstrap and imports take 40-70 ms of CPU, which
   * a member joining a group spends while it waits for the coordinator's answers rather than on its way to fetching.
   */
  prepare(): void {
    if (!this.closed) this.join();
  }

  /** The thread, joined on first use. */
  private join(): LivenessThread {
    if (this.thread !== null) return this.thread;
    const thread = LivenessThread.shared();
    this.sid = thread.join(this);
    this.thread = thread;
    return thread;
  }

  /** What the thread needs to serve this consumer (at its first `open`, and again after a restart). */
  memberData(): LivenessMemberData {
    return {
      options: transferableOptions(this.cluster.networkOptions),
      activity: this.activity,
      state: this.state.buffer as SharedArrayBuffer,
      base: this.base,
    };
  }

  threadFailed(err: Error): void {
    this.logger.warn('the heartbeat thread failed', { error: err.message });
  }

  /** The thread exited and a new one has this member open again: what was asked of the old one failed. */
  threadExited(err: Error): void {
    this.failPending(err);
    if (!this.closed && this.armed !== null) this.post({ op: 'arm', token: this.armed.token, node: this.armed.node, spec: this.armed.spec });
  }

  private failPending(err: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
  }

  onMessage(m: FromWorker): void {
    switch (m.op) {
      case 'reply': {
        const p = this.pending.get(m.id);
        if (p === undefined) return;
        this.pending.delete(m.id);
        if (m.error !== undefined) p.reject(fromWireError(m.error));
        else p.resolve(m.value);
        return;
      }
      case 'keepalive':
        if (this.armed !== null && m.token === this.armed.token) this.onKeepalive?.(m.apiKey, m.response, m.at, this.armed.node.nodeId);
        return;
      case 'left':
        if (this.armed !== null && m.token === this.armed.token) this.onLeft?.();
        return;
      case 'log':
        this.logger[m.level](m.message, m.fields);
        return;
      case 'token':
        void this.answerToken(m.id);
        return;
    }
  }

  private async answerToken(id: number): Promise<void> {
    const provider = this.cluster.networkOptions.sasl?.oauthTokenProvider;
    try {
      if (provider === undefined) throw new StateError('no OAUTHBEARER token provider');
      const value = await provider();
      this.post({ op: 'token', id, value });
    } catch (err) {
      this.post({ op: 'token', id, error: toWireError(err) });
    }
  }
}
