// Topic ids (KIP-516) in the consumer: carried as Kafka's printed string form (URL-safe base64 of the 16 bytes),
// so they compare with === and print like the broker's tools print them. Responses may give them as 16-byte
// buffers; requests accept either form (the protocol Writer parses strings).

import { uuidToKafkaString } from '../protocol/primitives.js';

const ZERO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** The string form of a topic id from a response field, or undefined for a missing or all-zero id. */
export function topicIdString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = typeof value === 'string' ? value : value instanceof Uint8Array ? uuidToKafkaString(value) : undefined;
  return s === undefined || s === ZERO_ID || s === '00000000-0000-0000-0000-000000000000' ? undefined : s;
}

/** Resolves the topic name of a response entry that carries a name (old versions) or an id (new versions). */
export function responseTopicName(
  entry: { name?: unknown; topic?: unknown; topicId?: unknown },
  nameOfId: (id: string) => string | undefined,
): string | undefined {
  const name = typeof entry.name === 'string' ? entry.name : typeof entry.topic === 'string' ? entry.topic : '';
  if (name.length > 0) return name;
  const id = topicIdString(entry.topicId);
  return id === undefined ? undefined : nameOfId(id);
}
