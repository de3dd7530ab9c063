// RST in its states (RFC 9293 §3.10.7, RFC 5961 §3): accepted at exactly RCV.NXT, a challenge ACK
// when in the window, ignored outside; SYN_RECEIVED of a passive opener returns to LISTEN; a RST
// that does not fit its claimed sender is suspect.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTrace, statePairs } from './helpers/trace.js';

const OPEN = ['C>S S seq=100', 'S>C S. seq=500 ack=101', 'C>S . seq=101 ack=501'];

test('RST in ESTABLISHED at RCV.NXT: both CLOSED, the connection ends', () => {
  const r = runTrace([
    ...OPEN,
    'C>S P. seq=101 ack=501 len=10',
    'S>C R. seq=501 ack=111',
    'C>S . seq=111 ack=501',
  ]);
  assert.equal(r.records.length, 2); // the ACK after the accepted RST starts a new connection
  const rec = r.records[0]!;
  assert.deepEqual(rec.final, { orig: 'CLOSED', resp: 'CLOSED' });
  assert.equal(rec.close, 'resp-reset');
  assert.equal(rec.reset, 'resp');
  assert.equal(r.packets[4]!.role, 'reset');
});

test('RST outside the window is ignored by its receiver (rst-out-of-window)', () => {
  const r = runTrace([
    ...OPEN,
    'S>C R. seq=900000 ack=101',
    'C>S P. seq=101 ack=501 len=10',
    'S>C . seq=501 ack=111',
  ]);
  assert.deepEqual(statePairs(r).slice(3), [
    'ESTABLISHED/ESTABLISHED',
    'ESTABLISHED/ESTABLISHED',
    'ESTABLISHED/ESTABLISHED',
  ]);
  assert.ok(r.packets[3]!.tags.includes('rst-out-of-window'));
  // Its claimed sender went on sending: the RST was not its own.
  assert.ok(r.packets[3]!.tags.includes('rst-suspect-forged'));
  assert.equal(r.records[0]!.reset, null);
});

test('RST in the window but not exact: challenge ACK, no change (RFC 5961 §3)', () => {
  const r = runTrace([...OPEN, 'S>C R. seq=505 ack=101 win=1000', 'C>S . seq=101 ack=501']);
  // Its sender ends CLOSED; its receiver does not move.
  assert.deepEqual(statePairs(r).slice(3), ['ESTABLISHED/CLOSED', 'ESTABLISHED/CLOSED']);
  assert.ok(r.packets[4]!.tags.includes('rst-challenge-ack'));
});

