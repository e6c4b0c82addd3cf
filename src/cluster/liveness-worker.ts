// The heartbeat thread (issue 16; the main thread's side and what crosses over: group-liveness.ts), one per process.
// For each consumer of the process (a Member, opened and closed by its GroupLiveness) it owns one connection to the
// group coordinator, made with the same network layer and options as that client's own, and:
//   - sends the membership's heartbeats (one at a time, in the order asked) and answers with the decoded body;
//   - while armed, sends a heartbeat itself when the main thread's next one is late (its event loop is blocked), so
//     the coordinator keeps the session: Heartbeat with the member's generation (classic), ConsumerGroupHeartbeat
//     with the current epoch and nothing else (KIP-848: null fields mean "unchanged");
//   - while armed, watches the application's poll counter, and once max.poll.interval.ms passed without a poll
//     leaves the group as Java's heartbeat thread does (LeaveGroup for dynamic classic members, KIP-848 epoch -1,
//     -2 for static members), so the partitions move to the other members while the application is stuck.
// What the main thread must know at once (a heartbeat succeeded, the membership ended) goes to shared memory; the
// rest (answers needing the membership's attention) goes by message and is handled when the main thread is free.

import type { SecureVersion } from 'node:tls';
import { parentPort } from 'node:worker_threads';
import { Pool } from '../network/pool.js';
import { Secret } from '../network/secret.js';
import type { Logger, OAuthBearerToken, ResolvedNetworkOptions, SaslMechanismName } from '../network/options.js';
import { AbortError } from '../errors.js';
import { ApiKey } from '../protocol/index.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';
import { fatalForJoin } from '../protocol/error-kinds.js';
import {
  ACTIVITY_LAST_POLL, ACTIVITY_LOOP, ACTIVITY_POLLS, ACTIVITY_POLLS_SEEN, ACTIVITY_WAITING, ENDED_FENCED, ENDED_POLL_TIMEOUT, STATE_ENDED_CODE, STATE_ENDED_REASON, STATE_ENDED_TOKEN, STATE_LAST_OK,
  LOOP_STALE_MS, fromWireError, stampAge, toWireError, type FromWorker, type HeartbeatFields, type KeepaliveSpec, type LivenessMemberData, type LivenessNode, type ToWorker,
} from './group-liveness.js';

const port = parentPort!;

/** Every message out carries the member it is about (`sid`); log lines and token asks included. */
function send(message: FromWorker): void {
  port.postMessage(message);
}

/**
 * One consumer's heartbeat duty: its own connection (Pool, with its own options and credentials), its own serial
 * queue of requests, what it is armed for, and its shared-memory slots. The thread holds one per consumer of the
 * process (group-liveness.ts, "one thread for every consumer").
 */
class Member {
  private readonly activity: Int32Array;
  private readonly state: Int32Array;
  private readonly nodes = new Map<number, LivenessNode>();
  private readonly tokenWaiters = new Map<number, { resolve: (v: string | OAuthBearerToken) => void; reject: (e: Error) => void }>();
  private nextTokenId = 1;
  private readonly logger: Logger;
  readonly pool: Pool;
  /** Requests go out one at a time, in the order asked: the worker sees every answer in the broker's order. */
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private armed: { token: number; node: LivenessNode; spec: KeepaliveSpec } | null = null;
  private lastSentAt = Date.now();
  private pollsSeen: number;
  private pollSeenAt = Date.now();

