// A credential held so that nothing prints it by accident.
//
// Why a wrapper rather than a plain string with a redacting toJSON on the config object: a string escapes the
// moment someone spreads the config (`{...config}`), logs one property, or interpolates it into a message. A
// Secret prints as "[redacted]" through every path Node offers (String(), template literals, JSON.stringify,
// util.inspect, console.log) and gives its value only to an explicit `reveal()` - which only the SASL and TLS
// code calls, at the moment the bytes go into a handshake.

import { inspect } from 'node:util';

export const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The credential itself. Call it only where the value is used, never to build a message. */
  reveal(): string {
    return this.#value;
  }

  /** Whether two secrets hold the same value, without revealing either. */
  equals(other: Secret): boolean {
    return this.#value === other.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}
