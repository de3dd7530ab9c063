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
// Most segments are in-order data or ACKs between two ESTABLISHED endpoints: stepQuiet() does
// step()'s work for them in a few lines (proved against step() on every segment of the bench
// captures), and Conn.process releases them without holding.

import { seqGe, seqGt, seqInRange, seqLe } from '../tcp/seq.js';
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

// EndpointFacts' booleans, as bits of EndpointFacts.bits: one small integer instead of twenty
// 8-byte fields, and a snapshot copies them in one assignment.
const E_PASSIVE = 1 << 0;
const E_SENT = 1 << 1;
const E_SYN_SENT = 1 << 2;
const E_SYNACK_SENT = 1 << 3;
const E_SND_VALID = 1 << 4;
const E_FIN_SENT = 1 << 5;
const E_FIN_ACK_VALID = 1 << 6;
const E_RCV_VALID = 1 << 7;
const E_ACK_SENT = 1 << 8;
const E_PROBING = 1 << 9;
const E_DF = 1 << 10;
const E_PROFILED = 1 << 11;
const E_TW_TIMED = 1 << 12;
const E_CHALLENGE_DUE = 1 << 13;
const E_GOT_PEER_FIN = 1 << 14;
const E_HALF_CLOSE_TAGGED = 1 << 15;
const E_PEER_SYN_PENDING = 1 << 16;
const E_ACK_OF_SYN_PENDING = 1 << 17;
const E_PEER_FIN_PENDING = 1 << 18;
const E_PEER_FIN_DOUBT = 1 << 19;
const E_OOO_VALID = 1 << 20;
const E_OOO_FIN = 1 << 21;

/** Sets or clears `bit` of `bits`. */
function withBit(bits: number, bit: number, on: boolean): number {
  return on ? bits | bit : bits & ~bit;
}

/** a + n in sequence space, as int32 (the form every sequence field here is kept in). */
export function seqAdd32(a: number, n: number): number {
  return (a + n) | 0;
}

/**
 * What the tracker knows of one endpoint: RFC 9293's variables as far as the capture shows them.
 * Kept small (four per connection): sequence numbers as int32 (compared with src/tcp/seq.ts,
 * which works on int32 differences), booleans as bits, times relative to the connection's first
 * segment (HeldPacket.t), so that every field is a small integer and nothing is boxed.
 */
export class EndpointFacts {
  /** Candidate states (bitmask); 0 while the endpoint's initial state waits for its first segment. */
  cand = 0;
  /** The E_* booleans (accessors below). */
  bits = E_PASSIVE;
  /** ISS: the sequence number of its SYN (valid when synSent). */
  iss = 0;
  /** SND.NXT as seen: just past the highest sequence number it sent (valid when sndValid). */
  sndNxt = 0;
  finSeq = 0;
  /** The ACK field of its latest FIN (valid when finAckValid): did the FIN acknowledge the peer's? */
  finAck = 0;
  /** RCV.NXT as far as known: the highest ACK it sent or the end of what reached it. */
  rcvNxt = 0;
  /** The highest ACK it sent (valid when ackSent): RCV.NXT as it showed it, not as presumed. */
  ackedNxt = 0;
  /**
   * Its last advertised window (raw, 16 bits), and the profile of its segments, to spot a RST
   * that is not its own (rst-suspect-forged): TTL (8 bits) above it, then its window scale
   * option + 1 (0: absent; HeldPacket.wscale, at most 31). Accessors win, ttl, wscale.
   */
  private winTtlWscale = 0;
  /** Capture time (relative µs) it entered TIME_WAIT (valid when twTimed). */
  twSinceUsec = 0;
  /**
   * Round trip from the capture point to this endpoint and back, measured on the handshake (the
   * SYN to its SYN+ACK, or the SYN+ACK to the ACK of it), µs; -1 until measured.
   */
  tapRttUsec = -1;
  /** Capture time (relative µs) of its latest SYN without ACK: a simultaneous open times its SYN+ACK from the peer's. */
  synUsec = 0;
  /**
   * Peer segments that reached it beyond RCV.NXT (a hole before them): held, not processed, until
   * the hole fills (RFC 9293 §3.10.7.4: "segments with higher beginning sequence numbers … held
   * for later processing"; the eighth step, FIN, acts only in sequence). One range [oooSeq,
   * oooEnd), valid when oooValid; oooFin: a FIN ends it.
   */
  oooSeq = 0;
  oooEnd = 0;

  // Field by field (not Object.assign): this runs on every replay and release, a hot path.
  copyFrom(o: EndpointFacts): void {
    this.cand = o.cand;
    this.bits = o.bits;
    this.iss = o.iss;
    this.sndNxt = o.sndNxt;
    this.finSeq = o.finSeq;
    this.finAck = o.finAck;
    this.rcvNxt = o.rcvNxt;
    this.ackedNxt = o.ackedNxt;
    this.winTtlWscale = o.winTtlWscale;
    this.twSinceUsec = o.twSinceUsec;
    this.tapRttUsec = o.tapRttUsec;
    this.synUsec = o.synUsec;
    this.oooSeq = o.oooSeq;
    this.oooEnd = o.oooEnd;
  }

  /** Back to a new endpoint's state (a recycled connection): copyFrom covers every field. */
  reset(): void {
    this.copyFrom(FRESH_FACTS);
  }

  get state(): TcpState {
    return shownState(this.cand);
  }