test('RST to a passive SYN_RECEIVED returns it to LISTEN (§3.10.7.4)', () => {
  // The client's own abort after the SYN+ACK synchronized it (a RST+ACK, as Linux sends one).
  const r = runTrace(['C>S S seq=100', 'S>C S. seq=500 ack=101', 'C>S R. seq=101 ack=501']);
  assert.deepEqual(r.records[0]!.states, {
    orig: ['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'CLOSED'],
    resp: ['LISTEN', 'SYN_RECEIVED', 'LISTEN'],
  });
  // <SEQ=SEG.ACK><CTL=RST> without ACK, from an endpoint that never acknowledged anything, is
  // the answer of one that has no connection (§3.10.7.1; a SYN scanner's kernel, a client that
  // gave up): the SYN+ACK never synchronized it, a synchronized one would have acknowledged it.
  const scan = runTrace(['C>S S seq=100', 'S>C S. seq=500 ack=101', 'C>S R seq=101']);
  assert.deepEqual(scan.records[0]!.states, {
    orig: ['CLOSED', 'SYN_SENT', 'CLOSED'],
    resp: ['LISTEN', 'SYN_RECEIVED', 'LISTEN'],
  });
});

test('a RST answering an unacceptable SYN+ACK leaves its SYN_SENT sender there (§3.10.7.3)', () => {
  // An old duplicate SYN's SYN+ACK reaches the client in SYN_SENT under a new ISS: it answers
  // <SEQ=SEG.ACK><CTL=RST> and stays in SYN_SENT; its retransmitted SYN then completes.
  const r = runTrace([
    'C>S S seq=100',
    'S>C S. seq=500 ack=91',
    'C>S R seq=91',
    'C>S S seq=100',
    'S>C S. seq=500 ack=101',
    'C>S . seq=101 ack=501',
  ]);
  assert.equal(r.records.length, 1);
  assert.deepEqual(r.records[0]!.states.orig, ['CLOSED', 'SYN_SENT', 'ESTABLISHED']);
});

test('RST in FIN_WAIT_2 / CLOSE_WAIT closes both', () => {
  const r = runTrace([...OPEN, 'C>S F. seq=101 ack=501', 'S>C . seq=501 ack=102', 'S>C R. seq=501 ack=102']);
  assert.deepEqual(r.records[0]!.states.orig.slice(-2), ['FIN_WAIT_2', 'CLOSED']);
  assert.deepEqual(r.records[0]!.states.resp.slice(-2), ['CLOSE_WAIT', 'CLOSED']);
  assert.equal(r.records[0]!.close, 'orig');
  assert.equal(r.records[0]!.reset, 'resp');
});

test('a forged RST (other TTL, no DF) whose claimed sender goes on sending leaves it unchanged', () => {
  const r = runTrace([
    ...OPEN,
    'S>C R. seq=501 ack=101 ttl=30 df=0',
    'S>C P. seq=501 ack=101 len=10',
    'C>S R seq=101',
  ]);
  assert.equal(r.records.length, 1);
  const rst = r.packets[3]!;
  assert.ok(rst.tags.includes('rst-suspect-forged'));
  assert.equal(rst.resp, 'ESTABLISHED'); // its claimed sender did not send it
  assert.equal(rst.orig, 'CLOSED'); // the client accepted it (exactly RCV.NXT) and answers data with RST
  assert.deepEqual(r.records[0]!.final, { orig: 'CLOSED', resp: 'CLOSED' });
});

test('a RST its receiver goes on ignoring did not take effect there', () => {
  const r = runTrace([...OPEN, 'S>C R. seq=501 ack=101 ttl=30 df=0', 'C>S P. seq=101 ack=501 len=5']);
  assert.equal(r.packets[3]!.orig, 'ESTABLISHED');
});

test('a bare RST <SEQ=SEG.ACK> answering at once the first segment after an idle spell: its sender had no connection', () => {
  // §3.10.7.1: an endpoint with no connection answers a segment carrying ACK with
  // <SEQ=SEG.ACK><CTL=RST>; a synchronized one acknowledges it (§3.10.7.4). The server here lost its
  // connection while idle (a forged RST past the tap, a reboot): CLOSED when the data reached it.
  const open = ['0.0 C>S S seq=100', '0.020 S>C S. seq=500 ack=101', '0.020010 C>S . seq=101 ack=501'];
  const after = (lines: string[]) => statePairs(runTrace([...open, ...lines])).slice(3);
  assert.deepEqual(after(['0.5 C>S P. seq=101 ack=501 len=10', '0.520 S>C R seq=501']), [
    'ESTABLISHED/CLOSED',
    'CLOSED/CLOSED',
  ]);
  // A keep-alive probe answered so, beside the server (the client's round trip from there, 20 ms).
  const besideServer = runTrace([
    '0.0 C>S S seq=100',
    '0.000010 S>C S. seq=500 ack=101',
    '0.020 C>S . seq=101 ack=501',
    '30.0 S>C P. seq=501 ack=101 len=22',
    '30.020 C>S R seq=101',
  ]);
  assert.deepEqual(statePairs(besideServer).slice(3), ['CLOSED/ESTABLISHED', 'CLOSED/CLOSED']);
  // Not when it comes later than the receiver's round trip allows an immediate answer (its own
  // abort, <SEQ=SND.NXT>), nor one with the ACK bit (Linux's own abort), nor after a FIN of the
  // receiver (data after close(): Linux answers with such a RST from FIN_WAIT, a state of its own).
  assert.deepEqual(after(['0.5 C>S P. seq=101 ack=501 len=10', '0.7 S>C R seq=501']), [
    'ESTABLISHED/ESTABLISHED',
    'CLOSED/CLOSED',
  ]);
  assert.deepEqual(after(['0.5 C>S P. seq=101 ack=501 len=10', '0.520 S>C R. seq=501 ack=111']), [
    'ESTABLISHED/ESTABLISHED',
    'CLOSED/CLOSED',
  ]);
  assert.deepEqual(
    after([
      '0.1 S>C F. seq=501 ack=101',
      '0.1001 C>S . seq=101 ack=502',
      '0.5 C>S P. seq=101 ack=502 len=10',
      '0.520 S>C R seq=502',
    ]).slice(2),
    ['CLOSE_WAIT/FIN_WAIT_2', 'CLOSED/CLOSED'],
  );
});

test('a bare RST <SEQ=SEG.ACK> the instant the handshake ACK arrives: that ACK never established the listener', () => {
  // §3.10.7.4 fifth step; Linux with a full accept queue and tcp_abort_on_overflow=1 answers the
  // ACK so and drops the half-open connection. Beside the server the answer leaves at once.
  const at = (rst: string, when = '0.020030') =>
    statePairs(
      runTrace([
        '0.0 C>S S seq=100',
        '0.000030 S>C S. seq=500 ack=101',
        '0.020 C>S . seq=101 ack=501',
        `${when} ${rst}`,
      ]),
    ).slice(2);
  assert.deepEqual(at('S>C R seq=501'), ['ESTABLISHED/CLOSED', 'CLOSED/CLOSED']);
  // An abort of its own once ESTABLISHED (SO_LINGER 0 right after accept()) carries the ACK bit.
  assert.deepEqual(at('S>C R. seq=501 ack=101'), ['ESTABLISHED/ESTABLISHED', 'CLOSED/CLOSED']);
  // A listener the handshake never reached (its half-open connection reset) answers the same way
  // (§3.10.7.2) and stays LISTEN: no ACK of its SYN+ACK moved it (modbus-p502-rst in the corpus).
  const reset = runTrace([
    '0.0 C>S S seq=100',
    '0.000030 S>C S. seq=500 ack=101',
    '0.1 C>S R seq=101 ttl=50 df=0', // a scanner's raw RST: the half-open connection reset
    '16.0 C>S P. seq=101 ack=501 len=10',
    '16.000030 S>C R seq=501',
  ]);
  assert.equal(statePairs(reset)[3]!.split('/')[1], 'LISTEN');
  // Linux (test/fixtures/kernel-lab/accept-queue-abort): the pure ACK was dropped on arrival, the
  // first data segment carries the same ACK and draws the RST — neither established the listener.
  const dataRefused = runTrace([
    '0.0 C>S S seq=100',
    '0.000030 S>C S. seq=500 ack=101',
    '0.000050 C>S . seq=101 ack=501',
    '0.125 C>S P. seq=101 ack=501 len=7',
    '0.125022 S>C R seq=501',
  ]);
  assert.deepEqual(statePairs(dataRefused).slice(2), [
    'ESTABLISHED/SYN_RECEIVED',
    'ESTABLISHED/CLOSED',
    'CLOSED/CLOSED',
  ]);
  assert.deepEqual(
    dataRefused.packets.map((p) => p.arrived),
    [true, true, false, true, true],
  );
  // Beside the client (the server 20 ms away), with the network's jitter: 30 ms after the ACK.
  const jitter = runTrace([
    '0.0 C>S S seq=100',
    '0.020 S>C S. seq=500 ack=101',
    '0.020010 C>S . seq=101 ack=501',
    '0.050 S>C R seq=501',
  ]);
  assert.deepEqual(statePairs(jitter).slice(2), ['ESTABLISHED/CLOSED', 'CLOSED/CLOSED']);
  // Not the ACK's answer when it leaves a long while after it.
  assert.deepEqual(at('S>C R seq=501', '0.5'), ['ESTABLISHED/ESTABLISHED', 'CLOSED/CLOSED']);
});
