// gregor groups delete-offsets: forgets a share group's (KIP-932) state for whole topics, as Kafka's
// `kafka-share-groups --delete-offsets` does; the next member reading such a topic starts again from the group's
// share.auto.offset.reset. The coordinator allows it only while the group has no members (NON_EMPTY_GROUP), and
// answers GROUP_ID_NOT_FOUND ("... is not a share group") for a consumer group: both reach the user as the broker
// says them.

import { UsageError, checkTopicName, configFileArg, oneOf, parseCommandArgs, parseProperties } from '../args.js';
import { AdminLog, adminConfig, type AdminCommandOptions } from './admin.js';
import type { CliDeps } from '../deps.js';

export interface DeleteOffsetsOptions extends AdminCommandOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
}

const OPTIONS = {
  'group': { type: 'string', short: 'g' },
  'topic': { type: 'string', short: 't', multiple: true },
  'format': { type: 'string' },
  'property': { type: 'string', short: 'p', multiple: true },
  'verbose': { type: 'boolean', short: 'v' },
  'help': { type: 'boolean', short: 'h' },
} as const;

/** Parses `groups delete-offsets <config> --group G --topic T [--topic T...]`; 'help' for --help. Throws UsageError. */
export function parseDeleteOffsetsArgs(command: string, argv: string[]): DeleteOffsetsOptions | 'help' {
  const { values, positionals } = parseCommandArgs(command, argv, OPTIONS);
  if (values.help === true) return 'help';
  const configFile = configFileArg(command, positionals);
  const group = (values.group as string | undefined)?.trim();
  if (group === undefined || group === '') throw new UsageError('--group <id> is required', command);
  const topics = (values.topic as string[] | undefined) ?? [];
  if (topics.length === 0) throw new UsageError('--topic <name> is required (repeat it for more topics)', command);
  return {
    command,
    configFile,
    format: oneOf(command, '--format', values.format as string | undefined, ['text', 'json'] as const, 'text'),
    properties: parseProperties(command, values.property as string[] | undefined),
    verbose: values.verbose === true,
    groupId: group,
    topics: [...new Set(topics.map((t) => checkTopicName(command, t)))],
  };
}

export async function runDeleteOffsets(opts: DeleteOffsetsOptions, deps: CliDeps): Promise<number> {
  const log = new AdminLog(deps, opts.verbose);
  const config = adminConfig(opts, deps, log);
  try {
    await deps.deleteShareGroupOffsets(config, opts.groupId, opts.topics);
  } catch (err) {
    throw log.explain(err);
  }
  deps.stdout.write(opts.format === 'json'
    ? `${JSON.stringify({ groupId: opts.groupId, deleted: opts.topics })}\n`
    : `Deleted the state of share group '${opts.groupId}' for ${opts.topics.length === 1 ? 'topic' : 'topics'} ${opts.topics.join(', ')}.\n`);
  return 0;
}
