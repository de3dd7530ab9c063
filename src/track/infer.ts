// State inference for both endpoints of one connection, one segment at a time: what each end
// knows (per-direction facts) and which RFC 9293 state it can be in. Read RFC 9293 §3.10.7
// (SEGMENT ARRIVES, applied from each receiver's point of view), §3.10.4/§3.10.5 (CLOSE/ABORT as
// seen from the sender's own segments) and RFC 5961 §3/§4 (RST and SYN acceptance).
//
// Each endpoint's state is a set of candidates (a bitmask of TcpState): a known endpoint has
// exactly one; a mid-stream endpoint starts with every synchronized state and is narrowed by
// what it sends (an endpoint sending new data has not sent its FIN, one sending a FIN was in
// ESTABLISHED or CLOSE_WAIT). It shows UNKNOWN until exactly one candidate remains
// (PRODUCT.md "An UNKNOWN endpoint takes a state only when exactly one state fits"). Every
// move of every candidate goes through nextState() of src/tcp/transitions.ts.
//
// Pure and replayable: step() reads only the InferState and the held segment, so the connection
// can rewind to a snapshot and replay its held segments when later evidence changes an arrival.

import { seqAdd, seqGe, seqGt, seqInRange } from '../tcp/seq.js';
import { TcpState as S, type TcpState } from '../tcp/state.js';
import { nextState, TcpEvent } from '../tcp/transitions.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';
import {
  Arrival,
  FX_ACKS_SYNACK,
  FX_FIN_ACCEPTED,
  FX_FINS_CROSSED,
  FX_REFUSES,
  FX_RST_ACCEPTED,
  type HeldPacket,
  Role,
} from './held.js';
import { K } from './kinds.js';

const bit = (s: TcpState): number => 1 << s;
/** Candidate bit of an endpoint nothing can be said about (a responder never heard from). */
export const UNKNOWABLE = bit(S.UNKNOWN);
const SYNCHRONIZED =
  bit(S.ESTABLISHED) |
  bit(S.FIN_WAIT_1) |
  bit(S.FIN_WAIT_2) |
  bit(S.CLOSE_WAIT) |
  bit(S.CLOSING) |
  bit(S.LAST_ACK) |
  bit(S.TIME_WAIT);
/** States of an endpoint that has not sent its FIN and may send new data. */
const MAY_SEND_DATA = bit(S.SYN_SENT) | bit(S.SYN_RECEIVED) | bit(S.ESTABLISHED) | bit(S.CLOSE_WAIT);
/** States that can send a first FIN (§3.10.4 CLOSE). */
const MAY_SEND_FIN = bit(S.SYN_RECEIVED) | bit(S.ESTABLISHED) | bit(S.CLOSE_WAIT);
/** States that imply having received the peer's FIN. */
const GOT_PEER_FIN = bit(S.CLOSE_WAIT) | bit(S.CLOSING) | bit(S.LAST_ACK) | bit(S.TIME_WAIT);
/** States that can send anything but a RST (not CLOSED, not LISTEN). */
const MAY_SEND = ~(bit(S.CLOSED) | bit(S.LISTEN));

/** The one state of a candidate set, or UNKNOWN. */
export function shownState(cand: number): TcpState {
  if (cand === 0 || (cand & (cand - 1)) !== 0) return S.UNKNOWN;
  return (31 - Math.clz32(cand)) as TcpState;
}

