// The contract between the SASL driver (authenticate.ts) and one mechanism.
//
// A mechanism is a small state machine over opaque byte strings: the driver sends `start()`'s bytes in the first
// SaslAuthenticate request (KIP-152), hands each server reply to `next()`, and sends what `next()` returns, until
// `next()` returns null (the exchange is complete and, for SCRAM, the server has proven it knows the password).
// A new session object is created for every authentication, including KIP-368 re-authentications.

import { AuthenticationError } from '../../errors.js';

export interface SaslSession {
  /** The mechanism's name as sent in SaslHandshake. */
  readonly mechanism: string;
  /** The client's first message. */
  start(): Promise<Buffer> | Buffer;
  /**
   * Consumes the server's reply; returns the client's next message, or null when authentication is complete.
   * Throws AuthenticationError when the server's reply is invalid or fails verification.
   */
  next(serverBytes: Buffer): Promise<Buffer | null> | Buffer | null;
  /** What the server said when it refused the exchange inside the mechanism (OAUTHBEARER's error JSON, RFC 7628). */
  readonly serverError?: string | undefined;
}

/** Thrown by mechanisms when the server's bytes break the mechanism (never includes credentials). */
export function saslProtocolError(mechanism: string, problem: string): AuthenticationError {
  return new AuthenticationError(`SASL ${mechanism}: ${problem}`);
}
