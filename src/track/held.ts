// One segment of a connection as the tracker keeps it while its states are not final yet
// (PRODUCT.md "How states are inferred": per-packet states use all the evidence, so a
// connection's packets are held until the evidence is in). A copy of the few Packet fields the
// inference needs, the arrival decision, and the results of the last inference pass. Objects
// are pooled by the flow table: none is allocated per packet in the steady state. One often stays
// held per open connection (the last ACK, until TIME_WAIT ends), so it is kept small: booleans and
// results packed into integers, sequence numbers as int32, no per-object array (Conn links them).

import type { TcpState } from '../tcp/state.js';
import { FIN, type Packet, SYN } from '../wire/packet.js';
import { asInt } from './small-int.js';

/** Whether a held segment reached its receiver. */
export enum Arrival {
  /** No evidence yet: presumed arrived. */
  PRESUMED = 0,
  /** The receiver acknowledged it, or the evidence period ended: arrived. */
  CONFIRMED = 1,
  /** The receiver's later segments prove it never arrived. */
  REFUTED = 2,
  /**
   * It arrived, but only after its receiver sent a later segment: crossing FINs (RFC 9293 §3.6
   * Figure 13), where the receiver's own FIN does not acknowledge it. Its effect comes with the
   * evidence of receipt (an ACK that covers it), not where it stands in the capture.
   */
  DELAYED = 3,
}

/** Per-packet roles (PRODUCT.md packet record `role`). */
export enum Role {
  DATA = 0,
  ACK = 1,
  RESET = 2,
  HANDSHAKE_1_3 = 3,
  HANDSHAKE_2_3 = 4,
  HANDSHAKE_3_3 = 5,
  HANDSHAKE_1_4 = 6,
  HANDSHAKE_2_4 = 7,
  HANDSHAKE_3_4 = 8,
  HANDSHAKE_4_4 = 9,
  TEARDOWN_1_4 = 10,
  TEARDOWN_2_4 = 11,
  TEARDOWN_3_4 = 12,
  TEARDOWN_4_4 = 13,
  TEARDOWN_1_3 = 14,
  TEARDOWN_2_3 = 15,
  TEARDOWN_3_3 = 16,
}

export const ROLE_NAMES = [
  'data',
  'ack',
  'reset',
  'handshake 1/3',
  'handshake 2/3',
  'handshake 3/3',
  'handshake 1/4',
  'handshake 2/4',
  'handshake 3/4',
  'handshake 4/4',
  'teardown 1/4',
  'teardown 2/4',
  'teardown 3/4',
  'teardown 4/4',
  'teardown 1/3',
  'teardown 2/3',
  'teardown 3/3',
] as const;

// Effects of a segment found by the inference pass, read when the segment is released.
/** A FIN that its receiver processed. */
export const FX_FIN_ACCEPTED = 1;
/** A RST that its receiver accepted (RFC 5961 §3: exactly RCV.NXT). */
export const FX_RST_ACCEPTED = 2;
/** A segment from the SYN sender acknowledging the SYN+ACK (handshake complete). */
export const FX_ACKS_SYNACK = 4;
/** A RST from the endpoint that received a SYN, before it sent any SYN+ACK (refused). */
export const FX_REFUSES = 8;
/** The second FIN did not acknowledge the first: the FINs crossed. */
export const FX_FINS_CROSSED = 16;

// The results of the inference pass, packed into HeldPacket.result (4 bits per state, TcpState
// < 16; a `via` state + 1 so that -1 is 0).
const R_STATE_A = 0;
const R_STATE_B = 4;
const R_VIA_A = 8;
const R_VIA_B = 12;
const R_ROLE = 16; // 5 bits
const R_FX = 21; // 5 bits
const ROLE_MASK = 0x1f << R_ROLE;

