// The SASL exchange over Kafka's own framing (KIP-43 handshake, KIP-152 SaslAuthenticate), used for the first
// authentication of a connection and for KIP-368 re-authentications.
//
//   SaslHandshake v1 { mechanism }            -> the broker accepts the mechanism or lists the enabled ones
//   SaslAuthenticate { authBytes } (repeat)   -> the broker's bytes, or an error code and message
//
// Handshake v0 (raw, unframed SASL tokens) exists only for brokers older than 1.0 and is not supported.
// SaslAuthenticate v1+ returns `sessionLifetimeMs` (KIP-368), which drives re-authentication in broker.ts.

import { AuthenticationError, UnsupportedError, isGregorError } from '../../errors.js';
import { ApiKey, type RequestBody, type ResponseBody } from '../../protocol/index.js';
import { ErrorCode, errorName } from '../../protocol/error-codes.js';
import type { RequestOptions } from '../connection.js';
import type { ResolvedSasl } from '../options.js';
import { scrub } from '../secret.js';
import type { SaslSession } from './mechanism.js';

/** Sends one request on the connection being authenticated and resolves with the decoded body. */
export type SaslTransport = <K extends typeof ApiKey.SaslHandshake | typeof ApiKey.SaslAuthenticate>(
  apiKey: K,
  apiVersion: number,
  body: RequestBody<K>,
  options?: RequestOptions,
) => Promise<ResponseBody<K>>;

export interface SaslVersions {
  handshake: number;
  authenticate: number;
}

export interface SaslResult {
  /** KIP-368: the broker closes the connection this long after authentication unless it re-authenticates; 0 = never. */
  sessionLifetimeMs: number;
}

// A SCRAM exchange takes two rounds, PLAIN and OAUTHBEARER one (two when a token is refused); more means a broker
// and client that disagree about the mechanism: stop instead of looping.
const MAX_ROUNDS = 8;

// The mechanisms are imported when a connection authenticates, not with the network layer: most clients use none,
// and SCRAM's node:crypto costs every thread that loads it (the heartbeat worker too) ~10 ms of CPU at start-up
// (bench/README.md, "Start-up").
export async function createSaslSession(sasl: ResolvedSasl): Promise<SaslSession> {
  switch (sasl.mechanism) {
    case 'PLAIN': {
      const { PlainSession } = await import('./plain.js');
      return new PlainSession(sasl.username as string, sasl.password!, sasl.authorizationId);
    }
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512': {
      const { ScramSession } = await import('./scram.js');
      return new ScramSession(sasl.mechanism, sasl.username as string, sasl.password!);
    }
    case 'OAUTHBEARER': {
      const { OAuthBearerSession } = await import('./oauthbearer.js');
      return new OAuthBearerSession(sasl.oauthTokenProvider!, sasl.authorizationId);
    }
  }
}

/** Picks the SaslHandshake and SaslAuthenticate versions from the broker's ApiVersions ranges. */
export function saslVersions(
  brokerRange: (apiKey: number) => { min: number; max: number } | undefined,
  address: string,
): SaslVersions {
  const hs = brokerRange(ApiKey.SaslHandshake);
  const au = brokerRange(ApiKey.SaslAuthenticate);
  if (hs === undefined || hs.max < 1 || au === undefined) {
    throw new UnsupportedError(
      `broker ${address} does not support SaslHandshake v1 and SaslAuthenticate (Kafka < 1.0); SASL needs both`,
    );
  }
  // v2 is v1 in flexible encoding; v1 is the first to carry sessionLifetimeMs.
  return { handshake: 1, authenticate: Math.min(au.max, 2) };
}

/**
 * Runs one complete SASL exchange. Throws AuthenticationError (not retriable) for refused credentials, a mechanism
 * the broker does not enable, or a server that fails SCRAM verification; transport errors propagate unchanged.
 */
export async function authenticateSasl(
  send: SaslTransport,
  sasl: ResolvedSasl,
  versions: SaslVersions,
  address: string,
  options: RequestOptions = {},
): Promise<SaslResult> {
  const session = await createSaslSession(sasl);
  const secrets = [sasl.password?.reveal()];
  const mechanism = session.mechanism;

  const handshake = await send(ApiKey.SaslHandshake, versions.handshake, { mechanism }, options);
  if (handshake.errorCode !== ErrorCode.NONE) {
    const enabled: string[] = handshake.mechanisms ?? [];
    throw new AuthenticationError(
      handshake.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM
        ? `SASL mechanism ${mechanism} is not enabled on broker ${address} (enabled: ${enabled.join(', ') || 'none'})`
        : `SASL handshake with broker ${address} failed: ${errorName(handshake.errorCode)}`,
    );
  }

  let out: Buffer | null;
  try {
    out = await session.start();
  } catch (err) {
    throw asAuthError(err, mechanism, address, secrets);
  }
  let sessionLifetimeMs = 0;
  for (let round = 0; out !== null; round++) {
    if (round >= MAX_ROUNDS) {
      throw new AuthenticationError(`SASL ${mechanism} with broker ${address} did not complete in ${MAX_ROUNDS} rounds`);
    }
    const resp = await send(ApiKey.SaslAuthenticate, versions.authenticate, { authBytes: out }, options);
    if (resp.errorCode !== ErrorCode.NONE) {
      const brokerMessage = typeof resp.errorMessage === 'string' ? scrub(resp.errorMessage, secrets) : '';
      const serverError =
        session.serverError && !brokerMessage.includes(session.serverError)
          ? ` ${session.serverError}`
          : '';
      throw new AuthenticationError(
        `SASL ${mechanism} authentication with broker ${address} failed: ${errorName(resp.errorCode)}` +
          (brokerMessage ? `: ${brokerMessage}` : '') +
          serverError,
      );
    }
    if (resp.sessionLifetimeMs !== undefined) sessionLifetimeMs = Number(resp.sessionLifetimeMs);
    try {
      out = await session.next(toBuffer(resp.authBytes));
    } catch (err) {
      throw asAuthError(err, mechanism, address, secrets);
    }
  }
  return { sessionLifetimeMs: Number.isFinite(sessionLifetimeMs) && sessionLifetimeMs > 0 ? sessionLifetimeMs : 0 };
}

function toBuffer(bytes: unknown): Buffer {
  if (bytes === null || bytes === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(bytes)) return bytes;
  if (bytes instanceof Uint8Array) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new AuthenticationError('SASL: the broker sent auth bytes of an unexpected type');
}

function asAuthError(err: unknown, mechanism: string, address: string, secrets: (string | undefined)[]): Error {
  if (err instanceof AuthenticationError) {
    return err.message.includes(address)
      ? err
      : new AuthenticationError(`${scrub(err.message, secrets)} (broker ${address})`, { cause: err.cause });
  }
  if (isGregorError(err)) return err;
  return new AuthenticationError(`SASL ${mechanism} with broker ${address} failed: ${scrub(String(err), secrets)}`, {
    cause: err,
  });
}
