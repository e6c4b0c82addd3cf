// What the CLI needs from the rest of gregor and from the process, as interfaces.
//
// Why: the commands' own logic (argument handling, the poll loop, signals, output, exit codes) is tested with small
// in-memory stand-ins, and the real clients plug in through `defaultDeps` below. The CLI uses only the public
// client API; it never reaches into the consumer's internals.

import { TimeoutError, UnsupportedError } from '../errors.js';
import type { ResolvedAdminConfig, ResolvedConsumerConfig } from '../config/index.js';

/** The message fields the CLI prints (gregor's Message has all of them). */
export interface CliMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: Uint8Array | null }>;
  /** Milliseconds since the epoch; -1 when the record has none. */
  readonly timestamp: number;
  readonly timestampType?: string;
}

/** The part of the Consumer API that `gregor consume` drives. */
export interface CliConsumer {
  subscribe(topics: string[]): void | Promise<void>;
  /** One message, or null when none arrived within timeoutMs. */
  poll(timeoutMs: number): Promise<CliMessage | null>;
  /** Commits what was delivered (with auto-commit), leaves the group, closes connections. */
  close(): Promise<void>;
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

/** `gregor groups describe`: a plain object printed as it is (the groups issue defines its fields). */
export type GroupDescription = Readonly<Record<string, unknown>>;

/** A writable text stream: process.stdout, or a stand-in in tests. */
export interface OutputStream {
  write(chunk: string): boolean;
  once(event: 'drain' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'drain' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
}

/** Where SIGINT and SIGTERM come from: the process, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export interface CliDeps {
  readonly stdout: OutputStream;
  readonly stderr: { write(chunk: string): unknown };
  readonly signals: SignalSource;
  /** Ends the process at once (a second Ctrl-C while closing). */
  exit(code: number): void;
  createConsumer(config: ResolvedConsumerConfig): CliConsumer | Promise<CliConsumer>;
  describeCluster(config: ResolvedAdminConfig): Promise<ClusterDescription>;
  listGroups(config: ResolvedAdminConfig): Promise<readonly GroupListing[]>;
  describeGroup(config: ResolvedAdminConfig, groupId: string): Promise<GroupDescription>;
}

/**
 * `work`, or a TimeoutError once default.api.timeout.ms has passed. Why a deadline of its own: the admin calls
 * retry until that deadline, but a bootstrap that never connects waits the network layer's own bootstrap
 * timeout (30 s) first. At the deadline `abandon` closes the client, which ends every pending connection attempt,
 * so the process can exit at once.
 */
export async function withinApiTimeout<T>(work: Promise<T>, config: ResolvedAdminConfig, abandon: () => Promise<void>): Promise<T> {
  const timeoutMs = config['default.api.timeout.ms'];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const servers = config['bootstrap.servers'].join(',');
      reject(new TimeoutError(`no answer from the cluster at ${servers} within ${timeoutMs / 1000} s (default.api.timeout.ms)`));
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

function notYet(what: string): never {
  throw new UnsupportedError(`${what} is not available in this build of gregor yet`);
}

/**
 * The real process and clients. The CLI only calls the clients' public API (Consumer, Admin); the group views wait
 * for the groups issue.
 */
export const defaultDeps: CliDeps = {
  stdout: process.stdout,
  stderr: process.stderr,
  signals: process,
  exit: (code) => process.exit(code),
  // Loaded on first use, so `gregor --help` and argument errors never load the client stack.
  createConsumer: async (config) => {
    const { Consumer } = await import('../consumer/consumer.js');
    return new Consumer(config);
  },
  describeCluster: async (config) => {
    const { Admin } = await import('../admin/index.js');
    const admin = new Admin(config);
    // Two reads of the same cluster state: DescribeCluster (KIP-700) for the id, controller and brokers, and an
    // all-topics Metadata request for the topics. Internal topics are kept (marked), as Kafka's own tools do.
    const work = Promise.all([admin.describeCluster(), admin.listTopics({ includeInternal: true })]);
    try {
      const [cluster, topics] = await withinApiTimeout(work, config, () => admin.close());
      return {
        clusterId: cluster.clusterId,
        controllerId: cluster.controllerId < 0 ? null : cluster.controllerId,
        brokers: cluster.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
        topics: topics.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, internal: t.internal })),
      };
    } finally {
      await admin.close();
    }
  },
  listGroups: async () => notYet('groups list'),
  describeGroup: async () => notYet('groups describe'),
};
