// gregor's command line: dispatch, help, and the one place errors become a line on stderr and an exit status.
//
// Exit status: 0 success; 1 a failure while running (broker unreachable, authentication refused, unknown topic);
// 2 a mistake the user can fix before running (unknown command or option, bad config file or property).
// Errors print as one line, `gregor: <message>`; the stack and the chain of causes only with --verbose.

import { createRequire } from 'node:module';
import { ConfigError, isGregorError } from '../errors.js';
import { closestMatch } from '../config/index.js';
import { UsageError } from './args.js';
import { parseAdminArgs, runClusterDescribe, runGroupsDescribe, runGroupsList } from './commands/admin.js';
import { parseConsumeArgs, runConsume } from './commands/consume.js';
import { parseGroupsLagArgs, runGroupsLag } from './commands/groups-lag.js';
import { parseResetOffsetsArgs, runResetOffsets } from './commands/reset-offsets.js';
import { parseDeleteOffsetsArgs, runDeleteOffsets } from './commands/share-offsets.js';
import { defaultDeps, type CliDeps } from './deps.js';
import {
  CLUSTER_DESCRIBE_USAGE, CONSUME_USAGE, GROUPS_DELETE_OFFSETS_USAGE, GROUPS_DESCRIBE_USAGE, GROUPS_LAG_USAGE, GROUPS_LIST_USAGE,
  GROUPS_RESET_OFFSETS_USAGE, MAIN_USAGE,
} from './usage.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const COMMANDS = ['consume', 'cluster', 'groups', 'help'];
const SUBCOMMANDS: Record<string, string[]> = { cluster: ['describe'], groups: ['list', 'describe', 'lag', 'reset-offsets', 'delete-offsets'] };

const USAGES: Record<string, string> = {
  'consume': CONSUME_USAGE,
  'cluster describe': CLUSTER_DESCRIBE_USAGE,
  'groups list': GROUPS_LIST_USAGE,
  'groups describe': GROUPS_DESCRIBE_USAGE,
  'groups lag': GROUPS_LAG_USAGE,
  'groups reset-offsets': GROUPS_RESET_OFFSETS_USAGE,
  'groups delete-offsets': GROUPS_DELETE_OFFSETS_USAGE,
};

