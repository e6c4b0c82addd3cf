// TLS for security.protocol SSL and SASL_SSL.
//
// Defaults follow the Java client: the broker's certificate must chain to a trusted CA AND name the host we dialled
// (ssl.endpoint.identification.algorithm=https, on by default since Kafka 2.0, KIP-294). Setting that property to ''
// turns off only the host name check; turning off chain verification is a separate, explicit switch
// (`rejectUnauthorized: false`, librdkafka's enable.ssl.certificate.verification=false).

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions, PeerCertificate, SecureVersion } from 'node:tls';
import { ConfigError, TlsError } from '../errors.js';
import { Secret, secret } from './secret.js';

type Pem = string | Buffer;

/**
 * node:tls, loaded when a TLS connection or an mTLS key pair needs it: importing it starts OpenSSL's TLS side, about
 * 5-7 MiB of resident memory in each thread that loads it (the main thread and the heartbeat worker), which a
 * PLAINTEXT or SASL_PLAINTEXT client never uses. (process.getBuiltinModule: Node >= 22.3, synchronous.)
 */
export function nodeTls(): typeof import('node:tls') {
  return process.getBuiltinModule('node:tls');
}

export interface SslOptions {
  /** ssl.ca.pem: trusted CA certificate(s) in PEM. Replaces Node's default CA list, like Java's truststore. */
  ca?: Pem | readonly Pem[];
  /** ssl.ca.location, or ssl.truststore.location with ssl.truststore.type=PEM: a PEM file of trusted CAs. */
  caLocation?: string;
  /** ssl.certificate.pem: the client certificate chain for mTLS. */
  cert?: Pem;
  /** ssl.certificate.location (or a PEM keystore): a file holding the client certificate chain. */
  certLocation?: string;
  /** ssl.key.pem: the client private key (PEM). Held as a Secret once resolved. */
  key?: Pem | Secret<Pem>;
  /** ssl.key.location: a file holding the client private key. */
  keyLocation?: string;
  /** ssl.key.password: passphrase of an encrypted private key. */
  passphrase?: string | Secret<string>;
  /**
   * ssl.endpoint.identification.algorithm: 'https' (default) verifies that the certificate names the broker's host;
   * '' disables only that check, as in the Java client.
   */
  endpointIdentification?: 'https' | '';
  /** Verify the certificate chain. Default true; false accepts any certificate (tests against throwaway brokers). */
  rejectUnauthorized?: boolean;
  /**
   * The name to verify the certificate against (and to send as SNI) instead of the host from the broker address.
   * For brokers reached through an address that differs from their certificate's name (tunnels, port forwards).
   */
  servername?: string;
  /** Replaces the host name check entirely (advanced; return an Error to refuse). */
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
  /** Lowest TLS version offered. Default Node's (TLSv1.2). */
  minVersion?: SecureVersion;
}

export interface ResolvedTls {
  ca: Buffer[] | undefined;
  cert: Buffer | undefined;
  key: Secret<Buffer> | undefined;
  passphrase: Secret<string> | undefined;
  verifyHostname: boolean;
  rejectUnauthorized: boolean;
  servername: string | undefined;
  checkServerIdentity: ((host: string, cert: PeerCertificate) => Error | undefined) | undefined;
  minVersion: SecureVersion | undefined;
}

function readPemFile(path: string, property: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`${property}: cannot read '${path}' (${code})`, property, { cause: err });
  }
}

function toBuffer(value: Pem): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function checkPem(buf: Buffer, what: string, property: string): void {
  if (!buf.includes('-----BEGIN ')) {
    // Node would fail later with an OpenSSL message that names neither the file nor the property.
    throw new ConfigError(`${property}: the ${what} is not PEM (no '-----BEGIN' line); convert DER/PKCS12 to PEM`, property);
  }
}

/** Validates SSL options and reads the files they name (once, at configuration time). */
export function resolveTls(ssl: SslOptions): ResolvedTls {
  const ca: Buffer[] = [];
  if (ssl.caLocation !== undefined) ca.push(readPemFile(ssl.caLocation, 'ssl.ca.location'));
  if (ssl.ca !== undefined) {
    const list: readonly Pem[] = Array.isArray(ssl.ca) ? ssl.ca : [ssl.ca as Pem];
    for (const c of list) ca.push(toBuffer(c));
  }
  for (const c of ca) checkPem(c, 'CA certificate', ssl.caLocation !== undefined ? 'ssl.ca.location' : 'ssl.ca.pem');

  if (ssl.cert !== undefined && ssl.certLocation !== undefined) {
    throw new ConfigError('set only one of ssl.certificate.pem and ssl.certificate.location', 'ssl.certificate.location');
  }
  const cert = ssl.certLocation !== undefined ? readPemFile(ssl.certLocation, 'ssl.certificate.location') : ssl.cert !== undefined ? toBuffer(ssl.cert) : undefined;
  if (cert !== undefined) checkPem(cert, 'client certificate', 'ssl.certificate.location');

  if (ssl.key !== undefined && ssl.keyLocation !== undefined) {
    throw new ConfigError('set only one of ssl.key.pem and ssl.key.location', 'ssl.key.location');
  }
  const keyValue = ssl.key instanceof Secret ? ssl.key.reveal() : ssl.key;
  const key = ssl.keyLocation !== undefined ? readPemFile(ssl.keyLocation, 'ssl.key.location') : keyValue !== undefined ? toBuffer(keyValue) : undefined;
  if (key !== undefined) checkPem(key, 'private key', 'ssl.key.location');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError('mTLS needs both a client certificate and its private key', cert === undefined ? 'ssl.certificate.location' : 'ssl.key.location');
  }

  const passphrase = secret(ssl.passphrase);
  if (cert !== undefined && key !== undefined) {
    checkKeyPair(cert, key, passphrase, {
      cert: ssl.certLocation !== undefined ? 'ssl.certificate.location' : 'ssl.certificate.pem',
      key: ssl.keyLocation !== undefined ? 'ssl.key.location' : 'ssl.key.pem',
    });
  }

  const algorithm = ssl.endpointIdentification ?? 'https';
  if (algorithm !== 'https' && algorithm !== '') {
    throw new ConfigError(
      `ssl.endpoint.identification.algorithm: '${String(algorithm)}' is not 'https' or ''`,
      'ssl.endpoint.identification.algorithm',
    );
  }
  return {
    ca: ca.length > 0 ? ca : undefined,
    cert,
    key: key === undefined ? undefined : new Secret(key),
    passphrase,
    verifyHostname: algorithm === 'https',
    rejectUnauthorized: ssl.rejectUnauthorized ?? true,
    servername: ssl.servername,
    checkServerIdentity: ssl.checkServerIdentity,
    minVersion: ssl.minVersion,
  };
}

