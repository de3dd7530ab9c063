// One segment of a connection as the tracker keeps it while its states are not final yet
// (PRODUCT.md "How states are inferred": per-packet states use all the evidence, so a
// connection's packets are held until the evidence is in). A copy of the few Packet fields the
// inference needs, the arrival decision, and the results of the last inference pass. Objects
// are pooled by the flow table: none is allocated per packet in the steady state.

import type { TcpState } from '../tcp/state.js';
import { FIN, type Packet, SYN } from '../wire/packet.js';

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

export class HeldPacket {
  frame = 0;
  tsUsec = 0;
  /** Sent by A, the sender of the connection's first segment. */
  fromA = false;
  flags = 0;
  seq = 0;
  ack = 0;
  /** TCP payload length. */
  len = 0;
  /** Raw window field. */
  win = 0;
  /** Window scale option (-1 when absent). */
  wscale = -1;
  ttl = 0;
  ipId = -1;
  df = false;
  ipv4 = false;
  hasTimestamp = false;
  /** Wireshark-derived tag bits (kinds.ts), from TcpAnalysis. */
  wsTags = 0;

  arrival: Arrival = Arrival.PRESUMED;
  /** A RST whose claimed sender went on sending: its sender's state does not change. */
  senderRefuted = false;
  /** A RST whose arrival is in doubt (sent after unanswered keep-alives): the connection waits for evidence. */
  rstInDoubt = false;
  /**
   * A FIN known to have reached its receiver at a time the capture does not pin down (it crossed a
   * segment of the receiver, or a copy of it may be what arrived): its receiver's state becomes
   * the union of "not yet" and "arrived" (shown UNKNOWN) until later evidence separates them.
   */
  whenInDoubt = false;
  /** A delayed or refuted FIN whose receiver has since acknowledged its sequence number. */
  covered = false;
  /**
   * A pure ACK whose SEQ (its sender's SND.NXT) is above what the capture showed
   * of its sender: segments left before it unseen (lost before the tap), the last of them maybe its
   * FIN. Held until a copy of that last sequence number (holeAt) shows whether it was a FIN.
   */
  holeOpen = false;
  holeAt = 0;
  /**
   * A SYN whose receiver retransmitted its own SYN (captured at this time, µs) without
   * acknowledging it before any round trip was measured: lost or crossed in flight, decided by
   * the handshake's round trip (Conn.decide); -1 when none.
   */
  crossUsec = -1;
  /** Its receiver's own FIN (at closesFirstSeq), lost before the tap, left before this arrived. */
  closesFirst = false;
  closesFirstSeq = 0;
  /** That FIN is this segment's own sender's (else its receiver's). */
  closesFirstBySender = false;

  // Results of the last inference pass over this segment.
  /** Whether the receiver's state depends on the segment's arrival (so a decision matters). */
  decisive = false;
  /** A RST whose effect on its sender awaits evidence (suspect profile or ignored by its receiver). */
  senderPending = false;
  ownTags = 0;
  stateA: TcpState = 0;
  stateB: TcpState = 0;
  /**
   * A state an endpoint passed through while this segment was processed, before stateA/stateB
   * (a delayed FIN taking effect just before this segment's own effect: CLOSING on the way to
   * TIME_WAIT); -1 when none. The record's `states` keeps it; per-packet states show the last.
   */
  viaA = -1;
  viaB = -1;
  role: Role = Role.DATA;
  fx = 0;
  /** Whatever the caller attached (e.g. the rendered line of `read`), handed back on release. */
  attach: unknown = undefined;

  /** Sequence space the segment occupies (payload + SYN + FIN). */
  get seqLen(): number {
    return this.len + (this.flags & SYN ? 1 : 0) + (this.flags & FIN ? 1 : 0);
  }

  /** The sequence number just past the segment. */
  get end(): number {
    return (this.seq + this.seqLen) >>> 0;
  }

  fill(pkt: Packet, fromA: boolean, wsTags: number): void {
    this.frame = pkt.frame;
    this.tsUsec = pkt.tsUsec;
    this.fromA = fromA;
    this.flags = pkt.flags;
    this.seq = pkt.seq >>> 0;
    this.ack = pkt.ack >>> 0;
    this.len = pkt.payloadLen;
    this.win = pkt.window;
    this.wscale = pkt.wscale;
    this.ttl = pkt.ttl;
    this.ipId = pkt.ipId;
    this.df = pkt.df;
    this.ipv4 = pkt.ipVersion === 4;
    this.hasTimestamp = pkt.hasTimestamp;
    this.wsTags = wsTags;
    this.arrival = Arrival.PRESUMED;
    this.senderRefuted = false;
    this.rstInDoubt = false;
    this.whenInDoubt = false;
    this.covered = false;
    this.holeOpen = false;
    this.holeAt = 0;
    this.crossUsec = -1;
    this.closesFirst = false;
    this.closesFirstSeq = 0;
    this.closesFirstBySender = false;
    this.decisive = false;
    this.senderPending = false;
    this.ownTags = 0;
    this.stateA = 0;
    this.stateB = 0;
    this.viaA = -1;
    this.viaB = -1;
    this.role = Role.DATA;
    this.fx = 0;
    this.attach = undefined;
  }
}
