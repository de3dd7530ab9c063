// `synack explain --topic T` and `explain --json` (issue 16): every state, every event kind and
// the kernel settings the articles name have a topic in English and Chinese, findable by the
// names netstat, ss and TCPView print; the phrasebooks have every note and finding in both
// languages; the JSON story has PRODUCT.md's shape.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { labRun } from '../src/lab/lab-report.js';
import { findScenario } from '../src/lab/scenarios/index.js';
import type { FindingKind, NoteKey } from '../src/report/explain.js';
import { EN } from '../src/report/explain-en.js';
import { ZH } from '../src/report/explain-zh.js';
import { findTopic, TOPICS, topicForEvent, topicForState } from '../src/report/topics.js';
import { STATE_NAMES } from '../src/tcp/state.js';
import { EVENT_KINDS } from '../src/track/kinds.js';
import { synack } from './helpers/synack-cli.js';

const CJK = /[\u4e00-\u9fff]/;

test('every state and every event kind has a topic, in English and in Chinese', () => {
  for (const s of STATE_NAMES) {
    const t = topicForState(s);
    assert.ok(t, s);
    assert.equal(t.group, 'state');
    assert.ok(!CJK.test(t.text.en) || t.text.en.includes('半连接'), s);
    assert.ok(CJK.test(t.text.zh), s);
  }
  for (const k of EVENT_KINDS) {
    const t = topicForEvent(k);
    assert.ok(t, k);
    assert.ok(t.text.en.length > 60 && CJK.test(t.text.zh), k);
  }
  const ids = new Set(TOPICS.map((t) => t.id));
  assert.equal(ids.size, TOPICS.length, 'topic ids are unique');
  for (const t of TOPICS) for (const s of t.see) assert.ok(ids.has(s), `${t.id} → ${s}`);
});

test('topics are found by the names netstat, ss and TCPView print, and the settings the articles name', () => {
  const by: [string, string][] = [
    ['SYN_RECV', 'syn-received'],
    ['SYN-SENT', 'syn-sent'],
    ['LISTENING', 'listen'],
    ['ESTAB', 'established'],
    ['FIN_WAIT2', 'fin-wait-2'],
    ['time_wait', 'time-wait'],
    ['net.ipv4.tcp_syn_retries', 'tcp-syn-retries'],
    ['tcp_synack_retries', 'tcp-synack-retries'],
    ['net.core.somaxconn', 'somaxconn'],
    ['tcp_max_syn_backlog', 'tcp-max-syn-backlog'],
    ['syncookies', 'tcp-syncookies'],
    ['tcp_tw_reuse', 'tcp-tw-reuse'],
    ['SO_LINGER', 'so-linger'],
    ['半连接队列', 'syn-queue'],
    ['全连接队列', 'accept-queue'],
    ['2MSL', 'time-wait'],
    ['MSL', 'msl'],
    ['why-three', 'old-duplicate-syn'],
    ['ISN', 'isn'],
  ];
  for (const [name, id] of by) assert.equal(findTopic(name)?.id, id, name);
  assert.equal(findTopic('no-such-thing'), undefined);
});

test('TIME_WAIT and MSL: both reasons, RFC 793 2 min / 2MSL 4 min against Linux 60 s, in both languages', () => {
  const tw = findTopic('time-wait')!;
  assert.match(tw.text.en, /last ACK is lost/);
  assert.match(tw.text.en, /old duplicate segments/);
  assert.match(tw.text.en, /2 minutes, so TIME_WAIT = 2MSL = 4 minutes; Linux uses a fixed 60 s/);
  assert.match(tw.text.zh, /2 分钟，所以 TIME_WAIT = 2MSL = 4 分钟；Linux 固定为 60 秒/);
  // What a capture can and cannot show of it, said honestly.
  const msl = findTopic('msl')!;
  assert.match(msl.text.en, /No capture shows the MSL or a TIME_WAIT running/);
  assert.match(msl.text.zh, /抓包既看不到 MSL/);
});

test('every note and finding of the story has a sentence in both languages', () => {
  const notes: NoteKey[] = Object.keys(EN.notes) as NoteKey[];
  assert.deepEqual(Object.keys(ZH.notes).sort(), [...notes].sort());
  for (const k of notes) {
    assert.ok(!CJK.test(EN.notes[k]({ who: 'orig', frame: 3, after: '1 s' })), k);
    assert.ok(CJK.test(ZH.notes[k]({ who: 'orig', frame: 3, after: '1 秒' })), k);
  }
  const findings = Object.keys(EN.findings) as FindingKind[];
  assert.deepEqual(Object.keys(ZH.findings).sort(), [...findings].sort());
  const end = { who: 'orig' as const, timeWait: '60 s', reusedAfter: '2 s', nextConn: 2, ownPort: true };
  for (const k of findings) {
    const c = {
      who: 'orig' as const,
      frames: [1],
      count: 2,
      gaps: ['1 s'],
      timeWait: '60 s',
      isn: { orig: 1, resp: 2 },
      end,
      flood: { listener: '10.0.0.2:80', silent: 19, halfOpen: 9, synAcks: 1, stillFull: 9 },
    };
    assert.ok(EN.findings[k](c).length > 40, k);
    assert.ok(CJK.test(ZH.findings[k](c)), k);
  }
});

