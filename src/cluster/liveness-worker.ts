// The heartbeat thread (issue 16; the main thread's side and what crosses over: group-liveness.ts). It owns one
// connection to the group coordinator, made with the same network layer and options as the client's own, and:
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
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from '../network/pool.js';
import { Secret } from '../network/secret.js';
import type { OAuthBearerToken, ResolvedNetworkOptions, SaslMechanismName } from '../network/options.js';
import { ApiKey } from '../protocol/index.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';
import { fatalForJoin } from '../protocol/error-kinds.js';
import {
  ACTIVITY_LAST_POLL, ACTIVITY_LOOP, ACTIVITY_POLLS, ACTIVITY_POLLS_SEEN, ACTIVITY_WAITING, ENDED_FENCED, ENDED_POLL_TIMEOUT, STATE_ENDED_CODE, STATE_ENDED_REASON, STATE_ENDED_TOKEN, STATE_LAST_OK,
  LOOP_STALE_MS, fromWireError, stampAge, toWireError, type FromWorker, type HeartbeatFields, type KeepaliveSpec, type LivenessNode, type LivenessWorkerData, type ToWorker,
} from './group-liveness.js';

const port = parentPort!;
const data = workerData as LivenessWorkerData;
const activity = new Int32Array(data.activity);
const state = new Int32Array(data.state);
const stamp = (at = Date.now()): number => ((at - data.base) | 0) || 1;
const stampAgeNow = (s: number): number => (s === 0 ? 0 : stampAge((Date.now() - data.base) | 0, s));

function send(message: FromWorker): void {
  port.postMessage(message);
}

const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>): void => send({ op: 'log', level, message, fields });
const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };

// ---- the connection ------------------------------------------------------------------------------------------------

const nodes = new Map<number, LivenessNode>();
const tokenWaiters = new Map<number, { resolve: (v: string | OAuthBearerToken) => void; reject: (e: Error) => void }>();
let nextTokenId = 1;

