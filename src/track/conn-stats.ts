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

export class Direction {
  retransmissions = 0;
  uniqueBytes = 0;
  /** Highest sequence number sent + 1 (seq space incl. SYN/FIN); valid once `started`. */
  private highest = 0;
  private started = false;
  // Outstanding segments as parallel rings: end sequence (exclusive), time, sent more than once.
  private readonly ends: number[] = [];
  private readonly times: number[] = [];
  private readonly again: boolean[] = [];
  readonly rtt: RttSummary = { samples: 0, minUsec: 0, maxUsec: 0, sumUsec: 0 };

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
    let same = -1;
    if (resend) {
      for (let i = 0; i < this.ends.length; i++) {
        const e = this.ends[i]!;
        if (seqGt(e, seq)) this.again[i] = true;
        if (e === end) same = i;
      }
    }
    if (same >= 0) return;
    if (this.ends.length === MAX_OUTSTANDING) {
      this.ends.shift();
      this.times.shift();
      this.again.shift();
    }
    this.ends.push(end);
    this.times.push(tsUsec);
    this.again.push(resend);
  }

  /** The peer acknowledged up to `ack` at `tsUsec`. */
  acked(ack: number, tsUsec: number): void {
    let n = 0;
    while (n < this.ends.length && !seqLt(ack, this.ends[n]!)) {
      if (this.ends[n] === ack && !this.again[n]) {
        const s = tsUsec - this.times[n]!;
        const r = this.rtt;
        if (r.samples === 0 || s < r.minUsec) r.minUsec = s;
        if (r.samples === 0 || s > r.maxUsec) r.maxUsec = s;
        r.samples++;
        r.sumUsec += s;
      }
      n++;
    }
    if (n > 0) {
      this.ends.splice(0, n);
      this.times.splice(0, n);
      this.again.splice(0, n);
    }
  }
}

export class ConnStats {
  readonly a = new Direction();
  readonly b = new Direction();

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