/** What the tracker knows of one endpoint: RFC 9293's variables as far as the capture shows them. */
export class EndpointFacts {
  /** Candidate states (bitmask); 0 while the endpoint's initial state waits for its first segment. */
  cand = 0;
  /** The opening was passive (LISTEN); decides where an accepted RST leads from SYN_RECEIVED. */
  passive = true;
  /** The endpoint has sent a segment. */
  sent = false;
  /** ISS: the sequence number of its SYN (valid when synSent). */
  iss = 0;
  synSent = false;
  synAckSent = false;
  /** SND.NXT as seen: just past the highest sequence number it sent (valid when sndValid). */
  sndNxt = 0;
  sndValid = false;
  finSent = false;
  finSeq = 0;
  /** The ACK field of its latest FIN (valid when finAckValid): did the FIN acknowledge the peer's? */
  finAck = 0;
  finAckValid = false;
  /** RCV.NXT as far as known: the highest ACK it sent or the end of what reached it. */
  rcvNxt = 0;
  rcvValid = false;
  /** It has sent a segment with the ACK bit (a RST aside): it acknowledged something. */
  ackSent = false;
  /** The highest ACK it sent (valid when ackSent): RCV.NXT as it showed it, not as presumed. */
  ackedNxt = 0;
  /** Keep-alive probes (<SEQ=SND.NXT−1>, RFC 9293 §3.8.4) it sent since the peer last sent anything. */
  probesUnanswered = 0;
  /** Its last advertised window, raw, and its window scale option (-1 absent). */
  win = 0;
  wscale = -1;
  /** Profile of its segments, to spot a RST that is not its own (rst-suspect-forged). */
  ttl = 0;
  df = false;
  profiled = false;
  /** Capture time (µs) it entered TIME_WAIT, -1 when not there. */
  twSinceUsec = -1;
  /** A RST in its window (not exact) or a SYN in a synchronized state arrived: a challenge ACK is due. */
  challengeDue = false;
  /** The peer's FIN reached it (for half-close). */
  gotPeerFin = false;
  halfCloseTagged = false;
  /**
   * Simultaneous open seen out of order: the peer's SYN reached this active opener before its own
   * SYN was on the wire (crossing SYNs), so it takes effect once it is in SYN_SENT; and the peer's
   * SYN+ACK then counts as that SYN, its ACK part taking effect once this end sent its SYN+ACK.
   */
  peerSynPending = false;
  ackOfSynPending = false;
  /** The peer's FIN crossed this endpoint's own FIN (a DELAYED segment) and has not taken effect yet. */
  peerFinPending = false;
  /** That pending FIN's time of arrival is in doubt (HeldPacket.whenInDoubt). */
  peerFinDoubt = false;
  /**
   * Round trip from the capture point to this endpoint and back, measured on the handshake (the
   * SYN to its SYN+ACK, or the SYN+ACK to the ACK of it), µs; -1 until measured.
   */
  tapRttUsec = -1;
  /**
   * Peer segments that reached it beyond RCV.NXT (a hole before them): held, not processed, until
   * the hole fills (RFC 9293 §3.10.7.4: "segments with higher beginning sequence numbers … held
   * for later processing"; the eighth step, FIN, acts only in sequence). One range [oooSeq,
   * oooEnd), valid when oooValid; oooFin: a FIN ends it.
   */
  oooSeq = 0;
  oooEnd = 0;
  oooValid = false;
  oooFin = false;

  // Field by field (not Object.assign): this runs on every replay and release, a hot path.
  copyFrom(o: EndpointFacts): void {
    this.cand = o.cand;
    this.passive = o.passive;
    this.sent = o.sent;
    this.iss = o.iss;
    this.synSent = o.synSent;
    this.synAckSent = o.synAckSent;
    this.sndNxt = o.sndNxt;
    this.sndValid = o.sndValid;
    this.finSent = o.finSent;
    this.finSeq = o.finSeq;
    this.finAck = o.finAck;
    this.finAckValid = o.finAckValid;
    this.rcvNxt = o.rcvNxt;
    this.rcvValid = o.rcvValid;
    this.ackSent = o.ackSent;
    this.ackedNxt = o.ackedNxt;
    this.probesUnanswered = o.probesUnanswered;
    this.win = o.win;
    this.wscale = o.wscale;
    this.ttl = o.ttl;
    this.df = o.df;
    this.profiled = o.profiled;
    this.twSinceUsec = o.twSinceUsec;
    this.challengeDue = o.challengeDue;
    this.gotPeerFin = o.gotPeerFin;
    this.halfCloseTagged = o.halfCloseTagged;
    this.peerSynPending = o.peerSynPending;
    this.ackOfSynPending = o.ackOfSynPending;
    this.peerFinPending = o.peerFinPending;
    this.peerFinDoubt = o.peerFinDoubt;
    this.tapRttUsec = o.tapRttUsec;
    this.oooSeq = o.oooSeq;
    this.oooEnd = o.oooEnd;
    this.oooValid = o.oooValid;
    this.oooFin = o.oooFin;
  }

  get state(): TcpState {
    return shownState(this.cand);
  }
}

/** Both endpoints plus the connection-level facts roles and records need. Snapshot-able. */
export class InferState {
  readonly a = new EndpointFacts();
  readonly b = new EndpointFacts();
  /** Both sides sent a SYN without ACK. */
  simultaneousOpen = false;
  /** 0 none, 1 A, 2 B: sender of the first SYN without ACK, of the first SYN+ACK, of the first FIN. */
  firstSyn = 0;
  firstSynAck = 0;
  firstFin = 0;
  firstFinEnd = 0;
  /** The first FIN's receiver sent a pure ACK of it (four-way), or its FIN carried that ACK (three-way). */
  firstFinAcked = false;
  threeWayClose = false;
  finsCrossed = false;
  secondFinEnd = 0;
  secondFinAcked = false;
  closingAcks = 0;
  handshakeAckSeen = false;
  /** Capture time (µs) of the first handshake ACK, valid when handshakeAckSeen. */
  handshakeAckUsec = 0;
  /** Capture times (µs) of the latest SYN without ACK and of the first SYN+ACK, -1 before. */
  synUsec = -1;
  synAckUsec = -1;

