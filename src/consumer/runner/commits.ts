// run()'s commits: of each partition the completed prefix (the committed offset) and the completions beyond it (the
// commit's metadata, metadata.ts), one commit at a time; every failure reported (a warning, the summary's counter, the
// consumer's 'commitFailed' event). A partition whose completions outgrow metadataMaxBytes is paused until they fit.

import type { OffsetToCommit } from '../offsets.js';
import { encodeCompleted } from './metadata.js';
import type { Committable } from './offset-tracker.js';
import type { RunCommitReason } from './options.js';
import type { Part, RunnerHost, RunSummary } from './state.js';

export class RunCommits {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: RunnerHost,
    private readonly summary: RunSummary,
    private readonly metadataMaxBytes: number,
    /** Takes records again soon (a partition paused for its metadata resumed). */
    private readonly kick: () => void,
  ) {}

  /**
   * Commits the completed prefix and the completions beyond it of `parts` (read when the commit starts), serialised
   * after any commit in progress. Partitions whose metadata does not fit are paused until it does.
   */
  commit(parts: () => Iterable<Part>, reason: RunCommitReason): Promise<void> {
    const run = this.chain.then(async () => {
      const list: OffsetToCommit[] = [];
      const chosen: { p: Part; offset: bigint; metadata: string }[] = [];
      for (const p of parts()) {
        if ((p.phase !== 'active' && p.phase !== 'revoking') || p.tracker === null) continue;
        const c = p.tracker.committable();
        if (c === null) continue;
        const enc = this.checkMetadataSize(p, c);
        if (p.lastCommit !== null && p.lastCommit.offset === c.offset && p.lastCommit.metadata === enc) continue;
        list.push({ topic: p.tp.topic, partition: p.tp.partition, offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: enc });
        chosen.push({ p, offset: c.offset, metadata: enc });
      }
      if (list.length === 0) return;
      try {
        await this.host.commit(list);
      } catch (err) {
        this.failed(reason, err, list);
        throw err;
      }
      for (const x of chosen) x.p.lastCommit = { offset: x.offset, metadata: x.metadata };
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /** Every failed commit is observable: a warning, the summary's counter, and the consumer's 'commitFailed' event. */
  private failed(reason: RunCommitReason, error: unknown, list: readonly OffsetToCommit[]): void {
    const failures = ++this.summary.commitFailures;
    const offsets = list.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }));
    this.host.logger.warn(`run(): ${reason} commit failed; the records stay uncommitted`, {
      error: error instanceof Error ? error.message : String(error),
      partitions: offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`).join(' '),
      failures,
    });
    try {
      this.host.commitFailed({ reason, error, offsets, failures });
    } catch (err) {
      // A throwing listener must not break the commit chain.
      this.host.logger.warn('run(): a commitFailed listener threw', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * The metadata for `p` now; pauses fetching the partition when its completions do not fit in metadataMaxBytes
   * (records beyond the gap would go on piling up) and resumes it once they fit again.
   */
  checkMetadataSize(p: Part, c: Committable | null = p.tracker?.committable() ?? null): string {
    if (c === null) return '';
    const enc = encodeCompleted(c.offset, c.ranges, this.metadataMaxBytes);
    if (!enc.complete && !p.pausedForMetadata && p.phase === 'active') {
      p.pausedForMetadata = true;
      this.host.logger.info('run(): completions beyond the gap exceed metadataMaxBytes; fetching paused until it closes', { partition: p.key, offset: String(c.offset) });
      try {
        this.host.pauseFetch(p.tp);
      } catch {
        // no longer owned: nothing to pause
      }
    } else if (enc.complete && p.pausedForMetadata) {
      p.pausedForMetadata = false;
      try {
        this.host.resumeFetch(p.tp);
      } catch {
        // no longer owned
      }
      this.kick();
    }
    return enc.metadata;
  }
}
