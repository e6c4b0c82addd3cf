// All broker connections of one client: brokers by node id, plus the bootstrap addresses as pseudo-nodes.
//
// Bootstrap (the first contact): the configured addresses are tried one at a time, starting at a random one so that
// many clients spread over them, round after round (each address honouring its own reconnect backoff) until one
// answers ApiVersions (and SASL) or `bootstrapTimeoutMs` passes; the error then lists every address's last failure.
// Authentication and TLS failures stop bootstrapping at once: another round would not fix a password.
//
// Once metadata names the real brokers (`updateBrokers`), requests go to node ids. A node whose address changed is
// replaced (its old connections closed); nodes that left the cluster are closed. Bootstrap pseudo-nodes stay until
// close() or a rebootstrap (KIP-899: when no known broker answers, or rebootstrap() is asked for, every known broker
// and bootstrap connection is dropped and the client starts over from bootstrap.servers, resolved again).

import { inspect } from 'node:util';
import { AbortError, ConnectionError, StateError, isGregorError } from '../errors.js';
import { raceAbort, sleep } from './abort.js';
import type { RequestBodyFor, ResponseBody } from '../protocol/index.js';
import { Broker, type BrokerRequestOptions } from './broker.js';
import {
  formatAddress,
  resolveNetworkOptions,
  type NetworkOptions,
  type ResolvedNetworkOptions,
} from './options.js';

export interface BrokerMetadata {
  nodeId: number;
  host: string;
  port: number;
  rack?: string | null;
}

export class Pool {
  readonly options: ResolvedNetworkOptions;
  private readonly brokers = new Map<number, Broker>();
  private bootstrapBrokers: Broker[];
  /** Connection attempts and failures of brokers a rebootstrap retired, so the totals never go down. */
  private readonly retired = { attempts: 0, errors: 0 };
  /** Times the client went back to the bootstrap addresses after knowing brokers (KIP-899). */
  rebootstraps = 0;
  private bootstrapping: Promise<Broker> | undefined;
  /** Set once metadata named brokers: from then on, with metadata.recovery.strategy=none, bootstrap.servers is never asked again. */
  private learned = false;
  private closed = false;
  private readonly closeController = new AbortController();

  /** Accepts raw options (validated here) or options already resolved by `resolveNetworkOptions`. */
  constructor(options: NetworkOptions | ResolvedNetworkOptions) {
    this.options = isResolved(options) ? options : resolveNetworkOptions(options);
    this.bootstrapBrokers = this.newBootstrapBrokers();
  }

