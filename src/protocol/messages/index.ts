// The registry of every API gregor defines, by API key. The codec compiles plans from these definitions.

import type { ApiDef } from './dsl.js';
import {
  AlterPartitionReassignments, CreateTopics, DeleteTopics, DescribeConfigs, ElectLeaders, IncrementalAlterConfigs, ListPartitionReassignments,
} from './admin.js';
import { ConsumerGroupDescribe, ConsumerGroupHeartbeat } from './consumer-group.js';
import { Fetch, ListOffsets, OffsetForLeaderEpoch } from './fetch.js';
import { DescribeGroups, Heartbeat, JoinGroup, LeaveGroup, ListGroups, SyncGroup } from './group.js';
import { ApiVersions, DescribeCluster, FindCoordinator, Metadata } from './metadata.js';
import { OffsetCommit, OffsetFetch } from './offsets.js';
import { AddOffsetsToTxn, AddPartitionsToTxn, EndTxn, InitProducerId, Produce, TxnOffsetCommit } from './produce.js';
import { SaslAuthenticate, SaslHandshake } from './sasl.js';
import { AlterShareGroupOffsets, DeleteShareGroupOffsets, DescribeShareGroupOffsets, ShareGroupDescribe } from './share-admin.js';
import { ShareAcknowledge, ShareFetch, ShareGroupHeartbeat } from './share.js';
import { GetTelemetrySubscriptions, PushTelemetry } from './telemetry.js';

export type { ApiDef, FieldDef, MessageDef, VersionRange, ScalarType } from './dsl.js';
export { formatVersions, inRange, parseVersions } from './dsl.js';

/** Every defined API, in API-key order. */
export const API_DEFS: readonly ApiDef[] = Object.freeze(
  [
    Produce, Fetch, ListOffsets, Metadata, OffsetCommit, OffsetFetch, FindCoordinator, JoinGroup, Heartbeat, LeaveGroup,
    SyncGroup, DescribeGroups, ListGroups, SaslHandshake, ApiVersions, CreateTopics, DeleteTopics, InitProducerId,
    OffsetForLeaderEpoch, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, DescribeConfigs,
    SaslAuthenticate, ElectLeaders, AlterPartitionReassignments, ListPartitionReassignments, DescribeCluster,
    ConsumerGroupHeartbeat, ConsumerGroupDescribe,
    IncrementalAlterConfigs, ShareGroupDescribe, DescribeShareGroupOffsets, AlterShareGroupOffsets, DeleteShareGroupOffsets,
    ShareGroupHeartbeat, ShareFetch, ShareAcknowledge, GetTelemetrySubscriptions, PushTelemetry,
  ].sort((a, b) => a.apiKey - b.apiKey),
);

const BY_KEY = new Map<number, ApiDef>(API_DEFS.map((d) => [d.apiKey, d]));

/** The definition for an API key, or undefined when gregor does not implement it. */
export function apiDef(apiKey: number): ApiDef | undefined {
  return BY_KEY.get(apiKey);
}
