// A scripted Kafka cluster in the test process, for the deterministic test tier (test/unit/scripted/): one
// node:net listener per node on 127.0.0.1 (port 0), speaking Kafka's wire protocol with gregor's own codec
// (decodeRequest / encodeResponse of src/protocol). A test builds a normal Consumer with bootstrap.servers pointing
// here, and drives it through states a real broker produces rarely or never on demand: partial batches, leader and
// coordinator moves, diverging epochs, fenced members.
//
// What a test gets:
//   - model      the cluster's state (scripted-kafka.ts): topics, logs, leaders and epochs, the coordinator, the groups.
//                Every request not scripted otherwise is answered from it, as Kafka would.
//   - script()   answers for the next matching requests, in order, each used once (a body, a function, HANG or CLOSE);
//   - handle()   a standing handler for an API (it may call next() for the model's answer);
//   - log        every request received (node, connection, API key, version, decoded body), for assertions;
//   - waitFor()  the next request matching a predicate (event-driven: no sleeps, a deadline only as a safety net).
//
// Responses on one connection go out in request order, as Kafka guarantees; a request answered with HANG holds its
// connection until the client gives up on it (gregor closes a connection whose request timed out).

import { createServer, type Server, type Socket } from 'node:net';
import { ApiKey, apiKeyName, decodeRequest, encodeResponse } from '../../src/protocol/index.js';
import { ClusterModel, type Api, type Received, type Reply } from './scripted-kafka.js';

export type { Api, Received, Reply } from './scripted-kafka.js';

/** Never answer this request (its connection stays blocked until the client closes it). */
export const HANG: unique symbol = Symbol('HANG');
/** Close the connection instead of answering. */
export const CLOSE: unique symbol = Symbol('CLOSE');

export type Outcome<K extends Api> = Reply<K> | typeof HANG | typeof CLOSE;
export type Handler<K extends Api> = (req: Received<K>, next: () => Promise<Reply<K>>) => Outcome<K> | Promise<Outcome<K>>;

interface Scripted {
  readonly apiKey: number;
  readonly match: (req: Received) => boolean;
  readonly handler: Handler<Api>;
}

interface Waiter {
  readonly match: (req: Received) => boolean;
  readonly resolve: (req: Received) => void;
}

export interface WaitOptions<K extends Api> {
  /** Only requests received by this node. */
  node?: number;
  /** Only requests after this log position (see mark()); default: any request, including earlier ones. */
  after?: number;
  where?: (req: Received<K>) => boolean;
  /** Safety net, not a timing assertion: fails the test with the request log instead of hanging it. Default 10 s. */
  timeoutMs?: number;
}

export class ScriptedCluster {
  readonly model: ClusterModel;
  readonly log: Received[] = [];
  private readonly servers = new Map<number, { server: Server; port: number }>();
  private readonly sockets = new Set<Socket>();
  private readonly scripted: Scripted[] = [];
  private readonly standing = new Map<number, Handler<Api>>();
  private readonly waiters = new Set<Waiter>();
  private readonly dataWaiters = new Set<() => void>();
  private connections = 0;
  private closed = false;
  /** Errors inside the scripted broker (a handler threw, a frame did not decode): checked by close(). */
  readonly failures: Error[] = [];

  private constructor(nodeIds: readonly number[]) {
    this.model = new ClusterModel(nodeIds, (id) => this.portOf(id), () => this.wakeFetches());
  }

  /** Starts one listener per node (default: nodes 1, 2 and 3). */
  static async start(nodeIds: readonly number[] = [1, 2, 3]): Promise<ScriptedCluster> {
    const c = new ScriptedCluster(nodeIds);
    for (const id of nodeIds) await c.listen(id);
    return c;
  }

  /** bootstrap.servers for a client: the first node only, so everything else is learnt from Metadata. */
  get bootstrap(): string {
    return `127.0.0.1:${this.portOf(this.model.nodeIds[0])}`;
  }

  portOf(nodeId: number): number {
    const s = this.servers.get(nodeId);
    if (s === undefined) throw new Error(`scripted cluster: no node ${nodeId}`);
    return s.port;
  }

  /** The current log length: pass it as `after` to wait for requests sent from now on. */
  mark(): number {
    return this.log.length;
  }

  /** Requests of one API received so far (optionally by one node, after a mark). */
  requests<K extends Api>(apiKey: K, options: { node?: number; after?: number } = {}): Received<K>[] {
    return this.log.filter((r): r is Received<K> => r.apiKey === apiKey
      && (options.node === undefined || r.nodeId === options.node)
      && (options.after === undefined || r.seq >= options.after));
  }

  /**
   * Answers the next request of `apiKey` (matching `where`, on `node`) with `outcome` instead of the model; each
   * scripted answer is used once, in the order scripted.
   */
  script<K extends Api>(apiKey: K, outcome: Outcome<K> | Handler<K>, options: { node?: number; where?: (req: Received<K>) => boolean } = {}): void {
    const handler = (typeof outcome === 'function' ? outcome : () => outcome) as unknown as Handler<Api>;
    this.scripted.push({
      apiKey,
      match: (req) => req.apiKey === apiKey && (options.node === undefined || req.nodeId === options.node)
        && (options.where === undefined || options.where(req as Received<K>)),
      handler,
    });
  }

  /** A standing handler for every request of `apiKey` (replacing the previous one); undefined restores the model. */
  handle<K extends Api>(apiKey: K, handler: Handler<K> | undefined): void {
    if (handler === undefined) this.standing.delete(apiKey);
    else this.standing.set(apiKey, handler as unknown as Handler<Api>);
  }

