// The flow table: ids by first frame, output order by the ending frame (ties by id, open ones
// last in id order), --idle, --max-conns eviction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTrace } from './helpers/trace.js';

test('ids follow first frames; records come out in the order their connections ended', () => {
  const r = runTrace([
    'C>S S seq=100', // conn 1, never finished
    'D>S S seq=7', // conn 2
    'S>D R. seq=0 ack=8', // conn 2 ends here
  ]);
  assert.deepEqual(
    r.records.map((x) => x.id),
    [2, 1],
  );
  assert.deepEqual(
    r.packets.map((p) => p.conn),
    [1, 2, 2],
  );
});

test('--idle ends a connection; its next segment starts a new one', () => {
  const r = runTrace(['0 C>S P. seq=1 ack=1 len=5', '10 C>S P. seq=6 ack=1 len=5'], { idleSec: 5 });
  assert.deepEqual(
    r.records.map((x) => x.id),
    [1, 2],
  );
  assert.equal(r.records[0]!.evicted, false);
});

test('--max-conns evicts the connection idle longest, marked evicted', () => {
  const r = runTrace(['C>S S seq=1', 'D>S S seq=2', 'C>S S seq=1', 'S>C S. seq=9 ack=2'], { maxConns: 1 });
  assert.deepEqual(
    r.records.map((x) => [x.id, x.evicted]),
    [
      [1, true],
      [2, true],
      [3, false],
    ],
  );
});