  copyFrom(o: InferState): void {
    this.a.copyFrom(o.a);
    this.b.copyFrom(o.b);
    this.simultaneousOpen = o.simultaneousOpen;
    this.firstSyn = o.firstSyn;
    this.firstSynAck = o.firstSynAck;
    this.firstFin = o.firstFin;
    this.firstFinEnd = o.firstFinEnd;
    this.firstFinAcked = o.firstFinAcked;
    this.threeWayClose = o.threeWayClose;
    this.finsCrossed = o.finsCrossed;
    this.secondFinEnd = o.secondFinEnd;
    this.secondFinAcked = o.secondFinAcked;
    this.closingAcks = o.closingAcks;
    this.handshakeAckSeen = o.handshakeAckSeen;
    this.handshakeAckUsec = o.handshakeAckUsec;
    this.synUsec = o.synUsec;
    this.synAckUsec = o.synAckUsec;
  }
}

export interface InferConfig {
  /** TIME_WAIT length in µs (--time-wait). */
  timeWaitUsec: number;
}

/**
 * Whether segment `q` from endpoint `qs` (as it stands before `q`) proves that no SYN+ACK of the
 * peer synchronized it, so every held SYN+ACK from the peer did not take effect there: a SYN
 * without ACK under a new ISS (a new active open, which answers a SYN+ACK for the old ISS with a
 * RST, §3.10.7.3: the old duplicate SYN case), or a RST <SEQ=ISS+1> without ACK from an endpoint
 * that never acknowledged anything — the answer of an endpoint with no connection (§3.10.7.1);
 * one that a SYN+ACK had synchronized acknowledges a duplicate of it instead (§3.10.7.4).
 */
export function deniesSynAck(q: HeldPacket, qs: EndpointFacts): boolean {
  if (!qs.synSent || qs.synAckSent) return false;
  const f = q.flags & (SYN | ACK | RST);
  if (f === SYN) return q.seq !== qs.iss;
  return f === RST && !qs.ackSent && q.seq === seqAdd(qs.iss, 1);
}

/**
 * Whether a segment captured at `laterUsec` from the endpoint whose capture-point round trip is
 * `rttUsec` may have left before one captured at `earlierUsec` (from its peer) reached it, so
 * that the two crossed in flight: within twice that round trip (measured once, on the handshake;
 * jitter allowed). Later, the earlier segment had time to arrive and the later one reflects it
 * (RFC 9293 §3.10.7.4: every segment carries the sender's RCV.NXT). False while unmeasured.
 */
export function mayHaveCrossed(earlierUsec: number, laterUsec: number, rttUsec: number): boolean {
  return rttUsec >= 0 && laterUsec - earlierUsec <= 2 * rttUsec;
}

/** Initial candidates for the endpoint whose first segment this is (PRODUCT.md "Initial state"). */
export function initialCandidates(ep: EndpointFacts, flags: number, answersSyn: boolean): void {
  const syn = (flags & SYN) !== 0;
  const ack = (flags & ACK) !== 0;
  if (syn && !ack) {
    ep.cand = bit(S.CLOSED);
    ep.passive = false;
  } else if (syn && ack) {
    ep.cand = bit(S.LISTEN);
    ep.passive = true;
  } else if ((flags & RST) !== 0 && answersSyn) {
    ep.cand = bit(S.CLOSED);
    ep.passive = true;
  } else if (answersSyn) {
    // It acknowledges the peer's SYN although its SYN+ACK was not captured: a passive opener.
    ep.cand = bit(S.LISTEN);
    ep.passive = true;
  } else {
    ep.cand = SYNCHRONIZED;
    ep.passive = true;
  }
}

/** Applies `event` to every candidate (a candidate without a table row stays where it is). */
function apply(ep: EndpointFacts, event: TcpEvent): void {
  let c = ep.cand;
  let out = 0;
  while (c !== 0) {
    const s = 31 - Math.clz32(c);
    c &= ~(1 << s);
    const n = nextState(s as TcpState, event, ep.passive);
    out |= 1 << (n === undefined ? s : n);
  }
  ep.cand = out;
}

/** Applies `event` only to the candidates in `mask` (the states where the segment means that event). */
function applyTo(ep: EndpointFacts, mask: number, event: TcpEvent): void {
  const inside = ep.cand & mask;
  if (inside === 0) return;
  const outside = ep.cand & ~mask;
  ep.cand = inside;
  apply(ep, event);
  ep.cand |= outside;
}

/** Keeps only candidates in `mask`, unless none would remain (contradicting evidence is ignored). */
function narrow(ep: EndpointFacts, mask: number): void {
  const n = ep.cand & mask;
  if (n !== 0) ep.cand = n;
}

function maxSeq(cur: number, valid: boolean, x: number): number {
  return !valid || seqGt(x, cur) ? x : cur;
}

