// Share groups (KIP-932): ShareGroupHeartbeat (membership), ShareFetch (acquire records under a lock, acknowledge
// earlier ones on the same request) and ShareAcknowledge (acknowledge alone). Renew acknowledgements and the acquire
// mode are version 2 (KIP-1222, KIP-1206). Definitions in gregor's notation (see dsl.ts); checked against Kafka
// 4.3.1's message specs by the spec-drift test.

import { api, message, type Fields } from './dsl.js';

const shareTopicPartitions: Fields = [
  'TopicId uuid 0+',
  'Partitions []int32 0+',
];

export const ShareGroupHeartbeat = api(76, 'ShareGroupHeartbeat', {
  request: message('1', '0+', [
    'GroupId string 0+',
    'MemberId string 0+',
    'MemberEpoch int32 0+',
    'RackId string 0+ nullable=0+ default=null',
    'SubscribedTopicNames []string 0+ nullable=0+ default=null',
  ]),
  response: message('1', '0+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
    'ErrorMessage string 0+ nullable=0+ default=null',
    'MemberId string 0+ nullable=0+ default=null',
    'MemberEpoch int32 0+',
    'HeartbeatIntervalMs int32 0+',
    ['Assignment Assignment 0+ nullable=0+ default=null', [
      ['TopicPartitions []TopicPartitions 0+', shareTopicPartitions],
    ]],
  ]),
});

/** Acknowledgement batches: one type per offset, or one type for the whole range (0 gap, 1 accept, 2 release, 3 reject, 4 renew). */
const acknowledgementBatch: Fields = [
  'FirstOffset int64 0+',
  'LastOffset int64 0+',
  'AcknowledgeTypes []int8 0+',
];

const leaderIdAndEpoch: Fields = [
  'LeaderId int32 0+',
  'LeaderEpoch int32 0+',
];

const nodeEndpoint: Fields = [
  'NodeId int32 0+',
  'Host string 0+',
  'Port int32 0+',
  'Rack string 0+ nullable=0+ default=null',
];

export const ShareFetch = api(78, 'ShareFetch', {
  request: message('1-2', '0+', [
    'GroupId string 0+ nullable=0+ default=null',
    'MemberId string 0+ nullable=0+',
    'ShareSessionEpoch int32 0+',
    'MaxWaitMs int32 0+',
    'MinBytes int32 0+',
    'MaxBytes int32 0+ default=2147483647',
    'MaxRecords int32 1+',
    'BatchSize int32 1+',
    'ShareAcquireMode int8 2+ default=0 ignorable',
    'IsRenewAck bool 2+ default=false',
    ['Topics []FetchTopic 0+', [
      'TopicId uuid 0+',
      ['Partitions []FetchPartition 0+', [
        'PartitionIndex int32 0+',
        'PartitionMaxBytes int32 0',
        ['AcknowledgementBatches []AcknowledgementBatch 0+', acknowledgementBatch],
      ]],
    ]],
    ['ForgottenTopicsData []ForgottenTopic 0+', [
      'TopicId uuid 0+',
      'Partitions []int32 0+',
    ]],
  ]),
  response: message('1-2', '0+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
    'ErrorMessage string 0+ nullable=0+ default=null',
    'AcquisitionLockTimeoutMs int32 1+',
    ['Responses []ShareFetchableTopicResponse 0+', [
      'TopicId uuid 0+',
      ['Partitions []PartitionData 0+', [
        'PartitionIndex int32 0+',
        'ErrorCode int16 0+',
        'ErrorMessage string 0+ nullable=0+ default=null',
        'AcknowledgeErrorCode int16 0+',
        'AcknowledgeErrorMessage string 0+ nullable=0+ default=null',
        ['CurrentLeader LeaderIdAndEpoch 0+', leaderIdAndEpoch],
        'Records records 0+ nullable=0',
        ['AcquiredRecords []AcquiredRecords 0+', [
          'FirstOffset int64 0+',
          'LastOffset int64 0+',
          'DeliveryCount int16 0+',
        ]],
      ]],
    ]],
    ['NodeEndpoints []NodeEndpoint 0+', nodeEndpoint],
  ]),
});

export const ShareAcknowledge = api(79, 'ShareAcknowledge', {
  request: message('1-2', '0+', [
    'GroupId string 0+ nullable=0+ default=null',
    'MemberId string 0+ nullable=0+',
    'ShareSessionEpoch int32 0+',
    'IsRenewAck bool 2+ default=false',
    ['Topics []AcknowledgeTopic 0+', [
      'TopicId uuid 0+',
      ['Partitions []AcknowledgePartition 0+', [
        'PartitionIndex int32 0+',
        ['AcknowledgementBatches []AcknowledgementBatch 0+', acknowledgementBatch],
      ]],
    ]],
  ]),
  response: message('1-2', '0+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
    'ErrorMessage string 0+ nullable=0+ default=null',
    'AcquisitionLockTimeoutMs int32 2+ ignorable',
    ['Responses []ShareAcknowledgeTopicResponse 0+', [
      'TopicId uuid 0+',
      ['Partitions []PartitionData 0+', [
        'PartitionIndex int32 0+',
        'ErrorCode int16 0+',
        'ErrorMessage string 0+ nullable=0+ default=null',
        ['CurrentLeader LeaderIdAndEpoch 0+', leaderIdAndEpoch],
      ]],
    ]],
    ['NodeEndpoints []NodeEndpoint 0+', nodeEndpoint],
  ]),
});
