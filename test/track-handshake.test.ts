// Handshakes as packet traces: the states of both ends after every segment and the record
// (PRODUCT.md "How states are inferred", "The connection record").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTrace, statePairs } from './helpers/trace.js';

const OPEN = ['C>S S seq=100', 'S>C S. seq=500 ack=101', 'C>S . seq=101 ack=501'];

test('a full lifecycle gives the contract example states, roles and record', () => {
  const r = runTrace([
    ...OPEN,
    'C>S P. seq=101 ack=501 len=100',
    'S>C P. seq=501 ack=201 len=100',
    'C>S F. seq=201 ack=601',
    'S>C . seq=601 ack=202',
    'S>C F. seq=601 ack=202',
    'C>S . seq=202 ack=602',
  ]);
  assert.deepEqual(
    r.packets.map((p) => p.role),
    [
      'handshake 1/3',
      'handshake 2/3',
      'handshake 3/3',
      'data',
      'data',
      'teardown 1/4',
      'teardown 2/4',
      'teardown 3/4',
      'teardown 4/4',
    ],
  );
  const rec = r.records[0]!;
  assert.deepEqual(rec.states, {
    orig: ['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT'],
    resp: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'],
  });
  assert.equal(rec.handshake, 'complete');
  assert.equal(rec.close, 'orig');
  assert.equal(rec.reset, null);
  assert.equal(rec.conn_state, 'SF');
  assert.equal(rec.history, 'ShADdFaf');
  assert.equal(rec.completeness, 31);
  assert.deepEqual(rec.packets, { orig: 5, resp: 4 });
  assert.deepEqual(rec.bytes, { orig: 100, resp: 100 });
  assert.equal(rec.rttHandshakeUsec, 2000);
});

test('lost SYN: the retransmitted SYN keeps its role and is tagged syn-retransmission', () => {
  const r = runTrace([
    '0.0 C>S S seq=100',
    '1.0 C>S S seq=100',
    '1.01 S>C S. seq=500 ack=101',
    '1.02 C>S . seq=101 ack=501',
  ]);
  assert.deepEqual(
    r.packets.map((p) => p.role),
    ['handshake 1/3', 'handshake 1/3', 'handshake 2/3', 'handshake 3/3'],
  );
  assert.deepEqual(r.packets[1]!.tags, ['syn-retransmission']);
  assert.deepEqual(statePairs(r).slice(-1), ['ESTABLISHED/ESTABLISHED']);
  // tshark's initial_rtt runs from the last SYN.
  assert.equal(r.records[0]!.rttHandshakeUsec, 20000);
});

test('lost SYN+ACK: the client retransmits its SYN, so it never got the first SYN+ACK', () => {
  const r = runTrace([
    '0.0 C>S S seq=100',
    '0.01 S>C S. seq=500 ack=101',
    '1.0 C>S S seq=100',
    '1.01 S>C S. seq=500 ack=101',
    '1.02 C>S . seq=101 ack=501',
  ]);
  assert.deepEqual(statePairs(r), [
    'SYN_SENT/SYN_RECEIVED',
    'SYN_SENT/SYN_RECEIVED', // the SYN+ACK did not arrive
    'SYN_SENT/SYN_RECEIVED',
    'ESTABLISHED/SYN_RECEIVED',
    'ESTABLISHED/ESTABLISHED',
  ]);
  assert.deepEqual(r.packets[3]!.tags, ['synack-retransmission']);
});

test('lost third ACK, client silent: the server retransmits SYN+ACK and stays SYN_RECEIVED', () => {
  const r = runTrace([
    '0.0 C>S S seq=100',
    '0.01 S>C S. seq=500 ack=101',
    '0.02 C>S . seq=101 ack=501',
    '1.01 S>C S. seq=500 ack=101',
    '1.02 C>S . seq=101 ack=501',
  ]);
  assert.deepEqual(statePairs(r), [
    'SYN_SENT/SYN_RECEIVED',
    'ESTABLISHED/SYN_RECEIVED',
    'ESTABLISHED/SYN_RECEIVED', // the ACK was lost: the server's retransmission proves it
    'ESTABLISHED/SYN_RECEIVED',
    'ESTABLISHED/ESTABLISHED',
  ]);
  assert.ok(r.packets[3]!.tags.includes('handshake-ack-lost'));
  assert.ok(r.records[0]!.events.some((e) => e.kind === 'handshake-ack-lost' && e.from === 'resp'));
});

test('lost third ACK, client sends data at once: the data completes the handshake', () => {
  const r = runTrace(['C>S S seq=100', 'S>C S. seq=500 ack=101', 'C>S P. seq=101 ack=501 len=10']);
  assert.deepEqual(statePairs(r), [
    'SYN_SENT/SYN_RECEIVED',
    'ESTABLISHED/SYN_RECEIVED',
    'ESTABLISHED/ESTABLISHED',
  ]);
  assert.deepEqual(r.packets[2]!.tags, ['handshake-ack-lost']);
  assert.equal(r.records[0]!.handshake, 'complete');
});

