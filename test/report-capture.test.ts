// Ladder, explanation and socket table over a real capture (examples/loopback-lifecycles.pcap:
// Linux loopback; client close, server close, RST abort, half-close, refused), through the
// decoder and the tracker exactly as the CLI runs them.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTimelines } from '../src/cli/load-timelines.js';
import { explain } from '../src/report/explain.js';
import { renderLadderSvg } from '../src/report/ladder-svg.js';
import { renderLadderText } from '../src/report/ladder-text.js';
import { buildStatesReport } from '../src/report/socket-table.js';
import { assertGolden } from './helpers/golden.js';
import { REPO_ROOT } from './helpers/paths.js';

const PCAP = join(REPO_ROOT, 'examples', 'loopback-lifecycles.pcap');
const NAMES = ['client-close', 'server-close', 'rst-abort', 'half-close', 'refused'];

test('loopback lifecycles: ladder (text, SVG) and explanation (en, zh) goldens', async () => {
  const { timelines, code } = await loadTimelines([PCAP]);
  assert.equal(code, 0);
  assert.deepEqual(
    timelines.map((t) => t.id),
    [1, 2, 3, 4, 5],
  );
  for (const t of timelines) {
    const name = `loopback-${t.id}-${NAMES[t.id - 1]}`;
    assertGolden(`ladder/${name}.txt`, `${renderLadderText(t).join('\n')}\n`);
    assertGolden(`ladder/${name}.svg`, renderLadderSvg(t));
    for (const lang of ['en', 'zh'] as const)
      assertGolden(`explain/${name}.${lang}.txt`, `${explain(t, { lang }).join('\n\n')}\n`);
  }
  // What a reader must find in them, whatever the layout.
  const [close, serverClose, abort, half, refused] = timelines;
  assert.ok(renderLadderText(close!).some((l) => /TIME_WAIT │◀/.test(l)));
  assert.ok(
    renderLadderText(serverClose!).some((l) => /│ TIME_WAIT$/.test(l)),
    'the server closed first: its TIME_WAIT',
  );
  assert.ok(explain(abort!).join(' ').includes('The server aborts the connection from ESTABLISHED'));
  assert.ok(explain(half!, { lang: 'zh' }).join('').includes('这正是半关闭'));
  assert.ok(explain(refused!).join(' ').includes('the connection is refused'));
});

test('loopback lifecycles: the socket table at chosen times', async () => {
  const { timelines } = await loadTimelines([PCAP]);
  const first = timelines[0]!.packets[0]!.timeUs;
  const at = (relUs: number) => buildStatesReport(timelines, { atUs: first + relUs });
  // Right after the first SYN: the client in SYN_SENT, the server's socket half-open.
  assert.deepEqual(at(0).hosts, { '127.0.0.1': { LISTEN: 1, SYN_SENT: 1, SYN_RECEIVED: 1 } });
  // During conn 2's close (server closed first): server FIN_WAIT_1, client CLOSE_WAIT; conn 1 TIME_WAIT.
  const c2 = timelines[1]!;
  const fin = c2.packets.find((p) => p.role.startsWith('teardown 1'))!;
  const r = at(fin.timeUs - first);
  assert.deepEqual(
    r.sockets.map((s) => `${s.local.port}:${s.state}:${s.conn ?? '-'}`),
    ['8801:LISTEN:-', '8801:FIN_WAIT_1:2', '35098:TIME_WAIT:1', '35112:CLOSE_WAIT:2'],
  );
  // At the end: three TIME_WAIT sockets (two client-side, one server-side), the listener.
  const end = buildStatesReport(timelines);
  assert.deepEqual(end.hosts, { '127.0.0.1': { LISTEN: 1, TIME_WAIT: 3 } });
  assert.equal(end.timewait[0]!.max_time_wait, 2);
  assert.equal(end.timewait[0]!.exhausted, false);
  assert.deepEqual(end.synflood, []);
});
