// Credentials that cannot leak by accident.
//
// A password held in a plain string shows up in `util.inspect`, `console.log`, `JSON.stringify` and in any error
// message that interpolates an options object. `Secret` keeps the value in an ES private field (which neither
// util.inspect nor JSON.stringify enumerate) and renders as `[redacted]` everywhere; code that really needs the value
// calls `reveal()`, which is easy to grep for.

import { inspect } from 'node:util';

export const REDACTED = '[redacted]';

export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The real value. Only the SASL mechanisms and the TLS setup call this. */
  reveal(): T {
    return this.#value;
  }

  /** Whether two secrets hold the same value, without revealing either (config checks JAAS against direct properties). */
  equals(other: Secret<T>): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

export function isSecret(value: unknown): value is Secret<unknown> {
  return value instanceof Secret;
}

/** Wraps a value in Secret unless it already is one (or is undefined). */
export function secret<T>(value: T | Secret<T> | undefined): Secret<T> | undefined {
  if (value === undefined) return undefined;
  return value instanceof Secret ? value : new Secret(value);
}

/**
 * Removes every occurrence of the given secret strings from a text (a broker's error message, say), in case a
 * server echoes what the client sent. Strings shorter than 4 characters are left alone: replacing them would
 * mangle ordinary words and reveal more (their position) than it hides.
 */
export function scrub(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s !== undefined && s.length >= 4) out = out.split(s).join(REDACTED);
  }
  return out;
}
