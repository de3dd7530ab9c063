// One connection as the flow table keeps it: its 4-tuple (A = sender of the first segment), the
// inference state, and the segments held until the evidence about them is in (PRODUCT.md "How
// states are inferred": a segment is presumed to reach its receiver unless the receiver's later
// segments contradict it). When evidence changes a decision the connection rewinds to the last
// committed snapshot and replays its held segments; segments whose fate is settled are released,
// in order, to the record and to the caller.

import { seqGe, seqGt, seqLe, seqLt } from '../tcp/seq.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';
import { FourTuple } from './four-tuple.js';
import { Arrival, type HeldPacket, Role } from './held.js';
import {
  bothDone,
  CLOSED_BIT,
  deniesSynAck,
  expireTimeWait,
  type InferConfig,
  InferState,
  initialCandidates,
  mayHaveCrossed,
  shownState,
  step,
  UNKNOWABLE,
} from './infer.js';
import { type ConnSummary, combineTags, RecordBuilder } from './record.js';

/** Called for each segment whose states are final, in capture order within the connection. */
export type ReleaseFn = (conn: Conn, h: HeldPacket, tags: number) => void;

/** Most segments held per connection before the oldest undecided one is presumed arrived. */
export const MAX_HELD = 4096;

export class Conn extends FourTuple {
  id = 0;
  /** Frame number of its first segment (ids follow it; a sharded run merges by it). */
  firstFrame = 0;
  /** Flow hash of the 4-tuple (either direction). */
  hash = 0;
  /** Next connection in the same hash bucket. */
  nextInBucket: Conn | null = null;
  /** Idle list (least recently seen first). */
  lruPrev: Conn | null = null;
  lruNext: Conn | null = null;
  lastUsec = 0;
  /** Deadline (µs) at which TIME_WAIT ends the connection, -1 when none is pending. */
  twDeadlineUsec = -1;
  evicted = false;
  ended = false;
  firstFlags = 0;

  readonly live = new InferState();
  readonly committed = new InferState();
  readonly held: HeldPacket[] = [];
  private heldHead = 0;
  readonly record = new RecordBuilder();
  initA = 0;
  initB = 0;

  constructor(
    readonly summary: ConnSummary,
    private readonly cfg: InferConfig,
  ) {
    super();
  }

  get heldCount(): number {
    return this.held.length - this.heldHead;
  }

  /** Takes one segment (already filled into `h`); releases what became final. */
  process(h: HeldPacket, recycle: (h: HeldPacket) => void, release: ReleaseFn): void {
    const live = this.live;
    const sender = h.fromA ? live.a : live.b;
    let replay = false;
    if (sender.cand === 0) {
      // This endpoint's first segment fixes its initial state (PRODUCT.md "Initial state").
      const a = live.a;
      const answersSyn =
        !h.fromA &&
        (this.firstFlags & (SYN | ACK)) === SYN &&
        ((h.flags & RST) !== 0 || ((h.flags & ACK) !== 0 && h.ack === (a.iss + 1) >>> 0));
      const c = h.fromA ? this.committed.a : this.committed.b;
      initialCandidates(c, h.flags, answersSyn);
      sender.cand = c.cand;
      sender.passive = c.passive;
      if (h.fromA) this.initA = shownState(c.cand);
      else this.initB = shownState(c.cand);
      if (this.heldCount > 0) replay = true;
    }
    if (this.decide(h)) replay = true;
    if (replay) this.replay();
    if (
      (h.flags & (RST | SYN | FIN | ACK)) === ACK &&
      h.len === 0 &&
      sender.sndValid &&
      !sender.finSent &&
      seqGt(h.seq, sender.sndNxt)
    ) {
      // A pure ACK whose SEQ (SND.NXT) is above what the capture showed of its sender: something
      // it sent, maybe its own FIN, was lost before the tap.
      h.holeOpen = true;
      h.holeAt = (h.seq - 1) >>> 0;
    }
    step(live, h, this.cfg);
    this.held.push(h);
    if (this.heldCount > MAX_HELD) this.forceOldest();
    this.release(false, recycle, release);
  }

