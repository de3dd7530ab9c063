// `states` keeps only the segments the socket table reads (src/report/states-from-track.ts), not
// whole timelines, so a 10^6-connection SYN flood fits in memory (issue 14). Its report must be the
// one full timelines give, on every capture of the corpus and the fixtures, at the end of the
// capture and in the middle, with the per-state timeline, and under a filter.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timelineSubject } from '../src/cli/filter-option.js';
import { loadStates, loadTimelines } from '../src/cli/load-timelines.js';
import { buildStatesReport, captureSpan, renderStatesText } from '../src/report/socket-table.js';
import { parseFilter } from '../src/track/filter.js';
import { capturesUnder } from './helpers/captures.js';
import { CORPUS, FIXTURES } from './helpers/paths.js';

const files = [...capturesUnder(FIXTURES), ...capturesUnder(CORPUS)];

test('the compact states input gives the report full timelines give, on every capture', async () => {
  let sockets = 0;
  for (const file of files) {
    const full = await loadTimelines([file]);
    const compact = await loadStates([file]);
    const span = captureSpan(full.timelines);
    assert.deepEqual(compact.span, span, file);
    for (const at of [span.endUs, Math.round((span.startUs + span.endUs) / 2)]) {
      const opts = { timeWaitUs: 60_000_000, atUs: at, timelineSamples: 30 };
      const want = buildStatesReport(full.timelines, opts);
      const got = buildStatesReport(compact.conns, opts);
      assert.deepEqual(got, want, `${file} at ${at}`);
      assert.deepEqual(renderStatesText(got, span.startUs), renderStatesText(want, span.startUs), file);
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
      compact.conns.map((c) => c.id),
      kept.map((t) => t.id),
      file,
    );
    assert.deepEqual(compact.span, captureSpan(full.timelines), file);
  }
});