  /** The opening was passive (LISTEN); decides where an accepted RST leads from SYN_RECEIVED. */
  get passive(): boolean {
    return (this.bits & E_PASSIVE) !== 0;
  }
  set passive(v: boolean) {
    this.bits = withBit(this.bits, E_PASSIVE, v);
  }
  /** The endpoint has sent a segment. */
  get sent(): boolean {
    return (this.bits & E_SENT) !== 0;
  }
  set sent(v: boolean) {
    this.bits = withBit(this.bits, E_SENT, v);
  }
  get synSent(): boolean {
    return (this.bits & E_SYN_SENT) !== 0;
  }
  set synSent(v: boolean) {
    this.bits = withBit(this.bits, E_SYN_SENT, v);
  }
  get synAckSent(): boolean {
    return (this.bits & E_SYNACK_SENT) !== 0;
  }
  set synAckSent(v: boolean) {
    this.bits = withBit(this.bits, E_SYNACK_SENT, v);
  }
  get sndValid(): boolean {
    return (this.bits & E_SND_VALID) !== 0;
  }
  set sndValid(v: boolean) {
    this.bits = withBit(this.bits, E_SND_VALID, v);
  }
  get finSent(): boolean {
    return (this.bits & E_FIN_SENT) !== 0;
  }
  set finSent(v: boolean) {
    this.bits = withBit(this.bits, E_FIN_SENT, v);
  }
  get finAckValid(): boolean {
    return (this.bits & E_FIN_ACK_VALID) !== 0;
  }
  set finAckValid(v: boolean) {
    this.bits = withBit(this.bits, E_FIN_ACK_VALID, v);
  }
  get rcvValid(): boolean {
    return (this.bits & E_RCV_VALID) !== 0;
  }
  set rcvValid(v: boolean) {
    this.bits = withBit(this.bits, E_RCV_VALID, v);
  }
  /** It has sent a segment with the ACK bit (a RST aside): it acknowledged something. */
  get ackSent(): boolean {
    return (this.bits & E_ACK_SENT) !== 0;
  }
  set ackSent(v: boolean) {
    this.bits = withBit(this.bits, E_ACK_SENT, v);
  }
  /** It sent keep-alive probes (<SEQ=SND.NXT−1>, RFC 9293 §3.8.4) since the peer last sent anything. */
  get probing(): boolean {
    return (this.bits & E_PROBING) !== 0;
  }
  set probing(v: boolean) {
    this.bits = withBit(this.bits, E_PROBING, v);
  }
  get df(): boolean {
    return (this.bits & E_DF) !== 0;
  }
  set df(v: boolean) {
    this.bits = withBit(this.bits, E_DF, v);
  }
  get profiled(): boolean {
    return (this.bits & E_PROFILED) !== 0;
  }
  set profiled(v: boolean) {
    this.bits = withBit(this.bits, E_PROFILED, v);
  }
  /** It is in TIME_WAIT since twSinceUsec. */
  get twTimed(): boolean {
    return (this.bits & E_TW_TIMED) !== 0;
  }
  set twTimed(v: boolean) {
    this.bits = withBit(this.bits, E_TW_TIMED, v);
  }
  /** A RST in its window (not exact) or a SYN in a synchronized state arrived: a challenge ACK is due. */
  get challengeDue(): boolean {
    return (this.bits & E_CHALLENGE_DUE) !== 0;
  }
  set challengeDue(v: boolean) {
    this.bits = withBit(this.bits, E_CHALLENGE_DUE, v);
  }
  /** The peer's FIN reached it (for half-close). */
  get gotPeerFin(): boolean {
    return (this.bits & E_GOT_PEER_FIN) !== 0;
  }
  set gotPeerFin(v: boolean) {
    this.bits = withBit(this.bits, E_GOT_PEER_FIN, v);
  }
  get halfCloseTagged(): boolean {
    return (this.bits & E_HALF_CLOSE_TAGGED) !== 0;
  }
  set halfCloseTagged(v: boolean) {
    this.bits = withBit(this.bits, E_HALF_CLOSE_TAGGED, v);
  }
  /**
   * Simultaneous open seen out of order: the peer's SYN reached this active opener before its own
   * SYN was on the wire (crossing SYNs), so it takes effect once it is in SYN_SENT; and the peer's
   * SYN+ACK then counts as that SYN, its ACK part taking effect once this end sent its SYN+ACK.
   */
  get peerSynPending(): boolean {
    return (this.bits & E_PEER_SYN_PENDING) !== 0;
  }
  set peerSynPending(v: boolean) {
    this.bits = withBit(this.bits, E_PEER_SYN_PENDING, v);
  }
  get ackOfSynPending(): boolean {
    return (this.bits & E_ACK_OF_SYN_PENDING) !== 0;
  }
  set ackOfSynPending(v: boolean) {
    this.bits = withBit(this.bits, E_ACK_OF_SYN_PENDING, v);
  }
  /** The peer's FIN crossed this endpoint's own FIN (a DELAYED segment) and has not taken effect yet. */
  get peerFinPending(): boolean {
    return (this.bits & E_PEER_FIN_PENDING) !== 0;
  }
  set peerFinPending(v: boolean) {
    this.bits = withBit(this.bits, E_PEER_FIN_PENDING, v);
  }
  /** That pending FIN's time of arrival is in doubt (HeldPacket.whenInDoubt). */
  get peerFinDoubt(): boolean {
    return (this.bits & E_PEER_FIN_DOUBT) !== 0;
  }
  set peerFinDoubt(v: boolean) {
    this.bits = withBit(this.bits, E_PEER_FIN_DOUBT, v);
  }
  get oooValid(): boolean {
    return (this.bits & E_OOO_VALID) !== 0;
  }
  set oooValid(v: boolean) {
    this.bits = withBit(this.bits, E_OOO_VALID, v);
  }
  get oooFin(): boolean {
    return (this.bits & E_OOO_FIN) !== 0;
  }
  set oooFin(v: boolean) {
    this.bits = withBit(this.bits, E_OOO_FIN, v);
  }

  /** Window (raw) and TTL of its latest segment in one write, keeping the window scale. */
  setWinTtl(win: number, ttl: number): void {
    this.winTtlWscale = (this.winTtlWscale & ~0xffffff) | ((ttl & 0xff) << 16) | (win & 0xffff);
  }

  /** Its last advertised window, raw (16 bits). */
  get win(): number {
    return this.winTtlWscale & 0xffff;
  }
  set win(v: number) {
    this.winTtlWscale = (this.winTtlWscale & ~0xffff) | (v & 0xffff);
  }
  /** TTL of its latest segment. */
  get ttl(): number {
    return (this.winTtlWscale >>> 16) & 0xff;
  }
  set ttl(v: number) {
    this.winTtlWscale = (this.winTtlWscale & ~0xff0000) | ((v & 0xff) << 16);
  }
  /** Its window scale option (-1 absent). */
  get wscale(): number {
    return (this.winTtlWscale >>> 24) - 1;
  }
  set wscale(v: number) {
    this.winTtlWscale = (this.winTtlWscale & 0xffffff) | ((v + 1) << 24);
  }
}

// InferState's booleans and small enums, as bits of InferState.bits.
const I_SIMULTANEOUS_OPEN = 1 << 0;
const I_FIRST_FIN_ACKED = 1 << 1;
const I_THREE_WAY_CLOSE = 1 << 2;
const I_FINS_CROSSED = 1 << 3;
const I_SECOND_FIN_ACKED = 1 << 4;
const I_HANDSHAKE_ACK_SEEN = 1 << 5;
const I_CLOSING_ACKED = 1 << 6;
const I_SYN_TIMED = 1 << 7;
const I_SYNACK_TIMED = 1 << 8;
// Two bits each (0 none, 1 A, 2 B).
const I_FIRST_SYN_SHIFT = 9;
const I_FIRST_SYNACK_SHIFT = 11;
const I_FIRST_FIN_SHIFT = 13;
/** A deferred pure ACK (HeldPacket.deferred) waits to take effect at its receiver (pendAck). */
const I_ACK_PENDING = 1 << 15;
/** Its receiver is A. */
const I_ACK_PENDING_TO_A = 1 << 16;
/** A deferred RST (HeldPacket.deferred) waits to take effect at its receiver (pendRst). */
const I_RST_PENDING = 1 << 17;
/** Its receiver is A. */
const I_RST_PENDING_TO_A = 1 << 18;