  private newBootstrapBrokers(): Broker[] {
    return this.options.bootstrapServers.map((a, i) => new Broker(-(i + 1), a.host, a.port, this.options));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Known brokers by node id (from metadata; bootstrap pseudo-nodes excluded). */
  get nodes(): ReadonlyMap<number, Broker> {
    return this.brokers;
  }

  /** The broker with this node id (negative ids are bootstrap pseudo-nodes), or undefined. */
  broker(nodeId: number): Broker | undefined {
    if (nodeId < 0) return this.bootstrapBrokers[-nodeId - 1];
    return this.brokers.get(nodeId);
  }

  /** Like `broker()` but throws when the node is not known (metadata must name it first). */
  brokerFor(nodeId: number): Broker {
    this.checkOpen();
    const b = this.broker(nodeId);
    if (b === undefined) {
      throw new ConnectionError(`broker node ${nodeId} is not in the cluster metadata`, undefined, { retriable: true });
    }
    return b;
  }

  /**
   * Replaces the known brokers with those of a Metadata response. Connections to brokers whose address is unchanged
   * are kept; moved or removed brokers are closed (their pending requests fail with a retriable ConnectionError).
   */
  updateBrokers(list: readonly BrokerMetadata[]): void {
    if (this.closed) return;
    if (list.length > 0) this.learned = true;
    const seen = new Set<number>();
    for (const m of list) {
      seen.add(m.nodeId);
      const existing = this.brokers.get(m.nodeId);
      if (existing && existing.host === m.host && existing.port === m.port && !existing.isClosed) continue;
      if (existing) {
        existing.close(
          new ConnectionError(
            `broker node ${m.nodeId} moved from ${existing.address} to ${formatAddress(m)}`,
            existing.address,
          ),
        );
      }
      this.brokers.set(m.nodeId, new Broker(m.nodeId, m.host, m.port, this.options, m.rack ?? null));
    }
    for (const [id, b] of this.brokers) {
      if (!seen.has(id)) {
        b.close(new ConnectionError(`broker node ${id} (${b.address}) left the cluster`, b.address));
        this.brokers.delete(id);
      }
    }
  }

  /**
   * Adds or updates one broker learned outside a Metadata response (FindCoordinator answers with the coordinator's
   * node id and address). Unlike updateBrokers, other brokers are left alone.
   */
  addBroker(nodeId: number, host: string, port: number, rack: string | null = null): Broker {
    this.checkOpen();
    const existing = this.brokers.get(nodeId);
    if (existing && existing.host === host && existing.port === port && !existing.isClosed) return existing;
    existing?.close(
      new ConnectionError(`broker node ${nodeId} moved from ${existing.address} to ${formatAddress({ host, port })}`, existing.address),
    );
    const b = new Broker(nodeId, host, port, this.options, rack);
    this.brokers.set(nodeId, b);
    this.learned = true;
    return b;
  }

  /** Sends a request to a node (see Broker.request). */
  request<K extends number>(nodeId: number, apiKey: K, body: RequestBodyFor<K>, options?: BrokerRequestOptions): Promise<ResponseBody<K>> {
    try {
      return this.brokerFor(nodeId).request(apiKey, body, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * A ready broker to send cluster-wide requests (Metadata, FindCoordinator) to: the least loaded known broker that
   * is connected, else any known broker that connects, else a bootstrap address.
   */
  async anyBroker(signal?: AbortSignal): Promise<Broker> {
    this.checkOpen();
    const known = [...this.brokers.values()].filter((b) => !b.isClosed && b.failure === undefined);
    const connected = known.filter((b) => b.connection('default') !== undefined);
    if (connected.length > 0) {
      connected.sort((a, b) => a.load - b.load);
      return connected[0];
    }
    const failures: string[] = [];
    for (const b of shuffle(known)) {
      try {
        await b.ready(signal);
        return b;
      } catch (err) {
        if (isStop(err)) throw err;
        failures.push(`${b.address}: ${(err as Error).message}`);
      }
    }
    if (this.learned && this.options.metadataRecoveryStrategy === 'none') {
      // KIP-899's 'none': the bootstrap addresses are for the first contact only, even when every known broker is
      // gone from the client's view (a metadata answer that named none, brokers that left), not just unreachable.
      throw new ConnectionError(`no known broker reachable (metadata.recovery.strategy is none): ${failures.join('; ') || 'no broker known'}`,
        undefined, { retriable: true });
    }
    if (known.length > 0) {
      // KIP-899: the cluster may have been replaced behind the bootstrap addresses; start over from them.
      this.rebootstrap(`no known broker reachable: ${failures.join('; ')}`);
    }
    return this.bootstrap(signal);
  }

  /**
   * Forgets every known broker (their connections close, pending requests fail with a retriable ConnectionError) so
   * that the next anyBroker() starts again from the bootstrap addresses (KIP-899, KIP-1102: REBOOTSTRAP_REQUIRED, or
   * metadata.recovery.rebootstrap.trigger.ms without metadata). Returns false, doing nothing, when
   * metadata.recovery.strategy is none.
   */
  rebootstrap(reason: string): boolean {
    if (this.closed || this.options.metadataRecoveryStrategy === 'none') return false;
    this.options.logger.warn('rebootstrapping: the known brokers are forgotten', { reason, brokers: [...this.brokers.keys()] });
    const err = new ConnectionError(`rebootstrapping (${reason})`);
    // The bootstrap addresses' own connections too: a name or load balancer may lead elsewhere now, and a new
    // connection resolves it again (unless a bootstrap is under way: its connections are new already).
    const replaceBootstrap = this.bootstrapping === undefined;
    for (const b of [...this.brokers.values(), ...(replaceBootstrap ? this.bootstrapBrokers : [])]) {
      this.retired.attempts += b.stats.connectAttempts;
      this.retired.errors += b.stats.connectFailures;
      b.close(err);
    }
    this.brokers.clear();
    if (replaceBootstrap) this.bootstrapBrokers = this.newBootstrapBrokers();
    this.rebootstraps += 1;
    return true;
  }

  /**
   * Connects to one of the bootstrap addresses (coalesced: concurrent callers share one attempt). Rejects with a
   * ConnectionError listing every address when none answered within bootstrapTimeoutMs, or at once with the
   * AuthenticationError / TlsError that one of them produced.
   */
  bootstrap(signal?: AbortSignal): Promise<Broker> {
    if (this.closed) return Promise.reject(new StateError('the client is closed'));
    if (this.bootstrapping === undefined) {
      const p = this.runBootstrap();
      this.bootstrapping = p;
      const clear = (): void => {
        if (this.bootstrapping === p) this.bootstrapping = undefined;
      };
      p.then(clear, clear);
    }
    return signal ? raceAbort(this.bootstrapping, signal) : this.bootstrapping;
  }

  private async runBootstrap(): Promise<Broker> {
    const deadline = Date.now() + this.options.bootstrapTimeoutMs;
    const lastError = new Map<Broker, string>();
    const start = Math.floor(Math.random() * this.bootstrapBrokers.length);
    const order = this.bootstrapBrokers.map((_, i) => this.bootstrapBrokers[(start + i) % this.bootstrapBrokers.length]);
    const signal = this.closeController.signal;
    while (true) {
      for (const b of order) {
        if (this.closed) throw new StateError('the client is closed');
        if (b.failure) throw b.failure;
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        const attempt = AbortSignal.any([signal, AbortSignal.timeout(remaining)]);
        try {
          await b.ready(attempt);
          return b;
        } catch (err) {
          if (b.failure) throw b.failure; // authentication, TLS, unsupported: never retried
          if (this.closed) throw new StateError('the client is closed');
          // An attempt cut short by the deadline says less than the failure before it.
          if (!attempt.aborted || !lastError.has(b)) {
            lastError.set(b, attempt.aborted ? 'no answer before the bootstrap deadline' : describe(err));
          }
        }
      }
      if (Date.now() >= deadline) break;
      // Every address failed this round; each broker's backoff spaces the next round's attempts.
      await sleep(Math.min(this.options.reconnectBackoffMs, Math.max(0, deadline - Date.now())), signal, { ref: true });
    }
    const detail = this.bootstrapBrokers.map((b) => `${b.address} (${lastError.get(b) ?? 'not tried'})`).join('; ');
    throw new ConnectionError(
      `no bootstrap server answered within ${this.options.bootstrapTimeoutMs} ms: ${detail}`,
      this.bootstrapBrokers.map((b) => b.address).join(','),
    );
  }

  /**
   * Closes every connection. Pending requests reject with AbortError; later calls reject with StateError.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new AbortError('the client was closed');
    this.closeController.abort(err);
    for (const b of this.bootstrapBrokers) b.close(err);
    for (const b of this.brokers.values()) b.close(err);
    this.brokers.clear();
  }

  /** Connection attempts over every broker (bootstrap included); for tests of retry behaviour. */
  get connectAttempts(): number {
    let n = this.retired.attempts;
    for (const b of this.bootstrapBrokers) n += b.stats.connectAttempts;
    for (const b of this.brokers.values()) n += b.stats.connectAttempts;
    return n;
  }

  /** Open connections, attempts and failed attempts over every broker (bootstrap included), for metrics. */
  connectionStats(): { open: number; attempts: number; errors: number } {
    const out = { open: 0, attempts: this.retired.attempts, errors: this.retired.errors };
    for (const list of [this.bootstrapBrokers, this.brokers.values()]) {
      for (const b of list) {
        out.open += b.openConnections;
        out.attempts += b.stats.connectAttempts;
        out.errors += b.stats.connectFailures;
      }
    }
    return out;
  }

  private checkOpen(): void {
    if (this.closed) throw new StateError('the client is closed');
  }

  [inspect.custom](): string {
    return `Pool { brokers: [${[...this.brokers.keys()].join(', ')}], bootstrap: [${this.bootstrapBrokers
      .map((b) => b.address)
      .join(', ')}]${this.closed ? ', closed' : ''} }`;
  }
}

function isResolved(o: NetworkOptions | ResolvedNetworkOptions): o is ResolvedNetworkOptions {
  const first = (o as ResolvedNetworkOptions).bootstrapServers;
  return Array.isArray(first) && first.length > 0 && typeof first[0] === 'object' && 'logger' in o && o.logger !== undefined;
}

function isStop(err: unknown): boolean {
  return err instanceof AbortError || err instanceof StateError;
}

function describe(err: unknown): string {
  if (isGregorError(err) || err instanceof Error) return err.message;
  return String(err);
}

function shuffle<T>(list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}