/**
 * Loads the client certificate and key once, as tls.connect() would, so that a key that does not match its
 * certificate, an encrypted key without (or with a wrong) ssl.key.password, or an unreadable key is a ConfigError
 * naming the property when the client is created, instead of an exception from every connection attempt. The
 * message names properties and OpenSSL's code only, never key material or the password.
 */
function checkKeyPair(cert: Buffer, key: Buffer, passphrase: Secret<string> | undefined, names: { cert: string; key: string }): void {
  try {
    nodeTls().createSecureContext({ cert, key, ...(passphrase === undefined ? {} : { passphrase: passphrase.reveal() }) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERR_OSSL';
    let message: string;
    let property = names.key;
    if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') {
      message = `${names.key}: the private key does not match the client certificate (${names.cert})`;
    } else if (code === 'ERR_OSSL_BAD_DECRYPT') {
      property = 'ssl.key.password';
      message = passphrase === undefined
        ? `${names.key}: the private key is encrypted; set ssl.key.password`
        : `ssl.key.password: the private key (${names.key}) cannot be decrypted with it`;
    } else {
      message = `${names.key}, ${names.cert}: the client certificate and key cannot be loaded [${code}]`;
    }
    // The cause keeps OpenSSL's own error (codes and routine names, no key bytes) for --verbose output.
    throw new ConfigError(message, property, { cause: err });
  }
}

const acceptAnyIdentity = (): undefined => undefined;

/** Options for `tls.connect()` to one broker. */
export function tlsConnectOptions(t: ResolvedTls, host: string, port: number): TlsConnectionOptions {
  const name = t.servername ?? host;
  const options: TlsConnectionOptions = {
    host,
    port,
    rejectUnauthorized: t.rejectUnauthorized,
    // RFC 6066 forbids IP addresses in SNI; Node verifies against `host` when no servername is given.
    ...(isIP(name) === 0 ? { servername: name } : {}),
  };
  if (t.ca) options.ca = t.ca;
  if (t.cert) options.cert = t.cert;
  if (t.key) options.key = t.key.reveal();
  if (t.passphrase) options.passphrase = t.passphrase.reveal();
  if (t.minVersion) options.minVersion = t.minVersion;
  if (t.checkServerIdentity) options.checkServerIdentity = t.checkServerIdentity;
  else if (!t.verifyHostname) options.checkServerIdentity = acceptAnyIdentity;
  return options;
}

/** OpenSSL verification results and Node TLS codes that mean "the handshake was refused", not a network fault. */
const CERT_CODES: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in chain: the broker certificate is not signed by a trusted CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the broker presented a self-signed certificate that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the broker certificate (untrusted CA or incomplete chain)',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get the issuer certificate (untrusted CA)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get the issuer certificate locally (untrusted CA)',
  CERT_HAS_EXPIRED: 'the broker certificate has expired',
  CERT_NOT_YET_VALID: 'the broker certificate is not yet valid',
  CERT_REVOKED: 'the broker certificate was revoked',
  CERT_SIGNATURE_FAILURE: 'the broker certificate signature is invalid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the broker certificate does not match the host name (ERR_TLS_CERT_ALTNAME_INVALID)',
  // The broker's answer to our certificate (a listener with ssl.client.auth=required): TLS 1.2 alerts 42 and 46,
  // TLS 1.3's certificate_required (116). Java brokers send bad_certificate when no certificate came.
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE:
    'the broker refused the client certificate: none was sent (set ssl.certificate.location and ssl.key.location) or it is not valid',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'the broker does not trust the client certificate (not signed by a CA in its truststore)',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the broker does not trust the CA that signed the client certificate',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the broker requires a client certificate (set ssl.certificate.location and ssl.key.location)',
};

/** True when `err` (from a TLS socket) is a certificate or handshake refusal rather than a transport failure. */
export function isTlsFailure(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return false;
  return code in CERT_CODES || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.includes('CERT');
}

/** A TlsError naming the reason and the broker (never key material). */
export function tlsError(err: unknown, broker: string): TlsError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'TLS_ERROR';
  // OpenSSL's message ends with a source location and a newline ("...:SSL alert number 42\n"): one line is kept.
  const detail = (err instanceof Error ? err.message : String(err)).trim().replace(/\s*\n\s*/g, ' ');
  const known = CERT_CODES[code];
  const reason = known === undefined ? detail : detail && detail !== known ? `${known}; ${detail}` : known;
  return new TlsError(`TLS handshake with ${broker} failed: ${reason} [${code}]`, { cause: err });
}