/** Both endpoints plus the connection-level facts roles and records need. Snapshot-able. */
export class InferState {
  readonly a = new EndpointFacts();
  readonly b = new EndpointFacts();
  /** The I_* booleans and sides (accessors below). */
  private bits = 0;
  /** Sequence numbers (int32) just past the first FIN and the second (0: none yet). */
  firstFinEnd = 0;
  secondFinEnd = 0;
  /** Capture time (relative µs) of the first handshake ACK, valid when handshakeAckSeen. */
  handshakeAckUsec = 0;
  /**
   * Capture times (relative µs) of the latest SYN without ACK and of the first SYN+ACK carrying the
   * latest SYN+ACK's TSval (valid when synTimed, synAckTimed).
   */
  synUsec = 0;
  synAckUsec = 0;
  /** The latest SYN's sequence number and the end of its sequence space (int32, valid when synTimed). */
  synSeq = 0;
  synEnd = 0;
  /** The first SYN+ACK's capture time; the TSvals of that one and of the latest (0: none). */
  firstSynAckUsec = 0;
  firstSynAckTs = 0;
  synAckTs = 0;
  /**
   * A deferred pure ACK not applied yet (valid when ackPending): its ACK field (int32) and capture
   * time (relative µs). It takes effect before the next segment of its sender, or of its receiver
   * captured a round trip (receiver's, from the tap) or more after it; at the end of the connection
   * otherwise (takePendingAck).
   */
  pendAck = 0;
  pendAckUsec = 0;
  /**
   * A deferred RST not applied yet (valid when rstPending): its SEQ field (int32) and capture time
   * (relative µs); it takes effect as a deferred ACK does (takePendingRst).
   */
  pendRst = 0;
  pendRstUsec = 0;
  /**
   * The capture time of the receiver's segment that crossed that RST (HeldPacket.crossUsec): while
   * the receiver's round trip from the tap is not known yet (it is measured on a later handshake),
   * its segments up to that one left before the RST arrived.
   */
  pendRstCrossUsec = 0;

  copyFrom(o: InferState): void {
    this.a.copyFrom(o.a);
    this.b.copyFrom(o.b);
    this.bits = o.bits;
    this.firstFinEnd = o.firstFinEnd;
    this.secondFinEnd = o.secondFinEnd;
    this.handshakeAckUsec = o.handshakeAckUsec;
    this.synUsec = o.synUsec;
    this.synAckUsec = o.synAckUsec;
    this.synSeq = o.synSeq;
    this.synEnd = o.synEnd;
    this.firstSynAckUsec = o.firstSynAckUsec;
    this.firstSynAckTs = o.firstSynAckTs;
    this.synAckTs = o.synAckTs;
    this.pendAck = o.pendAck;
    this.pendAckUsec = o.pendAckUsec;
    this.pendRst = o.pendRst;
    this.pendRstUsec = o.pendRstUsec;
    this.pendRstCrossUsec = o.pendRstCrossUsec;
  }

  /** Back to a new connection's state (a recycled connection): copyFrom covers every field. */
  reset(): void {
    this.copyFrom(FRESH_STATE);
  }

  /** Both sides sent a SYN without ACK. */
  get simultaneousOpen(): boolean {
    return (this.bits & I_SIMULTANEOUS_OPEN) !== 0;
  }
  set simultaneousOpen(v: boolean) {
    this.bits = withBit(this.bits, I_SIMULTANEOUS_OPEN, v);
  }
  /** The first FIN's receiver sent a pure ACK of it (four-way), or its FIN carried that ACK (three-way). */
  get firstFinAcked(): boolean {
    return (this.bits & I_FIRST_FIN_ACKED) !== 0;
  }
  set firstFinAcked(v: boolean) {
    this.bits = withBit(this.bits, I_FIRST_FIN_ACKED, v);
  }
  get threeWayClose(): boolean {
    return (this.bits & I_THREE_WAY_CLOSE) !== 0;
  }
  set threeWayClose(v: boolean) {
    this.bits = withBit(this.bits, I_THREE_WAY_CLOSE, v);
  }
  get finsCrossed(): boolean {
    return (this.bits & I_FINS_CROSSED) !== 0;
  }
  set finsCrossed(v: boolean) {
    this.bits = withBit(this.bits, I_FINS_CROSSED, v);
  }
  get secondFinAcked(): boolean {
    return (this.bits & I_SECOND_FIN_ACKED) !== 0;
  }
  set secondFinAcked(v: boolean) {
    this.bits = withBit(this.bits, I_SECOND_FIN_ACKED, v);
  }
  get handshakeAckSeen(): boolean {
    return (this.bits & I_HANDSHAKE_ACK_SEEN) !== 0;
  }
  set handshakeAckSeen(v: boolean) {
    this.bits = withBit(this.bits, I_HANDSHAKE_ACK_SEEN, v);
  }
  /** A pure ACK of a crossed FIN was seen (the next one is teardown 4/4). */
  get closingAcked(): boolean {
    return (this.bits & I_CLOSING_ACKED) !== 0;
  }
  set closingAcked(v: boolean) {
    this.bits = withBit(this.bits, I_CLOSING_ACKED, v);
  }
  get synTimed(): boolean {
    return (this.bits & I_SYN_TIMED) !== 0;
  }
  set synTimed(v: boolean) {
    this.bits = withBit(this.bits, I_SYN_TIMED, v);
  }
  get synAckTimed(): boolean {
    return (this.bits & I_SYNACK_TIMED) !== 0;
  }
  set synAckTimed(v: boolean) {
    this.bits = withBit(this.bits, I_SYNACK_TIMED, v);
  }
  get ackPending(): boolean {
    return (this.bits & I_ACK_PENDING) !== 0;
  }
  set ackPending(v: boolean) {
    this.bits = withBit(this.bits, I_ACK_PENDING, v);
  }
  /** The pending ACK's receiver is A (else B). */
  get ackPendingToA(): boolean {
    return (this.bits & I_ACK_PENDING_TO_A) !== 0;
  }
  set ackPendingToA(v: boolean) {
    this.bits = withBit(this.bits, I_ACK_PENDING_TO_A, v);
  }
  get rstPending(): boolean {
    return (this.bits & I_RST_PENDING) !== 0;
  }
  set rstPending(v: boolean) {
    this.bits = withBit(this.bits, I_RST_PENDING, v);
  }
  /** The pending RST's receiver is A (else B). */
  get rstPendingToA(): boolean {
    return (this.bits & I_RST_PENDING_TO_A) !== 0;
  }
  set rstPendingToA(v: boolean) {
    this.bits = withBit(this.bits, I_RST_PENDING_TO_A, v);
  }
  /** 0 none, 1 A, 2 B: sender of the first SYN without ACK, of the first SYN+ACK, of the first FIN. */
  get firstSyn(): number {
    return (this.bits >> I_FIRST_SYN_SHIFT) & 3;
  }
  set firstSyn(v: number) {
    this.bits = (this.bits & ~(3 << I_FIRST_SYN_SHIFT)) | (v << I_FIRST_SYN_SHIFT);
  }
  get firstSynAck(): number {
    return (this.bits >> I_FIRST_SYNACK_SHIFT) & 3;
  }
  set firstSynAck(v: number) {
    this.bits = (this.bits & ~(3 << I_FIRST_SYNACK_SHIFT)) | (v << I_FIRST_SYNACK_SHIFT);
  }
  get firstFin(): number {
    return (this.bits >> I_FIRST_FIN_SHIFT) & 3;
  }
  set firstFin(v: number) {
    this.bits = (this.bits & ~(3 << I_FIRST_FIN_SHIFT)) | (v << I_FIRST_FIN_SHIFT);
  }
}

