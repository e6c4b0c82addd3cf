// In-memory stand-ins for what the CLI drives (a consumer, stdout, stderr, signals): they test the CLI's own
// logic - the poll loop, signals, output, exit codes. They are not evidence that gregor talks to Kafka; the
// integration tests against the real broker are.
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isShareGroup } from '../../../src/cli/share-views.js';
import type { CliConsumer, CliDeps, CliMessage } from '../../../src/cli/deps.js';
import type { ResolvedConsumerConfig } from '../../../src/config/index.js';

export class MemoryStream extends EventEmitter {
  text = '';
  full = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return !this.full;
  }
}

/** A consumer whose poll() answers from a script: a message, null, an error, or a hook run while polling. */
export type PollStep = CliMessage | null | Error | ((stepIndex: number) => CliMessage | null | Promise<CliMessage | null>);

export class ScriptedConsumer implements CliConsumer {
  subscribed: string[][] = [];
  polls = 0;
  closed = 0;
  timeouts: number[] = [];
  constructor(readonly config: ResolvedConsumerConfig, private readonly steps: PollStep[]) {}
  subscribe(topics: string[]): void {
    this.subscribed.push(topics);
  }
  async poll(timeoutMs: number): Promise<CliMessage | null> {
    this.timeouts.push(timeoutMs);
    const step = this.steps[this.polls++];
    // A script that runs out is a broken test, not an endless stream of nulls (which would spin).
    if (step === undefined) throw new Error(`test script exhausted at poll ${this.polls}`);
    if (step instanceof Error) throw step;
    if (typeof step === 'function') return step(this.polls - 1);
    return step;
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

export interface Harness {
  deps: CliDeps;
  stdout: MemoryStream;
  stderr: MemoryStream;
  signals: EventEmitter;
  exits: number[];
  consumers: ScriptedConsumer[];
}

export function harness(steps: PollStep[] = [], overrides: Partial<CliDeps> = {}): Harness {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const signals = new EventEmitter();
  const exits: number[] = [];
  const consumers: ScriptedConsumer[] = [];
  const deps: CliDeps = {
    stdout, stderr, signals,
    exit: (code) => { exits.push(code); },
    createConsumer: (config) => {
      const c = new ScriptedConsumer(config, steps);
      consumers.push(c);
      return c;
    },
    createShareConsumer: () => { throw new Error('createShareConsumer is not scripted in this test'); },
    describeCluster: async () => ({ clusterId: 'c1', controllerId: 1, brokers: [{ id: 1, host: '127.0.0.1', port: 9092 }], topics: [{ name: 'poems', partitions: 3, replicationFactor: 1 }] }),
    listGroups: async () => [{ groupId: 'g1', state: 'Stable', protocolType: 'consumer', groupType: 'classic' }],
    describeGroup: async (_config, groupId) => ({
      groupId, type: 'classic', state: 'Stable', protocolType: 'consumer', assignor: 'range',
      coordinator: { id: 1, host: '127.0.0.1', port: 9094 },
      members: [{ memberId: 'm-1', groupInstanceId: null, clientId: 'gregor', clientHost: '/127.0.0.1', assignment: [{ topic: 'poems', partitions: [0, 1] }] }],
      offsets: [
        { topic: 'poems', partition: 0, committed: 10n, logEndOffset: 12n, lag: 2n, memberId: 'm-1' },
        { topic: 'poems', partition: 1, committed: null, logEndOffset: 12n, lag: null, memberId: 'm-1' },
        { topic: 'poems', partition: 2, committed: 12n, logEndOffset: null, lag: null, memberId: null },
      ],
    }),
    openGroupSampler: async (config, groupId) => ({
      sample: async () => {
        const g = await deps.describeGroup(config, groupId);
        if (isShareGroup(g)) throw new Error('a share group is not sampled in these tests');
        return g;
      },
      close: async () => {},
    }),
    resetOffsets: async () => { throw new Error('resetOffsets is not scripted in this test'); },
    deleteShareGroupOffsets: async () => undefined,
    ...overrides,
  };
  return { deps, stdout, stderr, signals, exits, consumers };
}

export function msg(key: string | null, value: string | null, offset = 0n, topic = 'poems'): CliMessage {
  return {
    topic, partition: 0, offset, key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value),
    headers: [], timestamp: 1700000000000, timestampType: 'CreateTime',
  };
}

const dir = mkdtempSync(join(tmpdir(), 'gregor-cli-'));
let n = 0;
export function configFile(text: string, name = 'config.ini'): string {
  const p = join(dir, `${++n}-${name}`);
  writeFileSync(p, text);
  return p;
}

export const HANDS_ON_INI = `[default]
bootstrap.servers=127.0.0.1:9094
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=alice
sasl.password=alice-secret

[consumer]
group.id=python_example_group_1
auto.offset.reset=earliest
`;

export const tick = () => new Promise((r) => setImmediate(r));
