// The group coordinator: which broker owns this group's state and its committed offsets.
//
// Found with FindCoordinator (key type 0 = group), cached until a response says NOT_COORDINATOR or
// COORDINATOR_NOT_AVAILABLE, or the connection to it fails. Both the offset manager (commits, OffsetFetch) and the
// group membership send to it, on the 'group' lane so a long-polling Fetch never delays a heartbeat.

import { kafkaError } from '../../protocol/error-codes.js';
import { ApiKeys, type ConsumerClient, type RequestBody, type RequestOptions } from '../client.js';
import { withRetries } from '../retry.js';
import type { ConsumerSettings } from '../settings.js';

/** COORDINATOR_NOT_AVAILABLE (15) and NOT_COORDINATOR (16) mean "find the coordinator again". */
export function coordinatorMoved(errorCode: number): boolean {
  return errorCode === 15 || errorCode === 16;
}

export class GroupCoordinator {
  private nodeId: number | null = null;
  private finding: Promise<number> | null = null;

  constructor(
    private readonly client: ConsumerClient,
    readonly groupId: string,
    private readonly settings: ConsumerSettings,
  ) {}

  /** The coordinator's node id, looked up when not cached. Retries retriable errors until the deadline. */
  find(deadline: number, signal?: AbortSignal): Promise<number> {
    if (this.nodeId !== null) return Promise.resolve(this.nodeId);
    if (this.finding === null) {
      this.finding = withRetries(() => this.lookup(signal), {
        deadline,
        backoffMs: this.settings.retryBackoffMs,
        backoffMaxMs: this.settings.retryBackoffMaxMs,
        signal,
        what: `find the coordinator of group ${JSON.stringify(this.groupId)}`,
      }).finally(() => {
        this.finding = null;
      });
    }
    return this.finding;
  }

  /** Forgets the cached coordinator (it moved, or its connection failed). */
  invalidate(): void {
    this.nodeId = null;
  }

  /** Sends a request to the coordinator on the 'group' lane; invalidates the cache on connection failures. */
  async request(apiKey: number, body: RequestBody, deadline: number, options: RequestOptions = {}): Promise<any> {
    const node = await this.find(deadline, options.signal);
    try {
      return await this.client.request(node, apiKey, body, { lane: 'group', ...options });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_CONNECTION' || (err as { code?: string }).code === 'ERR_TIMEOUT') {
        this.invalidate();
      }
      throw err;
    }
  }

  /** Checks an error code from a coordinator response: invalidates on "moved", returns it unchanged. */
  note(errorCode: number): number {
    if (coordinatorMoved(errorCode)) this.invalidate();
    return errorCode;
  }

  private async lookup(signal?: AbortSignal): Promise<number> {
    // v4+ batches keys (coordinatorKeys); older versions take one key.
    const res = await this.client.requestAny(ApiKeys.FindCoordinator, (version) => version >= 4
      ? { keyType: 0, coordinatorKeys: [this.groupId] }
      : { key: this.groupId, keyType: 0 }, { signal });
    const entry = Array.isArray(res.coordinators) && res.coordinators.length > 0 ? res.coordinators[0] : res;
    if (entry.errorCode !== 0) {
      throw kafkaError(entry.errorCode, `FindCoordinator for group ${JSON.stringify(this.groupId)}`, entry.errorMessage);
    }
    this.client.addBroker(entry.nodeId, entry.host, entry.port);
    this.nodeId = entry.nodeId;
    return entry.nodeId;
  }
}
