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
export type { TopicPartition, TopicPartitionOffset } from './consumer/partition-state.js';
export type { OffsetResetEvent } from './consumer/offsets.js';
export type { ConsumerLogger } from './consumer/logger.js';
export { InvalidOffsetError, type InvalidOffsetReason } from './consumer/errors.js';

export {
  resolveConfig,
  loadConfigFile,
  type ConsumerConfig,
  type ResolvedConsumerConfig,
  type ConfigFile,
  type GregorLogger,
  type LogLevel,
} from './config/index.js';

export {
  GregorError,
  isGregorError,
  ConfigError,
  StateError,
  ProtocolError,
  CorruptRecordError,
  KafkaError,
  ConnectionError,
  TimeoutError,
  AuthenticationError,
  TlsError,
  UnsupportedError,
  AbortError,
  type GregorErrorCode,
} from './errors.js';
