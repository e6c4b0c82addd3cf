// gregor cluster describe, gregor groups list, gregor groups describe: read-only views of the cluster.
// The data comes from the admin side of gregor through CliDeps; this file parses the command line and prints.

import { UsageError, configFileArg, loadClientConfig, oneOf, parseCommandArgs, parseProperties, propertyOverrides } from '../args.js';
import type { ResolvedAdminConfig } from '../../config/index.js';
import type { CliDeps, ClusterDescription, GroupListing } from '../deps.js';

export interface AdminCommandOptions {
  readonly configFile: string;
  readonly format: 'text' | 'json';
  readonly properties: ReadonlyArray<[string, string]>;
  readonly verbose: boolean;
  /** groups describe only. */
  readonly groupId?: string;
}

const COMMON = {
  'format': { type: 'string' },
  'property': { type: 'string', short: 'p', multiple: true },
  'verbose': { type: 'boolean', short: 'v' },
  'help': { type: 'boolean', short: 'h' },
} as const;

/** Parses the arguments of an admin command; 'help' when --help was asked for. Throws UsageError. */
export function parseAdminArgs(command: string, argv: string[], needsGroup = false): AdminCommandOptions | 'help' {
  const options = needsGroup ? { ...COMMON, group: { type: 'string', short: 'g' } } as const : COMMON;
  const { values, positionals } = parseCommandArgs(command, argv, options);
  if (values.help === true) return 'help';
  const configFile = configFileArg(command, positionals);
  const group = values.group as string | undefined;
  if (needsGroup && (group === undefined || group.trim() === '')) throw new UsageError('--group <id> is required', command);
  return {
    configFile,
    format: oneOf(command, '--format', values.format as string | undefined, ['text', 'json'] as const, 'text'),
    properties: parseProperties(command, values.property as string[] | undefined),
    verbose: values.verbose === true,
    ...(needsGroup ? { groupId: group!.trim() } : {}),
  };
}

function adminConfig(opts: AdminCommandOptions, deps: CliDeps): ResolvedAdminConfig {
  return loadClientConfig('admin', opts.configFile, propertyOverrides([...opts.properties]),
    (w) => { deps.stderr.write(`gregor: warning: ${w.message}\n`); });
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatCluster(d: ClusterDescription): string {
  const brokers = [...d.brokers].sort((a, b) => a.id - b.id);
  const topics = [...d.topics].sort((a, b) => a.name.localeCompare(b.name));
  const controller = brokers.find((b) => b.id === d.controllerId);
  const lines = [
    `Cluster id: ${d.clusterId ?? '(none)'}`,
    `Controller: ${d.controllerId === null ? '(unknown)' : `${d.controllerId}${controller ? ` (${controller.host}:${controller.port})` : ''}`}`,
    `Brokers: ${brokers.length}`,
    table(['  ID', 'HOST', 'PORT', 'RACK'], brokers.map((b) => [`  ${b.id}`, b.host, String(b.port), b.rack ?? '-'])),
    `Topics: ${topics.length}`,
  ];
  if (topics.length > 0) {
    lines.push(table(['  NAME', 'PARTITIONS', 'REPLICATION'],
      topics.map((t) => [`  ${t.name}${t.internal ? ' (internal)' : ''}`, String(t.partitions), t.replicationFactor === undefined ? '-' : String(t.replicationFactor)])));
  }
  return lines.join('\n');
}

export function formatGroups(groups: readonly GroupListing[]): string {
  if (groups.length === 0) return 'No consumer groups.';
  const sorted = [...groups].sort((a, b) => a.groupId.localeCompare(b.groupId));
  return table(['GROUP', 'STATE', 'TYPE', 'PROTOCOL TYPE'],
    sorted.map((g) => [g.groupId, g.state ?? '-', g.groupType ?? '-', g.protocolType ?? '-']));
}

function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

export async function runClusterDescribe(opts: AdminCommandOptions, deps: CliDeps): Promise<number> {
  const description = await deps.describeCluster(adminConfig(opts, deps));
  deps.stdout.write(`${opts.format === 'json' ? json(description) : formatCluster(description)}\n`);
  return 0;
}

export async function runGroupsList(opts: AdminCommandOptions, deps: CliDeps): Promise<number> {
  const groups = await deps.listGroups(adminConfig(opts, deps));
  deps.stdout.write(`${opts.format === 'json' ? json(groups) : formatGroups(groups)}\n`);
  return 0;
}

export async function runGroupsDescribe(opts: AdminCommandOptions, deps: CliDeps): Promise<number> {
  const description = await deps.describeGroup(adminConfig(opts, deps), opts.groupId!);
  // The text layout of a group description comes with the groups issue; until then both formats print JSON.
  deps.stdout.write(`${json(description)}\n`);
  return 0;
}