function version(): string {
  try {
    // Through the package's own `exports` (a self-reference): the same from dist/src/cli and from the bundle.
    const pkg = createRequire(import.meta.url)('gregor/package.json') as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function isHelp(arg: string | undefined): boolean {
  return arg === '--help' || arg === '-h' || arg === 'help';
}

/** Resolves `cluster describe` etc. to the command name, or throws a UsageError that suggests the closest one. */
function commandName(argv: string[]): { name: string; rest: string[] } {
  const [first, second, ...rest] = argv;
  if (first.startsWith('-')) {
    throw new UsageError(`unknown option '${first}'`, '');
  }
  if (!COMMANDS.includes(first)) {
    const near = closestMatch(first, [...COMMANDS, 'describe', 'list']);
    const suggestion = near === 'describe' ? 'cluster describe' : near === 'list' ? 'groups list' : near;
    throw new UsageError(`unknown command '${first}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`, '');
  }
  if (first === 'consume') return { name: first, rest: second === undefined ? [] : [second, ...rest] };
  const subs = SUBCOMMANDS[first];
  if (isHelp(second)) return { name: `${first} help`, rest: [] };
  if (second === undefined || second.startsWith('-')) {
    throw new UsageError(`missing subcommand: ${subs.map((s) => `'${first} ${s}'`).join(' or ')}`, first);
  }
  if (!subs.includes(second)) {
    const near = closestMatch(second, subs);
    throw new UsageError(`unknown subcommand '${second}'${near ? ` (did you mean '${first} ${near}'?)` : ''}`, first);
  }
  return { name: `${first} ${second}`, rest };
}

async function dispatch(argv: string[], deps: CliDeps): Promise<number> {
  const out = (text: string) => { deps.stdout.write(text); };
  if (argv.length === 0 || isHelp(argv[0])) {
    const topic = argv[0] === 'help' ? argv.slice(1).join(' ') : '';
    if (topic !== '' && USAGES[topic] === undefined) commandName(argv.slice(1)); // throws the right message
    out(USAGES[topic] ?? MAIN_USAGE);
    return EXIT_OK;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    out(`gregor ${version()}\n`);
    return EXIT_OK;
  }
  const { name, rest } = commandName(argv);
  switch (name) {
    case 'consume': {
      const opts = parseConsumeArgs(rest);
      if (opts === 'help') { out(CONSUME_USAGE); return EXIT_OK; }
      return runConsume(opts, deps);
    }
    case 'cluster help':
      out(CLUSTER_DESCRIBE_USAGE);
      return EXIT_OK;
    case 'groups help':
      out(`${GROUPS_LIST_USAGE}\n${GROUPS_DESCRIBE_USAGE}\n${GROUPS_LAG_USAGE}\n${GROUPS_RESET_OFFSETS_USAGE}\n${GROUPS_DELETE_OFFSETS_USAGE}`);
      return EXIT_OK;
    case 'cluster describe': {
      const opts = parseAdminArgs(name, rest);
      if (opts === 'help') { out(CLUSTER_DESCRIBE_USAGE); return EXIT_OK; }
      return runClusterDescribe(opts, deps);
    }
    case 'groups list': {
      const opts = parseAdminArgs(name, rest);
      if (opts === 'help') { out(GROUPS_LIST_USAGE); return EXIT_OK; }
      return runGroupsList(opts, deps);
    }
    case 'groups describe': {
      const opts = parseAdminArgs(name, rest, true);
      if (opts === 'help') { out(GROUPS_DESCRIBE_USAGE); return EXIT_OK; }
      return runGroupsDescribe(opts, deps);
    }
    case 'groups lag': {
      const opts = parseGroupsLagArgs(rest);
      if (opts === 'help') { out(GROUPS_LAG_USAGE); return EXIT_OK; }
      return runGroupsLag(opts, deps);
    }
    case 'groups reset-offsets': {
      const opts = parseResetOffsetsArgs(rest);
      if (opts === 'help') { out(GROUPS_RESET_OFFSETS_USAGE); return EXIT_OK; }
      return runResetOffsets(opts, deps);
    }
    case 'groups delete-offsets': {
      const opts = parseDeleteOffsetsArgs(name, rest);
      if (opts === 'help') { out(GROUPS_DELETE_OFFSETS_USAGE); return EXIT_OK; }
      return runDeleteOffsets(opts, deps);
    }
    default:
      throw new UsageError(`unknown command '${name}'`, '');
  }
}

function describeCauses(err: unknown): string {
  const lines: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const e = current as Error;
    lines.push(depth === 0 ? (e.stack ?? String(e)) : `caused by: ${e.stack ?? String(e)}`);
    current = e.cause;
  }
  return `${lines.join('\n')}\n`;
}

/** The one line (and, with --verbose, the stack) for an error; returns the exit status. */
function report(err: unknown, deps: CliDeps, verbose: boolean): number {
  if (err instanceof UsageError) {
    const prefix = err.command === '' ? 'gregor' : `gregor ${err.command}`;
    const help = err.command === '' ? 'gregor --help' : `gregor ${err.command} --help`;
    deps.stderr.write(`${prefix}: ${err.message}\nRun '${help}' for usage.\n`);
    return EXIT_USAGE;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (verbose) deps.stderr.write(describeCauses(err));
  if (err instanceof ConfigError) {
    deps.stderr.write(`gregor: ${message}\n`);
    return EXIT_USAGE;
  }
  if (isGregorError(err)) {
    deps.stderr.write(`gregor: ${message}\n`);
    return EXIT_FAILURE;
  }
  // Not one of gregor's typed errors: a bug or an environment failure. Still one line without --verbose.
  deps.stderr.write(`gregor: ${message}${verbose ? '' : ' (run with --verbose for details)'}\n`);
  return EXIT_FAILURE;
}

/** Runs the CLI with these arguments (without `node` and the script); resolves to the exit status. */
export async function main(argv: string[], deps: CliDeps = defaultDeps): Promise<number> {
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  try {
    return await dispatch(argv, deps);
  } catch (err) {
    return report(err, deps, verbose);
  }
}
