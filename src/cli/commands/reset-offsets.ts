// gregor groups reset-offsets: Kafka's `kafka-consumer-groups --reset-offsets` for one group (semantics in
// ../reset-offsets.ts). Prints the plan as Kafka does (GROUP TOPIC PARTITION NEW-OFFSET); a dry run unless
// --execute. Kafka's warnings (an offset clamped to the log, an empty partition) go to stderr.

import { UsageError, checkTopicName, configFileArg, oneOf, parseCommandArgs, parseProperties } from '../args.js';
import { parseDateTime, parseDuration, type ResetRequest, type ResetResult, type ResetScope, type ResetSpec } from '../reset-offsets.js';
import { AdminLog, adminConfig, table, type AdminCommandOptions } from './admin.js';
import type { CliDeps } from '../deps.js';

const COMMAND = 'groups reset-offsets';

export interface ResetOffsetsOptions extends AdminCommandOptions {
  readonly request: ResetRequest;
  /** Neither --dry-run nor --execute was given (Kafka warns that it only shows the plan). */
  readonly implicitDryRun: boolean;
}

const SCENARIOS = ['to-earliest', 'to-latest', 'to-current', 'to-offset', 'shift-by', 'to-datetime', 'by-duration'] as const;

function integer(option: string, raw: string): bigint {
  if (!/^[-+]?\d+$/.test(raw.trim())) throw new UsageError(`${option} expects an integer, got '${raw}'`, COMMAND);
  const n = BigInt(raw.trim());
  if (n > 0x7fffffffffffffffn || n < -0x8000000000000000n) throw new UsageError(`${option} is out of the 64-bit range: ${raw}`, COMMAND);
  return n;
}

/** `T` (every partition) or `T:0,2` (those), as Kafka's --topic. */
function topicArg(raw: string): { topic: string; partitions: number[] | null } {
  const colon = raw.indexOf(':');
  if (colon === -1) return { topic: checkTopicName(COMMAND, raw), partitions: null };
  const topic = checkTopicName(COMMAND, raw.slice(0, colon));
  const partitions = raw.slice(colon + 1).split(',').map((p) => {
    if (!/^\d+$/.test(p.trim()) || Number(p) > 0x7fffffff) throw new UsageError(`invalid partition '${p}' in --topic '${raw}'`, COMMAND);
    return Number(p);
  });
  return { topic, partitions };
}

/** `--shift-by -2` as `--shift-by=-2`: parseArgs would take a negative number for an option of its own. */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if ((argv[i] === '--shift-by' || argv[i] === '--to-offset') && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

export function parseResetOffsetsArgs(argv: string[]): ResetOffsetsOptions | 'help' {
  const { values, positionals } = parseCommandArgs(COMMAND, joinNegativeValues(argv), {
    'group': { type: 'string', short: 'g' },
    'topic': { type: 'string', short: 't', multiple: true },
    'all-topics': { type: 'boolean' },
    'to-earliest': { type: 'boolean' },
    'to-latest': { type: 'boolean' },
    'to-current': { type: 'boolean' },
    'to-offset': { type: 'string' },
    'shift-by': { type: 'string' },
    'to-datetime': { type: 'string' },
    'by-duration': { type: 'string' },
    'dry-run': { type: 'boolean' },
    'execute': { type: 'boolean' },
    'format': { type: 'string' },
    'property': { type: 'string', short: 'p', multiple: true },
    'verbose': { type: 'boolean', short: 'v' },
    'help': { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return 'help';
  const configFile = configFileArg(COMMAND, positionals);
  const group = (values.group as string | undefined)?.trim();
  if (group === undefined || group === '') throw new UsageError('--group <id> is required', COMMAND);
  const topics = (values.topic as string[] | undefined) ?? [];
  const allTopics = values['all-topics'] === true;
  if (allTopics === (topics.length > 0)) throw new UsageError('give the scope: --topic <name>[:partitions] (repeatable) or --all-topics', COMMAND);
  const scope: ResetScope = allTopics ? { allTopics: true } : { allTopics: false, topics: topics.map(topicArg) };
  const given = SCENARIOS.filter((s) => values[s] !== undefined && values[s] !== false);
  if (given.length !== 1) {
    throw new UsageError(`give exactly one of ${SCENARIOS.map((s) => `--${s}`).join(', ')}${given.length > 1 ? ` (got ${given.map((s) => `--${s}`).join(' and ')})` : ''}`, COMMAND);
  }
  if (values['dry-run'] === true && values.execute === true) throw new UsageError('--dry-run and --execute exclude each other', COMMAND);
  const raw = values[given[0]] as string;
  let spec: ResetSpec;
  switch (given[0]) {
    case 'to-earliest': spec = { kind: 'to-earliest' }; break;
    case 'to-latest': spec = { kind: 'to-latest' }; break;
    case 'to-current': spec = { kind: 'to-current' }; break;
    case 'to-offset': spec = { kind: 'to-offset', offset: integer('--to-offset', raw) }; break;
    case 'shift-by': spec = { kind: 'shift-by', by: integer('--shift-by', raw) }; break;
    case 'to-datetime': {
      const timestamp = parseDateTime(raw);
      if (Number.isNaN(timestamp)) throw new UsageError(`--to-datetime expects YYYY-MM-DDTHH:mm:SS[.sss][Z|+hh:mm] (UTC without a zone), got '${raw}'`, COMMAND);
      spec = { kind: 'to-datetime', timestamp };
      break;
    }
    case 'by-duration': {
      const ms = parseDuration(raw);
      if (Number.isNaN(ms)) throw new UsageError(`--by-duration expects an ISO-8601 duration PnDTnHnMnS (e.g. PT30M, P1DT12H), got '${raw}'`, COMMAND);
      spec = { kind: 'by-duration', ms };
      break;
    }
  }
  return {
    command: COMMAND,
    configFile,
    groupId: group,
    request: { groupId: group, scope, spec, execute: values.execute === true },
    implicitDryRun: values['dry-run'] !== true && values.execute !== true,
    format: oneOf(COMMAND, '--format', values.format as string | undefined, ['text', 'json'] as const, 'text'),
    properties: parseProperties(COMMAND, values.property as string[] | undefined),
    verbose: values.verbose === true,
  };
}

export function formatReset(r: ResetResult): string {
  return table(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], r.offsets.map((o) => [r.groupId, o.topic, String(o.partition), String(o.offset)]));
}

export function resetJson(r: ResetResult): string {
  return JSON.stringify({
    groupId: r.groupId, state: r.state, executed: r.executed,
    offsets: r.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset.toString() })),
  }, undefined, 2);
}

export async function runResetOffsets(opts: ResetOffsetsOptions, deps: CliDeps): Promise<number> {
  const log = new AdminLog(deps, opts.verbose);
  const config = adminConfig(opts, deps, log);
  let result: ResetResult;
  try {
    result = await deps.resetOffsets(config, opts.request, (m) => { deps.stderr.write(`gregor: warning: ${m}\n`); });
  } catch (err) {
    throw log.explain(err);
  }
  deps.stdout.write(`${opts.format === 'json' ? resetJson(result) : formatReset(result)}\n`);
  if (opts.implicitDryRun) deps.stderr.write('gregor: dry run: nothing was changed; add --execute to commit these offsets (--dry-run to say so explicitly)\n');
  else if (result.executed && opts.verbose) deps.stderr.write(`gregor: committed ${result.offsets.length} offset${result.offsets.length === 1 ? '' : 's'} for group '${result.groupId}'\n`);
  return 0;
}
