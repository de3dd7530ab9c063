// The states of a packetdrill script's peer. The script speaks for the remote end (its `<`
// lines), which has no TCP stack in the lab, so its "true" states are the ones RFC 9293's table
// (src/tcp/transitions.ts) gives for what it sent and received, in order, at its own interface
// (the path has no delay, so nothing is in flight between it and the stack under test): a SYN
// sent opens it, a SYN+ACK received or the ACK of its SYN+ACK synchronizes it, its FIN and the
// ACK of that FIN and the stack's FIN close it, a RST either way ends it. Pure.

import type { Segment } from '../tcp/segment.js';
import { seqAdd, seqGe, seqGt } from '../tcp/seq.js';
import { isSynchronized, TcpState as S, type StateName, stateName } from '../tcp/state.js';
import { findTransition, TcpEvent } from '../tcp/transitions.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';

export interface PeerTimelineEntry {
  at: number;
  state: StateName;
  rfc?: string;
  reason?: string;
}

export class ScriptPeer {
  private state: S;
  readonly timeline: PeerTimelineEntry[];
  /** Our FIN's sequence number once sent (-1: none). */
  private finSeq = -1;
  private iss = -1;
  private synAckSent = false;

  constructor(
    /** The peer answers a SYN (the stack under test connects) rather than sending one. */
    private readonly passive: boolean,
    at: number,
  ) {
    this.state = passive ? S.LISTEN : S.CLOSED;
    this.timeline = [{ at, state: stateName(this.state) }];
  }

  private apply(at: number, event: TcpEvent, reason: string): void {
    const row = findTransition(this.state, event, this.passive);
    if (!row) return;
    this.state = row.to;
    this.timeline.push({ at, state: stateName(row.to), rfc: row.rfc, reason });
  }

  /** The script sent `seg` (a `<` line). */
  sent(at: number, seg: Segment): void {
    const f = seg.flags;
    if (f & RST) {
      if (this.state === S.SYN_RECEIVED && this.passive && !this.synAckSent) {
        // A RST (not a SYN+ACK) answers the SYN: nothing listened; the port was CLOSED all along.
        this.timeline.splice(0, this.timeline.length, { at: this.timeline[0].at, state: 'CLOSED' });
        this.state = S.CLOSED;
        return;
      }
      if (this.state !== S.LISTEN && this.state !== S.CLOSED) this.apply(at, TcpEvent.ABORT, 'RST sent');
      return;
    }
    if (f & SYN) {
      if (this.iss < 0) this.iss = seg.seq;
      if (f & ACK) this.synAckSent = true;
      if (!(f & ACK) && (this.state === S.CLOSED || this.state === S.LISTEN)) {
        this.apply(at, TcpEvent.OPEN_ACTIVE, 'SYN sent');
      }
      return;
    }
    if (f & FIN && this.finSeq < 0) {
      this.finSeq = seqAdd(seg.seq, seg.payload.length);
      this.apply(at, TcpEvent.CLOSE, 'FIN sent');
    }
  }

  /** `seg` from the stack under test reached the script's end. */
  received(at: number, seg: Segment): void {
    const f = seg.flags;
    const s = this.state;
    if (f & RST) {
      if (s === S.SYN_SENT && !(f & ACK)) return;
      if (s !== S.LISTEN && s !== S.CLOSED) this.apply(at, TcpEvent.RCV_RST, 'RST received');
      return;
    }
    if (f & SYN) {
      if (f & ACK && s === S.SYN_SENT) this.apply(at, TcpEvent.RCV_SYN_ACK, 'SYN+ACK received');
      else if (!(f & ACK) && (s === S.LISTEN || s === S.SYN_SENT))
        this.apply(at, TcpEvent.RCV_SYN, 'SYN received');
      return;
    }
    if (!(f & ACK)) return;
    if (s === S.SYN_RECEIVED && this.iss >= 0 && seqGt(seg.ack, this.iss)) {
      this.apply(at, TcpEvent.RCV_ACK_OF_SYN, 'ACK of our SYN');
    }
    const finAcked = this.finSeq >= 0 && seqGe(seg.ack, seqAdd(this.finSeq, 1));
    if (f & FIN && isSynchronized(this.state)) {
      if (this.state === S.FIN_WAIT_1 && finAcked)
        this.apply(at, TcpEvent.RCV_FIN_ACK_OF_FIN, 'FIN acknowledging ours');
      else this.apply(at, TcpEvent.RCV_FIN, 'FIN received');
      return;
    }
    if (finAcked && (this.state === S.FIN_WAIT_1 || this.state === S.CLOSING || this.state === S.LAST_ACK)) {
      this.apply(at, TcpEvent.RCV_ACK_OF_FIN, 'ACK of our FIN');
    }
  }
}
