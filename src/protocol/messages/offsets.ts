// Committed offsets of a consumer group: OffsetFetch and OffsetCommit.
// Definitions in gregor's notation (see dsl.ts); checked against Kafka 4.3.1's message specs by the spec-drift test.

import { api, message } from './dsl.js';

export const OffsetFetch = api(9, 'OffsetFetch', {
  request: message('1-10', '6+', [
    'GroupId string 0-7',
    ['Topics []OffsetFetchRequestTopic 0-7 nullable=2-7', [
      'Name string 0-7',
      'PartitionIndexes []int32 0-7',
    ]],
    ['Groups []OffsetFetchRequestGroup 8+', [
      'GroupId string 8+',
      'MemberId string 9+ nullable=9+ default=null ignorable',
      'MemberEpoch int32 9+ default=-1 ignorable',
      ['Topics []OffsetFetchRequestTopics 8+ nullable=8+', [
        'Name string 8-9 ignorable',
        'TopicId uuid 10+ ignorable',
        'PartitionIndexes []int32 8+',
      ]],
    ]],
    'RequireStable bool 7+ default=false',
  ]),
  response: message('1-10', '6+', [
    'ThrottleTimeMs int32 3+ ignorable',
    ['Topics []OffsetFetchResponseTopic 0-7', [
      'Name string 0-7',
      ['Partitions []OffsetFetchResponsePartition 0-7', [
        'PartitionIndex int32 0-7',
        'CommittedOffset int64 0-7',
        'CommittedLeaderEpoch int32 5-7 default=-1 ignorable',
        'Metadata string 0-7 nullable=0-7',
        'ErrorCode int16 0-7',
      ]],
    ]],
    'ErrorCode int16 2-7 default=0 ignorable',
    ['Groups []OffsetFetchResponseGroup 8+', [
      'GroupId string 8+',
      ['Topics []OffsetFetchResponseTopics 8+', [
        'Name string 8-9 ignorable',
        'TopicId uuid 10+ ignorable',
        ['Partitions []OffsetFetchResponsePartitions 8+', [
          'PartitionIndex int32 8+',
          'CommittedOffset int64 8+',
          'CommittedLeaderEpoch int32 8+ default=-1 ignorable',
          'Metadata string 8+ nullable=8+',
          'ErrorCode int16 8+',
        ]],
      ]],
      'ErrorCode int16 8+ default=0',
    ]],
  ]),
});

export const OffsetCommit = api(8, 'OffsetCommit', {
  request: message('2-10', '8+', [
    'GroupId string 0+',
    'GenerationIdOrMemberEpoch int32 1+ default=-1 ignorable',
    'MemberId string 1+ ignorable',
    'GroupInstanceId string 7+ nullable=7+ default=null',
    'RetentionTimeMs int64 2-4 default=-1 ignorable',
    ['Topics []OffsetCommitRequestTopic 0+', [
      'Name string 0-9 ignorable',
      'TopicId uuid 10+ ignorable',
      ['Partitions []OffsetCommitRequestPartition 0+', [
        'PartitionIndex int32 0+',
        'CommittedOffset int64 0+',
        'CommittedLeaderEpoch int32 6+ default=-1 ignorable',
        'CommittedMetadata string 0+ nullable=0+',
      ]],
    ]],
  ]),
  response: message('2-10', '8+', [
    'ThrottleTimeMs int32 3+ ignorable',
    ['Topics []OffsetCommitResponseTopic 0+', [
      'Name string 0-9 ignorable',
      'TopicId uuid 10+ ignorable',
      ['Partitions []OffsetCommitResponsePartition 0+', [
        'PartitionIndex int32 0+',
        'ErrorCode int16 0+',
      ]],
    ]],
  ]),
});

