// One connection as the flow table keeps it: its 4-tuple (A = sender of the first segment), the
// inference state, and the segments held until the evidence about them is in (PRODUCT.md "How
// states are inferred": a segment is presumed to reach its receiver unless the receiver's later
// segments contradict it). When evidence changes a decision the connection rewinds to the last
// committed snapshot and replays its held segments; segments whose fate is settled are released,
// in order, to the record and to the caller.
//
// Tens of thousands of connections stay open at once, so a Conn is kept small: small integers
// only (times relative to its first segment, flags packed), held segments as a linked list, and
// the committed snapshot only while something is held.

import { seqGe, seqGt, seqLe, seqLt } from '../tcp/seq.js';
import { TcpState } from '../tcp/state.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';
import type { ConnStats } from './conn-stats.js';
import { FourTuple } from './four-tuple.js';
import { Arrival, type HeldPacket, Role, SilenceEcho } from './held.js';
import {
  acksOwnSyn,
  bothDone,
  CLOSED_BIT,
  deniesSynAck,
  EndpointFacts,
  expireTimeWait,
  type InferConfig,
  InferState,
  initialCandidates,
  mayHaveCrossed,
  sentBeforeArrival,
  seqAdd32,
  shownState,
  step,
  stepQuiet,
  TIME_WAIT_BIT,
  takePendingAck,
  takePendingRst,
  UNKNOWABLE,
} from './infer.js';
import { type ConnSummary, combineTags, RecordBuilder } from './record.js';
import { asInt } from './small-int.js';
import { autoTapSide, TapMode, TapSide, type TapSpec } from './tap.js';

/** Called for each segment whose states are final, in capture order within the connection. */
export type ReleaseFn = (conn: Conn, h: HeldPacket, tags: number) => void;

/** What the connections of one table share: the configuration and spare snapshots. */
export interface ConnShared extends InferConfig {
  /** InferStates no connection uses (a connection takes one while it holds segments). */
  readonly spareStates: InferState[];
  /** Where the capture was taken (--tap). */
  readonly tap: TapSpec;
  /** Figures of ended connections, for new ones (RecordBuilder). */
  readonly spareStats: ConnStats[];
  /** Record builders of recycled connections, for ones that begin a record (at most MAX_SPARE_RECORDS). */
  readonly spareRecords: RecordBuilder[];
}

/** Spare InferStates kept at most by compact() (the others held are back there when released). */
const MAX_SPARE_STATES = 1024;
/** Record builders kept for reuse at most (a recycled connection leaves its own here). */
const MAX_SPARE_RECORDS = 1024;

/**
 * The shortest gap after which a copy of a segment is its sender's retransmission (its timer ran
 * out: Linux's RTO_MIN is 200 ms, RFC 6298 §2.4 says 1 s) rather than a duplicate made by the
 * network or a copy resent in answer to something else (a SYN+ACK answering a retransmitted SYN
 * just after the one its own timer sent).
 */
const MIN_RESEND_USEC = 100_000;

/**
 * Linux answers an unacceptable empty segment (a keep-alive probe) with an ACK at most once per
 * net.ipv4.tcp_invalid_ratelimit (default 500 ms): a probe resent sooner may go unanswered though
 * it arrived, so only a longer silence says anything about it.
 */
const OOW_ACK_INTERVAL_USEC = 500_000;

/**
 * The most a sender takes to send what an arriving ACK lets out (the softirq that processes the
 * ACK transmits it: tens of microseconds on Linux), with room for a loaded host.
 */
const TURNAROUND_USEC = 1_000;

/**
 * How long a listener's silence after its SYN+ACK proves it kept no state (a SYN cookie, RFC 4987
 * §3.6): a request socket resends its SYN+ACK when the initial RTO runs out (RFC 6298 §2.1: 1 s;
 * Linux's TCP_TIMEOUT_INIT), with room for a late timer on a loaded host (a flood's).
 */
const SYNACK_RESEND_USEC = 1_500_000;

/**
 * How long a connection stays idle before its next segment is held for its receiver's immediate
 * answer (HeldPacket.awaitsAnswer): Linux's RTO_MIN (200 ms). A cost bound, not part of the rule:
 * after an idle period longer than its RTO a sender restarts from its initial window (RFC 5681
 * §4.1), so what is held behind that segment until the answer is small; bulk data is never held.
 */
const IDLE_HOLD_USEC = 200_000;

/** Most segments held per connection before the oldest undecided one is presumed arrived. */
export const MAX_HELD = 4096;

// Conn's booleans and small fields, packed into Conn.bits.
const C_EVICTED = 1;
const C_ENDED = 2;
/** A TIME_WAIT deadline is scheduled (twDeadlineT valid). */
const C_TW_SCHEDULED = 4;
/** Two or more segments in a row were released as not arrived (same sender, same ACK). */
const C_REFUSED_AGAIN = 8;
/** refusedSeq/End/Ack are valid (bit 30: bits 4-15 hold the first segment's flags). */
const C_REFUSED = 1 << 30;
const C_REFUSED_A = 1 << 24;
const C_REFUSED_FLAGS_SHIFT = 25; // SYN | ACK | FIN | RST of it (SYN, FIN and RST are the low 3 bits)
const C_FIRST_FLAGS_SHIFT = 4; // 12 bits: TCP flags
const C_INIT_A_SHIFT = 16; // 4 bits: TcpState
const C_INIT_B_SHIFT = 20; // 4 bits: TcpState
/**
 * The committed snapshot is the connection's initial state (a fresh InferState, A's initial
 * candidates from its first segment's flags), not made yet: a SYN held from the first segment on
 * (a SYN flood's every connection) needs no second InferState until a replay or release asks.
 */
const C_COMMITTED_INITIAL = 1 << 28;
/** The latest segment came from A. */
const C_LAST_FROM_A = 1 << 29;

export class Conn extends FourTuple {
  id = 0;
  /** Frame number of its first segment (ids follow it; a sharded run merges by it). */
  firstFrame = 0;
  /** Its 4-tuple's slot in the flow table (FlowSlots) while it is open; -1 once unlinked. */
  slot = -1;
  /**
   * Capture time (µs since the epoch) of its first segment: every time the connection keeps is
   * relative to it (HeldPacket.t), a small integer, so that only this field is a boxed double.
   */
  private base: number;
  /** Capture time of its latest segment, relative to baseUsec. */
  private lastT = 0;
  /** The TIME_WAIT deadline the table scheduled, relative to baseUsec (valid with C_TW_SCHEDULED). */
  private twDeadlineT = 0;
  private bits = 0;
  /** The latest segment released as not arrived: SEQ, end, ACK (C_REFUSED: valid, C_REFUSED_A: from A). */
  private refusedSeq = 0;
  private refusedEnd = 0;
  private refusedAck = 0;

  /**
   * The state after every segment so far: null while it is the initial state replayed over the
   * held segments (compact(): a held SYN is all a SYN flood's connection keeps), made again
   * from them when asked for.
   */
  private liveState: InferState | null = new InferState();
  /**
   * The snapshot a replay rewinds to: the state before the first held segment. Null while
   * nothing is held (live is that state then), so that a connection with nothing held, the
   * common case, keeps one InferState, not two.
   */
  private committed: InferState | null = null;
  /** Its record, made when the first segment is released (a held SYN needs none yet). */
  private rec: RecordBuilder | null = null;
  // Held segments, oldest first, as a list through HeldPacket.next (no array per connection).
  private heldFirst: HeldPacket | null = null;
  private heldLast: HeldPacket | null = null;
  private nHeld = 0;

  constructor(
    readonly summary: ConnSummary,
    private readonly cfg: ConnShared,
    baseUsec: number,
  ) {
    super();
    this.base = baseUsec;
  }

  /** Its record builder (made on first use, from the table's spares when there are some). */
  get record(): RecordBuilder {
    return this.rec ?? this.newRecord();
  }

  private newRecord(): RecordBuilder {
    this.rec = this.cfg.spareRecords.pop() ?? new RecordBuilder(this.cfg.spareStats);
    return this.rec;
  }

  /** The record has its initial states (a segment was released). */
  private get recordBegun(): boolean {
    return this.rec?.begun === true;
  }

  /** The state after every segment so far (made again from the held segments if compact() dropped it). */
  get live(): InferState {
    return this.liveState ?? this.rebuildLive();
  }

  private rebuildLive(): InferState {
    this.liveState = this.initialReplayed();
    return this.liveState;
  }

  /** A spare state set to the initial state with every held segment stepped over it. */
  private initialReplayed(): InferState {
    const s = this.cfg.spareStates.pop() ?? new InferState();
    this.initialInto(s);
    for (let p = this.heldFirst; p !== null; p = p.next) step(s, p, this.cfg);
    return s;
  }

  /**
   * Between segments: a connection that has held every segment since its first (a SYN nobody
   * answered yet) drops its live state when replaying the held segments over the initial state
   * gives it again, field for field; the next use makes it again (rebuildLive).
   */
  compact(): void {
    const live = this.liveState;
    if (live === null || (this.bits & C_COMMITTED_INITIAL) === 0 || this.heldFirst === null) return;
    const again = this.initialReplayed();
    const same = sameState(again, live);
    this.cfg.spareStates.push(again);
    if (!same) return;
    // To the spares only while they are few: a flood drops one per connection, for good.
    if (this.cfg.spareStates.length < MAX_SPARE_STATES) this.cfg.spareStates.push(live);
    this.liveState = null;
  }

  /**
   * Emitted for good (not recycled, and nothing refers to it): it lets go of the state its release
   * made, to the table's spares while they are few. A dead connection in the old generation would
   * otherwise keep those young objects alive, promoted, until the next full collection (the end of
   * a flood releases 250 000 at once). Nothing may use the connection afterwards.
   */
  letGo(): void {
    if (this.liveState !== null && this.cfg.spareStates.length < MAX_SPARE_STATES)
      this.cfg.spareStates.push(this.liveState);
    this.liveState = null;
    this.dropRecord();
  }