// Boolean facts of a held segment, as bits of HeldPacket.bits (one small integer, not one
// 8-byte field each).
const B_FROM_A = 1;
const B_DF = 2;
const B_IPV4 = 4;
const B_SENDER_REFUTED = 8;
const B_RST_IN_DOUBT = 16;
const B_WHEN_IN_DOUBT = 32;
const B_COVERED = 64;
const B_HOLE_OPEN = 128;
const B_CROSS_PENDING = 256;
const B_CLOSES_FIRST = 512;
const B_CLOSES_FIRST_BY_SENDER = 1024;
const B_DECISIVE = 2048;
const B_SENDER_PENDING = 4096;
const B_ARRIVAL_OPEN = 8192;
const B_HAS_TS = 16384;
const B_SILENT = 32768;
/** Two bits: what its receiver's timestamps said of it (SilenceEcho). */
const B_ECHO_SHIFT = 16;
const B_ECHO_MASK = 3 << B_ECHO_SHIFT;
const B_MET_CLOSED = 1 << 18;
const B_CROSSED_ANSWER = 1 << 19;
const B_DEFERRED = 1 << 20;
const B_DEFER_SHOWN = 1 << 21;
const B_TAKES_PENDING = 1 << 22;
const B_RECOVERY = 1 << 23;
const B_CLOSE_MAY_PRECEDE = 1 << 24;
const B_CLOSE_MAY_A = 1 << 25;
const B_PROBE_AWAITS = 1 << 26;
const B_REJECTED_OR_LOST = 1 << 27;
const B_COOKIE_OPEN = 1 << 28;
const B_STATELESS = 1 << 29;
const B_STATELESS_OPEN = 1 << 30;
const B_NOT_OWN = 1 << 31;

/** HeldPacket.awaitsAnswer. */
const W_ANSWER = 1;
/** HeldPacket.awaitsFin. */
const W_FIN = 2;

/** What the first answer after a silence echoed (RFC 7323 §4.3: TSecr is the TSval of the segment answered). */
export enum SilenceEcho {
  /** No answer with timestamps yet. */
  NONE = 0,
  /** It echoed this segment's TSval: this copy arrived. */
  THIS = 1,
  /** It echoed a later copy's TSval: this one had not arrived. */
  LATER = 2,
  /** It answered without a telling timestamp. */
  MUTE = 3,
}

// HeldPacket.synOpts: what a SYN or SYN+ACK offered (the window scale and timestamps are held anyway).
/** MSS + 1 (0: absent), capped at 0xffff. */
export const OPT_MSS_MASK = 0xffff;
export const OPT_SACK_PERMITTED = 1 << 16;
/** A TCP Fast Open option without a cookie: the client asks for one (RFC 7413 §4.1.1). */
export const OPT_TFO_REQUEST = 1 << 17;
/** A TCP Fast Open option with a cookie (the server's SYN+ACK gives it; the client's SYN returns it). */
export const OPT_TFO_COOKIE = 1 << 18;

function synOptionBits(pkt: Packet): number {
  return (
    (pkt.mss >= 0 ? Math.min(pkt.mss, 0xfffe) + 1 : 0) |
    (pkt.sackPermitted ? OPT_SACK_PERMITTED : 0) |
    (pkt.tfoCookieLen === 0 ? OPT_TFO_REQUEST : pkt.tfoCookieLen > 0 ? OPT_TFO_COOKIE : 0)
  );
}

/** Timestamps offered (the report's packed form only: HeldPacket.hasTs holds it). */
export const OPT_TIMESTAMPS = 1 << 19;
/** Window scale + 1 (0: absent) from this bit up (the report's packed form only). */
export const OPT_WSCALE_SHIFT = 20;
/** Set on every SYN in the report's packed form, so a SYN without options is not 0. */
export const OPT_SYN = 1 << 26;

/**
 * A SYN's options as the report layer receives them (RawPacket.synOpts): synOpts with the
 * timestamps and window scale added; 0 for a segment without SYN.
 */
export function synOptionsOf(h: HeldPacket): number {
  if (!(h.flags & SYN)) return 0;
  return h.synOpts | (h.hasTs ? OPT_TIMESTAMPS : 0) | ((h.wscale + 1) << OPT_WSCALE_SHIFT) | OPT_SYN;
}

