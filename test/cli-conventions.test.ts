// The conventions users bring from tcpdump, tshark, Zeek and ss (issue 13), through the command
// line as a user types it: the shared tracking options on every command built on the flow table
// (the connection ids of ladder, explain, states and extract are conns' ids whatever --idle,
// --max-conns and --dedup say), …

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from './helpers/paths.js';
import { jsonLines, synack } from './helpers/synack-cli.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'loopback-lifecycles.pcap');

describe('tracking options on ladder, explain, states and extract', () => {
  // --idle 0.01 splits the first connection (35098) at its 50 ms pause: conns' id 2 is its second half.
  const split = jsonLines<{ id: number; start: number; orig: { port: number } }>(
    synack(['conns', '--json', '--sort', 'id', '--idle', '0.01', EXAMPLE]).stdout,
  );

  test('conns --idle gives the ids the other commands take', () => {
    assert.deepEqual(
      split.map((r) => [r.id, r.orig.port]),
      [
        [1, 35098],
        [2, 35098],
        [3, 35112],
        [4, 35124],
        [5, 35134],
        [6, 38940],
      ],
    );
  });

  test('ladder, explain and extract --conn 2 --idle 0.01 show that second half', () => {
    const ladder = synack(['ladder', EXAMPLE, '--conn', '2', '--idle', '0.01']);
    assert.equal(ladder.code, 0, ladder.stderr);
    assert.match(ladder.stdout.split('\n')[0]!, /client 127\.0\.0\.1:35098 .* server 127\.0\.0\.1:8801/);
    // Without --idle, id 2 is the next connection.
    assert.match(synack(['ladder', EXAMPLE, '--conn', '2']).stdout.split('\n')[0]!, /:35112/);

    const story = JSON.parse(
      synack(['explain', EXAMPLE, '--conn', '2', '--idle', '0.01', '--json']).stdout,
    ) as {
      conn: number;
      steps: { time: number | null }[];
    };
    assert.equal(story.conn, 2);
    assert.equal(story.steps.find((s) => s.time !== null)!.time, split[1]!.start);

    const ex = synack(['extract', EXAMPLE, '--conn', '2', '--idle', '0.01', '-w', '-']);
    assert.equal(ex.code, 0, ex.stderr);
    const back = synack(['conns', '--json', '-'], ex.out);
    assert.deepEqual(
      jsonLines<{ start: number }>(back.stdout).map((r) => r.start),
      [split[1]!.start],
    );
  });

  test('states --idle / --max-conns: its sockets name conns’ ids', () => {
    const states = JSON.parse(synack(['states', EXAMPLE, '--idle', '0.01', '--json']).stdout) as {
      sockets: { conn: number | null; local: { port: number } }[];
    };
    const ids = states.sockets.filter((s) => s.local.port === 35098).map((s) => s.conn);
    assert.deepEqual(ids, [2]);
    const evicting = synack(['states', EXAMPLE, '--max-conns', '1', '--json']);
    assert.equal(evicting.code, 0, evicting.stderr);
  });

  test('a bad value is one usage line, exit 1, on each command', () => {
    for (const cmd of ['ladder', 'explain', 'states', 'extract']) {
      const extra = cmd === 'states' ? [] : cmd === 'extract' ? ['--conn', '1', '-w', '-'] : ['--conn', '1'];
      for (const [flag, value] of [
        ['--idle', 'x'],
        ['--max-conns', '0'],
      ] as const) {
        const r = synack([cmd, EXAMPLE, ...extra, flag, value]);
        assert.equal(r.code, 1, `${cmd} ${flag} ${value}`);
        assert.match(r.stderr, new RegExp(`^synack ${cmd}: ${flag} wants .*'${value}'\\n$`));
      }
    }
  });
});
