// The sans-IO RFC 9293 endpoint: conformance tables state by state (a segment in → the segment
// out and the state after, as in RFC 9293 §3.10 and RFC 5961), then pairs of endpoints wired
// together on simulated time until idle (with a step limit that catches livelock).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EndpointOptions } from '../src/tcp/config.js';
import { Disposition, TcpEndpoint } from '../src/tcp/endpoint.js';
import { seededRandom } from '../src/tcp/random.js';
import { formatSegment, type Segment } from '../src/tcp/segment.js';
import { seqAdd } from '../src/tcp/seq.js';
import { TcpState as S, stateName } from '../src/tcp/state.js';
import { findTransition } from '../src/tcp/transitions.js';
import { ACK, FIN, PSH, RST, SYN } from '../src/wire/packet.js';
import { Pair } from './helpers/tcp-pair.js';

const LOCAL = 40000;
const REMOTE = 80;
/** The peer's ISN in the hand-written traces. */
const PEER_ISS = 1000;
/** RFC-plain endpoints for the conformance tables: no options, no Linux quick-ACK mode. */
const PLAIN: Partial<EndpointOptions> = {
  timestamps: false,
  sack: false,
  wscale: undefined,
  quickAck: false,
};

function endpoint(extra: Partial<EndpointOptions> = {}): TcpEndpoint {
  return new TcpEndpoint({ random: seededRandom(7), localPort: LOCAL, ...PLAIN, ...extra });
}

/** A segment from the peer (port 80) to us. */
function seg(flags: number, seq: number, ack = 0, payload: Uint8Array | number = 0, window = 1000): Segment {
  const bytes = typeof payload === 'number' ? new Uint8Array(payload) : payload;
  return { srcPort: REMOTE, dstPort: LOCAL, seq, ack, flags, window, options: {}, payload: bytes };
}

function drain(ep: TcpEndpoint): Segment[] {
  const out: Segment[] = [];
  for (let s = ep.pollTransmit(); s; s = ep.pollTransmit()) out.push(s);
  return out;
}

/** The single segment the endpoint sent, checked field by field. */
function expectOne(
  ep: TcpEndpoint,
  want: { flags: number; seq: number; ack?: number; len?: number },
): Segment {
  const out = drain(ep);
  assert.equal(out.length, 1, `expected one segment, got: ${out.map(formatSegment).join(' | ')}`);
  const [s] = out;
  assert.equal(s.flags, want.flags, formatSegment(s));
  assert.equal(s.seq, want.seq >>> 0, formatSegment(s));
  if (want.ack !== undefined) assert.equal(s.ack, want.ack >>> 0, formatSegment(s));
  assert.equal(s.payload.length, want.len ?? 0, formatSegment(s));
  return s;
}

function expectNothing(ep: TcpEndpoint): void {
  const out = drain(ep);
  assert.deepEqual(out.map(formatSegment), []);
}

function synSent(extra: Partial<EndpointOptions> = {}): TcpEndpoint {
  const ep = endpoint(extra);
  ep.connect(0, REMOTE);
  drain(ep);
  return ep;
}

function established(extra: Partial<EndpointOptions> = {}): TcpEndpoint {
  const ep = synSent(extra);
  ep.handleSegment(10_000, seg(SYN | ACK, PEER_ISS, seqAdd(ep.iss, 1)));
  drain(ep);
  assert.equal(ep.state, S.ESTABLISHED);
  return ep;
}

/** A passive endpoint that answered a SYN (seq PEER_ISS). */
function synReceived(extra: Partial<EndpointOptions> = {}): TcpEndpoint {
  const ep = endpoint(extra);
  ep.listen(0);
  ep.handleSegment(0, seg(SYN, PEER_ISS));
  drain(ep);
  return ep;
}

const R = PEER_ISS + 1; // the peer's first data sequence number = our RCV.NXT

describe('Tests for the CLOSED state', () => {
  test('a SYN to a closed port draws <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>', () => {
    const ep = endpoint();
    ep.handleSegment(0, seg(SYN, 5000));
    expectOne(ep, { flags: RST | ACK, seq: 0, ack: 5001 });
    assert.equal(ep.state, S.CLOSED);
  });
  test('an ACK segment draws <SEQ=SEG.ACK><CTL=RST>', () => {
    const ep = endpoint();
    ep.handleSegment(0, seg(ACK | PSH, 5000, 777, 10));
    expectOne(ep, { flags: RST, seq: 777 });
  });
  test('a RST is never answered', () => {
    const ep = endpoint();
    ep.handleSegment(0, seg(RST, 5000));
    expectNothing(ep);
  });
});

