// Issue 14 item 6: every command bounded by --max-conns on a SYN flood, with its evictions counted
// on stderr once. A SYN that nobody answers ends SYN_SENT/UNKNOWN whether its connection is
// evicted or runs to the end of the capture, so on a flood of 2 000 4-tuples with room for 100
// every per-packet and per-host output is the one an unbounded table gives, and the note counts
// the 1 900 evicted; explain, which reads the capture a second time for the listener's other
// connections, still tells the flood and counts the evictions once. And what --max-conns buys: the
// heap an open connection holding its unanswered SYN costs (250 000 of them by default).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { decodeFiles } from '../src/cli/decode-files.js';
import { DEFAULT_TRACKING, newFlowTable } from '../src/report/tracking.js';
import { generateCapture } from './helpers/generated-capture.js';
import { synack } from './helpers/synack-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'synack-flood-bounds-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const flood = generateCapture(tmp, 'flood.pcap', ['--synflood', '2000']);
const NOTE = /^synack: 1900 connections evicted \(more than --max-conns 100 open at once\)$/gm;

test('read, read --json, states, ladder: past --max-conns the output is the unbounded one, 1900 evictions counted once', () => {
  for (const cmd of [
    ['read'],
    ['read', '--json'],
    ['states'],
    ['states', '--json'],
    ['states', '--timeline'],
    ['ladder', '--conn', '7'],
  ]) {
    const free = synack([...cmd, flood]);
    const bounded = synack([...cmd, flood, '--max-conns', '100']);
    assert.equal(bounded.code, 0, `${cmd.join(' ')}: ${bounded.stderr}`);
    assert.equal(bounded.stdout, free.stdout, cmd.join(' '));
    assert.equal(bounded.stderr.match(NOTE)?.length, 1, `${cmd.join(' ')}: ${bounded.stderr}`);
    assert.doesNotMatch(free.stderr, /evicted/, cmd.join(' '));
  }
});

test('explain on a flood past --max-conns: the flood told, the evictions counted once', () => {
  const bounded = synack(['explain', '--conn', '1', flood, '--max-conns', '100']);
  assert.equal(bounded.code, 0, bounded.stderr);
  assert.match(bounded.stdout, /SYN flood/);
  assert.equal(bounded.stdout, synack(['explain', '--conn', '1', flood]).stdout);
  assert.equal(bounded.stderr.match(NOTE)?.length, 1, bounded.stderr);
});

/** V8's full collection (through --expose-gc set at run time, as the heap governor reaches it). */
function fullGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

test('an open connection holding its unanswered SYN costs under 1.1 KB, array buffers included (1.8 KB of heap before the lazy states)', async () => {
  const gc = fullGc();
  const file = generateCapture(tmp, 'flood20k.pcap', ['--synflood', '20000']);
  // Warmed on the small flood: code and the shared pools are not the connections' cost.
  const warm = newFlowTable(
    DEFAULT_TRACKING,
    () => {},
    () => {},
    true,
  );
  await decodeFiles([flood], (pkt) => warm.process(pkt), { quiet: true });
  gc();
  // Array buffers counted too: Wireshark's stream slots live in them, outside the heap.
  const before = v8.getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
  const table = newFlowTable(
    DEFAULT_TRACKING,
    () => {},
    () => {},
    true,
  );
  await decodeFiles([file], (pkt) => table.process(pkt), { quiet: true });
  gc();
  const after = v8.getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
  const perConn = (after - before) / table.size;
  assert.equal(table.size, 20000);
  assert.ok(perConn < 1100, `${perConn.toFixed(0)} bytes of heap and array buffers per open connection`);
  assert.ok(warm.size > 0); // kept alive until here
});
