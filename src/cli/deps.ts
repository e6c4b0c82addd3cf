// What the CLI needs from the rest of gregor and from the process, as interfaces.
//
// Why: the commands' own logic (argument handling, the poll loop, signals, output, exit codes) is tested with small
// in-memory stand-ins, and the real clients plug in through `defaultDeps` below. The CLI uses only the public
// client API; it never reaches into the consumer's internals.

import { TimeoutError } from '../errors.js';
import { clusterView, groupsView } from './admin-views.js';
import { resetAnyGroup, type ResetRequest, type ResetResult } from './reset-offsets.js';
import { describeAnyGroup, isShareGroup, shareGroupView, type ShareGroupDetails } from './share-views.js';
import { ShareCliConsumer } from './share-consume.js';
import type { ResolvedAdminConfig, ResolvedConsumerConfig } from '../config/index.js';
import type { ConsumerMetrics } from '../consumer/metrics.js';
import type { Admin } from '../admin/index.js';

/**
 * The message fields the CLI prints (gregor's Message has all of them). Key and value are bytes, or what
 * --key-deserializer / --value-deserializer made of them (a ConsumerRecord's).
 */
export interface CliMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: unknown;
  readonly value: unknown;
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: Uint8Array | null }>;
  /** Milliseconds since the epoch; -1 when the record has none. */
  readonly timestamp: number;
  readonly timestampType?: string;
  /** Share groups (KIP-932): how many times the broker has handed this record out (1 the first time). */
  readonly deliveryCount?: number;
}

/** The part of the Consumer API that `gregor consume` drives. */
export interface CliConsumer {
  subscribe(topics: string[]): void | Promise<void>;
  /** One message, or null when none arrived within timeoutMs. */
  poll(timeoutMs: number): Promise<CliMessage | null>;
  /** Commits what was delivered (with auto-commit), leaves the group, closes connections. */
  close(): Promise<void>;
  /** The consumer's metrics (served by --metrics-port); gregor's Consumer has it. */
  metrics?(): ConsumerMetrics;
  /** Its own Prometheus page, for a consumer whose metrics are not ConsumerMetrics (a share consumer's). */
  prometheus?(): string;
}

export interface BrokerDescription {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly rack?: string | null;
}

export interface ClusterDescription {
  readonly clusterId: string | null;
  readonly controllerId: number | null;
  readonly brokers: readonly BrokerDescription[];
  readonly topics: ReadonlyArray<{
    readonly name: string;
    readonly partitions: number;
    readonly replicationFactor?: number;
    readonly internal?: boolean;
  }>;
}

export interface GroupListing {
  readonly groupId: string;
  readonly state?: string;
  readonly protocolType?: string;
  readonly groupType?: string;
}

/** One partition of a group: owned by a member, or committed to, or both. */
export interface GroupPartitionView {
  readonly topic: string;
  readonly partition: number;
  /** null: no committed offset yet. */
  readonly committed: bigint | null;
  /** The partition's log end offset (the next offset to be written); null when it could not be read. */
  readonly logEndOffset: bigint | null;
  /** logEndOffset - committed; null when either is unknown. */
  readonly lag: bigint | null;
  /** The member that owns the partition now; null when none does. */
  readonly memberId: string | null;
}

/** `gregor groups describe`: the group, its members and what they own, committed offsets and lag per partition. */
export interface GroupDetails {
  readonly groupId: string;
  /** 'classic' or 'consumer' (KIP-848). */
  readonly type: string;
  readonly state: string;
  readonly protocolType: string;
  readonly assignor: string;
  readonly coordinator: BrokerDescription;
  readonly members: ReadonlyArray<{
    readonly memberId: string;
    readonly groupInstanceId: string | null;
    readonly clientId: string;
    readonly clientHost: string;
    readonly assignment: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly number[] }>;
  }>;
  readonly offsets: readonly GroupPartitionView[];
}

