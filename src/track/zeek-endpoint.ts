// One endpoint as Zeek's TCP analyzer sees it (TCP_Endpoint): its coarse state, its sequence
// space (start, last and acknowledged sequence numbers with 32-bit wrap counts), the counters
// behind the log-scale history letters, and the content-gap bookkeeping of Zeek's reassembler
// (which data above the delivered point arrived, so an ACK beyond it reveals a gap). Restated
// from Zeek's TCP_Endpoint / TCP_Reassembler / Reassem, not copied. RFC 9293 §3.4 (sequence space).
//
// Memory: one is kept per side of every open connection, so every field is a small integer for
// V8 (no boxed doubles): sequence numbers as int32, states and flags packed into one integer, and
// what most connections never need (wrap counts, retransmission/checksum/zero-window counters,
// out-of-order blocks) in an EndpointRare allocated on first use. Gaps are not rare: in a capture
// cut at a snaplen every ACK of unseen payload reveals one, so their counters stay inline.

import { asInt } from './small-int.js';

/** Zeek's endpoint states (TCP_ENDPOINT_*), numbered as Zeek numbers them in scripts. */
export enum ZeekEndpointState {
  INACTIVE = 0,
  SYN_SENT = 1,
  SYN_ACK_SENT = 2,
  PARTIAL = 3,
  ESTABLISHED = 4,
  CLOSED = 5,
  RESET = 6,
}

const TWO_32 = 4294967296;
const MASK_64 = (1n << 64n) - 1n;
/** Most undelivered blocks remembered per endpoint; beyond it the highest block is forgotten. */
const MAX_BLOCKS = 32;
const NO_BLOCKS = new Float64Array(0);

// ZeekEndpoint.bits: the state (3 bits), the previous state (3 bits), closed, FIN seen, and
// whether the sequence number past the last FIN is kept in EndpointRare.finSeq.
const STATE_MASK = 0x7;
const PREV_SHIFT = 3;
const STATES_MASK = 0x3f;
const DID_CLOSE = 0x40;
const FIN_SEEN = 0x80;
const RARE_FIN_SEQ = 0x100;

/** seq_delta(): a − b as a signed 32-bit distance. */
export function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** Zeek's log-scale history letters fire at the 1st, 10th, 100th, … occurrence. */
export function isPowerOf10(n: number): boolean {
  for (let p = 1; p <= n; p *= 10) if (p === n) return true;
  return false;
}

/** The parts of an endpoint most connections never need. */
class EndpointRare {
  /** The relative sequence number of the last SYN when not 0 (a SYN at a new sequence number). */
  histLastSyn = 0;
  /** Past the last FIN, when that FIN rode a SYN or RST (see ZeekEndpoint.finSeq). */
  finSeq = 0;
  seqWraps = 0;
  ackWraps = 0;
  /** Counters behind the log-scale letters: checksum errors, retransmissions, zero windows. */
  chkCnt = 0;
  rxmtCnt = 0;
  win0Cnt = 0;
  /**
   * Undelivered blocks above lastReassemSeq: sorted, disjoint [lo, hi) pairs, allocated on the
   * first out-of-order segment.
   */
  blocks: Float64Array = NO_BLOCKS;
  blockCount = 0;
}

export class ZeekEndpoint {
  private bits = 0;
  // Unsigned 32-bit sequence numbers stored as int32 and read back unsigned.
  private startSeq32 = 0;
  private lastSeq32 = 0;
  private ackSeq32 = 0;
  /** Relative sequence numbers of the last FIN (at the end of its data) and RST, for history. */
  histLastFin = 0;
  histLastRst = 0;
  /** ConnSize: packets and IP bytes this endpoint sent (checksum-valid packets only). */
  pkts = 0;
  ipBytes = 0;
  // --- Reassembler (relative sequence space; data starts at 1, after the SYN) ---
  private lastReassemSeq = 1;
  private trimSeq = 1;
  /** Content gaps counted for the log-scale G letter, and their bytes (missed_bytes sums both sides). */
  private gapCnt = 0;
  missed = 0;
  private rare: EndpointRare | null = null;

