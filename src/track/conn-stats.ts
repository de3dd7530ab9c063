// The per-direction figures tcptrace and Wireshark's Conversations give for a connection, beside
// the record's own: retransmitted segments (Wireshark's retransmission kinds, as tshark counts
// tcp.analysis.retransmission), round-trip times from a segment and the ACK that acknowledges it
// (tcptrace's rtt.c method: a sample when an ACK's number equals the end of an outstanding
// segment, SYN and FIN counting one; none for a segment sent again — Karn's rule, RFC 6298 §3),
// and the unique bytes sent (sequence space beyond the highest sent before: tcptrace's "unique
// bytes", its throughput's numerator). Fed with each segment in capture order. Pure.

import { seqGt, seqLt } from '../tcp/seq.js';
import { ACK, FIN, SYN } from '../wire/packet.js';
import { K } from './kinds.js';

/** The tags counted as a retransmission (each retransmitted segment carries exactly one). */
const RETRANSMISSION_TAGS =
  K.retransmission |
  K['fast-retransmission'] |
  K['spurious-retransmission'] |
  K['syn-retransmission'] |
  K['synack-retransmission'];

/** Outstanding segments kept per direction: a bound on memory; older ones give no sample. */
const MAX_OUTSTANDING = 256;

/** Outstanding segments a direction keeps in its own fields before it takes a ring. */
const INLINE = 2;

/** Ring capacity of a direction's first spill (doubled as more are outstanding, up to MAX_OUTSTANDING). */
const FIRST_CAPACITY = 4;

// A ring entry's three numbers, side by side in one Float64Array: the end sequence number
// (exclusive, unsigned 32-bit), the time sent (µs), and 1 when it was sent more than once.
const R_END = 0;
const R_TIME = 1;
const R_AGAIN = 2;
const ENTRY = 3;

export class Direction {
  retransmissions = 0;
  uniqueBytes = 0;
  /**
   * Highest sequence number sent + 1 (seq space incl. SYN/FIN), valid once `started`; as int32
   * (read back unsigned): an unsigned value above 2^31 would give every direction a boxed double.
   */
  private highest32 = 0;
  private started = false;
  // Outstanding segments, oldest first. Most connections have one or two at a time (a request, its
  // answer): those sit in the direction's own fields (end as int32, time, `again` bits 0 and 1),
  // so a connection costs no typed array — each is an ArrayBuffer the collector tracks, and a
  // connection-heavy capture keeps tens of thousands. A third spills them into a ring of
  // ENTRY-number entries in one Float64Array, kept across connections (reset() keeps it).
  private end0 = 0;
  private end1 = 0;
  private time0 = 0;
  private time1 = 0;
  private again01 = 0;
  /** The outstanding segments are in `ring` (from head on), not in the fields above. */
  private spilled = false;
  private ring: Float64Array | null = null;
  /** Entries the ring holds (a power of two). */
  private capacity = 0;
  private head = 0;
  private count = 0;
  // RTT samples of this direction (data sent by this side, acknowledged by its peer), as fields
  // of their own: no object beside the direction's.
  rttSamples = 0;
  rttMinUsec = 0;
  rttMaxUsec = 0;
  rttSumUsec = 0;

  /** Back to a new Direction's figures (the ring's storage is kept). */
  reset(): void {
    this.retransmissions = 0;
    this.uniqueBytes = 0;
    this.highest32 = 0;
    this.started = false;
    this.end0 = 0;
    this.end1 = 0;
    this.time0 = 0;
    this.time1 = 0;
    this.again01 = 0;
    this.spilled = false;
    this.head = 0;
    this.count = 0;
    this.rttSamples = 0;
    this.rttMinUsec = 0;
    this.rttMaxUsec = 0;
    this.rttSumUsec = 0;
  }

