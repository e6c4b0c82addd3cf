// Connecting to the real broker over every listener and mechanism the harness offers, and ApiVersions negotiation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from '../../../src/network/pool.js';
import { ApiKey, supportedVersions } from '../../../src/protocol/index.js';
import { UnsupportedError } from '../../../src/errors.js';
import { oauthBearerOptions, plaintextOptions, saslSslOptions, unsecuredToken } from './env.js';

const setups = [
  ['PLAINTEXT', () => plaintextOptions()],
  ['SASL_SSL PLAIN', () => saslSslOptions('PLAIN')],
  ['SASL_SSL SCRAM-SHA-256', () => saslSslOptions('SCRAM-SHA-256')],
  ['SASL_SSL SCRAM-SHA-512', () => saslSslOptions('SCRAM-SHA-512')],
  ['SASL_SSL OAUTHBEARER', () => oauthBearerOptions(() => unsecuredToken())],
] as const;

for (const [name, options] of setups) {
  test(`${name}: bootstrap, ApiVersions, Metadata`, async () => {
    const pool = new Pool(options());
    try {
      const broker = await pool.bootstrap();
      assert.ok(broker.apiVersions !== undefined && broker.apiVersions.size > 50, 'the broker listed its APIs');
      const md = await broker.request(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false });
      assert.equal(typeof md.clusterId, 'string');
      assert.ok(md.brokers.length >= 1);
      assert.ok(md.brokers.every((b) => b.port === broker.port), 'advertised address of this listener');
      assert.equal(pool.connectAttempts, 1, 'one connection for bootstrap and the request');
    } finally {
      await pool.close();
    }
  });
}

test('each request goes out at min(gregor max, broker max); no overlap is an UnsupportedError', async () => {
  const pool = new Pool(plaintextOptions());
  try {
    const broker = await pool.bootstrap();
    for (const key of [ApiKey.Metadata, ApiKey.Fetch, ApiKey.ApiVersions, ApiKey.FindCoordinator, ApiKey.SaslAuthenticate]) {
      const theirs = broker.apiVersions!.get(key)!;
      const ours = supportedVersions(key);
      assert.equal(broker.versionFor(key), Math.min(theirs.max, ours.max), `api ${key}`);
    }
    const { version } = await broker.requestVersioned(ApiKey.Metadata, { topics: [] }, { maxVersion: 9 });
    assert.equal(version, 9, 'caller bounds are honoured');
    assert.throws(() => broker.versionFor(ApiKey.Metadata, { minVersion: 99 }), UnsupportedError);
    // LeaderAndIsr (4) is controller-internal: a broker in KRaft mode does not offer it to clients.
    assert.throws(() => broker.versionFor(4), UnsupportedError);
  } finally {
    await pool.close();
  }
});
