import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { resolveConfig, type ConfigWarning } from '../../../src/config/index.js';

const BASE = { 'bootstrap.servers': '127.0.0.1:9094', 'group.id': 'g' };
const PLAIN_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";';

function resolve(input: Record<string, unknown>, warnings: ConfigWarning[] = []) {
  return resolveConfig('consumer', input, { onWarning: (w) => warnings.push(w) });
}

function rejects(input: Record<string, unknown>, pattern: RegExp, property?: string): void {
  assert.throws(() => resolve(input), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, pattern);
    if (property !== undefined) assert.equal(err.property, property);
    return true;
  });
}

test('the hands-on config.ini shape: SASL_SSL, sasl.mechanisms=PLAIN, username, password', () => {
  const c = resolve({ ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'key', 'sasl.password': 'secret' });
  assert.equal(c['security.protocol'], 'SASL_SSL');
  assert.equal(c['sasl.mechanism'], 'PLAIN');
  assert.equal(c['sasl.username'], 'key');
  assert.equal(c['sasl.password']?.reveal(), 'secret');
});

test('Java sasl.jaas.config: PlainLoginModule gives the mechanism, username and password', () => {
  const c = resolve({ ...BASE, 'security.protocol': 'sasl_ssl', 'sasl.jaas.config': PLAIN_JAAS });
  assert.equal(c['sasl.mechanism'], 'PLAIN');
  assert.equal(c['sasl.username'], 'alice');
  assert.equal(c['sasl.password']?.reveal(), 'alice-secret');
});

test('Java sasl.jaas.config: single quotes, escapes, no final semicolon, other flags', () => {
  const c = resolve({
    ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-256',
    'sasl.jaas.config': "org.apache.kafka.common.security.scram.ScramLoginModule   REQUIRED\n  username='bob'  password=\"q\\\"uo;te\"",
  });
  assert.equal(c['sasl.username'], 'bob');
  assert.equal(c['sasl.password']?.reveal(), 'q"uo;te');
});