  /** Back to a new endpoint's state (a recycled connection): every field above. */
  reset(): void {
    this.bits = 0;
    this.startSeq32 = 0;
    this.lastSeq32 = 0;
    this.ackSeq32 = 0;
    this.histLastFin = 0;
    this.histLastRst = 0;
    this.pkts = 0;
    this.ipBytes = 0;
    this.lastReassemSeq = 1;
    this.trimSeq = 1;
    this.gapCnt = 0;
    this.missed = 0;
    this.rare = null;
  }

  get state(): ZeekEndpointState {
    return this.bits & STATE_MASK;
  }

  get prevState(): ZeekEndpointState {
    return (this.bits >> PREV_SHIFT) & STATE_MASK;
  }

  /** Moves to `next`, remembering the state left as the previous state. */
  enter(next: ZeekEndpointState): void {
    const b = this.bits;
    this.bits = (b & ~STATES_MASK) | ((b & STATE_MASK) << PREV_SHIFT) | next;
  }

  /** Connection_closed was processed for this side (FIN or RST). */
  get didClose(): boolean {
    return (this.bits & DID_CLOSE) !== 0;
  }

  markClosed(): void {
    this.bits |= DID_CLOSE;
  }

  get finSeen(): boolean {
    return (this.bits & FIN_SEEN) !== 0;
  }

  /**
   * A FIN was sent; `seq` is the relative sequence number just past it. Called right after the
   * history update, which set histLastFin for a FIN without SYN or RST: then `seq` is one past it
   * and not stored.
   */
  sawFin(seq: number): void {
    if (seq === this.histLastFin + 1) this.bits = (this.bits | FIN_SEEN) & ~RARE_FIN_SEQ;
    else {
      this.rareParts().finSeq = seq;
      this.bits |= FIN_SEEN | RARE_FIN_SEQ;
    }
  }

  /** Relative sequence number just past the last FIN (meaningful once a FIN was seen). */
  get finSeq(): number {
    return (this.bits & RARE_FIN_SEQ) !== 0 ? this.rare!.finSeq : this.histLastFin + 1;
  }

  /** The relative sequence number of the last SYN (0 until a SYN at another one). */
  get histLastSyn(): number {
    return this.rare === null ? 0 : this.rare.histLastSyn;
  }

  set histLastSyn(seq: number) {
    if (seq !== 0 || this.rare !== null) this.rareParts().histLastSyn = seq;
  }

  /** First sequence number (the SYN's, or one before the first seen). */
  get startSeq(): number {
    return this.startSeq32 >>> 0;
  }

  /** Just past the highest sequence number sent. */
  get lastSeq(): number {
    return this.lastSeq32 >>> 0;
  }

  /** Highest acknowledgement the peer sent for this side. */
  get ackSeq(): number {
    return this.ackSeq32 >>> 0;
  }

  private get seqWraps(): number {
    return this.rare === null ? 0 : this.rare.seqWraps;
  }

  private get ackWraps(): number {
    return this.rare === null ? 0 : this.rare.ackWraps;
  }

  private rareParts(): EndpointRare {
    if (this.rare === null) this.rare = new EndpointRare();
    return this.rare;
  }

  // --- Log-scale counters: each returns true when its history letter is due ---

  checksumError(): boolean {
    return isPowerOf10(++this.rareParts().chkCnt);
  }

  retransmitted(): boolean {
    return isPowerOf10(++this.rareParts().rxmtCnt);
  }

  zeroWindow(): boolean {
    return isPowerOf10(++this.rareParts().win0Cnt);
  }

  // --- Sequence space ---

  /** Zeek's sequence numbers as though a SYN had been seen at `seq`. */
  initSeqs(start: number, last: number): void {
    this.startSeq32 = start | 0;
    this.ackSeq32 = start | 0;
    this.lastSeq32 = last | 0;
  }

  updateLastSeq(seq: number): void {
    if (seq >>> 0 < this.lastSeq) this.rareParts().seqWraps++;
    this.lastSeq32 = seq | 0;
  }

  updateAckSeq(seq: number): void {
    if (seq >>> 0 < this.ackSeq) this.rareParts().ackWraps++;
    this.ackSeq32 = seq | 0;
  }

  /** Relative position of a 32-bit sequence number given a wrap count. */
  private toRelative(seq: number, wraps: number): number {
    return asInt(wraps * TWO_32 + (seq >>> 0) - this.startSeq);
  }

