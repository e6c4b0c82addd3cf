// resolveConfig(): from what the user gave (code, a config file, --property overrides) to one frozen, typed,
// normalised configuration that the consumer, cluster and network layers read.
//
// The resolved object is a plain frozen object keyed by canonical property names ('session.timeout.ms'), every
// property of the client kind present (undefined when unset and without a default), values typed (numbers,
// booleans, enum literals, frozen string arrays, Secret for credentials, functions). Aliases and Java spellings are
// folded into canonical names here, so no other layer knows about them:
//   - `sasl.jaas.config` becomes sasl.mechanism (when the login module implies it), sasl.username, sasl.password;
//   - `ssl.truststore.location` (PEM) is ssl.ca.location; `ssl.keystore.location` (PEM) fills both
//     ssl.certificate.location and ssl.key.location; `ssl.ca.location=probe` means Node's default roots;
//   - `bootstrap.servers` entries are checked and normalised to host:port;
//   - partition.assignment.strategy is reduced to assignor names (Java class names accepted).
// Rules the Java client applies are applied the same way (auto-commit off without group.id, idempotence off when
// acks is not all, ...), and what Java would silently ignore but is almost certainly a mistake is an error.

import { inspect } from 'node:util';
import { ConfigError } from '../errors.js';
import { formatBrokerAddress, parseBrokerAddress } from './addresses.js';
import { coerceValue, configError, type ValueContext } from './coerce.js';
import { parseJaasConfig, type JaasLogin } from './jaas.js';
import {
  IGNORED_PROPERTIES, PROPERTIES, allPropertySpellings, canonicalName, isSecretProperty, propertyDef,
  type ConfigInput, type PropertyNameFor,
} from './properties.js';
import { REDACTED, Secret, isSecret } from '../network/secret.js';
import { closestMatch } from './suggest.js';
import type { ClientKind, Deserializer, FunctionTypes, GregorLogger, PropertyDef } from './types.js';

type Defs = typeof PROPERTIES;

/** The type of a property once resolved. */
export type ResolvedValue<D> =
  | (D extends { type: 'enum'; values: readonly (infer V)[] } ? V
    : D extends { type: 'int' } ? number
    : D extends { type: 'bool' } ? boolean
    : D extends { type: 'list' } ? readonly string[]
    : D extends { type: 'password' } ? Secret
    : D extends { type: 'function'; fn: infer F extends keyof FunctionTypes } ? FunctionTypes[F]
    : D extends { type: 'logger' } ? GregorLogger
    : D extends { type: 'deserializer' } ? Deserializer
    : string)
  | (D extends { default: unknown } ? never : D extends { defaultFrom: string } ? never : D extends { required: true } ? never : undefined);

/** Something a resolver noticed that is not an error: a property of another client, an ignored Java setting. */
export interface ConfigWarning {
  readonly property: string;
  readonly message: string;
}

export interface ResolveOptions {
  /** Where each given property came from, keyed by the name as given: "config.ini:7", "--property". */
  origins?: Readonly<Record<string, string>>;
  /**
   * Receives each warning. Default: `process.emitWarning` (printed on stderr by Node), the counterpart of the
   * Java client's WARN log line, so a misplaced property is visible without being fatal.
   */
  onWarning?: (warning: ConfigWarning) => void;
}

interface ResolvedMeta<K extends ClientKind> {
  /** The kind of client this configuration is for. */
  readonly kind: K;
  /** Warnings found while resolving (also passed to onWarning). */
  readonly warnings: readonly ConfigWarning[];
  /** Whether the user gave the property (by any spelling), as opposed to it holding its default. */
  isExplicit(name: PropertyNameFor<K>): boolean;
}

/** A resolved configuration: canonical dotted names to typed values, frozen; prints with secrets redacted. */
export type ResolvedConfig<K extends ClientKind = ClientKind> =
  & { readonly [P in PropertyNameFor<K>]: ResolvedValue<Defs[P]> }
  & ResolvedMeta<K>;