  /** Updates the arrival decisions of held segments given the new segment `q`; true if one was refuted. */
  private decide(q: HeldPacket): boolean {
    const live = this.live;
    const qs = q.fromA ? live.a : live.b;
    const qRst = (q.flags & RST) !== 0;
    const qEnd = q.end;
    const qRetx = q.seqLen > 0 && qs.sndValid && seqLe(qEnd, qs.sndNxt);
    const qAck = (q.flags & ACK) !== 0;
    const qDeniesSynAck = deniesSynAck(q, qs);
    const qNewIss = (q.flags & SYN) !== 0 && qs.synSent && q.seq !== qs.iss;
    let refuted = false;
    // A RST in doubt from the peer that q answers with an ACK (RFC 5961 §3.2 challenge ACK,
    // <ACK=RCV.NXT>): data sent before that RST and not covered by q's ACK had not arrived.
    let challenged: HeldPacket | null = null;
    if (qAck && !qRst && q.seqLen === 0 && (live.a.cand === CLOSED_BIT || live.b.cand === CLOSED_BIT)) {
      for (let i = this.heldHead; i < this.held.length; i++) {
        const p = this.held[i]!;
        if (p.fromA !== q.fromA && p.rstInDoubt && p.arrival === Arrival.PRESUMED) challenged = p;
      }
    }
    for (let i = this.heldHead; i < this.held.length; i++) {
      const p = this.held[i]!;
      if (p.crossUsec >= 0) {
        // Its receiver retransmitted its own SYN without acknowledging it before any round trip
        // was measured: lost, or crossed in flight. Decided once the handshake measures one.
        const rtt = (p.fromA ? live.b : live.a).tapRttUsec;
        if (rtt < 0) continue;
        if (!mayHaveCrossed(p.tsUsec, p.crossUsec, rtt)) {
          p.arrival = Arrival.REFUTED;
          refuted = true;
        }
        p.crossUsec = -1;
        continue;
      }
      if (p.fromA === q.fromA) {
        if (
          (p.flags & FIN) !== 0 &&
          p.arrival === Arrival.PRESUMED &&
          p.decisive &&
          !p.whenInDoubt &&
          q.seqLen > 0 &&
          seqLt(q.seq, p.end) &&
          seqGe(q.end, p.end)
        ) {
          // Its sender sends the FIN again before any ACK of it (RFC 6298 §5: the timer ran out),
          // so no ACK reached the sender: the FIN was lost, or its ACK was. Unless the receiver
          // still shows which, its arrival is in doubt.
          p.whenInDoubt = true;
          refuted = true;
        }
        if (p.holeOpen && q.seqLen > 0 && seqLe(q.seq, p.holeAt) && seqGt(q.end, p.holeAt)) {
          p.holeOpen = false;
          if ((q.flags & FIN) !== 0 && (q.end - 1) >>> 0 === p.holeAt) {
            this.placeUnseenFin(i, p.holeAt);
            refuted = true;
          }
        }
        // A RST whose claimed sender goes on sending was not its own (rst-suspect-forged).
        if (p.senderPending && !p.senderRefuted && !qRst && (p.flags & RST) !== 0) {
          p.senderRefuted = true;
          refuted = true;
        }
        continue;
      }
      if (qDeniesSynAck && p.arrival === Arrival.PRESUMED && (p.flags & (SYN | ACK)) === (SYN | ACK)) {
        p.arrival = Arrival.REFUTED;
        refuted = true;
        continue;
      }
      const pLen = p.seqLen;
      if (
        !qRst &&
        qAck &&
        (p.flags & FIN) !== 0 &&
        !p.covered &&
        (p.arrival === Arrival.DELAYED || p.arrival === Arrival.REFUTED) &&
        seqGe(q.ack, p.end)
      ) {
        // Its receiver now acknowledges that FIN, so it arrived, but after a segment whose ACK
        // showed it missing (RFC 9293 §3.10.7.4: every segment carries RCV.NXT): a FIN that
        // crossed it in flight, not one lost. When it took effect among the receiver's other
        // input, or whether a later copy is what arrived, the capture cannot tell: say so
        // (UNKNOWN) rather than pick one order.
        p.covered = true;
        const copied = this.laterCopy(i);
        if (p.arrival === Arrival.REFUTED && !copied) {
          p.arrival = Arrival.DELAYED;
          p.whenInDoubt = true;
          refuted = true;
        } else if (p.arrival === Arrival.DELAYED && copied) {
          // Which copy arrived is as open as when: the held copies before q are in doubt too.
          p.whenInDoubt = true;
          this.doubtCopies(i);
          refuted = true;
        }
        continue;
      }
      if (p.arrival !== Arrival.PRESUMED || qRst) continue;
      if (
        challenged !== null &&
        p !== challenged &&
        pLen > 0 &&
        seqLt(q.ack, p.end) &&
        seqLt(p.seq, challenged.seq)
      ) {
        p.arrival = Arrival.REFUTED;
        refuted = true;
        continue;
      }
      const unacked =
        (p.flags & FIN) !== 0 &&
        (q.flags & (FIN | ACK)) === (FIN | ACK) &&
        !qs.finSent &&
        !qRetx &&
        seqLt(q.ack, p.end);
      // FINs cross only if q left before p could reach its sender: within twice the round trip
      // from the capture point to q's sender and back (the handshake's, jitter allowed). Later,
      // q's ACK field (RCV.NXT, RFC 9293 §3.10.7.4) not covering p means p was lost.
      const late = unacked && qs.tapRttUsec >= 0 && !mayHaveCrossed(p.tsUsec, q.tsUsec, qs.tapRttUsec);
      const crossed = unacked && !late;
      if (late && (p.decisive || pLen > 0)) {
        p.arrival = Arrival.REFUTED;
        refuted = true;
        continue;
      }
      // Every held copy of the crossed FIN is delayed, not only the one that moved its receiver:
      // a retransmitted copy before q would otherwise take effect in the first one's place.
      if (!p.decisive && !crossed) continue;
      if (crossed) {
        // Its receiver's first FIN does not acknowledge p's FIN: the FINs crossed, p reached it
        // after that FIN left (simultaneous close, §3.6): CLOSING, not CLOSE_WAIT then LAST_ACK.
        // A retransmitted FIN (its first copy lost before the tap) carries the RCV.NXT of when it
        // was resent: not acknowledging p then means p did not arrive (refuted below).
        p.arrival = Arrival.DELAYED;
        refuted = true;
      } else if ((p.flags & RST) !== 0) {
        if (qNewIss) {
          // A SYN or SYN+ACK under a new ISS is a new incarnation: the RST took effect there
          // (a passive SYN_RECEIVED back in LISTEN, §3.10.7.4, then a new SYN answered).
          p.arrival = Arrival.CONFIRMED;
        } else {
          // Its receiver goes on sending: the RST never took effect there.
          p.arrival = Arrival.REFUTED;
          refuted = true;
        }
      } else if (qAck && pLen > 0 && seqGe(q.ack, p.end)) {
        p.arrival = Arrival.CONFIRMED;
      } else if (
        qRetx &&
        (pLen > 0 || ((p.flags & ACK) !== 0 && seqGe(p.ack, qEnd))) &&
        !mayHaveCrossed(p.tsUsec, q.tsUsec, qs.tapRttUsec)
      ) {
        // (Unless q left before p could reach its sender: the two crossed in flight, e.g. a
        // SYN+ACK answering a retransmitted SYN and the ACK of the first SYN+ACK, §3.10.7.4.)
        // A retransmission that does not acknowledge p, or that p acknowledged: p was lost.
        if ((p.flags & (SYN | ACK | RST)) === SYN && qs.tapRttUsec < 0) {
          // Crossing SYNs (simultaneous open, RFC 9293 §3.5 Figure 7) come before any round trip
          // is known: the decision waits for the handshake's (p stays held, presumed).
          p.crossUsec = q.tsUsec;
          continue;
        }
        p.arrival = Arrival.REFUTED;
        refuted = true;
      } else if (pLen === 0 && !qRetx) {
        p.arrival = Arrival.CONFIRMED;
      }
    }
    return refuted;
  }

