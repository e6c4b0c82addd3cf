// The mapping from SslOptions to tls.connect options, and from OpenSSL/Node TLS errors to TlsError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTls, tlsConnectOptions, tlsError, isTlsFailure } from '../../../src/network/tls.js';
import { TlsError } from '../../../src/errors.js';

const CERT = '-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN ENCRYPTED PRIVATE KEY-----\na2V5\n-----END ENCRYPTED PRIVATE KEY-----\n';

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
  const o = tlsConnectOptions(resolveTls({ cert: CERT, key: KEY, passphrase: 'pp' }), 'h', 1);
  assert.deepEqual(o.cert, Buffer.from(CERT));
  assert.deepEqual(o.key, Buffer.from(KEY));
  assert.equal(o.passphrase, 'pp');
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
