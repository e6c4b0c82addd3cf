import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, KafkaError } from '../../../src/errors.js';
import { parseConsumeArgs, runConsume, POLL_TIMEOUT_MS, type ConsumeOptions } from '../../../src/cli/commands/consume.js';
import { UsageError } from '../../../src/cli/args.js';
import type { LogFunction } from '../../../src/config/index.js';
import { HANDS_ON_INI, configFile, harness, msg, tick } from './fakes.js';

function opts(file: string, extra: Partial<ConsumeOptions> = {}): ConsumeOptions {
  return { configFile: file, topics: ['poems'], groupId: undefined, fromBeginning: false, count: undefined, format: 'text', properties: [], verbose: false, metricsPort: undefined, statsIntervalMs: undefined,
    keyDeserializer: 'bytes', valueDeserializer: 'bytes', errorPolicy: undefined, deadLetterTopic: undefined, ...extra };
}

test('argument parsing: topics, group, from-beginning, count, format, properties, verbose', () => {
  const o = parseConsumeArgs(['config.ini', '--topic', 'poems', '-t', 'more', '--topic', 'poems', '--group', 'g', '--from-beginning',
    '--count', '5', '--format', 'json', '--property', 'fetch.min.bytes=10', '-p', 'client.id=a=b', '--verbose', '--metrics-port', '9464']);
  assert.deepEqual(o, {
    configFile: 'config.ini', topics: ['poems', 'more'], groupId: 'g', fromBeginning: true, count: 5, format: 'json',
    properties: [['fetch.min.bytes', '10'], ['client.id', 'a=b']], verbose: true, metricsPort: 9464, statsIntervalMs: undefined,
    keyDeserializer: 'bytes', valueDeserializer: 'bytes', errorPolicy: undefined, deadLetterTopic: undefined,
  });
  const de = parseConsumeArgs(['c.ini', '-t', 'x', '--key-deserializer', 'hex', '--value-deserializer', 'json', '--error-policy', 'dead-letter',
    '--dead-letter-topic', 'x.failed']);
  assert.ok(de !== 'help');
  assert.deepEqual([de.keyDeserializer, de.valueDeserializer, de.errorPolicy, de.deadLetterTopic], ['hex', 'json', 'dead-letter', 'x.failed']);
  assert.equal(parseConsumeArgs(['--help']), 'help');
  const d = parseConsumeArgs(['c.ini', '--topic=poems']);
  assert.ok(d !== 'help');
  assert.equal(d.format, 'text');
  assert.equal(d.count, undefined);
  assert.equal(d.metricsPort, undefined);
  assert.equal(d.statsIntervalMs, undefined);
});