describe('Tests for the LISTEN state', () => {
  test('a RST is ignored, an ACK draws a RST, a SYN gets SYN+ACK', () => {
    const ep = endpoint();
    ep.listen(0);
    ep.handleSegment(1, seg(RST, 5000));
    expectNothing(ep);
    ep.handleSegment(2, seg(ACK, 5000, 4242));
    expectOne(ep, { flags: RST, seq: 4242 });
    assert.equal(ep.state, S.LISTEN);
    ep.handleSegment(3, seg(SYN, PEER_ISS));
    expectOne(ep, { flags: SYN | ACK, seq: ep.iss, ack: PEER_ISS + 1 });
    assert.equal(ep.state, S.SYN_RECEIVED);
  });
  test('the SYN+ACK answers only the options the SYN offered (RFC 7323 §1.3)', () => {
    const ep = endpoint({ timestamps: true, sack: true, wscale: 7 });
    ep.listen(0);
    const syn = seg(SYN, PEER_ISS);
    syn.options = { mss: 1400, sackOk: true };
    ep.handleSegment(0, syn);
    const [synAck] = drain(ep);
    assert.deepEqual(synAck.options, { mss: 1460, sackOk: true });
    assert.equal(ep.sndMss, 1400);
    assert.equal(ep.wsOk, false);
    assert.equal(ep.tsOk, false);
  });
  test('a SYN with every option negotiates all of them', () => {
    const ep = endpoint({ timestamps: true, sack: true, wscale: 7 });
    ep.listen(0);
    const syn = seg(SYN, PEER_ISS);
    syn.options = { mss: 1460, sackOk: true, ts: [555, 0], wscale: 9 };
    ep.handleSegment(0, syn);
    const [synAck] = drain(ep);
    assert.equal(synAck.options.wscale, 7);
    assert.deepEqual(synAck.options.ts?.[1], 555);
    assert.equal(ep.sndWscale, 9);
    assert.equal(ep.rcvWscale, 7);
  });
});

describe('Tests for the SYN_SENT state', () => {
  test('connect sends a SYN with the ISN from the seeded source, and the same seed repeats it', () => {
    const a = endpoint({ sack: true, timestamps: true, wscale: 7 });
    a.connect(0, REMOTE);
    const [syn] = drain(a);
    assert.equal(syn.flags, SYN);
    assert.equal(syn.seq, a.iss);
    assert.deepEqual(Object.keys(syn.options).sort(), ['mss', 'sackOk', 'ts', 'wscale']);
    const b = endpoint({ sack: true, timestamps: true, wscale: 7 });
    b.connect(0, REMOTE);
    assert.equal(b.iss, a.iss);
  });
  test('an unacceptable SYN+ACK (answer to an old duplicate SYN) draws <SEQ=SEG.ACK><CTL=RST>', () => {
    const ep = synSent();
    ep.handleSegment(1, seg(SYN | ACK, PEER_ISS, 91));
    expectOne(ep, { flags: RST, seq: 91 });
    assert.equal(ep.state, S.SYN_SENT);
  });
  test('a RST with an acceptable ACK refuses the connection; without ACK it is ignored', () => {
    const ep = synSent();
    ep.handleSegment(1, seg(RST, 0));
    assert.equal(ep.state, S.SYN_SENT);
    ep.handleSegment(2, seg(RST | ACK, 0, seqAdd(ep.iss, 99)));
    assert.equal(ep.state, S.SYN_SENT, 'a RST whose ACK is not ours is dropped');
    ep.handleSegment(3, seg(RST | ACK, 0, seqAdd(ep.iss, 1)));
    assert.equal(ep.state, S.CLOSED);
    const ev = ep.pollEvent();
    assert.equal(ev?.to, S.SYN_SENT);
    assert.deepEqual(
      { ...ep.pollEvent(), at: 0 },
      {
        at: 0,
        from: S.SYN_SENT,
        to: S.CLOSED,
        event: findTransition(S.SYN_SENT, 10)!.event,
        rfc: '3.10.7.3',
        reason: 'connection refused',
      },
    );
  });
  test('a SYN+ACK completes the handshake with an ACK', () => {
    const ep = synSent();
    ep.handleSegment(10_000, seg(SYN | ACK, PEER_ISS, seqAdd(ep.iss, 1)));
    expectOne(ep, { flags: ACK, seq: seqAdd(ep.iss, 1), ack: PEER_ISS + 1 });
    assert.equal(ep.state, S.ESTABLISHED);
    assert.equal(ep.rto.srtt, 10_000, 'the handshake is the first RTT sample');
    assert.equal(ep.pollTimeout(), undefined, 'nothing in flight: no timer');
  });
  test('a SYN alone (simultaneous open) moves to SYN_RECEIVED and sends SYN+ACK with our ISN', () => {
    const ep = synSent();
    ep.handleSegment(1, seg(SYN, PEER_ISS));
    expectOne(ep, { flags: SYN | ACK, seq: ep.iss, ack: PEER_ISS + 1 });
    assert.equal(ep.state, S.SYN_RECEIVED);
    assert.equal(ep.passive, false);
  });
  test('SYN retransmissions back off 1, 2, 4… s and give up after tcp_syn_retries (Linux: at 127 s)', () => {
    const ep = synSent();
    const sentAt: number[] = [0];
    for (let t = ep.pollTimeout(); t !== undefined; t = ep.pollTimeout()) {
      ep.handleTimeout(t);
      for (const s of drain(ep)) {
        assert.equal(s.flags, SYN);
        assert.equal(s.seq, ep.iss);
        sentAt.push(t);
      }
      if (ep.state === S.CLOSED) {
        assert.equal(t, 127_000_000);
        break;
      }
    }
    assert.deepEqual(
      sentAt,
      [0, 1, 3, 7, 15, 31, 63].map((s) => s * 1_000_000),
    );
  });
  test('synRetries and the initial RTO are configurable', () => {
    const ep = synSent({ synRetries: 2, initialRtoUs: 500_000 });
    const times: number[] = [];
    for (let t = ep.pollTimeout(); t !== undefined; t = ep.pollTimeout()) {
      ep.handleTimeout(t);
      times.push(t);
    }
    assert.deepEqual(times, [500_000, 1_500_000, 3_500_000]);
    assert.equal(ep.state, S.CLOSED);
  });
});