  /**
   * held[i] showed that its sender's FIN at `finSeq`, never captured, left before it. If held[i]
   * is a pure ACK of the peer's FIN, and the capture holds that FIN's only copy just before, it
   * is the acknowledgment RFC 9293 §3.10.7.4 (eighth step) sends when that FIN arrives: the
   * sender's own FIN was out before then (FIN_WAIT_1 → CLOSING, not CLOSE_WAIT → LAST_ACK).
   * Otherwise it left before held[i] itself.
   */
  private placeUnseenFin(i: number, finSeq: number): void {
    const p = this.held[i]!;
    let at: HeldPacket = p;
    if ((p.flags & ACK) !== 0) {
      let fins = 0;
      let fin: HeldPacket | null = null;
      for (let j = this.heldHead; j < i; j++) {
        const x = this.held[j]!;
        if (x.fromA === p.fromA) {
          if (fin !== null) fins = 2; // the sender spoke after that FIN: not its first answer
          continue;
        }
        if ((x.flags & FIN) !== 0 && seqGe(p.ack, x.end)) {
          fins++;
          fin = x;
        }
      }
      if (fins === 1 && fin !== null && fin.arrival !== Arrival.REFUTED) at = fin;
    }
    at.closesFirst = true;
    at.closesFirstSeq = finSeq;
    at.closesFirstBySender = at === p;
  }