test('argument errors are UsageErrors that say what is wrong', () => {
  const cases: Array<[string[], RegExp]> = [
    [['c.ini'], /at least one --topic/],
    [['c.ini', '-t', 'x', '--metrics-port', '65536'], /--metrics-port needs a port number/],
    [['c.ini', '-t', 'x', '--metrics-port', 'abc'], /--metrics-port needs a port number/],
    [['--topic', 'poems'], /missing <config-file>/],
    [['c.ini', 'd.ini', '--topic', 'poems'], /unexpected argument 'd\.ini'/],
    [['c.ini', '--topic'], /option --topic needs a value/],
    [['c.ini', '--topic', 'poems', '--count', '0'], /--count expects a positive integer, got '0'/],
    [['c.ini', '--topic', 'poems', '--count', 'ten'], /--count expects a positive integer/],
    [['c.ini', '--topic', 'poems', '--format', 'xml'], /--format must be text or json, got 'xml'/],
    [['c.ini', '--topic', 'poems', '--value-deserializer', 'avro'], /--value-deserializer must be bytes or string or json or hex or base64, got 'avro'/],
    [['c.ini', '--topic', 'poems', '--error-policy', 'retry'], /--error-policy must be stop or skip or dead-letter, got 'retry'/],
    [['c.ini', '--topic', 'poems', '--property', 'novalue'], /--property expects key=value, got 'novalue'/],
    [['c.ini', '--topic', 'poems', '--property', '=x'], /--property expects key=value/],
    [['c.ini', '--topic', 'bad topic'], /invalid topic name 'bad topic'/],
    [['c.ini', '--topic', '..'], /invalid topic name/],
    [['c.ini', '--topic', 'poems', '--group', ' '], /--group needs a non-empty id/],
    [['c.ini', '--topic', 'poems', '--from-beginning=yes'], /option --from-beginning takes no value/],
    [['c.ini', '--topic', 'poems', '--form', 'json'], /unknown option '--form' \(did you mean --format\?\)/],
  ];
  for (const [argv, pattern] of cases) {
    assert.throws(() => parseConsumeArgs(argv), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${argv.join(' ')}: ${String(err)}`);
      assert.match(err.message, pattern);
      return true;
    });
  }
});

test('the hands-on loop: subscribe, poll with 1 s, Waiting... on stderr for null, lines on stdout, close', async () => {
  const h = harness([null, msg('k1', 'a poem'), null, msg('k2', 'another')]);
  const run = runConsume(opts(configFile(HANDS_ON_INI), { count: 2 }), h.deps);
  assert.equal(await run, 0);
  const c = h.consumers[0];
  assert.deepEqual(c.subscribed, [['poems']]);
  assert.ok(c.timeouts.every((t) => t === POLL_TIMEOUT_MS));
  assert.equal(c.closed, 1);
  assert.equal(h.stdout.text,
    'Consumed event from topic poems: key = k1           value = a poem      \n'
    + 'Consumed event from topic poems: key = k2           value = another     \n');
  assert.equal(h.stderr.text, 'Waiting...\nWaiting...\n');
  assert.equal(c.config['group.id'], 'python_example_group_1');
  assert.equal(c.config['sasl.password']?.reveal(), 'alice-secret');
  assert.equal(h.signals.listenerCount('SIGINT'), 0, 'signal handlers are removed');
});

test('--count N stops after exactly N messages', async () => {
  const h = harness([msg('a', '1'), msg('b', '2'), msg('c', '3'), msg('d', '4')]);
  assert.equal(await runConsume(opts(configFile(HANDS_ON_INI), { count: 3 }), h.deps), 0);
  assert.equal(h.consumers[0].polls, 3);
  assert.equal(h.stdout.text.split('\n').filter(Boolean).length, 3);
});

test('--format json prints one object per line', async () => {
  const h = harness([msg('k', 'v', 41n)]);
  await runConsume(opts(configFile(HANDS_ON_INI), { count: 1, format: 'json' }), h.deps);
  assert.deepEqual(JSON.parse(h.stdout.text), {
    topic: 'poems', partition: 0, offset: '41', key: 'k', value: 'v', headers: [], timestamp: 1700000000000, timestampType: 'CreateTime',
  });
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} during a poll: the message that poll returns is printed, then close, exit 0`, async () => {
    let h = harness();
    h = harness([msg('a', '1'), () => { h.signals.emit(signal); return msg('b', '2'); }, msg('never', 'printed')]);
    assert.equal(await runConsume(opts(configFile(HANDS_ON_INI)), h.deps), 0);
    assert.equal(h.consumers[0].closed, 1);
    assert.equal(h.consumers[0].polls, 2);
    assert.match(h.stdout.text, /key = a .*\n.*key = b /);
    assert.doesNotMatch(h.stdout.text, /never/);
    assert.deepEqual(h.exits, []);
  });
}

test('a signal while polling returns null ends the loop without another Waiting...', async () => {
  let h = harness();
  h = harness([null, () => { h.signals.emit('SIGINT'); return null; }]);
  assert.equal(await runConsume(opts(configFile(HANDS_ON_INI)), h.deps), 0);
  assert.equal(h.stderr.text, 'Waiting...\n');
  assert.equal(h.consumers[0].closed, 1);
});

test('a second Ctrl-C while closing exits at once with 130', async () => {
  let h = harness();
  let releaseClose!: () => void;
  h = harness([() => { h.signals.emit('SIGINT'); return null; }], {
    createConsumer: (config) => ({
      subscribe() {},
      poll: async () => { h.signals.emit('SIGINT'); return null; },
      close: () => new Promise<void>((resolve) => { releaseClose = resolve; h.signals.emit('SIGINT'); }),
      config,
    }),
  });
  const run = runConsume(opts(configFile(HANDS_ON_INI)), h.deps);
  await tick();
  assert.deepEqual(h.exits, [130]);
  assert.match(h.stderr.text, /interrupted again; exiting without closing cleanly/);
  releaseClose();
  assert.equal(await run, 0);
});

test('an error from poll closes the consumer and propagates (main prints it)', async () => {
  const failure = new KafkaError(3, 'UNKNOWN_TOPIC_OR_PARTITION', 'topic poems does not exist');
  const h = harness([msg('a', '1'), failure]);
  await assert.rejects(runConsume(opts(configFile(HANDS_ON_INI)), h.deps), failure);
  assert.equal(h.consumers[0].closed, 1);
  assert.match(h.stdout.text, /key = a/);
});

test('a broken stdout (EPIPE, e.g. | head) stops the loop and closes cleanly', async () => {
  let h = harness();
  h = harness([msg('a', '1'), async () => {
    await tick();
    h.stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    return msg('b', '2');
  }, msg('c', '3')]);
  assert.equal(await runConsume(opts(configFile(HANDS_ON_INI)), h.deps), 0);
  assert.equal(h.consumers[0].closed, 1);
  assert.equal(h.consumers[0].polls, 2);
});

test('a slow stdout pauses polling until it drains', async () => {
  let h = harness();
  let pollsWhenFull = -1;
  h = harness([msg('a', '1'), async () => {
    await tick();
    pollsWhenFull = h.consumers[0].polls;
    return msg('b', '2');
  }, msg('c', '3')]);
  h.stdout.full = true;
  const run = runConsume(opts(configFile(HANDS_ON_INI), { count: 3 }), h.deps);
  for (let i = 0; i < 5; i++) await tick();
  const pollsBlocked = h.consumers[0].polls;
  assert.equal(pollsBlocked, 2, 'the third poll waits for drain');
  assert.equal(pollsWhenFull, 2);
  h.stdout.full = false;
  h.stdout.emit('drain');
  for (let i = 0; i < 5; i++) await tick();
  h.stdout.emit('drain');
  assert.equal(await run, 0);
  assert.equal(h.consumers[0].polls, 3);
});

test('--group, --from-beginning and --property override the file; errors name their origin', async () => {
  const h = harness([msg('a', '1')]);
  await runConsume(opts(configFile(HANDS_ON_INI), {
    count: 1, groupId: 'mine', fromBeginning: true, properties: [['sasl.mechanism', 'SCRAM-SHA-256'], ['auto.offset.reset', 'latest']],
  }), h.deps);
  const config = h.consumers[0].config;
  assert.equal(config['group.id'], 'mine');
  assert.equal(config['auto.offset.reset'], 'earliest', '--from-beginning wins over --property');
  assert.equal(config['sasl.mechanism'], 'SCRAM-SHA-256', '--property replaces the file\'s sasl.mechanisms');
  const bad = harness();
  await assert.rejects(runConsume(opts(configFile(HANDS_ON_INI), { properties: [['fetch.min.bytes', 'many']] }), bad.deps),
    (err: unknown) => err instanceof ConfigError && /^--property fetch\.min\.bytes: invalid value "many"/.test(err.message));
  const file = configFile(`${HANDS_ON_INI}session.timeout.ms=soon\n`);
  await assert.rejects(runConsume(opts(file), bad.deps),
    (err: unknown) => err instanceof ConfigError && err.message.startsWith(`${file}:11: invalid value "soon"`));
  assert.equal(bad.consumers.length, 0, 'no consumer is created for a bad configuration');
});

test('without any group id a throwaway group is made up, with auto-commit off unless set', async () => {
  const noGroup = '[default]\nbootstrap.servers=127.0.0.1:9092\n';
  const h = harness([msg('a', '1')]);
  await runConsume(opts(configFile(noGroup), { count: 1, verbose: true }), h.deps);
  const config = h.consumers[0].config;
  assert.match(config['group.id'] ?? '', /^gregor-consume-[0-9a-f]{8}$/);
  assert.equal(config['enable.auto.commit'], false);
  assert.match(h.stderr.text, /using the new group gregor-consume-[0-9a-f]{8} \(commits nothing\)/);
  const h2 = harness([msg('a', '1')]);
  await runConsume(opts(configFile(`${noGroup}enable.auto.commit=true\n`), { count: 1 }), h2.deps);
  assert.equal(h2.consumers[0].config['enable.auto.commit'], true);
});

test('config warnings go to stderr as gregor: warning: lines', async () => {
  const h = harness([msg('a', '1')]);
  await runConsume(opts(configFile(`${HANDS_ON_INI}acks=all\n`), { count: 1 }), h.deps);
  assert.match(h.stderr.text, /^gregor: warning: .*config\.ini:11: acks is a producer property; a consumer ignores it$/m);
});

test('with --verbose the consumer gets a logger that writes gregor: <level>: lines to stderr', async () => {
  const h = harness([msg('a', '1')]);
  await runConsume(opts(configFile(HANDS_ON_INI), { count: 1, verbose: true }), h.deps);
  const config = h.consumers[0].config;
  assert.equal(config['gregor.log.level'], 'debug');
  (config['gregor.logger'] as LogFunction)('info', 'joined group', { generation: 3 });
  assert.match(h.stderr.text, /^gregor: info: joined group \{"generation":3\}$/m);
});

test('without --verbose the consumer logs nothing: a failure is reported once, by main', async () => {
  const h = harness([msg('a', '1')]);
  await runConsume(opts(configFile(HANDS_ON_INI), { count: 1 }), h.deps);
  const config = h.consumers[0].config;
  assert.equal(typeof config['gregor.logger'], 'function');
  (config['gregor.logger'] as LogFunction)('error', 'broker unusable');
  assert.equal(h.stderr.text, '');
});

test('the first failed connection to each address is a warning on stderr, with or without --verbose; the retries go on', async () => {
  const h = harness([msg('a', '1')]);
  await runConsume(opts(configFile(HANDS_ON_INI), { count: 1 }), h.deps);
  const log = h.consumers[0].config['gregor.logger'] as LogFunction;
  const refused = (port: number) => ({ broker: `127.0.0.1:${port}`, error: `cannot connect to 127.0.0.1:${port}: connection refused [ECONNREFUSED]`, backoffMs: 50 });
  log('warn', 'connection failed', refused(1));
  log('warn', 'connection failed', refused(1));
  log('warn', 'connection failed', refused(2));
  log('warn', 'no known broker reachable; bootstrapping again', {});
  assert.equal(h.stderr.text, [
    'gregor: warning: cannot connect to 127.0.0.1:1: connection refused [ECONNREFUSED]; retrying (Ctrl-C to stop)',
    'gregor: warning: cannot connect to 127.0.0.1:2: connection refused [ECONNREFUSED]; retrying (Ctrl-C to stop)',
    '',
  ].join('\n'));
});