describe('Tests for the SYN_RECEIVED state', () => {
  test('the ACK of our SYN moves to ESTABLISHED; a bad ACK draws a RST', () => {
    const ep = synReceived();
    ep.handleSegment(1, seg(ACK, R, seqAdd(ep.iss, 5)));
    expectOne(ep, { flags: RST, seq: seqAdd(ep.iss, 5) });
    assert.equal(ep.state, S.SYN_RECEIVED);
    ep.handleSegment(2, seg(ACK, R, seqAdd(ep.iss, 1)));
    expectNothing(ep);
    assert.equal(ep.state, S.ESTABLISHED);
  });
  test('a retransmitted SYN makes the passive side resend its SYN+ACK (Linux tcp_check_req)', () => {
    const ep = synReceived();
    ep.handleSegment(1, seg(SYN, PEER_ISS));
    expectOne(ep, { flags: SYN | ACK, seq: ep.iss, ack: R });
  });
  test('SYN+ACK retransmissions: tcp_synack_retries = 5, give up at 63 s', () => {
    const ep = synReceived();
    const times: number[] = [];
    for (let t = ep.pollTimeout(); t !== undefined; t = ep.pollTimeout()) {
      ep.handleTimeout(t);
      if (drain(ep).some((s) => s.flags === (SYN | ACK))) times.push(t / 1e6);
      if (ep.state !== S.SYN_RECEIVED) {
        assert.equal(t, 63_000_000);
        break;
      }
    }
    assert.deepEqual(times, [1, 3, 7, 15, 31]);
    assert.equal(ep.state, S.CLOSED);
  });
  test('a RST at RCV.NXT returns a passive opener to LISTEN (§3.10.7.4)', () => {
    const ep = synReceived();
    ep.handleSegment(1, seg(RST, R));
    assert.equal(ep.state, S.LISTEN);
    assert.equal(ep.pollTimeout(), undefined);
  });
  test('the ACK of our SYN with a FIN enters ESTABLISHED (step 5), then CLOSE_WAIT (step 8)', () => {
    const ep = synReceived();
    ep.handleSegment(1, seg(ACK | FIN, R, seqAdd(ep.iss, 1)));
    assert.deepEqual(
      ep.history.map((h) => stateName(h.state)),
      ['CLOSED', 'LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT'],
    );
  });
  test('a new SYN in the window of a passive SYN_RECEIVED returns it to LISTEN', () => {
    const ep = synReceived();
    ep.handleSegment(1, seg(SYN, R + 500));
    assert.equal(ep.state, S.LISTEN);
  });
});