/** A resolved configuration of any kind. */
export type AnyResolvedConfig = ResolvedConfig<'consumer'> | ResolvedConfig<'producer'> | ResolvedConfig<'admin'>;

/** A consumer configuration resolveConfig('consumer', ...) checked: every property typed, defaults filled in. */
export type ResolvedConsumerConfig = ResolvedConfig<'consumer'>;
/** A producer configuration resolveConfig('producer', ...) checked: every property typed, defaults filled in. */
export type ResolvedProducerConfig = ResolvedConfig<'producer'>;
/** An admin configuration resolveConfig('admin', ...) checked: every property typed, defaults filled in. */
export type ResolvedAdminConfig = ResolvedConfig<'admin'>;

const KINDS: readonly ClientKind[] = ['consumer', 'producer', 'admin'];
const META = Symbol('gregor.config.meta');

interface MetaData {
  kind: ClientKind;
  warnings: readonly ConfigWarning[];
  explicit: ReadonlySet<string>;
}

/** A copy for printing: secrets, functions and logger objects replaced, nothing else changed. */
function redacted(config: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) {
    if (isSecret(value) || (value !== undefined && isSecretProperty(name))) out[name] = REDACTED;
    else if (typeof value === 'function') out[name] = '[function]';
    // An application's logger holds streams and transports: printing it would be long, circular or both.
    else if (value !== undefined && propertyDef(name)?.type === 'logger') out[name] = '[logger]';
    else out[name] = value;
  }
  return out;
}

/** Redacts a raw, unresolved property record (for logging what a user passed). */
export function redactProperties(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return redacted(input);
}

const RESOLVED_PROTO = Object.create(Object.prototype, {
  kind: { get(this: { [META]: MetaData }) { return this[META].kind; } },
  warnings: { get(this: { [META]: MetaData }) { return this[META].warnings; } },
  isExplicit: { value(this: { [META]: MetaData }, name: string) { return this[META].explicit.has(name); } },
  toJSON: { value(this: object) { return redacted(this); } },
  [inspect.custom]: {
    value(this: { [META]: MetaData }, depth: number, options: object, inspectFn: typeof inspect = inspect) {
      return `ResolvedConfig<${this[META].kind}> ${inspectFn(redacted(this), { ...options, depth })}`;
    },
  },
  [Symbol.toStringTag]: { get(this: { [META]: MetaData }) { return `ResolvedConfig<${this[META].kind}>`; } },
});

export function isResolvedConfig(value: unknown): value is AnyResolvedConfig {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === RESOLVED_PROTO;
}

const clientIdSequence: Record<ClientKind, number> = { consumer: 0, producer: 0, admin: 0 };

// ---- the working state of one resolution ------------------------------------------------------------------------

class Resolution {
  readonly values = new Map<string, unknown>();
  /** canonical name -> the name the user wrote */
  readonly givenAs = new Map<string, string>();
  readonly warnings: ConfigWarning[] = [];

  constructor(readonly kind: ClientKind, readonly origins: Readonly<Record<string, string>>) {}

  has(name: string): boolean {
    return this.givenAs.has(name);
  }

  get<T = unknown>(name: string): T {
    return this.values.get(name) as T;
  }

  /** How to name a property in a message: the spelling the user wrote. */
  name(canonical: string): string {
    return this.givenAs.get(canonical) ?? canonical;
  }

  originOf(canonical: string): string | undefined {
    const given = this.givenAs.get(canonical);
    return given === undefined ? undefined : this.origins[given];
  }

  error(canonical: string, message: string): ConfigError {
    return configError({ canonical, origin: this.originOf(canonical) }, message);
  }

  warn(canonical: string, message: string): void {
    const origin = this.originOf(canonical);
    this.warnings.push({ property: canonical, message: origin === undefined ? message : `${origin}: ${message}` });
  }
}

function applicable(def: PropertyDef, kind: ClientKind): boolean {
  return def.clients.includes(kind);
}