  /** Marks the held copies after held[i] (same sender, its last sequence number) as in doubt. */
  private doubtCopies(i: number): void {
    const p = this.held[i]!;
    const last = (p.end - 1) >>> 0;
    for (let j = i + 1; j < this.held.length; j++) {
      const x = this.held[j]!;
      if (x.fromA === p.fromA && x.seqLen > 0 && seqLe(x.seq, last) && seqGt(x.end, last))
        x.whenInDoubt = true;
    }
  }

  /** Whether a later held segment from the same sender covers held[i]'s last sequence number. */
  private laterCopy(i: number): boolean {
    const p = this.held[i]!;
    const last = (p.end - 1) >>> 0;
    for (let j = i + 1; j < this.held.length; j++) {
      const x = this.held[j]!;
      if (x.fromA === p.fromA && x.seqLen > 0 && seqLe(x.seq, last) && seqGt(x.end, last)) return true;
    }
    return false;
  }

  private replay(): void {
    this.live.copyFrom(this.committed);
    for (let i = this.heldHead; i < this.held.length; i++) step(this.live, this.held[i]!, this.cfg);
  }

  private forceOldest(): void {
    if (this.live.b.cand === 0) {
      this.committed.b.cand = UNKNOWABLE;
      this.initB = shownState(UNKNOWABLE);
      this.replay();
    }
    for (let i = this.heldHead; i < this.held.length; i++) {
      const p = this.held[i]!;
      if (p.arrival === Arrival.PRESUMED && p.decisive) {
        p.arrival = Arrival.CONFIRMED;
        break;
      }
      if (p.senderPending && !p.senderRefuted) p.senderPending = false;
      p.holeOpen = false;
      if ((p.flags & FIN) !== 0) p.covered = true;
    }
  }

  /** True while a RST's effect on its claimed sender is undecided. */
  get senderDecisionPending(): boolean {
    for (let i = this.heldHead; i < this.held.length; i++) {
      const p = this.held[i]!;
      if (p.senderPending && !p.senderRefuted) return true;
    }
    return false;
  }

