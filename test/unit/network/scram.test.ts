// SCRAM against the published test vectors: RFC 7677 section 3 (SHA-256) and RFC 5802 section 5 (SHA-1, which
// exercises the same code path with another digest). Both use user "user", password "pencil", 4096 iterations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScramSession, saslName } from '../../../src/network/sasl/scram.js';
import { Secret } from '../../../src/network/secret.js';
import { AuthenticationError } from '../../../src/errors.js';

const vectors = [
  {
    name: 'RFC 7677 SCRAM-SHA-256',
    mechanism: 'SCRAM-SHA-256' as const,
    clientNonce: 'rOprNGfwEbeRWgbNEkqO',
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal:
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
  {
    name: 'RFC 5802 SCRAM-SHA-1',
    mechanism: 'SCRAM-SHA-1' as const,
    clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
];

for (const v of vectors) {
  test(`${v.name}: client messages match and the server signature verifies`, () => {
    const s = new ScramSession(v.mechanism, 'user', new Secret('pencil'), v.clientNonce);
    assert.equal(s.start().toString(), v.clientFirst);
    assert.equal(s.next(Buffer.from(v.serverFirst))?.toString(), v.clientFinal);
    assert.equal(s.next(Buffer.from(v.serverFinal)), null);
  });

  test(`${v.name}: a wrong server signature is refused`, () => {
    const s = new ScramSession(v.mechanism, 'user', new Secret('pencil'), v.clientNonce);
    s.start();
    s.next(Buffer.from(v.serverFirst));
    const bad = v.serverFinal.slice(0, 2) + (v.serverFinal[2] === 'A' ? 'B' : 'A') + v.serverFinal.slice(3);
    assert.throws(() => s.next(Buffer.from(bad)), (e: unknown) => e instanceof AuthenticationError && /server signature/.test(e.message));
  });
}

test('a server nonce that does not extend the client nonce is refused', () => {
  const s = new ScramSession('SCRAM-SHA-256', 'user', new Secret('pencil'), 'abc');
  s.start();
  assert.throws(() => s.next(Buffer.from('r=xyzdef,s=QSXCR+Q6sek8bf92,i=4096')), /nonce/);
});

test('iteration counts outside Kafka range are refused (no PBKDF2 denial of service)', () => {
  for (const i of ['1', '4095', '16385', '1000000000', 'abc']) {
    const s = new ScramSession('SCRAM-SHA-512', 'user', new Secret('pencil'), 'abc');
    s.start();
    assert.throws(() => s.next(Buffer.from(`r=abcdef,s=QSXCR+Q6sek8bf92,i=${i}`)), AuthenticationError, `i=${i}`);
  }
});

test('server errors (e=) surface as AuthenticationError', () => {
  const s = new ScramSession('SCRAM-SHA-256', 'user', new Secret('pencil'), 'abc');
  s.start();
  assert.throws(() => s.next(Buffer.from('e=other-error')), /server error: other-error/);
});

test('saslname escapes = and , (RFC 5802 section 5.1)', () => {
  assert.equal(saslName('a=b,c'), 'a=3Db=2Cc');
  assert.equal(saslName('=2C'), '=3D2C');
  const s = new ScramSession('SCRAM-SHA-256', 'u,=', new Secret('p'), 'n0nce');
  assert.equal(s.start().toString(), 'n,,n=u=2C=3D,r=n0nce');
});

test('default nonces are random, printable and comma-free', () => {
  const a = new ScramSession('SCRAM-SHA-256', 'u', new Secret('p')).start().toString();
  const b = new ScramSession('SCRAM-SHA-256', 'u', new Secret('p')).start().toString();
  assert.notEqual(a, b);
  const nonce = a.split(',r=')[1];
  assert.ok(nonce.length >= 24 && !nonce.includes(','), nonce);
});
