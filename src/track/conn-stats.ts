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

/** RTT samples of one direction: data sent by that side, acknowledged by its peer. */
export interface RttSummary {
  samples: number;
  minUsec: number;
  maxUsec: number;
  sumUsec: number;
}

/** Ring capacity of a direction's first segments (doubled as more are outstanding, up to MAX_OUTSTANDING). */
const FIRST_CAPACITY = 4;

export class Direction {
  retransmissions = 0;
  uniqueBytes = 0;
  /** Highest sequence number sent + 1 (seq space incl. SYN/FIN); valid once `started`. */
  private highest = 0;
  private started = false;
  // Outstanding segments, oldest first, as a ring over parallel typed arrays kept across
  // connections (reset() keeps them): end sequence (exclusive), time, sent more than once.
  // Nothing is allocated per segment, and nothing per connection once the arrays exist.
  private ends: Uint32Array | null = null;
  private times: Float64Array | null = null;
  private again: Uint8Array | null = null;
  private head = 0;
  private count = 0;
  readonly rtt: RttSummary = { samples: 0, minUsec: 0, maxUsec: 0, sumUsec: 0 };

  /** Back to a new Direction's figures (the rings' storage is kept). */
  reset(): void {
    this.retransmissions = 0;
    this.uniqueBytes = 0;
    this.highest = 0;
    this.started = false;
    this.head = 0;
    this.count = 0;
    const r = this.rtt;
    r.samples = 0;
    r.minUsec = 0;
    r.maxUsec = 0;
    r.sumUsec = 0;
  }

  sent(seq: number, len: number, flags: number, tsUsec: number): void {
    const span = len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    if (span === 0) return;
    const end = (seq + span) >>> 0;
    // A segment that resends bytes already sent makes every outstanding segment it overlaps
    // ambiguous, and itself too (Karn): no sample from their ACKs.
    const resend = this.started && seqLt(seq, this.highest);
    if (!this.started) {
      this.started = true;
      this.highest = end;
      this.uniqueBytes += len;
    } else if (seqGt(end, this.highest)) {
      // Only what lies beyond the highest byte sent before is new (tcptrace's unique bytes).
      const fresh = (end - this.highest) | 0;
      this.uniqueBytes += Math.min(len, fresh);
      this.highest = end;
    }
    if (resend && this.count > 0) {
      const ends = this.ends!;
      const again = this.again!;
      const mask = ends.length - 1;
      let same = -1;
      for (let k = 0; k < this.count; k++) {
        const i = (this.head + k) & mask;
        const e = ends[i]!;
        if (seqGt(e, seq)) again[i] = 1;
        if (e === end) same = i;
      }
      if (same >= 0) return;
    }
    if (this.count === MAX_OUTSTANDING) {
      // The oldest gives way (no sample from its ACK).
      this.head = (this.head + 1) & (MAX_OUTSTANDING - 1);
      this.count--;
    } else if (this.ends === null || this.count === this.ends.length) this.grow();
    const ends = this.ends!;
    const i = (this.head + this.count) & (ends.length - 1);
    ends[i] = end;
    this.times![i] = tsUsec;
    this.again![i] = resend ? 1 : 0;
    this.count++;
  }

  /** Doubles the rings (they are full), keeping the outstanding segments in order from index 0. */
  private grow(): void {
    const old = this.ends;
    const size = old === null ? FIRST_CAPACITY : old.length * 2;
    const ends = new Uint32Array(size);
    const times = new Float64Array(size);
    const again = new Uint8Array(size);
    if (old !== null) {
      const mask = old.length - 1;
      for (let k = 0; k < this.count; k++) {
        const i = (this.head + k) & mask;
        ends[k] = old[i]!;
        times[k] = this.times![i]!;
        again[k] = this.again![i]!;
      }
    }
    this.ends = ends;
    this.times = times;
    this.again = again;
    this.head = 0;
  }

  /** The peer acknowledged up to `ack` at `tsUsec`. */
  acked(ack: number, tsUsec: number): void {
    if (this.count === 0) return;
    const ends = this.ends!;
    const mask = ends.length - 1;
    while (this.count > 0) {
      const i = this.head;
      const e = ends[i]!;
      if (seqLt(ack, e)) break;
      if (e === ack && this.again![i] === 0) {
        const s = tsUsec - this.times![i]!;
        const r = this.rtt;
        if (r.samples === 0 || s < r.minUsec) r.minUsec = s;
        if (r.samples === 0 || s > r.maxUsec) r.maxUsec = s;
        r.samples++;
        r.sumUsec += s;
      }
      this.head = (i + 1) & mask;
      this.count--;
    }
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

  /** One segment from A (`fromA`) or B, with its combined tags. */
  add(
    fromA: boolean,
    seq: number,
    ack: number,
    len: number,
    flags: number,
    tsUsec: number,
    tags: number,
  ): void {
    const me = fromA ? this.a : this.b;
    if (tags & RETRANSMISSION_TAGS) me.retransmissions++;
    // Unsigned: the held segment keeps them as signed 32-bit integers.
    if (flags & ACK) (fromA ? this.b : this.a).acked(ack >>> 0, tsUsec);
    me.sent(seq >>> 0, len, flags, tsUsec);
  }
}
