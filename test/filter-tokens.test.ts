// The one tokenizer of --filter and --packet-filter (src/track/filter-tokens.ts): each language's
// operators and words, offsets for the error messages, and the characters a packet filter refuses.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnFilter, FilterError } from '../src/track/filter.js';
import { tokenize } from '../src/track/filter-tokens.js';
import { parsePacketFilter } from '../src/track/packet-filter.js';

const refuse = (at: number, c: string): never => {
  throw new Error(`refused ${c} at ${at}`);
};

test('connection filter words run to a space or an operator: IPv6, keyword.dir=VALUE, !=, &&', () => {
  const rules = { operators: ['!=', '&&', '||', '(', ')', '!', '='] };
  assert.deepEqual(
    tokenize('host 2001:db8::1&&final.orig=TIME_WAIT||!(state!=CLOSED)', rules, refuse).map((t) => [
      t.text,
      t.at,
    ]),
    [
      ['host', 0],
      ['2001:db8::1', 5],
      ['&&', 16],
      ['final.orig', 18],
      ['=', 28],
      ['TIME_WAIT', 29],
      ['||', 38],
      ['!', 40],
      ['(', 41],
      ['state', 42],
      ['!=', 47],
      ['CLOSED', 49],
      [')', 55],
    ],
  );
});

test('packet filter: tcp[…] is one token, two-character operators win, other characters are refused', () => {
  const rules = {
    operators: ['&&', '||', '==', '!=', '<=', '>=', '(', ')', '&', '|', '!', '<', '>', '='],
    brackets: true,
    wordChar: /[A-Za-z0-9_.:\-/%]/,
  };
  assert.deepEqual(
    tokenize('tcp[13]&(tcp-syn|tcp-fin)!=0&&len<=60', rules, refuse).map((t) => t.text),
    ['tcp', '[13]', '&', '(', 'tcp-syn', '|', 'tcp-fin', ')', '!=', '0', '&&', 'len', '<=', '60'],
  );
  assert.throws(() => tokenize('port 80 * 2', rules, refuse), /refused \* at 8/);
});

test('both parsers use it: the errors point at the character', () => {
  assert.throws(
    () => parsePacketFilter('port 80 and $x'),
    /--packet-filter "port 80 and \$x": "\$" \(character 13\): unexpected character/,
  );
  assert.ok(new ConnFilter('host fd77::1 and final.resp=CLOSE_WAIT'));
  assert.throws(() => new ConnFilter('port 80 or prot 443'), FilterError);
});