  /** A segment: `seq32` its SEQ as a signed 32-bit integer, `t` its time (µs, any fixed origin). */
  sent(seq32: number, len: number, flags: number, t: number): void {
    const seq = seq32 >>> 0;
    const span = len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    if (span === 0) return;
    const end = (seq + span) >>> 0;
    // A segment that resends bytes already sent makes every outstanding segment it overlaps
    // ambiguous, and itself too (Karn): no sample from their ACKs.
    const highest = this.highest32 >>> 0;
    const resend = this.started && seqLt(seq, highest);
    if (!this.started) {
      this.started = true;
      this.highest32 = end | 0;
      this.uniqueBytes += len;
    } else if (seqGt(end, highest)) {
      // Only what lies beyond the highest byte sent before is new (tcptrace's unique bytes).
      const fresh = (end - highest) | 0;
      this.uniqueBytes += Math.min(len, fresh);
      this.highest32 = end | 0;
    }
    if (!this.spilled) {
      const n = this.count;
      if (resend && n > 0) {
        let same = false;
        if (seqGt(this.end0 >>> 0, seq)) this.again01 |= 1;
        if (this.end0 >>> 0 === end) same = true;
        if (n > 1) {
          if (seqGt(this.end1 >>> 0, seq)) this.again01 |= 2;
          if (this.end1 >>> 0 === end) same = true;
        }
        if (same) return;
      }
      if (n < INLINE) {
        if (n === 0) {
          this.end0 = end | 0;
          this.time0 = t;
          this.again01 = resend ? 1 : 0;
        } else {
          this.end1 = end | 0;
          this.time1 = t;
          this.again01 = (this.again01 & 1) | (resend ? 2 : 0);
        }
        this.count = n + 1;
        return;
      }
      this.spill();
    } else if (resend && this.count > 0) {
      const ring = this.ring!;
      const mask = this.capacity - 1;
      let same = -1;
      for (let k = 0; k < this.count; k++) {
        const i = ((this.head + k) & mask) * ENTRY;
        const e = ring[i + R_END]!;
        if (seqGt(e, seq)) ring[i + R_AGAIN] = 1;
        if (e === end) same = i;
      }
      if (same >= 0) return;
    }
    if (this.count === MAX_OUTSTANDING) {
      // The oldest gives way (no sample from its ACK).
      this.head = (this.head + 1) & (MAX_OUTSTANDING - 1);
      this.count--;
    } else if (this.count === this.capacity) this.grow();
    const ring = this.ring!;
    const i = ((this.head + this.count) & (this.capacity - 1)) * ENTRY;
    ring[i + R_END] = end;
    ring[i + R_TIME] = t;
    ring[i + R_AGAIN] = resend ? 1 : 0;
    this.count++;
  }

  /** The fields' INLINE segments move to the ring (entries 0 and 1), which takes them from now on. */
  private spill(): void {
    let ring = this.ring;
    if (ring === null) {
      ring = new Float64Array(FIRST_CAPACITY * ENTRY);
      this.ring = ring;
      this.capacity = FIRST_CAPACITY;
    }
    ring[R_END] = this.end0 >>> 0;
    ring[R_TIME] = this.time0;
    ring[R_AGAIN] = this.again01 & 1;
    ring[ENTRY + R_END] = this.end1 >>> 0;
    ring[ENTRY + R_TIME] = this.time1;
    ring[ENTRY + R_AGAIN] = (this.again01 >> 1) & 1;
    this.head = 0;
    this.spilled = true;
  }

  /** Doubles the ring (it is full), keeping the outstanding segments in order from entry 0. */
  private grow(): void {
    const old = this.ring!;
    const size = this.capacity * 2;
    const ring = new Float64Array(size * ENTRY);
    const mask = this.capacity - 1;
    for (let k = 0; k < this.count; k++) {
      const i = ((this.head + k) & mask) * ENTRY;
      ring[k * ENTRY + R_END] = old[i + R_END]!;
      ring[k * ENTRY + R_TIME] = old[i + R_TIME]!;
      ring[k * ENTRY + R_AGAIN] = old[i + R_AGAIN]!;
    }
    this.ring = ring;
    this.capacity = size;
    this.head = 0;
  }

  /** The peer acknowledged up to `ack32` (signed 32-bit) at `t`. */
  acked(ack32: number, t: number): void {
    if (this.count === 0) return;
    const ack = ack32 >>> 0;
    if (!this.spilled) {
      while (this.count > 0) {
        const e = this.end0 >>> 0;
        if (seqLt(ack, e)) break;
        if (e === ack && (this.again01 & 1) === 0) this.sample(t - this.time0);
        this.end0 = this.end1;
        this.time0 = this.time1;
        this.again01 >>= 1;
        this.count--;
      }
      return;
    }
    const ring = this.ring!;
    const mask = this.capacity - 1;
    while (this.count > 0) {
      const i = this.head;
      const e = ring[i * ENTRY + R_END]!;
      if (seqLt(ack, e)) break;
      if (e === ack && ring[i * ENTRY + R_AGAIN] === 0) this.sample(t - ring[i * ENTRY + R_TIME]!);
      this.head = (i + 1) & mask;
      this.count--;
    }
  }

  private sample(s: number): void {
    if (this.rttSamples === 0 || s < this.rttMinUsec) this.rttMinUsec = s;
    if (this.rttSamples === 0 || s > this.rttMaxUsec) this.rttMaxUsec = s;
    this.rttSamples++;
    this.rttSumUsec += s;
  }
}

export class ConnStats {
  readonly a = new Direction();
  readonly b = new Direction();

  /** Back to a new ConnStats' figures, for a recycled connection. */
  reset(): void {
    this.a.reset();
    this.b.reset();
  }

  /**
   * One segment from A (`fromA`) or B, with its combined tags. SEQ and ACK as the held segment
   * keeps them (signed 32-bit), `t` its time relative to the connection's first segment
   * (HeldPacket.t): small integers, so that a call that is not inlined boxes no number per packet
   * (RTTs are differences of times, the same from any origin).
   */
  add(
    fromA: boolean,
    seq32: number,
    ack32: number,
    len: number,
    flags: number,
    t: number,
    tags: number,
  ): void {
    const me = fromA ? this.a : this.b;
    if (tags & RETRANSMISSION_TAGS) me.retransmissions++;
    if (flags & ACK) (fromA ? this.b : this.a).acked(ack32, t);
    me.sent(seq32, len, flags, t);
  }
}
