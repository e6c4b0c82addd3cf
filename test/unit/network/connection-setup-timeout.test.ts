// KIP-601: socket.connection.setup.timeout.ms doubles per consecutive failed connection setup (TCP connect plus the
// TLS handshake), with Java's 20 % jitter, up to socket.connection.setup.timeout.max.ms. A real socket stands in for
// a broker that accepts TCP and never answers the TLS ClientHello (a hung listener, a half-dead load balancer): the
// client gives up on each attempt when its setup timeout fires. Each attempt is observed on the client's own
// gregor:connect channel (start, then the error naming the timeout it used), not by the listener: a loaded machine
// accepts late, and a duration seen from the accept was shorter than the client's timer (1 failure in 3 under load).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { tracingChannel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { Admin } from '../../../src/index.js';

const SETUP_MS = 200;
const SETUP_MAX_MS = 400;
const ATTEMPTS = 5;

test('the connection setup timeout doubles per consecutive failure up to socket.connection.setup.timeout.max.ms', { timeout: 60_000 }, async () => {
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on('error', () => {});
    socket.resume();
    socket.on('close', () => open.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  // Per attempt: the timeout its error names, and how long it lasted from the channel's start (published before the
  // socket and its timer exist, so a timer that never fires early makes lasted >= stated exact).
  const attempts: { stated: number; lasted: number }[] = [];
  const started = new WeakMap<object, number>();
  const channel = tracingChannel('gregor:connect');
  const handlers = {
    start: (payload: unknown) => { started.set(payload as object, performance.now()); },
    end: () => {},
    asyncStart: () => {},
    asyncEnd: () => {},
    error: (payload: unknown) => {
      const p = payload as { port?: number; error?: unknown };
      const at = started.get(payload as object);
      const stated = /within (\d+) ms \(socket\.connection\.setup\.timeout\.ms\)/.exec(String((p.error as Error | undefined)?.message))?.[1];
      if (p.port === port && at !== undefined && stated !== undefined) attempts.push({ stated: Number(stated), lasted: performance.now() - at });
    },
  };
  channel.subscribe(handlers);
  const admin = new Admin({
    'bootstrap.servers': `127.0.0.1:${port}`, 'security.protocol': 'SSL',
    'socket.connection.setup.timeout.ms': SETUP_MS, 'socket.connection.setup.timeout.max.ms': SETUP_MAX_MS,
    'reconnect.backoff.ms': 10, 'reconnect.backoff.max.ms': 10, 'default.api.timeout.ms': 60_000, 'gregor.log.level': 'error',
  });
  const call = admin.listTopics().catch((e: unknown) => e);
  try {
    while (attempts.length < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    channel.unsubscribe(handlers);
    await admin.close();
    await call;
    for (const s of open) s.destroy();
    server.close();
  }
  const all = attempts.map((a) => `${a.stated} (lasted ${a.lasted.toFixed(0)})`).join(', ');
  attempts.slice(0, ATTEMPTS).forEach((a, k) => {
    // Attempt k+1 uses min(max, setup x 2^k) with Java's 20 % jitter. Without KIP-601 every attempt would state
    // 160-240 ms and the third would fail this; without the cap the fifth would state 2,560-3,840 ms.
    const base = Math.min(SETUP_MAX_MS, SETUP_MS * 2 ** k);
    assert.ok(a.stated >= Math.floor(0.8 * base) && a.stated <= Math.ceil(1.2 * base), `attempt ${k + 1} used ${a.stated} ms, expected 0.8-1.2 x ${base} (all: ${all})`);
    // The timer is real: the attempt was given up no earlier than the timeout it names (1 ms of timer rounding).
    assert.ok(a.lasted >= a.stated - 1, `attempt ${k + 1} lasted ${a.lasted.toFixed(1)} ms, less than its ${a.stated} ms timeout (all: ${all})`);
  });
});
