// SASL SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), as Kafka implements them (KIP-84).
//
//   client-first   n,,n=<saslname>,r=<client nonce>
//   server-first   r=<client nonce + server nonce>,s=<base64 salt>,i=<iterations>
//   client-final   c=biws,r=<nonce>,p=<base64 ClientProof>
//   server-final   v=<base64 ServerSignature>      (or e=<error>)
//
// The server's signature is verified: it proves the broker knows the stored credential, so a man in the middle that
// merely accepts any password is detected. No channel binding ('n' gs2 flag), like every Kafka client. The password
// is used as its UTF-8 bytes without SASLprep, as the Java client does, so both sides derive the same key.

import type * as Crypto from 'node:crypto';
import type { Secret } from '../secret.js';
import { saslProtocolError, type SaslSession } from './mechanism.js';

export type ScramDigest = 'sha1' | 'sha256' | 'sha512';

const DIGEST_BYTES: Record<ScramDigest, number> = { sha1: 20, sha256: 32, sha512: 64 };

/** node:crypto, loaded when a SCRAM exchange starts rather than at import (a client without SCRAM never needs it). */
function crypto(): typeof Crypto {
  return process.getBuiltinModule('node:crypto');
}

// Kafka's ScramMechanism accepts 4096..16384 iterations. The bounds also stop a hostile server from asking for
// 10^9 PBKDF2 rounds (a CPU denial of service) or for 1 round (a cheap offline dictionary attack on the proof).
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

/** RFC 5802 saslname: '=' becomes '=3D' and ',' becomes '=2C' (in that order, so escapes are not re-escaped). */
export function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** The keys of RFC 5802 section 3, exposed for the RFC test vectors. */
export function scramKeys(digest: ScramDigest, password: string, salt: Buffer, iterations: number) {
  const { createHash, createHmac, pbkdf2Sync } = crypto();
  const saltedPassword = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, DIGEST_BYTES[digest], digest);
  const clientKey = createHmac(digest, saltedPassword).update('Client Key').digest();
  const storedKey = createHash(digest).update(clientKey).digest();
  const serverKey = createHmac(digest, saltedPassword).update('Server Key').digest();
  return { saltedPassword, clientKey, storedKey, serverKey };
}

interface ServerFirst {
  nonce: string;
  salt: Buffer;
  iterations: number;
}

/** Splits `a=x,b=y` into attributes, keeping values intact (they may contain '='). */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) continue; // attribute names are one letter
    out.set(part[0], part.slice(2));
  }
  return out;
}

export class ScramSession implements SaslSession {
  readonly mechanism: string;
  private readonly digest: ScramDigest;
  private readonly clientNonce: string;
  private state: 'initial' | 'first-sent' | 'final-sent' | 'done' = 'initial';
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | undefined;

  /**
   * @param clientNonce only for test vectors; by default 24 random bytes from crypto.randomBytes, base64
   *   (printable, and never contains ',').
   */
  constructor(
    mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'SCRAM-SHA-1',
    private readonly username: string,
    private readonly password: Secret<string>,
    clientNonce?: string,
  ) {
    this.mechanism = mechanism;
    this.digest = mechanism === 'SCRAM-SHA-512' ? 'sha512' : mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha1';
    this.clientNonce = clientNonce ?? crypto().randomBytes(24).toString('base64');
  }

  start(): Buffer {
    this.clientFirstBare = `n=${saslName(this.username)},r=${this.clientNonce}`;
    this.state = 'first-sent';
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  next(serverBytes: Buffer): Buffer | null {
    const message = serverBytes.toString('utf8');
    switch (this.state) {
      case 'first-sent':
        return this.clientFinal(message);
      case 'final-sent':
        this.verifyServerFinal(message);
        this.state = 'done';
        return null;
      default:
        throw saslProtocolError(this.mechanism, 'unexpected server message');
    }
  }

  private parseServerFirst(message: string): ServerFirst {
    const attrs = attributes(message);
    const err = attrs.get('e');
    if (err !== undefined) throw saslProtocolError(this.mechanism, `server error: ${err}`);
    if (message.startsWith('m=')) throw saslProtocolError(this.mechanism, 'server requires an unsupported extension');
    const nonce = attrs.get('r');
    const saltText = attrs.get('s');
    const iterText = attrs.get('i');
    if (nonce === undefined || saltText === undefined || iterText === undefined) {
      throw saslProtocolError(this.mechanism, 'malformed server-first-message (needs r, s and i)');
    }
    // The server's nonce must extend ours; otherwise it could be replaying an exchange from another session.
    if (!nonce.startsWith(this.clientNonce) || nonce.length <= this.clientNonce.length) {
      throw saslProtocolError(this.mechanism, 'server nonce does not extend the client nonce');
    }
    if (!/^\d+$/.test(iterText)) throw saslProtocolError(this.mechanism, `invalid iteration count '${iterText}'`);
    const iterations = Number(iterText);
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw saslProtocolError(
        this.mechanism,
        `iteration count ${iterations} outside the accepted range ${MIN_ITERATIONS}..${MAX_ITERATIONS}`,
      );
    }
    const salt = Buffer.from(saltText, 'base64');
    if (salt.length === 0) throw saslProtocolError(this.mechanism, 'empty salt');
    return { nonce, salt, iterations };
  }

  private clientFinal(serverFirst: string): Buffer {
    const { nonce, salt, iterations } = this.parseServerFirst(serverFirst);
    const keys = scramKeys(this.digest, this.password.reveal(), salt, iterations);
    // 'biws' is base64('n,,'): the gs2 header, echoed because no channel binding is used.
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const { createHmac } = crypto();
    const clientSignature = createHmac(this.digest, keys.storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(clientSignature.length);
    for (let i = 0; i < proof.length; i++) proof[i] = keys.clientKey[i] ^ clientSignature[i];
    this.expectedServerSignature = createHmac(this.digest, keys.serverKey).update(authMessage).digest();
    this.state = 'final-sent';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  private verifyServerFinal(message: string): void {
    const attrs = attributes(message);
    const err = attrs.get('e');
    if (err !== undefined) throw saslProtocolError(this.mechanism, `server error: ${err}`);
    const v = attrs.get('v');
    if (v === undefined) throw saslProtocolError(this.mechanism, 'malformed server-final-message (no v=)');
    const signature = Buffer.from(v, 'base64');
    const expected = this.expectedServerSignature as Buffer;
    if (signature.length !== expected.length || !crypto().timingSafeEqual(signature, expected)) {
      throw saslProtocolError(
        this.mechanism,
        'the server signature does not verify: the broker does not know this credential (possible impostor)',
      );
    }
  }
}
