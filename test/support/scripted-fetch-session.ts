// The scripted broker's fetch session cache (KIP-227), off unless a test turns it on (ClusterModel.fetchSessions):
// a full Fetch at session epoch 0 creates a session holding its partitions; incremental Fetches (the session's id
// and next epoch) list only partitions that changed, and name the ones to forget; the answer to an incremental
// Fetch carries only partitions with something new (records, an error, a divergence, a moved high watermark, last
// stable or log start offset), as Kafka's FetchSession does. Unknown ids and wrong epochs get the top-level errors
// FETCH_SESSION_ID_NOT_FOUND and INVALID_FETCH_SESSION_EPOCH. Sessionless Fetches (id 0, epoch -1) bypass it.

import { ErrorCode } from '../../src/protocol/index.js';
import type { FetchRequest, FetchResponse } from '../../src/protocol/index.js';
import type { DeepPartial } from './scripted-kafka.js';

type FetchTopic = NonNullable<FetchRequest['topics']>[number];
type FetchPartition = NonNullable<FetchTopic['partitions']>[number];
type TopicAnswer = DeepPartial<FetchResponse['responses'][number]>;

interface Session {
  readonly id: number;
  /** The epoch the next incremental Fetch must carry. */
  epoch: number;
  /** The session's partitions with their last fetch parameters, by `${topic id or name}:${partition}`. */
  readonly partitions: Map<string, { topic: FetchTopic; partition: FetchPartition }>;
  /** What the last answer said of each partition's offsets, to answer only what changed. */
  readonly sent: Map<string, string>;
}

export type SessionPlan =
  | { readonly error: number }
  | { readonly sessionId: number; readonly topics: FetchTopic[]; readonly session: Session | null; readonly incremental: boolean };

const FINAL_EPOCH = -1;
const INITIAL_EPOCH = 0;

function topicKey(t: FetchTopic): string {
  return typeof t.topicId === 'string' && t.topicId !== '' && (t.topic === undefined || t.topic === '') ? t.topicId : t.topic ?? '';
}

export class FetchSessionCache {
  /** Off by default: the broker then answers sessionId 0, which keeps every Fetch full. */
  enabled = false;
  private readonly sessions = new Map<number, Session>();
  private nextId = 1;
  /** Ids of the sessions created so far. */
  readonly created: number[] = [];

  /** The broker forgets a session (cache eviction, a restart): its next incremental Fetch gets FETCH_SESSION_ID_NOT_FOUND. */
  evict(id: number): void {
    this.sessions.delete(id);
  }

  /** Which partitions a Fetch asks for, after applying it to its session. */
  open(body: FetchRequest): SessionPlan {
    const id = body.sessionId ?? 0;
    const epoch = body.sessionEpoch ?? FINAL_EPOCH;
    const topics = body.topics ?? [];
    if (!this.enabled || epoch === FINAL_EPOCH) {
      if (id !== 0) this.sessions.delete(id); // a final Fetch closes the session and is served without one
      return { sessionId: 0, topics, session: null, incremental: false };
    }
    if (epoch === INITIAL_EPOCH) {
      if (id !== 0) this.sessions.delete(id);
      const session: Session = { id: this.nextId++, epoch: 1, partitions: new Map(), sent: new Map() };
      this.upsert(session, topics);
      this.sessions.set(session.id, session);
      this.created.push(session.id);
      return { sessionId: session.id, topics, session, incremental: false };
    }
    const session = this.sessions.get(id);
    if (session === undefined) return { error: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (epoch !== session.epoch) return { error: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    session.epoch++;
    this.upsert(session, topics);
    for (const f of body.forgottenTopicsData ?? []) {
      const key = topicKey({ topic: f.topic, topicId: f.topicId });
      for (const p of f.partitions ?? []) {
        session.partitions.delete(`${key}:${p}`);
        session.sent.delete(`${key}:${p}`);
      }
    }
    return { sessionId: session.id, topics: this.asRequest(session), session, incremental: true };
  }

  /** The answer to send: every partition for a full Fetch, only the changed ones for an incremental one. */
  answer(plan: Exclude<SessionPlan, { error: number }>, responses: TopicAnswer[]): TopicAnswer[] {
    const session = plan.session;
    if (session === null) return responses;
    const out: TopicAnswer[] = [];
    for (const t of responses) {
      const key = topicKey({ topic: t.topic, topicId: t.topicId });
      const partitions = (t.partitions ?? []).filter((p) => {
        const marks = JSON.stringify([p.highWatermark, p.lastStableOffset, p.logStartOffset].map(String));
        const k = `${key}:${p.partitionIndex}`;
        const changed = session.sent.get(k) !== marks;
        session.sent.set(k, marks);
        const news = (p.records !== null && p.records !== undefined && p.records.length > 0)
          || (p.errorCode ?? 0) !== 0 || p.divergingEpoch !== undefined;
        return !plan.incremental || news || changed;
      });
      if (partitions.length > 0) out.push({ ...t, partitions });
    }
    return out;
  }

  private upsert(session: Session, topics: readonly FetchTopic[]): void {
    for (const t of topics) {
      for (const p of t.partitions ?? []) session.partitions.set(`${topicKey(t)}:${p.partition}`, { topic: t, partition: p });
    }
  }

  /** The session's partitions, shaped as a full request. */
  private asRequest(session: Session): FetchTopic[] {
    const byTopic = new Map<string, FetchTopic & { partitions: FetchPartition[] }>();
    for (const { topic, partition } of session.partitions.values()) {
      const key = topicKey(topic);
      let t = byTopic.get(key);
      if (t === undefined) byTopic.set(key, (t = { topic: topic.topic, topicId: topic.topicId, partitions: [] }));
      t.partitions.push(partition);
    }
    return [...byTopic.values()];
  }
}
