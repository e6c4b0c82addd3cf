// Command-line parsing shared by the commands: node:util parseArgs with gregor's own error messages (naming the
// option and suggesting the closest one), --property overrides, and turning a config file plus overrides into a
// resolved configuration whose errors name the file and line (or the --property that caused them).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  canonicalName, closestMatch, isSecretProperty, loadConfigFile, Secret, type ClientKind,
} from '../config/index.js';

/** A mistake on the command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command: string) {
    super(message);
  }
  override get name(): string {
    return 'UsageError';
  }
}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

function optionNames(specs: OptionSpecs): string[] {
  return Object.keys(specs).map((name) => `--${name}`);
}

/** parseArgs, strict, with errors rewritten as UsageErrors that name the command. */
export function parseCommandArgs(command: string, argv: string[], options: OptionSpecs): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    const e = err as Error & { code?: string };
    // Node's messages quote the option, e.g. "Option '-t, --topic <value>' argument missing".
    const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? '';
    const option = /--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(' ')[0];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const names = optionNames(options);
      // A unique prefix (--form for --format) is the likeliest meaning; otherwise the nearest by edit distance.
      const prefixed = names.filter((n) => n.startsWith(option));
      const near = !option.startsWith('--') ? undefined : prefixed.length === 1 ? prefixed[0] : closestMatch(option, names);
      throw new UsageError(`unknown option '${option}'${near === undefined ? '' : ` (did you mean ${near}?)`}`, command);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/does not take an argument/.test(e.message)) throw new UsageError(`option ${option} takes no value`, command);
      throw new UsageError(`option ${option} needs a value`, command);
    }
    throw new UsageError(e.message, command);
  }
}

/** The single <config-file> positional of a command. */
export function configFileArg(command: string, positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError('missing <config-file>', command);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, command);
  return positionals[0];
}

/** `--property key=value` pairs, in order. */
export function parseProperties(command: string, raw: string[] | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const item of raw ?? []) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? '' : item.slice(0, eq).trim();
    if (key === '') {
      const shown = eq === -1 ? item : '=...';
      throw new UsageError(`--property expects key=value, got '${shown}'`, command);
    }
    out.push([key, item.slice(eq + 1)]);
  }
  return out;
}

/** A positive integer option such as --count. */
export function positiveInt(command: string, option: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`${option} expects a positive integer, got '${raw}'`, command);
  }
  return Number(raw);
}

export function oneOf<T extends string>(command: string, option: string, raw: string | undefined, allowed: readonly T[], dflt: T): T {
  if (raw === undefined) return dflt;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`${option} must be ${allowed.join(' or ')}, got '${raw}'`, command);
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's topic name rule, checked before connecting so a typo fails fast. */
export function checkTopicName(command: string, name: string): string {
  if (!LEGAL_TOPIC.test(name) || name === '.' || name === '..') {
    throw new UsageError(`invalid topic name '${name}': topic names are 1-249 letters, digits, '.', '_' or '-'`, command);
  }
  return name;
}

/** One override of a file property: the flag or --property that set it is its origin in error messages. */
export interface Override {
  readonly name: string;
  readonly value: unknown;
  readonly origin: string;
}

/** Property values and their origins, before resolution. */
export interface MergedProperties {
  readonly values: Record<string, unknown>;
  readonly origins: Record<string, string>;
  /** Whether a property is set, by any of its spellings. */
  has(canonical: string): boolean;
}

/**
 * The file's properties (INI sections [default] and [kind]), then the overrides in order. An override replaces the
 * file's value under any spelling (`--property sasl.mechanism=...` replaces the file's `sasl.mechanisms`).
 */
export function mergeProperties(kind: ClientKind, configFile: string, overrides: readonly Override[]): MergedProperties {
  const file = loadConfigFile(configFile, { kind });
  const values: Record<string, unknown> = { ...file.values };
  const origins: Record<string, string> = { ...file.origins };
  const spelledAs = (canonical: string) => Object.keys(values).filter((k) => (canonicalName(k) ?? k) === canonical);
  for (const { name, value, origin } of overrides) {
    for (const existing of spelledAs(canonicalName(name) ?? name)) {
      delete values[existing];
      delete origins[existing];
    }
    values[name] = typeof value === 'string' && isSecretProperty(name) ? new Secret(value) : value;
    origins[name] = origin;
  }
  return { values, origins, has: (canonical) => spelledAs(canonical).some((k) => values[k] !== undefined && values[k] !== null) };
}

/** --property pairs as overrides. */
export function propertyOverrides(pairs: Array<[string, string]>): Override[] {
  return pairs.map(([name, value]) => ({ name, value, origin: `--property ${name}` }));
}
