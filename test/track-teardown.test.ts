// Teardowns as packet traces: four-way, merged FIN+ACK, simultaneous close, half-close, a lost
// FIN, TIME_WAIT running out, port reuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTrace, statePairs } from './helpers/trace.js';

const OPEN = ['0.000 C>S S seq=100', '0.001 S>C S. seq=500 ack=101', '0.002 C>S . seq=101 ack=501'];

test('merged FIN+ACK: FIN_WAIT_1 → TIME_WAIT, roles teardown N/3', () => {
  const r = runTrace([...OPEN, 'C>S F. seq=101 ack=501', 'S>C F. seq=501 ack=102', 'C>S . seq=102 ack=502']);
  assert.deepEqual(
    r.packets.slice(3).map((p) => p.role),
    ['teardown 1/3', 'teardown 2/3', 'teardown 3/3'],
  );
  assert.deepEqual(statePairs(r).slice(3), [
    'FIN_WAIT_1/CLOSE_WAIT',
    'TIME_WAIT/LAST_ACK',
    'TIME_WAIT/CLOSED',
  ]);
  assert.deepEqual(r.records[0]!.states.orig, [
    'CLOSED',
    'SYN_SENT',
    'ESTABLISHED',
    'FIN_WAIT_1',
    'TIME_WAIT',
  ]);
  assert.equal(r.records[0]!.close, 'orig');
});

test('simultaneous close: the FINs cross, both ends pass CLOSING', () => {
  const r = runTrace([
    ...OPEN,
    'C>S F. seq=101 ack=501',
    'S>C F. seq=501 ack=101',
    'C>S . seq=102 ack=502',
    'S>C . seq=502 ack=102',
  ]);
  // S's FIN does not ack C's: C's FIN reached S only after S's FIN left (RFC 9293 Figure 13),
  // so S is still ESTABLISHED after C's FIN on the wire, and passes CLOSING (the crossed FIN
  // takes effect just before C's ACK, which S processes after it).
  assert.deepEqual(statePairs(r).slice(3), [
    'FIN_WAIT_1/ESTABLISHED',
    'CLOSING/FIN_WAIT_1',
    'CLOSING/TIME_WAIT',
    'TIME_WAIT/TIME_WAIT',
  ]);
  const rec = r.records[0]!;
  assert.deepEqual(rec.states.orig.slice(-3), ['FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
  assert.deepEqual(rec.states.resp.slice(-3), ['FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
  assert.equal(rec.close, 'both');
  assert.ok(rec.events.some((e) => e.kind === 'simultaneous-close'));
  assert.deepEqual(
    r.packets.slice(3).map((p) => p.role),
    ['teardown 1/4', 'teardown 2/4', 'teardown 3/4', 'teardown 4/4'],
  );
});

test('half-close: data after one side\u2019s FIN is tagged half-close', () => {
  const r = runTrace([
    ...OPEN,
    'C>S F. seq=101 ack=501',
    'S>C . seq=501 ack=102',
    'S>C P. seq=501 ack=102 len=50',
    'C>S . seq=102 ack=551',
  ]);
  assert.deepEqual(statePairs(r).slice(-1), ['FIN_WAIT_2/CLOSE_WAIT']);
  assert.deepEqual(r.packets[5]!.tags, ['half-close']);
});

test('a retransmitted FIN that does not ack the peer\u2019s FIN proves the peer\u2019s FIN was lost', () => {
  const r = runTrace([
    ...OPEN,
    '0.1 C>S F. seq=101 ack=501',
    '0.101 S>C F. seq=501 ack=102',
    '0.5 C>S F. seq=101 ack=501',
    '0.501 S>C F. seq=501 ack=102',
    '0.502 C>S . seq=102 ack=502',
  ]);
  assert.deepEqual(statePairs(r).slice(3), [
    'FIN_WAIT_1/CLOSE_WAIT',
    'FIN_WAIT_1/LAST_ACK', // the FIN+ACK never reached the client: it retransmits its FIN below
    'FIN_WAIT_1/LAST_ACK',
    'TIME_WAIT/LAST_ACK',
    'TIME_WAIT/CLOSED',
  ]);
});

test('TIME_WAIT becomes CLOSED after --time-wait seconds of capture time, ending the connection', () => {
  const lines = [
    ...OPEN,
    '1.0 C>S F. seq=101 ack=501',
    '1.001 S>C F. seq=501 ack=102',
    '1.002 C>S . seq=102 ack=502',
    '5.0 D>S S seq=7',
  ];
  const short = runTrace(lines, { timeWaitSec: 2 });
  assert.deepEqual(short.records[0]!.states.orig.slice(-2), ['TIME_WAIT', 'CLOSED']);
  assert.deepEqual(
    short.records.map((x) => x.id),
    [1, 2],
  ); // conn 1 ended at frame 7, before open conn 2
  const long = runTrace(lines); // default 60 s: still TIME_WAIT at the end of the capture
  assert.equal(long.records[0]!.final.orig, 'TIME_WAIT');
});

test('port reuse: a SYN with a new ISN during TIME_WAIT starts a new connection', () => {
  const r = runTrace([
    ...OPEN,
    'C>S F. seq=101 ack=501',
    'S>C F. seq=501 ack=102',
    'C>S . seq=102 ack=502',
    'C>S S seq=90000',
    'S>C S. seq=7000 ack=90001',
  ]);
  assert.equal(r.records.length, 2);
  assert.deepEqual(r.records[0]!.states.orig.slice(-2), ['TIME_WAIT', 'CLOSED']);
  assert.deepEqual(
    r.packets.slice(-2).map((p) => p.conn),
    [2, 2],
  );
});

test('a FIN with data leaving at once on the ACK that opens the window was queued by a close() before that ACK arrived', () => {
  // Beside the server: its window (three segments) out, silence, the client's first ACK, and at
  // once the tail with the FIN (Linux puts the FIN on the last unsent segment, tcp_send_fin).
  const flight = [
    '0.0 C>S S seq=100',
    '0.000010 S>C S. seq=500 ack=101',
    '0.020 C>S . seq=101 ack=501',
    '0.021 C>S P. seq=101 ack=501 len=10',
    '0.021010 S>C . seq=501 ack=111 len=1000',
    '0.021011 S>C . seq=1501 ack=111 len=1000',
    '0.021012 S>C . seq=2501 ack=111 len=1000',
  ];
  const states = (tail: string[]) => statePairs(runTrace([...flight, ...tail])).slice(7);
  assert.deepEqual(states(['0.041 C>S . seq=111 ack=1501', '0.041010 S>C FP. seq=3501 ack=111 len=500']), [
    'ESTABLISHED/FIN_WAIT_1',
    'CLOSE_WAIT/FIN_WAIT_1',
  ]);
  // The same tail leaving later than an immediate answer: close() may have come after the ACK.
  assert.deepEqual(states(['0.041 C>S . seq=111 ack=1501', '0.090 S>C FP. seq=3501 ack=111 len=500']), [
    'ESTABLISHED/ESTABLISHED',
    'CLOSE_WAIT/FIN_WAIT_1',
  ]);
  // After a request (data), not a pure ACK: the application answered it and closed (HTTP/1.0).
  assert.deepEqual(
    states(['0.041 C>S P. seq=111 ack=1501 len=10', '0.041010 S>C FP. seq=3501 ack=121 len=500']),
    ['ESTABLISHED/ESTABLISHED', 'CLOSE_WAIT/FIN_WAIT_1'],
  );
});