/** A new endpoint's and a new connection's state, what reset() restores (never modified). */
const FRESH_FACTS = new EndpointFacts();
const FRESH_STATE = new InferState();

export interface InferConfig {
  /** TIME_WAIT length in µs (--time-wait). */
  timeWaitUsec: number;
}

/**
 * Whether segment `q` from endpoint `qs` (as it stands before `q`) proves that no SYN+ACK of the
 * peer synchronized it, so every held SYN+ACK from the peer did not take effect there: a SYN
 * without ACK under a new ISS (a new active open, which answers a SYN+ACK for the old ISS with a
 * RST, §3.10.7.3: the old duplicate SYN case), or a RST without ACK at an ACK SYN_SENT would
 * accept (ISS+1, or past the data of a Fast Open SYN) from an endpoint that never acknowledged
 * anything — the answer <SEQ=SEG.ACK> of an endpoint with no connection (§3.10.7.1);
 * one that a SYN+ACK had synchronized acknowledges a duplicate of it instead (§3.10.7.4).
 */
export function deniesSynAck(q: HeldPacket, qs: EndpointFacts): boolean {
  if (!qs.synSent || qs.synAckSent) return false;
  const f = q.flags & (SYN | ACK | RST);
  if (f === SYN) return q.seq32 !== qs.iss;
  // (<SEQ=SEG.ACK>: ISS+1, or past the data a Fast Open SYN carried when the SYN+ACK acknowledged it.)
  return f === RST && !qs.ackSent && acksOwnSyn(qs, q.seq32);
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

/**
 * Whether a segment captured `gapUsec` after its peer's segment passed the tap left its sender
 * before that one reached it: sooner than the round trip from the tap to its sender (`rttUsec`,
 * the handshake's; -1 unknown: no). The two were in flight at once: the tracker shows the
 * earlier one's effect after the later one (Conn.decide), the ladder draws them crossing.
 */
export function sentBeforeArrival(gapUsec: number, rttUsec: number): boolean {
  return rttUsec >= 0 && gapUsec < rttUsec;
}

/**
 * Whether `ack` acknowledges the SYN endpoint `r` sent, as SYN_SENT judges it (RFC 9293 §3.10.7.3:
 * acceptable when ISS < SEG.ACK =< SND.NXT): ISS+1, or up to the end of the data its SYN carried
 * (TCP Fast Open, RFC 7413, where the SYN+ACK acknowledges that data too).
 */
export function acksOwnSyn(r: EndpointFacts, ack: number): boolean {
  return seqGt(ack, r.iss) && seqLe(ack, r.sndValid ? r.sndNxt : seqAdd32(r.iss, 1));
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
function rstAcceptance(r: EndpointFacts, flags: number, seq: number, ack: number): number {
  if (r.cand === bit(S.SYN_SENT)) {
    // §3.10.7.3: acceptable only if it acknowledges our SYN.
    return (flags & ACK) !== 0 && (!r.synSent || acksOwnSyn(r, ack)) ? 1 : -1;
  }
  if (r.cand === bit(S.LISTEN)) return -1; // §3.10.7.2: a RST to a listener is ignored.
  if (!r.rcvValid) return 1; // Nothing known of its receive window: give the benefit of the doubt.
  if (seq === r.rcvNxt) return 1;
  // Exactly the RCV.NXT its own latest ACK showed, below the presumed one: data presumed to have
  // arrived may have been lost past the tap (step() holds such a RST in doubt).
  if (r.ackSent && seq === r.ackedNxt) return 1;
  const wnd = Math.max(1, r.win * 2 ** Math.max(r.wscale, 0));
  return seqInRange(seq, r.rcvNxt, seqAdd32(r.rcvNxt, Math.min(wnd, 0x7fffffff))) ? 0 : -1;
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
  if (c === bit(S.SYN_SENT) || c === bit(S.SYN_RECEIVED)) return !s.synSent || h.seq32 === seqAdd32(s.iss, 1);
  return true;
}

/**
 * Infers the effect of one segment on both endpoints. `arrived` is false when later evidence
 * showed the segment never reached its receiver. Writes the states after the segment, the role,
 * our own tags and the effects into `h`.
 */
export function step(st: InferState, h: HeldPacket, cfg: InferConfig): void {
  if (stepQuiet(st, h)) return;
  const s = h.fromA ? st.a : st.b;
  const r = h.fromA ? st.b : st.a;
  const me = h.fromA ? 1 : 2;
  const flags = h.flags;
  const syn = (flags & SYN) !== 0;
  const ackf = (flags & ACK) !== 0;
  const fin = (flags & FIN) !== 0;
  const rst = (flags & RST) !== 0;
  // A DELAYED segment (crossing FINs) takes effect later, with the evidence of its receipt; a
  // deferred one after its receiver's segments that crossed it.
  const arrived = h.arrival !== Arrival.REFUTED && h.arrival !== Arrival.DELAYED && !h.deferred;
  const seqLen = h.seqLen;
  const end = seqAdd32(h.seq32, seqLen);
  let own = 0;
  let fx = 0;
  let role: Role = h.len > 0 ? Role.DATA : Role.ACK;
  let endsSender = false;

  // TIME_WAIT runs out on capture time (§3.10.8), before this segment is looked at.
  expireTimeWait(st.a, h.t, cfg);
  expireTimeWait(st.b, h.t, cfg);

  // The second of crossing SYN+ACKs answers the peer's SYN (RFC 9293 §3.5 Figure 7): it times
  // its sender's round trip from the tap, before anything below waits on that round trip.
  if (syn && ackf && !rst && st.synAckTimed && st.simultaneousOpen && s.tapRttUsec < 0 && r.synSent) {
    if (seqGe(h.ack32, seqAdd32(r.iss, 1))) s.tapRttUsec = h.t - r.synUsec;
  }

  // A deferred ACK reached its receiver before this segment if its own sender sent this one (in
  // order), or if its receiver sent this one a round trip from the tap or more after it; when
  // this one is deferred too, its row shows the receiver as the segment crossing it left.
  let pendVia = -1;
  const pendToA = st.ackPendingToA;
  if (st.ackPending) {
    const pr = pendToA ? st.a : st.b;
    const at = h.fromA !== pendToA && h.deferred ? h.crossUsec : h.t;
    if (pr.tapRttUsec < 0 || (h.fromA !== pendToA && !h.deferred) || at - st.pendAckUsec >= pr.tapRttUsec) {
      takePending(st, pendToA);
      pendVia = pr.state;
    }
  }

  // A deferred RST (without ACK: an answer <SEQ=SEG.ACK> that crossed its receiver's segment)
  // takes effect on the same terms as a deferred ACK.
  if (st.rstPending) {
    const toA = st.rstPendingToA;
    const pr = toA ? st.a : st.b;
    const at = h.fromA !== toA && h.deferred ? h.crossUsec : h.t;
    const arrivedBy = pr.tapRttUsec < 0 ? at > st.pendRstCrossUsec : at - st.pendRstUsec >= pr.tapRttUsec;
    if ((h.fromA !== toA && !h.deferred) || arrivedBy) takePendingRst(st);
  }

  // An endpoint that may have closed already, its FIN waiting behind a loss recovery (Conn.decide).
  if (h.closeMayPrecede) {
    const ep = h.closeMayA ? st.a : st.b;
    if (!ep.finSent) {
      const before = ep.cand;
      applyTo(ep, MAY_SEND_FIN, TcpEvent.CLOSE);
      ep.cand |= before;
    }
  }

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
      closer.sndNxt = maxSeq(closer.sndNxt, closer.sndValid, seqAdd32(h.closesFirstSeq, 1));
      closerVia = closer.state;
    }
  }

  // ---- What the segment says about its sender.
  const newData = h.len > 0 && (!s.sndValid || seqGt(end, s.sndNxt));
  const newFin = fin && (!s.finSent || s.finSeq !== seqAdd32(h.seq32, seqLen - 1));
  // An old duplicate SYN (HeldPacket.notOwn) says nothing of its claimed sender.
  const itsOwn = !h.notOwn;
  if (!rst && itsOwn) {
    // (A listener sends a SYN cookie's SYN+ACK from LISTEN.)
    if (!h.stateless) narrow(s, MAY_SEND);
    // Evidence of receipt: its ACK covers the peer's SYN or FIN, so those reached it.
    if (ackf && r.synSent && s.cand === bit(S.SYN_SENT) && seqGe(h.ack32, seqAdd32(r.iss, 1)) && !syn) {
      apply(s, TcpEvent.RCV_SYN_ACK);
    }
    if (ackf && r.finSent && !s.gotPeerFin && seqGe(h.ack32, seqAdd32(r.finSeq, 1))) {
      s.peerFinPending = false;
      s.peerFinDoubt = false;
      // Did that FIN also acknowledge this endpoint's FIN? Its own ACK field says so (§3.10.7.4:
      // the ACK is processed with the FIN); crossing FINs do not, and lead through CLOSING.
      receiveFin(s, s.finSent && r.finAckValid && seqGe(r.finAck, seqAdd32(s.finSeq, 1)));
    }
    if (newData || newFin) {
      narrow(s, MAY_SEND_DATA);
      // The peer cannot have received a FIN this endpoint has not sent yet.
      if (r.cand !== bit(S.TIME_WAIT)) narrow(r, ~GOT_PEER_FIN);
    }
  }
  if (syn && !ackf && !itsOwn) {
    if (st.firstSyn === 0) st.firstSyn = me;
    role = Role.HANDSHAKE_1_3;
  } else if (syn && !ackf) {
    if (s.synSent && h.seq32 === s.iss) own |= K['syn-retransmission'];
    if (st.firstSyn === 0) st.firstSyn = me;
    else if (st.firstSyn !== me && !st.simultaneousOpen) {
      st.simultaneousOpen = true;
      own |= K['simultaneous-open'];
    }
    applyTo(s, bit(S.CLOSED) | bit(S.LISTEN), TcpEvent.OPEN_ACTIVE);
    s.passive = false;
    s.synSent = true;
    s.iss = h.seq32;
    role = st.simultaneousOpen && st.firstSyn !== me ? Role.HANDSHAKE_2_4 : Role.HANDSHAKE_1_3;
  } else if (syn && ackf) {
    if (s.synAckSent && h.seq32 === s.iss) own |= K['synack-retransmission'];
    // A SYN+ACK retransmitted after the handshake ACK went by shows the ACK lost (§3.10.7.3: the
    // ACK moves SYN_RECEIVED to ESTABLISHED, which retransmits no SYN), unless it left before
    // that ACK could reach its sender (crossed in flight, like an answer to a retransmitted SYN).
    if (
      s.synAckSent &&
      h.seq32 === s.iss &&
      st.handshakeAckSeen &&
      !mayHaveCrossed(st.handshakeAckUsec, h.t, s.tapRttUsec)
    )
      own |= K['handshake-ack-lost'];
    if (st.firstSynAck === 0) st.firstSynAck = me;
    // Sending SYN+ACK proves the SYN reached it (LISTEN or SYN_SENT → SYN_RECEIVED), unless a
    // listener answered with a SYN cookie and kept nothing (LISTEN; or either, in doubt).
    const before = s.cand;
    if (!h.stateless || h.statelessOpen) applyTo(s, bit(S.LISTEN) | bit(S.SYN_SENT), TcpEvent.RCV_SYN);
    if (h.stateless) s.cand |= before & bit(S.LISTEN);
    if (s.ackOfSynPending) {
      applyTo(s, bit(S.SYN_RECEIVED), TcpEvent.RCV_ACK_OF_SYN);
      s.ackOfSynPending = false;
    }
    s.synSent = true;
    s.synAckSent = true;
    s.iss = h.seq32;
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
      s.finSeq = seqAdd32(h.seq32, seqLen - 1);
    }
    if (ackf) {
      s.finAck = maxSeq(s.finAck, s.finAckValid, h.ack32);
      s.finAckValid = true;
    }
    if (st.firstFin === 0) {
      st.firstFin = me;
      st.firstFinEnd = end;
      role = Role.TEARDOWN_1_4;
    } else if (st.firstFin === me) {
      role = Role.TEARDOWN_1_4;
    } else if (ackf && seqGe(h.ack32, st.firstFinEnd)) {
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
    if (st.firstFin !== me && !st.firstFinAcked && seqGe(h.ack32, st.firstFinEnd)) {
      st.firstFinAcked = true;
      role = st.finsCrossed
        ? firstClosingAck(st)
          ? Role.TEARDOWN_3_4
          : Role.TEARDOWN_4_4
        : Role.TEARDOWN_2_4;
    } else if (
      st.secondFinEnd !== 0 &&
      !st.secondFinAcked &&
      st.firstFin === me &&
      seqGe(h.ack32, st.secondFinEnd)
    ) {
      st.secondFinAcked = true;
      role = st.finsCrossed
        ? firstClosingAck(st)
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
    // Whether it is its sender's own abort, not the answer to an unacceptable segment (before
    // the RST moves it): only an abort can be refuted by its sender going on sending.
    endsSender = rstEndsSender(s, h);
    if (h.senderRefuted) own |= K['rst-suspect-forged'];
    else if (endsSender) apply(s, TcpEvent.ABORT);
    // A RST sent after keep-alive probes went unanswered (the stack gave up on a peer it could
    // not reach, RFC 1122 §4.2.3.6) is not presumed to arrive by the end of the connection: the
    // receiver's next segment decides it (PRODUCT.md: the evidence is awaited, at most --idle).
    h.rstInDoubt = s.probing;
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
    if ((h.len === 0 && r.rcvValid && h.seq32 === seqAdd32(r.rcvNxt, -1)) || h.len === 1)
      own |= K['window-probe'];
  }
  // Keep-alive probes: the peer answering anything resets the count.
  if (!syn && !rst && !fin && h.len === 0 && ackf && s.sndValid && h.seq32 === seqAdd32(s.sndNxt, -1))
    s.probing = true;
  r.probing = false;
  // Record what the sender revealed of itself. An empty segment (not a RST, whose sequence number
  // may be the SEG.ACK it answers) carries SND.NXT: one above what was captured shows a segment
  // sent but lost before the tap, so a later copy of it is a retransmission.
  if (itsOwn && (seqLen > 0 || !s.sndValid || !rst)) {
    s.sndNxt = maxSeq(s.sndNxt, s.sndValid, end);
    s.sndValid = true;
  }
  if (ackf && !rst) {
    s.rcvNxt = maxSeq(s.rcvNxt, s.rcvValid, h.ack32);
    s.rcvValid = true;
    s.ackedNxt = maxSeq(s.ackedNxt, s.ackSent, h.ack32);
    s.ackSent = true;
    if (s.oooValid && seqGe(h.ack32, s.oooSeq)) s.oooValid = false;
  }
  if (!rst && itsOwn) {
    s.win = h.win;
    if (syn) s.wscale = h.wscale;
    if (!s.profiled || !syn) {
      s.ttl = h.ttl;
      s.df = h.df;
      s.profiled = true;
    }
  }
  if (itsOwn) s.sent = true;

  // ---- What the segment does to its receiver, if it got there.
  let decisive = false;
  let via = -1;
  if (!arrived && (h.arrival === Arrival.DELAYED || (h.deferred && h.arrival !== Arrival.REFUTED)) && fin) {
    r.peerFinPending = true;
    r.peerFinDoubt ||= h.whenInDoubt;
    // A deferred FIN is processed all the same, only after its receiver's crossing segments.
    if (h.deferred) fx |= FX_FIN_ACCEPTED;
  }
  // A deferred SYN+ACK of crossing SYN+ACKs: its SYN had reached the receiver before the
  // receiver's own SYN+ACK left (that one acknowledges it); only its ACK comes after.
  const synKnown = syn && (r.peerSynPending || (r.rcvValid && seqGe(r.rcvNxt, seqAdd32(h.seq32, 1))));
  if (!arrived && h.deferred && h.arrival !== Arrival.REFUTED && synKnown && ackf && r.peerSynPending) {
    if (r.cand === bit(S.SYN_SENT)) apply(r, TcpEvent.RCV_SYN);
    r.peerSynPending = false;
  }
  if (!arrived && h.deferred && h.arrival !== Arrival.REFUTED && rst && !ackf) {
    if (st.rstPending) takePendingRst(st);
    st.pendRst = h.seq32;
    st.pendRstUsec = h.t;
    st.pendRstCrossUsec = h.crossUsec;
    st.rstPending = true;
    st.rstPendingToA = !h.fromA;
  }
  if (!arrived && h.deferred && h.arrival !== Arrival.REFUTED && !fin && (!syn || synKnown) && !rst && ackf) {
    if (st.ackPending && st.ackPendingToA === h.fromA) takePendingAck(st);
    st.pendAck = st.ackPending ? maxSeq(st.pendAck, true, h.ack32) : h.ack32;
    st.pendAckUsec = h.t;
    st.ackPending = true;
    st.ackPendingToA = !h.fromA;
  }
  if (r.cand !== 0 && r.cand !== UNKNOWABLE) {
    const before = r.cand;
    // A deferred segment's row shows its receiver as it was when the segment that crossed it
    // left: with the crossed FIN if that segment acknowledged it.
    const finBeforeCross =
      h.deferred && h.arrival !== Arrival.REFUTED && s.finSent && seqGe(h.crossAck32, seqAdd32(s.finSeq, 1));
    if ((arrived || finBeforeCross) && r.peerFinPending && !r.gotPeerFin) {
      // The crossed FIN reached it before this later segment from the same sender (in order).
      const notYet = r.cand;
      receiveFin(r, r.finSent && s.finAckValid && seqGe(s.finAck, seqAdd32(r.finSeq, 1)));
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
      arrived && !rst && !syn && seqLen > 0 && r.rcvValid && r.ackSent && seqGt(h.seq32, r.rcvNxt);
    if (arrived && h.metClosed) {
      // It reached an endpoint that had already given up the connection (Conn.decide): CLOSED.
      apply(r, TcpEvent.ABORT);
    } else if (arrived) {
      r.peerFinPending = false;
      r.peerFinDoubt = false;
      if (rst) {
        const acc = rstAcceptance(r, h.flags, h.seq32, h.ack32);
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
          h.senderPending = endsSender;
        } else {
          own |= K['rst-out-of-window'];
          // An answer <SEQ=SEG.ACK> (§3.10.7.2-4) leaves its sender where it was: that it goes
          // on sending is no sign of forgery (old-duplicate-syn: the second RST meets LISTEN).
          h.senderPending = endsSender;
        }
      } else {
        if (syn && !ackf && r.cand === bit(S.CLOSED) && !r.passive && !r.synSent) r.peerSynPending = true;
        else if (syn && !ackf) {
          // A SYN answered with a SYN cookie leaves its listener in LISTEN (Conn.cookieAnswers).
          const listening = r.cand & bit(S.LISTEN);
          if (r.cand & (bit(S.LISTEN) | bit(S.SYN_SENT)) && (!h.stateless || h.statelessOpen))
            applyTo(r, bit(S.LISTEN) | bit(S.SYN_SENT), TcpEvent.RCV_SYN);
          if (h.stateless) r.cand |= listening;
          else if (r.cand & SYNCHRONIZED) r.challengeDue = true; // RFC 5961 §4
        }
        // §3.10.7.3: in SYN_SENT only SEG.ACK = ISS+1 (= SND.NXT) is acceptable; anything else,
        // e.g. the SYN+ACK of an old duplicate SYN, is answered with a RST and changes nothing.
        const acksSyn =
          ackf &&
          r.synSent &&
          (r.cand === bit(S.SYN_SENT) ? acksOwnSyn(r, h.ack32) : seqGe(h.ack32, seqAdd32(r.iss, 1)));
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
          st.handshakeAckUsec = h.t;
          fx |= FX_ACKS_SYNACK;
          if (h.len === 0 && !fin && !st.simultaneousOpen) role = Role.HANDSHAKE_3_3;
        }
        const acksFin = ackf && r.finSent && seqGe(h.ack32, seqAdd32(r.finSeq, 1));
        if (fin && !beyondHole) {
          receiveFin(r, acksFin);
          fx |= FX_FIN_ACCEPTED;
        } else if (acksFin) {
          // The ACK field is processed even for a segment held out of order (§3.10.7.4 fifth step).
          apply(r, TcpEvent.RCV_ACK_OF_FIN);
        }
      }
      if (beyondHole) holdOutOfOrder(r, h.seq32, end, fin);
      else if (seqLen > 0) {
        r.rcvNxt = maxSeq(r.rcvNxt, r.rcvValid, end);
        r.rcvValid = true;
        fillHole(r);
      }
    }
    // (A deferred ACK of the same sender taking effect here moves the receiver as this one would.)
    decisive =
      r.cand !== before || (rst && (fx & FX_RST_ACCEPTED) !== 0) || (pendVia >= 0 && pendToA !== h.fromA);
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
  if (!rst && !syn && ackf && r.synAckSent && seqGe(h.ack32, seqAdd32(r.iss, 1)) && !st.handshakeAckSeen) {
    st.handshakeAckSeen = true;
    st.handshakeAckUsec = h.t;
    fx |= FX_ACKS_SYNACK;
    if (h.len === 0 && !fin && !st.simultaneousOpen) role = Role.HANDSHAKE_3_3;
  }

  // The handshake times each endpoint's reaction as seen from the capture point: a SYN+ACK from
  // the SYN it acknowledges — the latest one, or its peer's own (simultaneous open) — never from
  // a SYN it does not answer (an old duplicate's SYN+ACK, RFC 9293 §3.5 Figure 9).
  const answersLatest = syn && ackf && seqGt(h.ack32, st.synSeq) && seqLe(h.ack32, st.synEnd);
  if (syn && !ackf) {
    st.synUsec = h.t;
    s.synUsec = h.t;
    st.synSeq = h.seq32;
    st.synEnd = end;
    st.synTimed = true;
  } else if (syn && ackf && st.synTimed && (answersLatest || (r.synSent && acksOwnSyn(r, h.ack32)))) {
    if (!st.synAckTimed) {
      s.tapRttUsec = h.t - (answersLatest ? st.synUsec : r.synUsec);
      st.firstSynAckUsec = h.t;
      st.firstSynAckTs = h.tsVal;
    }
    // A copy with the same TSval (sent within the same clock tick) keeps the first one's time.
    if (!st.synAckTimed || h.tsVal !== st.synAckTs || !h.hasTs) {
      st.synAckUsec = h.t;
      st.synAckTs = h.tsVal;
    }
    st.synAckTimed = true;
  } else if (!syn && !rst && ackf && st.synAckTimed && s.tapRttUsec < 0 && r.synAckSent) {
    if (seqGe(h.ack32, seqAdd32(r.iss, 1))) s.tapRttUsec = h.t - answeredSynAckUsec(st, h);
  }

  // The last segment crossing a deferred one that nothing later shows in time: the state after
  // it includes that effect (HeldPacket.takesPending).
  if (h.takesPending) {
    if (st.ackPending && st.ackPendingToA === h.fromA) takePending(st, h.fromA);
    else if (s.peerFinPending && !s.gotPeerFin) takePending(st, h.fromA);
    if (st.rstPending && st.rstPendingToA === h.fromA) takePendingRst(st);
  }

  noteTimeWait(st.a, h.t);
  noteTimeWait(st.b, h.t);
  h.decisive = decisive;
  h.ownTags = own;
  let viaA = -1;
  let viaB = -1;
  if (via >= 0 && via !== r.state) {
    if (h.fromA) viaB = via;
    else viaA = via;
  }
  if (closerVia >= 0 && closerVia !== closer.state) {
    if (closer === st.a) viaA = closerVia;
    else viaB = closerVia;
  }
  if (pendVia >= 0) {
    if (pendToA && viaA < 0 && pendVia !== st.a.state) viaA = pendVia;
    else if (!pendToA && viaB < 0 && pendVia !== st.b.state) viaB = pendVia;
  }
  h.setResult(role, fx, st.a.state, st.b.state, viaA, viaB);
}

const ESTABLISHED = bit(S.ESTABLISHED);
/** Sender facts under which an ACK or data segment can tag or move something (see stepQuiet). */
const QUIET_SENDER_BARS = E_CHALLENGE_DUE | E_GOT_PEER_FIN;
/** Receiver facts under which it can (a FIN of its own or of the peer, pending or held). */
const QUIET_RECEIVER_BARS = E_FIN_SENT | E_PEER_FIN_PENDING | E_PEER_FIN_DOUBT | E_OOO_FIN;
const QUIET_SENDER_SETS = E_SND_VALID | E_RCV_VALID | E_ACK_SENT | E_PROFILED | E_SENT;

/**
 * step() for the bulk of a capture: a data segment or pure ACK (no SYN, FIN or RST) between two
 * endpoints both known ESTABLISHED, which moves neither and tags nothing; only the sequence
 * variables, the window and profile, and the keep-alive flags change. Returns false, touching
 * nothing, when the segment is not such a one; otherwise it does exactly what step() would
 * (each condition below rules out one of step()'s branches; r.win 0 rules out window probes, a
 * handshake ACK not seen yet the handshake branches, firstFin the teardown roles). Such a segment
 * is never decisive, so nothing needs holding for it (Conn.process releases it at once).
 */
export function stepQuiet(st: InferState, h: HeldPacket): boolean {
  if ((h.flags & (SYN | FIN | RST | ACK)) !== ACK) return false;
  const fromA = h.fromA;
  const s = fromA ? st.a : st.b;
  const r = fromA ? st.b : st.a;
  if (s.cand !== ESTABLISHED || r.cand !== ESTABLISHED) return false;
  let sb = s.bits;
  let rb = r.bits;
  if ((sb & QUIET_SENDER_BARS) !== 0 || (rb & QUIET_RECEIVER_BARS) !== 0) return false;
  if (r.win === 0 || st.firstFin !== 0 || (!st.handshakeAckSeen && (rb & E_SYNACK_SENT) !== 0)) return false;
  if (h.closesFirst || h.metClosed || h.arrival === Arrival.REFUTED || h.arrival === Arrival.DELAYED)
    return false;
  if (h.deferred || st.ackPending || st.rstPending || h.closeMayPrecede) return false;

  const len = h.len; // = seqLen: no SYN, no FIN
  const seq = h.seq32;
  const ack = h.ack32;
  const end = seqAdd32(seq, len);
  // The sender: a keep-alive probe <SEQ=SND.NXT−1>, then what it revealed of itself.
  const sndValid = (sb & E_SND_VALID) !== 0;
  if (len === 0 && sndValid && seq === seqAdd32(s.sndNxt, -1)) sb |= E_PROBING;
  s.sndNxt = maxSeq(s.sndNxt, sndValid, end);
  s.rcvNxt = maxSeq(s.rcvNxt, (sb & E_RCV_VALID) !== 0, ack);
  s.ackedNxt = maxSeq(s.ackedNxt, (sb & E_ACK_SENT) !== 0, ack);
  if ((sb & E_OOO_VALID) !== 0 && seqGe(ack, s.oooSeq)) sb &= ~E_OOO_VALID;
  sb = (sb | QUIET_SENDER_SETS | (h.df ? E_DF : 0)) & ~(E_TW_TIMED | (h.df ? 0 : E_DF));
  s.bits = sb;
  s.setWinTtl(h.win, h.ttl);
  if (st.synAckTimed && s.tapRttUsec < 0 && (rb & E_SYNACK_SENT) !== 0 && seqGe(ack, seqAdd32(r.iss, 1)))
    s.tapRttUsec = h.t - answeredSynAckUsec(st, h);
  // The receiver: the peer answered (no probing), and the data reached it, in order or beyond a hole.
  rb &= ~(E_PROBING | E_TW_TIMED);
  if (len > 0 && (rb & (E_RCV_VALID | E_ACK_SENT)) === (E_RCV_VALID | E_ACK_SENT) && seqGt(seq, r.rcvNxt)) {
    r.bits = rb;
    holdOutOfOrder(r, seq, end, false);
  } else if (len > 0) {
    r.rcvNxt = maxSeq(r.rcvNxt, (rb & E_RCV_VALID) !== 0, end);
    r.bits = rb | E_RCV_VALID;
    fillHole(r); // no held FIN (E_OOO_FIN): moves only RCV.NXT
  } else r.bits = rb;
  h.decisive = false;
  h.ownTags = 0;
  h.setResult(len > 0 ? Role.DATA : Role.ACK, 0, S.ESTABLISHED, S.ESTABLISHED, -1, -1);
  return true;
}

/**
 * Capture time of the SYN+ACK that the handshake's ACK `h` answers: the one whose TSval it echoes
 * (RFC 7323 §3: TSecr), the first SYN+ACK or the first of the latest TSval's copies; without
 * timestamps, the latest SYN+ACK (the first may have been lost).
 */
function answeredSynAckUsec(st: InferState, h: HeldPacket): number {
  if (h.hasTs && h.tsEcr === st.firstSynAckTs && !timerCopy(st)) return st.firstSynAckUsec;
  return st.synAckUsec;
}

/**
 * Whether the latest SYN+ACK is a copy its sender's own timer sent (RFC 6298: at least Linux's
 * 200 ms RTO_MIN after the first, with no SYN in between to answer): the ACK captured after it
 * then answers that copy, even when it echoes the first one's TSval (an ACK answering a duplicate
 * echoes TS.Recent, which the duplicate did not move; RFC 7323 §4.3).
 */
function timerCopy(st: InferState): boolean {
  return st.synAckUsec - st.firstSynAckUsec >= 100_000 && st.synUsec <= st.firstSynAckUsec;
}

/**
 * What waits to take effect at endpoint A (`toA`) or B takes effect now: a pending FIN of its
 * peer first (it left before any pending ACK of the same sender), then a pending ACK.
 */
function takePending(st: InferState, toA: boolean): void {
  const pr = toA ? st.a : st.b;
  if (pr.peerFinPending && !pr.gotPeerFin) {
    const fs = toA ? st.b : st.a;
    const notYet = pr.cand;
    receiveFin(pr, pr.finSent && fs.finAckValid && seqGe(fs.finAck, seqAdd32(pr.finSeq, 1)));
    if (pr.peerFinDoubt) {
      pr.cand |= notYet;
      pr.gotPeerFin = false;
    }
    pr.peerFinPending = false;
    pr.peerFinDoubt = false;
  }
  if (st.ackPending && st.ackPendingToA === toA) takePendingAck(st);
}

/**
 * A deferred pure ACK takes effect at its receiver now (RFC 9293 §3.10.7.4 fifth step: the ACK
 * of its SYN or of its FIN, the only moves an ACK without data makes).
 */
export function takePendingAck(st: InferState): void {
  const r = st.ackPendingToA ? st.a : st.b;
  const ack = st.pendAck;
  st.ackPending = false;
  if (r.synSent && (r.cand & bit(S.SYN_RECEIVED)) !== 0 && seqGe(ack, seqAdd32(r.iss, 1)))
    apply(r, TcpEvent.RCV_ACK_OF_SYN);
  if (r.finSent && seqGe(ack, seqAdd32(r.finSeq, 1))) apply(r, TcpEvent.RCV_ACK_OF_FIN);
}

/**
 * A deferred RST takes effect at its receiver now, if acceptable there (RFC 9293 §3.10.7; a
 * passive opener in SYN_RECEIVED back to LISTEN, §3.10.7.4). In the window but not exact it would
 * draw a challenge ACK (RFC 5961 §3.2), which changes no state.
 */
export function takePendingRst(st: InferState): void {
  const r = st.rstPendingToA ? st.a : st.b;
  st.rstPending = false;
  if (r.cand !== 0 && r.cand !== UNKNOWABLE && rstAcceptance(r, RST, st.pendRst, 0) > 0)
    apply(r, TcpEvent.RCV_RST);
}

/** Whether this pure ACK of a crossed FIN is the first (teardown 3/4) rather than the second (4/4). */
function firstClosingAck(st: InferState): boolean {
  if (st.closingAcked) return false;
  st.closingAcked = true;
  return true;
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
    if (!ep.twTimed) {
      ep.twSinceUsec = now;
      ep.twTimed = true;
    }
  } else {
    ep.twTimed = false;
  }
}

/** TIME_WAIT → CLOSED once --time-wait seconds of capture time have passed (§3.10.8). */
export function expireTimeWait(ep: EndpointFacts, now: number, cfg: InferConfig): boolean {
  if (ep.cand === bit(S.TIME_WAIT) && ep.twTimed && now - ep.twSinceUsec >= cfg.timeWaitUsec) {
    apply(ep, TcpEvent.TIMEOUT_TIME_WAIT);
    ep.twTimed = false;
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
