// The next-generation consumer group protocol (KIP-848): ConsumerGroupHeartbeat and ConsumerGroupDescribe.
// Definitions in gregor's notation (see dsl.ts); checked against Kafka 4.3.1's message specs by the spec-drift test.

import { api, message, type Fields } from './dsl.js';

const consumerGroupHeartbeatResponseTopicPartitions: Fields = [
  'TopicId uuid 0+',
  'Partitions []int32 0+',
];

export const ConsumerGroupHeartbeat = api(68, 'ConsumerGroupHeartbeat', {
  request: message('0-1', '0+', [
    'GroupId string 0+',
    'MemberId string 0+',
    'MemberEpoch int32 0+',
    'InstanceId string 0+ nullable=0+ default=null',
    'RackId string 0+ nullable=0+ default=null',
    'RebalanceTimeoutMs int32 0+ default=-1',
    'SubscribedTopicNames []string 0+ nullable=0+ default=null',
    'SubscribedTopicRegex string 1+ nullable=1+ default=null',
    'ServerAssignor string 0+ nullable=0+ default=null',
    ['TopicPartitions []TopicPartitions 0+ nullable=0+ default=null', [
      'TopicId uuid 0+',
      'Partitions []int32 0+',
    ]],
  ]),
  response: message('0-1', '0+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
    'ErrorMessage string 0+ nullable=0+ default=null',
    'MemberId string 0+ nullable=0+ default=null',
    'MemberEpoch int32 0+',
    'HeartbeatIntervalMs int32 0+',
    ['Assignment Assignment 0+ nullable=0+ default=null', [
      ['TopicPartitions []TopicPartitions 0+', consumerGroupHeartbeatResponseTopicPartitions],
    ]],
  ]),
});

const consumerGroupDescribeResponseTopicPartitions: Fields = [
  'TopicId uuid 0+',
  'TopicName string 0+',
  'Partitions []int32 0+',
];

const consumerGroupDescribeResponseAssignment: Fields = [
  ['TopicPartitions []TopicPartitions 0+', consumerGroupDescribeResponseTopicPartitions],
];

export const ConsumerGroupDescribe = api(69, 'ConsumerGroupDescribe', {
  request: message('0-1', '0+', [
    'GroupIds []string 0+',
    'IncludeAuthorizedOperations bool 0+',
  ]),
  response: message('0-1', '0+', [
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
        'InstanceId string 0+ nullable=0+ default=null',
        'RackId string 0+ nullable=0+ default=null',
        'MemberEpoch int32 0+',
        'ClientId string 0+',
        'ClientHost string 0+',
        'SubscribedTopicNames []string 0+',
        'SubscribedTopicRegex string 0+ nullable=0+ default=null',
        ['Assignment Assignment 0+', consumerGroupDescribeResponseAssignment],
        ['TargetAssignment Assignment 0+', consumerGroupDescribeResponseAssignment],
        'MemberType int8 1+ default=-1 ignorable',
      ]],
      'AuthorizedOperations int32 0+ default=-2147483648',
    ]],
  ]),
});