  constructor(private readonly sid: number, private readonly data: LivenessMemberData) {
    this.activity = new Int32Array(data.activity);
    this.state = new Int32Array(data.state);
    this.pollsSeen = Atomics.load(this.activity, ACTIVITY_POLLS);
    const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>): void => send({ op: 'log', sid, level, message, fields });
    this.logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    this.pool = new Pool(this.options());
  }

  private stamp(at = Date.now()): number {
    return ((at - this.data.base) | 0) || 1;
  }

  private stampAgeNow(s: number): number {
    return s === 0 ? 0 : stampAge((Date.now() - this.data.base) | 0, s);
  }

  // ---- the connection ----------------------------------------------------------------------------------------------

  private options(): ResolvedNetworkOptions {
    const o = this.data.options;
    const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    return {
      ...o,
      logger: this.logger,
      connectAddress: (b) => {
        const n = this.nodes.get(b.nodeId);
        return n === undefined ? { host: b.host, port: b.port } : { host: n.connectHost, port: n.connectPort };
      },
      sasl: o.sasl === undefined ? undefined : {
        mechanism: o.sasl.mechanism as SaslMechanismName,
        username: o.sasl.username,
        password: o.sasl.password === undefined ? undefined : new Secret(o.sasl.password),
        authorizationId: o.sasl.authorizationId,
        reauthenticate: o.sasl.reauthenticate,
        // The application's provider runs on the main thread: asked there, at each (re)authentication.
        oauthTokenProvider: o.sasl.oauth ? () => new Promise((resolve, reject) => {
          const id = this.nextTokenId++;
          this.tokenWaiters.set(id, { resolve, reject });
          send({ op: 'token', sid: this.sid, id });
        }) : undefined,
      },
      tls: o.tls === undefined ? undefined : {
        ca: o.tls.ca?.map(buf),
        cert: o.tls.cert === undefined ? undefined : buf(o.tls.cert),
        key: o.tls.key === undefined ? undefined : new Secret(buf(o.tls.key)),
        passphrase: o.tls.passphrase === undefined ? undefined : new Secret(o.tls.passphrase),
        verifyHostname: o.tls.verifyHostname,
        rejectUnauthorized: o.tls.rejectUnauthorized,
        servername: o.tls.servername,
        checkServerIdentity: undefined,
        minVersion: o.tls.minVersion as SecureVersion | undefined,
      },
    };
  }

  private know(node: LivenessNode): void {
    this.nodes.set(node.nodeId, node);
    this.pool.addBroker(node.nodeId, node.host, node.port);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.queue.then(fn, fn);
    this.queue = run.then(() => { this.queued--; }, () => { this.queued--; });
    return run;
  }

  private async request(node: LivenessNode, apiKey: number, version: number, body: unknown, timeoutMs: number): Promise<HeartbeatFields> {
    this.know(node);
    const sentAt = Date.now();
    this.lastSentAt = sentAt;
    const bounds = version >= 0 ? { minVersion: version, maxVersion: version } : {};
    const res = await this.pool.request(node.nodeId, apiKey, body as never, { lane: 'default', timeoutMs, ...bounds }) as HeartbeatFields;
    this.observe(apiKey, body as HeartbeatFields, res, sentAt);
    return res;
  }

  // ---- the keep-alive ----------------------------------------------------------------------------------------------

  /**
   * Every answer, the main thread's and the keep-alive's, updates what the worker knows of the membership. A success
   * counts from when its request was SENT: the coordinator renewed the session when it read the request, not when the
   * answer was read here. An answer read late (the process stopped with the answer in its socket, R8: SIGSTOP for 10 s
   * of a 6 s session) would otherwise make an expired session look fresh, and buffered records of partitions another
   * member owns by then would be handed out.
   */
  private observe(apiKey: number, body: HeartbeatFields, res: HeartbeatFields, sentAt: number): void {
    const code = res.errorCode ?? ErrorCode.NONE;
    const armed = this.armed;
    if (apiKey === ApiKey.Heartbeat) {
      if (code === ErrorCode.NONE || code === ErrorCode.REBALANCE_IN_PROGRESS) Atomics.store(this.state, STATE_LAST_OK, this.stamp(sentAt));
      else if (armed !== null && body.generationId === armed.spec.generationOrEpoch && fencedClassic(code)) this.end(ENDED_FENCED, code);
    } else if ((apiKey === ApiKey.ConsumerGroupHeartbeat || apiKey === ApiKey.ShareGroupHeartbeat) && (body.memberEpoch ?? 0) > 0) {
      if (code === ErrorCode.NONE) {
        Atomics.store(this.state, STATE_LAST_OK, this.stamp(sentAt));
        if (armed !== null) {
          if ((res.memberEpoch ?? 0) > 0) armed.spec.generationOrEpoch = res.memberEpoch!;
          if ((res.heartbeatIntervalMs ?? 0) > 0) armed.spec.intervalMs = res.heartbeatIntervalMs!;
        }
      } else if (armed !== null && (code === ErrorCode.FENCED_MEMBER_EPOCH || code === ErrorCode.UNKNOWN_MEMBER_ID)) {
        this.end(ENDED_FENCED, code);
      }
    }
  }

  /** The membership is over: the main thread reads it from shared memory before handing out anything more. */
  private end(reason: number, code: number = ErrorCode.NONE): void {
    if (this.armed === null) return;
    Atomics.store(this.state, STATE_ENDED_CODE, code);
    Atomics.store(this.state, STATE_ENDED_REASON, reason);
    Atomics.store(this.state, STATE_ENDED_TOKEN, this.armed.token);
    this.armed = null;
  }

  tick(): void {
    const now = Date.now();
    const polls = Atomics.load(this.activity, ACTIVITY_POLLS);
    // A poll waiting for data is polling only while the main thread's event loop turns.
    const waiting = Atomics.load(this.activity, ACTIVITY_WAITING) > 0 && this.stampAgeNow(Atomics.load(this.activity, ACTIVITY_LOOP)) < LOOP_STALE_MS;
    if (polls !== this.pollsSeen || waiting) {
      this.pollsSeen = polls;
      this.pollSeenAt = now;
      Atomics.store(this.activity, ACTIVITY_LAST_POLL, this.stamp());
      Atomics.store(this.activity, ACTIVITY_POLLS_SEEN, polls);
    }
    const a = this.armed;
    if (a === null || this.queued > 0) return;
    if (now - this.pollSeenAt > a.spec.maxPollIntervalMs) {
      void this.leave(a);
      return;
    }
    if (now - this.lastSentAt >= a.spec.intervalMs + grace(a.spec.intervalMs)) void this.keepalive(a);
  }

  private async keepalive(a: Armed): Promise<void> {
    const { apiKey, body } = keepaliveBody(a.spec);
    let res: HeartbeatFields;
    let sentAt = 0;
    try {
      res = await this.serial(() => {
        sentAt = Date.now();
        return this.request(a.node, apiKey, -1, body, a.spec.timeoutMs);
      });
    } catch (err) {
      this.logger.debug('heartbeat (heartbeat thread) failed', { group: a.spec.groupId, error: (err as Error).message });
      return;
    }
    const code = res.errorCode ?? ErrorCode.NONE;
    // Answers the membership must act on: a rebalance, fencing, a fatal error, a new epoch or assignment.
    const news = apiKey === ApiKey.Heartbeat
      ? code !== ErrorCode.NONE
      : code !== ErrorCode.NONE || res.memberEpoch !== body.memberEpoch || (res.assignment ?? null) !== null;
    if (code !== ErrorCode.NONE && code !== ErrorCode.REBALANCE_IN_PROGRESS && fatalForJoin(code)) this.armed = null;
    if (news) send({ op: 'keepalive', sid: this.sid, token: a.token, apiKey, response: res, at: sentAt });
    else if (code !== ErrorCode.NONE) this.logger.debug('heartbeat (heartbeat thread) answered', { group: a.spec.groupId, error: errorName(code) });
  }

  /** max.poll.interval.ms passed without a poll: leave now, as Java's heartbeat thread does. */
  private async leave(a: Armed): Promise<void> {
    const { spec } = a;
    this.logger.warn('max.poll.interval.ms exceeded: leaving the group (the application has not polled)', { group: spec.groupId, maxPollIntervalMs: spec.maxPollIntervalMs });
    this.end(ENDED_POLL_TIMEOUT);
    const reason = 'consumer poll timeout has expired';
    const timeoutMs = this.pool.options.requestTimeoutMs;
    try {
      if (spec.protocol === 'share') {
        const body = { groupId: spec.groupId, memberId: spec.memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null };
        await this.serial(() => this.request(a.node, ApiKey.ShareGroupHeartbeat, -1, body, timeoutMs));
      } else if (spec.protocol === 'consumer') {
        const body = { groupId: spec.groupId, memberId: spec.memberId, memberEpoch: spec.groupInstanceId === null ? -1 : -2, instanceId: spec.groupInstanceId };
        await this.serial(() => this.request(a.node, ApiKey.ConsumerGroupHeartbeat, -1, body, timeoutMs));
      } else if (spec.groupInstanceId === null && spec.memberId !== '') {
        // Static members (KIP-345) do not leave: the coordinator keeps them until session.timeout.ms.
        await this.serial(async () => {
          this.know(a.node);
          const broker = this.pool.brokerFor(a.node.nodeId);
          await broker.ready();
          const body = broker.versionFor(ApiKey.LeaveGroup) >= 3
            ? { groupId: spec.groupId, members: [{ memberId: spec.memberId, groupInstanceId: null, reason }] }
            : { groupId: spec.groupId, memberId: spec.memberId };
          return this.request(a.node, ApiKey.LeaveGroup, -1, body, timeoutMs);
        });
      }
    } catch (err) {
      this.logger.debug('leaving the group (heartbeat thread) failed', { group: spec.groupId, error: (err as Error).message });
    }
    send({ op: 'left', sid: this.sid, token: a.token });
  }

  // ---- messages from the main thread -------------------------------------------------------------------------------

  private async answer(id: number, fn: () => Promise<unknown>): Promise<void> {
    try {
      send({ op: 'reply', sid: this.sid, id, value: await fn() });
    } catch (err) {
      send({ op: 'reply', sid: this.sid, id, error: toWireError(err) });
    }
  }

  handle(m: ToWorker): void {
    switch (m.op) {
      case 'version':
        void this.answer(m.id, async () => {
          this.know(m.node);
          const broker = this.pool.brokerFor(m.node.nodeId);
          await broker.ready();
          return broker.versionFor(m.apiKey);
        });
        return;
      case 'send':
        void this.answer(m.id, () => this.serial(() => {
          const body = m.body as HeartbeatFields;
          const armed = this.armed;
          // The main thread may not have seen the newest epoch yet (its answer is queued behind a blocked loop): the
          // worker has, and an older epoch would be fenced.
          const epochal = m.apiKey === ApiKey.ConsumerGroupHeartbeat || m.apiKey === ApiKey.ShareGroupHeartbeat;
          if (epochal && armed !== null && (body.memberEpoch ?? 0) > 0) body.memberEpoch = armed.spec.generationOrEpoch;
          // The coordinator moved: the keep-alive follows the main thread's heartbeats.
          if (armed !== null && (m.apiKey === ApiKey.Heartbeat || epochal)) armed.node = m.node;
          return this.request(m.node, m.apiKey, m.version, body, m.timeoutMs);
        }));
        return;
      case 'arm':
        this.armed = { token: m.token, node: m.node, spec: { ...m.spec } };
        this.know(m.node);
        this.lastSentAt = Date.now();
        return;
      case 'disarm':
        if (this.armed !== null && this.armed.token === m.token) this.armed = null;
        return;
      case 'token': {
        const w = this.tokenWaiters.get(m.id);
        this.tokenWaiters.delete(m.id);
        if (w === undefined) return;
        if (m.error !== undefined) w.reject(fromWireError(m.error));
        else w.resolve(m.value as string | OAuthBearerToken);
        return;
      }
      case 'open':
      case 'close':
        return; // the thread's, below
    }
  }

  /** The consumer closed: no keep-alive, no connection. */
  close(): void {
    this.armed = null;
    for (const w of this.tokenWaiters.values()) w.reject(new AbortError('the client was closed'));
    this.tokenWaiters.clear();
    void this.pool.close();
  }
}

