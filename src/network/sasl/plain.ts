// SASL PLAIN (RFC 4616): one message, `authzid NUL authcid NUL passwd`. Only safe over TLS (SASL_SSL).

import type { Secret } from '../secret.js';
import { saslProtocolError, type SaslSession } from './mechanism.js';

export class PlainSession implements SaslSession {
  readonly mechanism = 'PLAIN';
  private sent = false;

  constructor(
    private readonly username: string,
    private readonly password: Secret<string>,
    private readonly authorizationId = '',
  ) {}

  start(): Buffer {
    // RFC 4616: the fields may not contain NUL, which would shift the fields the server reads.
    if (this.username.includes('\0') || this.authorizationId.includes('\0') || this.password.reveal().includes('\0')) {
      throw saslProtocolError(this.mechanism, 'username, password and authorization id must not contain NUL');
    }
    this.sent = true;
    return Buffer.from(`${this.authorizationId}\0${this.username}\0${this.password.reveal()}`, 'utf8');
  }

  next(serverBytes: Buffer): null {
    // Kafka answers PLAIN with empty auth bytes; anything else is not PLAIN.
    if (!this.sent) throw saslProtocolError(this.mechanism, 'server replied before the client message');
    if (serverBytes.length !== 0) throw saslProtocolError(this.mechanism, 'unexpected server challenge');
    return null;
  }
}
