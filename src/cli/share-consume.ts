// `gregor consume --share`: a ShareConsumer (KIP-932) behind the CliConsumer interface the consume loop drives, so
// the loop, the output formats, the signals and the exit codes are the same as for a consumer group.
//
// What "printed" means for acknowledgements: the loop asks for the next record only after it wrote the previous one
// to the output, so a record is accepted when the next one is asked for, or at close(). The share consumer runs in
// explicit mode (share.acknowledgement.mode=explicit, set by the command), so nothing is accepted that was not
// handed to the loop: on Ctrl-C, close() accepts the record handed out last (printed, since the loop wrote it
// before seeing the signal) and releases the rest of the batch the broker lent us, which other members then get
// with their delivery count raised.
//
// --key-deserializer, --value-deserializer, --error-policy and --dead-letter-topic are the ShareConsumer's own
// settings: a record that cannot be deserialized never reaches this adapter (skip: rejected; dead-letter: written to
// the dead-letter topic, then accepted); under stop the ShareConsumer releases it and poll() raises the error, which
// ends the command as for a consumer group.

import type { CliConsumer, CliMessage } from './deps.js';
import type { ShareConsumerMetrics } from '../consumer/share/api.js';
import { sharePrometheusText } from '../consumer/share/metrics.js';

/** A record as the share consumer hands it out: a message plus its delivery count. */
export type ShareCliMessage = CliMessage & { readonly deliveryCount: number };

/** The part of ShareConsumer this adapter uses. */
export interface ShareConsumerLike<M extends ShareCliMessage> {
  subscribe(topics: readonly string[]): void;
  poll(timeoutMs: number): Promise<M[]>;
  acknowledge(record: M, type: 'accept' | 'release'): void;
  close(): Promise<void>;
  metrics?(): ShareConsumerMetrics;
}

export class ShareCliConsumer<M extends ShareCliMessage> implements CliConsumer {
  /** Records of the last poll not handed to the loop yet. */
  private batch: M[] = [];
  /** The record handed to the loop last, accepted once the loop comes back for more (it was printed). */
  private handed: M | undefined;

  constructor(private readonly share: ShareConsumerLike<M>) {}

  subscribe(topics: string[]): void {
    this.share.subscribe(topics);
  }

  async poll(timeoutMs: number): Promise<M | null> {
    this.acceptHanded();
    if (this.batch.length === 0) this.batch = await this.share.poll(timeoutMs);
    const next = this.batch.shift();
    if (next === undefined) return null;
    this.handed = next;
    return next;
  }

  /** The share consumer's metrics as a Prometheus page (--metrics-port). */
  prometheus(): string {
    if (this.share.metrics === undefined) throw new TypeError('this share consumer has no metrics()');
    return sharePrometheusText(this.share.metrics());
  }

  async close(): Promise<void> {
    this.acceptHanded();
    for (const r of this.batch) this.share.acknowledge(r, 'release');
    this.batch = [];
    await this.share.close();
  }

  private acceptHanded(): void {
    if (this.handed === undefined) return;
    this.share.acknowledge(this.handed, 'accept');
    this.handed = undefined;
  }
}