/** Sets or clears `bit` of `bits`. */
function withBit(bits: number, bit: number, on: boolean): number {
  return on ? bits | bit : bits & ~bit;
}

/**
 * PRODUCT.md packet record `arrived`: whether the receiver got the segment (false: the receiver's
 * later segments or silence refute it), null while the capture cannot say which (a FIN resent
 * before any ACK, a copy among several, a segment whose silence only a tap beside its receiver
 * would decide). The ladders' ✗ and `read --json` both read it from here.
 */
export function arrivedOf(h: HeldPacket): boolean | null {
  if (h.arrival === Arrival.REFUTED) return h.rejectedOrLost ? null : false;
  return h.arrivalOpen ? null : true;
}

export class HeldPacket {
  frame = 0;
  /** Capture time, µs since the epoch (as the caller sees it). */
  tsUsec = 0;
  /** Capture time relative to the connection's first segment (Conn.baseUsec), µs: a small integer. */
  t = 0;
  flags = 0;
  /** SEQ and ACK fields as int32 (compare with src/tcp/seq.ts; `seq`/`ack` give the uint32). */
  seq32 = 0;
  ack32 = 0;
  /** TCP payload length. */
  len = 0;
  /** Raw window field. */
  win = 0;
  /** TTL (low 8 bits) and the window scale option + 1 above it (0: absent), as HeldPacket.ttl/wscale. */
  private ttlWscale = 0;
  /**
   * The SYN options a teacher names (OPT_* bits: MSS + 1 in the low 16 bits, SACK permitted,
   * TCP Fast Open request or cookie); 0 on other segments. Read only by the report layer.
   */
  synOpts = 0;
  ipId = -1;
  /** TCP timestamps option (RFC 7323) as int32, valid when hasTs. */
  tsVal = 0;
  tsEcr = 0;
  /** Wireshark-derived tag bits (kinds.ts), from TcpAnalysis. */
  wsTags = 0;
  /** The B_* booleans. */
  private bits = 0;
  /** More booleans (W_*): B_* has no bit left. */
  private waits = 0;

  arrival: Arrival = Arrival.PRESUMED;
  /** The last sequence number of the hole (valid while holeOpen), int32. */
  holeAt = 0;
  /**
   * When its receiver retransmitted its own SYN (valid while crossPending), or sent the segment
   * that crossed it (valid when deferred): relative µs like `t`.
   */
  crossUsec = 0;
  /** The sequence number of the unseen FIN (valid when closesFirst), int32. */
  closesFirstSeq = 0;
  /** The ACK field of the receiver's segment that crossed it (valid when deferred), int32. */
  crossAck32 = 0;

  // Results of the last inference pass over this segment.
  ownTags = 0;
  /** Role, effects (FX_*), stateA/stateB and viaA/viaB packed (R_* shifts; accessors below). */
  private result = 0;
  /** Whatever the caller attached (e.g. the rendered line of `read`), handed back on release. */
  attach: unknown = undefined;
  /** The next segment held by the same connection (Conn keeps them as a list), null at the end. */
  next: HeldPacket | null = null;

