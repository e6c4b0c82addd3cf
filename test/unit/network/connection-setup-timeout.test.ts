// KIP-601: socket.connection.setup.timeout.ms doubles per consecutive failed connection setup (TCP connect plus the
// TLS handshake), with Java's 20 % jitter, up to socket.connection.setup.timeout.max.ms. A real socket stands in for
// a broker that accepts TCP and never answers the TLS ClientHello (a hung listener, a half-dead load balancer): the
// client gives up on each attempt when its setup timeout fires, and the listener sees how long each attempt lasted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { Admin } from '../../../src/index.js';

const SETUP_MS = 200;
const SETUP_MAX_MS = 400;
const ATTEMPTS = 5;

test('the connection setup timeout doubles per consecutive failure up to socket.connection.setup.timeout.max.ms', { timeout: 60_000 }, async () => {
  const lasted: number[] = [];
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    const at = Date.now();
    open.add(socket);
    socket.on('error', () => {});
    socket.resume(); // reading is what lets the server see the client's FIN (and close the socket)
    socket.on('close', () => {
      open.delete(socket);
      lasted.push(Date.now() - at);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const admin = new Admin({
    'bootstrap.servers': `127.0.0.1:${port}`, 'security.protocol': 'SSL',
    'socket.connection.setup.timeout.ms': SETUP_MS, 'socket.connection.setup.timeout.max.ms': SETUP_MAX_MS,
    'reconnect.backoff.ms': 10, 'reconnect.backoff.max.ms': 10, 'default.api.timeout.ms': 60_000, 'gregor.log.level': 'error',
  });
  const call = admin.listTopics().catch((e: unknown) => e);
  try {
    while (lasted.length < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await admin.close();
    await call;
    for (const s of open) s.destroy();
    server.close();
  }
  // Timers never fire early, so lower bounds are exact: attempt k waits at least 0.8 x min(max, setup x 2^(k-1)).
  // Without KIP-601 every attempt would give up after 200 ms (160 with jitter) and the third would fail this.
  const expected = lasted.slice(0, ATTEMPTS).map((_, k) => Math.min(SETUP_MAX_MS, SETUP_MS * 2 ** k));
  lasted.slice(0, ATTEMPTS).forEach((ms, k) => {
    assert.ok(ms >= Math.floor(0.8 * expected[k]) - 5, `attempt ${k + 1} lasted ${ms} ms, expected >= 0.8 x ${expected[k]} (all: ${lasted.join(', ')})`);
  });
  // The cap: doubling on would make the fifth attempt 3,200 ms (2,560 with jitter).
  assert.ok(lasted[ATTEMPTS - 1] < 2_000, `attempt ${ATTEMPTS} lasted ${lasted[ATTEMPTS - 1]} ms: not capped at ${SETUP_MAX_MS} (all: ${lasted.join(', ')})`);
});