function options(): ResolvedNetworkOptions {
  const o = data.options;
  const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  return {
    ...o,
    logger,
    connectAddress: (b) => {
      const n = nodes.get(b.nodeId);
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
        const id = nextTokenId++;
        tokenWaiters.set(id, { resolve, reject });
        send({ op: 'token', id });
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

const pool = new Pool(options());

function know(node: LivenessNode): void {
  nodes.set(node.nodeId, node);
  pool.addBroker(node.nodeId, node.host, node.port);
}

/** Requests go out one at a time, in the order asked: the worker sees every answer in the broker's order. */
let queue: Promise<unknown> = Promise.resolve();
let queued = 0;

function serial<T>(fn: () => Promise<T>): Promise<T> {
  queued++;
  const run = queue.then(fn, fn);
  queue = run.then(() => { queued--; }, () => { queued--; });
  return run;
}

async function request(node: LivenessNode, apiKey: number, version: number, body: unknown, timeoutMs: number): Promise<HeartbeatFields> {
  know(node);
  const sentAt = Date.now();
  lastSentAt = sentAt;
  const bounds = version >= 0 ? { minVersion: version, maxVersion: version } : {};
  const res = await pool.request(node.nodeId, apiKey, body as never, { lane: 'default', timeoutMs, ...bounds }) as HeartbeatFields;
  observe(apiKey, body as HeartbeatFields, res, sentAt);
  return res;
}

// ---- the keep-alive --------------------------------------------------------------------------------------------------

let armed: { token: number; node: LivenessNode; spec: KeepaliveSpec } | null = null;
let lastSentAt = Date.now();
let pollsSeen = Atomics.load(activity, ACTIVITY_POLLS);
let pollSeenAt = Date.now();

/**
 * Every answer, the main thread's and the keep-alive's, updates what the worker knows of the membership. A success
 * counts from when its request was SENT: the coordinator renewed the session when it read the request, not when the
 * answer was read here. An answer read late (the process stopped with the answer in its socket, R8: SIGSTOP for 10 s
 * of a 6 s session) would otherwise make an expired session look fresh, and buffered records of partitions another
 * member owns by then would be handed out.
 */
function observe(apiKey: number, body: HeartbeatFields, res: HeartbeatFields, sentAt: number): void {
  const code = res.errorCode ?? ErrorCode.NONE;
  if (apiKey === ApiKey.Heartbeat) {
    if (code === ErrorCode.NONE || code === ErrorCode.REBALANCE_IN_PROGRESS) Atomics.store(state, STATE_LAST_OK, stamp(sentAt));
    else if (armed !== null && body.generationId === armed.spec.generationOrEpoch && fencedClassic(code)) end(ENDED_FENCED, code);
  } else if ((apiKey === ApiKey.ConsumerGroupHeartbeat || apiKey === ApiKey.ShareGroupHeartbeat) && (body.memberEpoch ?? 0) > 0) {
    if (code === ErrorCode.NONE) {
      Atomics.store(state, STATE_LAST_OK, stamp(sentAt));
      if (armed !== null) {
        if ((res.memberEpoch ?? 0) > 0) armed.spec.generationOrEpoch = res.memberEpoch!;
        if ((res.heartbeatIntervalMs ?? 0) > 0) armed.spec.intervalMs = res.heartbeatIntervalMs!;
      }
    } else if (armed !== null && (code === ErrorCode.FENCED_MEMBER_EPOCH || code === ErrorCode.UNKNOWN_MEMBER_ID)) {
      end(ENDED_FENCED, code);
    }
  }
}

function fencedClassic(code: number): boolean {
  return code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.FENCED_INSTANCE_ID;
}

/** The membership is over: the main thread reads it from shared memory before handing out anything more. */
function end(reason: number, code: number = ErrorCode.NONE): void {
  if (armed === null) return;
  Atomics.store(state, STATE_ENDED_CODE, code);
  Atomics.store(state, STATE_ENDED_REASON, reason);
  Atomics.store(state, STATE_ENDED_TOKEN, armed.token);
  armed = null;
}

/** Late by this much after the interval, the main thread's heartbeat is taken to be stuck behind a blocked loop. */
function grace(intervalMs: number): number {
  return Math.min(Math.floor(intervalMs / 2), 1000);
}

function tick(): void {
  const now = Date.now();
  const polls = Atomics.load(activity, ACTIVITY_POLLS);
  // A poll waiting for data is polling only while the main thread's event loop turns.
  const waiting = Atomics.load(activity, ACTIVITY_WAITING) > 0 && stampAgeNow(Atomics.load(activity, ACTIVITY_LOOP)) < LOOP_STALE_MS;
  if (polls !== pollsSeen || waiting) {
    pollsSeen = polls;
    pollSeenAt = now;
    Atomics.store(activity, ACTIVITY_LAST_POLL, stamp());
    Atomics.store(activity, ACTIVITY_POLLS_SEEN, polls);
  }
  const a = armed;
  if (a === null || queued > 0) return;
  if (now - pollSeenAt > a.spec.maxPollIntervalMs) {
    void leave(a);
    return;
  }
  if (now - lastSentAt >= a.spec.intervalMs + grace(a.spec.intervalMs)) void keepalive(a);
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

async function keepalive(a: NonNullable<typeof armed>): Promise<void> {
  const { apiKey, body } = keepaliveBody(a.spec);
  let res: HeartbeatFields;
  let sentAt = 0;
  try {
    res = await serial(() => {
      sentAt = Date.now();
      return request(a.node, apiKey, -1, body, a.spec.timeoutMs);
    });
  } catch (err) {
    logger.debug('heartbeat (heartbeat thread) failed', { group: a.spec.groupId, error: (err as Error).message });
    return;
  }
  const code = res.errorCode ?? ErrorCode.NONE;
  // Answers the membership must act on: a rebalance, fencing, a fatal error, a new epoch or assignment.
  const news = apiKey === ApiKey.Heartbeat
    ? code !== ErrorCode.NONE
    : code !== ErrorCode.NONE || res.memberEpoch !== body.memberEpoch || (res.assignment ?? null) !== null;
  if (code !== ErrorCode.NONE && code !== ErrorCode.REBALANCE_IN_PROGRESS && fatalForJoin(code)) armed = null;
  if (news) send({ op: 'keepalive', token: a.token, apiKey, response: res, at: sentAt });
  else if (code !== ErrorCode.NONE) logger.debug('heartbeat (heartbeat thread) answered', { group: a.spec.groupId, error: errorName(code) });
}

/** max.poll.interval.ms passed without a poll: leave now, as Java's heartbeat thread does. */
async function leave(a: NonNullable<typeof armed>): Promise<void> {
  const { spec } = a;
  logger.warn('max.poll.interval.ms exceeded: leaving the group (the application has not polled)', { group: spec.groupId, maxPollIntervalMs: spec.maxPollIntervalMs });
  end(ENDED_POLL_TIMEOUT);
  const reason = 'consumer poll timeout has expired';
  try {
    if (spec.protocol === 'share') {
      const body = { groupId: spec.groupId, memberId: spec.memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null };
      await serial(() => request(a.node, ApiKey.ShareGroupHeartbeat, -1, body, pool.options.requestTimeoutMs));
    } else if (spec.protocol === 'consumer') {
      const body = { groupId: spec.groupId, memberId: spec.memberId, memberEpoch: spec.groupInstanceId === null ? -1 : -2, instanceId: spec.groupInstanceId };
      await serial(() => request(a.node, ApiKey.ConsumerGroupHeartbeat, -1, body, pool.options.requestTimeoutMs));
    } else if (spec.groupInstanceId === null && spec.memberId !== '') {
      // Static members (KIP-345) do not leave: the coordinator keeps them until session.timeout.ms.
      await serial(async () => {
        know(a.node);
        const broker = pool.brokerFor(a.node.nodeId);
        await broker.ready();
        const body = broker.versionFor(ApiKey.LeaveGroup) >= 3
          ? { groupId: spec.groupId, members: [{ memberId: spec.memberId, groupInstanceId: null, reason }] }
          : { groupId: spec.groupId, memberId: spec.memberId };
        return request(a.node, ApiKey.LeaveGroup, -1, body, pool.options.requestTimeoutMs);
      });
    }
  } catch (err) {
    logger.debug('leaving the group (heartbeat thread) failed', { group: spec.groupId, error: (err as Error).message });
  }
  send({ op: 'left', token: a.token });
}

// ---- messages from the main thread -----------------------------------------------------------------------------------

async function answer(id: number, fn: () => Promise<unknown>): Promise<void> {
  try {
    send({ op: 'reply', id, value: await fn() });
  } catch (err) {
    send({ op: 'reply', id, error: toWireError(err) });
  }
}

port.on('message', (m: ToWorker) => {
  switch (m.op) {
    case 'version':
      void answer(m.id, async () => {
        know(m.node);
        const broker = pool.brokerFor(m.node.nodeId);
        await broker.ready();
        return broker.versionFor(m.apiKey);
      });
      return;
    case 'send':
      void answer(m.id, () => serial(() => {
        const body = m.body as HeartbeatFields;
        // The main thread may not have seen the newest epoch yet (its answer is queued behind a blocked loop): the
        // worker has, and an older epoch would be fenced.
        const epochal = m.apiKey === ApiKey.ConsumerGroupHeartbeat || m.apiKey === ApiKey.ShareGroupHeartbeat;
        if (epochal && armed !== null && (body.memberEpoch ?? 0) > 0) body.memberEpoch = armed.spec.generationOrEpoch;
        // The coordinator moved: the keep-alive follows the main thread's heartbeats.
        if (armed !== null && (m.apiKey === ApiKey.Heartbeat || epochal)) armed.node = m.node;
        return request(m.node, m.apiKey, m.version, body, m.timeoutMs);
      }));
      return;
    case 'arm':
      armed = { token: m.token, node: m.node, spec: { ...m.spec } };
      know(m.node);
      lastSentAt = Date.now();
      return;
    case 'disarm':
      if (armed !== null && armed.token === m.token) armed = null;
      return;
    case 'token': {
      const w = tokenWaiters.get(m.id);
      tokenWaiters.delete(m.id);
      if (w === undefined) return;
      if (m.error !== undefined) w.reject(fromWireError(m.error));
      else w.resolve(m.value as string | OAuthBearerToken);
      return;
    }
  }
});

setInterval(tick, 100);
