// Request deadlines on one connection, enforced by one timer per connection (connection.ts, checkDeadlines()): a
// request whose timeout is shorter than those already pending must still time out on its own deadline, queued ones
// alone, one on the wire by closing the connection. The requests that hang are given 60 s: were the timer armed only
// for the earliest request's deadline and not re-armed for a shorter one, these tests would run into the test timeout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../../src/network/connection.js';
import { ConnectionError, TimeoutError } from '../../../src/errors.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { HANG, ScriptedCluster } from './helpers.js';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function connectionTo(c: ScriptedCluster, maxInFlight: number): Connection {
  return new Connection({
    host: '127.0.0.1', port: c.portOf(1), tls: undefined, clientId: 'gregor-test', connectionSetupTimeoutMs: 5000,
    requestTimeoutMs: 60_000, maxInFlight, maxResponseBytes: 1 << 20, noDelay: true, keepAlive: false, logger: silent,
  });
}

const metadata = { topics: [], allowAutoTopicCreation: false };

test('a queued request with a shorter timeout than the one on the wire times out alone; the connection stays open', { timeout: 20_000 }, async () => {
  const c = await ScriptedCluster.start([1]);
  c.handle(ApiKey.Metadata, () => HANG);
  const conn = connectionTo(c, 1);
  try {
    await conn.connect();
    const long = conn.request(ApiKey.Metadata, 12, metadata, { timeoutMs: 60_000 });
    long.catch(() => {});
    await c.waitFor(ApiKey.Metadata);
    // Behind the hanging request (one in flight at most): queued, never written.
    await assert.rejects(conn.request(ApiKey.Metadata, 12, metadata, { timeoutMs: 100 }), TimeoutError);
    assert.equal(conn.isOpen, true);
    assert.equal(conn.queuedCount, 0);
    assert.equal(conn.inFlightCount, 1);
    // Another one, after the timer re-armed for the long request's deadline.
    await assert.rejects(conn.request(ApiKey.Metadata, 12, metadata, { timeoutMs: 100 }), TimeoutError);
    assert.equal(conn.isOpen, true);
  } finally {
    conn.close();
    await c.close();
  }
});

test('a request on the wire with a shorter timeout than an earlier one closes the connection at its own deadline', { timeout: 20_000 }, async () => {
  const c = await ScriptedCluster.start([1]);
  c.handle(ApiKey.Metadata, () => HANG);
  const conn = connectionTo(c, 5);
  try {
    await conn.connect();
    const long = conn.request(ApiKey.Metadata, 12, metadata, { timeoutMs: 60_000 });
    const short = conn.request(ApiKey.Metadata, 12, metadata, { timeoutMs: 100 });
    await assert.rejects(short, TimeoutError);
    await assert.rejects(long, (err: unknown) => err instanceof ConnectionError && err.cause instanceof TimeoutError);
    assert.equal(conn.isClosed, true);
  } finally {
    conn.close();
    await c.close();
  }
});

test('requests answered in time are unaffected by the deadline timer, and close() stops it', { timeout: 20_000 }, async () => {
  const c = await ScriptedCluster.start([1]);
  const conn = connectionTo(c, 5);
  try {
    await conn.connect();
    for (let i = 0; i < 20; i++) {
      const res = await conn.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'gregor', clientSoftwareVersion: '0' }, { timeoutMs: 100 + i });
      assert.equal(res.errorCode, 0);
    }
    assert.equal(conn.isOpen, true);
  } finally {
    conn.close();
    await c.close();
  }
});
