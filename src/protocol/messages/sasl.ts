// SASL authentication frames: SaslHandshake (mechanism choice) and SaslAuthenticate (KIP-152; session lifetime, KIP-368).
// Definitions in gregor's notation (see dsl.ts); checked against Kafka 4.3.1's message specs by the spec-drift test.

import { api, message } from './dsl.js';

export const SaslHandshake = api(17, 'SaslHandshake', {
  request: message('0-1', 'none', [
    'Mechanism string 0+',
  ]),
  response: message('0-1', 'none', [
    'ErrorCode int16 0+',
    'Mechanisms []string 0+',
  ]),
});

export const SaslAuthenticate = api(36, 'SaslAuthenticate', {
  request: message('0-2', '2+', [
    'AuthBytes bytes 0+',
  ]),
  response: message('0-2', '2+', [
    'ErrorCode int16 0+',
    'ErrorMessage string 0+ nullable=0+',
    'AuthBytes bytes 0+',
    'SessionLifetimeMs int64 1+ default=0 ignorable',
  ]),
});

