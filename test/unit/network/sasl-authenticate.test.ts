// The SASL driver's answer to a broker that does not enable the requested mechanism. The project's broker enables
// every mechanism gregor implements on its SASL_SSL listener, so this case cannot happen there; the response fed in
// here has the shape the real broker sends for an unknown mechanism (SaslHandshake error 33 with the enabled list,
// checked in test/integration/protocol/broker-txn-sasl.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticateSasl, type SaslTransport } from '../../../src/network/sasl/authenticate.js';
import { resolveNetworkOptions } from '../../../src/network/options.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { AuthenticationError } from '../../../src/errors.js';

test('a mechanism the broker does not enable: AuthenticationError naming it, the broker and the enabled ones', async () => {
  const { sasl } = resolveNetworkOptions({
    bootstrapServers: 'k:9094',
    securityProtocol: 'SASL_SSL',
    sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'not-in-any-message' },
  });
  const sent: number[] = [];
  const send = (async (apiKey: number) => {
    sent.push(apiKey);
    return { errorCode: 33 /* UNSUPPORTED_SASL_MECHANISM */, mechanisms: ['PLAIN', 'GSSAPI'] };
  }) as SaslTransport;
  await assert.rejects(authenticateSasl(send, sasl!, { handshake: 1, authenticate: 2 }, 'k:9094'), (e: unknown) => {
    assert.ok(e instanceof AuthenticationError, String(e));
    assert.equal(e.retriable, false);
    assert.equal(e.message, 'SASL mechanism SCRAM-SHA-512 is not enabled on broker k:9094 (enabled: PLAIN, GSSAPI)');
    return true;
  });
  assert.deepEqual(sent, [ApiKey.SaslHandshake], 'no SaslAuthenticate after a refused handshake');
});