  /** Sent by A, the sender of the connection's first segment. */
  get fromA(): boolean {
    return (this.bits & B_FROM_A) !== 0;
  }
  get df(): boolean {
    return (this.bits & B_DF) !== 0;
  }
  get ipv4(): boolean {
    return (this.bits & B_IPV4) !== 0;
  }
  /** A RST whose claimed sender went on sending: its sender's state does not change. */
  get senderRefuted(): boolean {
    return (this.bits & B_SENDER_REFUTED) !== 0;
  }
  set senderRefuted(v: boolean) {
    this.bits = withBit(this.bits, B_SENDER_REFUTED, v);
  }
  /** A RST whose arrival is in doubt (sent after unanswered keep-alives): the connection waits for evidence. */
  get rstInDoubt(): boolean {
    return (this.bits & B_RST_IN_DOUBT) !== 0;
  }
  set rstInDoubt(v: boolean) {
    this.bits = withBit(this.bits, B_RST_IN_DOUBT, v);
  }
  /**
   * A FIN known to have reached its receiver at a time the capture does not pin down (it crossed a
   * segment of the receiver, or a copy of it may be what arrived): its receiver's state becomes
   * the union of "not yet" and "arrived" (shown UNKNOWN) until later evidence separates them.
   */
  get whenInDoubt(): boolean {
    return (this.bits & B_WHEN_IN_DOUBT) !== 0;
  }
  set whenInDoubt(v: boolean) {
    this.bits = withBit(this.bits, B_WHEN_IN_DOUBT, v);
  }
  /** A delayed or refuted FIN whose receiver has since acknowledged its sequence number. */
  get covered(): boolean {
    return (this.bits & B_COVERED) !== 0;
  }
  set covered(v: boolean) {
    this.bits = withBit(this.bits, B_COVERED, v);
  }
  /**
   * A pure ACK whose SEQ (its sender's SND.NXT) is above what the capture showed
   * of its sender: segments left before it unseen (lost before the tap), the last of them maybe its
   * FIN. Held until a copy of that last sequence number (holeAt) shows whether it was a FIN.
   */
  get holeOpen(): boolean {
    return (this.bits & B_HOLE_OPEN) !== 0;
  }
  set holeOpen(v: boolean) {
    this.bits = withBit(this.bits, B_HOLE_OPEN, v);
  }
  /**
   * A SYN whose receiver retransmitted its own SYN (at crossUsec) without acknowledging it before
   * any round trip was measured: lost or crossed in flight, decided by the handshake's round trip
   * (Conn.decide).
   */
  get crossPending(): boolean {
    return (this.bits & B_CROSS_PENDING) !== 0;
  }
  set crossPending(v: boolean) {
    this.bits = withBit(this.bits, B_CROSS_PENDING, v);
  }
  /** Its receiver's own FIN (at closesFirstSeq), lost before the tap, left before this arrived. */
  get closesFirst(): boolean {
    return (this.bits & B_CLOSES_FIRST) !== 0;
  }
  set closesFirst(v: boolean) {
    this.bits = withBit(this.bits, B_CLOSES_FIRST, v);
  }
  /** That FIN is this segment's own sender's (else its receiver's). */
  get closesFirstBySender(): boolean {
    return (this.bits & B_CLOSES_FIRST_BY_SENDER) !== 0;
  }
  set closesFirstBySender(v: boolean) {
    this.bits = withBit(this.bits, B_CLOSES_FIRST_BY_SENDER, v);
  }
  /** Whether the receiver's state depends on the segment's arrival (so a decision matters). */
  get decisive(): boolean {
    return (this.bits & B_DECISIVE) !== 0;
  }
  set decisive(v: boolean) {
    this.bits = withBit(this.bits, B_DECISIVE, v);
  }
  /** A RST whose effect on its sender awaits evidence (suspect profile or ignored by its receiver). */
  get senderPending(): boolean {
    return (this.bits & B_SENDER_PENDING) !== 0;
  }
  set senderPending(v: boolean) {
    this.bits = withBit(this.bits, B_SENDER_PENDING, v);
  }

  /**
   * A SYN+ACK that reached an endpoint with no connection any more (it had given up): answered
   * <SEQ=SEG.ACK><CTL=RST> although its ACK was acceptable in SYN_SENT (RFC 9293 §3.10.7.1, Conn.decide).
   */
  get metClosed(): boolean {
    return (this.bits & B_MET_CLOSED) !== 0;
  }
  set metClosed(v: boolean) {
    this.bits = withBit(this.bits, B_MET_CLOSED, v);
  }

  /**
   * It acknowledges a SYN+ACK that its receiver sent again after it, within the crossing time:
   * it reached that receiver only after (a server in ESTABLISHED sends no SYN+ACK). Once its
   * sender's next segment carries the same acknowledgment, it is DELAYED past that copy (Conn.decide).
   */
  get crossedAnswer(): boolean {
    return (this.bits & B_CROSSED_ANSWER) !== 0;
  }
  set crossedAnswer(v: boolean) {
    this.bits = withBit(this.bits, B_CROSSED_ANSWER, v);
  }