function describeClients(def: PropertyDef): string {
  return def.clients.length === 1 ? `a ${def.clients[0]} property` : `a ${def.clients.join('/')} property`;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (isSecret(a) && isSecret(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

function unknownProperty(r: Resolution, name: string): ConfigError {
  const suggestion = closestMatch(name, allPropertySpellings(), (candidate) => {
    const canonical = canonicalName(candidate);
    return canonical !== undefined && applicable(PROPERTIES[canonical] as PropertyDef, r.kind);
  });
  const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
  // The name is shown even for secret-looking names: names are not secrets, values are.
  return configError({ canonical: name, origin: r.origins[name] }, `unknown property ${name}${hint}`);
}

function readInput(r: Resolution, input: Readonly<Record<string, unknown>>, quietKinds: boolean): void {
  for (const [name, raw] of Object.entries(input)) {
    // Unset, the same way Java treats null: lets code write { 'group.id': maybeUndefined }.
    if (raw === undefined || raw === null) continue;
    const canonical = canonicalName(name);
    if (canonical === undefined) {
      const reason = IGNORED_PROPERTIES[name];
      if (reason === undefined) throw unknownProperty(r, name);
      if (!quietKinds) {
        const origin = r.origins[name];
        r.warnings.push({ property: name, message: `${origin === undefined ? '' : `${origin}: `}${name} is ignored: ${reason}` });
      }
      continue;
    }
    const def = PROPERTIES[canonical] as PropertyDef;
    if (!applicable(def, r.kind)) {
      if (!quietKinds) {
        const origin = r.origins[name];
        const message = `${name} is ${describeClients(def)}; a ${r.kind} ignores it`;
        r.warnings.push({ property: canonical, message: origin === undefined ? message : `${origin}: ${message}` });
      }
      continue;
    }
    if (def.type === 'deserializer' && typeof raw === 'string' && raw.includes('.')) {
      // A Java class name (Java tool configs name their deserializers): nothing gregor can load; the bytes stay.
      if (!quietKinds) {
        const origin = r.origins[name];
        r.warnings.push({ property: canonical, message: `${origin === undefined ? '' : `${origin}: `}${name} is ignored: ${raw} is a Java class; gregor takes string, json, buffer or a function, and delivers the bytes when unset` });
      }
      continue;
    }
    const ctx: ValueContext = { name, canonical, origin: r.origins[name] };
    const value = coerceValue(def, ctx, raw);
    const previous = r.givenAs.get(canonical);
    if (previous !== undefined) {
      if (!sameValue(r.values.get(canonical), value)) {
        throw configError(ctx, `${previous} and ${name} are the same property and are set to different values; keep one`);
      }
      continue;
    }
    r.values.set(canonical, value);
    r.givenAs.set(canonical, name);
  }
}

function applyDefaults(r: Resolution): void {
  for (const [name, def] of Object.entries(PROPERTIES as Record<string, PropertyDef>)) {
    if (!applicable(def, r.kind) || r.values.has(name)) continue;
    const value = def.defaultByKind?.[r.kind] ?? def.default;
    r.values.set(name, Array.isArray(value) ? Object.freeze([...value]) : value);
  }
  // Second pass: the property a derived default follows has its own value (given or default) by now.
  for (const [name, def] of Object.entries(PROPERTIES as Record<string, PropertyDef>)) {
    if (def.defaultFrom === undefined || !applicable(def, r.kind) || r.values.get(name) !== undefined) continue;
    r.values.set(name, Math.max(def.min ?? -Infinity, r.get<number>(def.defaultFrom)));
  }
}

// ---- cross-property rules -----------------------------------------------------------------------------------------

function resolveBootstrap(r: Resolution): void {
  const servers = r.get<readonly string[] | undefined>('bootstrap.servers');
  if (servers === undefined || servers.length === 0) {
    throw r.error('bootstrap.servers', 'bootstrap.servers is required: host:port of at least one broker');
  }
  const normalised: string[] = [];
  for (const entry of servers) {
    try {
      normalised.push(formatBrokerAddress(parseBrokerAddress(entry, r.name('bootstrap.servers'))));
    } catch (err) {
      throw r.error('bootstrap.servers', (err as Error).message);
    }
  }
  r.values.set('bootstrap.servers', Object.freeze(normalised));
}

const SASL_PROPERTIES = ['sasl.mechanism', 'sasl.username', 'sasl.password', 'sasl.jaas.config', 'sasl.oauthbearer.token.provider'];

function resolveSasl(r: Resolution): void {
  const protocol = r.get<string>('security.protocol');
  const usesSasl = protocol.startsWith('SASL_');
  if (!usesSasl) {
    const given = SASL_PROPERTIES.filter((p) => r.has(p));
    if (given.length > 0) {
      throw r.error(given[0], `${given.map((p) => r.name(p)).join(', ')} ${given.length === 1 ? 'is' : 'are'} set but `
        + `security.protocol is ${protocol}; SASL needs security.protocol=SASL_SSL (or SASL_PLAINTEXT)`);
    }
    return;
  }
  let jaas: JaasLogin | undefined;
  if (r.has('sasl.jaas.config')) {
    try {
      jaas = parseJaasConfig(r.get<Secret>('sasl.jaas.config'));
    } catch (err) {
      throw r.error('sasl.jaas.config', (err as Error).message);
    }
    if (jaas.unusedOptions.length > 0) {
      r.warn('sasl.jaas.config', `sasl.jaas.config options not used by gregor: ${jaas.unusedOptions.join(', ')}`);
    }
  }
  let mechanism = r.get<string | undefined>('sasl.mechanism');
  if (jaas !== undefined && mechanism !== undefined && !jaas.mechanisms.includes(mechanism)) {
    throw r.error('sasl.mechanism', `${r.name('sasl.mechanism')}=${mechanism} does not match the login module of `
      + `sasl.jaas.config (${jaas.loginModule}, for ${jaas.mechanisms.join(' or ')})`);
  }
  if (mechanism === undefined && jaas !== undefined) mechanism = jaas.mechanism;
  if (mechanism === undefined) {
    throw r.error(jaas === undefined ? 'security.protocol' : 'sasl.jaas.config', jaas === undefined
      ? `security.protocol=${protocol} needs sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER)`
      : `sasl.mechanism must be set to ${jaas.mechanisms.join(' or ')} for ${jaas.loginModule}`);
  }
  r.values.set('sasl.mechanism', mechanism);

  if (jaas?.username !== undefined) {
    const direct = r.get<string | undefined>('sasl.username');
    if (direct !== undefined && direct !== jaas.username) {
      throw r.error('sasl.username', `${r.name('sasl.username')} and the username in sasl.jaas.config differ; keep one`);
    }
    r.values.set('sasl.username', jaas.username);
  }
  if (jaas?.password !== undefined) {
    const direct = r.get<Secret | undefined>('sasl.password');
    if (direct !== undefined && !direct.equals(jaas.password)) {
      throw r.error('sasl.password', `${r.name('sasl.password')} and the password in sasl.jaas.config differ; keep one`);
    }
    r.values.set('sasl.password', jaas.password);
  }

  if (mechanism === 'OAUTHBEARER') {
    if (r.get('sasl.oauthbearer.token.provider') === undefined) {
      throw r.error('sasl.mechanism', 'sasl.mechanism=OAUTHBEARER needs sasl.oauthbearer.token.provider, '
        + 'a function returning { value, lifetimeMs } (set it in code)');
    }
    for (const p of ['sasl.username', 'sasl.password']) {
      if (r.has(p)) r.warn(p, `${r.name(p)} is not used with sasl.mechanism=OAUTHBEARER`);
    }
  } else {
    const missing = ['sasl.username', 'sasl.password'].filter((p) => r.get(p) === undefined);
    if (missing.length > 0) {
      throw r.error('sasl.mechanism', `sasl.mechanism=${mechanism} needs ${missing.join(' and ')} `
        + '(or a sasl.jaas.config line with username and password)');
    }
    if (r.has('sasl.oauthbearer.token.provider')) {
      r.warn('sasl.oauthbearer.token.provider', `sasl.oauthbearer.token.provider is not used with sasl.mechanism=${mechanism}`);
    }
  }
}

function resolveSsl(r: Resolution): void {
  const protocol = r.get<string>('security.protocol');
  const usesTls = protocol.endsWith('SSL');
  const given = [...r.givenAs.keys()].filter((p) => p.startsWith('ssl.') || p === 'enable.ssl.certificate.verification');
  if (!usesTls) {
    if (given.length > 0) {
      r.warn(given[0], `${given.map((p) => r.name(p)).join(', ')} ${given.length === 1 ? 'is' : 'are'} ignored: `
        + `security.protocol=${protocol} does not use TLS`);
    }
    return;
  }
  // Java spellings: a PEM trust store is a CA file; a PEM key store is one file with the key and the chain.
  if (r.name('ssl.ca.location') === 'ssl.truststore.location' && r.get('ssl.truststore.type') !== 'PEM') {
    throw r.error('ssl.ca.location', 'ssl.truststore.location is read as a PEM file only: add ssl.truststore.type=PEM '
      + '(gregor cannot read JKS or PKCS12 stores)');
  }
  if (r.has('ssl.keystore.location')) {
    if (r.get('ssl.keystore.type') !== 'PEM') {
      throw r.error('ssl.keystore.location', 'ssl.keystore.location is read as a PEM file only: add ssl.keystore.type=PEM '
        + '(gregor cannot read JKS or PKCS12 stores)');
    }
    for (const p of ['ssl.certificate.location', 'ssl.key.location', 'ssl.certificate.pem', 'ssl.key.pem']) {
      if (r.has(p)) throw r.error(p, `${r.name(p)} and ssl.keystore.location both give the client certificate; keep one`);
    }
    const file = r.get<string>('ssl.keystore.location');
    r.values.set('ssl.certificate.location', file);
    r.values.set('ssl.key.location', file);
  }
  for (const p of ['ssl.truststore.password', 'ssl.keystore.password']) {
    if (r.has(p)) r.warn(p, `${p} is ignored: PEM stores have no store password (an encrypted key uses ssl.key.password)`);
  }
  if (r.get('ssl.ca.location') === 'probe') r.values.set('ssl.ca.location', undefined);
  const pairs: Array<[string, string]> = [
    ['ssl.ca.location', 'ssl.ca.pem'],
    ['ssl.certificate.location', 'ssl.certificate.pem'],
    ['ssl.key.location', 'ssl.key.pem'],
  ];
  for (const [file, pem] of pairs) {
    if (r.get(file) !== undefined && r.get(pem) !== undefined) {
      throw r.error(pem, `${r.name(file)} and ${r.name(pem)} are both set; give the file or the PEM text, not both`);
    }
  }
  const hasCert = r.get('ssl.certificate.location') !== undefined || r.get('ssl.certificate.pem') !== undefined;
  const hasKey = r.get('ssl.key.location') !== undefined || r.get('ssl.key.pem') !== undefined;
  if (hasCert !== hasKey) {
    const present = hasCert ? 'a client certificate' : 'a client key';
    const missing = hasCert ? 'ssl.key.location or ssl.key.pem' : 'ssl.certificate.location or ssl.certificate.pem';
    throw r.error(hasCert ? 'ssl.certificate.location' : 'ssl.key.location', `${present} is set without ${missing}; mutual TLS needs both`);
  }
  if (r.has('ssl.key.password') && !hasKey) r.warn('ssl.key.password', 'ssl.key.password is set but no client key is');
  if (r.get('enable.ssl.certificate.verification') === false) {
    r.warn('enable.ssl.certificate.verification', 'enable.ssl.certificate.verification=false: broker certificates '
      + 'are not verified, so anyone on the network path can impersonate the broker');
  }
  if (r.get('ssl.endpoint.identification.algorithm') === 'none' && r.has('ssl.endpoint.identification.algorithm')) {
    r.warn('ssl.endpoint.identification.algorithm', 'host name verification is off: a certificate issued by the CA '
      + 'for any host is accepted');
  }
}

const ASSIGNORS: Record<string, string> = {
  'range': 'range',
  'roundrobin': 'roundrobin',
  'sticky': 'sticky',
  'cooperative-sticky': 'cooperative-sticky',
  'org.apache.kafka.clients.consumer.RangeAssignor': 'range',
  'org.apache.kafka.clients.consumer.RoundRobinAssignor': 'roundrobin',
  'org.apache.kafka.clients.consumer.StickyAssignor': 'sticky',
  'org.apache.kafka.clients.consumer.CooperativeStickyAssignor': 'cooperative-sticky',
};

function resolveGroup(r: Resolution): void {
  const groupId = r.get<string | undefined>('group.id');
  if (groupId === undefined) {
    if (r.has('group.instance.id')) {
      throw r.error('group.instance.id', 'group.instance.id needs group.id: static membership is membership of a group');
    }
    // Like Java: without a group there is nowhere to commit, so auto-commit is off unless asked for explicitly.
    if (r.has('enable.auto.commit') && r.get('enable.auto.commit') === true) {
      throw r.error('enable.auto.commit', 'enable.auto.commit=true needs group.id: offsets are committed to a group');
    }
    r.values.set('enable.auto.commit', false);
  }
  const strategies: string[] = [];
  for (const entry of r.get<readonly string[]>('partition.assignment.strategy')) {
    const name = ASSIGNORS[entry] ?? ASSIGNORS[entry.toLowerCase()];
    if (name === undefined) {
      throw r.error('partition.assignment.strategy', `unknown assignor ${JSON.stringify(entry)} in `
        + `${r.name('partition.assignment.strategy')}: expected range, roundrobin, sticky or cooperative-sticky`);
    }
    if (strategies.includes(name)) {
      throw r.error('partition.assignment.strategy', `assignor ${name} is listed twice in ${r.name('partition.assignment.strategy')}`);
    }
    strategies.push(name);
  }
  if (strategies.length === 0) {
    throw r.error('partition.assignment.strategy', `${r.name('partition.assignment.strategy')} must name at least one assignor`);
  }
  r.values.set('partition.assignment.strategy', Object.freeze(strategies));

  if (r.get('group.protocol') === 'consumer') {
    // KIP-848: the broker owns the session, the heartbeat interval and the assignment. Java refuses these too.
    for (const p of ['session.timeout.ms', 'heartbeat.interval.ms', 'partition.assignment.strategy']) {
      if (r.has(p)) {
        throw r.error(p, `${r.name(p)} cannot be used with group.protocol=consumer: the broker decides it `
          + '(see group.consumer.* broker settings; use group.remote.assignor to choose an assignor)');
      }
    }
  } else {
    if (r.has('group.remote.assignor')) {
      throw r.error('group.remote.assignor', 'group.remote.assignor needs group.protocol=consumer; the classic protocol '
        + 'uses partition.assignment.strategy');
    }
    const session = r.get<number>('session.timeout.ms');
    const heartbeat = r.get<number>('heartbeat.interval.ms');
    if (heartbeat >= session) {
      const culprit = r.has('heartbeat.interval.ms') ? 'heartbeat.interval.ms' : 'session.timeout.ms';
      throw r.error(culprit, `heartbeat.interval.ms (${heartbeat}) must be lower than session.timeout.ms (${session}); `
        + 'a third of it is usual');
    }
  }
}

function resolveProducer(r: Resolution): void {
  const acks = r.get<string>('acks');
  const inFlight = r.get<number>('max.in.flight.requests.per.connection');
  const retries = r.get<number>('retries');
  const explicitIdempotence = r.has('enable.idempotence');
  if (r.get('enable.idempotence') === true) {
    // Idempotence needs every replica's acknowledgement, retries, and at most 5 batches in flight (the broker
    // remembers the last 5 sequence numbers per producer). Explicitly asked for: an error; by default: turned off.
    const problems: Array<[string, string]> = [];
    if (acks !== 'all') problems.push(['acks', `acks=all (not ${acks})`]);
    if (inFlight > 5) problems.push(['max.in.flight.requests.per.connection', `max.in.flight.requests.per.connection <= 5 (not ${inFlight})`]);
    if (retries === 0) problems.push(['retries', 'retries > 0']);
    if (problems.length > 0) {
      if (explicitIdempotence) {
        throw r.error(problems[0][0], `enable.idempotence=true needs ${problems.map((p) => p[1]).join(' and ')}`);
      }
      r.values.set('enable.idempotence', false);
    }
  }
  if (r.get('transactional.id') !== undefined && r.get('enable.idempotence') !== true) {
    throw r.error('transactional.id', 'transactional.id needs enable.idempotence=true (and acks=all)');
  }
  const minDelivery = r.get<number>('linger.ms') + r.get<number>('request.timeout.ms');
  if (r.get<number>('delivery.timeout.ms') < minDelivery) {
    if (r.has('delivery.timeout.ms')) {
      throw r.error('delivery.timeout.ms', `${r.name('delivery.timeout.ms')} must be at least linger.ms + request.timeout.ms (${minDelivery})`);
    }
    r.values.set('delivery.timeout.ms', minDelivery);
  }
}

function resolveClientId(r: Resolution): void {
  if (r.get('client.id') !== '') return;
  const n = ++clientIdSequence[r.kind];
  const group = r.kind === 'consumer' ? r.get<string | undefined>('group.id') : undefined;
  r.values.set('client.id', group === undefined ? `${r.kind}-${n}` : `${r.kind}-${group}-${n}`);
}

function defaultWarningSink(warning: ConfigWarning): void {
  process.emitWarning(warning.message, { type: 'GregorConfigWarning', code: 'GREGOR_CONFIG' });
}

/**
 * Validates and normalises a configuration for one kind of client. Throws ConfigError naming the property (and
 * where it came from) for an unknown property (with the closest valid name), a bad value (never showing a
 * secret), or conflicting properties. Properties of another kind of client are warnings, as in the Java client.
 *
 * `input` may also be a configuration already resolved: for the same kind it is returned as is; for another kind
 * (the consumer deriving an admin configuration), its explicitly set properties that apply are reused, quietly.
 */
export function resolveConfig<K extends ClientKind>(
  kind: K,
  input: ConfigInput<K> | Readonly<Record<string, unknown>> | AnyResolvedConfig,
  options: ResolveOptions = {},
): ResolvedConfig<K> {
  if (!KINDS.includes(kind)) throw new ConfigError(`unknown client kind ${JSON.stringify(kind)}: expected consumer, producer or admin`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(`a ${kind} configuration must be an object of property names to values`);
  }
  let quietKinds = false;
  let source: Readonly<Record<string, unknown>> = input as Readonly<Record<string, unknown>>;
  if (isResolvedConfig(input)) {
    const meta = (input as unknown as { [META]: MetaData })[META];
    if (meta.kind === kind) return input as unknown as ResolvedConfig<K>;
    const explicit: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input)) if (meta.explicit.has(name)) explicit[name] = value;
    source = explicit;
    quietKinds = true;
  }
  const r = new Resolution(kind, options.origins ?? {});
  readInput(r, source, quietKinds);
  applyDefaults(r);
  resolveBootstrap(r);
  resolveSasl(r);
  resolveSsl(r);
  if (kind === 'consumer') resolveGroup(r);
  if (kind === 'producer') resolveProducer(r);
  resolveClientId(r);

  const config = Object.create(RESOLVED_PROTO) as Record<string | symbol, unknown>;
  for (const [name, def] of Object.entries(PROPERTIES as Record<string, PropertyDef>)) {
    if (applicable(def, kind)) config[name] = r.values.get(name);
  }
  const warnings = Object.freeze(r.warnings.map((w) => Object.freeze(w)));
  Object.defineProperty(config, META, {
    value: Object.freeze({ kind, warnings, explicit: new Set(r.givenAs.keys()) }),
  });
  Object.freeze(config);
  const sink = options.onWarning ?? defaultWarningSink;
  for (const warning of warnings) sink(warning);
  return config as unknown as ResolvedConfig<K>;
}
