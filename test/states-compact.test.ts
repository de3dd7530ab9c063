// `states` keeps only the segments the socket table reads, as typed-array columns
// (src/report/states-from-track.ts, src/track/states-columns.ts), and builds its table from
// columns of intervals, so a 10^6-connection SYN flood fits in memory (issue 14). Its output must
// be the one full timelines give through the object path (buildStatesReport), text and JSON, on
// every capture of the corpus and the fixtures, at the end of the capture and in the middle, with
// the per-state timeline, and under a filter.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timelineSubject } from '../src/cli/filter-option.js';
import { loadStates, loadTimelines } from '../src/cli/load-timelines.js';
import {
  buildColumnStatesReport,
  buildStatesReport,
  captureSpan,
  renderStatesText,
  renderTimelineText,
  type StatesReport,
  writeStatesJson,
} from '../src/report/socket-table.js';
import { parseFilter } from '../src/track/filter.js';
import { socketIntervals, stateTimeline, stateTimelineOf } from '../src/track/host-states.js';
import { AddressBook } from '../src/track/states-columns.js';
import { capturesUnder } from './helpers/captures.js';
import { CORPUS, FIXTURES } from './helpers/paths.js';

const files = [...capturesUnder(FIXTURES), ...capturesUnder(CORPUS)];

function json(r: StatesReport): string {
  let s = '';
  writeStatesJson(r, (piece) => {
    s += piece;
  });
  return s;
}

test('the column report writes what full timelines give, on every capture', async () => {
  let sockets = 0;
  for (const file of files) {
    const full = await loadTimelines([file]);
    const compact = await loadStates([file]);
    const span = captureSpan(full.timelines);
    assert.deepEqual(compact.span, span, file);
    for (const at of [span.endUs, Math.round((span.startUs + span.endUs) / 2)]) {
      const opts = { timeWaitUs: 60_000_000, atUs: at, timelineSamples: 30 };
      const want = buildStatesReport(full.timelines, opts);
      const { report: got, intervals } = buildColumnStatesReport(compact.columns, opts);
      assert.equal(got.table?.length, want.sockets.length, file);
      assert.equal(json(got), JSON.stringify(want), `${file} at ${at}`);
      assert.deepEqual(renderStatesText(got, span.startUs), renderStatesText(want, span.startUs), file);
      // The compact input itself, through the object path.
      assert.deepEqual(buildStatesReport(compact.columns.toObjects(), opts), want, file);
      const tl = stateTimeline(socketIntervals(full.timelines), span.startUs, span.endUs, 60);
      assert.deepEqual(
        renderTimelineText(stateTimelineOf(intervals, span.startUs, span.endUs, 60), span.startUs),
        renderTimelineText(tl, span.startUs),
        file,
      );
      sockets += want.sockets.length;
    }
  }
  assert.ok(sockets > 100, `${sockets} sockets compared`);
});

test('under a filter: the same connections kept, the span still the whole capture', async () => {
  const filter = parseFilter('state TIME_WAIT or conn_state REJ');
  for (const file of files.slice(0, 40)) {
    const full = await loadTimelines([file]);
    const compact = await loadStates([file], {}, (rec) => filter.matches(rec));
    const kept = full.timelines.filter((t) => filter.matches(timelineSubject(t)));
    assert.deepEqual(
      compact.columns.toObjects().map((c) => c.id),
      kept.map((t) => t.id),
      file,
    );
    assert.deepEqual(compact.span, captureSpan(full.timelines), file);
  }
});

test('IPv4 addresses as numbers sort as their texts do, and come back as themselves', () => {
  const book = new AddressBook();
  const texts: string[] = [];
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const o = [x >>> 24, (x >>> 16) & 255, i % 3 === 0 ? 1 : (x >>> 8) & 255, i % 7];
    texts.push(o.join('.'));
  }
  texts.push('0.0.0.0', '255.255.255.255', '1.2.3.4', '1.2.3.40', '10.0.0.1', '9.0.0.1');
  const ids = texts.map((t) => book.id(t));
  assert.ok(book.onlyIpv4);
  assert.deepEqual(
    ids.map((a) => book.text(a)),
    texts,
  );
  const byText = texts
    .map((_t, i) => i)
    .sort((a, b) => (texts[a]! < texts[b]! ? -1 : texts[a]! > texts[b]! ? 1 : 0));
  const byOrder = texts.map((_t, i) => i).sort((a, b) => book.order(ids[a]!) - book.order(ids[b]!));
  assert.deepEqual(
    byOrder.map((i) => texts[i]),
    byText.map((i) => texts[i]),
  );
  // Any other text is kept as it is.
  for (const t of ['::1', '01.2.3.4', 'fe80::1']) assert.equal(book.text(book.id(t)), t);
  assert.ok(!book.onlyIpv4);
});
