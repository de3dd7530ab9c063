// The ten errors a TCP teacher found in synack's explanations (issue 16), each pinned here on the
// lab scenario (or capture) that showed it, in English and, where the error was in the words, in
// Chinese too.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { labRun } from '../src/lab/lab-report.js';
import type { TapName } from '../src/lab/network.js';
import { observeCapture } from '../src/lab/observe.js';
import type { Scenario } from '../src/lab/scenario.js';
import { findScenario } from '../src/lab/scenarios/index.js';
import { clientCloseAt } from '../src/lab/scenarios/shapes.js';
import { explain, explainStory } from '../src/report/explain.js';
import { renderLadderText } from '../src/report/ladder-text.js';
import { formatDuration } from '../src/report/timeline.js';
import { FIXTURES } from './helpers/paths.js';

function story(name: string | Scenario, tap: TapName, opts: { timeWaitS?: number; conn?: number } = {}) {
  const s = typeof name === 'string' ? findScenario(name) : name;
  assert.ok(s);
  const lab = labRun(s, { tap });
  const t = lab.observation.timelines.find((x) => x.id === (opts.conn ?? 1));
  assert.ok(t);
  return {
    t,
    lab,
    en: explain(t, { timeWaitS: opts.timeWaitS }).join('\n'),
    zh: explain(t, { lang: 'zh', timeWaitS: opts.timeWaitS }).join('\n'),
  };
}

test('1. third-ack-lost-data at the server tap: the right roles, and the data completes the handshake', () => {
  const { t, en, zh } = story('third-ack-lost-data', 'server');
  assert.doesNotMatch(en, /the server already believes the connection is ESTABLISHED/);
  // Beside the server the lost ACK never shows: the data completes the handshake, and the story
  // does not claim to know whether a pure ACK was lost before the tap or never sent.
  assert.match(
    en,
    /No ACK of the SYN\+ACK on its own reached this capture: this data segment carries the acknowledgment and completes the server's handshake/,
  );
  assert.match(en, /this capture cannot tell which/);
  assert.match(zh, /完成了服务端的握手/);
  const s = explainStory(t);
  const data = s.steps.find((x) => x.kind === 'data' && x.evidence.moves.length > 0);
  assert.ok(data);
  assert.deepEqual(data.evidence.moves, [{ side: 'server', from: 'SYN_RECEIVED', to: 'ESTABLISHED' }]);
  assert.equal(data.actor, 'client');
});

test('1. a data segment that carries the handshake ACK: "lost" only where the capture shows the ACK lost; beside the client, piggybacked', () => {
  // Real Linux (kernel-lab): the Fast Open client's first connection writes its request before the
  // handshake ends, so its first data segment carries the ACK and no pure ACK is ever sent.
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'kernel-lab', 'tcp-fast-open.client.pcap')));
  const beside = observeCapture(bytes, { tap: 'client' }).timelines[0];
  assert.equal(beside.tap, 'orig');
  const s = explainStory(beside);
  assert.match(
    s.steps[2].text,
    /The client sent no ACK of the SYN\+ACK on its own \(this capture, taken beside it, would show one\)/,
  );
  assert.ok(!s.findings.some((f) => f.kind === 'handshake-ack-lost'));
  assert.ok(!s.steps.some((x) => x.text.includes('lost third segment')));
  assert.ok(explain(beside, { lang: 'zh' }).join('').includes('没有单独发送确认 SYN+ACK 的 ACK'));
  // The mid tap's capture shows the pure ACK, then its loss: still told as lost.
  const mid = story('third-ack-lost-data', 'mid');
  assert.ok(!mid.en.includes('No ACK of the SYN+ACK on its own'), mid.en);
});

