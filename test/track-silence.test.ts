// PRODUCT.md's silence rule ("How states are inferred"): a receiver that must answer at once and
// says nothing until the sender sends again did not get the segment when the tap is beside it;
// beside the sender (or in the middle) the segment or the answer may have been lost, so its
// arrival is open (UNKNOWN, arrived null) until evidence decides: the TSval the answer's TSecr
// echoes (RFC 7323 §4.3), or where the tap is (--tap, or auto from the handshake's delay split).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { autoTapOn, parseTap } from '../src/track/tap.js';
import { runTrace, statePairs, type TraceResult } from './helpers/trace.js';

const tap = (t: string) => ({ tap: parseTap(t)! });
const arrived = (r: TraceResult) => r.packets.map((p) => p.arrived);

// A first SYN with no answer, the SYN sent again after 1 s, answered at once; no timestamps.
// Timing as the server's NIC sees it: the answer 30 µs after the SYN, the ACK a 20 ms round trip later.
const LOST_SYN_AT_SERVER = [
  '0.0 C>S S seq=100',
  '1.0 C>S S seq=100',
  '1.000030 S>C S. seq=500 ack=101',
  '1.020030 C>S . seq=101 ack=501',
];
// The same seen at the client's NIC: the answer a round trip after the SYN, the ACK at once.
const LOST_SYN_AT_CLIENT = [
  '0.0 C>S S seq=100',
  '1.0 C>S S seq=100',
  '1.020 S>C S. seq=500 ack=101',
  '1.020010 C>S . seq=101 ack=501',
];

