// One endpoint as Zeek's TCP analyzer sees it (TCP_Endpoint): its coarse state, its sequence
// space (start, last and acknowledged sequence numbers with 32-bit wrap counts), the counters
// behind the log-scale history letters, and the content-gap bookkeeping of Zeek's reassembler
// (which data above the delivered point arrived, so an ACK beyond it reveals a gap). Restated
// from Zeek's TCP_Endpoint / TCP_Reassembler / Reassem, not copied. RFC 9293 §3.4 (sequence space).

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
/** Most undelivered blocks remembered per endpoint; beyond it the highest block is forgotten. */
const MAX_BLOCKS = 32;
const NO_BLOCKS = new Float64Array(0);

/** seq_delta(): a − b as a signed 32-bit distance. */
export function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

export class ZeekEndpoint {
  state = ZeekEndpointState.INACTIVE;
  prevState = ZeekEndpointState.INACTIVE;
  // Unsigned 32-bit sequence numbers stored as int32 (small integers for V8, not boxed doubles)
  // and read back unsigned.
  private startSeq32 = 0;
  private lastSeq32 = 0;
  private ackSeq32 = 0;
  /** First sequence number (the SYN's, or one before the first seen). */
  get startSeq(): number {
    return this.startSeq32 >>> 0;
  }
  set startSeq(v: number) {
    this.startSeq32 = v | 0;
  }
  /** Just past the highest sequence number sent. */
  get lastSeq(): number {
    return this.lastSeq32 >>> 0;
  }
  set lastSeq(v: number) {
    this.lastSeq32 = v | 0;
  }
  /** Highest acknowledgement the peer sent for this side. */
  get ackSeq(): number {
    return this.ackSeq32 >>> 0;
  }
  set ackSeq(v: number) {
    this.ackSeq32 = v | 0;
  }

  seqWraps = 0;
  ackWraps = 0;
  finCnt = 0;
  rstCnt = 0;
  /** Relative sequence number just past the FIN. */
  finSeq = 0;
  didClose = false;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  /** Log-scale counters and thresholds: checksum errors, retransmissions, zero windows, gaps. */
  chkCnt = 0;
  chkThresh = 1;
  rxmtCnt = 0;
  rxmtThresh = 1;
  win0Cnt = 0;
  win0Thresh = 1;
  gapCnt = 0;
  gapThresh = 1;
  /** ConnSize: packets and IP bytes this endpoint sent (checksum-valid packets only). */
  pkts = 0;
  ipBytes = 0;

  // --- Reassembler (relative sequence space; data starts at 1, after the SYN) ---
  lastReassemSeq = 1;
  trimSeq = 1;
  /**
   * Undelivered blocks above lastReassemSeq: sorted, disjoint [lo, hi) pairs. Allocated on the first
   * out-of-order segment: most connections never have one, and a table of 10^5 open connections
   * should not carry 1 KiB of empty blocks each.
   */
  blocks: Float64Array = NO_BLOCKS;
  blockCount = 0;
  /** Set by ackReceived(): how many holes the ACK revealed and their total length. */
  gapEvents = 0;
  gapBytes = 0;

  private gap(len: number): void {
    this.gapEvents++;
    this.gapBytes += len;
  }

  reset(): void {
    this.state = ZeekEndpointState.INACTIVE;
    this.prevState = ZeekEndpointState.INACTIVE;
    this.startSeq = 0;
    this.lastSeq = 0;
    this.ackSeq = 0;
    this.seqWraps = 0;
    this.ackWraps = 0;
    this.finCnt = 0;
    this.rstCnt = 0;
    this.finSeq = 0;
    this.didClose = false;
    this.histLastSyn = 0;
    this.histLastFin = 0;
    this.histLastRst = 0;
    this.chkCnt = 0;
    this.chkThresh = 1;
    this.rxmtCnt = 0;
    this.rxmtThresh = 1;
    this.win0Cnt = 0;
    this.win0Thresh = 1;
    this.gapCnt = 0;
    this.gapThresh = 1;
    this.pkts = 0;
    this.ipBytes = 0;
    this.lastReassemSeq = 1;
    this.trimSeq = 1;
    this.blockCount = 0;
  }

  /** Zeek's sequence numbers as though a SYN had been seen at `seq`. */
  initSeqs(start: number, last: number): void {
    this.startSeq = start >>> 0;
    this.ackSeq = start >>> 0;
    this.lastSeq = last >>> 0;
  }

  updateLastSeq(seq: number): void {
    seq >>>= 0;
    if (seq < this.lastSeq) this.seqWraps++;
    this.lastSeq = seq;
  }

  updateAckSeq(seq: number): void {
    seq >>>= 0;
    if (seq < this.ackSeq) this.ackWraps++;
    this.ackSeq = seq;
  }

  /** Relative position of a 32-bit sequence number given a wrap count. */
  toRelative(seq: number, wraps: number): number {
    return wraps * TWO_32 + (seq >>> 0) - this.startSeq;
  }

