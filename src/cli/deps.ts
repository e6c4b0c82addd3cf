// What the CLI needs from the rest of gregor and from the process, as interfaces.
//
// Why: the commands' own logic (argument handling, the poll loop, signals, output, exit codes) is tested with small
// in-memory stand-ins, and the real clients plug in through `defaultDeps` below. The CLI uses only the public
// client API; it never reaches into the consumer's internals.

import { UnsupportedError } from '../errors.js';
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

function notYet(what: string): never {
  throw new UnsupportedError(`${what} is not available in this build of gregor yet`);
}

/**
 * The real process and clients. The admin hooks are filled in as the admin side lands (src/cluster); the CLI only
 * calls the clients' public API.
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
  describeCluster: async () => notYet('cluster describe'),
  listGroups: async () => notYet('groups list'),
  describeGroup: async () => notYet('groups describe'),
};