  /** Its record builder back to the table's spares (while they are few). */
  private dropRecord(): void {
    if (this.rec === null) return;
    this.rec.reset();
    if (this.cfg.spareRecords.length < MAX_SPARE_RECORDS) this.cfg.spareRecords.push(this.rec);
    this.rec = null;
  }

  /** The committed snapshot, made now if it is the initial state not made yet (C_COMMITTED_INITIAL). */
  private get snapshot(): InferState | null {
    if ((this.bits & C_COMMITTED_INITIAL) !== 0) {
      this.bits &= ~C_COMMITTED_INITIAL;
      const s = this.cfg.spareStates.pop() ?? new InferState();
      this.initialInto(s);
      this.committed = s;
    }
    return this.committed;
  }

  /** `s` := the state before the connection's first segment, with A's initial candidates. */
  private initialInto(s: InferState): void {
    s.reset();
    initialCandidates(s.a, this.firstFlags, false);
  }

  /**
   * Back to the state of `new Conn(summary, cfg, baseUsec)` with the same summary and cfg, for a
   * connection that ended and was emitted (the flow table recycles it for a new one). Every
   * field is restored; nothing may still refer to the connection.
   */
  reuse(baseUsec: number): void {
    this.clearTuple();
    this.id = 0;
    this.firstFrame = 0;
    this.slot = -1;
    this.base = baseUsec;
    this.lastT = 0;
    this.twDeadlineT = 0;
    this.bits = 0;
    this.refusedSeq = 0;
    this.refusedEnd = 0;
    this.refusedAck = 0;
    if (this.liveState === null) this.liveState = this.cfg.spareStates.pop() ?? new InferState();
    this.liveState.reset();
    // An emitted connection released everything (Conn.release with force): no snapshot, nothing held.
    if (this.committed !== null) this.cfg.spareStates.push(this.committed);
    this.committed = null;
    this.heldFirst = null;
    this.heldLast = null;
    this.nHeld = 0;
    // Its builder goes to the spares: the new connection takes one only when it releases a segment.
    this.dropRecord();
    this.summary.reset();
  }

  /** Capture time (µs since the epoch) of its first segment. */
  get baseUsec(): number {
    return this.base;
  }

  /** Evicted because the table was full. */
  get evicted(): boolean {
    return (this.bits & C_EVICTED) !== 0;
  }
  set evicted(v: boolean) {
    this.bits = v ? this.bits | C_EVICTED : this.bits & ~C_EVICTED;
  }
  /** Ended (emitted or about to be). */
  get ended(): boolean {
    return (this.bits & C_ENDED) !== 0;
  }
  set ended(v: boolean) {
    this.bits = v ? this.bits | C_ENDED : this.bits & ~C_ENDED;
  }
  /** TCP flags of its first segment. */
  get firstFlags(): number {
    return (this.bits >>> C_FIRST_FLAGS_SHIFT) & 0xfff;
  }
  set firstFlags(v: number) {
    this.bits = (this.bits & ~(0xfff << C_FIRST_FLAGS_SHIFT)) | ((v & 0xfff) << C_FIRST_FLAGS_SHIFT);
  }
  /** Initial states of A and B (the first entries of the record's `states`). */
  get initA(): TcpState {
    return (this.bits >>> C_INIT_A_SHIFT) & 0xf;
  }
  set initA(v: TcpState) {
    this.bits = (this.bits & ~(0xf << C_INIT_A_SHIFT)) | (v << C_INIT_A_SHIFT);
  }
  get initB(): TcpState {
    return (this.bits >>> C_INIT_B_SHIFT) & 0xf;
  }
  set initB(v: TcpState) {
    this.bits = (this.bits & ~(0xf << C_INIT_B_SHIFT)) | (v << C_INIT_B_SHIFT);
  }

  /** Capture time (µs since the epoch) of its latest segment. */
  get lastUsec(): number {
    return this.baseUsec + this.lastT;
  }
  set lastUsec(v: number) {
    this.lastT = asInt(v - this.baseUsec);
  }

  /** Deadline (µs since the epoch) at which TIME_WAIT ends the connection, -1 when none is pending. */
  get twDeadlineUsec(): number {
    return (this.bits & C_TW_SCHEDULED) !== 0 ? this.baseUsec + this.twDeadlineT : -1;
  }
  set twDeadlineUsec(v: number) {
    if (v < 0) this.bits &= ~C_TW_SCHEDULED;
    else {
      this.twDeadlineT = asInt(v - this.baseUsec);
      this.bits |= C_TW_SCHEDULED;
    }
  }

  /** Segments held. */
  get heldCount(): number {
    return this.nHeld;
  }

  /** The latest segment still held, or null. */
  get lastHeld(): HeldPacket | null {
    return this.heldLast;
  }

  /** Takes one segment (already filled into `h`); releases what became final. */
  process(h: HeldPacket, recycle: (h: HeldPacket) => void, release: ReleaseFn): void {
    const live = this.live;
    // The connection's first segment: nothing released or held before it.
    const first = this.heldFirst === null && !this.recordBegun && live.a.cand === 0;
    const sender = h.fromA ? live.a : live.b;
    const receiver = h.fromA ? live.b : live.a;
    const keepAlive = isKeepAlive(h, sender, receiver);
    const recovery = this.startsRecovery(h, sender);
    // (lastT is still the previous segment's time: the flow table sets it after process.)
    const awaits =
      (h.flags & (ACK | RST)) === ACK && h.t - this.lastT >= IDLE_HOLD_USEC && receiver.tapRttUsec >= 0;
    const awaitsFin = !first && this.mayReleaseFin(h, sender, receiver);
    this.bits = h.fromA ? this.bits | C_LAST_FROM_A : this.bits & ~C_LAST_FROM_A;
    if (
      this.heldFirst === null &&
      !keepAlive &&
      !recovery &&
      !awaits &&
      !awaitsFin &&
      !this.opensHole(h, sender) &&
      stepQuiet(live, h)
    ) {
      // The common case: nothing held (decide() has nothing to decide), and a segment that is
      // not decisive (stepQuiet), so it is final at once: no snapshot, straight to the record.
      const record = this.record;
      if (!record.begun) record.begin(this.initA, this.initB);
      const tags = combineTags(h.wsTags, h.ownTags);
      record.add(h, tags);
      release(this, h, tags);
      recycle(h);
      return;
    }
    let replay = false;
    if (sender.cand === 0) {
      // This endpoint's first segment fixes its initial state (PRODUCT.md "Initial state").
      const a = live.a;
      const answersSyn =
        !h.fromA &&
        (this.firstFlags & (SYN | ACK)) === SYN &&
        ((h.flags & RST) !== 0 || ((h.flags & ACK) !== 0 && acksOwnSyn(a, h.ack32)));
      const before = this.snapshot ?? live;
      const c = h.fromA ? before.a : before.b;
      initialCandidates(c, h.flags, answersSyn);
      sender.cand = c.cand;
      sender.passive = c.passive;
      if (h.fromA) this.initA = shownState(c.cand);
      else this.initB = shownState(c.cand);
      if (this.heldCount > 0) replay = true;
    }
    // A refutation replays the held segments, which can make a later one decisive that was not
    // (data reaching a SYN_RECEIVED server once its handshake ACK is refuted): decide again on
    // the replayed states until nothing changes (each round only settles more; bounded anyway).
    for (let round = 0; round < 8 && this.decide(h); round++) {
      this.replay();
      replay = false;
    }
    if (replay) this.replay();
    this.openCookieQuestion(h, sender);
    if (this.opensHole(h, sender)) {
      h.holeOpen = true;
      h.holeAt = seqAdd32(h.seq32, -1);
    }
    if (recovery) h.recovery = true;
    if (this.committed === null && (this.bits & C_COMMITTED_INITIAL) === 0) {
      // The first segment held: the state before it is what a replay rewinds to. Before the
      // connection's first segment that is its initial state, made only when asked for.
      if (first) this.bits |= C_COMMITTED_INITIAL;
      else {
        const spare = this.cfg.spareStates.pop() ?? new InferState();
        spare.copyFrom(live);
        this.committed = spare;
      }
    }
    step(live, h, this.cfg);
    if (keepAlive) h.probeAwaits = true;
    if (awaits) h.awaitsAnswer = true;
    if (awaitsFin) h.awaitsFin = true;
    if (this.heldLast === null) this.heldFirst = h;
    else this.heldLast.next = h;
    this.heldLast = h;
    this.nHeld++;
    // The segment may have measured the round trip a crossing waits for, or placed the tap (auto).
    if (this.afterStep()) this.replay();
    if (this.heldCount > MAX_HELD) this.forceOldest();
    this.release(false, recycle, release);
  }

  /**
   * Whether `h`, from `sender` to `receiver` (as they stand before it), is a pure ACK of new data
   * right after the receiver's own last segment, the receiver silent since for a quarter of the
   * connection's round trip with data still unacknowledged: the ACK clock stalled, its window
   * full. A FIN waiting behind that window leaves the moment such an ACK arrives (Conn.decide);
   * holding only these (a cost bound) keeps ACK-clocked bulk transfers on the fast path.
   */
  private mayReleaseFin(h: HeldPacket, sender: EndpointFacts, receiver: EndpointFacts): boolean {
    if ((h.flags & (SYN | FIN | RST | ACK)) !== ACK || h.len !== 0) return false;
    if (((this.bits & C_LAST_FROM_A) !== 0) === h.fromA) return false;
    const rtt = receiver.tapRttUsec + sender.tapRttUsec;
    if (receiver.tapRttUsec < 0 || sender.tapRttUsec < 0 || 4 * (h.t - this.lastT) < rtt) return false;
    return (
      receiver.sndValid &&
      !receiver.finSent &&
      seqGt(receiver.sndNxt, h.ack32) &&
      sender.ackSent &&
      seqGt(h.ack32, sender.ackedNxt)
    );
  }

