// From a resolved client configuration (Kafka's property names, src/config) to the network layer's options object
// (src/network/options.ts). The consumer, the producer and the admin client all connect the same way, so the mapping
// is written once, here: one spelling of every property for the three clients. It lives in the cluster layer because
// that is the lowest layer allowed to know both sides (src/config is shared by all layers; the network layer never
// learns property names), and the clients above import it without importing sideways from each other.

import { isSecret, type AnyResolvedConfig } from '../config/index.js';
import type { Logger, NetworkOptions, SaslMechanismName, SecurityProtocol } from '../network/options.js';
import { secret, type Secret } from '../network/secret.js';
import type { SslOptions } from '../network/tls.js';

/** A credential as the network layer takes it: config already holds it as a Secret (one class for all layers). */
function credential(value: unknown): Secret<string> | undefined {
  if (value === undefined || value === null) return undefined;
  return isSecret(value) ? (value as Secret<string>) : secret(String(value));
}

function opt<T>(value: T | undefined | null): T | undefined {
  return value === null ? undefined : value;
}

/** The network options a consumer, producer or admin configuration asks for. */
export function networkOptionsFrom(config: AnyResolvedConfig, logger: Logger): NetworkOptions {
  const c = config as unknown as Record<string, unknown>;
  const protocol = c['security.protocol'] as SecurityProtocol;
  const options: NetworkOptions = {
    bootstrapServers: c['bootstrap.servers'] as readonly string[],
    clientId: (c['client.id'] as string) || 'gregor',
    securityProtocol: protocol,
    requestTimeoutMs: c['request.timeout.ms'] as number,
    connectionSetupTimeoutMs: c['socket.connection.setup.timeout.ms'] as number,
    connectionsMaxIdleMs: c['connections.max.idle.ms'] as number,
    reconnectBackoffMs: c['reconnect.backoff.ms'] as number,
    reconnectBackoffMaxMs: c['reconnect.backoff.max.ms'] as number,
    metadataMaxAgeMs: c['metadata.max.age.ms'] as number,
    logger,
  };
  // A producer property only: consumer and admin configurations do not have it and keep the network's default.
  const inFlight = c['max.in.flight.requests.per.connection'];
  if (typeof inFlight === 'number') options.maxInFlightRequestsPerConnection = inFlight;
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    options.sasl = {
      mechanism: (c['sasl.mechanism'] as SaslMechanismName | undefined) ?? 'PLAIN',
      username: opt(c['sasl.username'] as string | undefined),
      password: credential(c['sasl.password']),
      // Config's provider type is a superset of the network's (it may add lifetimeMs and principalName).
      oauthTokenProvider: opt(c['sasl.oauthbearer.token.provider'] as NonNullable<NetworkOptions['sasl']>['oauthTokenProvider']),
    };
  }
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const ssl: SslOptions = {
      caLocation: opt(c['ssl.ca.location'] as string | undefined),
      ca: opt(c['ssl.ca.pem'] as string | undefined),
      certLocation: opt(c['ssl.certificate.location'] as string | undefined),
      cert: opt(c['ssl.certificate.pem'] as string | undefined),
      keyLocation: opt(c['ssl.key.location'] as string | undefined),
      key: credential(c['ssl.key.pem']),
      passphrase: credential(c['ssl.key.password']),
      endpointIdentification: c['ssl.endpoint.identification.algorithm'] === 'none' ? '' : 'https',
      rejectUnauthorized: c['enable.ssl.certificate.verification'] !== false,
    };
    options.ssl = ssl;
  }
  return options;
}
