// `states` writes its report as it renders it (issue 14: a 10^6-SYN flood's table is millions of
// lines, and its JSON hundreds of megabytes as one string): writeStatesJson's pieces are
// JSON.stringify(report) byte for byte, and the text's per-host blocks are the same whether the
// sockets come sorted by host (walked as runs) or not (grouped), on every capture of the corpus.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadStates } from '../src/cli/load-timelines.js';
import { buildStatesReport, renderStatesText, writeStatesJson } from '../src/report/socket-table.js';
import { capturesUnder } from './helpers/captures.js';
import { CORPUS, FIXTURES } from './helpers/paths.js';

const files = [...capturesUnder(FIXTURES), ...capturesUnder(CORPUS)];

test('writeStatesJson is JSON.stringify(report), with and without the timeline', async () => {
  let sockets = 0;
  for (const file of files) {
    const { columns, span } = await loadStates([file]);
    const conns = columns.toObjects();
    for (const timelineSamples of [0, 12]) {
      const report = buildStatesReport(conns, { atUs: span.endUs, timelineSamples });
      let got = '';
      writeStatesJson(report, (piece) => {
        got += piece;
      });
      assert.equal(got, JSON.stringify(report), file);
      sockets += report.sockets.length;
    }
  }
  assert.ok(sockets > 100, `${sockets} sockets written`);
});

test('the text table is the same when the sockets do not come sorted by host', async () => {
  let compared = 0;
  for (const file of files) {
    const { columns, span } = await loadStates([file]);
    const conns = columns.toObjects();
    const report = buildStatesReport(conns, { atUs: span.endUs });
    const hosts = new Set(report.sockets.map((s) => s.host));
    if (hosts.size < 2) continue;
    // Hosts in reverse order, each host's rows in their order: the grouping path.
    const reversed = [...hosts]
      .sort()
      .reverse()
      .flatMap((h) => report.sockets.filter((s) => s.host === h));
    assert.deepEqual(
      renderStatesText({ ...report, sockets: reversed }, span.startUs),
      renderStatesText(report, span.startUs),
      file,
    );
    compared++;
  }
  assert.ok(compared > 5, `${compared} captures with several hosts`);
});
