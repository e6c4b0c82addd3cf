// gregor.logger takes the loggers Node applications already have; loggerFor() adapts each to gregor's one Logger
// interface (message, fields). pino, bunyan and winston are not dependencies: the objects below have their shapes
// (how each library's methods take their arguments, which other methods tell them apart), and console is the real one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { ConfigError } from '../../../src/errors.js';
import { resolveConfig, type LogLevel } from '../../../src/config/index.js';
import { loggerFor } from '../../../src/cluster/connect.js';

const BASE = { 'bootstrap.servers': '127.0.0.1:9092' };
const quiet = { onWarning: () => {} };
const LEVELS: LogLevel[] = ['error', 'warn', 'info', 'debug'];

type Call = { level: string; args: unknown[] };

/** pino: `logger.warn(mergingObject, message)`; has child() and bindings(), no log(); methods use `this`. */
class PinoShaped {
  readonly calls: Call[] = [];
  level = 'trace';
  child(): PinoShaped { return this; }
  bindings(): Record<string, unknown> { return {}; }
  flush(): void {}
  trace(...args: unknown[]): void { this.calls.push({ level: 'trace', args }); }
  debug(...args: unknown[]): void { this.calls.push({ level: 'debug', args }); }
  info(...args: unknown[]): void { this.calls.push({ level: 'info', args }); }
  warn(...args: unknown[]): void { this.calls.push({ level: 'warn', args }); }
  error(...args: unknown[]): void { this.calls.push({ level: 'error', args }); }
  fatal(...args: unknown[]): void { this.calls.push({ level: 'fatal', args }); }
}

/** bunyan: `log.warn(fields, message)`; child(), fields and streams, no log(). */
function bunyanShaped() {
  const calls: Call[] = [];
  const logger = {
    fields: { name: 'app' }, streams: [] as unknown[], calls,
    child: () => logger, addStream: () => {},
    trace: (...args: unknown[]) => { calls.push({ level: 'trace', args }); },
    debug: (...args: unknown[]) => { calls.push({ level: 'debug', args }); },
    info: (...args: unknown[]) => { calls.push({ level: 'info', args }); },
    warn: (...args: unknown[]) => { calls.push({ level: 'warn', args }); },
    error: (...args: unknown[]) => { calls.push({ level: 'error', args }); },
    fatal: (...args: unknown[]) => { calls.push({ level: 'fatal', args }); },
  };
  return logger;
}

/** winston: `logger.warn(message, meta)` and `logger.log(level, message, meta)`; child(), add(), transports. */
class WinstonShaped {
  readonly calls: Call[] = [];
  readonly transports: unknown[] = [];
  add(): this { return this; }
  child(): this { return this; }
  log(level: string, ...args: unknown[]): this { this.calls.push({ level, args }); return this; }
  error(...args: unknown[]): this { return this.log('error', ...args); }
  warn(...args: unknown[]): this { return this.log('warn', ...args); }
  info(...args: unknown[]): this { return this.log('info', ...args); }
  http(...args: unknown[]): this { return this.log('http', ...args); }
  verbose(...args: unknown[]): this { return this.log('verbose', ...args); }
  debug(...args: unknown[]): this { return this.log('debug', ...args); }
  silly(...args: unknown[]): this { return this.log('silly', ...args); }
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(chunk.toString()); done(); } });
  return { stream, text: () => chunks.join('') };
}

function configWith(logger: unknown, extra: Record<string, unknown> = {}) {
  return resolveConfig('consumer', { ...BASE, 'gregor.logger': logger, ...extra }, quiet);
}

test('a pino-shaped logger is called fields first, as pino expects: warn({ ...fields }, message)', () => {
  const pino = new PinoShaped();
  const log = loggerFor(configWith(pino, { 'gregor.log.level': 'debug' }));
  log.warn('connection failed', { broker: 'b:9092', backoffMs: 50 });
  log.info('partitions assigned');
  log.debug('committed', { offsets: 't[0]@5' });
  log.error('broker unusable; not retrying', { broker: 'b:9092' });
  assert.deepEqual(pino.calls, [
    { level: 'warn', args: [{ broker: 'b:9092', backoffMs: 50 }, 'connection failed'] },
    { level: 'info', args: [{}, 'partitions assigned'] },
    { level: 'debug', args: [{ offsets: 't[0]@5' }, 'committed'] },
    { level: 'error', args: [{ broker: 'b:9092' }, 'broker unusable; not retrying'] },
  ]);
});

test('a bunyan-shaped logger is called fields first too', () => {
  const bunyan = bunyanShaped();
  loggerFor(configWith(bunyan)).warn('topic cannot be read', { topic: 't', error: 'UNKNOWN_TOPIC_OR_PARTITION' });
  assert.deepEqual(bunyan.calls, [{ level: 'warn', args: [{ topic: 't', error: 'UNKNOWN_TOPIC_OR_PARTITION' }, 'topic cannot be read'] }]);
});

test('a winston-shaped logger is called message first, as winston expects: warn(message, meta)', () => {
  const winston = new WinstonShaped();
  const log = loggerFor(configWith(winston, { 'gregor.log.level': 'info' }));
  log.warn('connection failed', { broker: 'b:9092' });
  log.info('partitions revoked');
  log.debug('not at this level');
  assert.deepEqual(winston.calls, [
    { level: 'warn', args: ['connection failed', { broker: 'b:9092' }] },
    { level: 'info', args: ['partitions revoked'] },
  ]);
});

