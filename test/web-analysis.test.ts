// The web worker's analysis without a browser: its columnar packet store gives the same timelines
// as the report layer's TimelineCollector (what the CLI's ladder and explain read), rows survive
// their columnar trip to the page, the list's packed sort orders as a comparator would, and the
// search answers to the words people type ("rst", "fin", state names).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { labRun } from '../src/lab/lab-report.js';
import { findScenario } from '../src/lab/scenarios/index.js';
import { TimelineCollector } from '../src/report/timeline-from-track.js';
import { DEFAULT_TRACKING, newFlowTable } from '../src/report/tracking.js';
import { forEachDecoded } from '../src/wire/capture-bytes.js';
import { CaptureAnalysis } from '../web/src/analysis.js';
import {
  filterRows,
  keyRanks,
  NO_FILTERS,
  SearchIndex,
  type SortKey,
  searchText,
  sortKeys,
  sortRows,
} from '../web/src/filters.js';
import type { ConnRow } from '../web/src/protocol.js';
import { encodeRows, Rows, RowTable } from '../web/src/row-columns.js';
import { FIXTURES, REPO_ROOT } from './helpers/paths.js';

const CAPTURES = [
  join(REPO_ROOT, 'examples', 'loopback-lifecycles.pcap'),
  join(FIXTURES, 'ws-loss.pcap'),
  join(FIXTURES, 'ws-reorder.pcap'),
  join(FIXTURES, 'tcpdump-lo-ipv6.pcap'),
  join(FIXTURES, 'port-exhaustion.pcap'),
  join(FIXTURES, 'kernel', 'forged-rst-exact.server.pcap'),
];

function analyse(file: string): { a: CaptureAnalysis; rows: ConnRow[] } {
  const bytes = readFileSync(file);
  const a = new CaptureAnalysis(file, 60);
  for (let i = 0; i < bytes.length; i += 4096) a.push(bytes.subarray(i, i + 4096));
  a.finish();
  return { a, rows: a.takeRows() };
}

test('the worker builds each connection\u2019s timeline from its columns exactly as TimelineCollector does', () => {
  for (const file of CAPTURES) {
    const collector = new TimelineCollector();
    const table = newFlowTable(DEFAULT_TRACKING, collector.onEnd, collector.onPacket);
    forEachDecoded(
      readFileSync(file),
      { reassemble: true, verifyChecksums: false },
      (pkt) => void table.process(pkt),
    );
    table.finish();
    const { a, rows } = analyse(file);
    assert.equal(rows.length, collector.timelines.length, file);
    for (const t of collector.timelines) assert.deepEqual(a.timeline(t.id), t, `${file} conn ${t.id}`);
  }
});

test('rows travel as columns and come back equal, chunk after chunk', () => {
  const rows = CAPTURES.flatMap((f) => analyse(f).rows);
  const table = new RowTable();
  for (let i = 0; i < rows.length; i += 7) table.append(encodeRows(rows.slice(i, i + 7)));
  const half = table.view();
  const back = Array.from({ length: half.length }, (_, i) => half.at(i));
  assert.deepEqual(back, rows);
  assert.ok(rows.some((r) => r.reset !== null) && rows.some((r) => r.reset === null));
  // A view handed out earlier keeps its rows while the table grows past it.
  const early = Rows.of(rows.slice(0, 3));
  assert.deepEqual([early.at(0), early.at(1), early.at(2)], rows.slice(0, 3));
  assert.equal(
    half.indexOfId(rows[5].id),
    rows.findIndex((r) => r.id === rows[5].id),
  );
});

test('the packed sort orders rows as a comparator on the column would, ties by id, both ways', () => {
  const { rows: list } = analyse(CAPTURES[4]);
  const rows = list;
  const table = Rows.of(list);
  const indexOfId = new Int32Array(Math.max(...rows.map((r) => r.id)) + 1).fill(-1);
  rows.forEach((r, i) => {
    indexOfId[r.id] = i;
  });
  const keys: SortKey[] = [
    'id',
    'client',
    'server',
    'duration',
    'packets',
    'bytes',
    'history',
    'start',
    'rtt',
    'bpsResp',
  ];
  for (const key of keys) {
    const k = sortKeys(table, key);
    for (const desc of [false, true]) {
      const idx = filterRows(table, (i) => searchText(rows[i]), NO_FILTERS);
      const got = sortRows(table, idx, keyRanks(k), desc, indexOfId);
      const want = [...idx].sort((i, j) => (desc ? k[j] - k[i] : k[i] - k[j]) || rows[i].id - rows[j].id);
      assert.deepEqual(got, want, `${key} ${desc ? 'desc' : 'asc'}`);
    }
  }
});

test('search speaks the close and event vocabulary: rst, reset, refused, fin, state names', () => {
  const { rows } = analyse(CAPTURES[0]);
  const table = Rows.of(rows);
  const ids = (text: string) =>
    filterRows(table, (i) => searchText(rows[i]), { ...NO_FILTERS, text })
      .map((i) => rows[i].id)
      .sort((x, y) => x - y);
  const resets = rows.filter((r) => r.reset !== null || r.handshake === 'refused').map((r) => r.id);
  assert.deepEqual(
    ids('rst'),
    resets.sort((x, y) => x - y),
  );
  assert.deepEqual(ids('RST'), ids('reset'));
  assert.deepEqual(
    ids('refused'),
    rows.filter((r) => r.handshake === 'refused').map((r) => r.id),
  );
  assert.deepEqual(
    ids('fin'),
    rows
      .filter((r) => ['orig', 'resp', 'both'].includes(r.close))
      .map((r) => r.id)
      .sort((x, y) => x - y),
  );
  assert.ok(ids('time_wait').length > 0);
});

