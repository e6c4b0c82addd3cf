// gregor groups lag: per-partition lag of one group, once or, with --watch, refreshed until Ctrl-C.
//
// --watch on a terminal redraws one table in place (LiveScreen); on a pipe or file it prints each refresh after the
// last (text), or one JSON object per line (--format json). Ctrl-C or SIGTERM ends the watch with status 0: it is
// how a watch is meant to end, not a failure. A refresh still waiting for the cluster is abandoned, not awaited.

import { UsageError, configFileArg, oneOf, parseCommandArgs, parseProperties, positiveInt } from '../args.js';
import { formatDuration, formatRate, lagJson, lagView, type GroupSample, type LagView } from '../group-lag.js';
import { LiveScreen } from '../live-screen.js';
import { AdminLog, adminConfig, table, type AdminCommandOptions } from './admin.js';
import type { CliDeps, GroupSampler } from '../deps.js';

const COMMAND = 'groups lag';
/** The refresh interval of --watch unless --interval says otherwise. */
export const DEFAULT_WATCH_INTERVAL_MS = 2000;
const MIN_INTERVAL_MS = 100;

export interface GroupsLagOptions extends AdminCommandOptions {
  readonly groupId: string;
  readonly watch: boolean;
  readonly intervalMs: number;
}

export function parseGroupsLagArgs(argv: string[]): GroupsLagOptions | 'help' {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    'group': { type: 'string', short: 'g' },
    'watch': { type: 'boolean', short: 'w' },
    'interval': { type: 'string' },
    'format': { type: 'string' },
    'property': { type: 'string', short: 'p', multiple: true },
    'verbose': { type: 'boolean', short: 'v' },
    'help': { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return 'help';
  const configFile = configFileArg(COMMAND, positionals);
  const group = (values.group as string | undefined)?.trim();
  if (group === undefined || group === '') throw new UsageError('--group <id> is required', COMMAND);
  const interval = positiveInt(COMMAND, '--interval', values.interval as string | undefined);
  if (interval !== undefined && values.watch !== true) throw new UsageError('--interval needs --watch', COMMAND);
  if (interval !== undefined && interval < MIN_INTERVAL_MS) throw new UsageError(`--interval is in milliseconds and at least ${MIN_INTERVAL_MS}, got ${interval}`, COMMAND);
  return {
    command: COMMAND,
    configFile,
    groupId: group,
    watch: values.watch === true,
    intervalMs: interval ?? DEFAULT_WATCH_INTERVAL_MS,
    format: oneOf(COMMAND, '--format', values.format as string | undefined, ['text', 'json'] as const, 'text'),
    properties: parseProperties(COMMAND, values.property as string[] | undefined),
    verbose: values.verbose === true,
  };
}

const orDash = (v: bigint | string | null) => (v === null || v === '' ? '-' : String(v));

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** The table: a summary line, then one row per partition. */
export function formatLag(v: LagView, watch?: { intervalMs: number }): string {
  const members = `${v.members} member${v.members === 1 ? '' : 's'}`;
  const summary = [
    `Group: ${v.groupId} (${v.type}, ${v.state}, ${members})`,
    `total lag ${orDash(v.totalLag)}`,
    `rate ${v.rate === null ? '-' : `${formatRate(v.rate)}/s`}`,
    `catch-up ${formatDuration(v.catchUpSeconds)}`,
  ].join('  ');
  const when = watch === undefined
    ? `At ${clock(v.at)} UTC (rates need two samples: --watch)`
    : `At ${clock(v.at)} UTC, every ${watch.intervalMs / 1000} s; Ctrl-C to stop`;
  const lines = [summary, when];
  if (v.partitions.length === 0) {
    lines.push(v.type === 'share' ? 'No partitions: the group is assigned none and has state for none.' : 'No partitions: the group owns none and has committed none.');
  } else if (v.type === 'share') {
    lines.push(table(['TOPIC', 'PARTITION', 'START-OFFSET', 'LOG-END', 'LAG', 'RATE/S', 'CATCH-UP', 'MEMBERS'],
      v.partitions.map((p) => [p.topic, String(p.partition), orDash(p.startOffset), orDash(p.logEndOffset), orDash(p.lag),
        formatRate(p.rate), formatDuration(p.catchUpSeconds), String(p.members ?? 0)])));
  } else {
    lines.push(table(['TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG', 'RATE/S', 'CATCH-UP', 'MEMBER-ID'],
      v.partitions.map((p) => [p.topic, String(p.partition), orDash(p.committed), orDash(p.logEndOffset), orDash(p.lag),
        formatRate(p.rate), formatDuration(p.catchUpSeconds), orDash(p.memberId)])));
  }
  return lines.join('\n');
}

function json(value: unknown, pretty: boolean): string {
  return JSON.stringify(value, undefined, pretty ? 2 : undefined);
}

export async function runGroupsLag(opts: GroupsLagOptions, deps: CliDeps): Promise<number> {
  const log = new AdminLog(deps, opts.verbose);
  const config = adminConfig(opts, deps, log);
  let stop: () => void = () => {};
  const stopped = new Promise<'stop'>((resolve) => { stop = () => resolve('stop'); });
  let stopping = false;
  const onSignal = () => { stopping = true; stop(); };
  deps.signals.on('SIGINT', onSignal);
  deps.signals.on('SIGTERM', onSignal);
  const screen = new LiveScreen(deps.stdout);
  let sampler: GroupSampler | undefined;
  try {
    sampler = await deps.openGroupSampler(config, opts.groupId);
    let previous: GroupSample | undefined;
    while (!stopping) {
      const pending = sampler.sample();
      pending.catch(() => undefined); // abandoned by Ctrl-C: its failure (the admin closed under it) is no news
      const taken = await Promise.race([pending, stopped]);
      if (taken === 'stop') break;
      const current = { details: taken, at: Date.now() };
      const view = lagView(current, previous);
      previous = current;
      if (!opts.watch) {
        deps.stdout.write(`${opts.format === 'json' ? json(lagJson(view), true) : formatLag(view)}\n`);
        break;
      }
      if (opts.format === 'json') deps.stdout.write(`${json(lagJson(view), false)}\n`);
      else screen.show(formatLag(view, { intervalMs: opts.intervalMs }));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise<void>((resolve) => { timer = setTimeout(resolve, opts.intervalMs); })]);
      clearTimeout(timer);
    }
  } catch (err) {
    throw log.explain(err);
  } finally {
    screen.end();
    deps.signals.off('SIGINT', onSignal);
    deps.signals.off('SIGTERM', onSignal);
    await sampler?.close();
  }
  return 0;
}
