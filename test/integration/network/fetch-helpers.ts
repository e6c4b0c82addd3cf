// A long-polling Fetch against an empty partition: the broker holds it for maxWaitMs because minBytes is not met.
// That is the real-broker way to keep a request in flight for a known time.
import { ApiKey, type FetchResponse } from '../../../src/protocol/index.js';
import type { Broker, BrokerRequestOptions } from '../../../src/network/broker.js';

export async function topicIdOf(broker: Broker, topic: string): Promise<string> {
  const md = await broker.request(ApiKey.Metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false });
  return md.topics[0].topicId;
}

export function longPollFetch(
  broker: Broker,
  topic: string,
  topicId: string,
  maxWaitMs: number,
  options: BrokerRequestOptions = {},
): Promise<FetchResponse> {
  return broker.request(
    ApiKey.Fetch,
    {
      maxWaitMs,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1, // no fetch session: a plain full fetch
      topics: [
        {
          topic,
          topicId,
          partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
    { lane: 'fetch', timeoutMs: maxWaitMs + 10_000, ...options },
  );
}
