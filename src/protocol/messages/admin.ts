// Administration used by tests and tools: CreateTopics, DeleteTopics, DescribeConfigs, ElectLeaders,
// IncrementalAlterConfigs (KIP-339), AlterPartitionReassignments and ListPartitionReassignments (KIP-455).
// Definitions in gregor's notation (see dsl.ts); checked against Kafka 4.3.1's message specs by the spec-drift test.

import { api, message } from './dsl.js';

export const CreateTopics = api(19, 'CreateTopics', {
  request: message('2-7', '5+', [
    ['Topics []CreatableTopic 0+', [
      'Name string 0+',
      'NumPartitions int32 0+',
      'ReplicationFactor int16 0+',
      ['Assignments []CreatableReplicaAssignment 0+', [
        'PartitionIndex int32 0+',
        'BrokerIds []int32 0+',
      ]],
      ['Configs []CreatableTopicConfig 0+', [
        'Name string 0+',
        'Value string 0+ nullable=0+',
      ]],
    ]],
    'timeoutMs int32 0+ default=60000',
    'validateOnly bool 1+ default=false',
  ]),
  response: message('2-7', '5+', [
    'ThrottleTimeMs int32 2+ ignorable',
    ['Topics []CreatableTopicResult 0+', [
      'Name string 0+',
      'TopicId uuid 7+ ignorable',
      'ErrorCode int16 0+',
      'ErrorMessage string 1+ nullable=0+ ignorable',
      'TopicConfigErrorCode int16 5+ tag=0 tagged=5+ ignorable',
      'NumPartitions int32 5+ default=-1 ignorable',
      'ReplicationFactor int16 5+ default=-1 ignorable',
      ['Configs []CreatableTopicConfigs 5+ nullable=5+ ignorable', [
        'Name string 5+',
        'Value string 5+ nullable=5+',
        'ReadOnly bool 5+',
        'ConfigSource int8 5+ default=-1 ignorable',
        'IsSensitive bool 5+',
      ]],
    ]],
  ]),
});

export const DeleteTopics = api(20, 'DeleteTopics', {
  request: message('1-6', '4+', [
    ['Topics []DeleteTopicState 6+', [
      'Name string 6+ nullable=6+ default=null',
      'TopicId uuid 6+',
    ]],
    'TopicNames []string 0-5 ignorable',
    'TimeoutMs int32 0+',
  ]),
  response: message('1-6', '4+', [
    'ThrottleTimeMs int32 1+ ignorable',
    ['Responses []DeletableTopicResult 0+', [
      'Name string 0+ nullable=6+',
      'TopicId uuid 6+ ignorable',
      'ErrorCode int16 0+',
      'ErrorMessage string 5+ nullable=5+ default=null ignorable',
    ]],
  ]),
});

export const DescribeConfigs = api(32, 'DescribeConfigs', {
  request: message('1-4', '4+', [
    ['Resources []DescribeConfigsResource 0+', [
      'ResourceType int8 0+',
      'ResourceName string 0+',
      'ConfigurationKeys []string 0+ nullable=0+',
    ]],
    'IncludeSynonyms bool 1+ default=false',
    'IncludeDocumentation bool 3+ default=false',
  ]),
  response: message('1-4', '4+', [
    'ThrottleTimeMs int32 0+',
    ['Results []DescribeConfigsResult 0+', [
      'ErrorCode int16 0+',
      'ErrorMessage string 0+ nullable=0+',
      'ResourceType int8 0+',
      'ResourceName string 0+',
      ['Configs []DescribeConfigsResourceResult 0+', [
        'Name string 0+',
        'Value string 0+ nullable=0+',
        'ReadOnly bool 0+',
        'ConfigSource int8 1+ default=-1 ignorable',
        'IsSensitive bool 0+',
        ['Synonyms []DescribeConfigsSynonym 1+ ignorable', [
          'Name string 1+',
          'Value string 1+ nullable=0+',
          'Source int8 1+',
        ]],
        'ConfigType int8 3+ default=0 ignorable',
        'Documentation string 3+ nullable=0+ ignorable',
      ]],
    ]],
  ]),
});

export const ElectLeaders = api(43, 'ElectLeaders', {
  request: message('0-2', '2+', [
    'ElectionType int8 1+',
    ['TopicPartitions []TopicPartitions 0+ nullable=0+', [
      'Topic string 0+',
      'Partitions []int32 0+',
    ]],
    'TimeoutMs int32 0+ default=60000',
  ]),
  response: message('0-2', '2+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 1+',
    ['ReplicaElectionResults []ReplicaElectionResult 0+', [
      'Topic string 0+',
      ['PartitionResult []PartitionResult 0+', [
        'PartitionId int32 0+',
        'ErrorCode int16 0+',
        'ErrorMessage string 0+ nullable=0+',
      ]],
    ]],
  ]),
});

export const IncrementalAlterConfigs = api(44, 'IncrementalAlterConfigs', {
  request: message('0-1', '1+', [
    ['Resources []AlterConfigsResource 0+', [
      'ResourceType int8 0+',
      'ResourceName string 0+',
      ['Configs []AlterableConfig 0+', [
        'Name string 0+',
        'ConfigOperation int8 0+',
        'Value string 0+ nullable=0+',
      ]],
    ]],
    'ValidateOnly bool 0+',
  ]),
  response: message('0-1', '1+', [
    'ThrottleTimeMs int32 0+',
    ['Responses []AlterConfigsResourceResponse 0+', [
      'ErrorCode int16 0+',
      'ErrorMessage string 0+ nullable=0+',
      'ResourceType int8 0+',
      'ResourceName string 0+',
    ]],
  ]),
});

export const AlterPartitionReassignments = api(45, 'AlterPartitionReassignments', {
  request: message('0-1', '0+', [
    'TimeoutMs int32 0+ default=60000',
    'AllowReplicationFactorChange bool 1+ default=true',
    ['Topics []ReassignableTopic 0+', [
      'Name string 0+',
      ['Partitions []ReassignablePartition 0+', [
        'PartitionIndex int32 0+',
        'Replicas []int32 0+ nullable=0+ default=null',
      ]],
    ]],
  ]),
  response: message('0-1', '0+', [
    'ThrottleTimeMs int32 0+',
    'AllowReplicationFactorChange bool 1+ default=true ignorable',
    'ErrorCode int16 0+',
    'ErrorMessage string 0+ nullable=0+',
    ['Responses []ReassignableTopicResponse 0+', [
      'Name string 0+',
      ['Partitions []ReassignablePartitionResponse 0+', [
        'PartitionIndex int32 0+',
        'ErrorCode int16 0+',
        'ErrorMessage string 0+ nullable=0+',
      ]],
    ]],
  ]),
});

export const ListPartitionReassignments = api(46, 'ListPartitionReassignments', {
  request: message('0', '0+', [
    'TimeoutMs int32 0+ default=60000',
    ['Topics []ListPartitionReassignmentsTopics 0+ nullable=0+ default=null', [
      'Name string 0+',
      'PartitionIndexes []int32 0+',
    ]],
  ]),
  response: message('0', '0+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
    'ErrorMessage string 0+ nullable=0+',
    ['Topics []OngoingTopicReassignment 0+', [
      'Name string 0+',
      ['Partitions []OngoingPartitionReassignment 0+', [
        'PartitionIndex int32 0+',
        'Replicas []int32 0+',
        'AddingReplicas []int32 0+',
        'RemovingReplicas []int32 0+',
      ]],
    ]],
  ]),
});

