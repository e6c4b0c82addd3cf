// gregor cluster describe, gregor groups list, gregor groups describe: read-only views of the cluster.
// The data comes from the admin side of gregor through CliDeps; this file parses the command line and prints.

import { UsageError, configFileArg, mergeProperties, oneOf, parseCommandArgs, parseProperties, propertyOverrides } from '../args.js';
import { resolveConfig, type LogFunction, type ResolvedAdminConfig } from '../../config/index.js';
import { TimeoutError } from '../../errors.js';
import { cliLogger } from './consume.js';
import type { CliDeps, ClusterDescription, GroupDetails, GroupListing } from '../deps.js';
import { formatShareGroup, isShareGroup } from '../share-views.js';

export interface AdminCommandOptions {
  /** 'cluster describe', 'groups list' or 'groups describe'. */
  readonly command: string;
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
    command,
    configFile,
    format: oneOf(command, '--format', values.format as string | undefined, ['text', 'json'] as const, 'text'),
    properties: parseProperties(command, values.property as string[] | undefined),
    verbose: values.verbose === true,
    ...(needsGroup ? { groupId: group!.trim() } : {}),
  };
}

/**
 * How long an admin command waits for the cluster unless the file or --property sets default.api.timeout.ms.
 * The admin client's own default (60 s, as Java's) suits an application; a person at a terminal who typed a wrong
 * port should hear about it sooner. Retriable failures (connection refused, no leader yet) are retried until then;
 * a refused password or a TLS failure ends the command at once.
 */
export const ADMIN_COMMAND_TIMEOUT_MS = 15_000;

/**
 * The admin client's log lines: on stderr with --verbose only (as for consume), and the last problem reported
 * (a refused connection, a broker that went away) remembered, so that "no answer within 15 s" can say why.
 */
export class AdminLog {
  lastProblem: string | undefined;
  /** The command's default.api.timeout.ms, once the configuration is resolved (named in the connection warning). */
  timeoutMs: number | undefined;
  readonly logger: LogFunction;

  constructor(deps: Pick<CliDeps, 'stderr'>, verbose: boolean) {
    const print = cliLogger(deps, verbose, () => this.timeoutMs);
    this.logger = (level, message, fields) => {
      if (level === 'warn' || level === 'error') {
        const error = fields?.error;
        this.lastProblem = typeof error === 'string' ? error : message;
      }
      print(level, message, fields);
    };
  }

  /** The error, with the last problem the client logged when the error itself does not already say it. */
  explain(err: unknown): unknown {
    const problem = this.lastProblem;
    if (!(err instanceof TimeoutError) || problem === undefined || err.message.includes(problem)) return err;
    return new TimeoutError(`${err.message}; last problem: ${problem}`, { cause: err });
  }
}

export function adminConfig(opts: AdminCommandOptions, deps: Pick<CliDeps, 'stderr'>, log: AdminLog): ResolvedAdminConfig {
  const overrides = propertyOverrides([...opts.properties]);
  overrides.push({ name: 'gregor.logger', value: log.logger, origin: `gregor ${opts.command}` });
  if (opts.verbose) overrides.push({ name: 'gregor.log.level', value: 'debug', origin: '--verbose' });
  const merged = mergeProperties('admin', opts.configFile, overrides);
  if (!merged.has('default.api.timeout.ms')) merged.values['default.api.timeout.ms'] = ADMIN_COMMAND_TIMEOUT_MS;
  const config = resolveConfig('admin', merged.values, {
    origins: merged.origins,
    onWarning: (w) => { deps.stderr.write(`gregor: warning: ${w.message}\n`); },
  });
  log.timeoutMs = config['default.api.timeout.ms'];
  return config;
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

/** A member's partitions, compactly: `orders:0,1,2 payments:3`. */
function partitionsText(assignment: GroupDetails['members'][number]['assignment']): string {
  return assignment.length === 0 ? '-' : assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ');
}

const orDash = (v: bigint | string | null) => (v === null || v === '' ? '-' : String(v));

export function formatGroup(g: GroupDetails): string {
  const c = g.coordinator;
  const lines = [
    `Group: ${g.groupId}`,
    `State: ${g.state}`,
    `Protocol: ${g.type}${g.protocolType !== '' && g.type === 'classic' ? ` (protocol type ${g.protocolType})` : ''}, assignor ${g.assignor === '' ? '-' : g.assignor}`,
    `Coordinator: ${c.id}${c.host === '' ? '' : ` (${c.host}:${c.port})`}`,
    `Members: ${g.members.length}`,
  ];
  if (g.members.length > 0) {
    const members = [...g.members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    lines.push(table(['  MEMBER-ID', 'INSTANCE-ID', 'CLIENT-ID', 'HOST', 'PARTITIONS'],
      members.map((m) => [`  ${m.memberId}`, m.groupInstanceId ?? '-', m.clientId, m.clientHost, partitionsText(m.assignment)])));
  }
  lines.push(`Partitions: ${g.offsets.length}`);
  if (g.offsets.length > 0) {
    lines.push(table(['  TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG', 'MEMBER-ID'],
      g.offsets.map((o) => [`  ${o.topic}`, String(o.partition), orDash(o.committed), orDash(o.logEndOffset), orDash(o.lag), orDash(o.memberId)])));
  }
  return lines.join('\n');
}

function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

/** Runs one admin call with the command's configuration; errors come back explained (see AdminLog). */
async function withAdmin<T>(opts: AdminCommandOptions, deps: CliDeps, call: (config: ResolvedAdminConfig) => Promise<T>): Promise<T> {
  const log = new AdminLog(deps, opts.verbose);
  const config = adminConfig(opts, deps, log);
  try {
    return await call(config);
  } catch (err) {
    throw log.explain(err);
  }
}

export async function runClusterDescribe(opts: AdminCommandOptions, deps: CliDeps): Promise<number> {
  const description = await withAdmin(opts, deps, (config) => deps.describeCluster(config));
  deps.stdout.write(`${opts.format === 'json' ? json(description) : formatCluster(description)}\n`);
  return 0;
}

export async function runGroupsList(opts: AdminCommandOptions, deps: CliDeps): Promise<number> {
  const groups = await withAdmin(opts, deps, (config) => deps.listGroups(config));
  deps.stdout.write(`${opts.format === 'json' ? json(groups) : formatGroups(groups)}\n`);
  return 0;
}

export async function runGroupsDescribe(opts: AdminCommandOptions, deps: CliDeps): Promise<number> {
  const description = await withAdmin(opts, deps, (config) => deps.describeGroup(config, opts.groupId!));
  const text = isShareGroup(description) ? formatShareGroup(description, table) : formatGroup(description);
  deps.stdout.write(`${opts.format === 'json' ? json(description) : text}\n`);
  return 0;
}
