// The network layer's surface for the layers above (cluster, consumer, tools).

export { Pool, type BrokerMetadata } from './pool.js';
export {
  Broker,
  LANES,
  apiName,
  type BrokerRequestOptions,
  type BrokerStats,
  type Lane,
  type RequestBody,
  type VersionRange,
} from './broker.js';
export { Connection, type ConnectionConfig, type RequestOptions } from './connection.js';
export {
  NETWORK_DEFAULTS,
  SASL_MECHANISMS,
  SECURITY_PROTOCOLS,
  formatAddress,
  noopLogger,
  parseBrokerAddress,
  resolveNetworkOptions,
  type BrokerAddress,
  type ConnectAddressResolver,
  type Logger,
  type NetworkOptions,
  type OAuthBearerToken,
  type OAuthTokenProvider,
  type ResolvedNetworkOptions,
  type ResolvedSasl,
  type SaslMechanismName,
  type SaslOptions,
  type SecurityProtocol,
} from './options.js';
export type { SslOptions, ResolvedTls } from './tls.js';
export { Secret, REDACTED } from './secret.js';
export { backoffDelay, Backoff, type BackoffOptions } from './backoff.js';
export { raceAbort, sleep } from './abort.js';