  /** Resolves with the first request matching, already received (after `after`) or still to come. */
  waitFor<K extends Api>(apiKey: K, options: WaitOptions<K> = {}): Promise<Received<K>> {
    const match = (req: Received): boolean => req.apiKey === apiKey
      && (options.node === undefined || req.nodeId === options.node)
      && (options.after === undefined || req.seq >= options.after)
      && (options.where === undefined || options.where(req as Received<K>));
    const seen = this.log.find(match);
    if (seen !== undefined) return Promise.resolve(seen as Received<K>);
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise<Received<K>>((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (req) => {
          clearTimeout(timer);
          resolve(req as Received<K>);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`scripted cluster: no matching request of API key ${apiKey} within ${timeoutMs} ms; log:\n${this.describeLog()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** One line per request received, for failure messages. */
  describeLog(last = 40): string {
    const start = this.log[0]?.at ?? 0;
    return this.log.slice(-last).map((r) => `#${r.seq} +${r.at - start}ms node ${r.nodeId} conn ${r.connection} ${apiKeyName(r.apiKey)} v${r.apiVersion} ${brief(r)}`).join('\n');
  }

  /** Stops the listeners and drops every connection. Rejects when the scripted broker itself failed. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeFetches();
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.servers.values()].map(({ server }) => new Promise<void>((r) => server.close(() => r()))));
    if (this.failures.length > 0) throw new AggregateError(this.failures, `scripted cluster: ${this.failures.length} failure(s): ${this.failures[0].message}`);
  }

  private async listen(nodeId: number): Promise<void> {
    const server = createServer((socket) => this.accept(nodeId, socket));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('scripted cluster: no port');
    this.servers.set(nodeId, { server, port: address.port });
  }

  private accept(nodeId: number, socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const connection = ++this.connections;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    // Responses leave in request order (Kafka's per-connection guarantee), whatever each handler waits for.
    let tail: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const size = buffered.readInt32BE(0);
        if (buffered.length < 4 + size) break;
        const frame = Buffer.from(buffered.subarray(4, 4 + size));
        buffered = buffered.subarray(4 + size);
        const req = this.receive(nodeId, connection, frame, socket);
        if (req === null) return;
        const answer = this.answer(req);
        tail = tail.then(async () => {
          const outcome = await answer;
          if (socket.destroyed) return;
          if (outcome === HANG) {
            // Everything behind it on this connection waits too, as behind a wedged broker.
            await new Promise<void>((resolve) => socket.once('close', () => resolve()));
            return;
          }
          if (outcome === CLOSE) {
            socket.destroy();
            return;
          }
          socket.write(encodeResponse(req.apiKey, req.apiVersion, req.correlationId, outcome as object));
        }).catch((err: unknown) => {
          this.failures.push(err instanceof Error ? err : new Error(String(err)));
          socket.destroy();
        });
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  private receive(nodeId: number, connection: number, frame: Buffer, socket: Socket): Received | null {
    let decoded: ReturnType<typeof decodeRequest>;
    try {
      decoded = decodeRequest(frame);
    } catch (err) {
      this.failures.push(err as Error);
      socket.destroy();
      return null;
    }
    const req: Received = {
      seq: this.log.length,
      at: Date.now(),
      nodeId,
      connection,
      apiKey: decoded.apiKey as Api,
      apiVersion: decoded.apiVersion,
      correlationId: decoded.correlationId,
      clientId: decoded.clientId,
      body: decoded.body as Received['body'],
    };
    this.log.push(req);
    for (const w of [...this.waiters]) {
      if (w.match(req)) {
        this.waiters.delete(w);
        w.resolve(req);
      }
    }
    return req;
  }

  private answer(req: Received): Promise<Outcome<Api>> {
    const next = async (): Promise<Reply<Api>> => this.model.reply(req, (ms) => this.waitForData(ms));
    const i = this.scripted.findIndex((s) => s.match(req));
    if (i >= 0) {
      const [s] = this.scripted.splice(i, 1);
      return Promise.resolve().then(() => s.handler(req, next));
    }
    const standing = this.standing.get(req.apiKey);
    if (standing !== undefined) return Promise.resolve().then(() => standing(req, next));
    return next();
  }

  /** A Fetch with nothing to return waits for an append, up to its maxWaitMs (the long poll). */
  private waitForData(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.dataWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.dataWaiters.add(done);
    });
  }

  private wakeFetches(): void {
    for (const w of [...this.dataWaiters]) w();
  }
}

function brief(req: Received): string {
  if (req.apiKey === ApiKey.Fetch) {
    // The fields that matter for a Fetch, per partition: offset, leader epoch, last fetched epoch, byte limit.
    const body = (req as Received<typeof ApiKey.Fetch>).body;
    return (body.topics ?? []).flatMap((t) => (t.partitions ?? []).map((p) =>
      `[${p.partition}]@${p.fetchOffset} epoch ${p.currentLeaderEpoch} last ${p.lastFetchedEpoch} max ${p.partitionMaxBytes}`)).join(', ');
  }
  const s = JSON.stringify(req.body, function (this: Record<string, unknown>, k: string, v: unknown) {
    const raw = this[k];
    return typeof raw === 'bigint' ? `${raw}n` : Buffer.isBuffer(raw) ? `<${raw.length} bytes>` : v;
  });
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}