test('synack explain --topic: text, --lang zh, --json, list, and a clear error for an unknown one', () => {
  const zh = synack(['explain', '--topic', 'time-wait', '--lang', 'zh']);
  assert.equal(zh.code, 0);
  assert.match(zh.stdout, /^TIME_WAIT（时间等待）\n/);
  assert.match(zh.stdout, /2MSL = 4 分钟/);
  const ss = synack(['explain', '--topic', 'SYN-RECV']);
  assert.match(ss.stdout, /^SYN_RECEIVED\nAlso: SYN_RECV/);
  const list = synack(['explain', '--topic', 'list']);
  for (const s of STATE_NAMES) assert.ok(list.stdout.includes(`  ${topicForState(s).id} `), s);
  const j = JSON.parse(synack(['explain', '--topic', 'so-linger', '--json']).stdout);
  assert.equal(j.id, 'so-linger');
  assert.ok(j.text.en && j.text.zh);
  const bad = synack(['explain', '--topic', 'nope']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /no topic "nope"/);
});

test('synack explain --json: the story as data, with the shape PRODUCT.md gives it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'b16-explain-'));
  try {
    const file = join(dir, 'c.pcap');
    writeFileSync(file, labRun(findScenario('client-close')!, { tap: 'mid' }).pcap);
    const r = synack(['explain', file, '--conn', '1', '--json', '--lang', 'zh']);
    assert.equal(r.code, 0, r.stderr);
    const story = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(story), ['conn', 'lang', 'summary', 'steps', 'findings']);
    assert.equal(story.conn, 1);
    assert.equal(story.lang, 'zh');
    for (const s of story.steps) {
      assert.deepEqual(Object.keys(s), ['frame', 'time', 'actor', 'states', 'kind', 'evidence', 'text']);
      assert.deepEqual(Object.keys(s.states), ['client', 'server']);
    }
    assert.equal(story.steps[0].kind, 'syn');
    assert.equal(story.steps[0].actor, 'client');
    assert.deepEqual(story.steps[0].states, { client: 'SYN_SENT', server: 'SYN_RECEIVED' });
    assert.ok(story.findings.some((f: { kind: string }) => f.kind === 'closed-first'));
    // The text is rendered from the same story: the English run has the same steps and claims.
    const en = JSON.parse(synack(['explain', file, '--conn', '1', '--json']).stdout);
    assert.deepEqual(
      en.steps.map((s: { frame: number; states: unknown }) => [s.frame, s.states]),
      story.steps.map((s: { frame: number; states: unknown }) => [s.frame, s.states]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the accept queue, tcp_abort_on_overflow and TCP Fast Open are topics, with the lab scenarios that show them', () => {
  const ov = findTopic('tcp_abort_on_overflow')!;
  assert.equal(ov.id, 'tcp-abort-on-overflow');
  assert.match(ov.text.en, /0 \(the default\): it drops the ACK/);
  assert.match(ov.text.en, /1: it answers the ACK with a RST/);
  assert.match(ov.text.zh, /全连接队列满时/);
  assert.match(findTopic('accept-queue')!.text.en, /backlog \+ 1 fit/);
  const tfo = findTopic('TFO')!;
  assert.match(tfo.text.en, /tfo cookiereq/);
  assert.match(tfo.text.en, /synack lab run tcp-fast-open/);
  assert.match(tfo.text.zh, /“SYN 报文不能携带数据”说的是经典的三次握手/);
});

test("the articles' side questions: a scan's SYN_SENTs, who holds an ESTABLISHED socket, the busy listener's RST, 2MSL in the books", () => {
  assert.match(findTopic('SYN_SENT')!.text.en, /many different hosts are a scan/);
  assert.match(findTopic('SYN_SENT')!.text.zh, /扫描/);
  assert.match(findTopic('ESTABLISHED')!.text.en, /synack watch/);
  assert.match(findTopic('rst')!.text.en, /tcp_abort_on_overflow = 1/);
  assert.match(findTopic('rst')!.text.zh, /全连接队列已满/);
  assert.match(findTopic('MSL')!.text.zh, /《HTTP 权威指南》/);
});
