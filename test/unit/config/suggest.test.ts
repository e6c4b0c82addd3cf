import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestMatch, editDistance } from '../../../src/config/index.js';

test('edit distance counts insertions, deletions, substitutions and adjacent transpositions', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('', 'ab'), 2);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('bootstrap.server', 'bootstrap.servers'), 1);
  assert.equal(editDistance('boostrap.servers', 'bootstrap.servers'), 1);
  assert.equal(editDistance('bootstrap.sevrers', 'bootstrap.servers'), 1);
  assert.equal(editDistance('ca', 'ac'), 1);
});

test('closest match: near names are suggested, far ones are not', () => {
  const names = ['bootstrap.servers', 'group.id', 'group.instance.id', 'client.id'];
  assert.equal(closestMatch('bootstrap.server', names), 'bootstrap.servers');
  assert.equal(closestMatch('Group.Id', names), 'group.id');
  assert.equal(closestMatch('gruop.id', names), 'group.id');
  assert.equal(closestMatch('zzz', names), undefined);
  assert.equal(closestMatch('group.id', names), undefined, 'an exact match is not a suggestion');
});

test('closest match: ties go to the preferred candidate', () => {
  assert.equal(closestMatch('abcx', ['abcd', 'abce']), 'abcd');
  assert.equal(closestMatch('abcx', ['abcd', 'abce'], (c) => c === 'abce'), 'abce');
});
