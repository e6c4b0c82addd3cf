// Option validation, defaults, and that no credential can leak through util.inspect, JSON or string conversion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect, format } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NETWORK_DEFAULTS, parseBrokerAddress, resolveNetworkOptions } from '../../../src/network/options.js';
import { Secret, scrub } from '../../../src/network/secret.js';
import { Pool } from '../../../src/network/pool.js';
import { ConfigError } from '../../../src/errors.js';

const PASSWORD = 'hunter2-very-secret';
const CERT = '-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n';
// A real certificate and its encrypted key (throwaway, fixtures/README.md): resolving checks that they match.
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test', 'unit', 'network', 'fixtures');
const CLIENT_CERT = readFileSync(join(FIXTURES, 'client.pem'), 'utf8');
const KEY = readFileSync(join(FIXTURES, 'client-encrypted.key'), 'utf8');
const KEY_PASSPHRASE = 'fixture-passphrase';
// One line of the key's base64 body: finding it in a rendering means key material leaked.
const KEY_LINE = KEY.split('\n')[3];

function configError(property: string | RegExp) {
  return (err: unknown) =>
    err instanceof ConfigError &&
    (typeof property === 'string' ? err.property === property : property.test(err.message));
}

test('bootstrap addresses: lists, comma strings, IPv6, and clear errors', () => {
  assert.deepEqual(parseBrokerAddress(' broker-1.example:9092 '), { host: 'broker-1.example', port: 9092 });
  assert.deepEqual(parseBrokerAddress('[::1]:9094'), { host: '::1', port: 9094 });
  const r = resolveNetworkOptions({ bootstrapServers: 'a:1, b:2,,' });
  assert.deepEqual(r.bootstrapServers, [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
  assert.throws(() => parseBrokerAddress('nohost'), /not host:port/);
  assert.throws(() => parseBrokerAddress('h:0'), /invalid port/);
  assert.throws(() => parseBrokerAddress('h:99999'), /invalid port/);
  assert.throws(() => parseBrokerAddress('::1:9092'), /IPv6/);
  assert.throws(() => resolveNetworkOptions({ bootstrapServers: ' , ' }), configError('bootstrap.servers'));
  assert.throws(() => resolveNetworkOptions({} as never), configError('bootstrap.servers'));
});

test('defaults follow the Java client', () => {
  const r = resolveNetworkOptions({ bootstrapServers: ['h:1'] });
  assert.equal(r.requestTimeoutMs, 30_000);
  assert.equal(r.connectionsMaxIdleMs, 540_000);
  assert.equal(r.reconnectBackoffMs, 50);
  assert.equal(r.reconnectBackoffMaxMs, 1000);
  assert.equal(r.maxInFlightRequestsPerConnection, 5);
  assert.equal(r.metadataMaxAgeMs, 300_000);
  assert.equal(r.securityProtocol, 'PLAINTEXT');
  assert.equal(r.clientId, NETWORK_DEFAULTS.clientId);
  assert.equal(r.tls, undefined);
  assert.equal(r.sasl, undefined);
});

test('numbers are validated with the property name', () => {
  assert.throws(() => resolveNetworkOptions({ bootstrapServers: 'h:1', requestTimeoutMs: 0 }), configError('request.timeout.ms'));
  assert.throws(() => resolveNetworkOptions({ bootstrapServers: 'h:1', requestTimeoutMs: 1.5 }), configError('request.timeout.ms'));
  assert.throws(
    () => resolveNetworkOptions({ bootstrapServers: 'h:1', reconnectBackoffMs: 500, reconnectBackoffMaxMs: 100 }),
    configError('reconnect.backoff.max.ms'),
  );
  assert.throws(
    () => resolveNetworkOptions({ bootstrapServers: 'h:1', maxInFlightRequestsPerConnection: 0 }),
    configError('max.in.flight.requests.per.connection'),
  );
});

test('security protocol and SASL settings must agree', () => {
  assert.throws(() => resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'TLS' as never }), configError('security.protocol'));
  assert.throws(() => resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'SASL_SSL' }), configError('sasl.mechanism'));
  assert.throws(
    () => resolveNetworkOptions({ bootstrapServers: 'h:1', sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } }),
    configError('security.protocol'),
  );
  assert.throws(
    () => resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'GSSAPI' as never } }),
    configError('sasl.mechanism'),
  );
  assert.throws(
    () => resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-256', username: 'u' } }),
    configError('sasl.password'),
  );
  assert.throws(
    () => resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'OAUTHBEARER' } }),
    /oauthTokenProvider/,
  );
  assert.throws(
    () => resolveNetworkOptions({ bootstrapServers: 'h:1', ssl: { ca: CERT } }),
    configError('security.protocol'),
  );
});

