// A canary credential travels through every path that could print it; none may show it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect, format } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSecretProperty, loadConfigFile, redactProperties, resolveConfig, Secret, type ConfigWarning } from '../../../src/config/index.js';

const CANARY = 'CANARY-7f3a9c-do-not-print';
const BASE = { 'bootstrap.servers': '127.0.0.1:9094', 'group.id': 'g', 'security.protocol': 'SASL_SSL' };

function assertClean(text: string, where: string): void {
  assert.ok(!text.includes(CANARY), `${where} leaked the secret: ${text}`);
  assert.ok(!text.includes('7f3a9c'), `${where} leaked part of the secret: ${text}`);
}

function everyRendering(value: unknown): string[] {
  return [
    JSON.stringify(value), inspect(value), inspect(value, { depth: 10, showHidden: true }), format('%o', value),
    format('%s', value), format('%j', value), String((value as object)?.toString?.()),
  ];
}

test('resolved config: JSON, inspect, format, toString, spread and entries never show a secret', () => {
  const c = resolveConfig('consumer', {
    ...BASE, 'sasl.mechanism': 'PLAIN', 'sasl.username': 'u', 'sasl.password': CANARY, 'ssl.key.password': CANARY,
    'ssl.key.pem': CANARY, 'ssl.certificate.pem': 'CERT',
  }, { onWarning: () => {} });
  for (const text of everyRendering(c)) assertClean(text, 'rendering');
  for (const text of everyRendering({ ...c })) assertClean(text, 'spread copy');
  assertClean(JSON.stringify(Object.entries(c)), 'entries');
  assertClean(`${c['sasl.password']}`, 'template literal');
  assertClean(String(c['sasl.password']), 'String()');
  assertClean(c['sasl.password'] + '', 'concatenation');
  assert.equal(c['sasl.password']?.reveal(), CANARY);
  assert.match(inspect(c), /'sasl\.password': '\[redacted\]'/);
});

test('Java JAAS line: the config and every error show neither the line nor the password', () => {
  const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${CANARY}";`;
  const c = resolveConfig('consumer', { ...BASE, 'sasl.jaas.config': jaas }, { onWarning: () => {} });
  for (const text of everyRendering(c)) assertClean(text, 'rendering');
  const broken = [
    `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password=${CANARY} x;`,
    `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${CANARY}`,
    `org.apache.kafka.common.security.plain.PlainLoginModule required password=${CANARY} ${CANARY}=1;`,
    `${CANARY} required;`,
    `org.apache.kafka.common.security.plain.PlainLoginModule ${CANARY} username="u";`,
  ];
  for (const line of broken) {
    const warnings: ConfigWarning[] = [];
    try {
      resolveConfig('consumer', { ...BASE, 'sasl.jaas.config': line }, { onWarning: (w) => warnings.push(w) });
    } catch (err) {
      for (const text of [...everyRendering(err), (err as Error).stack ?? '']) assertClean(text, 'JAAS error');
    }
    for (const w of warnings) assertClean(w.message, 'JAAS warning');
  }
});

test('errors about secret properties never quote the value', () => {
  const cases: Array<Record<string, unknown>> = [
    { ...BASE, 'sasl.password': 42, 'sasl.mechanism': 'PLAIN', 'sasl.username': 'u' },
    { ...BASE, 'sasl.password': [CANARY] },
    { 'bootstrap.servers': 'a:1', 'sasl.password': CANARY },
    { ...BASE, 'sasl.mechanism': 'PLAIN', 'sasl.username': 'u', 'sasl.password': CANARY, 'sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="x${CANARY}";` },
    { ...BASE, 'sasl.pasword': CANARY },
    { ...BASE, 'ssl.keystore.password': { CANARY } },
  ];
  for (const input of cases) {
    let caught: unknown;
    try { resolveConfig('consumer', input, { onWarning: () => {} }); } catch (err) { caught = err; }
    assert.ok(caught instanceof Error, `expected an error for ${Object.keys(input).join(',')}`);
    for (const text of [...everyRendering(caught), caught.stack ?? '']) assertClean(text, 'error');
  }
});

test('warnings about secret properties never show the value', () => {
  const warnings: ConfigWarning[] = [];
  resolveConfig('consumer', {
    'bootstrap.servers': 'a:1', 'ssl.key.password': CANARY, 'ssl.truststore.password': CANARY,
  }, { onWarning: (w) => warnings.push(w) });
  resolveConfig('producer', { 'bootstrap.servers': 'a:1', 'group.id': CANARY.slice(0, 3), 'ssl.key.pem': CANARY }, { onWarning: (w) => warnings.push(w) });
  assert.ok(warnings.length > 0);
  for (const w of warnings) assertClean(JSON.stringify(w), 'warning');
});

test('a config file with a bad secret line names the file and line, not the value', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-redact-'));
  const file = join(dir, 'client.properties');
  writeFileSync(file, `bootstrap.servers=a:1\nsecurity.protocol=SASL_SSL\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required password "${CANARY}";\n`);
  const loaded = loadConfigFile(file);
  try {
    resolveConfig('consumer', loaded.values, { origins: loaded.origins, onWarning: () => {} });
    assert.fail('expected an error');
  } catch (err) {
    assert.match((err as Error).message, /client\.properties:3: sasl\.jaas\.config: expected '=' after option password/);
    for (const text of everyRendering(err)) assertClean(text, 'file error');
  }
  for (const text of everyRendering(loaded)) assertClean(text, 'loaded file');
});

test('Secret and redactProperties', () => {
  const s = new Secret(CANARY);
  for (const text of everyRendering(s)) assertClean(text, 'Secret');
  assertClean(JSON.stringify({ s }), 'nested Secret');
  assert.ok(s.equals(new Secret(CANARY)));
  const red = redactProperties({ 'sasl.password': CANARY, 'sasl.jaas.config': CANARY, 'my.secret.token': CANARY, 'group.id': 'g' });
  assertClean(JSON.stringify(red), 'redactProperties');
  assert.equal(red['group.id'], 'g');
  assert.ok(isSecretProperty('sasl.password'));
  assert.ok(isSecretProperty('ssl.keystore.key'));
  assert.ok(isSecretProperty('sasl.oauthbearer.token.provider'));
  assert.ok(isSecretProperty('sasl.pasword'));
  assert.ok(!isSecretProperty('sasl.username'));
  assert.ok(!isSecretProperty('bootstrap.servers'));
});
