// Lines written as bytes (src/report/line-bytes.ts) are the bytes of the strings they replace:
// String(n), usecString(µs) and JSON.stringify(text), UTF-8 encoded, on the edges where a digit
// loop or an ASCII fast path could go wrong (negative, zero, 2^53 and beyond, fractions, escapes,
// text beyond ASCII, lone surrogates); and the writer grows past its first storage.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineBytes } from '../src/report/line-bytes.js';
import { usecString } from '../src/report/zeek-tsv.js';

const NUMBERS = [
  0,
  -0,
  1,
  9,
  10,
  99,
  100,
  -1,
  -10,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  1796661468089575,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
  2 ** 53,
  2 ** 53 + 2,
  1e21,
  1e300,
  0.5,
  -0.25,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

function written(fill: (w: LineBytes) => void): string {
  const w = new LineBytes(undefined, 4);
  fill(w);
  return w.take();
}

test('num writes what String(n) spells', () => {
  for (const n of NUMBERS)
    assert.equal(
      written((w) => w.num(n)),
      String(n),
      `n = ${n}`,
    );
});

test('usec writes what usecString spells', () => {
  const extra = [5, 999_999, 1_000_000, 1_000_001, 100_000, 99_999, 10, -5, -1_000_000, -1_500_001];
  for (const n of [...NUMBERS, ...extra])
    assert.equal(
      written((w) => w.usec(n)),
      usecString(n),
      `µs = ${n}`,
    );
});

test('json writes what JSON.stringify spells, UTF-8 encoded', () => {
  const texts = [
    '',
    '10.0.0.1',
    'fe80::1',
    'ShADaR',
    'a"b',
    'back\\slash',
    'tab\there',
    '\u0000\u001f',
    '\u007f',
    'é',
    '日本',
    '😀',
    '\ud800 lone',
    'x\udc00',
  ];
  for (const s of texts)
    assert.equal(
      written((w) => w.json(s)),
      JSON.stringify(s),
      `text ${JSON.stringify(s)}`,
    );
});

test('text writes the string as it is; the storage grows as needed', () => {
  const long = `${'ESTABLISHED, '.repeat(500)}é-日本-😀`;
  assert.equal(
    written((w) => {
      w.text('[');
      w.text(long);
      w.num(42);
    }),
    `[${long}42`,
  );
});