type Armed = { token: number; node: LivenessNode; spec: KeepaliveSpec };

function fencedClassic(code: number): boolean {
  return code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.FENCED_INSTANCE_ID;
}

/** Late by this much after the interval, the main thread's heartbeat is taken to be stuck behind a blocked loop. */
function grace(intervalMs: number): number {
  return Math.min(Math.floor(intervalMs / 2), 1000);
}

function keepaliveBody(spec: KeepaliveSpec): { apiKey: number; body: Record<string, unknown> } {
  if (spec.protocol === 'classic') {
    return { apiKey: ApiKey.Heartbeat, body: { groupId: spec.groupId, generationId: spec.generationOrEpoch, memberId: spec.memberId, groupInstanceId: spec.groupInstanceId } };
  }
  if (spec.protocol === 'share') {
    return { apiKey: ApiKey.ShareGroupHeartbeat, body: { groupId: spec.groupId, memberId: spec.memberId, memberEpoch: spec.generationOrEpoch, rackId: null, subscribedTopicNames: null } };
  }
  return {
    apiKey: ApiKey.ConsumerGroupHeartbeat,
    body: {
      groupId: spec.groupId, memberId: spec.memberId, memberEpoch: spec.generationOrEpoch, instanceId: spec.groupInstanceId,
      rackId: null, rebalanceTimeoutMs: -1, serverAssignor: null, subscribedTopicNames: null, topicPartitions: null,
    },
  };
}

// ---- the thread: one Member per consumer of the process ---------------------------------------------------------------

const members = new Map<number, Member>();

port.on('message', (m: ToWorker) => {
  if (m.op === 'open') {
    members.get(m.sid)?.close();
    members.set(m.sid, new Member(m.sid, m.data));
    return;
  }
  const member = members.get(m.sid);
  if (member === undefined) return; // closed: nothing more is done for it
  if (m.op === 'close') {
    members.delete(m.sid);
    member.close();
    return;
  }
  member.handle(m);
});

setInterval(() => {
  for (const m of members.values()) m.tick();
}, 100);