test('TLS files: read once, missing files and non-PEM content named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-tls-'));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, CERT);
  const r = resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'SSL', ssl: { caLocation: ca } });
  assert.equal(r.tls?.ca?.[0].toString(), CERT);
  assert.equal(r.tls?.verifyHostname, true, 'host name verification is on by default');
  assert.equal(r.tls?.rejectUnauthorized, true);
  assert.throws(
    () => resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'SSL', ssl: { caLocation: join(dir, 'nope.pem') } }),
    (e: unknown) => e instanceof ConfigError && e.property === 'ssl.ca.location' && /ENOENT/.test(e.message),
  );
  const der = join(dir, 'ca.der');
  writeFileSync(der, Buffer.from([0x30, 0x82, 0x01]));
  assert.throws(() => resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'SSL', ssl: { caLocation: der } }), /not PEM/);
  assert.throws(
    () => resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'SSL', ssl: { cert: CERT } }),
    /both a client certificate and its private key/,
  );
  const off = resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'SSL', ssl: { endpointIdentification: '' } });
  assert.equal(off.tls?.verifyHostname, false);
  assert.throws(
    () => resolveNetworkOptions({ bootstrapServers: 'h:1', securityProtocol: 'SSL', ssl: { endpointIdentification: 'http' as never } }),
    configError('ssl.endpoint.identification.algorithm'),
  );
});

test('credentials never show in util.inspect, JSON, format or string conversion of resolved options or the pool', () => {
  const r = resolveNetworkOptions({
    bootstrapServers: 'h:1',
    securityProtocol: 'SASL_SSL',
    sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: PASSWORD },
    ssl: { cert: CLIENT_CERT, key: KEY, passphrase: KEY_PASSPHRASE },
  });
  const pool = new Pool(r);
  const renderings = [
    inspect(r, { depth: 10, showHidden: true }),
    JSON.stringify(r),
    format('%o %O %s %j', r, r, r.sasl?.password, r),
    `${r.sasl?.password}`,
    String(r.tls?.key),
    inspect(pool, { depth: 10, showHidden: true }),
    inspect(pool.broker(-1), { depth: 10, showHidden: true }),
    JSON.stringify(pool.broker(-1)),
  ];
  for (const text of renderings) {
    assert.ok(!text.includes(PASSWORD), `password leaked: ${text.slice(0, 200)}`);
    assert.ok(!text.includes(KEY_LINE), 'private key leaked');
    assert.ok(!text.includes(KEY_PASSPHRASE), 'key passphrase leaked');
  }
  assert.ok(renderings[0].includes('[redacted]'));
  assert.equal(r.sasl?.password?.reveal(), PASSWORD, 'the value is still there for the mechanism');
  void pool.close();
});

test('a Secret passed in stays a Secret; scrub removes echoed secrets from broker messages', () => {
  const s = new Secret('abc-secret');
  const r = resolveNetworkOptions({
    bootstrapServers: 'h:1',
    securityProtocol: 'SASL_PLAINTEXT',
    sasl: { mechanism: 'PLAIN', username: 'u', password: s },
  });
  assert.equal(r.sasl?.password, s);
  assert.equal(scrub('bad password abc-secret for u', ['abc-secret']), 'bad password [redacted] for u');
  assert.equal(scrub('short ab stays', ['ab']), 'short ab stays');
});
