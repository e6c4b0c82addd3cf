// The producer folder's surface: the minimal Producer and what its API names. src/index.ts re-exports these.

export { Producer, type CloseOptions, type ProducerState, type TimeoutOptions } from './producer.js';
export type { Bytes, ProducerHeader, ProducerRecord, RecordMetadata } from './record.js';
export type { ConsumerGroupMetadata, OffsetToCommit, TransactionState } from './transactions.js';
export type { SenderStats as ProducerStats } from './sender.js';
export { murmur2, partitionForKey, toPositive } from './partitioner.js';