test('2. a lost SYN: the 1-2-4 s doubling and tcp_syn_retries, not "3 s / 7 s after the first"', () => {
  const base = findScenario('syn-lost')!;
  const twice: Scenario = {
    ...base,
    name: 'syn-lost-twice',
    link: { rules: [{ match: 'SYN', dir: 'c2s', nth: 1, count: 2, action: 'drop', where: 'before-mid' }] },
    // Close after the third SYN (at 3 s) has been answered.
    timeline: [...base.timeline.filter((a) => a.do !== 'close'), ...clientCloseAt('c1', 5000)],
  };
  const { en, zh, t } = story(twice, 'client');
  assert.match(en, /sends its SYN again \(copy 3\), 2 s after the previous one \(3 s after the first\)/);
  assert.match(en, /1 s, 2 s apart: the retransmission timer doubles each time/);
  assert.match(en, /tcp_syn_retries times \(default 6/);
  assert.match(en, /about 127 s after the first SYN/);
  assert.doesNotMatch(en, /or its answer was lost/);
  assert.match(zh, /127 秒/);
  // The claim about the first SYN follows the tracker's word: never "receives" a SYN it calls lost.
  const first = explainStory(t).steps[0];
  if (first.evidence.arrived === false) assert.doesNotMatch(first.text, /receives the SYN/);
  // syn-lost itself, at the taps that see the lost SYN: it is lost, the server stays in LISTEN.
  for (const tap of ['client', 'mid'] as const) {
    const step = explainStory(story('syn-lost', tap).t).steps[0];
    assert.equal(step.evidence.arrived, false, tap);
    assert.equal(step.states.server, 'LISTEN', tap);
    assert.match(
      step.text,
      /It was lost before reaching the server: the server answered only the copy sent at frame 2/,
    );
    assert.doesNotMatch(step.text, /receives the SYN/);
  }
});

test('3. old-duplicate-syn: named, why three segments, the RST is a rejection not an abort, relative numbers restart', () => {
  const { t, en, zh } = story('old-duplicate-syn', 'mid');
  assert.match(en, /An old duplicate SYN \(RFC 9293 §3\.5, Figure 8\)/);
  assert.match(en, /This is why TCP needs three segments: with a two-way handshake/);
  assert.match(zh, /这正是 TCP 需要三次握手的原因/);
  const rst = explainStory(t).steps.find((s) => s.kind === 'rst');
  assert.ok(rst);
  assert.match(rst.text, /rejects it \(RFC 9293 §3\.10\.7\.3\) and keeps waiting in SYN_SENT/);
  assert.doesNotMatch(rst.text, /aborts/);
  assert.doesNotMatch(en, /the client reset the connection/);
  // The real SYN's relative sequence number is 0, not its distance from the old SYN's.
  const ladder = renderLadderText(t).join('\n');
  assert.doesNotMatch(ladder, /seq=2885797787/);
});

test('3. old-duplicate-syn beside the server: each RST answers its own segment; the second, meeting LISTEN, is no forgery', () => {
  // The client rejects both the SYN+ACK and the server's ACK of the old SYN with <SEQ=SEG.ACK>
  // (§3.10.7.3); such an answer leaves its sender in SYN_SENT, so its going on sending proves
  // nothing, and the second RST reaches a server already back in LISTEN, which ignores it.
  const { t, en, zh } = story('old-duplicate-syn', 'server');
  const rsts = explainStory(t).steps.filter((s) => s.kind === 'rst');
  assert.equal(rsts.length, 2);
  assert.match(rsts[0].text, /the acknowledgment number of the SYN\+ACK it answers/);
  assert.match(rsts[1].text, /the acknowledgment number of the ACK it answers/);
  assert.match(rsts[1].text, /a listener ignores every RST \(RFC 9293 §3\.10\.7\.2\)/);
  assert.doesNotMatch(en, /forged/);
  assert.match(zh, /监听中的一端忽略一切 RST/);
  assert.ok(t.packets.every((p) => !p.tags.includes('rst-suspect-forged')));
});

test('10. old-duplicate-syn: Wireshark tags that count from a left-behind ISN are read as what they are', () => {
  // After the client's SYN under a new ISN, tshark starts a new stream ("port reuse") and reads
  // the server's ACK of the old SYN (its answer from SYN_RECEIVED) and the new ISNs as gaps and
  // acknowledgments of unseen bytes: nothing was missing at any tap.
  for (const tap of ['client', 'mid', 'server'] as const) {
    const { en, zh } = story('old-duplicate-syn', tap);
    assert.doesNotMatch(en, /never showed|missing from the capture|a new connection begins|1409169510/, tap);
    assert.doesNotMatch(zh, /1409169510/, tap);
    assert.match(
      en,
      /It acknowledges 91, not the client's ISN \+ 1 \(2885797878\): the server is still in SYN_RECEIVED/,
      tap,
    );
    assert.match(en, /RFC 5961 §4 calls it a challenge ACK/, tap);
    assert.match(zh, /RFC 5961 §4 称之为挑战 ACK/, tap);
    // The ladder draws the numbers of the old incarnation absolute, as the story cites them.
    const ladder = renderLadderText(story('old-duplicate-syn', tap).t).join('\n');
    assert.doesNotMatch(ladder, /1409169510/, tap);
    assert.match(ladder, /RST seq=91 /, tap);
    assert.match(ladder, /ACK seq=1 ack=91 /, tap);
    if (tap === 'client')
      assert.match(en, /ack=91, which is not the client's ISN \+ 1: it acknowledges a SYN/);
    else {
      assert.match(en, /Wireshark marks this as port reuse .*synack keeps one connection/);
      assert.match(zh, /Wireshark 把它标为端口重用/);
    }
  }
});

test('4. simultaneous close: nobody "closes first", no crossing FIN called "step 2 of 4"', () => {
  for (const tap of ['client', 'mid', 'server'] as const) {
    const { en } = story('simultaneous-close', tap);
    assert.doesNotMatch(en, /is the first to close/, tap);
    assert.doesNotMatch(en, /FIN\+ACK \(teardown, step 2 of 4\)/, tap);
    assert.match(en, /simultaneous close: the two FINs cross/, tap);
    assert.match(en, /Neither closed first/, tap);
  }
});

test('5. keep-alive giving up: the final RST is the keep-alive verdict, not an "abort"', () => {
  const { t } = story('keepalive', 'client');
  const rst = explainStory(t).steps.find((s) => s.kind === 'rst' && s.actor === 'client');
  assert.ok(rst);
  assert.match(rst.text, /keep-alive probes went unanswered/);
  assert.doesNotMatch(rst.text, /aborts the connection instead of closing it/);
  // Nor an application's abort in other words: the kernel gave up, nobody called close().
  assert.doesNotMatch(rst.text, /aborts|SO_LINGER/);
  assert.match(rst.text, /fails with ETIMEDOUT/);
  assert.deepEqual(rst.evidence.socket, []);
  assert.match(explainStory(t, { lang: 'zh' }).steps.find((s) => s.frame === rst.frame)!.text, /ETIMEDOUT/);
  const ladder = renderLadderText(t).join('\n');
  assert.doesNotMatch(ladder, /SO_LINGER/);
  // A real SO_LINGER 0 close still says so.
  assert.match(
    renderLadderText(story('client-abort', 'client').t).join('\n'),
    /client: close\(\), SO_LINGER 0/,
  );
});

test('6. a SYN+ACK right after a repeated SYN answers it; it is not "the ACK never arrived"', () => {
  const { t, en } = story('synack-lost', 'server');
  assert.match(en, /This is an answer to the duplicate SYN, not a timer retransmission/);
  const answer = explainStory(t).steps.find((s) => s.evidence.answers !== undefined);
  assert.ok(answer && answer.kind === 'syn-ack');
  assert.ok(answer.evidence.answers!.after_us < 1000);
});

test('7. port exhaustion: TIME_WAIT endings decided from the capture, never "either … or"', () => {
  const s = findScenario('port-exhaustion')!;
  const lab = labRun(s, { tap: 'mid' });
  const t = lab.observation.timelines[0];
  const next = lab.observation.timelines.find((x) => x.id > t.id && x.orig.port === t.orig.port)!;
  const at = { id: next.id, timeUs: next.packets[0].timeUs };
  const told = explain(t, { timeWaitS: 2, next: at }).join('\n');
  assert.match(told, /TIME_WAIT \(2 s\) had run out by then/);
  assert.doesNotMatch(told, /, or a new SYN on the same port pair took it over/);
  assert.doesNotMatch(told, /higher sequence number/);
  const linux = explain(t, { timeWaitS: 60, next: at }).join('\n');
  assert.match(linux, /this host's TIME_WAIT lasted at most 2\.030 s, or net\.ipv4\.tcp_tw_reuse/);
  assert.doesNotMatch(linux, /RFC 6191/);
});

test('8. Chinese: minutes are 分钟, and a SYN may carry data (RFC 7413)', () => {
  assert.equal(formatDuration(240_000_000, 'zh'), '4 分钟');
  assert.equal(formatDuration(125_000_000, 'zh'), '2 分钟 5 秒');
  const { zh } = story('client-close', 'mid');
  assert.doesNotMatch(zh, /SYN 报文不能携带数据/);
  assert.match(zh, /SYN 要消耗一个序列号/);
});

test('9. simultaneous open: no "round trip" from tshark\'s initial_rtt', () => {
  for (const tap of ['client', 'mid', 'server'] as const) {
    const { en, zh } = story('simultaneous-open', tap);
    assert.doesNotMatch(en, /round trip/, tap);
    assert.doesNotMatch(zh, /往返时间/, tap);
  }
});

test('10. numbers: a refusal RST shows seq 0 as on the wire; challenge ACKs and TIME_WAIT re-ACKs named', () => {
  const refused = story('refused', 'client');
  assert.match(refused.en, /answers the SYN with RST\+ACK: seq=0, ack=\d+ \(the SYN's ISN \+ 1\)/);
  const forged = story('forged-rst-in-window', 'mid');
  assert.match(
    forged.en,
    /This is a challenge ACK \(RFC 5961 §3\), not a duplicate ACK for a missing segment/,
  );
  assert.doesNotMatch(forged.en, /because a segment is missing/);
  const last = story('last-ack-lost', 'client');
  assert.match(
    last.en,
    /in TIME_WAIT, acknowledges the server's retransmitted FIN again: its first ACK was lost/,
  );
  assert.doesNotMatch(last.en, /because a segment is missing/);
});
