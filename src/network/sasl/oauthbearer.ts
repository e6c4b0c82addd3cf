// SASL OAUTHBEARER (RFC 7628), as Kafka uses it (KIP-255, extensions KIP-342).
//
// Client first message: gs2 header `n,[a=authzid],` then `\x01auth=Bearer <token>\x01` then each extension as
// `key=value\x01`, then a final `\x01`. On success the server replies with empty bytes. On failure it replies with a
// JSON error document and waits for the client to acknowledge with a single `\x01`; it then fails the exchange with
// an error code, which the driver turns into AuthenticationError.

import type { OAuthBearerToken, OAuthTokenProvider } from '../options.js';
import { saslProtocolError, type SaslSession } from './mechanism.js';

const SEP = '\x01';
// RFC 7628 section 3.1: key = 1*(ALPHA); value = *(VCHAR / SP / HTAB / CR / LF).
const KEY = /^[A-Za-z]+$/;
const VALUE = /^[\x21-\x7E \t\r\n]*$/;
// RFC 6750 b64token.
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function oauthBearerClientFirst(token: OAuthBearerToken, authorizationId = ''): Buffer {
  if (!TOKEN.test(token.value)) {
    throw saslProtocolError('OAUTHBEARER', 'the token provider returned a value that is not a valid bearer token');
  }
  let msg = `n,${authorizationId === '' ? '' : `a=${saslName(authorizationId)}`},${SEP}auth=Bearer ${token.value}${SEP}`;
  for (const [key, value] of Object.entries(token.extensions ?? {})) {
    if (!KEY.test(key) || key === 'auth') {
      throw saslProtocolError('OAUTHBEARER', `invalid SASL extension name '${key}' (letters only, not 'auth')`);
    }
    if (!VALUE.test(value)) throw saslProtocolError('OAUTHBEARER', `invalid value for SASL extension '${key}'`);
    msg += `${key}=${value}${SEP}`;
  }
  return Buffer.from(msg + SEP, 'utf8');
}

/** RFC 5801 saslname: ',' and '=' are escaped in the gs2 header. */
function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export class OAuthBearerSession implements SaslSession {
  readonly mechanism = 'OAUTHBEARER';
  private state: 'initial' | 'sent' | 'failed' = 'initial';
  /** The server's error document, kept for the error message (it names a status and scope, never the token). */
  serverError: string | undefined;

  constructor(
    private readonly provider: OAuthTokenProvider,
    private readonly authorizationId = '',
  ) {}

  async start(): Promise<Buffer> {
    let raw: string | OAuthBearerToken;
    try {
      raw = await this.provider();
    } catch (err) {
      const e = saslProtocolError(this.mechanism, `the token provider failed: ${(err as Error)?.message ?? String(err)}`);
      (e as { cause?: unknown }).cause = err;
      throw e;
    }
    const token = typeof raw === 'string' ? { value: raw } : raw;
    if (token === null || typeof token !== 'object' || typeof token.value !== 'string' || token.value === '') {
      throw saslProtocolError(this.mechanism, 'the token provider returned no token');
    }
    this.state = 'sent';
    return oauthBearerClientFirst(token, this.authorizationId);
  }

  next(serverBytes: Buffer): Buffer | null {
    if (this.state === 'sent' && serverBytes.length === 0) return null;
    if (this.state === 'sent') {
      // The server rejected the token; acknowledge so it completes the exchange with an error code.
      this.state = 'failed';
      this.serverError = serverBytes.toString('utf8').slice(0, 500);
      return Buffer.from(SEP, 'utf8');
    }
    throw saslProtocolError(this.mechanism, 'unexpected server message');
  }
}
