// The error classification (protocol/error-kinds.ts): every code it names exists in the table, each set agrees with
// the table's retriable flag where it must, and the decisions taken from the Java client hold.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, errorInfo, errorName, isRetriable } from '../../../src/protocol/error-codes.js';
import {
  AUTHORIZATION_FAILED_CODES, COORDINATOR_MOVED_CODES, FATAL_FOR_COMMIT_CODES, FATAL_FOR_JOIN_CODES, FATAL_FOR_TRANSACTION_CODES,
  FETCH_SESSION_RESET_CODES, LEADER_MOVED_CODES, controllerMoved, coordinatorMoved, fatalForCommit, fatalForJoin,
  authorizationFailed, fatalForTransaction, fetchSessionReset, leaderMoved, producerFenced, staleMetadata,
} from '../../../src/protocol/error-kinds.js';
import * as protocol from '../../../src/protocol/index.js';

const SETS = {
  LEADER_MOVED_CODES, COORDINATOR_MOVED_CODES, FETCH_SESSION_RESET_CODES, FATAL_FOR_JOIN_CODES, FATAL_FOR_COMMIT_CODES,
  FATAL_FOR_TRANSACTION_CODES, AUTHORIZATION_FAILED_CODES,
};

const names = (set: ReadonlySet<number>): string[] => [...set].map(errorName).sort();

test('every code the classification names exists in the table', () => {
  for (const [setName, set] of Object.entries(SETS)) {
    assert.ok(set.size > 0, setName);
    for (const code of set) assert.ok(errorInfo(code) !== undefined, `${setName}: code ${code} is not in the table`);
  }
});

test('leaderMoved(): the one "refresh metadata and retry" set, decided code by code from the Java client', () => {
  assert.deepEqual(names(LEADER_MOVED_CODES), [
    'FENCED_LEADER_EPOCH', 'INCONSISTENT_TOPIC_ID', 'KAFKA_STORAGE_ERROR', 'LEADER_NOT_AVAILABLE', 'LISTENER_NOT_FOUND',
    'NOT_LEADER_OR_FOLLOWER', 'OFFSET_NOT_AVAILABLE', 'REPLICA_NOT_AVAILABLE', 'UNKNOWN_LEADER_EPOCH',
    'UNKNOWN_TOPIC_ID', 'UNKNOWN_TOPIC_OR_PARTITION',
  ]);
  // Everything the client refreshes and retries for must be retriable, or a caller that checks the flag first
  // would give up on a leader move.
  for (const code of LEADER_MOVED_CODES) {
    assert.equal(isRetriable(code), true, errorName(code));
    assert.equal(leaderMoved(code), true, errorName(code));
  }
  // Not a partition's location: the data itself, a group, a lost connection, an ElectLeaders result.
  for (const code of [ErrorCode.NONE, ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.NOT_COORDINATOR, ErrorCode.NETWORK_EXCEPTION,
    ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_CONTROLLER, ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.TOPIC_AUTHORIZATION_FAILED]) {
    assert.equal(leaderMoved(code), false, errorName(code));
  }
});

test('staleMetadata(): the leader or the controller moved (what Metadata.handleError() refreshes for)', () => {
  assert.equal(controllerMoved(ErrorCode.NOT_CONTROLLER), true);
  assert.equal(controllerMoved(ErrorCode.NOT_COORDINATOR), false);
  assert.equal(staleMetadata(ErrorCode.NOT_CONTROLLER), true);
  for (const code of LEADER_MOVED_CODES) assert.equal(staleMetadata(code), true, errorName(code));
  assert.equal(staleMetadata(ErrorCode.COORDINATOR_NOT_AVAILABLE), false);
  assert.equal(staleMetadata(ErrorCode.OFFSET_OUT_OF_RANGE), false);
});

test('coordinatorMoved(): look the coordinator up again; a coordinator still loading is not one of them', () => {
  assert.deepEqual(names(COORDINATOR_MOVED_CODES), ['COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR']);
  for (const code of COORDINATOR_MOVED_CODES) assert.equal(isRetriable(code), true, errorName(code));
  assert.equal(coordinatorMoved(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS), false);
  assert.equal(coordinatorMoved(ErrorCode.NOT_LEADER_OR_FOLLOWER), false);
});