  /**
   * `p` awaits the next segment of its receiver (HeldPacket.awaitsFin), given the new segment `q`
   * (from `qs`). A FIN with new data, the receiver's first segment after `p`, sent at once (within
   * its round trip from the tap and a turnaround), left because `p` opened the window: the data
   * and its FIN waited in the queue, so close() came before `p` arrived (Linux puts the FIN on the
   * last unsent segment, tcp_send_fin). The receiver closed by `p`'s row (HeldPacket.closesFirst):
   * FIN_WAIT_1 (or LAST_ACK) from there. True if so.
   */
  private releasedFin(p: HeldPacket, q: HeldPacket, qs: EndpointFacts): boolean {
    const rtt = (p.fromA ? this.live.b : this.live.a).tapRttUsec;
    if (q.fromA === p.fromA) {
      if (q.t - p.t > rtt + TURNAROUND_USEC) p.awaitsFin = false;
      return false;
    }
    p.awaitsFin = false;
    if (
      (q.flags & (SYN | FIN | RST)) !== FIN ||
      q.len === 0 ||
      !qs.sndValid ||
      qs.finSent ||
      q.seq32 !== qs.sndNxt ||
      q.t - p.t > rtt + TURNAROUND_USEC ||
      p.arrival !== Arrival.PRESUMED
    )
      return false;
    p.closesFirst = true;
    p.closesFirstSeq = seqAdd32(q.end32, -1);
    p.closesFirstBySender = false;
    return true;
  }

  /**
   * A pure ACK whose SEQ (SND.NXT) is above what the capture showed of its sender (`sender`, as
   * it stands before `h`): something it sent, maybe its own FIN, was lost before the tap.
   */
  private opensHole(h: HeldPacket, sender: EndpointFacts): boolean {
    return (
      (h.flags & (RST | SYN | FIN | ACK)) === ACK &&
      h.len === 0 &&
      sender.sndValid &&
      !sender.finSent &&
      seqGt(h.seq32, sender.sndNxt)
    );
  }

  /**
   * Data of more than one byte resent (end within what its sender sent; a 1-byte keep-alive at
   * SND.NXT−1 aside) before its sender's FIN, while no recovery is held yet: the start of a loss
   * recovery, during which a close() queues a FIN the window does not let out (HeldPacket.recovery).
   */
  private startsRecovery(h: HeldPacket, sender: EndpointFacts): boolean {
    if ((h.flags & (SYN | FIN | RST)) !== 0 || h.len <= 1 || !sender.sndValid || sender.finSent) return false;
    if (!seqLe(h.end32, sender.sndNxt)) return false;
    for (let p = this.heldFirst; p !== null; p = p.next) if (p.recovery) return false;
    return true;
  }

  /**
   * A loss recovery from `p` on, ended by `q`, its sender's first new sequence number: a FIN alone
   * that left right after an ACK of the resent data (within its sender's round trip from the tap
   * and a turnaround) waited for the window that ACK opened, so close() came before that ACK
   * reached its sender and, as far as the capture shows, at any time since the recovery began
   * (Linux sends no new segment beyond the reduced window of a recovery: RFC 6937, RFC 8985). Its
   * sender is UNKNOWN from `p` (ESTABLISHED or FIN_WAIT_1, or CLOSE_WAIT or LAST_ACK), closed at
   * that ACK. True if that was found.
   */
  private recoveryEnds(p: HeldPacket, q: HeldPacket, qs: EndpointFacts): boolean {
    p.recovery = false;
    const prev = this.heldLast;
    if ((q.flags & (SYN | FIN | RST)) !== FIN || q.len !== 0 || prev === null || prev === p) return false;
    if (prev.fromA === q.fromA || (prev.flags & (SYN | FIN | RST | ACK)) !== ACK || prev.len !== 0)
      return false;
    if (!seqGe(prev.ack32, p.end32) || q.t - prev.t > Math.max(qs.tapRttUsec, 0) + TURNAROUND_USEC)
      return false;
    for (let x: HeldPacket | null = p; x !== null && x !== prev; x = x.next) {
      x.closeMayPrecede = true;
      x.closeMayA = p.fromA;
    }
    prev.closesFirst = true;
    prev.closesFirstSeq = q.seq32;
    prev.closesFirstBySender = false;
    return true;
  }

