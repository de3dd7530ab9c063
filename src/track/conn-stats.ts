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

// A ring entry's three numbers, side by side in one Float64Array: the end sequence number
// (exclusive, unsigned 32-bit), the time sent (µs), and 1 when it was sent more than once.
const R_END = 0;
const R_TIME = 1;
const R_AGAIN = 2;
const ENTRY = 3;

export class Direction {
  retransmissions = 0;
  uniqueBytes = 0;
  /** Highest sequence number sent + 1 (seq space incl. SYN/FIN); valid once `started`. */
  private highest = 0;
  private started = false;
  // Outstanding segments, oldest first, as a ring of ENTRY-number entries in one typed array kept
  // across connections (reset() keeps it): nothing is allocated per segment, one array per
  // direction (not one per field: a connection-heavy capture makes one per connection).
  private ring: Float64Array | null = null;
  /** Entries the ring holds (a power of two). */
  private capacity = 0;
  private head = 0;
  private count = 0;
  readonly rtt: RttSummary = { samples: 0, minUsec: 0, maxUsec: 0, sumUsec: 0 };

  /** Back to a new Direction's figures (the ring's storage is kept). */
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
    ring[i + R_TIME] = tsUsec;
    ring[i + R_AGAIN] = resend ? 1 : 0;
    this.count++;
  }

  /** Doubles the ring (it is full), keeping the outstanding segments in order from entry 0. */
  private grow(): void {
    const old = this.ring;
    const size = old === null ? FIRST_CAPACITY : this.capacity * 2;
    const ring = new Float64Array(size * ENTRY);
    if (old !== null) {
      const mask = this.capacity - 1;
      for (let k = 0; k < this.count; k++) {
        const i = ((this.head + k) & mask) * ENTRY;
        ring[k * ENTRY + R_END] = old[i + R_END]!;
        ring[k * ENTRY + R_TIME] = old[i + R_TIME]!;
        ring[k * ENTRY + R_AGAIN] = old[i + R_AGAIN]!;
      }
    }
    this.ring = ring;
    this.capacity = size;
    this.head = 0;
  }

  /** The peer acknowledged up to `ack` at `tsUsec`. */
  acked(ack: number, tsUsec: number): void {
    if (this.count === 0) return;
    const ring = this.ring!;
    const mask = this.capacity - 1;
    while (this.count > 0) {
      const i = this.head;
      const e = ring[i * ENTRY + R_END]!;
      if (seqLt(ack, e)) break;
      if (e === ack && ring[i * ENTRY + R_AGAIN] === 0) {
        const s = tsUsec - ring[i * ENTRY + R_TIME]!;
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
