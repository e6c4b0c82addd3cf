// The error-code table and the KafkaError it produces.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthorizationError, ClusterAuthorizationError, GroupAuthorizationError, KafkaError, TopicAuthorizationError,
  TransactionalIdAuthorizationError, isGregorError,
} from '../../../src/errors.js';
import {
  ERROR_CODES, ErrorCode, errorInfo, errorInfoByName, errorName, isRetriable, kafkaError, throwIfError,
} from '../../../src/protocol/error-codes.js';

test('the table is complete from -1 to the highest code, with unique names', () => {
  const codes = ERROR_CODES.map((e) => e.code);
  const max = Math.max(...codes);
  assert.ok(max >= 133, `highest code ${max}`);
  assert.deepEqual(codes, Array.from({ length: max + 2 }, (_, i) => i - 1));
  assert.equal(new Set(ERROR_CODES.map((e) => e.name)).size, ERROR_CODES.length);
  for (const e of ERROR_CODES) assert.ok(e.message.length > 0, e.name);
});

test('named constants agree with the table', () => {
  for (const [name, code] of Object.entries(ErrorCode)) assert.equal(errorName(code), name);
  assert.equal(errorInfoByName('NOT_LEADER_OR_FOLLOWER')?.code, 6);
  assert.equal(errorInfo(74)?.name, 'FENCED_LEADER_EPOCH');
});

test('retriable follows Kafka: leadership and coordinator moves yes, group membership and auth no', () => {
  for (const c of [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    ErrorCode.NOT_COORDINATOR, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.REQUEST_TIMED_OUT]) {
    assert.equal(isRetriable(c), true, errorName(c));
  }
  for (const c of [ErrorCode.NONE, ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.REBALANCE_IN_PROGRESS,
    ErrorCode.SASL_AUTHENTICATION_FAILED, ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.UNKNOWN_SERVER_ERROR]) {
    assert.equal(isRetriable(c), false, errorName(c));
  }
  assert.equal(isRetriable(9999), false);
});

test('kafkaError builds a typed KafkaError with name, code, retriable and context', () => {
  const e = kafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'Fetch orders-3', 'leader moved');
  assert.ok(e instanceof KafkaError);
  assert.ok(isGregorError(e));
  assert.equal(e.code, 'ERR_KAFKA');
  assert.equal(e.errorCode, 6);
  assert.equal(e.errorName, 'NOT_LEADER_OR_FOLLOWER');
  assert.equal(e.retriable, true);
  assert.match(e.message, /^Fetch orders-3: NOT_LEADER_OR_FOLLOWER \(6\): .+ \(broker: leader moved\)$/);
  assert.deepEqual(Object.keys(e.toJSON()).sort(), ['code', 'errorCode', 'errorName', 'message', 'name', 'retriable']);
  const unknown = kafkaError(4242);
  assert.equal(unknown.errorName, 'UNKNOWN_ERROR_CODE_4242');
  assert.equal(unknown.retriable, false);
  assert.doesNotThrow(() => throwIfError(0));
  assert.throws(() => throwIfError(25, 'Heartbeat'), (err: unknown) => err instanceof KafkaError && err.errorName === 'UNKNOWN_MEMBER_ID');
});

test('kafkaError: the authorization codes give typed errors naming their resource, stable codes, never retriable', () => {
  const topic = kafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Fetch 'orders'[0]", null, { topic: 'orders', group: 'g' });
  assert.ok(topic instanceof TopicAuthorizationError && topic instanceof AuthorizationError && topic instanceof KafkaError);
  assert.equal(topic.code, 'ERR_TOPIC_AUTHORIZATION');
  assert.equal(topic.errorName, 'TOPIC_AUTHORIZATION_FAILED');
  assert.deepEqual(topic.topics, ['orders']);
  assert.equal(topic.resourceType, 'topic');
  assert.equal(topic.retriable, false);
  assert.deepEqual(JSON.parse(JSON.stringify(topic)), {
    name: 'TopicAuthorizationError', code: 'ERR_TOPIC_AUTHORIZATION', message: topic.message, retriable: false,
    errorCode: 29, errorName: 'TOPIC_AUTHORIZATION_FAILED', resourceType: 'topic', resources: ['orders'],
  });
  const many = kafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Metadata', null, { topic: ['a', 'b'] }) as TopicAuthorizationError;
  assert.deepEqual(many.topics, ['a', 'b']);

  const group = kafkaError(ErrorCode.GROUP_AUTHORIZATION_FAILED, 'JoinGroup', null, { topic: 'orders', group: 'g1' });
  assert.ok(group instanceof GroupAuthorizationError);
  assert.equal(group.code, 'ERR_GROUP_AUTHORIZATION');
  assert.equal(group.groupId, 'g1');
  // Even an option asking for a retry cannot make an ACL refusal retriable.
  const cluster = kafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'CreateTopics', null, { retriable: true });
  assert.ok(cluster instanceof ClusterAuthorizationError);
  assert.equal(cluster.code, 'ERR_CLUSTER_AUTHORIZATION');
  assert.equal(cluster.retriable, false);
  assert.deepEqual(cluster.resources, []);
  const txn = kafkaError(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'InitProducerId', null, { transactionalId: 'tx-1' });
  assert.ok(txn instanceof TransactionalIdAuthorizationError);
  assert.equal(txn.code, 'ERR_TRANSACTIONAL_ID_AUTHORIZATION');
  assert.equal(txn.transactionalId, 'tx-1');

  // Other codes ignore the resource options.
  const other = kafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'Fetch', null, { topic: 'orders' });
  assert.equal(other.constructor, KafkaError);
  assert.equal(other.code, 'ERR_KAFKA');
});