test('ScramLoginModule needs sasl.mechanism to say which SCRAM', () => {
  rejects({ ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="b";' },
    /sasl\.mechanism must be set to SCRAM-SHA-256 or SCRAM-SHA-512/);
});

test('a mechanism that contradicts the login module is an error', () => {
  rejects({ ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.jaas.config': PLAIN_JAAS },
    /sasl\.mechanism=SCRAM-SHA-512 does not match the login module/);
});

test('username or password given twice with different values is an error; the same value is fine', () => {
  rejects({ ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.username': 'carol', 'sasl.jaas.config': PLAIN_JAAS }, /sasl\.username and the username in sasl\.jaas\.config differ/);
  rejects({ ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.password': 'other', 'sasl.jaas.config': PLAIN_JAAS }, /sasl\.password and the password in sasl\.jaas\.config differ/);
  resolve({ ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.username': 'alice', 'sasl.password': 'alice-secret', 'sasl.jaas.config': PLAIN_JAAS });
});

test('malformed JAAS lines are errors that say where', () => {
  const sasl = { ...BASE, 'security.protocol': 'SASL_SSL' };
  rejects({ ...sasl, 'sasl.jaas.config': 'PlainLoginModule required;' }, /expected a login module class name/);
  rejects({ ...sasl, 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule username="a";' }, /expected a control flag/);
  rejects({ ...sasl, 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username "a";' }, /expected '=' after option username/);
  rejects({ ...sasl, 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username="a' }, /unterminated quoted string starting at character \d+/);
  rejects({ ...sasl, 'sasl.jaas.config': `${PLAIN_JAAS} ${PLAIN_JAAS}` }, /only one login module is allowed/);
  rejects({ ...sasl, 'sasl.jaas.config': 'com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;' }, /Kerberos \(GSSAPI\) is not supported/);
  rejects({ ...sasl, 'sasl.jaas.config': 'com.example.MyLoginModule required;' }, /unknown login module com\.example\.MyLoginModule/);
  rejects({ ...sasl, 'sasl.jaas.config': '   ' }, /sasl\.jaas\.config must not be empty/);
});

test('unused JAAS options are a warning, by name only when the name is a known option', () => {
  const warnings: ConfigWarning[] = [];
  resolve({ ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.jaas.config':
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="a" password="b" debug=true weird=1;' }, warnings);
  assert.match(warnings[0].message, /options not used by gregor: debug, 1 other option/);
});

test('SASL properties with a protocol that does not use SASL are an error', () => {
  rejects({ ...BASE, 'sasl.mechanism': 'PLAIN' }, /sasl\.mechanism is set but security\.protocol is PLAINTEXT/, 'sasl.mechanism');
  rejects({ ...BASE, 'security.protocol': 'SSL', 'sasl.username': 'u', 'sasl.password': 'p' }, /sasl\.username, sasl\.password are set but security\.protocol is SSL/);
});

test('SASL protocol without enough to authenticate is an error', () => {
  rejects({ ...BASE, 'security.protocol': 'SASL_SSL' }, /security\.protocol=SASL_SSL needs sasl\.mechanism/);
  rejects({ ...BASE, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.username': 'u' }, /sasl\.mechanism=PLAIN needs sasl\.password/);
  rejects({ ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-256' }, /needs sasl\.username and sasl\.password/);
  rejects({ ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'OAUTHBEARER' }, /needs sasl\.oauthbearer\.token\.provider/);
});

test('OAUTHBEARER takes a token provider function', () => {
  const provider = () => ({ value: 'jwt', lifetimeMs: 60_000 });
  const c = resolve({ ...BASE, 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'OAUTHBEARER', 'sasl.oauthbearer.token.provider': provider });
  assert.equal(c['sasl.oauthbearer.token.provider'], provider);
  assert.equal(c['sasl.mechanism'], 'OAUTHBEARER');
});

test('TLS: librdkafka file and PEM properties', () => {
  const c = resolve({
    ...BASE, 'security.protocol': 'SSL', 'ssl.ca.location': '/ca.pem', 'ssl.certificate.location': '/c.pem',
    'ssl.key.location': '/k.pem', 'ssl.key.password': 'kp', 'enable.ssl.certificate.verification': 'true',
  });
  assert.equal(c['ssl.ca.location'], '/ca.pem');
  assert.equal(c['ssl.certificate.location'], '/c.pem');
  assert.equal(c['ssl.key.location'], '/k.pem');
  assert.equal(c['ssl.key.password']?.reveal(), 'kp');
  assert.equal(c['enable.ssl.certificate.verification'], true);
});

test('TLS: ssl.ca.location=probe means the default roots', () => {
  assert.equal(resolve({ ...BASE, 'security.protocol': 'SSL', 'ssl.ca.location': 'probe' })['ssl.ca.location'], undefined);
});

test('TLS: Java PEM trust store and key store map onto the librdkafka names', () => {
  const c = resolve({
    ...BASE, 'security.protocol': 'SSL', 'ssl.truststore.location': '/ca.pem', 'ssl.truststore.type': 'PEM',
    'ssl.keystore.location': '/client.pem', 'ssl.keystore.type': 'pem',
  });
  assert.equal(c['ssl.ca.location'], '/ca.pem');
  assert.equal(c['ssl.certificate.location'], '/client.pem');
  assert.equal(c['ssl.key.location'], '/client.pem');
  const pem = resolve({
    ...BASE, 'security.protocol': 'SSL', 'ssl.truststore.certificates': '-----BEGIN CERTIFICATE-----', 'ssl.keystore.certificate.chain': 'C', 'ssl.keystore.key': 'K',
  });
  assert.equal(pem['ssl.ca.pem'], '-----BEGIN CERTIFICATE-----');
  assert.equal(pem['ssl.certificate.pem'], 'C');
  assert.equal(pem['ssl.key.pem']?.reveal(), 'K');
});

test('TLS: JKS and PKCS12 stores are refused with the conversion to run', () => {
  rejects({ ...BASE, 'security.protocol': 'SSL', 'ssl.truststore.location': '/ts.jks', 'ssl.truststore.type': 'JKS' }, /ssl\.truststore\.type=JKS is not supported: .*keytool -exportcert/);
  rejects({ ...BASE, 'security.protocol': 'SSL', 'ssl.truststore.location': '/ts.jks' }, /ssl\.truststore\.location is read as a PEM file only: add ssl\.truststore\.type=PEM/);
  rejects({ ...BASE, 'security.protocol': 'SSL', 'ssl.keystore.location': '/ks.p12', 'ssl.keystore.type': 'PKCS12' }, /openssl pkcs12/);
  rejects({ ...BASE, 'security.protocol': 'SSL', 'ssl.keystore.location': '/ks.pem' }, /add ssl\.keystore\.type=PEM/);
});

test('TLS: conflicting or incomplete material is an error', () => {
  rejects({ ...BASE, 'security.protocol': 'SSL', 'ssl.ca.location': '/a', 'ssl.ca.pem': 'x' }, /ssl\.ca\.location and ssl\.ca\.pem are both set/);
  rejects({ ...BASE, 'security.protocol': 'SSL', 'ssl.certificate.location': '/c' }, /client certificate is set without ssl\.key\.location/);
  rejects({ ...BASE, 'security.protocol': 'SSL', 'ssl.key.pem': 'k' }, /client key is set without ssl\.certificate/);
  rejects({ ...BASE, 'security.protocol': 'SSL', 'ssl.keystore.location': '/k', 'ssl.keystore.type': 'PEM', 'ssl.key.location': '/x' }, /ssl\.key\.location and ssl\.keystore\.location both give/);
});

test('TLS: properties without TLS, and verification turned off, are warnings', () => {
  const warnings: ConfigWarning[] = [];
  resolve({ ...BASE, 'ssl.ca.location': '/ca.pem' }, warnings);
  assert.match(warnings[0].message, /ssl\.ca\.location is ignored: security\.protocol=PLAINTEXT does not use TLS/);
  const w2: ConfigWarning[] = [];
  resolve({ ...BASE, 'security.protocol': 'SSL', 'enable.ssl.certificate.verification': false, 'ssl.endpoint.identification.algorithm': 'none' }, w2);
  assert.equal(w2.length, 2);
  assert.match(w2[0].message, /not verified/);
  assert.match(w2[1].message, /host name verification is off/);
});
