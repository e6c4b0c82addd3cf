// The protocol layer's public surface: what src/network (and tests, tools) code against.
//
// Pure code, no I/O. Frames in, objects out: `encodeRequest` builds a complete frame (size prefix included) and
// `decodeResponse` reads one (without its size prefix). Field names are the Kafka spec's, in lowerCamelCase;
// int64 is bigint; uuid is Kafka's printed form (22-character URL-safe base64, as kafka-topics.sh shows it);
// bytes and records are Buffer views into the frame, never copied (src/protocol/records decodes records lazily).

import { apiKeyName } from './api-keys.js';
import * as codec from './codec.js';
import { API_DEFS } from './messages/index.js';
import type { RequestBodies, ResponseBodies } from './messages/types.js';
import { UnsupportedError } from '../errors.js';

export { ApiKey, apiKeyName, type ApiKeyName, type ApiKeyNumber } from './api-keys.js';
export { ZERO_UUID_STRING } from './codec.js';
export { Reader, Writer, uuidFromString, uuidToKafkaString, uuidToCanonicalString, UUID_SIZE, type TaggedField } from './primitives.js';
export {
  ERROR_CODES, ErrorCode, errorInfo, errorInfoByName, errorName, isRetriable, kafkaError, throwIfError,
  type ErrorCodeInfo, type ErrorCodeName,
} from './error-codes.js';
export {
  AUTHORIZATION_FAILED_CODES, COORDINATOR_MOVED_CODES, FATAL_FOR_COMMIT_CODES, FATAL_FOR_JOIN_CODES, FATAL_FOR_TRANSACTION_CODES, FETCH_SESSION_RESET_CODES,
  LEADER_MOVED_CODES, authorizationFailed, controllerMoved, coordinatorMoved, fatalForCommit, fatalForJoin, fatalForTransaction, fetchSessionReset,
  leaderMoved, producerFenced, staleMetadata,
} from './error-kinds.js';
export type * from './messages/types.js';

export interface VersionSpan {
  readonly min: number;
  readonly max: number;
}

const SUPPORTED = new Map<number, VersionSpan>();
for (const def of API_DEFS) {
  const valid = def.request.validVersions;
  // A version Kafka marks unstable is refused by brokers unless unstable.api.versions.enable is set, so gregor
  // does not offer it for negotiation (it can still be encoded explicitly, e.g. by tests).
  const max = def.request.latestVersionUnstable ? valid.max - 1 : valid.max;
  SUPPORTED.set(def.apiKey, Object.freeze({ min: valid.min, max }));
}

/** The versions gregor implements for an API key. Throws UnsupportedError for an API gregor does not define. */
export function supportedVersions(apiKey: number): VersionSpan {
  const v = SUPPORTED.get(apiKey);
  if (v === undefined) throw new UnsupportedError(`gregor does not implement ${apiKeyName(apiKey)} (API key ${apiKey})`);
  return v;
}

/** Every API key gregor implements, with its versions. */
export function implementedApis(): ReadonlyMap<number, VersionSpan> {
  return SUPPORTED;
}

/** True when `version` of the request of `apiKey` uses flexible encoding (KIP-482): header v2, compact types. */
export function isFlexibleVersion(apiKey: number, version: number): boolean {
  return codec.messagePlan(apiKey, version, true).flexibleHeader;
}

/** The request body type for an API key (a literal such as ApiKey.Fetch); `object` for a non-literal key. */
export type RequestBody<K extends number> = K extends keyof RequestBodies ? RequestBodies[K] : object;
/** The decoded response body type for an API key; `unknown` for a non-literal key (the caller must narrow it). */
export type ResponseBody<K extends number> = K extends keyof ResponseBodies ? ResponseBodies[K] : unknown;
/** A request body, or a function building it for the version negotiated with the broker (see src/network/broker.ts). */
export type RequestBodyFor<K extends number> = RequestBody<K> | ((version: number) => RequestBody<K>);

/**
 * The complete request frame INCLUDING the 4-byte size prefix, ready for socket.write. Request header v1, or v2
 * in flexible versions. Throws UnsupportedError for an API or version gregor does not define, ProtocolError (naming
 * the field path) for a body that does not fit the definition, UnsupportedError for a non-default value in a field
 * the version cannot carry (unless the field is ignorable: then it is dropped).
 */
export function encodeRequest<K extends number>(apiKey: K, apiVersion: number, correlationId: number, clientId: string | null, body: RequestBody<K>): Buffer {
  return codec.encodeRequest(apiKey, apiVersion, correlationId, clientId, body as object);
}

/**
 * Decodes a response frame: the bytes after the size prefix (header and body). Response header v0, or v1 in
 * flexible versions except ApiVersions (always v0, KIP-511). Bytes and records are views into `frame`.
 * Throws ProtocolError (with the field path and byte offset) for anything that does not decode exactly.
 */
export function decodeResponse<K extends number>(apiKey: K, apiVersion: number, frame: Buffer): { correlationId: number; body: ResponseBody<K> } {
  // The codec is generic over the message definitions; the generated types describe what it returns for this key.
  return codec.decodeResponse(apiKey, apiVersion, frame) as { correlationId: number; body: ResponseBody<K> };
}

/** Decodes a request frame (after the size prefix). For tests and tools. */
export function decodeRequest(frame: Buffer): DecodedRequest {
  return codec.decodeRequest(frame) as DecodedRequest;
}

export interface DecodedRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  // The api key is read from the frame at run time, so no generated request type applies; tests and tools read
  // the fields they expect (a scripted broker answers any request it is sent).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** A complete response frame, size prefix included. For tests and tools. */
export function encodeResponse<K extends number>(apiKey: K, apiVersion: number, correlationId: number, body: ResponseBody<K> | object): Buffer {
  return codec.encodeResponse(apiKey, apiVersion, correlationId, body as object);
}
