// The gregor:share:acknowledge channel (src/diagnostics.ts) of one share consumer: an acknowledgement is traced from
// when it is made (acknowledge(), run()'s outcome, the implicit accept) until the broker applied or refused it, which
// is one or more requests later (acknowledgements ride on the next ShareFetch or ShareAcknowledge to the record's
// broker). Only while someone subscribes: without subscribers nothing is kept.

import { channels, type AcknowledgeDiagnostics } from '../../diagnostics.js';
import { ACK_NAMES, AckType, type AckTypeCode } from './acknowledgements.js';
import type { ShareMessage } from './api.js';

const key = (topic: string, partition: number, offset: bigint, renew: boolean) => `${renew ? 'r' : 'f'}${partition}:${offset}:${topic}`;

export class AckTraces {
  /** Acknowledgements made and not answered yet, by record and kind (a renewal and a final one may both be out). */
  private readonly pending = new Map<string, AcknowledgeDiagnostics>();

  constructor(private readonly clientId: string, private readonly groupId: string) {}

  /** An acknowledgement was made (GAP is the consumer's own, not traced). */
  made(record: ShareMessage, code: AckTypeCode): void {
    if (code === AckType.GAP || !channels.acknowledge.hasSubscribers) return;
    const renew = code === AckType.RENEW;
    const k = key(record.topic, record.partition, record.offset, renew);
    // A final acknowledgement supersedes a renewal not sent yet (AckQueue drops it): that one ends here.
    if (!renew) this.settle(key(record.topic, record.partition, record.offset, true), null);
    this.settle(k, null);
    const payload: AcknowledgeDiagnostics = {
      clientId: this.clientId, groupId: this.groupId, record, type: ACK_NAMES[code] as AcknowledgeDiagnostics['type'],
    };
    const { start, end } = channels.acknowledge;
    start.publish(payload);
    end.publish(payload);
    this.pending.set(k, payload);
  }

  /** The broker applied (error null) or refused an acknowledgement of this kind. */
  answered(topic: string, partition: number, offset: bigint, code: AckTypeCode, error: Error | null): void {
    if (this.pending.size === 0) return;
    this.settle(key(topic, partition, offset, code === AckType.RENEW), error);
  }

  /** A final acknowledgement refused before it was sent (its lock had ended). */
  refused(topic: string, partition: number, offset: bigint, error: Error): void {
    if (this.pending.size === 0) return;
    this.settle(key(topic, partition, offset, false), error);
  }

  private settle(k: string, error: Error | null): void {
    const payload = this.pending.get(k);
    if (payload === undefined) return;
    this.pending.delete(k);
    const ch = channels.acknowledge;
    if (error !== null) {
      payload.error = error;
      ch.error.publish(payload);
    }
    ch.asyncStart.publish(payload);
    ch.asyncEnd.publish(payload);
  }
}
