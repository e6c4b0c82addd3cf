// The classic consumer group protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, plus DescribeGroups and ListGroups.
// Definitions in gregor's notation (see dsl.ts); checked against Kafka 4.3.1's message specs by the spec-drift test.

import { api, message } from './dsl.js';

export const JoinGroup = api(11, 'JoinGroup', {
  request: message('0-9', '6+', [
    'GroupId string 0+',
    'SessionTimeoutMs int32 0+',
    'RebalanceTimeoutMs int32 1+ default=-1 ignorable',
    'MemberId string 0+',
    'GroupInstanceId string 5+ nullable=5+ default=null',
    'ProtocolType string 0+',
    ['Protocols []JoinGroupRequestProtocol 0+', [
      'Name string 0+',
      'Metadata bytes 0+',
    ]],
    'Reason string 8+ nullable=8+ default=null ignorable',
  ]),
  response: message('0-9', '6+', [
    'ThrottleTimeMs int32 2+ ignorable',
    'ErrorCode int16 0+',
    'GenerationId int32 0+ default=-1',
    'ProtocolType string 7+ nullable=7+ default=null ignorable',
    'ProtocolName string 0+ nullable=7+',
    'Leader string 0+',
    'SkipAssignment bool 9+ default=false',
    'MemberId string 0+',
    ['Members []JoinGroupResponseMember 0+', [
      'MemberId string 0+',
      'GroupInstanceId string 5+ nullable=5+ default=null ignorable',
      'Metadata bytes 0+',
    ]],
  ]),
});

export const SyncGroup = api(14, 'SyncGroup', {
  request: message('0-5', '4+', [
    'GroupId string 0+',
    'GenerationId int32 0+',
    'MemberId string 0+',
    'GroupInstanceId string 3+ nullable=3+ default=null',
    'ProtocolType string 5+ nullable=5+ default=null ignorable',
    'ProtocolName string 5+ nullable=5+ default=null ignorable',
    ['Assignments []SyncGroupRequestAssignment 0+', [
      'MemberId string 0+',
      'Assignment bytes 0+',
    ]],
  ]),
  response: message('0-5', '4+', [
    'ThrottleTimeMs int32 1+ ignorable',
    'ErrorCode int16 0+',
    'ProtocolType string 5+ nullable=5+ default=null ignorable',
    'ProtocolName string 5+ nullable=5+ default=null ignorable',
    'Assignment bytes 0+',
  ]),
});

export const Heartbeat = api(12, 'Heartbeat', {
  request: message('0-4', '4+', [
    'GroupId string 0+',
    'GenerationId int32 0+',
    'MemberId string 0+',
    'GroupInstanceId string 3+ nullable=3+ default=null',
  ]),
  response: message('0-4', '4+', [
    'ThrottleTimeMs int32 1+ ignorable',
    'ErrorCode int16 0+',
  ]),
});

export const LeaveGroup = api(13, 'LeaveGroup', {
  request: message('0-5', '4+', [
    'GroupId string 0+',
    'MemberId string 0-2',
    ['Members []MemberIdentity 3+', [
      'MemberId string 3+',
      'GroupInstanceId string 3+ nullable=3+ default=null',
      'Reason string 5+ nullable=5+ default=null ignorable',
    ]],
  ]),
  response: message('0-5', '4+', [
    'ThrottleTimeMs int32 1+ ignorable',
    'ErrorCode int16 0+',
    ['Members []MemberResponse 3+', [
      'MemberId string 3+',
      'GroupInstanceId string 3+ nullable=3+',
      'ErrorCode int16 3+',
    ]],
  ]),
});

export const DescribeGroups = api(15, 'DescribeGroups', {
  request: message('0-6', '5+', [
    'Groups []string 0+',
    'IncludeAuthorizedOperations bool 3+',
  ]),
  response: message('0-6', '5+', [
    'ThrottleTimeMs int32 1+ ignorable',
    ['Groups []DescribedGroup 0+', [
      'ErrorCode int16 0+',
      'ErrorMessage string 6+ nullable=6+ default=null',
      'GroupId string 0+',
      'GroupState string 0+',
      'ProtocolType string 0+',
      'ProtocolData string 0+',
      ['Members []DescribedGroupMember 0+', [
        'MemberId string 0+',
        'GroupInstanceId string 4+ nullable=4+ default=null ignorable',
        'ClientId string 0+',
        'ClientHost string 0+',
        'MemberMetadata bytes 0+',
        'MemberAssignment bytes 0+',
      ]],
      'AuthorizedOperations int32 3+ default=-2147483648',
    ]],
  ]),
});

export const ListGroups = api(16, 'ListGroups', {
  request: message('0-5', '3+', [
    'StatesFilter []string 4+',
    'TypesFilter []string 5+',
  ]),
  response: message('0-5', '3+', [
    'ThrottleTimeMs int32 1+ ignorable',
    'ErrorCode int16 0+',
    ['Groups []ListedGroup 0+', [
      'GroupId string 0+',
      'ProtocolType string 0+',
      'GroupState string 4+ ignorable',
      'GroupType string 5+ ignorable',
    ]],
  ]),
});