/** The receiver has the peer's FIN (its ACK covers it, or the FIN arrived): §3.10.7.4 eighth step. */
function receiveFin(r: EndpointFacts, acksOwnFin: boolean): void {
  if (acksOwnFin) {
    // Candidate by candidate: CLOSING and LAST_ACK have no FIN+ACK row, the ACK part moves them.
    let c = r.cand;
    let out = 0;
    while (c !== 0) {
      const s = 31 - Math.clz32(c);
      c &= ~(1 << s);
      const n =
        nextState(s as TcpState, TcpEvent.RCV_FIN_ACK_OF_FIN, r.passive) ??
        nextState(s as TcpState, TcpEvent.RCV_ACK_OF_FIN, r.passive);
      out |= 1 << (n === undefined ? s : n);
    }
    r.cand = out;
  } else {
    apply(r, TcpEvent.RCV_FIN);
  }
  r.gotPeerFin = true;
}

/**
 * RFC 9293 §3.10.7 + RFC 5961 §3: 1 accepted, 0 challenge ACK (in window, not exact),
 * -1 ignored. `r` is the RST's receiver, as it stands before the RST.
 */
function rstAcceptance(r: EndpointFacts, h: HeldPacket): number {
  if (r.cand === bit(S.SYN_SENT)) {
    // §3.10.7.3: acceptable only if it acknowledges our SYN.
    return (h.flags & ACK) !== 0 && (!r.synSent || h.ack === seqAdd(r.iss, 1)) ? 1 : -1;
  }
  if (r.cand === bit(S.LISTEN)) return -1; // §3.10.7.2: a RST to a listener is ignored.
  if (!r.rcvValid) return 1; // Nothing known of its receive window: give the benefit of the doubt.
  if (h.seq === r.rcvNxt) return 1;
  // Exactly the RCV.NXT its own latest ACK showed, below the presumed one: data presumed to have
  // arrived may have been lost past the tap (step() holds such a RST in doubt).
  if (r.ackSent && h.seq === r.ackedNxt) return 1;
  const wnd = Math.max(1, r.win * 2 ** Math.max(r.wscale, 0));
  return seqInRange(h.seq, r.rcvNxt, seqAdd(r.rcvNxt, Math.min(wnd, 0x7fffffff))) ? 0 : -1;
}

/**
 * Whether a RST ends its sender's own connection (PRODUCT.md "RST: its sender ends CLOSED"), or
 * only answers an unacceptable segment and leaves its sender where it was. A reset is formed
 * without an ABORT in three places, each leaving the state unchanged: LISTEN, "any acknowledgment
 * is bad … form a reset <SEQ=SEG.ACK><CTL=RST>" (§3.10.7.2); SYN_SENT, "If the ACK bit is set …
 * If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset <SEQ=SEG.ACK><CTL=RST>" (§3.10.7.3);
 * SYN_RECEIVED, "If the segment acknowledgment is not acceptable, form a reset segment
 * <SEQ=SEG.ACK><CTL=RST>" (§3.10.7.4 fifth step). Those answers carry SEG.ACK ≠ ISS+1, while an
 * ABORT sends nothing from LISTEN or SYN_SENT and <SEQ=SND.NXT> = ISS+1 from SYN_RECEIVED
 * (§3.10.5). So a RST at ISS+1 from a SYN_SENT or SYN_RECEIVED endpoint ends it (from SYN_SENT it
 * is the answer of an endpoint that no longer has the connection, §3.10.7.1: CLOSED all the
 * same), any other RST from those three states is an answer. From every other state a RST is
 * the sender's own abort (synchronized states answer unacceptable segments with an ACK).
 */
function rstEndsSender(s: EndpointFacts, h: HeldPacket): boolean {
  const c = s.cand;
  if (c === bit(S.LISTEN)) return false;
  if (c === bit(S.SYN_SENT) || c === bit(S.SYN_RECEIVED)) return !s.synSent || h.seq === seqAdd(s.iss, 1);
  return true;
}

/**
 * Infers the effect of one segment on both endpoints. `arrived` is false when later evidence
 * showed the segment never reached its receiver. Writes the states after the segment, the role,
 * our own tags and the effects into `h`.
 */
