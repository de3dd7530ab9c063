// `--conn C` (src/cli/conn-selector.ts): an id or a 4-tuple in either direction with #n for the
// n-th connection on it; anything else is a usage error.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnSelectorError, parseConnSelector, selectConns } from '../src/cli/conn-selector.js';

const conns = [
  { id: 1, orig: { ip: '10.0.0.1', port: 40000 }, resp: { ip: '10.0.0.2', port: 80 } },
  { id: 2, orig: { ip: '2001:db8::1', port: 5555 }, resp: { ip: '2001:db8::2', port: 443 } },
  { id: 3, orig: { ip: '10.0.0.1', port: 40000 }, resp: { ip: '10.0.0.2', port: 80 } },
];

test('--conn takes an id', () => {
  assert.deepEqual(parseConnSelector('7'), { kind: 'id', id: 7 });
  assert.deepEqual(
    selectConns(conns, parseConnSelector('2')).map((c) => c.id),
    [2],
  );
  assert.deepEqual(selectConns(conns, parseConnSelector('9')), []);
});

test('--conn takes a 4-tuple in either order, with #n', () => {
  assert.deepEqual(
    selectConns(conns, parseConnSelector('10.0.0.1:40000-10.0.0.2:80')).map((c) => c.id),
    [1, 3],
  );
  assert.deepEqual(
    selectConns(conns, parseConnSelector('10.0.0.2:80-10.0.0.1:40000')).map((c) => c.id),
    [1, 3],
  );
  assert.deepEqual(
    selectConns(conns, parseConnSelector('10.0.0.2:80-10.0.0.1:40000#2')).map((c) => c.id),
    [3],
  );
  assert.deepEqual(selectConns(conns, parseConnSelector('10.0.0.2:80-10.0.0.1:40000#3')), []);
  assert.deepEqual(parseConnSelector('[2001:DB8::2]:443-[2001:db8::1]:5555'), {
    kind: 'tuple',
    a: { ip: '2001:db8::2', port: 443 },
    b: { ip: '2001:db8::1', port: 5555 },
  });
  assert.deepEqual(
    selectConns(conns, parseConnSelector('[2001:db8::2]:443-[2001:db8::1]:5555')).map((c) => c.id),
    [2],
  );
});

test('bad selectors are usage errors', () => {
  for (const bad of [
    '0',
    'abc',
    '10.0.0.1:80',
    '10.0.0.1-10.0.0.2:80',
    '2001:db8::1:80-10.0.0.1:1',
    '10.0.0.1:99999-10.0.0.2:1',
    '10.0.0.1:1-10.0.0.2:2#0',
  ]) {
    assert.throws(() => parseConnSelector(bad), ConnSelectorError, bad);
  }
  assert.throws(() => parseConnSelector('-1'), { message: '--conn -1: ids start at 1' });
});