describe('Tests for the ESTABLISHED state', () => {
  test('RFC 5961 §3: RST exactly at RCV.NXT resets', () => {
    const ep = established();
    ep.handleSegment(20_000, seg(RST, R));
    expectNothing(ep);
    assert.equal(ep.state, S.CLOSED);
  });
  test('RFC 5961 §3: RST in the window but not at RCV.NXT draws a challenge ACK and changes nothing', () => {
    const ep = established();
    ep.handleSegment(20_000, seg(RST, R + 100));
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R });
    assert.equal(ep.state, S.ESTABLISHED);
    assert.equal(ep.challengeAcks, 1);
  });
  test('RFC 5961 §3: RST outside the window is silently dropped', () => {
    const ep = established();
    ep.handleSegment(20_000, seg(RST, R + 10_000_000));
    ep.handleSegment(20_000, seg(RST, R - 1));
    expectNothing(ep);
    assert.equal(ep.state, S.ESTABLISHED);
  });
  test('RFC 5961 §4: a SYN in a synchronized state draws a challenge ACK', () => {
    const ep = established();
    ep.handleSegment(20_000, seg(SYN, R + 5));
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R });
    assert.equal(ep.state, S.ESTABLISHED);
  });
  test('an ACK of unsent data is answered with an ACK and dropped', () => {
    const ep = established();
    ep.handleSegment(20_000, seg(ACK, R, seqAdd(ep.sndNxt, 10), 5));
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R });
    assert.equal(ep.readable, 0);
  });
  test('an old segment (below RCV.NXT) draws a duplicate ACK', () => {
    const ep = established();
    ep.handleSegment(20_000, seg(ACK | PSH, R, ep.sndNxt, 10));
    ep.handleSegment(30_000, seg(ACK | PSH, R, ep.sndNxt, 10));
    const out = drain(ep);
    assert.equal(out.length, 1);
    assert.equal(out[0].ack, R + 10);
  });
  test('data is acknowledged after the delayed-ACK timeout, or at once for every second segment', () => {
    const ep = established();
    ep.handleSegment(20_000, seg(ACK | PSH, R, ep.sndNxt, 100));
    expectNothing(ep);
    assert.equal(ep.pollTimeout(), 60_000);
    ep.handleTimeout(60_000);
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R + 100 });
    ep.handleSegment(70_000, seg(ACK, R + 100, ep.sndNxt, 100));
    ep.handleSegment(70_001, seg(ACK, R + 200, ep.sndNxt, 100));
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R + 300 });
  });
  test('Linux quick-ACK: the first data segments are ACKed at once, until we answer with data (pingpong)', () => {
    const ep = established({ quickAck: true });
    ep.handleSegment(20_000, seg(ACK | PSH, R, ep.sndNxt, 100));
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R + 100 });
    ep.send(21_000, new Uint8Array(10)); // an answer within the delayed-ACK time: interactive
    drain(ep);
    ep.handleSegment(30_000, seg(ACK | PSH, R + 100, ep.sndNxt, 100));
    expectNothing(ep);
    assert.equal(ep.pollTimeout(), 70_000, 'delayed again');
  });
  test('a SYN window is a whole number of MSS-sized segments (Linux: 64240)', () => {
    const ep = new TcpEndpoint({ random: seededRandom(1), localPort: LOCAL });
    ep.connect(0, REMOTE);
    assert.equal(drain(ep)[0].window, 64240);
  });
  test('an out-of-order segment draws an immediate duplicate ACK with a SACK block', () => {
    const ep = established({ sack: true });
    const synAck = ep; // options were negotiated without SACK in established(): renegotiate by hand
    void synAck;
    const e2 = synSent({ sack: true });
    const sa = seg(SYN | ACK, PEER_ISS, seqAdd(e2.iss, 1));
    sa.options = { sackOk: true };
    e2.handleSegment(10_000, sa);
    drain(e2);
    e2.handleSegment(20_000, seg(ACK, R + 100, e2.sndNxt, 50));
    const dup = expectOne(e2, { flags: ACK, seq: e2.sndNxt, ack: R });
    assert.deepEqual(dup.options.sack, [[R + 100, R + 150]]);
    e2.handleSegment(21_000, seg(ACK, R, e2.sndNxt, 100));
    expectOne(e2, { flags: ACK, seq: e2.sndNxt, ack: R + 150 });
    assert.equal(e2.readable, 150);
  });
  test('close() with unread data sends RST instead of FIN (RFC 1122 §4.2.2.13)', () => {
    const ep = established();
    ep.handleSegment(20_000, seg(ACK | PSH, R, ep.sndNxt, 10));
    drain(ep);
    ep.close(30_000);
    expectOne(ep, { flags: RST | ACK, seq: ep.sndNxt, ack: R + 10 });
    assert.equal(ep.state, S.CLOSED);
  });
  test('abort sends RST+ACK at SND.NXT', () => {
    const ep = established();
    ep.abort(20_000);
    expectOne(ep, { flags: RST | ACK, seq: ep.sndNxt, ack: R });
    assert.equal(ep.state, S.CLOSED);
  });
  test('a FIN moves to CLOSE_WAIT; its ACK is delayed (Linux), so a quick close merges FIN+ACK', () => {
    const ep = established();
    ep.handleSegment(20_000, seg(ACK | FIN, R, ep.sndNxt));
    assert.equal(ep.state, S.CLOSE_WAIT);
    expectNothing(ep);
    ep.close(25_000);
    expectOne(ep, { flags: FIN | ACK, seq: ep.sndUna, ack: R + 1 });
    assert.equal(ep.state, S.LAST_ACK);
  });
});

