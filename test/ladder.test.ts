// The ladder diagram (src/report/ladder-model.ts, ladder-text.ts, ladder-svg.ts): goldens in text
// and SVG, the width limit, states beside the arrow that caused them, lost and retransmitted
// segments, folding of long data runs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labRun } from '../src/lab/lab-report.js';
import { findScenario } from '../src/lab/scenarios/index.js';
import { buildLadder, findUnanswered } from '../src/report/ladder-model.js';
import { renderLadderSvg } from '../src/report/ladder-svg.js';
import { renderLadderText } from '../src/report/ladder-text.js';
import { assertGolden } from './helpers/golden.js';
import { bulk, clientClose, refused, thirdAckLost } from './helpers/timelines.js';

const CASES = { 'client-close': clientClose, 'third-ack-lost': thirdAckLost, bulk, refused };

for (const [name, t] of Object.entries(CASES)) {
  test(`ladder text golden: ${name}`, () => {
    assertGolden(`ladder/${name}.txt`, `${renderLadderText(t).join('\n')}\n`);
  });
  test(`ladder svg golden: ${name}`, () => {
    assertGolden(`ladder/${name}.svg`, renderLadderSvg(t));
  });
  test(`ladder fits the width: ${name}`, () => {
    for (const width of [100, 80, 72]) {
      for (const line of renderLadderText(t, { width })) {
        assert.ok([...line].length <= width, `${width}: ${line}`);
      }
    }
  });
}