test('lost third ACK, the server wants to send first: it cannot until the client speaks', () => {
  const r = runTrace([
    '0.0 C>S S seq=100',
    '0.01 S>C S. seq=500 ack=101',
    '0.02 C>S . seq=101 ack=501',
    '1.0 S>C S. seq=500 ack=101',
    '1.01 C>S . seq=101 ack=501',
    '1.02 S>C P. seq=501 ack=101 len=20',
  ]);
  assert.deepEqual(statePairs(r).slice(2), [
    'ESTABLISHED/SYN_RECEIVED',
    'ESTABLISHED/SYN_RECEIVED',
    'ESTABLISHED/ESTABLISHED',
    'ESTABLISHED/ESTABLISHED',
  ]);
});

test('simultaneous open: both ends CLOSED → SYN_SENT → SYN_RECEIVED → ESTABLISHED, roles N/4', () => {
  const r = runTrace(['C>S S seq=100', 'S>C S seq=500', 'C>S S. seq=100 ack=501', 'S>C S. seq=500 ack=101']);
  assert.deepEqual(
    r.packets.map((p) => p.role),
    ['handshake 1/4', 'handshake 2/4', 'handshake 3/4', 'handshake 4/4'],
  );
  const rec = r.records[0]!;
  assert.equal(rec.handshake, 'simultaneous');
  assert.deepEqual(rec.states.orig, ['CLOSED', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED']);
  assert.deepEqual(rec.states.resp, ['CLOSED', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED']);
  assert.ok(r.packets[1]!.tags.includes('simultaneous-open'));
});

test('refused: a SYN answered by RST; the responder was CLOSED all along', () => {
  const r = runTrace(['C>S S seq=100', 'S>C R. seq=0 ack=101']);
  const rec = r.records[0]!;
  assert.equal(rec.handshake, 'refused');
  assert.deepEqual(rec.states, { orig: ['CLOSED', 'SYN_SENT', 'CLOSED'], resp: ['CLOSED'] });
  assert.equal(rec.close, 'resp-reset');
  assert.equal(rec.reset, 'resp');
  assert.equal(rec.conn_state, 'REJ');
  assert.deepEqual(
    r.packets.map((p) => p.role),
    ['handshake 1/3', 'reset'],
  );
});

test('a SYN never answered leaves the responder UNKNOWN', () => {
  const r = runTrace(['C>S S seq=100']);
  assert.deepEqual(r.records[0]!.states, { orig: ['CLOSED', 'SYN_SENT'], resp: ['UNKNOWN'] });
  assert.equal(r.records[0]!.handshake, 'incomplete');
});

test('TCP Fast Open: a SYN+ACK acknowledging the SYN’s data completes SYN_SENT; one beyond it does not', () => {
  // RFC 9293 §3.10.7.3: in SYN_SENT an ACK is acceptable when ISS < SEG.ACK =< SND.NXT, and a SYN
  // carrying data (RFC 7413) puts SND.NXT past it. The server may send data from SYN_RECEIVED.
  const tfo = (ack: number) =>
    statePairs(
      runTrace([
        '0.0 C>S S seq=100 len=29',
        `0.020 S>C S. seq=500 ack=${ack}`,
        '0.025 S>C P. seq=501 ack=130 len=512',
        '0.040 C>S . seq=130 ack=1013',
      ]),
    ).slice(0, 2);
  assert.deepEqual(tfo(130), ['SYN_SENT/SYN_RECEIVED', 'ESTABLISHED/SYN_RECEIVED']);
  // The server ignored the data (no valid cookie): it acknowledges the SYN alone, as acceptable.
  assert.deepEqual(tfo(101), ['SYN_SENT/SYN_RECEIVED', 'ESTABLISHED/SYN_RECEIVED']);
  // Beyond SND.NXT: not an answer to this SYN (§3.10.7.3 answers it with a RST), no change.
  const beyond = runTrace(['0.0 C>S S seq=100 len=29', '0.020 S>C S. seq=500 ack=131']);
  assert.equal(statePairs(beyond)[1], 'SYN_SENT/SYN_RECEIVED');
});

test('TCP Fast Open: a SYN+ACK answered with a RST <SEQ=SEG.ACK> past the SYN’s data met a client with no connection', () => {
  // The first SYN+ACK was lost; the client gave up in SYN_SENT (CLOSED). The server's resent
  // SYN+ACK, acknowledging the SYN's 29 bytes, draws the answer of an endpoint with no connection
  // (§3.10.7.1: <SEQ=SEG.ACK>); it never moved the client to ESTABLISHED. Its data sent from
  // SYN_RECEIVED (RFC 7413) never reached it either.
  const r = runTrace([
    '0.0 C>S S seq=100 len=29',
    '0.030 S>C P. seq=501 ack=130 len=512',
    '1.0 S>C S. seq=500 ack=130',
    '1.0001 C>S R seq=130',
  ]);
  assert.deepEqual(statePairs(r).slice(2), ['CLOSED/SYN_RECEIVED', 'CLOSED/LISTEN']);
});
