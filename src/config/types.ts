// Shapes shared by the property table, the resolver and the layers that read a resolved configuration.
// Code-valued properties (a token provider, a logger) are defined here, so every layer can import their types
// without importing upward. gregor's internal Logger interface is src/network's (the lowest layer that logs);
// what an application may pass as gregor.logger is defined here.

/** The three clients gregor builds; each property applies to one or more of them. */
export type ClientKind = 'consumer' | 'producer' | 'admin';

/**
 * Value types of the property table. `password` is a string that is held as a {@link Secret} once resolved;
 * `function` and `logger` can only be given in code.
 */
export type PropertyType = 'string' | 'int' | 'bool' | 'enum' | 'list' | 'password' | 'function' | 'logger' | 'deserializer';

/** A token for SASL/OAUTHBEARER (KIP-255). `value` is the compact-serialised JWT sent to the broker. */
export interface OAuthBearerToken {
  /** The token itself (a secret: never logged). */
  value: string;
  /**
   * How long the token stays valid, in milliseconds from now. Optional: the broker also announces the session
   * lifetime, and re-authentication (KIP-368) happens before the earlier of the two.
   */
  lifetimeMs?: number;
  /** The principal the token names, for logs; optional. */
  principalName?: string;
  /** SASL extensions sent with the token (KIP-342), e.g. Confluent's logicalCluster and identityPoolId. */
  extensions?: Record<string, string>;
}

/**
 * Supplies OAUTHBEARER tokens: the token itself, or the token with its lifetime and extensions. Called for every
 * authentication, including re-authentication before the session ends, so it can return a fresh token.
 * The Java client takes a callback handler class (`sasl.login.callback.handler.class`); a function is the
 * JavaScript equivalent.
 */
export type OAuthBearerTokenProvider = () => string | OAuthBearerToken | Promise<string | OAuthBearerToken>;

import type { LogLevel } from '../network/options.js';

export type { LogLevel, Logger } from '../network/options.js';

/**
 * A logger object as Node applications already have one: an `error`, `warn`, `info` and `debug` method each. Called
 * the way its kind expects it (loggerFor() in src/cluster tells them apart by shape):
 *   - pino and bunyan (a `child()` method and no `log()`): `logger.warn({ ...fields }, message)`;
 *   - winston, console and anything else: `logger.warn(message, fields)` (fields left out when there are none).
 */
export interface LoggerObject {
  error(...args: never[]): unknown;
  warn(...args: never[]): unknown;
  info(...args: never[]): unknown;
  debug(...args: never[]): unknown;
}

/**
 * The function form of gregor.logger, gregor's first shape, kept because configurations and tools written for it
 * exist (gregor's CLI among them), and because it adapts any logger the shape rule above would call wrongly.
 */
export type LogFunction = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** What gregor.logger accepts. Lines below gregor.log.level are never passed to it. */
export type GregorLogger = LoggerObject | LogFunction;

/** What a deserializer function is told about the bytes it decodes (Java's Deserializer gets topic and headers). */
export interface DeserializerContext {
  /** Which part of the record the bytes are. */
  readonly part: 'key' | 'value';
  /** The record's topic. */
  readonly topic: string;
  /** The record's partition. */
  readonly partition: number;
  /** The record's offset. */
  readonly offset: bigint;
  /** The record's headers (wire order; values are bytes). */
  readonly headers: readonly { readonly key: string; readonly value: Buffer | null }[];
}

/**
 * A key or value deserializer given in code: bytes to a value, synchronously or through a promise (an Avro decoder
 * that looks up its schema, for example). A null key or value (a tombstone) is delivered as null without a call.
 * Throwing (or rejecting) makes the record a DeserializationError, handled as gregor.error.policy says.
 */
export type DeserializerFunction<T = unknown> = (data: Buffer, context: DeserializerContext) => T | PromiseLike<T>;

/** The built-in deserializers: UTF-8 text, JSON (UTF-8, JSON.parse), or the bytes as they are (a Buffer view). */
export type DeserializerName = 'string' | 'json' | 'buffer';

/** What key.deserializer and value.deserializer accept: a built-in's name (also in config files) or a function. */
export type Deserializer = DeserializerName | DeserializerFunction;

/** The TypeScript type of each function-valued property, by the `fn` tag in the table. */
export interface FunctionTypes {
  oauthTokenProvider: OAuthBearerTokenProvider;
}

/** One row of the property table. */
export interface PropertyDef {
  readonly type: PropertyType;
  /** One line: what the property does (shown by `gregor` help and in errors). */
  readonly doc: string;
  /** Which clients read it. Giving it to another kind of client is a warning (like the Java client). */
  readonly clients: readonly ClientKind[];
  /** Other spellings accepted for it: librdkafka's (Confluent's config files) and Java's where they differ. */
  readonly aliases?: readonly string[];
  /** Must be given (resolution fails otherwise), so a resolved value is never undefined. */
  readonly required?: boolean;
  /** Default when unset; absent means "unset" (resolved as undefined). */
  readonly default?: string | number | boolean | readonly string[];
  /** A default that differs by client kind (Java's admin client closes idle connections sooner, for example). */
  readonly defaultByKind?: Partial<Record<ClientKind, string | number | boolean>>;
  /**
   * When unset, the resolved value of this other int property (raised to `min`): a bound that follows another
   * bound unless set on its own (gregor.fetch.buffer.bytes follows fetch.max.bytes).
   */
  readonly defaultFrom?: string;
  /** Allowed values of an enum, in their canonical spelling; matching is case-insensitive. */
  readonly values?: readonly string[];
  /** Other spellings of enum values (librdkafka's `smallest` for `earliest`, ...). */
  readonly valueAliases?: Readonly<Record<string, string>>;
  /** Values that name a real feature gregor does not implement, with the reason shown in the error. */
  readonly unsupportedValues?: Readonly<Record<string, string>>;
  /** Inclusive bounds of an int. */
  readonly min?: number;
  readonly max?: number;
  /** The empty string is not a valid value (group.id, transactional.id...). */
  readonly nonEmpty?: boolean;
  /** For `function` properties: which signature, see {@link FunctionTypes}. */
  readonly fn?: keyof FunctionTypes;
  /** The value is a credential or contains one (also true for every `password`). */
  readonly secret?: boolean;
}
