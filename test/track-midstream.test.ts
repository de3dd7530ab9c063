// Mid-stream starts (UNKNOWN until exactly one state fits), keep-alives and zero windows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTrace, statePairs } from './helpers/trace.js';

test('mid-stream: UNKNOWN until the close pins both ends', () => {
  const r = runTrace([
    'C>S P. seq=1000 ack=5000 len=10',
    'S>C . seq=5000 ack=1010',
    'C>S F. seq=1010 ack=5000',
    'S>C . seq=5000 ack=1011',
    'S>C F. seq=5000 ack=1011',
    'C>S . seq=1011 ack=5001',
  ]);
  assert.deepEqual(statePairs(r), [
    'UNKNOWN/UNKNOWN',
    'UNKNOWN/UNKNOWN',
    'UNKNOWN/UNKNOWN',
    'UNKNOWN/UNKNOWN',
    'UNKNOWN/LAST_ACK', // a new FIN: it was ESTABLISHED or CLOSE_WAIT, and had the client's FIN
    'TIME_WAIT/CLOSED', // a CLOSED client would not ACK: it was in FIN_WAIT_2
  ]);
  assert.equal(r.records[0]!.handshake, 'unseen');
  assert.deepEqual(r.records[0]!.states.orig, ['UNKNOWN', 'TIME_WAIT']);
});

test('keep-alives and zero windows do not move the states; probes are tagged', () => {
  const r = runTrace([
    'C>S S seq=100',
    'S>C S. seq=500 ack=101',
    'C>S . seq=101 ack=501',
    'C>S P. seq=101 ack=501 len=100',
    'S>C . seq=501 ack=201 win=0',
    '1.0 C>S . seq=200 ack=501',
    '1.001 S>C . seq=501 ack=201 win=0',
    '60.0 C>S . seq=200 ack=501',
    '60.001 S>C . seq=501 ack=201 win=1000',
  ]);
  for (const pair of statePairs(r).slice(2)) assert.equal(pair, 'ESTABLISHED/ESTABLISHED');
  assert.ok(r.packets[4]!.tags.includes('zero-window'));
  assert.ok(r.packets[5]!.tags.includes('window-probe'));
  assert.ok(r.packets[5]!.tags.includes('keep-alive') || r.packets[5]!.tags.includes('zero-window-probe'));
});