/** A writable text stream: process.stdout, or a stand-in in tests. */
export interface OutputStream {
  write(chunk: string): boolean;
  once(event: 'drain' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'drain' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
  /** True on a terminal (process.stdout has it): --watch redraws in place only there. */
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
}

/** Where SIGINT and SIGTERM come from: the process, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

/** `groups lag`: views of one group through one admin client (for --watch), until closed; a share group's with log ends. */
export interface GroupSampler {
  sample(): Promise<GroupDetails | ShareGroupDetails>;
  close(): Promise<void>;
}

export interface CliDeps {
  readonly stdout: OutputStream;
  readonly stderr: { write(chunk: string): unknown };
  readonly signals: SignalSource;
  /** Ends the process at once (a second Ctrl-C while closing). */
  exit(code: number): void;
  createConsumer(config: ResolvedConsumerConfig): CliConsumer | Promise<CliConsumer>;
  /** `consume --share`: a member of the share group group.id (explicit acknowledgement: see share-consume.ts). */
  createShareConsumer(config: ResolvedConsumerConfig): CliConsumer | Promise<CliConsumer>;
  describeCluster(config: ResolvedAdminConfig): Promise<ClusterDescription>;
  listGroups(config: ResolvedAdminConfig): Promise<readonly GroupListing[]>;
  /** A consumer group (classic or KIP-848), or a share group (KIP-932) when no consumer group has the id. */
  describeGroup(config: ResolvedAdminConfig, groupId: string): Promise<GroupDetails | ShareGroupDetails>;
  /** Forgets a share group's state for whole topics (the group must have no members). */
  deleteShareGroupOffsets(config: ResolvedAdminConfig, groupId: string, topics: readonly string[]): Promise<void>;
  openGroupSampler(config: ResolvedAdminConfig, groupId: string): Promise<GroupSampler>;
  /** Plans (and with request.execute, commits) a reset of the group's offsets (a share group's start offsets); warnings go to `warn`. */
  resetOffsets(config: ResolvedAdminConfig, request: ResetRequest, warn: (message: string) => void): Promise<ResetResult>;
}

/**
 * `work`, or a TimeoutError shortly after default.api.timeout.ms. The client bounds its own calls and its
 * bootstrapping by that timeout and says why it gave up (which broker, which error): this deadline is only the
 * backstop for a call that would outlive it, so it comes a second later and the client's own reason wins. At the
 * deadline `abandon` closes the client, which ends every pending connection attempt, so the process can exit at once.
 */
export async function withinApiTimeout<T>(work: Promise<T>, config: ResolvedAdminConfig, abandon: () => Promise<void>): Promise<T> {
  const timeoutMs = config['default.api.timeout.ms'] + BACKSTOP_GRACE_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const servers = config['bootstrap.servers'].join(',');
      reject(new TimeoutError(`no answer from the cluster at ${servers} within ${timeoutMs / 1000} s (default.api.timeout.ms + ${BACKSTOP_GRACE_MS / 1000} s)`));
      abandon().catch(() => undefined);
    }, timeoutMs);
  });
  work.catch(() => undefined); // rejected after the deadline: already reported
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const BACKSTOP_GRACE_MS = 1000;

/** Runs `view` with a new Admin, within default.api.timeout.ms, and closes the Admin. */
async function withAdmin<T>(config: ResolvedAdminConfig, view: (admin: Admin) => Promise<T>): Promise<T> {
  const { Admin } = await import('../index.js');
  const admin = new Admin(config);
  try {
    return await withinApiTimeout(view(admin), config, () => admin.close());
  } finally {
    await admin.close();
  }
}

/**
 * The real process and clients. The CLI only calls the clients' public API (Consumer, Admin), loaded on first use
 * from the package's index, so `gregor --help` and argument errors never load the client stack. The index, not the
 * modules: in the bundle (scripts/bundle.mjs) a dynamic import is an entry point of its own, and one per client class
 * cut the library into ~18 chunks that `import 'gregor'` then loaded one by one (+12 ms of CPU, +2 MiB).
 */
export const defaultDeps: CliDeps = {
  stdout: process.stdout,
  stderr: process.stderr,
  signals: process,
  exit: (code) => process.exit(code),
  createConsumer: async (config) => {
    // The package's index also registers the producer-backed dead-letter sink (gregor.error.policy=dead-letter).
    const { Consumer } = await import('../index.js');
    return new Consumer(config);
  },
  createShareConsumer: async (config) => {
    const { ShareConsumer } = await import('../index.js');
    return new ShareCliConsumer(new ShareConsumer(config));
  },
  describeCluster: (config) => withAdmin(config, clusterView),
  listGroups: (config) => withAdmin(config, groupsView),
  describeGroup: (config, groupId) => withAdmin(config, (admin) => describeAnyGroup(admin, groupId)),
  deleteShareGroupOffsets: (config, groupId, topics) => withAdmin(config, (admin) => admin.deleteShareGroupOffsets(groupId, topics)),
  openGroupSampler: async (config, groupId) => {
    const { Admin } = await import('../index.js');
    const admin = new Admin(config);
    // Once the id is known to name a share group, --watch asks for it directly rather than for a consumer group first.
    let share = false;
    const sample = async (): Promise<GroupDetails | ShareGroupDetails> => {
      const known = share ? await shareGroupView(admin, groupId, { logEnd: true }) : null;
      if (known !== null) return known;
      const g = await describeAnyGroup(admin, groupId, { logEnd: true });
      share = isShareGroup(g);
      return g;
    };
    return {
      sample: () => withinApiTimeout(sample(), config, () => admin.close()),
      close: () => admin.close(),
    };
  },
  resetOffsets: (config, request, warn) => withAdmin(config, (admin) => resetAnyGroup(admin, request, warn)),
};