  /** The acknowledged point, relative to the start. */
  relativeAck(): number {
    return this.toRelative(this.ackSeq, this.ackWraps);
  }

  /**
   * get_relative_seq() of a sequence number this side sent, placed in a 32-bit lap by the last
   * sequence number. Negative exactly when Zeek's underflow check fires (with a wrap the result
   * is always positive): a segment before the start (reordering or garbage).
   */
  relativeSeq(cur: number): number {
    return this.relative(cur, this.lastSeq32, this.seqWraps);
  }

  /** get_relative_seq() of an acknowledgement of this side's data, placed by the last ACK. */
  relativeAckOf(cur: number): number {
    return this.relative(cur, this.ackSeq32, this.ackWraps);
  }

  private relative(cur: number, last: number, wraps: number): number {
    const delta = seqDelta(cur, last);
    if (delta < 0) {
      if (wraps > 0 && cur >>> 0 > last >>> 0) wraps--;
    } else if (delta > 0) {
      if (cur >>> 0 < last >>> 0) wraps++;
    }
    if (wraps === 0) return seqDelta(cur, this.startSeq32);
    return this.toRelative(cur, wraps);
  }

  noDataAcked(): boolean {
    const ack = this.ackWraps * TWO_32 + this.ackSeq;
    return ack === this.startSeq || ack === this.startSeq + 1;
  }

  /**
   * Zeek's payload size from sequence space: the furthest of last sequence number and
   * acknowledged sequence number, less the start, less one for the SYN and one for a FIN.
   * Computed as Zeek's unsigned 64-bit arithmetic does (a value before the start wraps around);
   * plain numbers are exact here (below 2^53), BigInt is only needed for that wrap-around.
   */
  size(peer: ZeekEndpoint): bigint {
    const plain = this.plainSize(peer);
    return plain >= 0 ? BigInt(plain) : this.wrappedSize();
  }

  /** size() as a number (Number(size())), with no BigInt made unless it wrapped around: records carry this. */
  sizeNumber(peer: ZeekEndpoint): number {
    const plain = this.plainSize(peer);
    return plain >= 0 ? plain : Number(this.wrappedSize());
  }

  /** size() when the furthest sequence number is not before the start, else -1 (it wraps around). */
  private plainSize(peer: ZeekEndpoint): number {
    if (
      this.prevState === ZeekEndpointState.SYN_SENT &&
      this.state === ZeekEndpointState.RESET &&
      peer.state === ZeekEndpointState.INACTIVE &&
      !this.noDataAcked()
    )
      return 0;
    const diff = this.sizeSpan();
    if (diff < 0) return -1;
    let size = diff;
    if (size !== 0) size--;
    if (this.finSeen && size !== 0) size--;
    return size;
  }

  /** The wrapped-around size, as Zeek's unsigned 64-bit arithmetic gives it. */
  private wrappedSize(): bigint {
    let wrapped = BigInt(this.sizeSpan()) & MASK_64;
    wrapped--;
    if (this.finSeen) wrapped--;
    return wrapped;
  }

  /** The furthest of last and acknowledged sequence number, less the start. */
  private sizeSpan(): number {
    const last = this.seqWraps * TWO_32 + this.lastSeq;
    const ack = this.ackWraps * TWO_32 + this.ackSeq;
    return (last > ack ? last : ack) - this.startSeq;
  }

  // --- Reassembler bookkeeping ---

  /** Data [seq, seq+len) arrived (relative sequence space), already trimmed to what is unacked. */
  dataArrived(seq: number, len: number): void {
    let lo = seq;
    const hi = seq + len;
    if (hi <= this.trimSeq) return;
    if (lo < this.trimSeq) lo = this.trimSeq;
    if (hi <= this.lastReassemSeq) return;
    if (lo <= this.lastReassemSeq) {
      // In order: delivered at once, then any buffered blocks it now reaches.
      this.lastReassemSeq = hi;
      if (this.rare !== null && this.rare.blockCount > 0) this.deliverContiguous(this.rare);
      return;
    }
    this.insertBlock(this.rareParts(), lo, hi);
  }