describe('Tests for the FIN_WAIT_1 state', () => {
  function finWait1(): TcpEndpoint {
    const ep = established();
    ep.shutdown(20_000);
    expectOne(ep, { flags: FIN | ACK, seq: ep.sndUna, ack: R });
    assert.equal(ep.state, S.FIN_WAIT_1);
    return ep;
  }
  test('the ACK of our FIN moves to FIN_WAIT_2', () => {
    const ep = finWait1();
    ep.handleSegment(30_000, seg(ACK, R, ep.sndNxt));
    assert.equal(ep.state, S.FIN_WAIT_2);
  });
  test('a FIN that does not ack ours (crossing FINs) moves to CLOSING and is ACKed at once', () => {
    const ep = finWait1();
    ep.handleSegment(30_000, seg(ACK | FIN, R, ep.sndUna));
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R + 1 });
    assert.equal(ep.state, S.CLOSING);
    ep.handleSegment(40_000, seg(ACK, R + 1, ep.sndNxt));
    assert.equal(ep.state, S.TIME_WAIT);
  });
  test('a FIN+ACK covering our FIN moves straight to TIME_WAIT (FIN_WAIT_2 skipped)', () => {
    const ep = finWait1();
    ep.handleSegment(30_000, seg(ACK | FIN, R, ep.sndNxt));
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R + 1 });
    assert.deepEqual(
      ep.history.slice(-2).map((h) => stateName(h.state)),
      ['FIN_WAIT_1', 'TIME_WAIT'],
    );
  });
  test('an unacknowledged FIN is retransmitted with backoff', () => {
    const ep = finWait1();
    const t1 = ep.pollTimeout()!;
    ep.handleTimeout(t1);
    expectOne(ep, { flags: FIN | ACK, seq: ep.sndUna, ack: R });
    const t2 = ep.pollTimeout()!;
    assert.equal(t2 - t1, 2 * (t1 - 20_000));
  });
});

describe('Tests for the FIN_WAIT_2 state', () => {
  test('a FIN moves to TIME_WAIT; half-closed data is still received', () => {
    const ep = established();
    ep.shutdown(20_000);
    drain(ep);
    ep.handleSegment(30_000, seg(ACK, R, ep.sndNxt));
    ep.handleSegment(40_000, seg(ACK | PSH, R, ep.sndNxt, 20));
    assert.equal(ep.readable, 20);
    ep.handleSegment(50_000, seg(ACK | FIN, R + 20, ep.sndNxt));
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R + 21 });
    assert.equal(ep.state, S.TIME_WAIT);
  });
  test('an orphaned FIN_WAIT_2 times out after tcp_fin_timeout', () => {
    const ep = established({ finWait2TimeoutUs: 5_000_000 });
    ep.close(20_000);
    drain(ep);
    ep.handleSegment(30_000, seg(ACK, R, ep.sndNxt));
    assert.equal(ep.pollTimeout(), 5_030_000);
    ep.handleTimeout(5_030_000);
    assert.equal(ep.state, S.CLOSED);
  });
});

describe('Tests for the TIME_WAIT state', () => {
  function timeWait(extra: Partial<EndpointOptions> = {}): TcpEndpoint {
    const ep = established(extra);
    ep.shutdown(20_000);
    drain(ep);
    ep.handleSegment(30_000, seg(ACK | FIN, R, ep.sndNxt));
    drain(ep);
    assert.equal(ep.state, S.TIME_WAIT);
    return ep;
  }
  test('2 MSL later (Linux: 60 s) the endpoint is CLOSED', () => {
    const ep = timeWait();
    assert.equal(ep.pollTimeout(), 60_030_000);
    ep.handleTimeout(60_030_000);
    assert.equal(ep.state, S.CLOSED);
  });
  test('the TIME_WAIT length is configurable', () => {
    const ep = timeWait({ timeWaitUs: 240_000_000 });
    assert.equal(ep.pollTimeout(), 240_030_000);
  });
  test('a retransmitted FIN is ACKed again and restarts the wait', () => {
    const ep = timeWait();
    ep.handleSegment(1_000_000, seg(ACK | FIN, R, ep.sndNxt));
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R + 1 });
    assert.equal(ep.pollTimeout(), 61_000_000);
  });
  test('a SYN above RCV.NXT steps aside for a new connection (port reuse)', () => {
    const ep = timeWait();
    assert.equal(ep.handleSegment(2_000_000, seg(SYN, R + 100_000)), Disposition.REUSE);
    assert.equal(ep.state, S.CLOSED);
    expectNothing(ep);
  });
});

describe('Tests for the CLOSE_WAIT and LAST_ACK states', () => {
  test('close in CLOSE_WAIT sends FIN, the ACK of it closes', () => {
    const ep = established({ delayedAckUs: 0 });
    ep.handleSegment(20_000, seg(ACK | FIN, R, ep.sndNxt));
    expectOne(ep, { flags: ACK, seq: ep.sndNxt, ack: R + 1 });
    ep.send(21_000, new Uint8Array(10));
    expectOne(ep, { flags: ACK | PSH, seq: ep.sndUna, ack: R + 1, len: 10 });
    ep.close(22_000);
    expectOne(ep, { flags: FIN | ACK, seq: seqAdd(ep.sndUna, 10), ack: R + 1 });
    assert.equal(ep.state, S.LAST_ACK);
    ep.handleSegment(30_000, seg(ACK, R + 1, ep.sndNxt));
    assert.equal(ep.state, S.CLOSED);
  });
});