  /**
   * A keep-alive probe (<SEQ=SND.NXT−1>, RFC 9293 §3.8.4) waiting for its receiver's answer: an
   * unacceptable segment is acknowledged at once (§3.10.7.4), so the receiver's next segment, or
   * its sender's next one without an answer between, decides its arrival (Conn.decide).
   */
  get probeAwaits(): boolean {
    return (this.bits & B_PROBE_AWAITS) !== 0;
  }
  set probeAwaits(v: boolean) {
    this.bits = withBit(this.bits, B_PROBE_AWAITS, v);
  }

  /**
   * A REFUTED segment that took no effect, whether lost or rejected on arrival the capture cannot
   * tell (a SYN+ACK for an ISS its receiver has replaced with a new SYN: lost, or answered with a
   * RST <SEQ=SEG.ACK> from SYN_SENT, §3.10.7.3): arrivedOf → null.
   */
  get rejectedOrLost(): boolean {
    return (this.bits & B_REJECTED_OR_LOST) !== 0;
  }
  set rejectedOrLost(v: boolean) {
    this.bits = withBit(this.bits, B_REJECTED_OR_LOST, v);
  }

  /**
   * A SYN answered by a passive opener's first SYN+ACK and by nothing since: held with it, for
   * that SYN+ACK may be a SYN cookie's (Conn.cookieAnswers) and the SYN's row would then change.
   */
  get cookieOpen(): boolean {
    return (this.bits & B_COOKIE_OPEN) !== 0;
  }
  set cookieOpen(v: boolean) {
    this.bits = withBit(this.bits, B_COOKIE_OPEN, v);
  }

  /**
   * A SYN its listener answered with a SYN cookie, or that cookie SYN+ACK (RFC 4987 §3.6): the
   * listener kept no state for it and stays in LISTEN (Conn.cookieAnswers).
   */
  get stateless(): boolean {
    return (this.bits & B_STATELESS) !== 0;
  }
  set stateless(v: boolean) {
    this.bits = withBit(this.bits, B_STATELESS, v);
  }

  /**
   * A SYN its claimed sender did not send in this connection (Conn.decide): that endpoint's next
   * SYN carries a new ISS and another profile (TTL, DF, options) — an old duplicate from an earlier
   * incarnation or another stack's. It reaches its receiver; its sender's state does not move.
   */
  get notOwn(): boolean {
    return (this.bits & B_NOT_OWN) !== 0;
  }
  set notOwn(v: boolean) {
    this.bits = withBit(this.bits, B_NOT_OWN, v);
  }

  /**
   * The first segment after its connection was idle (Conn.process): held until its receiver's
   * next segment, or until its sender's next one comes too late for an immediate answer, for a
   * bare RST <SEQ=SEG.ACK> answering it at once shows its receiver had no connection (Conn.decide).
   */
  get awaitsAnswer(): boolean {
    return (this.waits & W_ANSWER) !== 0;
  }
  set awaitsAnswer(v: boolean) {
    this.waits = withBit(this.waits, W_ANSWER, v);
  }

  /**
   * A pure ACK acknowledging new data of a peer that had sent nothing for a while (its window
   * full): held until that peer's next segment, which shows whether the ACK let out a FIN that
   * waited for the window, queued by a close() before the ACK arrived (Conn.decide).
   */
  get awaitsFin(): boolean {
    return (this.waits & W_FIN) !== 0;
  }
  set awaitsFin(v: boolean) {
    this.waits = withBit(this.waits, W_FIN, v);
  }

  /** With `stateless`: only maybe — the tap could have missed the resends a request socket makes. */
  get statelessOpen(): boolean {
    return (this.bits & B_STATELESS_OPEN) !== 0;
  }
  set statelessOpen(v: boolean) {
    this.bits = withBit(this.bits, B_STATELESS_OPEN, v);
  }

