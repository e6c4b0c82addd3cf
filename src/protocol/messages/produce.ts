// Writing: Produce, and the transactional APIs (KIP-98; KIP-890 for AddPartitionsToTxn v4+ and the transaction v2 protocol):
// InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn.
// Definitions in gregor's notation (see dsl.ts); checked against Kafka 4.3.1's message specs by the spec-drift test.

import { api, message, type Fields } from './dsl.js';

export const Produce = api(0, 'Produce', {
  request: message('3-13', '9+', [
    'TransactionalId string 3+ nullable=3+ default=null',
    'Acks int16 0+',
    'TimeoutMs int32 0+',
    ['TopicData []TopicProduceData 0+', [
      'Name string 0-12 ignorable',
      'TopicId uuid 13+ ignorable',
      ['PartitionData []PartitionProduceData 0+', [
        'Index int32 0+',
        'Records records 0+ nullable=0+',
      ]],
    ]],
  ]),
  response: message('3-13', '9+', [
    ['Responses []TopicProduceResponse 0+', [
      'Name string 0-12 ignorable',
      'TopicId uuid 13+ ignorable',
      ['PartitionResponses []PartitionProduceResponse 0+', [
        'Index int32 0+',
        'ErrorCode int16 0+',
        'BaseOffset int64 0+',
        'LogAppendTimeMs int64 2+ default=-1 ignorable',
        'LogStartOffset int64 5+ default=-1 ignorable',
        ['RecordErrors []BatchIndexAndErrorMessage 8+ ignorable', [
          'BatchIndex int32 8+',
          'BatchIndexErrorMessage string 8+ nullable=8+ default=null',
        ]],
        'ErrorMessage string 8+ nullable=8+ default=null ignorable',
        ['CurrentLeader LeaderIdAndEpoch 10+ tag=0 tagged=10+', [
          'LeaderId int32 10+ default=-1',
          'LeaderEpoch int32 10+ default=-1',
        ]],
      ]],
    ]],
    'ThrottleTimeMs int32 1+ default=0 ignorable',
    ['NodeEndpoints []NodeEndpoint 10+ tag=0 tagged=10+', [
      'NodeId int32 10+',
      'Host string 10+',
      'Port int32 10+',
      'Rack string 10+ nullable=10+ default=null',
    ]],
  ]),
});

export const InitProducerId = api(22, 'InitProducerId', {
  request: message('0-6', '2+', [
    'TransactionalId string 0+ nullable=0+',
    'TransactionTimeoutMs int32 0+',
    'ProducerId int64 3+ default=-1',
    'ProducerEpoch int16 3+ default=-1',
    'Enable2Pc bool 6+ default=false',
    'KeepPreparedTxn bool 6+ default=false',
  ], { latestVersionUnstable: true }),
  response: message('0-6', '2+', [
    'ThrottleTimeMs int32 0+ ignorable',
    'ErrorCode int16 0+',
    'ProducerId int64 0+ default=-1',
    'ProducerEpoch int16 0+',
    'OngoingTxnProducerId int64 6+ default=-1',
    'OngoingTxnProducerEpoch int16 6+ default=-1',
  ]),
});

export const EndTxn = api(26, 'EndTxn', {
  request: message('0-5', '3+', [
    'TransactionalId string 0+',
    'ProducerId int64 0+',
    'ProducerEpoch int16 0+',
    'Committed bool 0+',
  ]),
  response: message('0-5', '3+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
    'ProducerId int64 5+ default=-1 ignorable',
    'ProducerEpoch int16 5+ default=-1 ignorable',
  ]),
});

const addPartitionsToTxnRequestTopic: Fields = [
  'Name string 0+',
  'Partitions []int32 0+',
];

const addPartitionsToTxnResponsePartitionResult: Fields = [
  'PartitionIndex int32 0+',
  'PartitionErrorCode int16 0+',
];

const addPartitionsToTxnResponseTopicResult: Fields = [
  'Name string 0+',
  ['ResultsByPartition []AddPartitionsToTxnPartitionResult 0+', addPartitionsToTxnResponsePartitionResult],
];

export const AddPartitionsToTxn = api(24, 'AddPartitionsToTxn', {
  request: message('0-5', '3+', [
    ['Transactions []AddPartitionsToTxnTransaction 4+', [
      'TransactionalId string 4+',
      'ProducerId int64 4+',
      'ProducerEpoch int16 4+',
      'VerifyOnly bool 4+ default=false',
      ['Topics []AddPartitionsToTxnTopic 4+', addPartitionsToTxnRequestTopic],
    ]],
    'V3AndBelowTransactionalId string 0-3',
    'V3AndBelowProducerId int64 0-3',
    'V3AndBelowProducerEpoch int16 0-3',
    ['V3AndBelowTopics []AddPartitionsToTxnTopic 0-3', addPartitionsToTxnRequestTopic],
  ]),
  response: message('0-5', '3+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 4+ ignorable',
    ['ResultsByTransaction []AddPartitionsToTxnResult 4+', [
      'TransactionalId string 4+',
      ['TopicResults []AddPartitionsToTxnTopicResult 4+', addPartitionsToTxnResponseTopicResult],
    ]],
    ['ResultsByTopicV3AndBelow []AddPartitionsToTxnTopicResult 0-3', addPartitionsToTxnResponseTopicResult],
  ]),
});

export const AddOffsetsToTxn = api(25, 'AddOffsetsToTxn', {
  request: message('0-4', '3+', [
    'TransactionalId string 0+',
    'ProducerId int64 0+',
    'ProducerEpoch int16 0+',
    'GroupId string 0+',
  ]),
  response: message('0-4', '3+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
  ]),
});

export const TxnOffsetCommit = api(28, 'TxnOffsetCommit', {
  request: message('0-5', '3+', [
    'TransactionalId string 0+',
    'GroupId string 0+',
    'ProducerId int64 0+',
    'ProducerEpoch int16 0+',
    'GenerationId int32 3+ default=-1',
    'MemberId string 3+ default=""',
    'GroupInstanceId string 3+ nullable=3+ default=null',
    ['Topics []TxnOffsetCommitRequestTopic 0+', [
      'Name string 0+',
      ['Partitions []TxnOffsetCommitRequestPartition 0+', [
        'PartitionIndex int32 0+',
        'CommittedOffset int64 0+',
        'CommittedLeaderEpoch int32 2+ default=-1 ignorable',
        'CommittedMetadata string 0+ nullable=0+',
      ]],
    ]],
  ]),
  response: message('0-5', '3+', [
    'ThrottleTimeMs int32 0+',
    ['Topics []TxnOffsetCommitResponseTopic 0+', [
      'Name string 0+',
      ['Partitions []TxnOffsetCommitResponsePartition 0+', [
        'PartitionIndex int32 0+',
        'ErrorCode int16 0+',
      ]],
    ]],
  ]),
});