test('beside the server, a SYN it never answered did not reach it: LISTEN, arrived false', () => {
  const r = runTrace(LOST_SYN_AT_SERVER, tap('server'));
  assert.deepEqual(statePairs(r), [
    'SYN_SENT/LISTEN',
    'SYN_SENT/SYN_RECEIVED',
    'ESTABLISHED/SYN_RECEIVED',
    'ESTABLISHED/ESTABLISHED',
  ]);
  assert.deepEqual(arrived(r), [false, true, true, true]);
  assert.deepEqual(r.records[0]!.states.resp, ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED']);
});

test('beside the client or in the middle, the lost SYN and a lost answer look alike: UNKNOWN until they converge', () => {
  for (const where of ['client', 'mid']) {
    const r = runTrace(LOST_SYN_AT_CLIENT, tap(where));
    assert.deepEqual(statePairs(r), [
      'SYN_SENT/UNKNOWN',
      'SYN_SENT/SYN_RECEIVED', // both histories are in SYN_RECEIVED now: said
      'ESTABLISHED/SYN_RECEIVED',
      'ESTABLISHED/ESTABLISHED',
    ]);
    assert.deepEqual(arrived(r), [null, true, true, true], where);
  }
});

test('--tap IP: beside the host with that address', () => {
  assert.deepEqual(arrived(runTrace(LOST_SYN_AT_SERVER, tap('10.0.0.2'))), [false, true, true, true]);
  assert.deepEqual(arrived(runTrace(LOST_SYN_AT_CLIENT, tap('10.0.0.1'))), [null, true, true, true]);
  // An address of neither endpoint is a tap in between.
  assert.deepEqual(arrived(runTrace(LOST_SYN_AT_SERVER, tap('10.9.9.9'))), [null, true, true, true]);
});

test('auto places the tap by the handshake delay split, and falls back to mid on microsecond round trips', () => {
  assert.deepEqual(arrived(runTrace(LOST_SYN_AT_SERVER)), [false, true, true, true]);
  assert.deepEqual(arrived(runTrace(LOST_SYN_AT_CLIENT)), [null, true, true, true]);
  const namespaces = [
    '0.0 C>S S seq=100',
    '1.0 C>S S seq=100',
    '1.000030 S>C S. seq=500 ack=101',
    '1.000060 C>S . seq=101 ack=501',
  ];
  assert.deepEqual(statePairs(runTrace(namespaces)).slice(0, 1), ['SYN_SENT/UNKNOWN']);
  // Told where it is, the same capture is decided.
  assert.deepEqual(statePairs(runTrace(namespaces, tap('server'))).slice(0, 1), ['SYN_SENT/LISTEN']);
});

test('auto reads the TTLs: the end seen with an initial TTL is beside the tap, both decremented is mid', () => {
  // Microsecond round trips (no delay split), but the client's segments arrive with 64 and the
  // server's with 57: routers stand between the tap and the server only — the tap is beside the client.
  const withTtl = (lines: string[], c: number, s: number) =>
    lines.map((l) => `${l} ttl=${l.includes('C>S') ? c : s}`);
  const lines = [
    '0.0 C>S S seq=100',
    '1.0 C>S S seq=100',
    '1.000030 S>C S. seq=500 ack=101',
    '1.000060 C>S . seq=101 ack=501',
  ];
  // Beside the client a lost SYN and a lost answer look alike (doubt); beside the server its
  // silence proves the first SYN lost.
  assert.deepEqual(arrived(runTrace(withTtl(lines, 64, 57))), [null, true, true, true]);
  assert.deepEqual(statePairs(runTrace(withTtl(lines, 64, 57))).slice(0, 1), ['SYN_SENT/UNKNOWN']);
  assert.deepEqual(arrived(runTrace(withTtl(lines, 52, 128))), [false, true, true, true]);
  assert.deepEqual(statePairs(runTrace(withTtl(lines, 52, 128))).slice(0, 1), ['SYN_SENT/LISTEN']);
  // Both decremented: routers on both sides, a tap in the middle, even where the delay split
  // would place it beside the server.
  assert.deepEqual(arrived(runTrace(withTtl(LOST_SYN_AT_SERVER, 60, 62))), [null, true, true, true]);
  assert.deepEqual(arrived(runTrace(withTtl(LOST_SYN_AT_SERVER, 64, 64))), [false, true, true, true]);
});

test('auto on a live interface: an end with one of the host’s own addresses is beside the tap', () => {
  const lines = [
    '0.0 C>S S seq=100',
    '1.0 C>S S seq=100',
    '1.000030 S>C S. seq=500 ack=101',
    '1.000060 C>S . seq=101 ack=501',
  ];
  assert.deepEqual(arrived(runTrace(lines, { tap: autoTapOn(['10.0.0.2', 'fe80::1']) })), [
    false,
    true,
    true,
    true,
  ]);
  assert.deepEqual(arrived(runTrace(lines, { tap: autoTapOn(['10.0.0.1']) })), [null, true, true, true]);
  assert.deepEqual(statePairs(runTrace(lines, { tap: autoTapOn(['10.7.7.7']) })).slice(0, 1), [
    'SYN_SENT/UNKNOWN',
  ]);
});

test('timestamps decide at any tap: the SYN+ACK echoes the TSval of the copy it answers', () => {
  // It echoes the retransmission: the first SYN never arrived.
  const retx = runTrace(
    [
      '0.0 C>S S seq=100 tsval=1000',
      '1.0 C>S S seq=100 tsval=2000',
      '1.020 S>C S. seq=500 ack=101 tsval=7000 tsecr=2000',
      '1.020010 C>S . seq=101 ack=501 tsval=2020 tsecr=7000',
    ],
    tap('client'),
  );
  assert.deepEqual(statePairs(retx)[0], 'SYN_SENT/LISTEN');
  assert.deepEqual(arrived(retx), [false, true, true, true]);
  // It echoes the first SYN (a request socket keeps the first SYN's TSval, and a duplicate never
  // overwrites TS.Recent): the first SYN arrived and its SYN+ACK was lost.
  const first = runTrace(
    [
      '0.0 C>S S seq=100 tsval=1000',
      '1.0 C>S S seq=100 tsval=2000',
      '1.020 S>C S. seq=500 ack=101 tsval=7000 tsecr=1000',
      '1.020010 C>S . seq=101 ack=501 tsval=2020 tsecr=7000',
    ],
    tap('mid'),
  );
  assert.deepEqual(statePairs(first)[0], 'SYN_SENT/SYN_RECEIVED');
  assert.deepEqual(arrived(first), [true, true, true, true]);
});

test('a copy sent within the round trip (a network duplicate) is not a retransmission: no silence', () => {
  const r = runTrace(
    [
      '0.0 C>S S seq=100',
      '0.000005 C>S S seq=100',
      '0.000030 S>C S. seq=500 ack=101',
      '0.020 C>S . seq=101 ack=501',
    ],
    tap('server'),
  );
  assert.deepEqual(statePairs(r)[0], 'SYN_SENT/SYN_RECEIVED');
  assert.deepEqual(arrived(r)[0], true);
});

test('a FIN sent again, never acknowledged: beside its receiver it did not arrive; beside its sender, doubt', () => {
  const lines = [
    '0.0 C>S S seq=100',
    '0.000030 S>C S. seq=500 ack=101',
    '0.020 C>S . seq=101 ack=501',
    '0.5 C>S F. seq=101 ack=501',
    '0.9 C>S F. seq=101 ack=501',
    '0.900040 S>C . seq=501 ack=102',
  ];
  const server = runTrace(lines, tap('server'));
  assert.deepEqual(statePairs(server).slice(3), [
    'FIN_WAIT_1/ESTABLISHED',
    'FIN_WAIT_1/CLOSE_WAIT',
    'FIN_WAIT_2/CLOSE_WAIT',
  ]);
  assert.deepEqual(arrived(server).slice(3), [false, true, true]);
  const client = runTrace(lines, tap('client'));
  assert.deepEqual(statePairs(client).slice(3), [
    'FIN_WAIT_1/UNKNOWN',
    'FIN_WAIT_1/CLOSE_WAIT',
    'FIN_WAIT_2/CLOSE_WAIT',
  ]);
  assert.deepEqual(arrived(client).slice(3), [null, true, true]);
});

test('data its receiver’s later segment does not acknowledge, sent after it had time to arrive, was lost', () => {
  // 10 ms round trip at the client's tap; the server's data 40 ms after the client's request
  // still acknowledges 101 (RFC 9293 §3.10.7.4: every segment carries RCV.NXT): the request was
  // lost; the one the server's FIN sends back 3 ms after the copy is still in flight (crossed).
  const r = runTrace(
    [
      '0.0 C>S S seq=100',
      '0.010 S>C S. seq=500 ack=101',
      '0.010010 C>S . seq=101 ack=501',
      '0.020 C>S P. seq=101 ack=501 len=10',
      '0.060 S>C P. seq=501 ack=101 len=100',
      '0.060010 C>S . seq=111 ack=601',
      '0.300 C>S P. seq=101 ack=601 len=10',
      '0.303 S>C . seq=601 ack=101',
      '0.320 S>C . seq=601 ack=111',
    ],
    tap('client'),
  );
  assert.deepEqual(arrived(r), [true, true, true, false, true, true, true, true, true]);
});

test('a RST <SEQ=SEG.ACK> answering a SYN+ACK that SYN_SENT would accept: the client had given up (CLOSED)', () => {
  // RFC 9293 §3.10.7.1: only an endpoint with no connection answers an acceptable SYN+ACK so.
  const r = runTrace(
    ['0.0 C>S S seq=100', '1.0 S>C S. seq=500 ack=101', '1.000010 C>S R seq=101'],
    tap('client'),
  );
  assert.deepEqual(statePairs(r), ['SYN_SENT/SYN_RECEIVED', 'CLOSED/SYN_RECEIVED', 'CLOSED/LISTEN']);
  assert.deepEqual(arrived(r), [true, true, true]);
  // A SYN+ACK whose ACK SYN_SENT would refuse draws the same RST from SYN_SENT: it did not take effect.
  const bad = runTrace(
    ['0.0 C>S S seq=100', '1.0 S>C S. seq=500 ack=999', '1.000010 C>S R seq=999'],
    tap('client'),
  );
  assert.equal(statePairs(bad)[1], 'SYN_SENT/SYN_RECEIVED');
});

// Both SYN+ACKs lost before the client, which resends its SYN and gives up; as the server's NIC
// sees it: the answer at once, the server's resend at once on the second SYN and on its timer,
// the RST of the client that had given up a round trip (20 ms) after the last one.
const SYNACKS_LOST = [
  '0.0 C>S S seq=100',
  '0.000030 S>C S. seq=500 ack=101',
  '1.0 C>S S seq=100',
  '1.000030 S>C S. seq=500 ack=101',
  '2.000030 S>C S. seq=500 ack=101',
  '2.020030 C>S R seq=101',
];

test('a SYN resent after a SYN+ACK, no round trip known: SYN_SENT answers a SYN+ACK with an ACK, never a SYN', () => {
  // §3.10.7.3: before the resend could have crossed it the client would have been ESTABLISHED.
  // Its resend and its RST <SEQ=SEG.ACK> from CLOSED deny the first two (lost), at every tap.
  for (const where of ['server', 'client', 'mid']) {
    const r = runTrace(SYNACKS_LOST, tap(where));
    assert.deepEqual(r.records[0]!.states.orig, ['CLOSED', 'SYN_SENT', 'CLOSED'], where);
    assert.deepEqual(arrived(r), [true, false, true, false, true, true], where);
  }
  // Without the RST, beside the server the client's silence is that of a sender (UNKNOWN); beside it, lost.
  const quiet = SYNACKS_LOST.slice(0, 5);
  assert.deepEqual(arrived(runTrace(quiet, tap('client'))), [true, false, true, false, false]);
  assert.deepEqual(runTrace(quiet, tap('server')).records[0]!.states.orig, ['CLOSED', 'SYN_SENT', 'UNKNOWN']);
});

// Crossing FINs, the client's dropped on arrival at the server, resent after its RTO; beside the
// client (Linux: IP IDs count each socket's packets; a SYN+ACK's is 0, the request socket's).
const CROSSING_FIN_LOST = [
  '0.0 C>S S seq=100 tsval=100 id=10',
  '0.000050 S>C S. seq=500 ack=101 tsval=900 tsecr=100 id=0',
  '0.000060 C>S . seq=101 ack=501 tsval=100 tsecr=900 id=11',
  '0.087 C>S F. seq=101 ack=501 tsval=187 tsecr=900 id=12',
  '0.087094 S>C F. seq=501 ack=101 tsval=987 tsecr=100 id=20',
  '0.087106 C>S . seq=102 ack=502 tsval=187 tsecr=987 id=13',
  '0.298 C>S F. seq=101 ack=502 tsval=398 tsecr=987 id=14',
  '0.298074 S>C . seq=502 ack=102 tsval=1198 tsecr=398 id=21',
];

test('IP IDs: the receiver’s next packet after its crossing FIN answers the resent FIN, so the first never arrived', () => {
  // Had it arrived, the server (FIN_WAIT_1 → CLOSING) would have acknowledged it at once
  // (§3.10.7.4 eighth step): a packet between IDs 20 and 21. Its ACK echoes the resend's TSval.
  const r = runTrace(CROSSING_FIN_LOST, tap('client'));
  assert.deepEqual(statePairs(r).slice(3), [
    'FIN_WAIT_1/ESTABLISHED',
    'CLOSING/FIN_WAIT_1',
    'CLOSING/FIN_WAIT_2',
    'CLOSING/TIME_WAIT',
    'TIME_WAIT/TIME_WAIT',
  ]);
  assert.equal(r.packets[3]!.arrived, false);
  // A packet unseen in between (ID 22), or an echo of the first FIN: it may have arrived, doubt.
  for (const lines of [
    CROSSING_FIN_LOST.map((l) => l.replace('id=21', 'id=22')),
    CROSSING_FIN_LOST.map((l) => l.replace('tsecr=398 id=21', 'tsecr=187 id=21')),
  ]) {
    const d = runTrace(lines, tap('client'));
    assert.equal(d.packets[3]!.arrived, null);
    assert.equal(statePairs(d)[5], 'CLOSING/UNKNOWN');
  }
});

// Keep-alive probes (<SEQ=SND.NXT−1>, RFC 9293 §3.8.4) after an idle handshake: the first answered,
// then three sent 1 s apart that nothing answers, and the client gives up with a RST.
const PROBES = [
  '0.0 C>S S seq=100',
  '0.000030 S>C S. seq=500 ack=101',
  '0.020030 C>S . seq=101 ack=501',
  '5.0 C>S . seq=100 ack=501',
  '5.000030 S>C . seq=501 ack=101',
  '10.0 C>S . seq=100 ack=501',
  '11.0 C>S . seq=100 ack=501',
  '12.0 C>S . seq=100 ack=501',
  '13.0 C>S R. seq=101 ack=501',
];

test('keep-alive probes nothing answers: beside their receiver lost; beside their sender or in the middle, doubt', () => {
  // An unacceptable segment is acknowledged at once (§3.10.7.4): silence until the next probe.
  assert.deepEqual(arrived(runTrace(PROBES, tap('server'))).slice(3, 8), [true, true, false, false, false]);
  for (const where of ['client', 'mid'])
    assert.deepEqual(
      arrived(runTrace(PROBES, tap(where))).slice(3, 8),
      [true, true, null, null, null],
      where,
    );
  // Answered, a probe arrived, at any tap. Linux's answer echoes TS.Recent, the TSval of the last
  // acceptable segment (an unacceptable probe never updates it): no echo names the probe.
  const answered = runTrace(
    [
      '0.0 C>S S seq=100 tsval=1000',
      '0.020 S>C S. seq=500 ack=101 tsval=7000 tsecr=1000',
      '0.020010 C>S . seq=101 ack=501 tsval=1020 tsecr=7000',
      '5.0 C>S . seq=100 ack=501 tsval=6000 tsecr=7000',
      '5.020 S>C . seq=501 ack=101 tsval=12000 tsecr=1020',
    ],
    tap('client'),
  );
  assert.deepEqual(arrived(answered).slice(3), [true, true]);
  // A window probe (the peer's window is 0) is not judged so: Linux rate-limits its answers.
  const zeroWindow = runTrace(
    [
      '0.0 C>S S seq=100',
      '0.000030 S>C S. seq=500 ack=101',
      '0.020030 C>S P. seq=101 ack=501 len=10',
      '0.020060 S>C . seq=501 ack=111 win=0',
      '0.300 C>S . seq=110 ack=501',
      '0.700 C>S . seq=110 ack=501',
    ],
    tap('server'),
  );
  assert.deepEqual(arrived(zeroWindow).slice(4), [true, true]);
});

test('a SYN nothing answers and its sender never resends (a spoofed source): beside the server dropped, elsewhere doubt', () => {
  // A full SYN queue with tcp_syncookies=0 drops a SYN silently (a SYN flood's victims); a SYN
  // reaching LISTEN is answered at once (§3.10.7.2), so beside the server its silence decides.
  const lone = ['0.0 C>S S seq=100'];
  const one = (where: string) => runTrace(lone, tap(where));
  assert.deepEqual(arrived(one('server')), [false]);
  // No socket of the server's ever held the connection: CLOSED, as the kernel shows it.
  assert.deepEqual(one('server').records[0]!.states, { orig: ['CLOSED', 'SYN_SENT'], resp: ['CLOSED'] });
  for (const where of ['client', 'mid']) {
    assert.deepEqual(arrived(one(where)), [null], where);
    assert.deepEqual(one(where).records[0]!.states.resp, ['UNKNOWN'], where);
  }
  // Without a tap, nothing places it: doubt (test/track-handshake.test.ts).
  assert.deepEqual(arrived(runTrace(lone)), [null]);
});

test('a SYN+ACK for an ISS its receiver replaced with a new SYN: lost or rejected, arrived null', () => {
  // RFC 9293 §3.5 Figure 8: the old duplicate SYN (seq 90) is answered; the client, whose SYN is
  // seq 2000, rejects that SYN+ACK with a RST <SEQ=SEG.ACK> if it arrives (§3.10.7.3) — or it was
  // lost: either way it took no effect, and the capture cannot tell which.
  const r = runTrace(
    [
      '0.0 C>S S seq=90',
      '0.000030 S>C S. seq=500 ack=91',
      '0.015 C>S S seq=2000',
      '0.015030 S>C . seq=501 ack=91',
      '0.020 C>S R seq=91',
    ],
    tap('server'),
  );
  assert.equal(arrived(r)[1], null);
  assert.equal(r.packets[1].orig, 'SYN_SENT');
});

test('an old duplicate SYN (RFC 9293 Figure 9) with another profile than its claimed sender’s SYN: that endpoint stayed CLOSED', () => {
  // The client's own SYN, under a new ISS, carries timestamps and window scaling the old one
  // lacks: not the stack now opening the connection. Its sender's state does not move on it.
  const fig9 = (old: string) =>
    runTrace(
      [
        `0.0 C>S S seq=90${old}`,
        '0.000030 S>C S. seq=500 ack=91',
        '0.015 C>S S seq=2000 tsval=1000 wscale=7',
        '0.015030 S>C . seq=501 ack=91',
        '0.020 C>S R seq=91',
      ],
      tap('server'),
    ).packets.map((p) => p.orig);
  assert.deepEqual(fig9(''), ['CLOSED', 'CLOSED', 'SYN_SENT', 'SYN_SENT', 'SYN_SENT']);
  // The same profile: maybe its own earlier attempt, aborted (no RST from SYN_SENT): as before.
  assert.deepEqual(fig9(' tsval=900 wscale=7').slice(0, 2), ['SYN_SENT', 'SYN_SENT']);
});

test('data a cumulative ACK stops short of is lost only if that ACK is a duplicate: advancing ACKs may be a backlog processed one segment at a time', () => {
  // The resent segment starts a loss recovery (held); the new segment after it is acknowledged
  // in two steps a microsecond apart, as a receiver working through a burst does.
  const lines = [
    '0.0 C>S S seq=100',
    '0.020 S>C S. seq=500 ack=101',
    '0.020010 C>S . seq=101 ack=501',
    '0.1 C>S P. seq=101 ack=501 len=100',
    '0.100010 C>S P. seq=201 ack=501 len=100',
    '0.3 C>S P. seq=101 ack=501 len=100',
    '0.300010 C>S P. seq=301 ack=501 len=100',
  ];
  const backlog = runTrace([...lines, '0.36 S>C . seq=501 ack=301', '0.360001 S>C . seq=501 ack=401']);
  assert.equal(backlog.packets[6]!.arrived, true);
});

test('a RST <SEQ=SEG.ACK> that crossed its receiver’s next segment takes effect after it (old duplicate SYN, in the middle)', () => {
  // RFC 9293 §3.5 Figure 9 seen in the middle (round trip to the server 10 ms): the client's RST
  // answering the old SYN's SYN+ACK reaches the server after the server's ACK answering the new
  // SYN left — that ACK shows SYN_RECEIVED, not a RST lost; the server is in LISTEN before the
  // client's second RST (which a listener ignores).
  const r = runTrace(
    [
      '0.0 C>S S seq=90',
      '0.010 S>C S. seq=500 ack=91',
      '0.015 C>S S seq=2000 tsval=1000 wscale=7',
      '0.020 C>S R seq=91',
      '0.025 S>C . seq=501 ack=91',
      '0.035 C>S R seq=91',
    ],
    tap('mid'),
  );
  assert.deepEqual(
    r.packets.slice(3).map((p) => p.resp),
    ['SYN_RECEIVED', 'SYN_RECEIVED', 'LISTEN'],
  );
  assert.equal(arrived(r)[3], true);
});