export function step(st: InferState, h: HeldPacket, cfg: InferConfig): void {
  const s = h.fromA ? st.a : st.b;
  const r = h.fromA ? st.b : st.a;
  const me = h.fromA ? 1 : 2;
  const flags = h.flags;
  const syn = (flags & SYN) !== 0;
  const ackf = (flags & ACK) !== 0;
  const fin = (flags & FIN) !== 0;
  const rst = (flags & RST) !== 0;
  // A DELAYED segment (crossing FINs) takes effect later, with the evidence of its receipt.
  const arrived = h.arrival !== Arrival.REFUTED && h.arrival !== Arrival.DELAYED;
  const end = h.end;
  let own = 0;
  let fx = 0;
  let role: Role = h.len > 0 ? Role.DATA : Role.ACK;

  // TIME_WAIT runs out on capture time (§3.10.8), before this segment is looked at.
  expireTimeWait(st.a, h.tsUsec, cfg);
  expireTimeWait(st.b, h.tsUsec, cfg);

  // A FIN of the receiver (h.closesFirst) or of the sender (s), lost before the tap, that left
  // before this segment arrived or was sent (Conn.placeUnseenFin): its CLOSE comes first (§3.10.4).
  let closerVia = -1;
  const closer = h.closesFirstBySender ? s : r;
  if (h.closesFirst) {
    if (!closer.finSent) {
      narrow(closer, MAY_SEND_FIN);
      apply(closer, TcpEvent.CLOSE);
      closer.finSent = true;
      closer.finSeq = h.closesFirstSeq;
      closer.sndNxt = maxSeq(closer.sndNxt, closer.sndValid, seqAdd(h.closesFirstSeq, 1));
      closerVia = closer.state;
    }
  }

  // ---- What the segment says about its sender.
  const newData = h.len > 0 && (!s.sndValid || seqGt(end, s.sndNxt));
  const newFin = fin && (!s.finSent || s.finSeq !== seqAdd(h.seq, h.seqLen - 1));
  if (!rst) {
    narrow(s, MAY_SEND);
    // Evidence of receipt: its ACK covers the peer's SYN or FIN, so those reached it.
    if (ackf && r.synSent && s.cand === bit(S.SYN_SENT) && seqGe(h.ack, seqAdd(r.iss, 1)) && !syn) {
      apply(s, TcpEvent.RCV_SYN_ACK);
    }
    if (ackf && r.finSent && !s.gotPeerFin && seqGe(h.ack, seqAdd(r.finSeq, 1))) {
      s.peerFinPending = false;
      s.peerFinDoubt = false;
      // Did that FIN also acknowledge this endpoint's FIN? Its own ACK field says so (§3.10.7.4:
      // the ACK is processed with the FIN); crossing FINs do not, and lead through CLOSING.
      receiveFin(s, s.finSent && r.finAckValid && seqGe(r.finAck, seqAdd(s.finSeq, 1)));
    }
    if (newData || newFin) {
      narrow(s, MAY_SEND_DATA);
      // The peer cannot have received a FIN this endpoint has not sent yet.
      if (r.cand !== bit(S.TIME_WAIT)) narrow(r, ~GOT_PEER_FIN);
    }
  }
  if (syn && !ackf) {
    if (s.synSent && h.seq === s.iss) own |= K['syn-retransmission'];
    if (st.firstSyn === 0) st.firstSyn = me;
    else if (st.firstSyn !== me && !st.simultaneousOpen) {
      st.simultaneousOpen = true;
      own |= K['simultaneous-open'];
    }
    applyTo(s, bit(S.CLOSED) | bit(S.LISTEN), TcpEvent.OPEN_ACTIVE);
    s.passive = false;
    s.synSent = true;
    s.iss = h.seq;
    role = st.simultaneousOpen && st.firstSyn !== me ? Role.HANDSHAKE_2_4 : Role.HANDSHAKE_1_3;
  } else if (syn && ackf) {
    if (s.synAckSent && h.seq === s.iss) own |= K['synack-retransmission'];
    // A SYN+ACK retransmitted after the handshake ACK went by shows the ACK lost (§3.10.7.3: the
    // ACK moves SYN_RECEIVED to ESTABLISHED, which retransmits no SYN), unless it left before
    // that ACK could reach its sender (crossed in flight, like an answer to a retransmitted SYN).
    if (
      s.synAckSent &&
      h.seq === s.iss &&
      st.handshakeAckSeen &&
      !mayHaveCrossed(st.handshakeAckUsec, h.tsUsec, s.tapRttUsec)
    )
      own |= K['handshake-ack-lost'];
    if (st.firstSynAck === 0) st.firstSynAck = me;
    // Sending SYN+ACK proves the SYN reached it (LISTEN or SYN_SENT → SYN_RECEIVED).
    applyTo(s, bit(S.LISTEN) | bit(S.SYN_SENT), TcpEvent.RCV_SYN);
    if (s.ackOfSynPending) {
      applyTo(s, bit(S.SYN_RECEIVED), TcpEvent.RCV_ACK_OF_SYN);
      s.ackOfSynPending = false;
    }
    s.synSent = true;
    s.synAckSent = true;
    s.iss = h.seq;
    role = st.simultaneousOpen
      ? st.firstSynAck === me
        ? Role.HANDSHAKE_3_4
        : Role.HANDSHAKE_4_4
      : Role.HANDSHAKE_2_3;
  }
  if (fin && !rst) {
    if (newFin) {
      narrow(s, MAY_SEND_FIN);
      apply(s, TcpEvent.CLOSE);
      s.finSent = true;
      s.finSeq = seqAdd(h.seq, h.seqLen - 1);
    }
    if (ackf) {
      s.finAck = maxSeq(s.finAck, s.finAckValid, h.ack);
      s.finAckValid = true;
    }
    if (st.firstFin === 0) {
      st.firstFin = me;
      st.firstFinEnd = end;
      role = Role.TEARDOWN_1_4;
    } else if (st.firstFin === me) {
      role = Role.TEARDOWN_1_4;
    } else if (ackf && seqGe(h.ack, st.firstFinEnd)) {
      if (!st.firstFinAcked) st.threeWayClose = true;
      st.firstFinAcked = true;
      st.secondFinEnd = end;
      role = st.finsCrossed ? Role.TEARDOWN_2_4 : st.threeWayClose ? Role.TEARDOWN_2_3 : Role.TEARDOWN_3_4;
    } else {
      if (!st.finsCrossed && newFin) {
        st.finsCrossed = true;
        own |= K['simultaneous-close'];
        fx |= FX_FINS_CROSSED;
      }
      st.secondFinEnd = end;
      role = Role.TEARDOWN_2_4;
    }
  } else if (!syn && !rst && h.len === 0 && ackf && st.firstFin !== 0) {
    // A pure ACK of a FIN is part of the teardown.
    if (st.firstFin !== me && !st.firstFinAcked && seqGe(h.ack, st.firstFinEnd)) {
      st.firstFinAcked = true;
      role = st.finsCrossed
        ? st.closingAcks++ === 0
          ? Role.TEARDOWN_3_4
          : Role.TEARDOWN_4_4
        : Role.TEARDOWN_2_4;
    } else if (
      st.secondFinEnd !== 0 &&
      !st.secondFinAcked &&
      st.firstFin === me &&
      seqGe(h.ack, st.secondFinEnd)
    ) {
      st.secondFinAcked = true;
      role = st.finsCrossed
        ? st.closingAcks++ === 0
          ? Role.TEARDOWN_3_4
          : Role.TEARDOWN_4_4
        : st.threeWayClose
          ? Role.TEARDOWN_3_3
          : Role.TEARDOWN_4_4;
    }
  }
  if (rst) {
    role = Role.RESET;
    // A RST whose TTL or DF bit does not fit its claimed sender's other segments.
    const suspect = s.profiled && h.ipv4 && (h.ttl !== s.ttl || h.df !== s.df);
    if (suspect) own |= K['rst-suspect-forged'];
    if (h.senderRefuted) own |= K['rst-suspect-forged'];
    else if (rstEndsSender(s, h)) apply(s, TcpEvent.ABORT);
    // A RST sent after keep-alive probes went unanswered (the stack gave up on a peer it could
    // not reach, RFC 1122 §4.2.3.6) is not presumed to arrive by the end of the connection: the
    // receiver's next segment decides it (PRODUCT.md: the evidence is awaited, at most --idle).
    h.rstInDoubt = s.probesUnanswered > 0;
    h.senderPending = suspect;
    if (!s.synAckSent && r.synSent && !s.synSent && !r.synAckSent) fx |= FX_REFUSES;
  } else if (s.challengeDue && h.len === 0 && ackf && !syn && !fin) {
    own |= K['rst-challenge-ack'];
    s.challengeDue = false;
  }
  // Half-close: new data from an endpoint whose peer has already sent its FIN and it got it.
  if (newData && s.gotPeerFin && !s.halfCloseTagged) {
    own |= K['half-close'];
    s.halfCloseTagged = true;
  }
  // Window probe: sent while the peer advertises a zero window; Linux's 0-byte probe at
  // SND.UNA−1 or a 1-byte probe.
  if (!syn && !rst && !fin && r.sent && r.win === 0 && ackf && s.sndValid) {
    if ((h.len === 0 && r.rcvValid && h.seq === seqAdd(r.rcvNxt, -1)) || h.len === 1)
      own |= K['window-probe'];
  }
  // Keep-alive probes: the peer answering anything resets the count.
  if (!syn && !rst && !fin && h.len === 0 && ackf && s.sndValid && h.seq === seqAdd(s.sndNxt, -1))
    s.probesUnanswered++;
  r.probesUnanswered = 0;
  // Record what the sender revealed of itself. An empty segment (not a RST, whose sequence number
  // may be the SEG.ACK it answers) carries SND.NXT: one above what was captured shows a segment
  // sent but lost before the tap, so a later copy of it is a retransmission.
  if (h.seqLen > 0 || !s.sndValid || !rst) {
    s.sndNxt = maxSeq(s.sndNxt, s.sndValid, end);
    s.sndValid = true;
  }
  if (ackf && !rst) {
    s.rcvNxt = maxSeq(s.rcvNxt, s.rcvValid, h.ack);
    s.rcvValid = true;
    s.ackedNxt = maxSeq(s.ackedNxt, s.ackSent, h.ack);
    s.ackSent = true;
    if (s.oooValid && seqGe(h.ack, s.oooSeq)) s.oooValid = false;
  }
  if (!rst) {
    s.win = h.win;
    if (syn) s.wscale = h.wscale;
    if (!s.profiled || !syn) {
      s.ttl = h.ttl;
      s.df = h.df;
      s.profiled = true;
    }
  }
  s.sent = true;

  // ---- What the segment does to its receiver, if it got there.
  let decisive = false;
  let via = -1;
  if (!arrived && h.arrival === Arrival.DELAYED && fin) {
    r.peerFinPending = true;
    r.peerFinDoubt ||= h.whenInDoubt;
  }
  if (r.cand !== 0 && r.cand !== UNKNOWABLE) {
    const before = r.cand;
    if (arrived && r.peerFinPending && !r.gotPeerFin) {
      // The crossed FIN reached it before this later segment from the same sender (in order).
      const notYet = r.cand;
      receiveFin(r, r.finSent && s.finAckValid && seqGe(s.finAck, seqAdd(r.finSeq, 1)));
      if (r.peerFinDoubt) {
        // Whether it arrived before or after this segment is open: both, until the receiver's
        // ACK covering it (the evidence path above) applies it to each candidate.
        r.cand |= notYet;
        r.gotPeerFin = false;
      }
      via = r.state;
    }
    // Data or FIN beyond RCV.NXT, the receiver's own ACKs showing the hole (data lost before the tap).
    const beyondHole =
      arrived && !rst && !syn && h.seqLen > 0 && r.rcvValid && r.ackSent && seqGt(h.seq, r.rcvNxt);
    if (arrived) {
      r.peerFinPending = false;
      r.peerFinDoubt = false;
      if (rst) {
        const acc = rstAcceptance(r, h);
        if (acc > 0) {
          apply(r, TcpEvent.RCV_RST);
          fx |= FX_RST_ACCEPTED;
          // Acceptable only at a RCV.NXT that rests on data presumed to have arrived, never
          // acknowledged: if that data was lost past the tap, the RST is in the window but not
          // exact and draws a challenge ACK instead (RFC 5961 §3.2). The receiver's next segment
          // decides it, as for a RST after unanswered keep-alives.
          if (r.ackSent && r.rcvValid && r.rcvNxt !== r.ackedNxt) h.rstInDoubt = true;
        } else if (acc === 0) {
          r.challengeDue = true;
          h.senderPending = true;
        } else {
          own |= K['rst-out-of-window'];
          h.senderPending = true;
        }
      } else {
        if (syn && !ackf && r.cand === bit(S.CLOSED) && !r.passive && !r.synSent) r.peerSynPending = true;
        else if (syn && !ackf) {
          if (r.cand & (bit(S.LISTEN) | bit(S.SYN_SENT)))
            applyTo(r, bit(S.LISTEN) | bit(S.SYN_SENT), TcpEvent.RCV_SYN);
          else if (r.cand & SYNCHRONIZED) r.challengeDue = true; // RFC 5961 §4
        }
        // §3.10.7.3: in SYN_SENT only SEG.ACK = ISS+1 (= SND.NXT) is acceptable; anything else,
        // e.g. the SYN+ACK of an old duplicate SYN, is answered with a RST and changes nothing.
        const acksSyn =
          ackf &&
          r.synSent &&
          (r.cand === bit(S.SYN_SENT) ? h.ack === seqAdd(r.iss, 1) : seqGe(h.ack, seqAdd(r.iss, 1)));
        if (syn && ackf && acksSyn && r.peerSynPending && r.cand === bit(S.SYN_SENT)) {
          apply(r, TcpEvent.RCV_SYN);
          r.peerSynPending = false;
          r.ackOfSynPending = true;
        } else if (syn && ackf && acksSyn) {
          if (r.cand & bit(S.SYN_SENT)) apply(r, TcpEvent.RCV_SYN_ACK);
          else apply(r, TcpEvent.RCV_ACK_OF_SYN);
        } else if (acksSyn && r.cand & bit(S.SYN_RECEIVED)) {
          if (h.len > 0 && !st.handshakeAckSeen && r.cand === bit(S.SYN_RECEIVED))
            own |= K['handshake-ack-lost'];
          apply(r, TcpEvent.RCV_ACK_OF_SYN);
        }
        if (acksSyn && !syn && r.synAckSent && !st.handshakeAckSeen) {
          st.handshakeAckSeen = true;
          st.handshakeAckUsec = h.tsUsec;
          fx |= FX_ACKS_SYNACK;
          if (h.len === 0 && !fin && !st.simultaneousOpen) role = Role.HANDSHAKE_3_3;
        }
        const acksFin = ackf && r.finSent && seqGe(h.ack, seqAdd(r.finSeq, 1));
        if (fin && !beyondHole) {
          receiveFin(r, acksFin);
          fx |= FX_FIN_ACCEPTED;
        } else if (acksFin) {
          // The ACK field is processed even for a segment held out of order (§3.10.7.4 fifth step).
          apply(r, TcpEvent.RCV_ACK_OF_FIN);
        }
      }
      if (beyondHole) holdOutOfOrder(r, h.seq, end, fin);
      else if (h.seqLen > 0) {
        r.rcvNxt = maxSeq(r.rcvNxt, r.rcvValid, end);
        r.rcvValid = true;
        fillHole(r);
      }
    }
    decisive = r.cand !== before || (rst && (fx & FX_RST_ACCEPTED) !== 0);
    if (arrived && h.whenInDoubt && h.arrival !== Arrival.DELAYED && decisive) {
      // Arrived or not, the capture cannot tell (HeldPacket.whenInDoubt): both, shown UNKNOWN,
      // until the receiver's ACK covering it applies it to each candidate.
      r.cand |= before;
      r.gotPeerFin = false;
    }
    if (!arrived) decisive = true;
  }
  // A handshake ACK seen on the wire counts even when it did not arrive: a SYN+ACK sent after
  // it is then the sign of its loss.
  if (!rst && !syn && ackf && r.synAckSent && seqGe(h.ack, seqAdd(r.iss, 1)) && !st.handshakeAckSeen) {
    st.handshakeAckSeen = true;
    st.handshakeAckUsec = h.tsUsec;
    fx |= FX_ACKS_SYNACK;
    if (h.len === 0 && !fin && !st.simultaneousOpen) role = Role.HANDSHAKE_3_3;
  }

  // The handshake times each endpoint's reaction as seen from the capture point.
  if (syn && !ackf) st.synUsec = h.tsUsec;
  else if (syn && ackf && st.synAckUsec < 0 && st.synUsec >= 0) {
    st.synAckUsec = h.tsUsec;
    s.tapRttUsec = h.tsUsec - st.synUsec;
  } else if (!syn && !rst && ackf && st.synAckUsec >= 0 && s.tapRttUsec < 0 && r.synAckSent) {
    if (seqGe(h.ack, seqAdd(r.iss, 1))) s.tapRttUsec = h.tsUsec - st.synAckUsec;
  }

  noteTimeWait(st.a, h.tsUsec);
  noteTimeWait(st.b, h.tsUsec);
  h.decisive = decisive;
  h.ownTags = own;
  h.fx = fx;
  h.role = role;
  h.stateA = st.a.state;
  h.stateB = st.b.state;
  h.viaA = -1;
  h.viaB = -1;
  if (via >= 0 && via !== r.state) {
    if (h.fromA) h.viaB = via;
    else h.viaA = via;
  }
  if (closerVia >= 0 && closerVia !== closer.state) {
    if (closer === st.a) h.viaA = closerVia;
    else h.viaB = closerVia;
  }
}