test('filters read the columns as the rows say: address, port, state, event kind, conn_state', () => {
  const rows = CAPTURES.flatMap((f) => analyse(f).rows);
  const table = Rows.of(rows);
  const got = (f: Partial<typeof NO_FILTERS>) =>
    filterRows(table, (i) => searchText(rows[i]), { ...NO_FILTERS, ...f });
  const want = (keep: (r: ConnRow) => boolean) => rows.flatMap((r, i) => (keep(r) ? [i] : []));
  const some = rows.find((r) => r.respPort !== 0)!;
  const prefix = `${some.origIp.split('.').slice(0, 2).join('.')}.`;
  const cases: [Partial<typeof NO_FILTERS>, (r: ConnRow) => boolean][] = [
    [{ addr: some.respIp }, (r) => r.origIp === some.respIp || r.respIp === some.respIp],
    [{ addr: `:${some.respPort}` }, (r) => r.origPort === some.respPort || r.respPort === some.respPort],
    [
      { addr: `${some.respIp}:${some.respPort}` },
      (r) =>
        (r.origIp === some.respIp && r.origPort === some.respPort) ||
        (r.respIp === some.respIp && r.respPort === some.respPort),
    ],
    [{ addr: prefix }, (r) => r.origIp.startsWith(prefix) || r.respIp.startsWith(prefix)],
    [{ addr: '[::1]' }, (r) => r.origIp === '::1' || r.respIp === '::1'],
    [{ connState: 'SF' }, (r) => r.connState === 'SF'],
    [{ connState: 'NO-SUCH' }, () => false],
    [{ state: 'TIME_WAIT' }, (r) => r.finalOrig === 'TIME_WAIT' || searchText(r).includes('time_wait')],
  ];
  for (const [f, keep] of cases) {
    const w = want(keep);
    assert.deepEqual(got(f), w, JSON.stringify(f));
    assert.ok(w.length > 0 || f.connState === 'NO-SUCH', `${JSON.stringify(f)} matches some row`);
  }
});

test('every arrow the ladder draws, folded or every packet, falls in one paragraph of the story', () => {
  for (const file of CAPTURES) {
    const { a, rows } = analyse(file);
    for (const r of rows) {
      for (const all of [false, true]) {
        const d = a.conn(r.id, { all, open: [], timeScale: false, symbolic: false })!;
        for (const p of d.arrows) {
          const paras = d.spans.filter(([x, y]) => x > 0 && x <= p.frame && p.frame <= y);
          assert.equal(paras.length, 1, `${file} conn ${r.id} frame ${p.frame} (${all ? 'all' : 'folded'})`);
        }
      }
    }
  }
});

test('the search index finds exactly the rows a row-by-row search finds, for one term or several', () => {
  const rows = CAPTURES.flatMap((f) => analyse(f).rows);
  const table = Rows.of(rows);
  const index = SearchIndex.build(table);
  const byRow = (text: string) => filterRows(table, (i) => searchText(rows[i]), { ...NO_FILTERS, text });
  const byIndex = (text: string) => filterRows(table, () => '', { ...NO_FILTERS, text }, index);
  for (const text of [
    'rst',
    'RST fin',
    'reset',
    'time_wait',
    '#1',
    '#1 ',
    '10.',
    ':80',
    'sf',
    'hs:complete close:orig',
    'retransmission dup-ack',
    'no-such-word',
    '1',
    'S',
  ]) {
    const want = byRow(text);
    assert.deepEqual(byIndex(text), want, text);
  }
  assert.ok(byRow('rst').length > 0 && byRow('rst').length < rows.length);
  // Rows that came after the index was built are searched one by one.
  const partial = SearchIndex.build(Rows.of(rows.slice(0, 10)));
  assert.deepEqual(
    filterRows(table, (i) => searchText(rows[i]), { ...NO_FILTERS, text: 'rst' }, partial),
    byRow('rst'),
  );
});

test('the worker analyses with the tap the page chose: silence beside the receiver proves a SYN+ACK lost', () => {
  // The lab's lost SYN+ACK, captured beside the client: the server answers only the retransmitted
  // SYN, so beside the server (where its first SYN+ACK would be seen) the first SYN never arrived.
  const lab = labRun(findScenario('synack-lost')!, { tap: 'client' });
  const firstStates = (tap: string) => {
    const a = new CaptureAnalysis('synack-lost.pcap', lab.timeWaitSec, tap);
    a.push(lab.pcap);
    a.finish();
    return a.timeline(1)?.packets[0]?.states;
  };
  assert.deepEqual(firstStates('client'), { orig: 'SYN_SENT', resp: 'SYN_RECEIVED' });
  assert.deepEqual(firstStates('server'), { orig: 'SYN_SENT', resp: 'LISTEN' });
  assert.deepEqual(firstStates('auto'), firstStates('client'), 'auto decides as the CLI does');
});
