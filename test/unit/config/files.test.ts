import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors.js';
import { loadConfigFile, parseIni, parseProperties, resolveConfig, Secret } from '../../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'gregor-config-'));
let n = 0;
function file(name: string, text: string | Buffer): string {
  const sub = join(dir, String(++n));
  mkdirSync(sub);
  const p = join(sub, name);
  writeFileSync(p, text);
  return p;
}

function throwsConfig(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, pattern);
    return true;
  });
}

// The shape of the hands-on config.ini (values changed).
const HANDS_ON = `[default]
bootstrap.servers=127.0.0.1:9094
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=alice
sasl.password=alice-secret

[consumer]
group.id=python_example_group_1

# 'auto.offset.reset=earliest' to start reading from the beginning of
# the topic if no committed offsets exist.
auto.offset.reset=earliest
`;

test('hands-on config.ini: [default] merged with [consumer], ready for resolveConfig', () => {
  const f = loadConfigFile(file('config.ini', HANDS_ON));
  assert.equal(f.format, 'ini');
  assert.deepEqual(f.sections, ['default', 'consumer']);
  assert.equal(f.values['bootstrap.servers'], '127.0.0.1:9094');
  assert.equal(f.values['group.id'], 'python_example_group_1');
  assert.ok(f.values['sasl.password'] instanceof Secret);
  assert.match(f.origins['auto.offset.reset'], /config\.ini:13$/);
  const c = resolveConfig('consumer', f.values, { origins: f.origins });
  assert.equal(c['sasl.mechanism'], 'PLAIN');
  assert.equal(c['sasl.password']?.reveal(), 'alice-secret');
  assert.equal(c['auto.offset.reset'], 'earliest');
});

test('INI: later sections override [default]; other sections are not read; names are case-insensitive', () => {
  const text = '[DEFAULT]\nclient.id = a\nfetch.min.bytes: 1\n[Consumer]\nclient.id = b\n[producer]\nacks=all\n';
  const f = loadConfigFile(file('c.ini', text));
  assert.equal(f.values['client.id'], 'b');
  assert.equal(f.values['fetch.min.bytes'], '1');
  assert.equal(f.values.acks, undefined);
  const p = loadConfigFile(file('c.ini', text), { kind: 'producer' });
  assert.equal(p.values['client.id'], 'a');
  assert.equal(p.values.acks, 'all');
  const only = loadConfigFile(file('c.ini', text), { sections: ['producer'] });
  assert.deepEqual(Object.keys(only.values), ['acks']);
});

test('INI parsing: separators, comments, keys lower-cased, literal values, continuation lines', () => {
  const sections = parseIni([
    '; a comment', '[s]', 'A.Key = v1', 'b:v2', 'c=  x = y # not a comment', '  # indented comment', 'pem = -----BEGIN-----',
    '    line2', '    -----END-----', '', 'd=%(c)s 100%', 'e=', '', '\tf = tab',
  ].join('\r\n'), 'f.ini');
  assert.deepEqual(sections[0].entries.map((e) => [e.key, e.value, e.line]), [
    ['a.key', 'v1', 3], ['b', 'v2', 4], ['c', 'x = y # not a comment', 5], ['pem', '-----BEGIN-----\nline2\n-----END-----', 7],
    ['d', '%(c)s 100%', 11], ['e', '', 12], ['f', 'tab', 14],
  ]);
});

test('INI errors name the file and line', () => {
  throwsConfig(() => parseIni('x=1\n[s]\n', 'f.ini'), /^f\.ini:1: property outside any section/);
  throwsConfig(() => parseIni('[s]\nnovalue\n', 'f.ini'), /^f\.ini:2: expected key = value/);
  throwsConfig(() => parseIni('[s]\n= v\n', 'f.ini'), /^f\.ini:2: a property name is missing/);
  throwsConfig(() => parseIni('[s\n', 'f.ini'), /^f\.ini:1: a section header must end with '\]'/);
  throwsConfig(() => parseIni('[ ]\n', 'f.ini'), /^f\.ini:1: empty section name/);
  throwsConfig(() => parseIni('[s]\n[S]\n', 'f.ini'), /^f\.ini:2: section \[S\] already started at line 1/);
  throwsConfig(() => parseIni('[s]\na=1\nA = 2\n', 'f.ini'), /^f\.ini:3: a is already set in \[s\] at line 2/);
});