  /**
   * Decisions that wait for what step() measures: silent segments whose tap `auto` places once
   * the handshake is timed, and held segments whose receiver resent its own SYN without
   * acknowledging them (crossPending), decided once the handshake measured that receiver's round
   * trip. True if a decision changed.
   */
  private afterStep(): boolean {
    let refuted = false;
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (p.silent && this.judgeSilence(p, null)) refuted = true;
      if (!p.crossPending) continue;
      const rtt = (p.fromA ? this.live.b : this.live.a).tapRttUsec;
      if (rtt >= 0 && this.settleCrossing(p, rtt)) refuted = true;
    }
    return refuted;
  }

  /**
   * A held SYN or SYN+ACK `p` whose receiver resent its own SYN without acknowledging it, decided
   * once the receiver's round trip `rtt` is known: lost if that resend left after p could arrive;
   * otherwise they crossed, and a SYN+ACK acknowledging the resent SYN took effect after it
   * (markCrossedAnswer). True if a decision changed.
   */
  private settleCrossing(p: HeldPacket, rtt: number): boolean {
    p.crossPending = false;
    if ((p.flags & RST) !== 0) {
      // A RST its receiver sent past (decide): crossed if that segment left before the RST could
      // arrive, then it takes effect after it (deferred, as crossedBy); lost otherwise.
      // Its effect shows with its sender's next segment, or its receiver's first one sent after
      // it could arrive (step's pending RST), as any deferred RST's (the rows are replayed now).
      if (!sentBeforeArrival(p.crossUsec - p.t, rtt)) p.arrival = Arrival.REFUTED;
      else {
        p.deferred = true;
        p.deferShown = true;
        p.crossAck32 = 0;
      }
      return true;
    }
    if (!mayHaveCrossed(p.t, p.crossUsec, rtt)) {
      p.arrival = Arrival.REFUTED;
      return true;
    }
    const receiver = p.fromA ? this.live.b : this.live.a;
    if ((p.flags & ACK) !== 0 && p.len === 0 && receiver.synSent && seqGe(p.ack32, seqAdd32(receiver.iss, 1)))
      return this.markCrossedAnswer(p);
    return false;
  }

  /**
   * Whether the receiver of the RST without ACK `p` (an answer <SEQ=SEG.ACK> to a SYN+ACK) sent,
   * after it and up to `q`, a SYN+ACK answering another SYN than the one p rejected: a new
   * incarnation (RFC 9293 §3.5 Figure 9, the real SYN answered after the old duplicate's reset).
   */
  private answeredAnotherSyn(p: HeldPacket, q: HeldPacket): boolean {
    if ((p.flags & ACK) !== 0) return false;
    for (let x = p.next; x !== null; x = x.next) {
      if (x.fromA !== p.fromA && (x.flags & (SYN | ACK | RST)) === (SYN | ACK) && x.ack32 !== p.seq32)
        return true;
      if (x === q) break;
    }
    return false;
  }

  /**
   * `p`, with no data, acknowledges a SYN or SYN+ACK its receiver sent again after it, within the
   * crossing time: it took effect after that copy (HeldPacket.crossedAnswer). Once a later segment
   * of its sender carries the same acknowledgment, which does all p does, p's effect waits for
   * it: DELAYED. True if that happened now.
   */
  private markCrossedAnswer(p: HeldPacket): boolean {
    for (let x = p.next; x !== null; x = x.next) {
      if (x.fromA === p.fromA && (x.flags & ACK) !== 0 && seqGe(x.ack32, p.ack32)) {
        p.arrival = Arrival.DELAYED;
        return true;
      }
    }
    p.crossedAnswer = true;
    return false;
  }

  /**
   * The round trip from the tap to `q`'s sender (`qs`), as the handshake measured it — or, for the
   * second of crossing SYN+ACKs, which step() times only after this decision, from the peer's SYN
   * it answers (RFC 9293 §3.5 Figure 7). -1 when unknown.
   */
  private rttAnswering(q: HeldPacket, qs: EndpointFacts): number {
    if (qs.tapRttUsec >= 0 || !this.live.simultaneousOpen) return qs.tapRttUsec;
    if ((q.flags & (SYN | ACK | RST)) !== (SYN | ACK)) return -1;
    const peer = q.fromA ? this.live.b : this.live.a;
    return peer.synSent && seqGe(q.ack32, seqAdd32(peer.iss, 1)) ? q.t - peer.synUsec : -1;
  }

  /** Updates the arrival decisions of held segments given the new segment `q`; true if one was refuted. */
  private decide(q: HeldPacket): boolean {
    const live = this.live;
    const qs = q.fromA ? live.a : live.b;
    const qRst = (q.flags & RST) !== 0;
    const qEnd = q.end32;
    const qRetx = q.seqLen > 0 && qs.sndValid && seqLe(qEnd, qs.sndNxt);
    const qAck = (q.flags & ACK) !== 0;
    const qDeniesSynAck = deniesSynAck(q, qs);
    const qNewIss = (q.flags & SYN) !== 0 && qs.synSent && q.seq32 !== qs.iss;
    let refuted = false;
    if (qNewIss && this.oldSynsNotOwn(q, qs)) refuted = true;
    // A RST in doubt from the peer that q answers with an ACK (RFC 5961 §3.2 challenge ACK,
    // <ACK=RCV.NXT>): data sent before that RST and not covered by q's ACK had not arrived.
    let challenged: HeldPacket | null = null;
    if (qAck && !qRst && q.seqLen === 0 && (live.a.cand === CLOSED_BIT || live.b.cand === CLOSED_BIT)) {
      for (let p = this.heldFirst; p !== null; p = p.next) {
        if (p.fromA !== q.fromA && p.rstInDoubt && p.arrival === Arrival.PRESUMED) challenged = p;
      }
    }
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (p.awaitsAnswer && this.answeredFromNoConnection(p, q, qs)) refuted = true;
      if (p.awaitsFin && this.releasedFin(p, q, qs)) refuted = true;
      const deniedSynAck =
        qDeniesSynAck && p.fromA !== q.fromA && (p.flags & (SYN | ACK | RST)) === (SYN | ACK);
      if (p.silent && !(deniedSynAck && p.arrival === Arrival.PRESUMED)) {
        if (this.judgeSilence(p, q)) refuted = true;
        continue;
      }
      if (p.probeAwaits) {
        p.probeAwaits = false;
        // Its receiver spoke: the probe is presumed answered. Its sender spoke again first, past
        // the receiver's rate limit on such ACKs and any crossing: the silence rule decides it.
        if (p.fromA === q.fromA && this.silentUntil(p, q, OOW_ACK_INTERVAL_USEC)) refuted = true;
        continue;
      }
      if (p.crossPending) {
        // Its receiver retransmitted its own SYN without acknowledging it before any round trip
        // was measured: lost, or crossed in flight. Decided once the handshake measures one.
        const rtt = (p.fromA ? live.b : live.a).tapRttUsec;
        if (rtt >= 0) {
          if (this.settleCrossing(p, rtt)) refuted = true;
          continue;
        }
        // A SYN+ACK its receiver denies (below) is decided without the round trip; one never
        // decided by it is judged at the end (neverAnsweredSynAck).
        if (!deniedSynAck) {
          // Each later resend that still does not acknowledge it is a chance to have crossed it:
          // the latest one decides (a SYN resent seconds later could not have left before p arrived).
          if (p.fromA !== q.fromA && qRetx && !(qAck && seqGe(q.ack32, p.end32))) p.crossUsec = q.t;
          continue;
        }
        p.crossPending = false;
      }
      if (
        p.recovery &&
        q.fromA === p.fromA &&
        q.seqLen > 0 &&
        seqGt(q.end32, qs.sndNxt) &&
        this.recoveryEnds(p, q, qs)
      )
        refuted = true;
      if (p.deferred && !p.deferShown && p.arrival !== Arrival.REFUTED) {
        // Deferred past its receiver's crossing segments: q is another one, or the segment whose
        // row shows the effect, in time or too late (then back at p's own row).
        const rtt = (p.fromA ? live.b : live.a).tapRttUsec;
        if (q.fromA !== p.fromA && q.t - p.t < rtt) continue;
        if (q.t - p.t > 2 * rtt) {
          this.pendingAfterLastCrossing(p);
          refuted = true;
        } else p.deferShown = true;
      }
      if (p.fromA === q.fromA) {
        if (p.crossedAnswer && p.arrival === Arrival.PRESUMED && qAck && seqGe(q.ack32, p.ack32)) {
          // Its sender's next segment acknowledges as much: p's effect can wait for it (crossedAnswer).
          p.arrival = Arrival.DELAYED;
          p.crossedAnswer = false;
          refuted = true;
        }
        if (
          p.arrival === Arrival.PRESUMED &&
          !p.whenInDoubt &&
          mustBeAnswered(p) &&
          ((p.flags & FIN) === 0 || p.decisive) &&
          resends(q, p) &&
          !this.answered(p)
        ) {
          // Its sender sends it again before any answer (RFC 6298 §5: the timer ran out), while
          // its receiver had to answer at once (a SYN reaching LISTEN or SYN_SENT, §3.10.7.2/3;
          // a SYN+ACK reaching SYN_SENT, §3.10.7.3; a FIN, acknowledged in the eighth step of
          // §3.10.7.4): the silence rule decides it (judgeSilence).
          if (this.silentUntil(p, q, MIN_RESEND_USEC)) {
            refuted = true;
            continue;
          }
          if ((p.flags & FIN) !== 0) {
            // A FIN sent again soon, before any ACK of it (with data resent before it): the FIN
            // was lost, or its ACK was. Unless the receiver still shows which, its arrival is in doubt.
            p.whenInDoubt = true;
            p.arrivalOpen = true;
            refuted = true;
          }
        }
        if (p.holeOpen && q.seqLen > 0 && seqLe(q.seq32, p.holeAt) && seqGt(q.end32, p.holeAt)) {
          p.holeOpen = false;
          if ((q.flags & FIN) !== 0 && seqAdd32(q.end32, -1) === p.holeAt) {
            this.placeUnseenFin(p, p.holeAt);
            refuted = true;
          }
        }
        // A RST whose claimed sender goes on sending was not its own (rst-suspect-forged).
        if (p.senderPending && !p.senderRefuted && !qRst && (p.flags & RST) !== 0) {
          p.senderRefuted = true;
          refuted = true;
        }
        // Nor one whose claimed sender goes on sending: the SYN+ACK it answered did not meet a
        // closed endpoint after all (it did not take effect, as before the RST was judged).
        if ((p.flags & RST) !== 0 && !qRst) {
          for (let x = this.heldFirst; x !== p && x !== null; x = x.next) {
            if (x.metClosed && x.fromA !== p.fromA) {
              x.metClosed = false;
              x.arrival = Arrival.REFUTED;
              refuted = true;
            }
          }
        }
        continue;
      }
      if (deniedSynAck && p.arrival === Arrival.PRESUMED) {
        // (A silent one too: the deny settles what its silence left open.)
        p.silent = false;
        p.arrivalOpen = false;
        p.whenInDoubt = false;
        // A RST <SEQ=SEG.ACK> answering a SYN+ACK whose ACK SYN_SENT would have accepted is the
        // answer of an endpoint with no connection (§3.10.7.1): the latest such SYN+ACK reached
        // it after it had given up (CLOSED); the others did not take effect.
        // (Not a RST whose TTL or DF bit differs from its claimed sender's other segments: a
        // scanner's own stack answering for it while the scanner goes on, rst-suspect-forged.)
        const ownProfile = !qs.profiled || !q.ipv4 || (q.ttl === qs.ttl && q.df === qs.df);
        if (qRst && ownProfile && p.ack32 === q.seq32 && p === this.lastSynAckBefore(q.fromA))
          p.metClosed = true;
        else {
          p.arrival = Arrival.REFUTED;
          // Under a new ISS its receiver rejects it if it arrives (§3.10.7.3): lost or rejected,
          // the capture cannot tell which (old-duplicate-syn: the client's RST answers it).
          p.rejectedOrLost = (q.flags & SYN) !== 0;
        }
        refuted = true;
        continue;
      }
      if (
        qRst &&
        !qAck &&
        p.arrival === Arrival.PRESUMED &&
        qs.passive &&
        qs.synAckSent &&
        p.ack32 === seqAdd32(qs.iss, 1) &&
        qs.sndNxt === p.ack32 &&
        (p.fromA ? p.stateB : p.stateA) === TcpState.ESTABLISHED &&
        q.seq32 === p.ack32 &&
        this.answersAtOnce(p, q, qs)
      ) {
        // A bare RST <SEQ=SEG.ACK> from the listener, which had sent nothing but its SYN+ACK, the
        // instant a segment acknowledging that SYN+ACK reached it is that segment's answer
        // (§3.10.7.4 fifth step; Linux's when the accept queue is full and tcp_abort_on_overflow=1,
        // which also drops the half-open connection): it did not establish it — it left
        // SYN_RECEIVED for no connection at all (CLOSED). An earlier segment carrying that ACK
        // never established it either: it was lost, or dropped by the full queue (the first data
        // segment then carries the refused ACK, as on Linux). An abort of its own from ESTABLISHED
        // carries the ACK bit (Linux's tcp_send_active_reset).
        p.metClosed = true;
        for (let x = this.heldFirst; x !== null && x !== p; x = x.next) {
          if (
            x.fromA === p.fromA &&
            x.arrival === Arrival.PRESUMED &&
            x.decisive &&
            (x.flags & (SYN | RST)) === 0
          )
            x.arrival = Arrival.REFUTED;
        }
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
        seqGe(q.ack32, p.end32)
      ) {
        // Its receiver now acknowledges that FIN, so it arrived, but after a segment whose ACK
        // showed it missing (RFC 9293 §3.10.7.4: every segment carries RCV.NXT): a FIN that
        // crossed it in flight, not one lost. When it took effect among the receiver's other
        // input, or whether a later copy is what arrived, the capture cannot tell: say so
        // (UNKNOWN) rather than pick one order.
        p.covered = true;
        const copied = this.laterCopy(p);
        if (p.arrival === Arrival.REFUTED && !copied) {
          p.arrival = Arrival.DELAYED;
          p.whenInDoubt = true;
          refuted = true;
        } else if (p.arrival === Arrival.DELAYED && copied && this.nextPacketAnswersCopy(p, q)) {
          // q answers a later copy and is its sender's next IP packet since before p could have
          // arrived: p, which its receiver would have acknowledged at once, never arrived; nor
          // did the copies before the one q answers.
          p.arrival = Arrival.REFUTED;
          const last = seqAdd32(p.end32, -1);
          for (let x = p.next; x !== null && x !== q; x = x.next) {
            if (x.fromA !== p.fromA || x.seqLen === 0 || !seqLe(x.seq32, last) || !seqGt(x.end32, last))
              continue;
            if (x.tsVal === q.tsEcr) break;
            x.arrival = Arrival.REFUTED;
            x.whenInDoubt = false;
            x.arrivalOpen = false;
          }
          refuted = true;
        } else if (p.arrival === Arrival.DELAYED && copied) {
          // Which copy arrived is as open as when: the held copies before q are in doubt too.
          p.whenInDoubt = true;
          p.arrivalOpen = true;
          this.doubtCopies(p);
          refuted = true;
        }
        continue;
      }
      if (p.arrival !== Arrival.PRESUMED || qRst) continue;
      if (!p.deferred && crossedBy(p, q, this.rttAnswering(q, qs))) {
        // q left its sender before p could get there: p's effect comes after q (per packet, the
        // receiver's state as its own segments show it); whether p arrived is still open.
        p.deferred = true;
        p.crossAck32 = q.ack32;
        p.crossUsec = q.t;
        refuted = true;
        continue;
      }
      if (
        qAck &&
        (p.flags & (SYN | FIN | RST)) === 0 &&
        pLen > 0 &&
        seqLe(p.seq32, q.ack32) &&
        seqLt(q.ack32, p.end32) &&
        qs.win !== 0 &&
        qs.tapRttUsec >= 0 &&
        !mayHaveCrossed(p.t, q.t, qs.tapRttUsec) &&
        qs.ackSent &&
        !seqGt(q.ack32, qs.ackedNxt)
      ) {
        // Data that would have moved its receiver's RCV.NXT past q's ACK field, and q left after p
        // had time to arrive (RFC 9293 §3.10.7.4: every segment carries RCV.NXT): p was lost.
        // (Not into a zero window, where the receiver drops what it gets; and only from a duplicate
        // ACK, stuck at p: ACKs that advance may be a backlog processed one segment at a time,
        // the next of them covering p a microsecond later.)
        p.arrival = Arrival.REFUTED;
        refuted = true;
        continue;
      }
      if (
        challenged !== null &&
        p !== challenged &&
        pLen > 0 &&
        seqLt(q.ack32, p.end32) &&
        seqLt(p.seq32, challenged.seq32)
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
        seqLt(q.ack32, p.end32);
      // FINs cross only if q left before p could reach its sender: within twice the round trip
      // from the capture point to q's sender and back (the handshake's, jitter allowed). Later,
      // q's ACK field (RCV.NXT, RFC 9293 §3.10.7.4) not covering p means p was lost.
      const late = unacked && qs.tapRttUsec >= 0 && !mayHaveCrossed(p.t, q.t, qs.tapRttUsec);
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
        } else if (this.answeredAnotherSyn(p, q)) {
          // Its receiver answered another SYN since (a SYN+ACK not acknowledging the old SYN the
          // RST <SEQ=SEG.ACK> rejected): that incarnation ended, by this RST or a later one.
          p.arrival = Arrival.CONFIRMED;
        } else if (p.decisive && qs.synSent && qs.tapRttUsec < 0) {
          // Its receiver, mid-handshake, goes on sending before any round trip from the tap is
          // known: the RST was lost, or q left before it arrived (old-duplicate-syn beside the
          // client: the client's RST of the old SYN+ACK crosses the server's answer to its SYN).
          // Decided once the handshake measures one (settleCrossing); p stays held, presumed.
          p.crossUsec = q.t;
          p.crossPending = true;
        } else {
          // Its receiver goes on sending: the RST never took effect there.
          p.arrival = Arrival.REFUTED;
          refuted = true;
        }
      } else if (qAck && pLen > 0 && seqGe(q.ack32, p.end32)) {
        p.arrival = Arrival.CONFIRMED;
      } else if (
        qRetx &&
        (pLen > 0 || ((p.flags & ACK) !== 0 && seqGe(p.ack32, qEnd))) &&
        !mayHaveCrossed(p.t, q.t, qs.tapRttUsec)
      ) {
        // (Unless q left before p could reach its sender: the two crossed in flight, e.g. a
        // SYN+ACK answering a retransmitted SYN and the ACK of the first SYN+ACK, §3.10.7.4.)
        // A retransmission that does not acknowledge p, or that p acknowledged: p was lost.
        if ((p.flags & (SYN | RST)) === SYN && qs.tapRttUsec < 0) {
          // Crossing SYNs (simultaneous open, RFC 9293 §3.5 Figure 7), or a SYN+ACK and a
          // retransmitted SYN whose timers ran out together, come before any round trip is
          // known: the decision waits for the handshake's (p stays held, presumed).
          p.crossUsec = q.t;
          p.crossPending = true;
          continue;
        }
        p.arrival = Arrival.REFUTED;
        refuted = true;
      } else if (
        qRetx &&
        (q.flags & (SYN | RST)) === SYN &&
        (p.flags & (FIN | RST | ACK)) === ACK &&
        p.len === 0 &&
        seqGe(p.ack32, qEnd)
      ) {
        // q, its SYN or SYN+ACK sent again, left before p (acknowledging it) could arrive: p took
        // effect after q, not where the capture shows it (only SYN_SENT sends a SYN, only
        // SYN_RECEIVED a SYN+ACK, §3.10.7.3/4).
        if (this.markCrossedAnswer(p)) refuted = true;
      } else if (pLen === 0 && !qRetx) {
        p.arrival = Arrival.CONFIRMED;
      }
    }
    return refuted;
  }

  /**
   * `p` awaits its receiver's answer (HeldPacket.awaitsAnswer), given the new segment `q` (from
   * `qs`): the receiver's first segment after it, or its sender's too late to have been sent
   * before an immediate answer, closes the question. A RST without ACK <SEQ=SEG.ACK> from a
   * receiver that had sent no FIN, sent at once (answersAtOnce), is the answer of an endpoint with no connection (RFC 9293 §3.10.7.1; Linux's
   * tcp_v4_send_reset): a synchronized one acknowledges any segment that is not a RST
   * (§3.10.7.4), and its own abort leaves at a moment of its own choosing (Linux's carries ACK).
   * The receiver had given the connection up before `p` arrived (a RST lost or forged, a reboot):
   * CLOSED from `p` on (HeldPacket.metClosed). True if so.
   */
  private answeredFromNoConnection(p: HeldPacket, q: HeldPacket, qs: EndpointFacts): boolean {
    const rtt = (p.fromA ? this.live.b : this.live.a).tapRttUsec;
    if (q.fromA === p.fromA) {
      if (!mayHaveCrossed(p.t, q.t, Math.max(rtt, TURNAROUND_USEC))) p.awaitsAnswer = false;
      return false;
    }
    p.awaitsAnswer = false;
    const receiverState = p.fromA ? p.stateB : p.stateA;
    const ownProfile = !qs.profiled || !q.ipv4 || (q.ttl === qs.ttl && q.df === qs.df);
    if (
      (q.flags & (RST | ACK | SYN | FIN)) !== RST ||
      q.seq32 !== p.ack32 ||
      p.arrival !== Arrival.PRESUMED ||
      qs.finSent ||
      (receiverState !== TcpState.ESTABLISHED && receiverState !== TcpState.CLOSE_WAIT) ||
      !ownProfile ||
      !this.answersAtOnce(p, q, qs)
    )
      return false;
    p.metClosed = true;
    return true;
  }

  /**
   * Whether `p`'s sender spoke again with `q` at least `minGapUsec` later and after any crossing
   * (so its receiver had time to answer and did not): then `p` is silent from now on and the
   * silence rule judges it.
   */
  private silentUntil(p: HeldPacket, q: HeldPacket, minGapUsec: number): boolean {
    if (q.t - p.t < minGapUsec || mayHaveCrossed(p.t, q.t, (p.fromA ? this.live.b : this.live.a).tapRttUsec))
      return false;
    p.silent = true;
    this.judgeSilence(p, null);
    return true;
  }

  /**
   * A silent segment `p` (HeldPacket.silent) given the new segment `q` (null when the silence was
   * just found): PRODUCT.md's silence rule. The receiver's first answer after the resend names
   * the segment it answered by its TSecr (RFC 7323 §4.3: TS.Recent takes the TSval of an
   * acceptable segment only, so a duplicate never overwrites it): `p`'s TSval, `p` arrived and
   * the answer to it was lost; a later copy's, `p` had not arrived. Without that, where the tap
   * is decides: beside the receiver its answer would be on the capture, so `p` never arrived (or
   * was dropped: a full accept queue drops SYNs silently), its state unchanged; elsewhere the
   * segment or the answer may have been lost in between, and its arrival stays open (the
   * receiver shown UNKNOWN while both histories differ). True when the verdict changed.
   */
  private judgeSilence(p: HeldPacket, q: HeldPacket | null): boolean {
    if (q !== null && q.fromA !== p.fromA && (q.flags & ACK) !== 0 && p.echo === SilenceEcho.NONE) {
      if (!q.hasTs || !p.hasTs) p.echo = SilenceEcho.MUTE;
      else if (q.tsEcr === p.tsVal)
        p.echo = this.copyWithTsVal(p, p.tsVal) ? SilenceEcho.MUTE : SilenceEcho.THIS;
      else if (this.copyWithTsVal(p, q.tsEcr)) p.echo = SilenceEcho.LATER;
      // An echo older than p: the receiver answers something before it; wait for the next.
      else if (!seqLt(q.tsEcr, p.tsVal)) p.echo = SilenceEcho.MUTE;
    }
    const side = this.tapSide();
    const besideReceiver = side === (p.fromA ? TapSide.B : TapSide.A);
    const echo = p.echo;
    let arrival = Arrival.PRESUMED;
    let open = false;
    if (echo === SilenceEcho.THIS) arrival = Arrival.CONFIRMED;
    else if (echo === SilenceEcho.LATER || besideReceiver) arrival = Arrival.REFUTED;
    else open = true;
    // Settled once the echo is known (or cannot be) and the tap is known.
    if ((echo !== SilenceEcho.NONE || besideReceiver) && side !== TapSide.UNDECIDED) p.silent = false;
    if (echo === SilenceEcho.THIS || echo === SilenceEcho.LATER) p.silent = false;
    const changed = p.arrival !== arrival || p.arrivalOpen !== open;
    p.arrival = arrival;
    p.arrivalOpen = open;
    p.whenInDoubt = open;
    return changed;
  }

  /** At the connection's end, with no answer to come: the silence rule judges `p` as it stands. */
  private judgeSilentAtEnd(p: HeldPacket): void {
    p.silent = true;
    p.echo = SilenceEcho.MUTE;
    this.judgeSilence(p, null);
    p.silent = false;
  }

  /**
   * After segment `h` (its sender `sender`, as it stood before `h`): a passive opener's first
   * segment, a SYN+ACK, may be a SYN cookie's (RFC 4987 §3.6: the listener answers from LISTEN and
   * keeps nothing), which only its silence can show (cookieAnswers); the SYN it answers is held
   * with it until then. Any later segment closes the question: a request socket resends its
   * SYN+ACK, and once the peer acknowledges it the two histories meet in ESTABLISHED.
   */
  private openCookieQuestion(h: HeldPacket, sender: EndpointFacts): void {
    for (let p = this.heldFirst; p !== null; p = p.next) p.cookieOpen = false;
    if ((h.flags & (SYN | ACK | RST | FIN)) !== (SYN | ACK) || sender.sent || !sender.passive) return;
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (p.fromA !== h.fromA && (p.flags & (SYN | ACK | RST)) === SYN && seqAdd32(p.seq32, 1) === h.ack32)
        p.cookieOpen = true;
    }
  }

  /**
   * At the connection's end (capture time `nowUsec`): the passive opener's SYN+ACK is the last
   * segment of the connection, never resent though the capture ran on past the resend a request
   * socket makes (SYNACK_RESEND_USEC), nor answered: the listener answered with a SYN cookie and
   * kept no state — it stays in LISTEN (its SYN queue was full, or tcp_syncookies=2). Beside the
   * listener that silence proves it; elsewhere the resends could have been lost before the tap,
   * so the listener is LISTEN or SYN_RECEIVED (UNKNOWN). True if one was marked.
   */
  private cookieAnswers(nowUsec: number): boolean {
    const q = this.heldLast;
    if (q === null || nowUsec < 0 || (q.flags & (SYN | ACK | RST | FIN)) !== (SYN | ACK)) return false;
    if (nowUsec - q.tsUsec < SYNACK_RESEND_USEC) return false;
    let marked = false;
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (!p.cookieOpen) continue;
      p.cookieOpen = false;
      p.stateless = true;
      marked = true;
    }
    if (!marked) return false;
    const side = this.tapSide();
    const open = side !== (q.fromA ? TapSide.A : TapSide.B);
    q.stateless = true;
    for (let p = this.heldFirst; p !== null; p = p.next) if (p.stateless) p.statelessOpen = open;
    return true;
  }

  /**
   * At the connection's end: SYNs its receiver never answered — it sent nothing at all — and its
   * sender never sent again (a spoofed source, or one that gave up). A SYN reaching LISTEN is
   * answered at once (§3.10.7.2), so the silence rule decides them as it does a SYN resent before
   * any answer: beside the receiver it was dropped (a full SYN queue drops SYNs silently when
   * tcp_syncookies is off) or never arrived; elsewhere it or the answer was lost (open). True if
   * one changed.
   */
  private neverAnsweredSyn(): boolean {
    if (this.live.b.cand !== 0) return false;
    let changed = false;
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (!p.fromA || (p.flags & (SYN | ACK | RST)) !== SYN || p.arrival !== Arrival.PRESUMED || p.silent)
        continue;
      this.judgeSilentAtEnd(p);
      changed = true;
    }
    return changed;
  }

  /**
   * At the connection's end: SYN+ACKs whose receiver never acknowledged anything (all it ever
   * sent was SYNs) are not presumed to have reached it. A source that answers no SYN+ACK is not
   * an established peer (PRODUCT.md: spoofed or unreachable, a SYN flood's signature): beside it
   * its silence proves them lost, elsewhere they or the answers were (UNKNOWN). True if one changed.
   */
  private neverAnsweredSynAck(): boolean {
    let changed = false;
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if ((p.flags & (SYN | ACK | RST)) !== (SYN | ACK) || p.arrival !== Arrival.PRESUMED || p.silent)
        continue;
      const receiver = p.fromA ? this.live.b : this.live.a;
      // (Its receiver's SYNs after it, which may have crossed it, leave it crossPending: SYN_SENT
      // answers a SYN+ACK with an ACK, never with a SYN, §3.10.7.3.)
      if (!receiver.synSent || receiver.ackSent || (this.spokeAfter(p) && !p.crossPending)) continue;
      p.crossPending = false;
      this.judgeSilentAtEnd(p);
      changed = true;
    }
    return changed;
  }

  /**
   * At the connection's end: keep-alive probes still awaiting an answer (HeldPacket.probeAwaits),
   * their receiver silent since: the silence rule decides them as it does a SYN+ACK never
   * answered (neverAnsweredSynAck). True if one changed.
   */
  private unansweredProbes(): boolean {
    let changed = false;
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (!p.probeAwaits) continue;
      p.probeAwaits = false;
      this.judgeSilentAtEnd(p);
      changed = true;
    }
    return changed;
  }

  /**
   * At the connection's end: a segment still only presumed to have arrived, its receiver silent
   * since, that carries nothing more than the latest of two or more in a row its receiver was
   * shown not to take: a receiver that drops them systematically, not one loss (a listener whose
   * accept queue is full drops every handshake ACK and data segment of the connection, and
   * retransmits its SYN+ACK, until there is room). Nothing supports the presumption then: its
   * arrival is open (UNKNOWN). True if one changed.
   */
  private copiesOfRefused(): boolean {
    let changed = false;
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (p.arrival !== Arrival.PRESUMED || !p.decisive || p.arrivalOpen || this.spokeAfter(p)) continue;
      const refused =
        (this.bits & C_REFUSED_AGAIN) !== 0 &&
        carriesNoMore(
          p,
          (this.bits & C_REFUSED_A) !== 0,
          this.refusedSeq,
          this.refusedEnd,
          this.refusedAck,
          (this.bits >>> C_REFUSED_FLAGS_SHIFT) & FLAG_KIND,
        );
      if (!refused) continue;
      p.arrivalOpen = true;
      p.whenInDoubt = true;
      changed = true;
    }
    return changed;
  }

  /**
   * At the connection's end: a deferred segment whose effect no later segment shows takes effect
   * at its own row (the state after the last segment lasts to the end of the capture). True if
   * one changed.
   */
  private undeferUnshown(): boolean {
    let changed = false;
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (!p.deferred || p.deferShown || p.arrival === Arrival.REFUTED) continue;
      this.pendingAfterLastCrossing(p);
      changed = true;
    }
    return changed;
  }

  /**
   * Deferred `p`'s effect, which no later segment shows in time, goes with the last segment of its
   * receiver that crossed it: the state after that one (per moment, a packet's states last until
   * the next packet), not after p, which its receiver's crossing segments contradict.
   */
  private pendingAfterLastCrossing(p: HeldPacket): void {
    const rtt = (p.fromA ? this.live.b : this.live.a).tapRttUsec;
    let last: HeldPacket | null = null;
    for (let x = p.next; x !== null; x = x.next) if (x.fromA !== p.fromA && x.t - p.t < rtt) last = x;
    p.deferShown = true;
    if (last === null) p.deferred = false;
    else last.takesPending = true;
  }

  /** Remembers a segment released as not arrived (copiesOfRefused). */
  private noteRefused(h: HeldPacket): void {
    const again =
      (this.bits & C_REFUSED) !== 0 &&
      ((this.bits & C_REFUSED_A) !== 0) === h.fromA &&
      this.refusedAck === h.ack32;
    this.refusedSeq = h.seq32;
    this.refusedEnd = h.end32;
    this.refusedAck = h.ack32;
    this.bits =
      (this.bits & ~(C_REFUSED_A | C_REFUSED_AGAIN | (FLAG_KIND << C_REFUSED_FLAGS_SHIFT))) |
      C_REFUSED |
      (again ? C_REFUSED_AGAIN : 0) |
      (h.fromA ? C_REFUSED_A : 0) |
      ((h.flags & FLAG_KIND) << C_REFUSED_FLAGS_SHIFT);
  }

  /** Whether, with the tap beside B, a held SYN from A was refuted by B's silence. */
  private synsDroppedBesideResponder(): boolean {
    if (this.tapSide() !== TapSide.B) return false;
    for (let p = this.heldFirst; p !== null; p = p.next)
      if (p.fromA && (p.flags & (SYN | ACK)) === SYN && p.arrival === Arrival.REFUTED) return true;
    return false;
  }

  /** The latest held SYN+ACK sent to A (`toA`) or to B. */
  private lastSynAckBefore(toA: boolean): HeldPacket | null {
    let last: HeldPacket | null = null;
    for (let p = this.heldFirst; p !== null; p = p.next)
      if (p.fromA !== toA && (p.flags & (SYN | ACK | RST)) === (SYN | ACK)) last = p;
    return last;
  }

  /**
   * Whether `q`, from the receiver of `p` (`qs`), is that receiver's first segment after `p` and
   * left within what the tap's distance allows for an immediate answer: twice its round trip from
   * the tap (the handshake's, measured once: jitter allowed, as for crossings, mayHaveCrossed),
   * at least a turnaround.
   */
  private answersAtOnce(p: HeldPacket, q: HeldPacket, qs: EndpointFacts): boolean {
    for (let x = p.next; x !== null; x = x.next) if (x.fromA === q.fromA) return false;
    return qs.tapRttUsec >= 0 && mayHaveCrossed(p.t, q.t, Math.max(qs.tapRttUsec, TURNAROUND_USEC));
  }

  /**
   * `q`, a SYN under a new ISS from endpoint `qs`: its held SYNs under the old ISS whose profile
   * (TTL, DF, timestamps, window scale) differs from q's were not sent by the stack now opening
   * the connection (RFC 9293 §3.5 Figure 9: an old duplicate SYN; its SYN+ACK draws a RST
   * <SEQ=SEG.ACK>): the endpoint was not in SYN_SENT for them (HeldPacket.notOwn). With the same
   * profile they may be its own earlier attempt, aborted: left as they are. True if one changed.
   */
  private oldSynsNotOwn(q: HeldPacket, qs: EndpointFacts): boolean {
    let changed = false;
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (p.fromA !== q.fromA || (p.flags & (SYN | ACK | RST)) !== SYN || p.seq32 !== qs.iss || p.notOwn)
        continue;
      const same =
        p.ipv4 === q.ipv4 && p.ttl === q.ttl && p.df === q.df && p.hasTs === q.hasTs && p.wscale === q.wscale;
      if (same) continue;
      p.notOwn = true;
      changed = true;
    }
    return changed;
  }

  /** Whether its receiver sent anything after `p` (held segments after `p`). */
  private spokeAfter(p: HeldPacket): boolean {
    for (let x = p.next; x !== null; x = x.next) if (x.fromA !== p.fromA) return true;
    return false;
  }

  /** Whether its receiver sent, after `p`, a segment acknowledging it or a RST (held segments after `p`). */
  private answered(p: HeldPacket): boolean {
    const end = p.end32;
    for (let x = p.next; x !== null; x = x.next) {
      if (x.fromA === p.fromA) continue;
      if ((x.flags & RST) !== 0 || ((x.flags & ACK) !== 0 && seqGe(x.ack32, end))) return true;
    }
    return false;
  }

  /** Whether a held copy of `p` sent after it (same sender, resending it) carries TSval `ts`. */
  private copyWithTsVal(p: HeldPacket, ts: number): boolean {
    for (let x = p.next; x !== null; x = x.next) {
      if (x.fromA === p.fromA && x.hasTs && x.tsVal === ts && resends(x, p)) return true;
    }
    return false;
  }

  /** Where the tap is for this connection (PRODUCT.md `--tap`): what the report layer tells a drop by. */
  get tapPlace(): TapSide {
    return this.tapSide();
  }

  /** Where the tap is for this connection (PRODUCT.md `--tap`). */
  private tapSide(): TapSide {
    const tap = this.cfg.tap;
    switch (tap.mode) {
      case TapMode.CLIENT:
        return this.summary.origIsA ? TapSide.A : TapSide.B;
      case TapMode.SERVER:
        return this.summary.origIsA ? TapSide.B : TapSide.A;
      case TapMode.MID:
        return TapSide.MID;
      case TapMode.HOST:
        return sameAddress(tap.ip!, this.addrA, this.ipVersion)
          ? TapSide.A
          : sameAddress(tap.ip!, this.addrB, this.ipVersion)
            ? TapSide.B
            : TapSide.MID;
      default: {
        const own = tap.own;
        if (own !== undefined) {
          // Live: the capturing host is an end of the connection.
          for (const ip of own) {
            if (sameAddress(ip, this.addrA, this.ipVersion)) return TapSide.A;
            if (sameAddress(ip, this.addrB, this.ipVersion)) return TapSide.B;
          }
        }
        const a = this.live.a;
        const b = this.live.b;
        return autoTapSide(a.tapRttUsec, b.tapRttUsec, a.profiled ? a.ttl : -1, b.profiled ? b.ttl : -1);
      }
    }
  }

  /**
   * Held segment `p` showed that its sender's FIN at `finSeq`, never captured, left before it. If
   * `p` is a pure ACK of the peer's FIN, and the capture holds that FIN's only copy just before, it
   * is the acknowledgment RFC 9293 §3.10.7.4 (eighth step) sends when that FIN arrives: the
   * sender's own FIN was out before then (FIN_WAIT_1 → CLOSING, not CLOSE_WAIT → LAST_ACK).
   * Otherwise it left before `p` itself.
   */
  private placeUnseenFin(p: HeldPacket, finSeq: number): void {
    let at: HeldPacket = p;
    if ((p.flags & ACK) !== 0) {
      let fins = 0;
      let fin: HeldPacket | null = null;
      for (let x = this.heldFirst; x !== null && x !== p; x = x.next) {
        if (x.fromA === p.fromA) {
          if (fin !== null) fins = 2; // the sender spoke after that FIN: not its first answer
          continue;
        }
        if ((x.flags & FIN) !== 0 && seqGe(p.ack32, x.end32)) {
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

  /** Marks the held copies after `p` (same sender, its last sequence number) as in doubt. */
  private doubtCopies(p: HeldPacket): void {
    const last = seqAdd32(p.end32, -1);
    for (let x = p.next; x !== null; x = x.next) {
      if (x.fromA === p.fromA && x.seqLen > 0 && seqLe(x.seq32, last) && seqGt(x.end32, last)) {
        x.whenInDoubt = true;
        x.arrivalOpen = true;
      }
    }
  }

  /**
   * Whether `q`, from the receiver of `p` (a FIN its receiver's segment crossed), echoes the TSval
   * of a later copy of `p` (it answers that copy) and is the receiver's next IP packet after its
   * last segment since `p`, one that acknowledged everything before `p` and nothing of it (so it
   * left before `p` could arrive in order: it would have acknowledged `p`). q's IP ID follows
   * that one's: a stack's IP IDs count the packets it sends (Linux's per-connection counter, RFC
   * 6864 §4; random or zero IDs follow by one only by chance). The receiver sent nothing in
   * between, not the ACK it owed `p` (§3.10.7.4 eighth step): `p` never arrived.
   */
  private nextPacketAnswersCopy(p: HeldPacket, q: HeldPacket): boolean {
    if (!q.ipv4 || !q.hasTs || !p.hasTs || q.tsEcr === p.tsVal || !this.copyWithTsVal(p, q.tsEcr))
      return false;
    let prev: HeldPacket | null = null;
    for (let x = p.next; x !== null && x !== q; x = x.next) if (x.fromA === q.fromA) prev = x;
    if (prev === null || !prev.ipv4) return false;
    return (
      (prev.flags & (SYN | RST | ACK)) === ACK &&
      (q.flags & (SYN | RST)) === 0 &&
      prev.ack32 === p.seq32 &&
      ((prev.ipId + 1) & 0xffff) === q.ipId
    );
  }

  /** Whether a later held segment from the same sender covers `p`'s last sequence number. */
  private laterCopy(p: HeldPacket): boolean {
    const last = seqAdd32(p.end32, -1);
    for (let x = p.next; x !== null; x = x.next) {
      if (x.fromA === p.fromA && x.seqLen > 0 && seqLe(x.seq32, last) && seqGt(x.end32, last)) return true;
    }
    return false;
  }

  private replay(): void {
    if ((this.bits & C_COMMITTED_INITIAL) !== 0) this.initialInto(this.live);
    else if (this.committed === null)
      return; // nothing held: live is the committed state
    else this.live.copyFrom(this.committed);
    for (let p = this.heldFirst; p !== null; p = p.next) step(this.live, p, this.cfg);
  }

  private forceOldest(): void {
    if (this.live.b.cand === 0) {
      (this.snapshot ?? this.live).b.cand = UNKNOWABLE;
      this.initB = shownState(UNKNOWABLE);
      this.replay();
    }
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (p.arrival === Arrival.PRESUMED && p.decisive) {
        p.arrival = Arrival.CONFIRMED;
        break;
      }
      if (p.senderPending && !p.senderRefuted) p.senderPending = false;
      p.holeOpen = false;
      p.recovery = false;
      p.awaitsAnswer = false;
      p.awaitsFin = false;
      if ((p.flags & FIN) !== 0) p.covered = true;
    }
  }

  /** True while a RST's effect on its claimed sender is undecided. */
  get senderDecisionPending(): boolean {
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (p.senderPending && !p.senderRefuted) return true;
    }
    return false;
  }

  /**
   * Releases settled segments from the front (all of them when `force`). `nowUsec`: the capture's
   * time when forced (its last segment's, µs since the epoch; -1 unknown), which the end-of-
   * connection rules weigh silences against.
   */
  release(force: boolean, recycle: (h: HeldPacket) => void, release: ReleaseFn, nowUsec = -1): void {
    // Made again before anything below marks a held segment (compact() dropped it for these).
    if (this.liveState === null) this.rebuildLive();
    if (force) {
      // A cookie's SYN+ACK is never answered either: its silence rule runs as well (below).
      if (this.cookieAnswers(nowUsec)) this.replay();
      // The SYN+ACK and refused-copy rules each mark their own segments: both run.
      const silence = this.unansweredProbes() || this.neverAnsweredSyn();
      const synAck = this.neverAnsweredSynAck();
      const refused = this.copiesOfRefused();
      if (silence || synAck || refused || this.undeferUnshown()) this.replay();
    }
    if (force && this.live.b.cand === 0) {
      // A responder never heard from stays UNKNOWN, unless the tap is beside it and its silence
      // proved SYNs lost (judgeSilence): no socket of its ever held the connection (dropped
      // before TCP, or by a listener whose accept queue was full): CLOSED, as RFC 9293 names
      // "no connection state at all" (§3.3.2).
      const none = this.synsDroppedBesideResponder() ? CLOSED_BIT : UNKNOWABLE;
      (this.snapshot ?? this.live).b.cand = none;
      this.initB = shownState(none);
      this.replay();
    }
    const first = this.heldFirst;
    if (first === null) {
      if (force) this.settlePendingAck();
      return;
    }
    // The first segment not released (null: all of them).
    let stop: HeldPacket | null = first;
    if (force) stop = null;
    else if (this.live.b.cand !== 0) {
      while (stop !== null) {
        const p: HeldPacket = stop;
        if (p.arrival === Arrival.PRESUMED && p.decisive) break;
        if (p.senderPending && !p.senderRefuted) break;
        if (
          p.holeOpen ||
          p.silent ||
          p.probeAwaits ||
          p.awaitsAnswer ||
          p.awaitsFin ||
          p.recovery ||
          p.cookieOpen
        )
          break;
        // A delayed or refuted FIN waits for the ACK that covers it (or the connection's end).
        if (
          (p.flags & FIN) !== 0 &&
          !p.covered &&
          (p.arrival === Arrival.DELAYED || p.arrival === Arrival.REFUTED)
        )
          break;
        stop = p.next;
      }
    }
    if (stop?.holeOpen) {
      // The peer's FIN it answers stays held with it: the unseen FIN may have to precede its
      // arrival. That is the latest FIN among the peer's segments held right before it.
      let fin: HeldPacket | null = null;
      for (let x = first; x !== stop; x = x.next!) {
        if (x.fromA === stop.fromA) fin = null;
        else if ((x.flags & FIN) !== 0) fin = x;
      }
      if (fin !== null) stop = fin;
    }
    if (stop === first) return;
    if (stop === null) {
      // Nothing stays held: live is the committed state from now on.
      if (this.committed !== null) this.cfg.spareStates.push(this.committed);
      this.committed = null;
      this.bits &= ~C_COMMITTED_INITIAL;
    } else {
      const committed = this.snapshot!;
      for (let p = first; p !== stop; p = p.next!) step(committed, p, this.cfg);
    }
    const record = this.record;
    if (!record.begun) record.begin(this.initA, this.initB);
    const live = this.live;
    let h = first;
    while (h !== stop) {
      const next = h.next;
      // Denominators known only from later segments: a simultaneous open, a three-way close.
      if (h.role === Role.HANDSHAKE_1_3 && live.simultaneousOpen) h.role = Role.HANDSHAKE_1_4;
      if (h.role === Role.TEARDOWN_1_4 && live.threeWayClose) h.role = Role.TEARDOWN_1_3;
      const tags = combineTags(h.wsTags, h.ownTags);
      record.add(h, tags);
      if (h.arrival === Arrival.REFUTED) this.noteRefused(h);
      this.heldFirst = next;
      this.nHeld--;
      if (next === null) this.heldLast = null;
      h.next = null;
      release(this, h, tags);
      recycle(h);
      h = next!;
    }
    if (force) this.settlePendingAck();
  }

  /**
   * At the end: a deferred ACK whose receiver sent nothing after the segments that crossed it
   * took effect after the last one.
   */
  private settlePendingAck(): void {
    const live = this.live;
    if ((!live.ackPending && !live.rstPending) || !this.recordBegun) return;
    if (live.ackPending) takePendingAck(live);
    if (live.rstPending) takePendingRst(live);
    this.record.settle(live.a.state, live.b.state);
  }

  /** Over: both endpoints CLOSED or back in LISTEN, and no RST awaits evidence. */
  get over(): boolean {
    return bothDone(this.live) && !this.senderDecisionPending && this.rstInDoubt() === null;
  }

  /** A held RST whose arrival is in doubt and still only presumed, or null. */
  private rstInDoubt(): HeldPacket | null {
    for (let p = this.heldFirst; p !== null; p = p.next) {
      if (p.rstInDoubt && p.arrival === Arrival.PRESUMED) return p;
    }
    return null;
  }

  /** TIME_WAIT deadline (µs since the epoch) if one endpoint waits in TIME_WAIT and the other is done, else -1. */
  timeWaitDeadline(): number {
    const a = this.live.a;
    const b = this.live.b;
    const tw = a.twTimed ? a : b.twTimed ? b : null;
    if (tw === null) return -1;
    const other = tw === a ? b : a;
    const done = other.cand === 1 || other.cand === 2 || other.twTimed;
    return done ? this.baseUsec + tw.twSinceUsec + this.cfg.timeWaitUsec : -1;
  }

  /** Lets TIME_WAIT run out at capture time `now` (µs since the epoch; after everything held was released). */
  expireTimeWait(now: number): void {
    const t = now - this.baseUsec;
    const ea = expireTimeWait(this.live.a, t, this.cfg);
    const eb = expireTimeWait(this.live.b, t, this.cfg);
    this.snapshot?.copyFrom(this.live);
    this.record.timeWaitExpired(ea, eb);
  }

  /** Port reuse: the old incarnation's endpoints in TIME_WAIT are done with it (CLOSED) now. */
  closeTimeWait(): void {
    for (const ep of [this.live.a, this.live.b]) {
      if (ep.cand === TIME_WAIT_BIT) {
        ep.twSinceUsec = 0;
        ep.twTimed = true;
      }
    }
    this.expireTimeWait(Number.MAX_SAFE_INTEGER);
  }
}

/**
 * A segment whose receiver must answer at once (PRODUCT.md's silence rule): a SYN (§3.10.7.2,
 * §3.10.7.3: SYN+ACK or RST), a SYN+ACK (§3.10.7.3: ACK), a FIN (§3.10.7.4 eighth step: ACK).
 */
function mustBeAnswered(p: HeldPacket): boolean {
  return (p.flags & (SYN | FIN)) !== 0 && (p.flags & RST) === 0;
}

/**
 * Whether `q`, from the receiver of the held segment `p`, left that receiver before `p` reached
 * it: captured less than the receiver's round trip from the tap (`rtt`, the handshake's) after
 * `p`, its ACK field not covering `p`. Only where `p`'s arrival moves its receiver and the
 * crossing is not decided elsewhere: a pure ACK that moves it (decisive), a SYN+ACK crossed by
 * the receiver's own SYN+ACK, or a FIN crossed by a segment that is no FIN (crossing FINs are
 * Conn.decide's `unacked`).
 */
function crossedBy(p: HeldPacket, q: HeldPacket, rtt: number): boolean {
  if (rtt < 0 || q.t - p.t >= rtt || (q.flags & ACK) === 0) return false;
  const kind = p.flags & (SYN | FIN | RST | ACK);
  if (kind === ACK && p.len === 0) return p.decisive;
  // A RST without ACK (an answer <SEQ=SEG.ACK>) that its receiver would accept: it takes effect
  // after q, which its receiver sent in the state the RST ends (old-duplicate-syn).
  if (kind === RST) return p.decisive;
  // Crossing SYN+ACKs of a simultaneous open (RFC 9293 §3.5 Figure 7): q's sender had p's SYN
  // already (it answers with a SYN+ACK of its own), so p's effect there is its ACK alone.
  if (kind === (SYN | ACK) && p.len === 0 && (q.flags & SYN) !== 0) return p.decisive;
  return (kind & (SYN | RST | FIN)) === FIN && (q.flags & FIN) === 0 && seqLt(q.ack32, p.end32);
}

/** The flags that make a segment what it is (copiesOfRefused). */
const FLAG_KIND = SYN | ACK | FIN | RST;

/**
 * Whether `p` carries nothing that a segment its receiver refused (from A if `fromA`; SEQ `seq`
 * to `end`, ACK `ack`, flags `kind`) did not: the same sender, the same ACK, its sequence range
 * inside, and no SYN, FIN or RST the refused one lacked.
 */
function carriesNoMore(
  p: HeldPacket,
  fromA: boolean,
  seq: number,
  end: number,
  ack: number,
  kind: number,
): boolean {
  return (
    p.fromA === fromA &&
    p.ack32 === ack &&
    seqGe(p.seq32, seq) &&
    seqLe(p.end32, end) &&
    (p.flags & FLAG_KIND & ~kind) === 0 &&
    ((p.flags ^ kind) & ACK) === 0
  );
}

/**
 * Whether `h`, from endpoint `s` to `r`, is a keep-alive probe (RFC 9293 §3.8.4, RFC 1122
 * §4.2.3.6): an empty ACK at SND.NXT−1, which its receiver must acknowledge at once as an
 * unacceptable segment (§3.10.7.4). Not while `r`'s window is 0: that is a window probe, which
 * Linux sends at RTO intervals its rate limit on such ACKs may leave unanswered.
 */
function isKeepAlive(h: HeldPacket, s: EndpointFacts, r: EndpointFacts): boolean {
  return (
    (h.flags & (SYN | FIN | RST | ACK)) === ACK &&
    h.len === 0 &&
    s.sndValid &&
    h.seq32 === seqAdd32(s.sndNxt, -1) &&
    r.sent &&
    r.win !== 0
  );
}

/**
 * Whether `q`, from the same sender, sends `p` again: the same SYN/ACK flags, covering p's last
 * sequence number; for an empty `p` (a keep-alive probe), an empty ACK at the same sequence number.
 */
function resends(q: HeldPacket, p: HeldPacket): boolean {
  if (p.seqLen === 0)
    return (q.flags & (SYN | FIN | RST | ACK)) === ACK && q.len === 0 && q.seq32 === p.seq32;
  if ((q.flags & (SYN | ACK | RST)) !== (p.flags & (SYN | ACK | RST))) return false;
  if (q.seqLen === 0) return false;
  const last = seqAdd32(p.end32, -1);
  return seqLe(q.seq32, last) && seqGt(q.end32, last);
}

/** The tap's address (4 or 16 bytes) against a connection address (16 bytes, IPv4 in the first 4). */
function sameAddress(tap: Uint8Array, addr: Uint8Array, ipVersion: number): boolean {
  if ((tap.length === 4) !== (ipVersion === 4)) return false;
  for (let i = 0; i < tap.length; i++) if (tap[i] !== addr[i]) return false;
  return true;
}

/** Own field names of an EndpointFacts and of an InferState besides its two endpoints. */
const FACT_KEYS = Object.keys(new EndpointFacts());
const STATE_KEYS = Object.keys(new InferState()).filter((k) => k !== 'a' && k !== 'b');

function sameFacts(x: EndpointFacts, y: EndpointFacts): boolean {
  const a = x as unknown as Record<string, unknown>;
  const b = y as unknown as Record<string, unknown>;
  for (let i = 0; i < FACT_KEYS.length; i++) if (a[FACT_KEYS[i]!] !== b[FACT_KEYS[i]!]) return false;
  return true;
}

/** x and y hold the same values in every field (whatever fields infer.ts gives them). */
function sameState(x: InferState, y: InferState): boolean {
  if (!sameFacts(x.a, y.a) || !sameFacts(x.b, y.b)) return false;
  const a = x as unknown as Record<string, unknown>;
  const b = y as unknown as Record<string, unknown>;
  for (let i = 0; i < STATE_KEYS.length; i++) if (a[STATE_KEYS[i]!] !== b[STATE_KEYS[i]!]) return false;
  return true;
}
