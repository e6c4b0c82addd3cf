// R15 security (../shared/notes/reliability.md), through the Consumer against the real SASL_SSL listener:
//   - the right credentials read every record (ledger clean); the real password never shows up in a log line
//   - an untrusted CA and a host name the certificate does not name are refused with a TlsError
//   - a wrong password is an AuthenticationError, and not a retry storm: the connections the consumer opens (counted
//     by a transparent TCP proxy in front of the listener) stay at the first attempt while the application keeps
//     polling
//   - a canary password appears in no log line at the most verbose level (debug, every field serialised), in no
//     serialised error (JSON, util.inspect with causes, stack, String) and not in the printed configuration.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { AuthenticationError, Consumer, TlsError, type ConnectAddressResolver } from '../../../src/index.js';
import { ensureKafka, hostPort, uniqueName, type KafkaEnv } from '../../integration/helpers/kafka.js';
import { FaultProxy } from '../fault-proxy.js';
import { Ledger } from '../../support/ledger.js';
import { LedgerMember } from '../member.js';
import { finish } from '../report.js';
import { createLedgerTopic, writeLedger } from '../writer.js';

const proxies: FaultProxy[] = [];
after(async () => {
  for (const p of proxies) await p.close();
});

/** Every log line at debug level, with its fields serialised as an application's logger would. */
function captureLogs(): { lines: string[]; logger: (level: string, message: string, fields?: Record<string, unknown>) => void } {
  const lines: string[] = [];
  return {
    lines,
    logger: (level, message, fields) => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {}, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))} ${inspect(fields, { depth: 6 })}`);
    },
  };
}

/** Every way an application might print an error. */
function serialisations(err: unknown): string {
  return [JSON.stringify(err), inspect(err, { depth: 10, showHidden: true }), String(err), (err as Error)?.stack ?? ''].join('\n');
}

function saslConfig(env: KafkaEnv, password: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'bootstrap.servers': env.saslSslBootstrap,
    'security.protocol': 'SASL_SSL',
    'ssl.ca.location': env.caFile,
    'sasl.mechanism': 'PLAIN',
    'sasl.username': env.users.PLAIN.username,
    'sasl.password': password,
    'group.id': uniqueName('r15-group'),
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'reconnect.backoff.ms': 50,
    'reconnect.backoff.max.ms': 200,
    'gregor.log.level': 'debug',
    ...extra,
  };
}

/** A transparent proxy in front of the SASL_SSL listener, counting connections; TLS still sees the real host. */
async function countingProxy(env: KafkaEnv): Promise<{ proxy: FaultProxy; via: ConnectAddressResolver }> {
  const proxy = await FaultProxy.start(hostPort(env.saslSslBootstrap), { frames: false });
  proxies.push(proxy);
  return { proxy, via: () => ({ host: '127.0.0.1', port: proxy.port }) };
}

/**
 * Subscribes, polls until the first error (or `ms`), then polls on for `moreMs`: returns the error, the further
 * errors, and the connections the proxy saw.
 */
async function firstError(consumer: Consumer, topic: string, proxy: FaultProxy, moreMs: number): Promise<{ err: unknown; later: number; connections: number; afterErrorConnections: number }> {
  consumer.subscribe([topic]);
  let err: unknown = null;
  const deadline = Date.now() + 60_000;
  while (err === null && Date.now() < deadline) {
    err = await consumer.poll(500).then(() => null, (e: unknown) => e);
  }
  const atError = proxy.accepted;
  let later = 0;
  const until = Date.now() + moreMs;
  while (Date.now() < until) {
    if (await consumer.poll(250).then(() => false, () => true)) later++;
  }
  return { err, later, connections: proxy.accepted, afterErrorConnections: proxy.accepted - atError };
}

test('R15 SASL_SSL with the right credentials: every record, no secret in the debug log', { timeout: 120_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const topic = uniqueName('r15');
  await createLedgerTopic(env.bootstrap, topic, 2);
  const ledger = new Ledger();
  await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: 2, perPartition: 1000, valueBytes: 100 });
  const logs = captureLogs();
  const password = env.users.PLAIN.password;
  const consumer = new Consumer(saslConfig(env, password, { 'gregor.logger': logs.logger }));
  const member = new LedgerMember(consumer, ledger.member('m1'));
  try {
    consumer.subscribe([topic], member.listener());
    await member.run({ done: () => ledger.distinctDelivered() >= 2000, timeoutMs: 60_000, commitEvery: 500 });
    const leaked = logs.lines.filter((l) => l.includes(password));
    finish('R15 SASL_SSL consumption (right credentials)', {
      check: ledger.check({ allowDuplicatesInWindow: false }),
      startedAt: started,
      notes: `${logs.lines.length} debug log lines checked for the password`,
      failures: [
        leaked.length > 0 && `the password is in ${leaked.length} log line(s): ${leaked[0].replace(password, '<password>')}`,
        inspect(consumer.config).includes(password) && 'the password is in the printed configuration',
      ],
    });
  } finally {
    await consumer.close();
  }
});

test('R15 untrusted CA: TlsError, not retried', { timeout: 120_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const dir = mkdtempSync(join(tmpdir(), 'r15-ca-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'),
    '-subj', '/CN=gregor-untrusted-test-ca', '-days', '1'], { stdio: 'ignore' });
  const { proxy, via } = await countingProxy(env);
  const consumer = new Consumer(saslConfig(env, env.users.PLAIN.password, { 'ssl.ca.location': join(dir, 'ca.pem'), 'gregor.log.level': 'error' }), { connectAddress: via });
  try {
    const r = await firstError(consumer, uniqueName('r15-ca'), proxy, 3000);
    finish('R15 untrusted CA refused', {
      startedAt: started,
      notes: `${(r.err as Error)?.name}: ${(r.err as Error)?.message?.slice(0, 120)}; ${r.connections} connection(s), ${r.afterErrorConnections} after the error`,
      failures: [
        !(r.err instanceof TlsError) && `expected a TlsError, got ${String(r.err)}`,
        r.afterErrorConnections > 0 && `${r.afterErrorConnections} more connection(s) after the TLS refusal`,
      ],
    });
  } finally {
    await consumer.close();
  }
});

test('R15 wrong host name: TlsError naming the host', { timeout: 120_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const { proxy, via } = await countingProxy(env);
  // The broker is reached (through the proxy) under a name its certificate does not carry.
  const consumer = new Consumer(saslConfig(env, env.users.PLAIN.password, {
    'bootstrap.servers': `wrong-host.invalid:${hostPort(env.saslSslBootstrap).port}`, 'gregor.log.level': 'error',
  }), { connectAddress: via });
  try {
    const r = await firstError(consumer, uniqueName('r15-host'), proxy, 3000);
    const message = (r.err as Error)?.message ?? '';
    finish('R15 wrong host refused', {
      startedAt: started,
      notes: `${(r.err as Error)?.name}: ${message.slice(0, 140)}; ${r.connections} connection(s)`,
      failures: [
        !(r.err instanceof TlsError) && `expected a TlsError, got ${String(r.err)}`,
        !/host name|ALTNAME/i.test(message) && `the error does not say the host name is wrong: ${message}`,
        r.afterErrorConnections > 0 && `${r.afterErrorConnections} more connection(s) after the TLS refusal`,
      ],
    });
  } finally {
    await consumer.close();
  }
});

test('R15 wrong password: AuthenticationError, no retry storm, canary never printed', { timeout: 120_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const canary = `canary-${randomBytes(8).toString('hex')}`;
  const logs = captureLogs();
  const { proxy, via } = await countingProxy(env);
  const consumer = new Consumer(saslConfig(env, canary, { 'gregor.logger': logs.logger }), { connectAddress: via });
  try {
    const r = await firstError(consumer, uniqueName('r15-auth'), proxy, 5000);
    const places: string[] = [];
    if (logs.lines.some((l) => l.includes(canary))) places.push('a log line');
    if (serialisations(r.err).includes(canary)) places.push('the serialised error');
    if (inspect(consumer.config, { depth: 6 }).includes(canary) || JSON.stringify(consumer.config).includes(canary)) places.push('the printed configuration');
    if (inspect(consumer, { depth: 4 }).includes(canary)) places.push('the printed consumer');
    finish('R15 wrong password', {
      startedAt: started,
      notes: `${(r.err as Error)?.name} (${(r.err as { code?: string })?.code}); ${r.connections} connection(s) in all, ${r.afterErrorConnections} in 5 s of polling after the error; ` +
        `${logs.lines.length} debug lines checked for the canary; later polls rejected ${r.later} time(s)`,
      failures: [
        !(r.err instanceof AuthenticationError) && `expected an AuthenticationError, got ${String(r.err)}`,
        r.err instanceof AuthenticationError && r.err.retriable && 'the AuthenticationError is marked retriable',
        r.connections > 2 && `${r.connections} connections for one wrong password (a retry storm)`,
        places.length > 0 && `the canary password appears in ${places.join(', ')}`,
      ],
    });
  } finally {
    await consumer.close();
  }
});
