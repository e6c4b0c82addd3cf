// Turning one given value into the typed value of its property, or a ConfigError that says what is allowed.
//
// Config files give strings ("true", "3000", "earliest"); code gives numbers and booleans. Both are accepted and
// checked the same way. Strings are trimmed, as Java's ConfigDef trims them. Errors quote the value given, except
// for secrets, whose values never appear anywhere.

import { ConfigError } from '../errors.js';
import { Secret, isSecret } from '../network/secret.js';
import { isSecretProperty } from './properties.js';
import type { PropertyDef } from './types.js';

/** Where a value came from, for error messages. */
export interface ValueContext {
  /** The name as given (may be an alias). */
  readonly name: string;
  /** The canonical name, reported as the ConfigError's `property`. */
  readonly canonical: string;
  /** e.g. "config.ini:7" or "--property"; prefixed to messages. */
  readonly origin?: string | undefined;
}

/** A ConfigError whose message starts with the origin of the value, when known. */
export function configError(ctx: { canonical?: string; origin?: string | undefined }, message: string): ConfigError {
  return new ConfigError(ctx.origin === undefined ? message : `${ctx.origin}: ${message}`, ctx.canonical);
}

/** A short, safe rendering of a given value for an error message. */
export function showValue(name: string, value: unknown): string {
  if (isSecretProperty(name) || isSecret(value)) return '(value hidden)';
  if (typeof value === 'string') {
    const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `[${value.map((v) => showValue(name, v)).join(', ')}]`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

function invalid(ctx: ValueContext, value: unknown, expected: string): ConfigError {
  const shown = showValue(ctx.name, value);
  return configError(ctx, `invalid value ${shown} for ${ctx.name}: expected ${expected}`);
}

function range(def: PropertyDef): string {
  const min = def.min ?? Number.MIN_SAFE_INTEGER;
  const max = def.max ?? Number.MAX_SAFE_INTEGER;
  if (max >= Number.MAX_SAFE_INTEGER) return `an integer >= ${min}`;
  return `an integer from ${min} to ${max}`;
}

const INTEGER = /^[+-]?\d+$/;

function coerceInt(def: PropertyDef, ctx: ValueContext, value: unknown): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && INTEGER.test(value.trim())) n = Number(value.trim());
  else throw invalid(ctx, value, range(def));
  if (!Number.isSafeInteger(n)) throw invalid(ctx, value, range(def));
  if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
    throw invalid(ctx, value, range(def));
  }
  return n;
}

function coerceBool(ctx: ValueContext, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  throw invalid(ctx, value, 'true or false');
}

function coerceEnum(def: PropertyDef, ctx: ValueContext, value: unknown): string {
  const values = def.values ?? [];
  if (typeof value !== 'string' && typeof value !== 'number') throw invalid(ctx, value, `one of ${values.join(', ')}`);
  const given = String(value).trim();
  const lowered = given.toLowerCase();
  const match = values.find((v) => v.toLowerCase() === lowered);
  if (match !== undefined) return match;
  for (const [alias, target] of Object.entries(def.valueAliases ?? {})) {
    if (alias.toLowerCase() === lowered) return target;
  }
  for (const [unsupported, reason] of Object.entries(def.unsupportedValues ?? {})) {
    if (unsupported.toLowerCase() === lowered) {
      throw configError(ctx, `${ctx.name}=${unsupported} is not supported: ${reason}`);
    }
  }
  throw invalid(ctx, value, `one of ${values.join(', ')}`);
}

function coerceList(ctx: ValueContext, value: unknown): readonly string[] {
  let items: unknown[];
  if (typeof value === 'string') items = value.split(',');
  else if (Array.isArray(value)) items = value;
  else throw invalid(ctx, value, 'a comma-separated list or an array of strings');
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw invalid(ctx, value, 'a comma-separated list or an array of strings');
    const trimmed = item.trim();
    // "a,,b" and a trailing comma are typing slips, not meaningful empty entries (Java drops them too).
    if (trimmed !== '') out.push(trimmed);
  }
  return Object.freeze(out);
}

function coerceString(def: PropertyDef, ctx: ValueContext, value: unknown): string {
  if (typeof value !== 'string') throw invalid(ctx, value, 'a string');
  const trimmed = value.trim();
  if (def.nonEmpty === true && trimmed === '') throw configError(ctx, `${ctx.name} must not be empty`);
  return trimmed;
}

const LOGGER_METHODS = ['error', 'warn', 'info', 'debug'] as const;

/** A logger object with the four level methods, or a log function (see GregorLogger); given in code only. */
function coerceLogger(ctx: ValueContext, value: unknown): unknown {
  if (typeof value === 'function') return value;
  const expected = 'a logger object with error, warn, info and debug methods (pino, bunyan, winston, console) or a '
    + 'function (level, message, fields), given in code (a config file cannot hold one)';
  if (typeof value !== 'object' || value === null) throw configError(ctx, `${ctx.name} must be ${expected}`);
  const missing = LOGGER_METHODS.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw configError(ctx, `${ctx.name} must be ${expected}; this object has no ${missing.join(', ')} method`);
  return value;
}

/** The typed value of one property, or a ConfigError. `value` is neither undefined nor null. */
export function coerceValue(def: PropertyDef, ctx: ValueContext, value: unknown): unknown {
  switch (def.type) {
    case 'int':
      return coerceInt(def, ctx, value);
    case 'bool':
      return coerceBool(ctx, value);
    case 'enum':
      return coerceEnum(def, ctx, value);
    case 'list':
      return coerceList(ctx, value);
    case 'string':
      return coerceString(def, ctx, value);
    case 'password': {
      if (isSecret(value)) return value;
      if (typeof value !== 'string') throw invalid(ctx, value, 'a string');
      const trimmed = value.trim();
      if (trimmed === '') throw configError(ctx, `${ctx.name} must not be empty`);
      return new Secret(trimmed);
    }
    case 'function':
      if (typeof value !== 'function') {
        throw configError(ctx, `${ctx.name} must be a function, given in code (a config file cannot hold one)`);
      }
      return value;
    case 'logger':
      return coerceLogger(ctx, value);
    case 'deserializer': {
      if (typeof value === 'function') return value;
      const name = typeof value === 'string' ? value.trim().toLowerCase() : value;
      if (name === 'string' || name === 'json' || name === 'buffer') return name;
      throw invalid(ctx, value, "string, json, buffer, or a function (bytes, context) -> value (given in code)");
    }
  }
}