test('fetchSessionReset(): the KIP-227 session errors, all retriable', () => {
  assert.deepEqual(names(FETCH_SESSION_RESET_CODES), ['FETCH_SESSION_ID_NOT_FOUND', 'FETCH_SESSION_TOPIC_ID_ERROR', 'INVALID_FETCH_SESSION_EPOCH']);
  for (const code of FETCH_SESSION_RESET_CODES) {
    assert.equal(isRetriable(code), true, errorName(code));
    assert.equal(fetchSessionReset(code), true);
  }
  assert.equal(fetchSessionReset(ErrorCode.NOT_LEADER_OR_FOLLOWER), false);
});

test('fatalForJoin(): config, authorization and fencing answers stop the membership, none retriable in the table', () => {
  for (const code of [ErrorCode.FENCED_INSTANCE_ID, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    ErrorCode.INVALID_SESSION_TIMEOUT, ErrorCode.GROUP_MAX_SIZE_REACHED, ErrorCode.UNRELEASED_INSTANCE_ID,
    ErrorCode.UNSUPPORTED_ASSIGNOR, ErrorCode.INVALID_REGULAR_EXPRESSION]) {
    assert.equal(fatalForJoin(code), true, errorName(code));
  }
  // The answers a member gets past by joining again are not fatal.
  for (const code of [ErrorCode.MEMBER_ID_REQUIRED, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.REBALANCE_IN_PROGRESS,
    ErrorCode.ILLEGAL_GENERATION, ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR]) {
    assert.equal(fatalForJoin(code), false, errorName(code));
  }
  for (const code of FATAL_FOR_JOIN_CODES) assert.equal(isRetriable(code), false, errorName(code));
});

test('fatalForCommit(): the commit fails with the exact error, retrying cannot help; retriable answers are not in it', () => {
  for (const code of [ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION,
    ErrorCode.FENCED_INSTANCE_ID, ErrorCode.INVALID_COMMIT_OFFSET_SIZE, ErrorCode.OFFSET_METADATA_TOO_LARGE,
    ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.STALE_MEMBER_EPOCH, ErrorCode.FENCED_MEMBER_EPOCH]) {
    assert.equal(fatalForCommit(code), true, errorName(code));
  }
  for (const code of [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.REQUEST_TIMED_OUT, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]) {
    assert.equal(fatalForCommit(code), false, errorName(code));
  }
  for (const code of FATAL_FOR_COMMIT_CODES) assert.equal(isRetriable(code), false, errorName(code));
});

test('producerFenced() and fatalForTransaction(): both fencing codes, and fencing is fatal', () => {
  assert.equal(producerFenced(ErrorCode.PRODUCER_FENCED), true);
  assert.equal(producerFenced(ErrorCode.INVALID_PRODUCER_EPOCH), true);
  assert.equal(producerFenced(ErrorCode.TRANSACTION_COORDINATOR_FENCED), false);
  for (const code of [ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED,
    ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]) {
    assert.equal(fatalForTransaction(code), true, errorName(code));
  }
  assert.equal(fatalForTransaction(ErrorCode.CONCURRENT_TRANSACTIONS), false);
  for (const code of FATAL_FOR_TRANSACTION_CODES) assert.equal(isRetriable(code), false, errorName(code));
});

test('unknown codes are in no set', () => {
  for (const f of [leaderMoved, staleMetadata, coordinatorMoved, fetchSessionReset, fatalForJoin, fatalForCommit, fatalForTransaction, producerFenced]) {
    assert.equal(f(9999), false, f.name);
  }
});

test('the protocol barrel exports the classification', () => {
  assert.equal(protocol.leaderMoved, leaderMoved);
  assert.equal(protocol.coordinatorMoved, coordinatorMoved);
  assert.equal(protocol.fatalForCommit, fatalForCommit);
});

test('authorizationFailed(): the four ACL refusals, none retriable', () => {
  assert.deepEqual(names(AUTHORIZATION_FAILED_CODES), [
    'CLUSTER_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'TOPIC_AUTHORIZATION_FAILED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  ]);
  for (const code of AUTHORIZATION_FAILED_CODES) {
    assert.equal(isRetriable(code), false, errorName(code));
    assert.equal(authorizationFailed(code), true);
  }
  assert.equal(authorizationFailed(ErrorCode.SASL_AUTHENTICATION_FAILED), false);
});
