// The admin folder's surface: the minimal Admin client and the shapes its calls take and return.

export {
  Admin,
  isTopicAlreadyExists,
  type AdminCallOptions,
  type AlterConfigOp,
  type AlterConfigsResource,
  type BrokerNode,
  type ClusterDescription,
  type ConfigEntry,
  type ConfigResourceDescription,
  type ConfigResourceType,
  type CreateTopicsOptions,
  type CreatedTopic,
  type DeleteTopicsOptions,
  type ListOffsetsOptions,
  type ListedOffset,
  type NewTopic,
  type OffsetQuery,
  type OffsetSpec,
  type PartitionDescription,
  type TopicDescription,
  type TopicListing,
} from './admin.js';
export type { GroupDescription, GroupFilters, GroupListing, GroupMember, GroupMemberAssignment, GroupOffset } from './groups.js';
export type { ShareGroupDescription, ShareGroupMember, ShareGroupOffset, ShareGroupOffsetSpec } from './share-groups.js';
export type { GroupOffsetToWrite } from './group-offsets.js';
