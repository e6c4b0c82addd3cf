// The single-message mechanisms: PLAIN (RFC 4616) and OAUTHBEARER (RFC 7628) client messages, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlainSession } from '../../../src/network/sasl/plain.js';
import { OAuthBearerSession, oauthBearerClientFirst } from '../../../src/network/sasl/oauthbearer.js';
import { Secret } from '../../../src/network/secret.js';
import { AuthenticationError } from '../../../src/errors.js';

test('PLAIN: authzid NUL user NUL password; done on an empty server reply', () => {
  const s = new PlainSession('alice', new Secret('pw'));
  assert.deepEqual(s.start(), Buffer.from('\0alice\0pw'));
  assert.equal(s.next(Buffer.alloc(0)), null);
  const z = new PlainSession('alice', new Secret('pw'), 'admin');
  assert.deepEqual(z.start(), Buffer.from('admin\0alice\0pw'));
});

test('PLAIN: NUL inside a field is refused (it would shift the fields)', () => {
  assert.throws(() => new PlainSession('al\0ice', new Secret('pw')).start(), AuthenticationError);
});

test('OAUTHBEARER client first message (RFC 7628 section 3.1)', () => {
  assert.equal(oauthBearerClientFirst({ value: 'eyJhbGc.eyJzdWI.sig' }).toString(), 'n,,\x01auth=Bearer eyJhbGc.eyJzdWI.sig\x01\x01');
  assert.equal(
    oauthBearerClientFirst({ value: 'tok', extensions: { traceId: 'abc 123' } }, 'user,=x').toString(),
    'n,a=user=2C=3Dx,\x01auth=Bearer tok\x01traceId=abc 123\x01\x01',
  );
  assert.throws(() => oauthBearerClientFirst({ value: 'has space' }), AuthenticationError);
  assert.throws(() => oauthBearerClientFirst({ value: 'tok', extensions: { auth: 'x' } }), /extension name/);
  assert.throws(() => oauthBearerClientFirst({ value: 'tok', extensions: { 'a-b': 'x' } }), /extension name/);
  assert.throws(() => oauthBearerClientFirst({ value: 'tok', extensions: { ok: 'bad\x01' } }), /extension 'ok'/);
});

test('OAUTHBEARER: the provider is asked on every start; a refused token is acknowledged with 0x01', async () => {
  let calls = 0;
  const s = new OAuthBearerSession(async () => `token${++calls}`);
  assert.equal((await s.start()).toString(), 'n,,\x01auth=Bearer token1\x01\x01');
  assert.equal(s.next(Buffer.alloc(0)), null);
  const refused = new OAuthBearerSession(() => ({ value: 'tok' }));
  await refused.start();
  assert.deepEqual(refused.next(Buffer.from('{"status":"invalid_token"}')), Buffer.from([1]));
  assert.equal(refused.serverError, '{"status":"invalid_token"}');
});

test('OAUTHBEARER: a failing or empty provider is an AuthenticationError', async () => {
  await assert.rejects(
    new OAuthBearerSession(() => Promise.reject(new Error('idp down'))).start(),
    (e: unknown) => e instanceof AuthenticationError && /idp down/.test(e.message),
  );
  await assert.rejects(new OAuthBearerSession(() => '').start(), /no token/);
});