// ------------------------------------------------------------------ pairs on simulated time

const TEXT = new TextEncoder();

function openPair(options: ConstructorParameters<typeof Pair>[0] = {}): Pair {
  const p = new Pair(options);
  p.b.listen(0);
  p.a.connect(0, 80);
  p.run(1_000);
  return p;
}

function flagsOf(p: Pair): string[] {
  return p.trace.map((t) => `${t.from}:${formatSegment(t.seg).split(' ')[3]}`);
}

describe('pairs: handshake and data', () => {
  test('three-way handshake then data both ways, every byte delivered in order', () => {
    const p = openPair();
    p.run();
    assert.deepEqual(flagsOf(p), ['a:[S]', 'b:[S.]', 'a:[.]']);
    assert.equal(p.a.state, S.ESTABLISHED);
    assert.equal(p.b.state, S.ESTABLISHED);
    const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
    p.a.send(p.now, big);
    p.b.send(p.now, TEXT.encode('pong'));
    let got = new Uint8Array(0);
    for (let i = 0; i < 200 && got.length < big.length; i++) {
      p.run(p.now + 5_000);
      const chunk = p.b.read(p.now);
      const joined = new Uint8Array(got.length + chunk.length);
      joined.set(got);
      joined.set(chunk, got.length);
      got = joined;
    }
    assert.deepEqual(got, big);
    assert.equal(new TextDecoder().decode(p.a.read(p.now)), 'pong');
    p.run();
    assert.equal(p.a.unacknowledged, 0);
  });
  test('a lost data segment is recovered by retransmission and the RTO doubles each time', () => {
    let dataSent = 0;
    const p = openPair({ drop: (from, s) => from === 'a' && s.payload.length > 0 && ++dataSent <= 3 });
    p.run();
    p.a.send(p.now, TEXT.encode('x'));
    p.run();
    const sends = p.trace.filter((t) => t.from === 'a' && t.seg.payload.length > 0).map((t) => t.at);
    assert.equal(sends.length, 4);
    const gaps = sends.slice(1).map((t, i) => t - sends[i]);
    assert.equal(gaps[1], 2 * gaps[0]);
    assert.equal(gaps[2], 2 * gaps[1]);
    assert.equal(p.b.read(p.now).length, 1);
  });
  test('third ACK lost, the client sends nothing: the server retransmits its SYN+ACK and both end ESTABLISHED', () => {
    const p = openPair({
      drop: (from, s) =>
        from === 'a' &&
        s.flags === ACK &&
        p.b.state === S.SYN_RECEIVED &&
        p.trace.filter((t) => t.dropped).length === 0,
    });
    p.run();
    assert.deepEqual(flagsOf(p), ['a:[S]', 'b:[S.]', 'a:[.]', 'b:[S.]', 'a:[.]']);
    assert.equal(p.trace[3].at, 1_010_000, 'SYN+ACK resent after the 1 s initial RTO');
    assert.equal(p.a.state, S.ESTABLISHED);
    assert.equal(p.b.state, S.ESTABLISHED);
  });
  test('third ACK lost, client data first: the data segment completes the server handshake', () => {
    let dropped = false;
    const p = openPair({
      drop: (from, s) => {
        if (dropped || from !== 'a' || s.flags !== ACK) return false;
        dropped = true;
        return true;
      },
    });
    p.run(25_000);
    p.a.send(p.now, TEXT.encode('hello'));
    p.run();
    assert.equal(p.b.state, S.ESTABLISHED);
    assert.equal(new TextDecoder().decode(p.b.read(p.now)), 'hello');
    assert.ok(!flagsOf(p).includes('b:[S.]', 3), 'no SYN+ACK retransmission was needed');
  });
  test('simultaneous open: SYN, SYN, SYN+ACK, SYN+ACK, then each ACKs the duplicate SYN; both ESTABLISHED', () => {
    for (const stack of ['rfc9293', 'linux'] as const) {
      const p = new Pair({ a: { stack }, b: { stack } });
      p.a.connect(0, 80);
      p.b.connect(0, 40000);
      p.run();
      // RFC 9293 §3.5 Figure 8; the SYN in the peer's SYN+ACK lies below RCV.NXT, so it is
      // acknowledged (§3.10.7.4 step 1) — what Linux sends (test/fixtures/kernel/simultaneous-open).
      assert.deepEqual(flagsOf(p), ['a:[S]', 'b:[S]', 'b:[S.]', 'a:[S.]', 'a:[.]', 'b:[.]'], stack);
      assert.deepEqual(p.states('a'), ['CLOSED', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED']);
      assert.deepEqual(p.states('b'), ['CLOSED', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED']);
      const ack = p.trace[4].seg;
      // Linux reports the duplicate SYN as a D-SACK block (RFC 2883): sack {IRS:IRS+1}.
      const irs = p.trace[1].seg.seq;
      assert.deepEqual(ack.options.sack, stack === 'linux' ? [[irs, (irs + 1) >>> 0]] : undefined, stack);
      assert.deepEqual(
        p.trace[5].seg.options.sack ?? [],
        stack === 'linux' ? [[p.trace[0].seg.seq, (p.trace[0].seg.seq + 1) >>> 0]] : [],
      );
    }
  });
  test('connection refused: SYN answered by RST+ACK from a closed port', () => {
    const p = new Pair();
    p.a.connect(0, 80);
    p.run();
    assert.deepEqual(flagsOf(p), ['a:[S]', 'b:[R.]']);
    assert.equal(p.a.state, S.CLOSED);
  });
});

describe('pairs: teardown', () => {
  test('client closes first: four segments, client TIME_WAIT then CLOSED after 2 MSL', () => {
    const p = openPair();
    p.run();
    p.a.close(p.now);
    p.run(p.now + 500_000);
    p.b.close(p.now);
    p.run();
    assert.deepEqual(flagsOf(p).slice(3), ['a:[F.]', 'b:[.]', 'b:[F.]', 'a:[.]']);
    assert.deepEqual(p.states('a'), [
      'CLOSED',
      'SYN_SENT',
      'ESTABLISHED',
      'FIN_WAIT_1',
      'FIN_WAIT_2',
      'TIME_WAIT',
      'CLOSED',
    ]);
    assert.deepEqual(p.states('b'), [
      'CLOSED',
      'LISTEN',
      'SYN_RECEIVED',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'LAST_ACK',
      'CLOSED',
    ]);
    const tw = p.a.history.find((h) => h.state === S.TIME_WAIT)!.at;
    assert.equal(p.a.history.at(-1)!.at - tw, 60_000_000);
  });
  test('server closes first: the roles mirror', () => {
    const p = openPair();
    p.run();
    p.b.close(p.now);
    p.run(p.now + 500_000);
    p.a.close(p.now);
    p.run();
    assert.deepEqual(p.states('b').slice(-4), ['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
    assert.deepEqual(p.states('a').slice(-3), ['CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });
  test('merged FIN+ACK: the server closes within the delayed-ACK time, three segments', () => {
    const p = openPair();
    p.run();
    p.a.close(p.now);
    p.run(p.now + 15_000); // the FIN has reached b (10 ms), its delayed ACK not yet sent
    p.b.close(p.now);
    p.run();
    assert.deepEqual(flagsOf(p).slice(3), ['a:[F.]', 'b:[F.]', 'a:[.]']);
    assert.deepEqual(p.states('a').slice(-3), ['FIN_WAIT_1', 'TIME_WAIT', 'CLOSED']);
  });
  test('simultaneous close: FINs cross, both CLOSING then TIME_WAIT', () => {
    const p = openPair();
    p.run();
    p.a.close(p.now);
    p.b.close(p.now);
    p.run();
    assert.deepEqual(p.states('a').slice(-4), ['FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED']);
    assert.deepEqual(p.states('b').slice(-4), ['FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED']);
  });
  test('half-close: after the client shutdown, the server still sends data the client receives', () => {
    const p = openPair();
    p.run();
    p.a.shutdown(p.now);
    p.run(p.now + 100_000);
    assert.equal(p.a.state, S.FIN_WAIT_2);
    assert.equal(p.b.state, S.CLOSE_WAIT);
    p.b.send(p.now, TEXT.encode('still here'));
    p.run(p.now + 100_000);
    assert.equal(new TextDecoder().decode(p.a.read(p.now)), 'still here');
    p.b.close(p.now);
    p.run();
    assert.equal(p.a.state, S.CLOSED);
    assert.equal(p.b.state, S.CLOSED);
  });
  test('abort: RST+ACK, the peer is CLOSED at once', () => {
    const p = openPair();
    p.run();
    p.a.abort(p.now);
    p.run();
    assert.equal(flagsOf(p).at(-1), 'a:[R.]');
    assert.equal(p.b.state, S.CLOSED);
  });
});

describe('pairs: RFC 5961 and forged segments', () => {
  test('a forged in-window RST draws a challenge ACK; the peer answers it with nothing new and both stay', () => {
    const p = openPair();
    p.run();
    p.inject('b', { ...seg(RST, seqAdd(p.b.rcvNxt, 1000), 0), srcPort: 40000, dstPort: 80 });
    p.run();
    assert.equal(p.b.challengeAcks, 1);
    assert.equal(p.a.state, S.ESTABLISHED);
    assert.equal(p.b.state, S.ESTABLISHED);
  });
  test('a forged RST at exactly RCV.NXT is accepted', () => {
    const p = openPair();
    p.run();
    p.inject('b', { ...seg(RST, p.b.rcvNxt, 0), srcPort: 40000, dstPort: 80 });
    p.run();
    assert.equal(p.b.state, S.CLOSED);
  });
  test('old duplicate SYN: the client RSTs the wrong SYN+ACK; the real SYN, retransmitted, connects', () => {
    const p = new Pair();
    p.b.listen(0);
    p.inject('b', { ...seg(SYN, 90), srcPort: 40000, dstPort: 80 });
    p.run(5_000);
    p.a.connect(p.now, 80);
    p.run();
    assert.deepEqual(
      p.lines().map((l) => l.split(' ').slice(0, 2).concat(l.split(' ')[5]).join(' ')),
      [
        '0.000 a> [S]', // the old duplicate (injected as if from a)
        '0.000 b> [S.]',
        '5.000 a> [S]',
        '10.000 a> [R]', // SEQ = the wrong SYN+ACK's ACK (91)
        '15.000 b> [.]', // the real SYN is outside b's window for the old one: step 1 ACK
        '25.000 a> [R]', // which a, still in SYN_SENT, also refuses
        '1005.000 a> [S]',
        '1015.000 b> [S.]',
        '1025.000 a> [.]',
      ],
    );
    assert.equal(p.trace[3].seg.seq, 91);
    // The first RST (SEQ = RCV.NXT) sends b back to LISTEN (§3.10.7.4); the second is ignored there.
    assert.deepEqual(p.states('b'), [
      'CLOSED',
      'LISTEN',
      'SYN_RECEIVED',
      'LISTEN',
      'SYN_RECEIVED',
      'ESTABLISHED',
    ]);
    assert.equal(p.a.state, S.ESTABLISHED);
  });
});

describe('pairs: zero window and keep-alive', () => {
  function zeroWindow(style: 'rfc' | 'linux'): Pair {
    const p = openPair({ a: { zeroWindowProbe: style }, b: { rcvBufSize: 4096, wscale: undefined } });
    p.run();
    p.a.send(p.now, new Uint8Array(10_000));
    p.run(p.now + 5_000_000);
    return p;
  }
  test('linux style: empty probes at SND.UNA−1, backing off, ACKed with the zero window', () => {
    const p = zeroWindow('linux');
    assert.equal(p.b.readable, 4096);
    const probes = p.trace.filter(
      (t) => t.from === 'a' && t.seg.payload.length === 0 && t.seg.seq === seqAdd(p.a.sndUna, -1),
    );
    assert.ok(probes.length >= 2, `${probes.length} probes`);
    assert.ok(probes[2].at - probes[1].at > probes[1].at - probes[0].at, 'the persist timer backs off');
    p.b.read(p.now);
    p.run(p.now + 2_000_000);
    assert.ok(p.b.readable > 0, 'the window update restarted the transfer');
  });
  test('rfc style: one byte of new data beyond the zero window', () => {
    const p = zeroWindow('rfc');
    const probes = p.trace.filter((t) => t.from === 'a' && t.seg.payload.length === 1);
    assert.ok(probes.length >= 2);
    assert.ok(probes.every((t) => t.seg.seq === probes[0].seg.seq));
    p.b.read(p.now);
    p.run(p.now + 10_000_000);
    let total = 4096;
    while (p.b.readable > 0) {
      total += p.b.read(p.now).length;
      p.run(p.now + 1_000_000);
    }
    assert.equal(total, 10_000);
  });
  test('keep-alive: probes at SND.NXT−1 after the idle time, every interval, then a reset', () => {
    const ka = {
      keepalive: true,
      keepaliveIdleUs: 10_000_000,
      keepaliveIntervalUs: 1_000_000,
      keepaliveProbes: 3,
    };
    const p = openPair({
      a: ka,
      drop: (from, s) => from === 'b' && p.a.state === S.ESTABLISHED && s.flags === ACK && p.now > 5_000_000,
    });
    p.run();
    const probes = p.trace.filter((t) => t.from === 'a' && t.seg.flags === ACK && t.at > 1_000_000);
    assert.deepEqual(
      probes.map((t) => t.at),
      [10_020_000, 11_020_000, 12_020_000],
    );
    assert.equal(flagsOf(p).at(-1), 'a:[R.]');
    assert.equal(p.a.state, S.CLOSED);
  });
  test('keep-alive answered: the connection stays up', () => {
    const ka = {
      keepalive: true,
      keepaliveIdleUs: 10_000_000,
      keepaliveIntervalUs: 1_000_000,
      keepaliveProbes: 3,
    };
    const p = openPair({ a: ka });
    p.run(35_000_000);
    assert.equal(p.a.state, S.ESTABLISHED);
    const acks = p.trace.filter((t) => t.from === 'b' && t.at > 1_000_000);
    assert.equal(acks.length, 3, 'each probe at 10 s idle is answered');
  });
});