  /**
   * A FIN or a pure ACK whose receiver sent a segment before it could arrive (captured within the
   * receiver's round trip from the tap, its ACK field not covering it): its effect there comes
   * after that crossing segment, as the receiver's next segment shows (Conn.decide). Its arrival
   * is still open to the usual evidence.
   */
  get deferred(): boolean {
    return (this.bits & B_DEFERRED) !== 0;
  }
  set deferred(v: boolean) {
    this.bits = withBit(this.bits, B_DEFERRED, v);
  }

  /**
   * Its deferred effect shows on a segment captured within twice its receiver's round trip from
   * the tap, or it was given to the last segment that crossed it (takesPending) because none does:
   * decided (Conn.decide).
   */
  get deferShown(): boolean {
    return (this.bits & B_DEFER_SHOWN) !== 0;
  }
  set deferShown(v: boolean) {
    this.bits = withBit(this.bits, B_DEFER_SHOWN, v);
  }

  /**
   * The last segment that crossed a deferred one whose effect no later segment shows in time: the
   * state after it includes that effect (infer.ts step), the nearest a packet record comes to the
   * moment it took place.
   */
  get takesPending(): boolean {
    return (this.bits & B_TAKES_PENDING) !== 0;
  }
  set takesPending(v: boolean) {
    this.bits = withBit(this.bits, B_TAKES_PENDING, v);
  }

  /**
   * Its sender's first data resent (loss recovery, RFC 6675/RFC 8985), with no FIN sent yet:
   * held, and everything after it, until that sender's next new sequence number shows whether a
   * FIN waited behind the recovery (Conn.decide).
   */
  get recovery(): boolean {
    return (this.bits & B_RECOVERY) !== 0;
  }
  set recovery(v: boolean) {
    this.bits = withBit(this.bits, B_RECOVERY, v);
  }
  /**
   * A FIN that waited for the window was queued, by close(), at some time the capture does not
   * show: at this segment, endpoint A (closeMayA) or B may already have closed, so its state is
   * the union of before and after CLOSE (UNKNOWN).
   */
  get closeMayPrecede(): boolean {
    return (this.bits & B_CLOSE_MAY_PRECEDE) !== 0;
  }
  set closeMayPrecede(v: boolean) {
    this.bits = withBit(this.bits, B_CLOSE_MAY_PRECEDE, v);
  }
  get closeMayA(): boolean {
    return (this.bits & B_CLOSE_MAY_A) !== 0;
  }
  set closeMayA(v: boolean) {
    this.bits = withBit(this.bits, B_CLOSE_MAY_A, v);
  }

  /** Whether it reached its receiver is open: the capture holds evidence for both (arrivedOf → null). */
  get arrivalOpen(): boolean {
    return (this.bits & B_ARRIVAL_OPEN) !== 0;
  }
  set arrivalOpen(v: boolean) {
    this.bits = withBit(this.bits, B_ARRIVAL_OPEN, v);
  }

  /** It carried the timestamps option. */
  get hasTs(): boolean {
    return (this.bits & B_HAS_TS) !== 0;
  }
  /**
   * A segment its receiver had to answer at once and did not before its sender sent it again (the
   * silence rule): whether it arrived waits for the receiver's first answer (its timestamps) and
   * for where the tap is (Conn.decideSilence).
   */
  get silent(): boolean {
    return (this.bits & B_SILENT) !== 0;
  }
  set silent(v: boolean) {
    this.bits = withBit(this.bits, B_SILENT, v);
  }
  get echo(): SilenceEcho {
    return (this.bits & B_ECHO_MASK) >>> B_ECHO_SHIFT;
  }
  set echo(v: SilenceEcho) {
    this.bits = (this.bits & ~B_ECHO_MASK) | (v << B_ECHO_SHIFT);
  }