test('every state change is written beside its line, on the row of the arrow that caused it', () => {
  const lines = renderLadderText(clientClose);
  // The SYN: client SYN_SENT on the sender row, server SYN_RECEIVED on the arrival row.
  const syn = lines.findIndex((l) => l.includes('SYN seq=0') && !l.includes('SYN+ACK'));
  assert.match(lines[syn], /^0\.000000 +SYN_SENT │─ #1 SYN seq=0/);
  assert.match(lines[syn + 1], /▶│ SYN_RECEIVED$/);
  // The merged FIN+ACK: server LAST_ACK as it sends, client TIME_WAIT as it receives.
  const fin = lines.findIndex((l) => l.includes('FIN+ACK seq=3020 ack=20'));
  assert.match(lines[fin], /│ LAST_ACK$/);
  assert.match(lines[fin + 1], /^ +TIME_WAIT │◀/);
  assert.ok(lines.some((l) => l.includes('final: client TIME_WAIT, server CLOSED')));
});

test('a lost segment ends in ✗ and a retransmitted one is dashed', () => {
  const lines = renderLadderText(thirdAckLost);
  const ack = lines.findIndex((l) => l.includes('ACK seq=1 ack=1') && l.startsWith('0.000230'));
  assert.ok(lines[ack + 1].includes('✗'));
  assert.ok(!lines[ack + 1].includes('▶'), 'a lost arrow never reaches its receiver');
  assert.ok(lines.some((l) => l.includes('[synack-retransmission] [handshake-ack-lost]')));
  // Unanswered: the first SYN+ACK was sent again before anything acknowledged it.
  const unanswered = findUnanswered(thirdAckLost);
  assert.deepEqual(
    unanswered.map((u, i) => (u ? i : -1)).filter((i) => i >= 0),
    [1],
  );
  const synack = lines.findIndex((l) => l.startsWith('0.000210'));
  assert.ok(lines[synack + 1].includes('ESTABLISHED │◁╌╌'), lines[synack + 1]);
});

test('a long run of data folds into one line, never hiding a tagged segment; --all unfolds it', () => {
  const folded = renderLadderText(bulk);
  const unfolded = renderLadderText(bulk, { all: true });
  const folds = folded.filter((l) => l.includes('data segments'));
  assert.equal(folds.length, 1);
  assert.ok(folds[0].includes('… 15 data segments, 21.7 kB, 7 ACKs, 1.05 ms …'), folds[0]);
  // Every tagged or lost segment keeps its own arrow, with its frame number.
  for (const p of bulk.packets.filter((q) => q.tags.length > 0 || q.lost))
    assert.ok(
      folded.some((l) => l.includes(`#${p.frame} `)),
      `frame ${p.frame} is drawn`,
    );
  assert.ok(!unfolded.some((l) => l.includes('data segments')));
  const model = buildLadder(bulk, { all: true });
  assert.equal(model.rows.length, bulk.packets.length);
  assert.ok(unfolded.length > folded.length + 20);
});

test('folds count thousands of segments, and retransmissions stay out of them', () => {
  const steps = Array.from({ length: 10_000 }, (_, i) => ({
    ...bulk.packets[5],
    frame: 10 + i,
    timeUs: bulk.packets[5].timeUs + i * 100,
    tags: i % 3000 === 1 ? (['retransmission'] as const) : ([] as const),
  }));
  const t = {
    ...bulk,
    packets: [
      ...bulk.packets.slice(0, 5),
      ...steps.map((p) => ({ ...p, tags: [...p.tags] })),
      ...bulk.packets.slice(-4),
    ],
  };
  const lines = renderLadderText(t);
  const folds = lines.filter((l) => l.includes('data segments'));
  assert.ok(
    folds.some((l) => l.includes('… 2 994 data segments, 4.34 MB, 299.3 ms …')),
    folds.join('\n'),
  );
  assert.ok(!folds.some((l) => l.includes('retransmission')));
  for (const f of [11, 3011, 6011, 9011])
    assert.ok(
      lines.some((l) => l.includes(`#${f} ACK`)),
      `frame ${f}`,
    );
});

test('the SVG is a standalone document with one arrow per packet', () => {
  const svg = renderLadderSvg(thirdAckLost);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.equal((svg.match(/<g class="pkt"/g) ?? []).length, thirdAckLost.packets.length);
  assert.ok(svg.includes('stroke-dasharray="6 4"'), 'the unanswered SYN+ACK is dashed');
  assert.ok(svg.includes('>SYN_RECEIVED<'));
  assert.ok(!/[<>&](?![a-z/!?#]|amp;|lt;|gt;|quot;)/.test(svg.replace(/<[^>]*>/g, '')));
});

test('SVG state boxes on one side never overlap, even when a side changes state on two arrows in a row', () => {
  // client-close: the server enters CLOSE_WAIT as the client's FIN arrives and LAST_ACK as its
  // own FIN+ACK leaves on the next arrow.
  for (const [name, t] of Object.entries(CASES)) {
    const svg = renderLadderSvg(t);
    const boxes = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="(\d+)" rx="3"/g)];
    assert.ok(boxes.length >= 4, name);
    const mid = Number(/width="(\d+)"/.exec(svg)?.[1]) / 2;
    for (const left of [true, false]) {
      const ys = boxes
        .filter((b) => Number(b[1]) < mid === left)
        .map((b) => [Number(b[2]), Number(b[3])])
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < ys.length; i++) {
        assert.ok(
          ys[i][0] >= ys[i - 1][0] + ys[i - 1][1],
          `${name}: boxes at y=${ys[i - 1][0]} and ${ys[i][0]}`,
        );
      }
    }
  }
});

/** The analyzer's timeline of a lab scenario at a tap. */
function lab(name: string, tap: 'client' | 'server' | 'mid' = 'mid') {
  const t = labRun(findScenario(name)!, { tap }).observation.timelines[0];
  assert.ok(t, name);
  return t;
}

test('--symbolic writes the numbers as the articles do: x, y, x+1, y+1, then u, v, w', () => {
  const lines = renderLadderText(lab('server-close'), { symbolic: true }).join('\n');
  for (const label of [
    '#1 SYN seq=x ',
    '#2 SYN+ACK seq=y ack=x+1 ',
    '#3 ACK seq=x+1 ack=y+1 ',
    '#8 FIN+ACK seq=u ack=x+30 ',
    '#9 ACK seq=v ack=u+1 ',
    '#10 FIN+ACK seq=w ack=u+1 ',
    '#11 ACK seq=u+1 ack=w+1 ',
  ])
    assert.ok(lines.includes(label), `${label}\n${lines}`);
  assert.match(lines, /x, y: the client’s and the server’s ISN/);
  const svg = renderLadderSvg(lab('server-close'), { symbolic: true });
  assert.ok(svg.includes('#9 ACK seq=v ack=u+1'));
});

test('a pause gets a gap marker that names the timer: "⋯ 1 s, RTO ⋯" before a retransmission', () => {
  const lines = renderLadderText(lab('syn-lost', 'client'));
  const gap = lines.findIndex((l) => l.includes('⋯ 1 s, RTO ⋯'));
  assert.ok(gap > 0, lines.join('\n'));
  assert.match(lines[gap + 1], /#2 SYN seq=0/);
  const model = buildLadder(lab('syn-lost', 'client'));
  assert.ok(model.rows.some((r) => r.kind === 'gap' && r.us === 1_000_000));
  assert.ok(renderLadderSvg(lab('syn-lost', 'client')).includes('⋯ 1 s, RTO ⋯'));
});

test('segments in flight at once cross (simultaneous close and open), in text and SVG', () => {
  for (const name of ['simultaneous-close', 'simultaneous-open']) {
    const t = lab(name);
    const model = buildLadder(t);
    const crossing = model.rows.filter((r) => r.kind === 'arrow' && r.crossesNext);
    assert.ok(crossing.length >= 1, name);
    const lines = renderLadderText(t);
    assert.ok(
      lines.some((l) => l.includes('╳')),
      `${name}\n${lines.join('\n')}`,
    );
    // Both labels on one row: they left at the same time.
    const row = lines.find((l) => l.includes('╮╭'));
    assert.ok(row && (row.match(/#\d+ /g) ?? []).length === 2, row);
  }
  // An ordinary close does not cross.
  assert.ok(!buildLadder(lab('client-close')).rows.some((r) => r.kind === 'arrow' && r.crossesNext));
});

test('socket calls where the states imply them: connect(), connect() returns, accept() returns, close(), SO_LINGER 0', () => {
  const text = renderLadderText(lab('client-close')).join('\n');
  for (const call of [
    'client: connect()',
    'client: connect() returns',
    'server: accept() can return',
    'client: close()',
    'server: close()',
  ])
    assert.ok(text.includes(`‹${call}›`), call);
  assert.ok(renderLadderText(lab('client-abort')).join('\n').includes('‹client: close(), SO_LINGER 0›'));
  assert.ok(renderLadderSvg(lab('client-close')).includes('server: accept() can return'));
});

test('a segment known lost is always ✗, never folded, in text and SVG', () => {
  const t = lab('last-ack-lost', 'client');
  const lost = t.packets.filter((p) => p.lost);
  assert.ok(lost.length >= 1);
  const lines = renderLadderText(t);
  for (const p of lost) {
    const i = lines.findIndex((l) => l.includes(`#${p.frame} `));
    assert.ok(i >= 0 && lines[i + 1].includes('✗') && !lines[i + 1].includes('▶'), lines[i + 1]);
  }
  const svg = renderLadderSvg(t);
  assert.equal((svg.match(/stroke="#c62828" stroke-width="2.5"/g) ?? []).length, lost.length);
});

test('a segment whose arrival the capture cannot decide (arrived null) is marked ?, in text and SVG', () => {
  const t = lab('old-duplicate-syn', 'mid');
  const undecided = t.packets.filter((p) => p.arrived === null && !p.lost);
  assert.ok(undecided.length >= 1);
  const lines = renderLadderText(t);
  for (const p of undecided) {
    const i = lines.findIndex((l) => l.includes(`#${p.frame} `));
    assert.ok(i >= 0 && /\?▶|◀\?/.test(lines[i + 1]), lines[i + 1]);
  }
  assert.ok(lines.some((l) => l.includes('?▶ the capture cannot tell whether it reached its receiver')));
  // Arrivals the capture decides carry no mark.
  assert.equal(
    lines.filter((l) => /\?[▶▷]|[◀◁]\?/.test(l) && !l.includes('cannot tell')).length,
    undecided.length,
  );
  const svg = renderLadderSvg(t);
  assert.equal((svg.match(/class="undecided"/g) ?? []).length, undecided.length);
});

test('a fold never hides a segment whose arrival is undecided', () => {
  const k = bulk.packets.findIndex((p, i) => i > 10 && p.len > 0 && p.tags.length === 0);
  const doubt = { ...bulk, packets: bulk.packets.map((p, i) => (i === k ? { ...p, arrived: null } : p)) };
  const frame = bulk.packets[k].frame;
  assert.ok(!renderLadderText(bulk).some((l) => l.includes(`#${frame} `)), 'folded when it arrived');
  const lines = renderLadderText(doubt);
  const i = lines.findIndex((l) => l.includes(`#${frame} `));
  assert.ok(i >= 0 && /\?▶|◀\?/.test(lines[i + 1]), lines.join('\n'));
});

test('an undecided arrow too short for its ? mark is drawn without it, at every width', () => {
  // The fuzz campaign found the narrowest ladders crashing on the mark (String.repeat(-1)).
  const t = lab('old-duplicate-syn', 'mid');
  for (const width of [1, 20, 30, 40, 60]) {
    const lines = renderLadderText(t, { width });
    assert.ok(lines.length > 0);
  }
});

test('notes too long for one row wrap onto the next rows whole: no socket call is cut', () => {
  // Fast Open's SYN+ACK carries both accept() and connect() returning.
  const t = labRun(findScenario('tcp-fast-open')!, { tap: 'server' }).observation.timelines[1];
  assert.ok(t);
  const text = renderLadderText(t).join('\n');
  assert.ok(text.includes('‹server: accept() can return (Fast Open)›'), text);
  assert.ok(text.includes('‹client: connect() returns›'), text);
  assert.ok(!/‹[^›\n]*…/.test(text), text);
});