test('INI without the wanted sections is an error listing what it has', () => {
  throwsConfig(() => loadConfigFile(file('x.ini', '[producer]\nacks=1\n')), /has no \[default\] or \[consumer\] section \(found: \[producer\]\)/);
  throwsConfig(() => loadConfigFile(file('x.ini', '# nothing\n')), /found: none/);
});

test('.properties parsing follows java.util.Properties', () => {
  const entries = parseProperties([
    '# comment', '! also a comment', '   ', 'a=1', 'b:2', 'c 3', 'd   =   4  ', 'e', 'f=x\\', '   continued\\', '  done',
    'g\\=h\\:i\\ j = k', 'u=\\u0041\\t\\n\\\\', 'w = \\#not a comment', 'trailing=ends with two \\\\', 'next=1',
    '  # indented comment', 'empty=',
  ].join('\n'), 'f.properties');
  assert.deepEqual(entries.map((e) => [e.key, e.value, e.line]), [
    ['a', '1', 4], ['b', '2', 5], ['c', '3', 6], ['d', '4  ', 7], ['e', '', 8], ['f', 'xcontinueddone', 9],
    ['g=h:i j', 'k', 12], ['u', 'A\t\n\\', 13], ['w', '#not a comment', 14], ['trailing', 'ends with two \\', 15],
    ['next', '1', 16], ['empty', '', 18],
  ]);
});

test('.properties: a comment line does not continue; CRLF and CR line ends; a trailing backslash at EOF', () => {
  const entries = parseProperties('# comment \\\na=1\r\nb=2\rc=3\\', 'f.properties');
  assert.deepEqual(entries.map((e) => [e.key, e.value]), [['a', '1'], ['b', '2'], ['c', '3']]);
});

test('.properties errors name the file and line', () => {
  throwsConfig(() => parseProperties('a=1\nb=\\u12G4\n', 'f.properties'), /^f\.properties:2: malformed \\uxxxx escape/);
  throwsConfig(() => parseProperties('a=1\na=2\n', 'f.properties'), /^f\.properties:2: a is already set at line 1/);
  throwsConfig(() => parseProperties('=1\n', 'f.properties'), /^f\.properties:1: a property name is missing/);
});

test('Java client.properties with sasl.jaas.config and a PEM trust store resolves', () => {
  const f = loadConfigFile(file('client.properties', [
    'bootstrap.servers=127.0.0.1:9094', 'security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-512',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\',
    '    username="carol" password="carol-secret";', 'ssl.truststore.type=PEM', 'ssl.truststore.location=/tmp/ca.pem',
    'client.dns.lookup=use_all_dns_ips', 'acks=all', 'group.id=g',
  ].join('\n')));
  assert.equal(f.format, 'properties');
  const warnings: string[] = [];
  const c = resolveConfig('consumer', f.values, { origins: f.origins, onWarning: (w) => warnings.push(w.message) });
  assert.equal(c['sasl.username'], 'carol');
  assert.equal(c['sasl.password']?.reveal(), 'carol-secret');
  assert.equal(c['ssl.ca.location'], '/tmp/ca.pem');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /client\.properties:9: acks is a producer property/);
});