  /** TTL of the IP header. */
  get ttl(): number {
    return this.ttlWscale & 0xff;
  }
  /**
   * Window scale option, -1 when absent; a shift above 31 shows as 31 (RFC 7323 allows 14; every
   * shift from 31 up gives the same window bound in the RST check, infer.ts rstAcceptance).
   */
  get wscale(): number {
    return (this.ttlWscale >>> 8) - 1;
  }

  /** The state of A and of B after the segment. */
  get stateA(): TcpState {
    return ((this.result >>> R_STATE_A) & 0xf) as TcpState;
  }
  get stateB(): TcpState {
    return ((this.result >>> R_STATE_B) & 0xf) as TcpState;
  }
  /**
   * A state an endpoint passed through while this segment was processed, before stateA/stateB
   * (a delayed FIN taking effect just before this segment's own effect: CLOSING on the way to
   * TIME_WAIT); -1 when none. The record's `states` keeps it; per-packet states show the last.
   */
  get viaA(): number {
    return ((this.result >>> R_VIA_A) & 0xf) - 1;
  }
  get viaB(): number {
    return ((this.result >>> R_VIA_B) & 0xf) - 1;
  }
  get role(): Role {
    return ((this.result & ROLE_MASK) >>> R_ROLE) as Role;
  }
  set role(r: Role) {
    this.result = (this.result & ~ROLE_MASK) | (r << R_ROLE);
  }
  /** Effects found by the inference pass (FX_*), read when the segment is released. */
  get fx(): number {
    return (this.result >>> R_FX) & 0x1f;
  }

  /** Stores the results of an inference pass (`via*` -1 when none). */
  setResult(role: Role, fx: number, stateA: TcpState, stateB: TcpState, viaA: number, viaB: number): void {
    this.result =
      (stateA << R_STATE_A) |
      (stateB << R_STATE_B) |
      ((viaA + 1) << R_VIA_A) |
      ((viaB + 1) << R_VIA_B) |
      (role << R_ROLE) |
      (fx << R_FX);
  }

  /** SEQ field (uint32). */
  get seq(): number {
    return this.seq32 >>> 0;
  }
  /** ACK field (uint32). */
  get ack(): number {
    return this.ack32 >>> 0;
  }

  /** Sequence space the segment occupies (payload + SYN + FIN). */
  get seqLen(): number {
    return this.len + (this.flags & SYN ? 1 : 0) + (this.flags & FIN ? 1 : 0);
  }

  /** The sequence number just past the segment, int32. */
  get end32(): number {
    return (this.seq32 + this.seqLen) | 0;
  }

  /** `t` is relative to `baseUsec` (the connection's first segment). */
  fill(pkt: Packet, fromA: boolean, wsTags: number, baseUsec: number): void {
    this.frame = pkt.frame;
    const ts = pkt.tsUsec;
    this.tsUsec = ts;
    this.t = asInt(ts - baseUsec);
    this.flags = pkt.flags;
    this.seq32 = pkt.seq | 0;
    this.ack32 = pkt.ack | 0;
    this.len = pkt.payloadLen;
    this.win = pkt.window;
    this.ttlWscale = (pkt.ttl & 0xff) | ((Math.min(pkt.wscale, 31) + 1) << 8);
    this.synOpts = pkt.flags & SYN ? synOptionBits(pkt) : 0;
    this.ipId = pkt.ipId;
    this.tsVal = pkt.tsVal | 0;
    this.tsEcr = pkt.tsEcr | 0;
    this.wsTags = wsTags;
    this.bits =
      (fromA ? B_FROM_A : 0) |
      (pkt.df ? B_DF : 0) |
      (pkt.ipVersion === 4 ? B_IPV4 : 0) |
      (pkt.hasTimestamp ? B_HAS_TS : 0);
    this.waits = 0;
    this.arrival = Arrival.PRESUMED;
    this.holeAt = 0;
    this.crossUsec = 0;
    this.closesFirstSeq = 0;
    this.crossAck32 = 0;
    this.ownTags = 0;
    this.result = 0;
    this.attach = undefined;
    this.next = null;
  }
}
