// The network layer's configuration: a plain, typed options object.
//
// The config layer (src/config) owns Kafka's property names and their parsing; the consumer maps its resolved
// properties onto `NetworkOptions`. Each field below names the Kafka / librdkafka property it corresponds to, so
// that mapping is mechanical. `resolveNetworkOptions()` validates once, fills defaults, reads certificate files and
// wraps credentials in `Secret`, so everything below it can trust its input and cannot leak a password by accident.

import { ConfigError } from '../errors.js';
import { Secret, secret } from './secret.js';
import { resolveTls, type ResolvedTls, type SslOptions } from './tls.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';
export const SASL_MECHANISMS: readonly SaslMechanismName[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

/** What an OAUTHBEARER token provider returns: the token, or the token with SASL extensions (KIP-342). */
export interface OAuthBearerToken {
  /** The bearer token (usually a JWT). */
  value: string;
  /** SASL extensions sent with the token (`key=value` pairs; keys are letters only, `auth` is reserved). */
  extensions?: Record<string, string>;
}

/**
 * Called for every authentication, including KIP-368 re-authentications, so it can return a fresh token. It may
 * cache; gregor does not.
 */
export type OAuthTokenProvider = () => Promise<string | OAuthBearerToken> | string | OAuthBearerToken;

export interface SaslOptions {
  /** sasl.mechanism (Java) / sasl.mechanisms (librdkafka). */
  mechanism: SaslMechanismName;
  /** sasl.username (PLAIN, SCRAM). */
  username?: string;
  /** sasl.password (PLAIN, SCRAM). Held as a Secret once resolved. */
  password?: string | Secret<string>;
  /** Authorization identity (PLAIN authzid, OAUTHBEARER `a=`); usually left empty. */
  authorizationId?: string;
  /** OAUTHBEARER: supplies the token (the application's sasl.oauthbearer token refresh logic). */
  oauthTokenProvider?: OAuthTokenProvider;
  /** KIP-368: re-authenticate before the session lifetime the broker announces ends. Default true. */
  reauthenticate?: boolean;
}

export type { SslOptions } from './tls.js';

/** gregor's log levels, most severe first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * The one logger interface inside gregor, defined here because the network layer is the lowest that logs: every
 * layer calls `logger.warn(message, fields)`. An application's logger (the gregor.logger property: pino, bunyan,
 * winston, console...) is adapted to it once, by loggerFor() in src/cluster, which also applies gregor.log.level
 * and the default (stderr). Fields are plain data and never carry a credential.
 */
export interface Logger {
  /** Something failed that the client cannot recover from by itself. */
  error(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong and was handled (a retry, a reset, a lost connection). */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Lifecycle: connected, joined a group, assigned partitions. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Details for diagnosis: requests, responses, state changes. */
  debug(message: string, fields?: Record<string, unknown>): void;
}

export const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface NetworkOptions {
  /** bootstrap.servers: 'host:port' strings (IPv6 as '[::1]:9092'), as an array or a comma-separated string. */
  bootstrapServers: string | readonly string[];
  /** client.id: sent in every request header; shows up in broker logs and quotas. Default 'gregor'. */
  clientId?: string;
  /** security.protocol. Default PLAINTEXT. */
  securityProtocol?: SecurityProtocol;
  sasl?: SaslOptions;
  ssl?: SslOptions;
  /** request.timeout.ms: how long a request may wait for its response. Default 30000. */
  requestTimeoutMs?: number;
  /** socket.connection.setup.timeout.ms: TCP connect plus TLS handshake. Default 10000. */
  connectionSetupTimeoutMs?: number;
  /** socket.connection.setup.timeout.max.ms: the setup timeout doubles per consecutive failure up to this (KIP-601). Default 30000. */
  connectionSetupTimeoutMaxMs?: number;
  /** connections.max.idle.ms: close a connection with nothing in flight after this long. Default 540000. */
  connectionsMaxIdleMs?: number;
  /** reconnect.backoff.ms: first delay before reconnecting to a broker. Default 50. */
  reconnectBackoffMs?: number;
  /** reconnect.backoff.max.ms: cap of the exponential reconnect delay. Default 1000. */
  reconnectBackoffMaxMs?: number;
  /** max.in.flight.requests.per.connection: requests beyond this queue on the client. Default 5. */
  maxInFlightRequestsPerConnection?: number;
  /** receive.message.max.bytes: largest response accepted; a bigger size prefix is a protocol error. Default 100 MB. */
  maxResponseBytes?: number;
  /** metadata.max.age.ms: refresh the metadata cache at least this often. Default 300000. */
  metadataMaxAgeMs?: number;
  /** How long bootstrapping may try every address before giving up. Default 30000. */
  bootstrapTimeoutMs?: number;
  /**
   * metadata.recovery.strategy (KIP-899): 'rebootstrap' goes back to the bootstrap addresses when no known broker
   * can be reached (or rebootstrap() is asked for); 'none' keeps trying the known brokers. Default 'rebootstrap'.
   */
  metadataRecoveryStrategy?: 'rebootstrap' | 'none';
  /** metadata.recovery.rebootstrap.trigger.ms (KIP-1102): rebootstrap after this long without metadata. Default 300000. */
  rebootstrapTriggerMs?: number;
  /** TCP_NODELAY (socket.nagle.disable in librdkafka). Default true: requests are already coalesced per tick. */
  socketNoDelay?: boolean;
  /** socket.keepalive.enable. Default true. */
  socketKeepAlive?: boolean;
  /** Sent in ApiVersions v3+ (KIP-511); shows up in broker metrics. */
  clientSoftwareName?: string;
  clientSoftwareVersion?: string;
  logger?: Logger;
  /**
   * Where to open the TCP connection to a broker, given the address the client knows it by (a bootstrap address, or
   * the one the broker advertises in Metadata and FindCoordinator). For networks where the advertised address is not
   * reachable as is (an SSH tunnel, NAT) and for tests that put a fault proxy in front of a broker: the advertised
   * address would otherwise bypass the proxy after the first Metadata response. The broker keeps its identity (node
   * id, address in logs and errors) and TLS still verifies the advertised host name. Default: the address itself.
   */
  connectAddress?: ConnectAddressResolver;
}

/** See NetworkOptions.connectAddress. Called at every connection attempt; must not throw. */
export type ConnectAddressResolver = (broker: { nodeId: number; host: string; port: number }) => BrokerAddress;

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface ResolvedSasl {
  mechanism: SaslMechanismName;
  username: string | undefined;
  password: Secret<string> | undefined;
  authorizationId: string;
  oauthTokenProvider: OAuthTokenProvider | undefined;
  reauthenticate: boolean;
}

export interface ResolvedNetworkOptions {
  bootstrapServers: BrokerAddress[];
  clientId: string;
  securityProtocol: SecurityProtocol;
  sasl: ResolvedSasl | undefined;
  tls: ResolvedTls | undefined;
  requestTimeoutMs: number;
  connectionSetupTimeoutMs: number;
  connectionSetupTimeoutMaxMs: number;
  connectionsMaxIdleMs: number;
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
  maxInFlightRequestsPerConnection: number;
  maxResponseBytes: number;
  metadataMaxAgeMs: number;
  bootstrapTimeoutMs: number;
  metadataRecoveryStrategy: 'rebootstrap' | 'none';
  rebootstrapTriggerMs: number;
  socketNoDelay: boolean;
  socketKeepAlive: boolean;
  clientSoftwareName: string;
  clientSoftwareVersion: string;
  logger: Logger;
  connectAddress: ConnectAddressResolver | undefined;
}

export const NETWORK_DEFAULTS = {
  clientId: 'gregor',
  securityProtocol: 'PLAINTEXT' as SecurityProtocol,
  requestTimeoutMs: 30_000,
  connectionSetupTimeoutMs: 10_000,
  connectionSetupTimeoutMaxMs: 30_000,
  connectionsMaxIdleMs: 540_000,
  reconnectBackoffMs: 50,
  reconnectBackoffMaxMs: 1_000,
  maxInFlightRequestsPerConnection: 5,
  maxResponseBytes: 100_000_000,
  metadataMaxAgeMs: 300_000,
  bootstrapTimeoutMs: 30_000,
  metadataRecoveryStrategy: 'rebootstrap' as 'rebootstrap' | 'none',
  rebootstrapTriggerMs: 300_000,
  socketNoDelay: true,
  socketKeepAlive: true,
  clientSoftwareName: 'gregor',
  clientSoftwareVersion: '0.1.0',
} as const;

/** Parses 'host:port' or '[v6]:port'. */
export function parseBrokerAddress(text: string, property = 'bootstrap.servers'): BrokerAddress {
  const s = text.trim();
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else {
    const i = s.lastIndexOf(':');
    if (i <= 0 || s.indexOf(':') !== i) {
      throw new ConfigError(`${property}: '${s}' is not host:port (write IPv6 addresses as [addr]:port)`, property);
    }
    host = s.slice(0, i);
    portText = s.slice(i + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`${property}: '${s}' has an invalid port '${portText}' (1-65535)`, property);
  }
  if (!/^[A-Za-z0-9._:%-]+$/.test(host)) {
    throw new ConfigError(`${property}: '${s}' has an invalid host '${host}'`, property);
  }
  return { host, port };
}

export function formatAddress(a: BrokerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function intOption(
  value: number | undefined,
  fallback: number,
  property: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${property}: expected an integer in [${min}, ${max}], got ${String(value)}`, property);
  }
  return value;
}

function resolveSasl(sasl: SaslOptions): ResolvedSasl {
  if (!SASL_MECHANISMS.includes(sasl.mechanism)) {
    throw new ConfigError(
      `sasl.mechanism: '${String(sasl.mechanism)}' is not supported (supported: ${SASL_MECHANISMS.join(', ')})`,
      'sasl.mechanism',
    );
  }
  const password = secret(sasl.password);
  if (sasl.mechanism === 'OAUTHBEARER') {
    if (typeof sasl.oauthTokenProvider !== 'function') {
      throw new ConfigError('sasl.mechanism OAUTHBEARER needs an oauthTokenProvider function', 'sasl.oauthbearer');
    }
  } else {
    if (typeof sasl.username !== 'string' || sasl.username === '') {
      throw new ConfigError(`sasl.mechanism ${sasl.mechanism} needs sasl.username`, 'sasl.username');
    }
    if (password === undefined || typeof password.reveal() !== 'string' || password.reveal() === '') {
      throw new ConfigError(`sasl.mechanism ${sasl.mechanism} needs sasl.password`, 'sasl.password');
    }
  }
  return {
    mechanism: sasl.mechanism,
    username: sasl.username,
    password,
    authorizationId: sasl.authorizationId ?? '',
    oauthTokenProvider: sasl.oauthTokenProvider,
    reauthenticate: sasl.reauthenticate ?? true,
  };
}

function connectAddressOption(value: unknown): ConnectAddressResolver | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new ConfigError(`connectAddress: expected a function, got ${typeof value}`);
  return value as ConnectAddressResolver;
}

/** Validates `options`, fills defaults, reads TLS files. Throws ConfigError naming the property. */
export function resolveNetworkOptions(options: NetworkOptions): ResolvedNetworkOptions {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('network options must be an object');
  }
  const list =
    typeof options.bootstrapServers === 'string'
      ? options.bootstrapServers.split(',')
      : Array.isArray(options.bootstrapServers)
        ? options.bootstrapServers
        : undefined;
  if (list === undefined) throw new ConfigError('bootstrap.servers is required', 'bootstrap.servers');
  const bootstrapServers = list
    .map((s) => String(s).trim())
    .filter((s) => s !== '')
    .map((s) => parseBrokerAddress(s));
  if (bootstrapServers.length === 0) {
    throw new ConfigError('bootstrap.servers lists no address', 'bootstrap.servers');
  }

  const securityProtocol = options.securityProtocol ?? NETWORK_DEFAULTS.securityProtocol;
  if (!SECURITY_PROTOCOLS.includes(securityProtocol)) {
    throw new ConfigError(
      `security.protocol: '${String(securityProtocol)}' is not one of ${SECURITY_PROTOCOLS.join(', ')}`,
      'security.protocol',
    );
  }
  const usesSasl = securityProtocol === 'SASL_PLAINTEXT' || securityProtocol === 'SASL_SSL';
  const usesTls = securityProtocol === 'SSL' || securityProtocol === 'SASL_SSL';
  if (usesSasl && options.sasl === undefined) {
    throw new ConfigError(`security.protocol ${securityProtocol} needs sasl.mechanism and credentials`, 'sasl.mechanism');
  }
  if (!usesSasl && options.sasl !== undefined) {
    // Credentials that would silently go unused usually mean a mistyped security.protocol.
    throw new ConfigError(
      `SASL options are set but security.protocol is ${securityProtocol} (use SASL_SSL or SASL_PLAINTEXT)`,
      'security.protocol',
    );
  }
  const ssl = options.ssl;
  if (!usesTls && ssl !== undefined && (ssl.ca ?? ssl.caLocation ?? ssl.cert ?? ssl.certLocation ?? ssl.key ?? ssl.keyLocation) !== undefined) {
    throw new ConfigError(
      `TLS certificates are configured but security.protocol is ${securityProtocol} (use SSL or SASL_SSL)`,
      'security.protocol',
    );
  }

  const clientId = options.clientId ?? NETWORK_DEFAULTS.clientId;
  if (typeof clientId !== 'string') throw new ConfigError('client.id must be a string', 'client.id');
  const reconnectBackoffMs = intOption(options.reconnectBackoffMs, NETWORK_DEFAULTS.reconnectBackoffMs, 'reconnect.backoff.ms', 0);
  const reconnectBackoffMaxMs = intOption(
    options.reconnectBackoffMaxMs,
    Math.max(NETWORK_DEFAULTS.reconnectBackoffMaxMs, reconnectBackoffMs),
    'reconnect.backoff.max.ms',
    0,
  );
  if (reconnectBackoffMaxMs < reconnectBackoffMs) {
    throw new ConfigError(
      `reconnect.backoff.max.ms (${reconnectBackoffMaxMs}) is below reconnect.backoff.ms (${reconnectBackoffMs})`,
      'reconnect.backoff.max.ms',
    );
  }
  const requestTimeoutMs = intOption(options.requestTimeoutMs, NETWORK_DEFAULTS.requestTimeoutMs, 'request.timeout.ms', 1);

  return {
    bootstrapServers,
    clientId,
    securityProtocol,
    sasl: usesSasl ? resolveSasl(options.sasl as SaslOptions) : undefined,
    tls: usesTls ? resolveTls(ssl ?? {}) : undefined,
    requestTimeoutMs,
    connectionSetupTimeoutMs: intOption(
      options.connectionSetupTimeoutMs,
      NETWORK_DEFAULTS.connectionSetupTimeoutMs,
      'socket.connection.setup.timeout.ms',
      1,
    ),
    connectionSetupTimeoutMaxMs: intOption(options.connectionSetupTimeoutMaxMs, NETWORK_DEFAULTS.connectionSetupTimeoutMaxMs,
      'socket.connection.setup.timeout.max.ms', 0),
    connectionsMaxIdleMs: intOption(options.connectionsMaxIdleMs, NETWORK_DEFAULTS.connectionsMaxIdleMs, 'connections.max.idle.ms', 1),
    reconnectBackoffMs,
    reconnectBackoffMaxMs,
    maxInFlightRequestsPerConnection: intOption(
      options.maxInFlightRequestsPerConnection,
      NETWORK_DEFAULTS.maxInFlightRequestsPerConnection,
      'max.in.flight.requests.per.connection',
      1,
      1000,
    ),
    maxResponseBytes: intOption(options.maxResponseBytes, NETWORK_DEFAULTS.maxResponseBytes, 'receive.message.max.bytes', 1024, 2 ** 31 - 1),
    metadataMaxAgeMs: intOption(options.metadataMaxAgeMs, NETWORK_DEFAULTS.metadataMaxAgeMs, 'metadata.max.age.ms', 0),
    bootstrapTimeoutMs: intOption(options.bootstrapTimeoutMs, NETWORK_DEFAULTS.bootstrapTimeoutMs, 'bootstrap timeout', 1),
    metadataRecoveryStrategy: recoveryStrategyOption(options.metadataRecoveryStrategy),
    rebootstrapTriggerMs: intOption(options.rebootstrapTriggerMs, NETWORK_DEFAULTS.rebootstrapTriggerMs, 'metadata.recovery.rebootstrap.trigger.ms', 0),
    socketNoDelay: options.socketNoDelay ?? NETWORK_DEFAULTS.socketNoDelay,
    socketKeepAlive: options.socketKeepAlive ?? NETWORK_DEFAULTS.socketKeepAlive,
    clientSoftwareName: options.clientSoftwareName ?? NETWORK_DEFAULTS.clientSoftwareName,
    clientSoftwareVersion: options.clientSoftwareVersion ?? NETWORK_DEFAULTS.clientSoftwareVersion,
    logger: options.logger ?? noopLogger,
    connectAddress: connectAddressOption(options.connectAddress),
  };
}

function recoveryStrategyOption(value: unknown): 'rebootstrap' | 'none' {
  if (value === undefined) return NETWORK_DEFAULTS.metadataRecoveryStrategy;
  if (value === 'rebootstrap' || value === 'none') return value;
  throw new TypeError(`metadata.recovery.strategy must be 'rebootstrap' or 'none', got ${JSON.stringify(value)}`);
}
