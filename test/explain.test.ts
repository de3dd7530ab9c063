// The explanations (src/report/explain.ts and its en/zh phrasebooks): a sentence for every row of
// the RFC 9293 transition table and every event kind in both languages, this capture's numbers in
// the story, and the golden explanations.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, transitionFor, transitionKey } from '../src/report/explain.js';
import { EN } from '../src/report/explain-en.js';
import { ZH } from '../src/report/explain-zh.js';
import { TRANSITIONS } from '../src/tcp/transitions.js';
import { EVENT_KINDS } from '../src/track/kinds.js';
import { assertGolden } from './helpers/golden.js';
import { bulk, clientClose, refused, thirdAckLost } from './helpers/timelines.js';

const CJK = /[\u4e00-\u9fff]/;

test('every transition of the RFC 9293 table has a sentence in English and in Chinese', () => {
  const keys = new Set(TRANSITIONS.map(transitionKey));
  for (const [name, book] of [
    ['en', EN],
    ['zh', ZH],
  ] as const) {
    for (const k of keys) {
      const say = book.transitions[k];
      assert.ok(say, `${name}: no sentence for transition "${k}"`);
      const [from, , to] = k.split(' ');
      const s = say({ who: 'orig', from: from as never, to: to as never, timeWait: '60 s' });
      assert.ok(
        s.includes(to) || (to === 'CLOSED' && s.includes('CLOSED')),
        `${name} "${k}" must name the new state: ${s}`,
      );
      assert.equal(CJK.test(s), name === 'zh', `${name} "${k}" is in the wrong language: ${s}`);
    }
    for (const k of Object.keys(book.transitions))
      assert.ok(keys.has(k), `${name}: "${k}" is not a row of the table`);
  }
});

test('every event kind has a sentence in English and in Chinese', () => {
  for (const [name, book] of [
    ['en', EN],
    ['zh', ZH],
  ] as const) {
    for (const kind of EVENT_KINDS) {
      const say = book.events[kind];
      assert.ok(say, `${name}: no sentence for event kind ${kind}`);
      for (const count of [1, 3]) {
        const s = say({ who: 'resp', frame: 7, time: '0.1', count, len: 0, since: '1.000 s' });
        assert.ok(s.length > 20, `${name} ${kind}: ${s}`);
        assert.equal(CJK.test(s), name === 'zh', `${name} ${kind} is in the wrong language: ${s}`);
      }
    }
  }
  // Sentences differ per kind: a copy-pasted sentence would teach the wrong thing.
  for (const book of [EN, ZH]) {
    const texts = EVENT_KINDS.map((k) =>
      book.events[k]({ who: 'orig', frame: 1, time: '0', count: 1, len: 0 }),
    );
    assert.equal(new Set(texts).size, texts.length);
  }
});

test('the Chinese text uses the terms Chinese readers know', () => {
  const zh = [clientClose, thirdAckLost, bulk].map((t) => explain(t, { lang: 'zh' }).join('\n')).join('\n');
  for (const term of [
    '三次握手',
    '第一次握手',
    '第二次握手',
    '第三次握手',
    '半连接',
    '半关闭',
    '主动关闭',
    '初始序列号',
    '第一次挥手',
    '第四次挥手',
    '重复 ACK',
    '快速重传',
  ]) {
    assert.ok(zh.includes(term), `missing ${term}`);
  }
  assert.ok(zh.includes('TIME_WAIT') && zh.includes('CLOSE_WAIT') && zh.includes('SYN_RECEIVED'));
  const simul = [ZH.events['simultaneous-open'], ZH.events['simultaneous-close']].map((f) =>
    f({ who: 'orig', frame: 1, time: '0', count: 1, len: 0 }),
  );
  assert.ok(simul[0].includes('同时打开') && simul[1].includes('同时关闭'));
});

test('the story carries this capture’s numbers', () => {
  const en = explain(clientClose).join('\n');
  assert.ok(en.includes('its initial sequence number (ISN) is 483072758'));
  // Absolute numbers beside absolute ISNs, the relative one named as such (issue 16 item 10).
  assert.ok(en.includes("ack=483072759, the client's ISN + 1 (relative ack=1)"), en);
  assert.ok(en.includes('moves from FIN_WAIT_1 straight to TIME_WAIT'));
  assert.ok(en.includes('Zeek would log conn_state SF, history ShADadFf'));
  const lost = explain(thirdAckLost).join('\n');
  assert.ok(
    lost.includes('The server retransmits its SYN+ACK after 1.000 s: no ACK of it came back in time.') &&
      lost.includes(
        'the client already believes the connection is ESTABLISHED, while the server is still in SYN_RECEIVED',
      ),
    lost,
  );
  assert.ok(
    lost.includes("the server's state changes only with frame 5, which carries the same acknowledgment"),
  );
  assert.ok(lost.includes('it is the answer to the retransmitted SYN+ACK'));
  const zh = explain(refused, { lang: 'zh' }).join('\n');
  assert.ok(zh.includes('连接被拒绝'));
});

test('explanations golden (en, zh)', () => {
  for (const [name, t] of Object.entries({
    'client-close': clientClose,
    'third-ack-lost': thirdAckLost,
    bulk,
    refused,
  })) {
    for (const lang of ['en', 'zh'] as const) {
      assertGolden(`explain/${name}.${lang}.txt`, `${explain(t, { lang }).join('\n\n')}\n`);
    }
  }
});

test('a state change maps to the row of the table that explains it', () => {
  const p = clientClose.packets[8]; // the server's FIN+ACK
  const client = transitionFor('FIN_WAIT_1', 'TIME_WAIT', p, false, false);
  assert.equal(client && transitionKey(client), 'FIN_WAIT_1 rcv-fin-ack-of-fin TIME_WAIT');
  const server = transitionFor('CLOSE_WAIT', 'LAST_ACK', p, true, true);
  assert.equal(server && transitionKey(server), 'CLOSE_WAIT close LAST_ACK');
  const rst = refused.packets[1];
  const c = transitionFor('SYN_SENT', 'CLOSED', rst, false, false);
  assert.equal(c && transitionKey(c), 'SYN_SENT rcv-rst CLOSED');
});