test('a console is called message first; the line reads as console prints it', () => {
  const out = sink();
  const err = sink();
  const console = new Console({ stdout: out.stream, stderr: err.stream });
  const log = loggerFor(configWith(console, { 'gregor.log.level': 'debug' }));
  log.warn('connection failed', { broker: 'b:9092' });
  log.error('broker unusable; not retrying');
  log.info('partitions assigned', { partitions: 't[0]' });
  assert.equal(err.text(), `connection failed ${inspect({ broker: 'b:9092' })}\nbroker unusable; not retrying\n`);
  assert.equal(out.text(), `partitions assigned ${inspect({ partitions: 't[0]' })}\n`);
  // The global console itself is accepted as it is.
  assert.equal(configWith(globalThis.console)['gregor.logger'], globalThis.console);
});

test('a plain object with the four methods is called message first (gregor\'s own convention)', () => {
  const lines: string[] = [];
  const mine = Object.fromEntries(LEVELS.map((l) => [l, (m: string, f?: Record<string, unknown>) => { lines.push(`${l} ${m} ${JSON.stringify(f)}`); }]));
  loggerFor(configWith(mine)).warn('auto-commit failed', { error: 'x' });
  assert.deepEqual(lines, ['warn auto-commit failed {"error":"x"}']);
});

test('the function form receives (level, message, fields)', () => {
  const lines: unknown[][] = [];
  const log = loggerFor(configWith((level: LogLevel, message: string, fields?: Record<string, unknown>) => { lines.push([level, message, fields]); }));
  log.warn('connection failed', { broker: 'b' });
  log.error('broker unusable');
  assert.deepEqual(lines, [['warn', 'connection failed', { broker: 'b' }], ['error', 'broker unusable', undefined]]);
});

test('gregor.log.level is the least severe level passed on (default warn)', () => {
  for (const [level, expected] of [['error', ['error']], ['warn', ['error', 'warn']], ['info', ['error', 'warn', 'info']], ['debug', LEVELS]] as const) {
    const seen: string[] = [];
    const log = loggerFor(configWith((l: LogLevel) => { seen.push(l); }, { 'gregor.log.level': level }));
    for (const l of LEVELS) log[l]('line');
    assert.deepEqual(seen, expected, `gregor.log.level=${level}`);
  }
  const seen: string[] = [];
  const log = loggerFor(configWith((l: LogLevel) => { seen.push(l); }));
  for (const l of LEVELS) log[l]('line');
  assert.deepEqual(seen, ['error', 'warn']);
});

test('without gregor.logger, lines at gregor.log.level go to stderr, the same line at most once per 30 s', (t) => {
  const written: string[] = [];
  t.mock.method(process.stderr, 'write', (chunk: string) => { written.push(chunk); return true; });
  const log = loggerFor(resolveConfig('producer', BASE, quiet));
  log.warn('connection failed', { broker: 'b:9092', offset: 5n });
  log.warn('connection failed', { broker: 'b:9092' });
  log.error('broker unusable; not retrying');
  log.info('not at the default level');
  log.debug('nor this');
  const verbose = loggerFor(resolveConfig('admin', { ...BASE, 'gregor.log.level': 'info' }, quiet));
  verbose.info('metadata refreshed');
  t.mock.restoreAll();
  assert.deepEqual(written, [
    'gregor warn: connection failed {"broker":"b:9092","offset":"5"}\n',
    'gregor error: broker unusable; not retrying\n',
    'gregor info: metadata refreshed\n',
  ]);
});

test('the configured credentials never reach a log line, whatever the logger', () => {
  const password = 'p4ssw0rd-canary';
  const security = {
    'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'PLAIN', 'sasl.username': 'alice', 'sasl.password': password,
    'gregor.log.level': 'debug',
  };
  const pino = new PinoShaped();
  const winston = new WinstonShaped();
  const lines: string[] = [];
  const fn = (level: LogLevel, message: string, fields?: Record<string, unknown>) => { lines.push(`${level} ${message} ${JSON.stringify(fields)}`); };
  for (const logger of [pino, winston, fn]) {
    const log = loggerFor(resolveConfig('consumer', { ...BASE, ...security, 'gregor.logger': logger }, quiet));
    // A broker echoing what it was sent is the way a credential could end up in a message.
    log.warn(`authentication failed: bad password ${password}`, { error: `server said ${password}`, attempt: 2 });
  }
  const everything = JSON.stringify([pino.calls, winston.calls, lines]);
  assert.ok(!everything.includes(password), everything);
  assert.ok(everything.includes('[redacted]'));
  assert.deepEqual(pino.calls[0].args, [{ error: 'server said [redacted]', attempt: 2 }, 'authentication failed: bad password [redacted]']);
});

test('gregor.logger must be a logger object or a function, given in code', () => {
  assert.throws(() => configWith({ warn() {} }), (err: unknown) => err instanceof ConfigError
    && err.property === 'gregor.logger' && /no error, info, debug method/.test(err.message));
  assert.throws(() => configWith('console'), (err: unknown) => err instanceof ConfigError && /a logger object with error, warn, info and debug methods/.test(err.message));
  assert.throws(() => configWith(42), ConfigError);
});

test('a resolved configuration prints its logger as [logger], never the object (it may be large or circular)', () => {
  const winston = new WinstonShaped() as WinstonShaped & { self?: unknown };
  winston.self = winston;
  const config = configWith(winston);
  assert.equal(JSON.parse(JSON.stringify(config))['gregor.logger'], '[logger]');
  assert.match(inspect(config), /'gregor\.logger': '\[logger\]'/);
  assert.equal(JSON.parse(JSON.stringify(configWith(() => {})))['gregor.logger'], '[function]');
});
