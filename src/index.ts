// gregor's public surface. Everything an application needs is exported here; deeper paths are internal.

export {
  Consumer,
  type ConsumerEvents,
  type ConsumerOptions,
  type ConsumerState,
  type CommittedOffsetInfo,
  type OffsetCommit,
  type OffsetForTime,
  type PartitionAssignment,
  type PartitionLag,
  type RebalanceListener,
  type TimestampQuery,
} from './consumer/consumer.js';
export { Message, type MessageHeader, type TimestampType } from './consumer/message.js';
export {
  ConsumerRecord, type Delivered, type DeserializedType, type Deserializer, type DeserializerContext, type DeserializerFunction,
  type DeserializerName,
} from './consumer/deserialize.js';
export { DeadLetterError, type DeadLetter, type DeadLetterSink, type ErrorPolicy } from './consumer/failure-policy.js';
// Registers the producer-backed dead-letter sink (gregor.error.policy=dead-letter) for every Consumer made from here.
export { ProducerDeadLetterSink, deadLetterTopic } from './dead-letter/index.js';
export { DURATION_BUCKETS, type ConsumerMetrics, type DurationHistogram, type PartitionMetrics } from './consumer/metrics.js';
export { prometheusText, PROMETHEUS_CONTENT_TYPE } from './consumer/prometheus.js';
export type { TopicPartition, TopicPartitionOffset } from './consumer/partition-state.js';
export type { OffsetResetEvent } from './consumer/offsets.js';
export type { ConnectAddressResolver } from './network/options.js';
export { DeserializationError, InvalidOffsetError, LogTruncationError, type InvalidOffsetReason } from './consumer/errors.js';
export {
  HandlerError, type Batch, type BatchContext, type CommitFailedEvent, type MessageContext, type RunCommitReason, type Ordering, type RetryPolicy, type RunOptions, type RunSummary,
} from './consumer/api.js';
// Share groups (KIP-932): queues on Kafka topics.
export { ShareConsumer } from './consumer/share/share-consumer.js';
export { sharePrometheusText } from './consumer/share/metrics.js';
export {
  AcknowledgementError, ShareConsumerRecord, type AcknowledgeType, type AcknowledgementFailure, type ShareConsumerEvents, type ShareConsumerMetrics,
  type ShareConsumerState, type ShareDelivered, type ShareHandlerContext, type ShareMessage, type ShareRunOptions, type ShareRunSummary,
} from './consumer/share/api.js';

export {
  resolveConfig,
  loadConfigFile,
  type ConsumerConfig,
  type ResolvedConsumerConfig,
  type ConfigFile,
  type GregorLogger,
  type LogFunction,
  type LogLevel,
  type Logger,
  type LoggerObject,
} from './config/index.js';

export {
  GregorError,
  isGregorError,
  ConfigError,
  StateError,
  GroupNotEmptyError,
  type GroupMemberRef,
  ProtocolError,
  CorruptRecordError,
  KafkaError,
  AuthorizationError,
  TopicAuthorizationError,
  GroupAuthorizationError,
  ClusterAuthorizationError,
  TransactionalIdAuthorizationError,
  ConnectionError,
  TimeoutError,
  AuthenticationError,
  TlsError,
  UnsupportedError,
  AbortError,
  type GregorErrorCode,
} from './errors.js';

// diagnostics_channel: the names of gregor's TracingChannels and their payloads (README, "Observability").
export {
  DIAGNOSTICS_CHANNELS,
  type CommitDiagnostics, type ConnectDiagnostics, type DiagnosticsPartition, type DiagnosticsRecord, type FetchDiagnostics,
  type GroupDiagnostics, type PollDiagnostics, type ProcessDiagnostics, type RebalanceDiagnostics, type RequestDiagnostics,
  type SendDiagnostics, type TracedOutcome,
} from './diagnostics.js';

// The minimal producer and admin client (tests, the demo, tools; the consumer remains the product).
export {
  Producer, murmur2, partitionForKey,
  type Bytes, type CloseOptions, type ConsumerGroupMetadata, type OffsetToCommit, type ProducerHeader, type ProducerRecord,
  type ProducerState, type ProducerStats, type RecordMetadata, type TimeoutOptions, type TransactionState,
} from './producer/index.js';
export {
  Admin, isTopicAlreadyExists,
  type AdminCallOptions, type BrokerNode, type ClusterDescription, type ConfigEntry, type ConfigResourceDescription,
  type ConfigResourceType, type CreateTopicsOptions, type CreatedTopic, type DeleteTopicsOptions, type ListOffsetsOptions,
  type ListedOffset, type NewTopic, type OffsetQuery, type OffsetSpec, type PartitionDescription, type TopicDescription,
  type TopicListing, type GroupDescription, type GroupListing, type GroupMember, type GroupMemberAssignment, type GroupOffset,
  type AlterConfigOp, type AlterConfigsResource, type GroupFilters, type ShareGroupDescription, type ShareGroupMember,
  type ShareGroupOffset, type ShareGroupOffsetSpec,
  type GroupOffsetToWrite,
} from './admin/index.js';
export type { ProducerConfig, AdminConfig, ResolvedProducerConfig, ResolvedAdminConfig } from './config/index.js';