  /**
   * get_relative_seq(): `cur` relative to the start, using `last` and `wraps` to tell which 32-bit
   * lap it belongs to. Sets `underflow` when it falls before the start (reordering or garbage).
   */
  relativeSeq(cur: number, last: number, wraps: number): number {
    const delta = seqDelta(cur, last);
    if (delta < 0) {
      if (wraps > 0 && cur >>> 0 > last >>> 0) wraps--;
    } else if (delta > 0) {
      if (cur >>> 0 < last >>> 0) wraps++;
    }
    if (wraps === 0) {
      const d = seqDelta(cur, this.startSeq);
      this.underflow = d < 0;
      return d;
    }
    this.underflow = false;
    return this.toRelative(cur, wraps);
  }

  /** Set by relativeSeq(). */
  underflow = false;

  noDataAcked(): boolean {
    const ack = this.ackWraps * TWO_32 + this.ackSeq;
    return ack === this.startSeq || ack === this.startSeq + 1;
  }

  /**
   * Zeek's payload size from sequence space: the furthest of last sequence number and
   * acknowledged sequence number, less the start, less one for the SYN and one for a FIN.
   * Computed as Zeek's unsigned 64-bit arithmetic does (a value before the start wraps around).
   */
  size(peer: ZeekEndpoint): bigint {
    if (
      this.prevState === ZeekEndpointState.SYN_SENT &&
      this.state === ZeekEndpointState.RESET &&
      peer.state === ZeekEndpointState.INACTIVE &&
      !this.noDataAcked()
    )
      return 0n;
    const last = BigInt(this.seqWraps) * 4294967296n + BigInt(this.lastSeq);
    const ack = BigInt(this.ackWraps) * 4294967296n + BigInt(this.ackSeq);
    const mask = (1n << 64n) - 1n;
    let size = ((last > ack ? last : ack) - BigInt(this.startSeq)) & mask;
    if (size !== 0n) size--;
    if (this.finCnt > 0 && size !== 0n) size--;
    return size;
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
      this.deliverContiguous();
      return;
    }
    this.insertBlock(lo, hi);
  }

  private deliverContiguous(): void {
    const b = this.blocks;
    let i = 0;
    while (i < this.blockCount && b[2 * i]! <= this.lastReassemSeq) {
      if (b[2 * i + 1]! > this.lastReassemSeq) this.lastReassemSeq = b[2 * i + 1]!;
      i++;
    }
    if (i > 0) this.removeBlocks(0, i);
  }

  private insertBlock(lo: number, hi: number): void {
    if (this.blocks === NO_BLOCKS) this.blocks = new Float64Array(MAX_BLOCKS * 2);
    const b = this.blocks;
    // Find the first block ending at or after lo, merge every block overlapping or touching [lo, hi).
    let i = 0;
    while (i < this.blockCount && b[2 * i + 1]! < lo) i++;
    let j = i;
    while (j < this.blockCount && b[2 * j]! <= hi) {
      if (b[2 * j]! < lo) lo = b[2 * j]!;
      if (b[2 * j + 1]! > hi) hi = b[2 * j + 1]!;
      j++;
    }
    if (j > i) {
      b[2 * i] = lo;
      b[2 * i + 1] = hi;
      if (j > i + 1) this.removeBlocks(i + 1, j);
      return;
    }
    if (this.blockCount === MAX_BLOCKS) {
      if (i === MAX_BLOCKS) return;
      this.blockCount--;
    }
    b.copyWithin(2 * i + 2, 2 * i, 2 * this.blockCount);
    b[2 * i] = lo;
    b[2 * i + 1] = hi;
    this.blockCount++;
  }

  private removeBlocks(from: number, to: number): void {
    this.blocks.copyWithin(2 * from, 2 * to, 2 * this.blockCount);
    this.blockCount -= to - from;
  }

  /**
   * The peer acknowledged up to `ack` (relative): everything below is trimmed; holes between the
   * delivered point and `ack` are content gaps, counted in `gapEvents` / `gapBytes`, unless the
   * connection is partial and the ACK only covers the faked SYN/FIN octets (Zeek ignores those).
   */
  ackReceived(ack: number, partial: boolean): void {
    this.gapEvents = 0;
    this.gapBytes = 0;
    if (this.finCnt > 0 && ack >= this.finSeq) ack = this.finSeq - 1;
    if (ack <= this.trimSeq) return;
    if (ack > this.lastReassemSeq && !(ack <= 2 && partial)) {
      const b = this.blocks;
      let i = 0;
      while (i < this.blockCount && b[2 * i]! < ack) {
        const lo = b[2 * i]!;
        if (lo > this.lastReassemSeq) this.gap(lo - this.lastReassemSeq);
        if (b[2 * i + 1]! > this.lastReassemSeq) this.lastReassemSeq = b[2 * i + 1]!;
        i++;
      }
      if (ack > this.lastReassemSeq) {
        this.gap(ack - this.lastReassemSeq);
        this.lastReassemSeq = ack;
      }
      this.removeBlocks(0, i);
      this.deliverContiguous();
    } else {
      // Drop buffered blocks wholly below the ACK.
      const b = this.blocks;
      let i = 0;
      while (i < this.blockCount && b[2 * i + 1]! <= ack) i++;
      if (i > 0) this.removeBlocks(0, i);
    }
    if (ack > this.trimSeq) this.trimSeq = ack;
  }
}
