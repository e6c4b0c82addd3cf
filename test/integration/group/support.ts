// Small helpers shared by the group integration tests (test/integration/group/*.test.ts and
// test/integration/consumer/group.test.ts): waiting on a condition (never on a sleep ratio), an application-like
// poll loop in the background, partition keys, and the KIP-848 per-group timeouts.
import type { Consumer, Message, TopicPartition } from '../../../src/index.js';
import { setGroupConfig } from '../helpers/kafka.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once `check()` holds, checking every 50 ms; rejects naming `what` after `timeoutMs` (a function is
 * called then, so the message can show the state at the timeout). The timeout is a hang guard, not a performance
 * bound: keep it generous (a loaded 2-core CI machine is slow).
 */
export function waitFor(check: () => boolean, what: string | (() => string), timeoutMs = 90_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      let ok: boolean;
      try {
        ok = check();
      } catch (err) {
        reject(err as Error);
        return;
      }
      if (ok) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

export interface Runner {
  /** Stops polling after the poll in progress; resolves when the loop has ended, rejects with poll()'s error if it threw. */
  stop(): Promise<void>;
  /** The error poll() threw (the loop stops on it), or null. */
  error(): unknown;
}

/**
 * Polls in the background, as an application would, and appends what the member receives to `sink`. An error from
 * poll() ends the loop; stop() rejects with it and error() shows it at once (a test waiting on a condition can
 * check it, so a failed member fails the test instead of timing it out).
 */
export function run(c: Consumer, sink: Message[]): Runner {
  let stopped = false;
  let failure: unknown = null;
  const loop = (async () => {
    while (!stopped) {
      try {
        const m = await c.poll(200);
        if (m !== null) sink.push(m);
      } catch (err) {
        failure = err;
        return;
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      if (failure !== null) throw failure;
    },
    error: () => failure,
  };
}

/** A runner that does nothing: the initial value of a `let` that a test replaces once it starts polling. */
export const idle: Runner = { stop: async () => {}, error: () => null };

export const key = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;

/** Partition numbers of `topic` that a member owns, sorted, for messages and comparisons. */
export const partitionsOf = (tps: readonly TopicPartition[]): number[] => tps.map((tp) => tp.partition).sort((a, b) => a - b);

/**
 * KIP-848 groups take their session timeout and heartbeat interval from the broker: set them per group (the
 * harness broker allows down to 1 s / 100 ms) so member-loss tests are quick.
 */
export async function kip848GroupTimeouts(group: string, sessionTimeoutMs = 6000, heartbeatIntervalMs = 250): Promise<void> {
  await setGroupConfig(group, {
    'consumer.session.timeout.ms': String(sessionTimeoutMs),
    'consumer.heartbeat.interval.ms': String(heartbeatIntervalMs),
  });
}
