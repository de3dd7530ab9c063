// The lab scenarios issue 16 added for teaching (last-ack-lost, fin-with-data, forged-rst-success):
// `synack lab run` at each of the three taps (golden ladders with the true states), their true
// state sequences, and the story `explain` tells from the capture at the tap that decides it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labRun, labTextLines } from '../src/lab/lab-report.js';
import { TAP_NAMES } from '../src/lab/network.js';
import { runScenario } from '../src/lab/scenario.js';
import { findScenario } from '../src/lab/scenarios/index.js';
import { explain, explainStory } from '../src/report/explain.js';
import { assertGolden } from './helpers/golden.js';

const TEACHING = ['last-ack-lost', 'fin-with-data', 'forged-rst-success'];

for (const name of TEACHING) {
  test(`${name}: the true states are the scenario's, and its ladder at each tap (golden)`, () => {
    const s = findScenario(name);
    assert.ok(s, name);
    const run = runScenario(s);
    for (const [label, sides] of Object.entries(s.expect ?? {})) {
      for (const side of ['client', 'server'] as const) {
        if (sides[side]) assert.deepEqual(run.endpoint(label, side)?.states, sides[side], `${label} ${side}`);
      }
    }
    for (const tap of TAP_NAMES) {
      const text = `${labTextLines(labRun(s, { tap })).join('\n')}\n`;
      assertGolden(`lab/${name}-${tap}.txt`, text);
    }
  });
}

test('last-ack-lost: TIME_WAIT re-acknowledges the retransmitted FIN, and the story says so', () => {
  const lab = labRun(findScenario('last-ack-lost')!, { tap: 'client' });
  const t = lab.observation.timelines[0];
  const story = explainStory(t);
  const reack = story.steps.find((s) => s.text.includes("acknowledges the server's retransmitted FIN again"));
  assert.ok(reack, story.steps.map((s) => s.text).join('\n'));
  assert.equal(reack.actor, 'client');
  assert.equal(reack.states.client, 'TIME_WAIT');
  assert.ok(!reack.text.includes('a segment is missing'));
  const zh = explain(t, { lang: 'zh' }).join('\n');
  assert.ok(zh.includes('处于 TIME_WAIT 的客户端再次确认服务端重传的 FIN'), zh);
});

test('fin-with-data: the FIN riding on the last data segment is named, in both languages', () => {
  const t = labRun(findScenario('fin-with-data')!, { tap: 'mid' }).observation.timelines[0];
  const story = explainStory(t);
  const f = story.findings.find((x) => x.kind === 'fin-with-data');
  assert.ok(f);
  const fin = t.packets.find((p) => p.frame === f.frames[0])!;
  assert.ok(fin.len > 0 && fin.from === 'resp');
  assert.match(f.text, /FIN rides on its last data segment/);
  assert.ok(explain(t, { lang: 'zh' }).join('\n').includes('FIN 搭在最后一个数据报文段上'));
  // The server closed first.
  assert.ok(
    story.findings.some((x) => x.kind === 'closed-first' && x.text.startsWith('The server closed first')),
  );
});

test('forged-rst-success: the victim is killed, the peer is answered, nobody "aborts" (issue 16 item 5)', () => {
  for (const tap of TAP_NAMES) {
    const t = labRun(findScenario('forged-rst-success')!, { tap }).observation.timelines[0];
    const story = explainStory(t);
    const text = explain(t).join('\n');
    const answer = story.steps.find((s) => s.kind === 'rst' && s.actor === 'server');
    assert.ok(answer, `${tap}: the server's RST`);
    if (tap === 'client') {
      // The forgery never passes the client's tap: the RST's form is the only evidence.
      assert.match(answer.text, /connection it does not have \(RFC 9293 §3\.10\.7\.1\), not Linux's abort/);
      continue;
    }
    assert.match(answer.text, /no connection any more/, tap);
    assert.doesNotMatch(answer.text, /aborts/, tap);
    assert.doesNotMatch(text, /the server reset the connection/, tap);
    assert.match(text, /a forged RST in the client's name reset the connection/, tap);
  }
});