test('format: by extension, else by content', () => {
  assert.equal(loadConfigFile(file('a.cfg', '[default]\nbootstrap.servers=a:1\n')).format, 'ini');
  assert.equal(loadConfigFile(file('a.conf', 'bootstrap.servers=a:1\n')).format, 'properties');
  assert.equal(loadConfigFile(file('noext', '# c\n\n[default]\nbootstrap.servers=a:1\n')).format, 'ini');
  assert.equal(loadConfigFile(file('noext', '! c\nbootstrap.servers a:1\n')).format, 'properties');
  assert.equal(loadConfigFile(file('x.txt', 'a=b'), { format: 'properties' }).values.a, 'b');
});

test('a bad property in a file names the file and line', () => {
  const f = loadConfigFile(file('config.ini', '[default]\nbootstrap.servers=a:1\n\n[consumer]\nbootstrap.server=b:2\n'));
  throwsConfig(() => resolveConfig('consumer', f.values, { origins: f.origins }),
    /config\.ini:5: unknown property bootstrap\.server \(did you mean bootstrap\.servers\?\)$/);
  const g = loadConfigFile(file('config.ini', '[default]\nbootstrap.servers=a:1\nfetch.min.bytes=lots\n'));
  throwsConfig(() => resolveConfig('consumer', g.values, { origins: g.origins }), /config\.ini:3: invalid value "lots" for fetch\.min\.bytes/);
});

test('missing, unreadable, directory and non-UTF-8 files: ConfigError naming the path and the OS reason', () => {
  const missing = join(dir, 'nope.ini');
  throwsConfig(() => loadConfigFile(missing), new RegExp(`cannot read config file ${missing.replaceAll('.', '\\.')}: no such file or directory \\(ENOENT\\)$`));
  throwsConfig(() => loadConfigFile(dir), /cannot read config file .*: illegal operation on a directory \(EISDIR\)/);
  if (process.getuid?.() !== 0) {
    const locked = file('locked.ini', '[default]\n');
    chmodSync(locked, 0o000);
    throwsConfig(() => loadConfigFile(locked), /permission denied \(EACCES\)/);
  }
  throwsConfig(() => loadConfigFile(file('bin.ini', Buffer.from([0x5b, 0xff, 0xfe, 0x5d]))), /is not UTF-8 text/);
  // java.util.Properties reads ISO-8859-1: so do we, for .properties files.
  const latin = loadConfigFile(file('l.properties', Buffer.from('client.id=caf\xe9\n', 'latin1')));
  assert.equal(latin.values['client.id'], 'café');
  // A UTF-8 byte order mark is not part of the first key.
  assert.equal(loadConfigFile(file('bom.properties', '\ufeffa=1')).values.a, '1');
});

test('the repository\'s own Java client property files (used with Kafka\'s tools) resolve for gregor', () => {
  const root = new URL('../../../../config/', import.meta.url);
  const expected: Record<string, [string, string | undefined, string | undefined]> = {
    'plaintext.properties': ['PLAINTEXT', undefined, undefined],
    'sasl-plain.properties': ['SASL_SSL', 'PLAIN', 'plain-user'],
    'sasl-scram-sha-256.properties': ['SASL_SSL', 'SCRAM-SHA-256', 'scram256-user'],
    'sasl-scram-sha-512.properties': ['SASL_SSL', 'SCRAM-SHA-512', 'scram512-user'],
  };
  for (const [name, [protocol, mechanism, user]] of Object.entries(expected)) {
    const f = loadConfigFile(new URL(name, root).pathname);
    const warnings: string[] = [];
    const c = resolveConfig('consumer', { ...f.values, 'bootstrap.servers': '127.0.0.1:9094' }, { origins: f.origins, onWarning: (w) => warnings.push(w.message) });
    assert.equal(c['security.protocol'], protocol, name);
    assert.equal(c['sasl.mechanism'], mechanism, name);
    assert.equal(c['sasl.username'], user, name);
    if (protocol === 'SASL_SSL') {
      assert.equal(c['ssl.ca.location'], '.kafka/tls/ca.pem', name);
      assert.ok((c['sasl.password']?.reveal().length ?? 0) > 0, name);
    }
    assert.deepEqual(warnings, [], name);
  }
});