/** Keeps a segment that arrived beyond a hole (its FIN, if any, waits for the hole to fill). */
function holdOutOfOrder(r: EndpointFacts, seq: number, end: number, fin: boolean): void {
  if (!r.oooValid) {
    r.oooSeq = seq;
    r.oooEnd = end;
    r.oooFin = fin;
    r.oooValid = true;
    return;
  }
  if (seqGt(r.oooSeq, seq)) r.oooSeq = seq;
  if (seqGe(end, r.oooEnd)) {
    r.oooFin = fin || (r.oooFin && end === r.oooEnd);
    r.oooEnd = end;
  }
}

/** RCV.NXT reached the held range: it is processed now, its FIN with it (§3.10.7.4 eighth step). */
function fillHole(r: EndpointFacts): void {
  if (!r.oooValid || seqGt(r.oooSeq, r.rcvNxt)) return;
  r.oooValid = false;
  if (seqGe(r.rcvNxt, r.oooEnd)) return;
  r.rcvNxt = r.oooEnd;
  if (r.oooFin && !r.gotPeerFin) receiveFin(r, false);
}

function noteTimeWait(ep: EndpointFacts, now: number): void {
  if (ep.cand === bit(S.TIME_WAIT)) {
    if (ep.twSinceUsec < 0) ep.twSinceUsec = now;
  } else {
    ep.twSinceUsec = -1;
  }
}

/** TIME_WAIT → CLOSED once --time-wait seconds of capture time have passed (§3.10.8). */
export function expireTimeWait(ep: EndpointFacts, now: number, cfg: InferConfig): boolean {
  if (ep.cand === bit(S.TIME_WAIT) && ep.twSinceUsec >= 0 && now - ep.twSinceUsec >= cfg.timeWaitUsec) {
    apply(ep, TcpEvent.TIMEOUT_TIME_WAIT);
    ep.twSinceUsec = -1;
    return true;
  }
  return false;
}

/** Over (PRODUCT.md "Boundaries"): both endpoints CLOSED or back in LISTEN. */
export function bothDone(st: InferState): boolean {
  return isDone(st.a.cand) && isDone(st.b.cand);
}

function isDone(cand: number): boolean {
  return cand === bit(S.CLOSED) || cand === bit(S.LISTEN);
}

export const TIME_WAIT_BIT = bit(S.TIME_WAIT);
export const CLOSED_BIT = bit(S.CLOSED);
