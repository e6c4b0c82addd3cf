// KIP-848 pure parts: JavaScript patterns as the RE2/J expression the coordinator matches against whole topic names,
// and the reconciliation plan (what to revoke, what to add) of a target assignment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { toBrokerRegex } from '../../../src/consumer/group/broker-regex.js';
import { newMemberId, reconcilePlan } from '../../../src/consumer/group/consumer-group.js';

/** What Java's (and RE2/J's) full-string match would say, approximated with a JS anchored test of the output. */
function brokerMatches(regex: string, topic: string): boolean {
  const inline = /^\(\?([ims]+)\)/.exec(regex);
  const body = inline === null ? regex : regex.slice(inline[0].length);
  return new RegExp(`^(?:${body.replace(/\(\?P</g, '(?<').replace(/\\x\{([0-9a-fA-F]+)\}/g, '\\u{$1}')})$`, `u${inline?.[1] ?? ''}`).test(topic);
}

test('toBrokerRegex selects what RegExp.test selects, as a whole-name match', () => {
  const cases: [RegExp, string[], string[]][] = [
    [/^orders-/, ['orders-1', 'orders-'], ['x-orders-1', 'order']],
    [/orders/, ['orders', 'eu.orders.v1'], ['order']],
    [/^(a|b)$/, ['a', 'b'], ['ab', 'c']],
    [/ORDERS/i, ['orders', 'Orders-x'], ['ord']],
    [/^t[^x]$/, ['ta'], ['tx', 't']],
    [/^caf\u00e9$/, ['café'], ['cafe']],
    [/^(?<name>x)y$/, ['xy'], ['x']],
    [/^a[^]b$/, ['a.b', 'aXb'], ['ab']],
  ];
  for (const [pattern, yes, no] of cases) {
    const regex = toBrokerRegex(pattern);
    for (const t of yes) assert.equal(brokerMatches(regex, t), pattern.test(t), `${String(pattern)} -> ${regex} on ${t}`);
    for (const t of no) assert.equal(brokerMatches(regex, t), false, `${String(pattern)} -> ${regex} must not match ${t}`);
  }
  assert.equal(toBrokerRegex(/^orders-/), '.*(?:^orders-).*');
  assert.equal(toBrokerRegex(/x/i), '(?i).*(?:x).*');
  assert.equal(toBrokerRegex(/ab/y), '(?:ab).*', 'sticky: matches from the start only');
  assert.equal(toBrokerRegex(/\u{1F600}/u), '.*(?:\\x{1F600}).*');
});

test('toBrokerRegex refuses what RE2/J cannot express, with a ConfigError naming it', () => {
  for (const [pattern, words] of [
    [/a(?=b)/, 'lookahead'],
    [/a(?!b)/, 'lookahead'],
    [/(?<=a)b/, 'lookbehind'],
    [/(?<!a)b/, 'lookbehind'],
    [/(a)\1/, 'backreferences'],
    [/(?<n>a)\k<n>/, 'named backreferences'],
    [new RegExp('[a-z]', 'v'), '/v/ flag'],
    [/\cJ/, 'control escapes'],
  ] as const) {
    assert.throws(() => toBrokerRegex(pattern), (err: unknown) => err instanceof ConfigError && err.message.includes(words) && err.message.includes('RE2/J'), String(pattern));
  }
  // Inside a class, \1 is an octal-like escape, not a backreference; a class is copied as is.
  assert.equal(toBrokerRegex(/[(?=]/), '.*(?:[(?=]).*');
});

test('reconcilePlan: revoke what the target drops, add what it brings, keep the rest', () => {
  const tp = (topic: string, partition: number) => ({ topic, partition });
  const plan = reconcilePlan([tp('a', 0), tp('a', 1), tp('b', 0)], [tp('a', 1), tp('b', 0), tp('b', 1)]);
  assert.deepEqual(plan.revoke, [tp('a', 0)]);
  assert.deepEqual(plan.add, [tp('b', 1)]);
  assert.deepEqual(reconcilePlan([], []), { revoke: [], add: [] });
  assert.deepEqual(reconcilePlan([tp('a', 0)], []), { revoke: [tp('a', 0)], add: [] });
});

test('newMemberId: 22 URL-safe base64 characters (a Kafka uuid), different each time', () => {
  const a = newMemberId();
  assert.match(a, /^[A-Za-z0-9_-]{22}$/);
  assert.notEqual(a, newMemberId());
});