  private deliverContiguous(r: EndpointRare): void {
    const b = r.blocks;
    let i = 0;
    while (i < r.blockCount && b[2 * i]! <= this.lastReassemSeq) {
      if (b[2 * i + 1]! > this.lastReassemSeq) this.lastReassemSeq = asInt(b[2 * i + 1]!);
      i++;
    }
    if (i > 0) removeBlocks(r, 0, i);
  }

  private insertBlock(r: EndpointRare, lo: number, hi: number): void {
    if (r.blocks === NO_BLOCKS) r.blocks = new Float64Array(MAX_BLOCKS * 2);
    const b = r.blocks;
    // Find the first block ending at or after lo, merge every block overlapping or touching [lo, hi).
    let i = 0;
    while (i < r.blockCount && b[2 * i + 1]! < lo) i++;
    let j = i;
    while (j < r.blockCount && b[2 * j]! <= hi) {
      if (b[2 * j]! < lo) lo = b[2 * j]!;
      if (b[2 * j + 1]! > hi) hi = b[2 * j + 1]!;
      j++;
    }
    if (j > i) {
      b[2 * i] = lo;
      b[2 * i + 1] = hi;
      if (j > i + 1) removeBlocks(r, i + 1, j);
      return;
    }
    if (r.blockCount === MAX_BLOCKS) {
      if (i === MAX_BLOCKS) return;
      r.blockCount--;
    }
    b.copyWithin(2 * i + 2, 2 * i, 2 * r.blockCount);
    b[2 * i] = lo;
    b[2 * i + 1] = hi;
    r.blockCount++;
  }

  /**
   * Whether `ack` (relative) is at or below the trimmed point: ackReceived() would then change
   * nothing and return 0 (a FIN only lowers the ACK it considers).
   */
  isTrimmed(ack: number): boolean {
    return ack <= this.trimSeq;
  }

  /**
   * The peer acknowledged up to `ack` (relative): everything below is trimmed; holes between the
   * delivered point and `ack` are content gaps, unless the connection is partial and the ACK only
   * covers the faked SYN/FIN octets (Zeek ignores those). Each gap counts towards the log-scale
   * G letter when `countGaps`, and its length towards missed bytes when `countMissed`. Returns
   * how many G letters are due.
   */
  ackReceived(ack: number, partial: boolean, countGaps: boolean, countMissed: boolean): number {
    if (this.finSeen && ack >= this.finSeq) ack = this.finSeq - 1;
    if (ack <= this.trimSeq) return 0;
    let letters = 0;
    const r = this.rare;
    if (ack > this.lastReassemSeq && !(ack <= 2 && partial)) {
      let i = 0;
      if (r !== null) {
        const b = r.blocks;
        while (i < r.blockCount && b[2 * i]! < ack) {
          const lo = b[2 * i]!;
          if (lo > this.lastReassemSeq) letters += this.gap(lo - this.lastReassemSeq, countGaps, countMissed);
          if (b[2 * i + 1]! > this.lastReassemSeq) this.lastReassemSeq = asInt(b[2 * i + 1]!);
          i++;
        }
      }
      if (ack > this.lastReassemSeq) {
        letters += this.gap(ack - this.lastReassemSeq, countGaps, countMissed);
        this.lastReassemSeq = ack;
      }
      if (r !== null) {
        removeBlocks(r, 0, i);
        this.deliverContiguous(r);
      }
    } else if (r !== null) {
      // Drop buffered blocks wholly below the ACK.
      const b = r.blocks;
      let i = 0;
      while (i < r.blockCount && b[2 * i + 1]! <= ack) i++;
      if (i > 0) removeBlocks(r, 0, i);
    }
    if (ack > this.trimSeq) this.trimSeq = ack;
    return letters;
  }

  /** One content gap of `len` bytes; returns 1 when its G letter is due. */
  private gap(len: number, countGaps: boolean, countMissed: boolean): number {
    if (countMissed) this.missed = asInt(this.missed + len);
    return countGaps && isPowerOf10(++this.gapCnt) ? 1 : 0;
  }
}

function removeBlocks(r: EndpointRare, from: number, to: number): void {
  r.blocks.copyWithin(2 * from, 2 * to, 2 * r.blockCount);
  r.blockCount -= to - from;
}
