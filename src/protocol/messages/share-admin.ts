// The share-group (KIP-932) admin APIs: ShareGroupDescribe, DescribeShareGroupOffsets (with KIP-1226's lag from v1),
// AlterShareGroupOffsets and DeleteShareGroupOffsets. The member-side APIs (ShareGroupHeartbeat, ShareFetch,
// ShareAcknowledge) are in share.ts.
// Definitions in gregor's notation (see dsl.ts); checked against Kafka 4.3.1's message specs by the spec-drift test.

import { api, message, type Fields } from './dsl.js';

const shareGroupDescribeTopicPartitions: Fields = [
  'TopicId uuid 0+',
  'TopicName string 0+',
  'Partitions []int32 0+',
];

// Version 0 was the early-access protocol of Kafka 4.0 and is gone from 4.1 on (as ShareFetch v0).
export const ShareGroupDescribe = api(77, 'ShareGroupDescribe', {
  request: message('1', '0+', [
    'GroupIds []string 0+',
    'IncludeAuthorizedOperations bool 0+',
  ]),
  response: message('1', '0+', [
    'ThrottleTimeMs int32 0+',
    ['Groups []DescribedGroup 0+', [
      'ErrorCode int16 0+',
      'ErrorMessage string 0+ nullable=0+ default=null',
      'GroupId string 0+',
      'GroupState string 0+',
      'GroupEpoch int32 0+',
      'AssignmentEpoch int32 0+',
      'AssignorName string 0+',
      ['Members []Member 0+', [
        'MemberId string 0+',
        'RackId string 0+ nullable=0+ default=null',
        'MemberEpoch int32 0+',
        'ClientId string 0+',
        'ClientHost string 0+',
        'SubscribedTopicNames []string 0+',
        ['Assignment Assignment 0+', [
          ['TopicPartitions []TopicPartitions 0+', shareGroupDescribeTopicPartitions],
        ]],
      ]],
      'AuthorizedOperations int32 0+ default=-2147483648',
    ]],
  ]),
});

export const DescribeShareGroupOffsets = api(90, 'DescribeShareGroupOffsets', {
  request: message('0-1', '0+', [
    ['Groups []DescribeShareGroupOffsetsRequestGroup 0+', [
      'GroupId string 0+',
      ['Topics []DescribeShareGroupOffsetsRequestTopic 0+ nullable=0+', [
        'TopicName string 0+',
        'Partitions []int32 0+',
      ]],
    ]],
  ]),
  response: message('0-1', '0+', [
    'ThrottleTimeMs int32 0+',
    ['Groups []DescribeShareGroupOffsetsResponseGroup 0+', [
      'GroupId string 0+',
      ['Topics []DescribeShareGroupOffsetsResponseTopic 0+', [
        'TopicName string 0+',
        'TopicId uuid 0+',
        ['Partitions []DescribeShareGroupOffsetsResponsePartition 0+', [
          'PartitionIndex int32 0+',
          'StartOffset int64 0+',
          'LeaderEpoch int32 0+',
          'Lag int64 1+ default=-1 ignorable',
          'ErrorCode int16 0+',
          'ErrorMessage string 0+ nullable=0+ default=null',
        ]],
      ]],
      'ErrorCode int16 0+',
      'ErrorMessage string 0+ nullable=0+ default=null',
    ]],
  ]),
});

export const AlterShareGroupOffsets = api(91, 'AlterShareGroupOffsets', {
  request: message('0', '0+', [
    'GroupId string 0+',
    ['Topics []AlterShareGroupOffsetsRequestTopic 0+', [
      'TopicName string 0+',
      ['Partitions []AlterShareGroupOffsetsRequestPartition 0+', [
        'PartitionIndex int32 0+',
        'StartOffset int64 0+',
      ]],
    ]],
  ]),
  response: message('0', '0+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
    'ErrorMessage string 0+ nullable=0+ default=null',
    ['Responses []AlterShareGroupOffsetsResponseTopic 0+', [
      'TopicName string 0+',
      'TopicId uuid 0+',
      ['Partitions []AlterShareGroupOffsetsResponsePartition 0+', [
        'PartitionIndex int32 0+',
        'ErrorCode int16 0+',
        'ErrorMessage string 0+ nullable=0+ default=null',
      ]],
    ]],
  ]),
});

export const DeleteShareGroupOffsets = api(92, 'DeleteShareGroupOffsets', {
  request: message('0', '0+', [
    'GroupId string 0+',
    ['Topics []DeleteShareGroupOffsetsRequestTopic 0+', [
      'TopicName string 0+',
    ]],
  ]),
  response: message('0', '0+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
    'ErrorMessage string 0+ nullable=0+ default=null',
    ['Responses []DeleteShareGroupOffsetsResponseTopic 0+', [
      'TopicName string 0+',
      'TopicId uuid 0+',
      'ErrorCode int16 0+',
      'ErrorMessage string 0+ nullable=0+ default=null',
    ]],
  ]),
});
