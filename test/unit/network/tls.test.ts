// The mapping from SslOptions to tls.connect options, and from OpenSSL/Node TLS errors to TlsError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveTls, tlsConnectOptions, tlsError, isTlsFailure } from '../../../src/network/tls.js';
import { ConfigError, TlsError } from '../../../src/errors.js';

const CERT = '-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n';
// Throwaway material (fixtures/README.md): a self-signed client certificate, its key plain and encrypted, a key of
// no certificate.
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test', 'unit', 'network', 'fixtures');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const CLIENT_CERT = fixture('client.pem');
const CLIENT_KEY = fixture('client.key');
const ENCRYPTED_KEY = fixture('client-encrypted.key');
const PASSPHRASE = 'fixture-passphrase';

test('SNI carries host names only; verification stays on by default', () => {
  const t = resolveTls({ ca: CERT });
  const byName = tlsConnectOptions(t, 'broker-1.example', 9094);
  assert.equal(byName.servername, 'broker-1.example');
  assert.equal(byName.rejectUnauthorized, true);
  assert.equal(byName.checkServerIdentity, undefined, "Node's default host name check applies");
  const byIp = tlsConnectOptions(t, '127.0.0.1', 9094);
  assert.equal(byIp.servername, undefined, 'RFC 6066: no IP addresses in SNI');
  assert.equal(byIp.host, '127.0.0.1');
  assert.deepEqual(byIp.ca, [Buffer.from(CERT)]);
});

test('servername overrides the name to verify; endpoint identification off accepts any name', () => {
  const named = tlsConnectOptions(resolveTls({ servername: 'kafka.internal' }), '10.0.0.5', 9094);
  assert.equal(named.servername, 'kafka.internal');
  const off = tlsConnectOptions(resolveTls({ endpointIdentification: '' }), 'h', 1);
  assert.equal(typeof off.checkServerIdentity, 'function');
  assert.equal(off.checkServerIdentity!('h', {} as never), undefined);
  assert.equal(off.rejectUnauthorized, true, 'the chain is still verified');
  const noVerify = tlsConnectOptions(resolveTls({ rejectUnauthorized: false }), 'h', 1);
  assert.equal(noVerify.rejectUnauthorized, false);
});

test('mTLS: certificate, key and passphrase reach tls.connect', () => {
  const o = tlsConnectOptions(resolveTls({ cert: CLIENT_CERT, key: ENCRYPTED_KEY, passphrase: PASSPHRASE }), 'h', 1);
  assert.deepEqual(o.cert, Buffer.from(CLIENT_CERT));
  assert.deepEqual(o.key, Buffer.from(ENCRYPTED_KEY));
  assert.equal(o.passphrase, PASSPHRASE);
  const files = tlsConnectOptions(resolveTls({ certLocation: join(FIXTURES, 'client.pem'), keyLocation: join(FIXTURES, 'client.key') }), 'h', 1);
  assert.deepEqual(files.key, Buffer.from(CLIENT_KEY));
});

test('mTLS: a key that does not match the certificate, or an encrypted key without its password, is a ConfigError naming the property, never the key', () => {
  const refused = (ssl: Parameters<typeof resolveTls>[0], property: string, message: RegExp): void => {
    assert.throws(() => resolveTls(ssl), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.property, property);
      assert.match(err.message, message);
      const shown = `${err.message} ${JSON.stringify(err)} ${String(err.stack)}`;
      for (const secret of [CLIENT_KEY, ENCRYPTED_KEY, fixture('other.key')]) {
        // Any line of the key's base64 body would be key material.
        for (const line of secret.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) assert.ok(!shown.includes(line));
      }
      assert.ok(!shown.includes(PASSPHRASE) && !shown.includes('wrong-passphrase'));
      return true;
    });
  };
  refused({ cert: CLIENT_CERT, key: fixture('other.key') }, 'ssl.key.pem', /does not match the client certificate \(ssl\.certificate\.pem\)/);
  refused({ certLocation: join(FIXTURES, 'client.pem'), keyLocation: join(FIXTURES, 'other.key') }, 'ssl.key.location', /ssl\.key\.location: the private key does not match/);
  refused({ cert: CLIENT_CERT, key: ENCRYPTED_KEY }, 'ssl.key.password', /encrypted; set ssl\.key\.password/);
  refused({ cert: CLIENT_CERT, key: ENCRYPTED_KEY, passphrase: 'wrong-passphrase' }, 'ssl.key.password', /cannot be decrypted/);
  refused({ cert: CLIENT_CERT, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, 'ssl.key.pem', /cannot be loaded \[ERR_OSSL/);
});

test('certificate failures become TlsError with a readable reason, the code and the broker', () => {
  const e = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
  assert.ok(isTlsFailure(e));
  const t = tlsError(e, '127.0.0.1:9094');
  assert.ok(t instanceof TlsError);
  assert.equal(t.retriable, false);
  assert.match(t.message, /127\.0\.0\.1:9094.*self-signed certificate in chain.*\[SELF_SIGNED_CERT_IN_CHAIN\]/);
  const alt = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  assert.match(tlsError(alt, 'b:1').message, /does not match the host name.*altnames.*\[ERR_TLS_CERT_ALTNAME_INVALID\]/);
  assert.ok(isTlsFailure(Object.assign(new Error('x'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' })));
  assert.ok(!isTlsFailure(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })));
});

test('a PLAINTEXT client never loads node:tls (OpenSSL\'s TLS side costs ~5 MiB of RSS per thread that loads it)', () => {
  const index = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'index.js');
  const script = `await import(${JSON.stringify(index)}); process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (_)?tls/.test(m))));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
  assert.deepEqual(loaded, []);
});
