// TLS refusals against the real SASL_SSL listener: an untrusted CA and a host name the certificate does not name.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from '../../../src/network/pool.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { ConnectionError, ProtocolError, TimeoutError, TlsError } from '../../../src/errors.js';
import { kafkaEnvSync, literal, saslSslOptions } from './env.js';

let otherCa: string;

before(() => {
  // A throwaway CA that never signed the broker's certificate.
  const dir = mkdtempSync(join(tmpdir(), 'gregor-untrusted-ca-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'),
    '-days', '1', '-subj', '/CN=not the gregor test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
  ], { stdio: 'ignore' });
  otherCa = join(dir, 'ca.pem');
});

test('an untrusted CA is refused with a TlsError naming the reason and the broker, and not retried', async () => {
  const pool = new Pool(saslSslOptions('PLAIN', { ssl: { caLocation: otherCa } }));
  try {
    const err = await pool.bootstrap().then(() => assert.fail('must not connect'), (e: unknown) => e);
    assert.ok(err instanceof TlsError, String(err));
    assert.equal(err.code, 'ERR_TLS');
    assert.match(err.message, new RegExp(literal(kafkaEnvSync().saslSslBootstrap)));
    assert.match(err.message, /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    await assert.rejects(pool.bootstrap(), TlsError);
    assert.equal(pool.connectAttempts, 1);
  } finally {
    await pool.close();
  }
});

test('a host name the certificate does not name is refused (hostname verification is on by default)', async () => {
  const pool = new Pool(saslSslOptions('PLAIN', { ssl: { caLocation: kafkaEnvSync().caFile, servername: 'wrong.example' } }));
  try {
    const err = await pool.bootstrap().then(() => assert.fail('must not connect'), (e: unknown) => e);
    assert.ok(err instanceof TlsError, String(err));
    assert.match(err.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
    assert.match(err.message, /wrong\.example/);
  } finally {
    await pool.close();
  }
});

test("ssl.endpoint.identification.algorithm='' turns off only the host name check", async () => {
  const pool = new Pool(
    saslSslOptions('PLAIN', { ssl: { caLocation: kafkaEnvSync().caFile, servername: 'wrong.example', endpointIdentification: '' } }),
  );
  try {
    const broker = await pool.bootstrap();
    await broker.request(ApiKey.Metadata, { topics: [] });
  } finally {
    await pool.close();
  }
  // ...while the chain is still verified.
  const untrusted = new Pool(saslSslOptions('PLAIN', { ssl: { caLocation: otherCa, endpointIdentification: '' } }));
  try {
    await assert.rejects(untrusted.bootstrap(), TlsError);
  } finally {
    await untrusted.close();
  }
});

test('the CA as a PEM string works like the file', async () => {
  const pool = new Pool(saslSslOptions('SCRAM-SHA-256', { ssl: { ca: readFileSync(kafkaEnvSync().caFile, 'utf8') } }));
  try {
    const broker = await pool.bootstrap();
    await broker.request(ApiKey.Metadata, { topics: [] });
  } finally {
    await pool.close();
  }
});

test('TLS to the plaintext port is a TlsError; plaintext to the TLS port fails typed and bounded', async () => {
  const tlsToPlain = new Pool({
    bootstrapServers: kafkaEnvSync().bootstrap,
    securityProtocol: 'SSL',
    ssl: { caLocation: kafkaEnvSync().caFile },
  });
  try {
    await assert.rejects(tlsToPlain.bootstrap(), TlsError);
  } finally {
    await tlsToPlain.close();
  }
  const plainToTls = new Pool({
    bootstrapServers: kafkaEnvSync().saslSslBootstrap,
    requestTimeoutMs: 2000,
    bootstrapTimeoutMs: 3000,
  });
  try {
    await assert.rejects(plainToTls.bootstrap(), (e: unknown) => {
      // The broker's TLS engine either answers with a TLS alert (which cannot be a Kafka frame size) or waits.
      assert.ok(e instanceof ProtocolError || e instanceof ConnectionError || e instanceof TimeoutError, String(e));
      return true;
    });
  } finally {
    await plainToTls.close();
  }
});
