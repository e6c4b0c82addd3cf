// Cluster discovery: ApiVersions (KIP-35, KIP-511), Metadata, FindCoordinator and DescribeCluster (KIP-700).
// Definitions in gregor's notation (see dsl.ts); checked against Kafka 4.3.1's message specs by the spec-drift test.

import { api, message } from './dsl.js';

export const ApiVersions = api(18, 'ApiVersions', {
  request: message('0-4', '3+', [
    'ClientSoftwareName string 3+ ignorable',
    'ClientSoftwareVersion string 3+ ignorable',
  ]),
  response: message('0-4', '3+', [
    'ErrorCode int16 0+',
    ['ApiKeys []ApiVersion 0+', [
      'ApiKey int16 0+',
      'MinVersion int16 0+',
      'MaxVersion int16 0+',
    ]],
    'ThrottleTimeMs int32 1+ ignorable',
    ['SupportedFeatures []SupportedFeatureKey 3+ tag=0 tagged=3+ ignorable', [
      'Name string 3+',
      'MinVersion int16 3+',
      'MaxVersion int16 3+',
    ]],
    'FinalizedFeaturesEpoch int64 3+ tag=1 tagged=3+ default=-1 ignorable',
    ['FinalizedFeatures []FinalizedFeatureKey 3+ tag=2 tagged=3+ ignorable', [
      'Name string 3+',
      'MaxVersionLevel int16 3+',
      'MinVersionLevel int16 3+',
    ]],
    'ZkMigrationReady bool 3+ tag=3 tagged=3+ default=false ignorable',
  ]),
});

export const Metadata = api(3, 'Metadata', {
  request: message('0-13', '9+', [
    ['Topics []MetadataRequestTopic 0+ nullable=1+', [
      'TopicId uuid 10+ ignorable',
      'Name string 0+ nullable=10+',
    ]],
    'AllowAutoTopicCreation bool 4+ default=true',
    'IncludeClusterAuthorizedOperations bool 8-10',
    'IncludeTopicAuthorizedOperations bool 8+',
  ]),
  response: message('0-13', '9+', [
    'ThrottleTimeMs int32 3+ ignorable',
    ['Brokers []MetadataResponseBroker 0+', [
      'NodeId int32 0+',
      'Host string 0+',
      'Port int32 0+',
      'Rack string 1+ nullable=1+ default=null ignorable',
    ]],
    'ClusterId string 2+ nullable=2+ default=null ignorable',
    'ControllerId int32 1+ default=-1 ignorable',
    ['Topics []MetadataResponseTopic 0+', [
      'ErrorCode int16 0+',
      'Name string 0+ nullable=12+',
      'TopicId uuid 10+ ignorable',
      'IsInternal bool 1+ default=false ignorable',
      ['Partitions []MetadataResponsePartition 0+', [
        'ErrorCode int16 0+',
        'PartitionIndex int32 0+',
        'LeaderId int32 0+',
        'LeaderEpoch int32 7+ default=-1 ignorable',
        'ReplicaNodes []int32 0+',
        'IsrNodes []int32 0+',
        'OfflineReplicas []int32 5+ ignorable',
      ]],
      'TopicAuthorizedOperations int32 8+ default=-2147483648',
    ]],
    'ClusterAuthorizedOperations int32 8-10 default=-2147483648',
    'ErrorCode int16 13+ ignorable',
  ]),
});

export const FindCoordinator = api(10, 'FindCoordinator', {
  request: message('0-6', '3+', [
    'Key string 0-3',
    'KeyType int8 1+ default=0',
    'CoordinatorKeys []string 4+',
  ]),
  response: message('0-6', '3+', [
    'ThrottleTimeMs int32 1+ ignorable',
    'ErrorCode int16 0-3',
    'ErrorMessage string 1-3 nullable=1-3 ignorable',
    'NodeId int32 0-3',
    'Host string 0-3',
    'Port int32 0-3',
    ['Coordinators []Coordinator 4+', [
      'Key string 4+',
      'NodeId int32 4+',
      'Host string 4+',
      'Port int32 4+',
      'ErrorCode int16 4+',
      'ErrorMessage string 4+ nullable=4+ ignorable',
    ]],
  ]),
});

export const DescribeCluster = api(60, 'DescribeCluster', {
  request: message('0-2', '0+', [
    'IncludeClusterAuthorizedOperations bool 0+',
    'EndpointType int8 1+ default=1',
    'IncludeFencedBrokers bool 2+',
  ]),
  response: message('0-2', '0+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
    'ErrorMessage string 0+ nullable=0+ default=null',
    'EndpointType int8 1+ default=1',
    'ClusterId string 0+',
    'ControllerId int32 0+ default=-1',
    ['Brokers []DescribeClusterBroker 0+', [
      'BrokerId int32 0+',
      'Host string 0+',
      'Port int32 0+',
      'Rack string 0+ nullable=0+ default=null',
      'IsFenced bool 2+',
    ]],
    'ClusterAuthorizedOperations int32 0+ default=-2147483648',
  ]),
});

