// From a resolved client configuration (Kafka's property names, src/config) to the network layer's options object
// (src/network/options.ts). The consumer, the producer and the admin client all connect the same way, so the mapping
// is written once, here: one spelling of every property for the three clients. It lives in the cluster layer because
// that is the lowest layer allowed to know both sides (src/config is shared by all layers; the network layer never
// learns property names), and the clients above import it without importing sideways from each other.

import type { AnyResolvedConfig } from '../config/index.js';
import type { Logger, NetworkOptions } from '../network/options.js';
import type { SslOptions } from '../network/tls.js';

/** Java's "never close idle connections" (any negative connections.max.idle.ms) in the network layer's terms. */
const NEVER_IDLE_MS = Number.MAX_SAFE_INTEGER;

/** The network options a consumer, producer or admin configuration asks for. */
export function networkOptionsFrom(config: AnyResolvedConfig, logger: Logger): NetworkOptions {
  const protocol = config['security.protocol'];
  const idleMs = config['connections.max.idle.ms'];
  const options: NetworkOptions = {
    bootstrapServers: config['bootstrap.servers'],
    clientId: config['client.id'],
    securityProtocol: protocol,
    requestTimeoutMs: config['request.timeout.ms'],
    connectionSetupTimeoutMs: config['socket.connection.setup.timeout.ms'],
    connectionSetupTimeoutMaxMs: config['socket.connection.setup.timeout.max.ms'],
    // Java's Selector: a negative value turns idle expiry off, 0 closes a connection as soon as it is idle (the
    // network layer counts whole milliseconds of idleness, so "idle for more than 0 ms" is 1).
    connectionsMaxIdleMs: idleMs < 0 ? NEVER_IDLE_MS : Math.max(1, idleMs),
    // A first backoff above the maximum is the maximum, as in Java's ExponentialBackoff (not an error there).
    reconnectBackoffMs: Math.min(config['reconnect.backoff.ms'], config['reconnect.backoff.max.ms']),
    reconnectBackoffMaxMs: config['reconnect.backoff.max.ms'],
    metadataMaxAgeMs: config['metadata.max.age.ms'],
    metadataRecoveryStrategy: config['metadata.recovery.strategy'],
    rebootstrapTriggerMs: config['metadata.recovery.rebootstrap.trigger.ms'],
    logger,
  };
  // Bootstrapping belongs to the call that needed it, so default.api.timeout.ms bounds it (consumer, admin), not a
  // fixed 30 s; 0 (Java: fail at once) is one millisecond here. The producer, without that property, keeps 30 s.
  if (config.kind !== 'producer') options.bootstrapTimeoutMs = Math.max(1, config['default.api.timeout.ms']);
  // A producer property only: consumer and admin configurations keep the network's default.
  if (config.kind === 'producer') options.maxInFlightRequestsPerConnection = config['max.in.flight.requests.per.connection'];
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    options.sasl = {
      mechanism: config['sasl.mechanism'] ?? 'PLAIN',
      username: config['sasl.username'],
      password: config['sasl.password'],
      // Config's provider type is a superset of the network's (it may add lifetimeMs and principalName).
      oauthTokenProvider: config['sasl.oauthbearer.token.provider'],
    };
  }
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const ssl: SslOptions = {
      caLocation: config['ssl.ca.location'],
      ca: config['ssl.ca.pem'],
      certLocation: config['ssl.certificate.location'],
      cert: config['ssl.certificate.pem'],
      keyLocation: config['ssl.key.location'],
      key: config['ssl.key.pem'],
      passphrase: config['ssl.key.password'],
      endpointIdentification: config['ssl.endpoint.identification.algorithm'] === 'none' ? '' : 'https',
      rejectUnauthorized: config['enable.ssl.certificate.verification'],
    };
    options.ssl = ssl;
  }
  return options;
}
