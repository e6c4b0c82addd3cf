// How far a ShareConsumer acquires records ahead of its application (KIP-932). A record a ShareFetch acquires is
// locked to this member from the broker's answer on, and its delivery count is already raised: one that waits in the
// buffer until its lock ends was a delivery the application never saw. Another member gets it with the count raised
// again, and a group's share.delivery.count.limit may archive it without anyone having handled it. Java's
// ShareConsumeRequestManager fetches again only after the application polled what the last fetch brought; gregor
// keeps fetching ahead for throughput, but never more than the application has shown it takes within half a lock:
//
//   pace    the application's time per record: how long it stayed away between taking records and asking again,
//           divided by what it took (time spent waiting for records is not counted). It rises at once and falls
//           gradually, so one slow stretch shrinks the fetch-ahead at once and a single fast take does not undo it.
//           While the application is away now for longer than its pace explains (a stalled handler), that counts too.
//   budget  the records worth holding acquired and not yet handed out (buffered or asked for by a ShareFetch in
//           flight): (lock / 2) / pace, at least 1, at most the caller's cap (memory). Before any pace is known:
//           what the application asked for at once (a poll's max.poll.records, run()'s free slots).
//
// Pure: the share consumer feeds it takes and clock readings; fetchers ask it how many records to request.

/** The pace falls towards a faster sample by this fraction per take (it rises to a slower one at once). */
const DECAY = 0.3;

export class PrefetchBound {
  /** Milliseconds per record the application spends; null until measured. */
  private paceMs: number | null = null;
  /** Date.now() when records were last handed out, and how many; 0 while the application waits for records. */
  private handedAt = 0;
  private handed = 0;
  /** What the application asked for at once the last time (the budget before a pace is known). */
  private asked = 1;

  /** The application asks for up to `max` records at `now` (a poll, run() with free slots). */
  onAsk(max: number, now: number): void {
    this.asked = Math.max(1, max);
    if (this.handed > 0) {
      const sample = Math.max(0, now - this.handedAt) / this.handed;
      this.paceMs = this.paceMs === null || sample >= this.paceMs ? sample : this.paceMs + (sample - this.paceMs) * DECAY;
    }
    this.handed = 0;
  }

  /** `n` records were handed to the application at `now`. */
  onHandedOut(n: number, now: number): void {
    if (n <= 0) return;
    this.handed = n;
    this.handedAt = now;
  }

  /** Records worth holding acquired and not yet handed out at `now`, under a lock of `lockMs`, at most `cap`. */
  budget(lockMs: number, now: number, cap: number): number {
    // An absence still going on is a lower bound of the pace: it can only make the budget smaller.
    const away = this.handed > 0 ? Math.max(0, now - this.handedAt) / this.handed : 0;
    const fit = (pace: number): number => (pace <= 0 ? cap : Math.max(1, Math.min(cap, Math.floor(lockMs / 2 / pace))));
    if (this.paceMs === null) return Math.min(cap, away > 0 ? Math.min(this.asked, fit(away)) : this.asked);
    return fit(Math.max(this.paceMs, away));
  }

  /** The measured pace in ms per record (null: not yet), for metrics and tests. */
  get measuredPaceMs(): number | null {
    return this.paceMs;
  }
}