  /** Releases settled segments from the front (all of them when `force`). */
  release(force: boolean, recycle: (h: HeldPacket) => void, release: ReleaseFn): void {
    if (force && this.live.b.cand === 0) {
      // A responder never heard from stays UNKNOWN.
      this.committed.b.cand = UNKNOWABLE;
      this.initB = shownState(UNKNOWABLE);
      this.replay();
    }
    const bPending = this.live.b.cand === 0;
    let n = this.heldHead;
    if (force) n = this.held.length;
    else if (!bPending) {
      while (n < this.held.length) {
        const p = this.held[n]!;
        if (p.arrival === Arrival.PRESUMED && p.decisive) break;
        if (p.senderPending && !p.senderRefuted) break;
        if (p.holeOpen) break;
        // A delayed or refuted FIN waits for the ACK that covers it (or the connection's end).
        if (
          (p.flags & FIN) !== 0 &&
          !p.covered &&
          (p.arrival === Arrival.DELAYED || p.arrival === Arrival.REFUTED)
        )
          break;
        n++;
      }
    }
    if (n < this.held.length && this.held[n]!.holeOpen) {
      // The peer's FIN it answers stays held with it: the unseen FIN may have to precede its arrival.
      const p = this.held[n]!;
      for (let j = n - 1; j >= this.heldHead && this.held[j]!.fromA !== p.fromA; j--) {
        if ((this.held[j]!.flags & FIN) !== 0) {
          n = j;
          break;
        }
      }
    }
    if (n === this.heldHead) return;
    if (n === this.held.length) this.committed.copyFrom(this.live);
    else for (let i = this.heldHead; i < n; i++) step(this.committed, this.held[i]!, this.cfg);
    if (!this.record.begun) this.record.begin(this.initA, this.initB);
    for (let i = this.heldHead; i < n; i++) {
      const h = this.held[i]!;
      // Denominators known only from later segments: a simultaneous open, a three-way close.
      if (h.role === Role.HANDSHAKE_1_3 && this.live.simultaneousOpen) h.role = Role.HANDSHAKE_1_4;
      if (h.role === Role.TEARDOWN_1_4 && this.live.threeWayClose) h.role = Role.TEARDOWN_1_3;
      const tags = combineTags(h.wsTags, h.ownTags);
      this.record.add(h, tags);
      release(this, h, tags);
      recycle(h);
    }
    if (n === this.held.length) {
      this.held.length = 0;
      this.heldHead = 0;
    } else {
      this.heldHead = n;
      if (this.heldHead > 64 && this.heldHead * 2 > this.held.length) {
        this.held.splice(0, this.heldHead);
        this.heldHead = 0;
      }
    }
  }

  /** Over: both endpoints CLOSED or back in LISTEN, and no RST awaits evidence. */
  get over(): boolean {
    return bothDone(this.live) && !this.senderDecisionPending && this.rstInDoubt() === null;
  }

  /** A held RST whose arrival is in doubt and still only presumed, or null. */
  private rstInDoubt(): HeldPacket | null {
    for (let i = this.heldHead; i < this.held.length; i++) {
      const p = this.held[i]!;
      if (p.rstInDoubt && p.arrival === Arrival.PRESUMED) return p;
    }
    return null;
  }

  /** TIME_WAIT deadline if one endpoint waits in TIME_WAIT and the other is done, else -1. */
  timeWaitDeadline(): number {
    const a = this.live.a;
    const b = this.live.b;
    const tw = a.twSinceUsec >= 0 ? a : b.twSinceUsec >= 0 ? b : null;
    if (tw === null) return -1;
    const other = tw === a ? b : a;
    const done = other.cand === 1 || other.cand === 2 || other.twSinceUsec >= 0;
    return done ? tw.twSinceUsec + this.cfg.timeWaitUsec : -1;
  }

  /** Lets TIME_WAIT run out at capture time `now` (after everything held was released). */
  expireTimeWait(now: number): void {
    const ea = expireTimeWait(this.live.a, now, this.cfg);
    const eb = expireTimeWait(this.live.b, now, this.cfg);
    this.committed.copyFrom(this.live);
    this.record.timeWaitExpired(ea, eb);
  }
}
