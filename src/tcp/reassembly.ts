// The receiver's out-of-order queue (RFC 9293 §3.10.7.4 step 7: segments beyond RCV.NXT may be
// held) and the SACK blocks it implies (RFC 2018 §4: the block holding the most recent segment
// first, at most three when timestamps take room).

import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';

interface Held {
  seq: number;
  data: Uint8Array;
  fin: boolean;
}

export class ReassemblyQueue {
  private held: Held[] = [];
  /** Left edge of the most recently received out-of-order segment (reported first). */
  private lastSeq = -1;

  get isEmpty(): boolean {
    return this.held.length === 0;
  }

  /** Keep a segment that starts beyond RCV.NXT (already trimmed to the window). */
  insert(seq: number, data: Uint8Array, fin: boolean): void {
    this.lastSeq = seq;
    let i = 0;
    while (i < this.held.length && seqLt(this.held[i].seq, seq)) i++;
    this.held.splice(i, 0, { seq, data, fin });
  }

  /**
   * Remove what is now contiguous with rcvNxt. Returns the data in order and whether a FIN
   * ends it (the caller advances RCV.NXT past the bytes and the FIN).
   */
  takeContiguous(rcvNxt: number): { chunks: Uint8Array[]; fin: boolean; next: number } {
    const chunks: Uint8Array[] = [];
    let next = rcvNxt;
    let fin = false;
    while (this.held.length > 0 && !fin) {
      const h = this.held[0];
      if (seqGt(h.seq, next)) break;
      this.held.shift();
      const end = seqAdd(h.seq, h.data.length);
      if (seqGt(end, next)) {
        chunks.push(h.data.subarray(seqDiff(next, h.seq)));
        next = end;
      }
      if (h.fin && seqGe(next, end)) fin = true;
    }
    if (fin) this.held = [];
    return { chunks, fin, next };
  }

  /** SACK blocks ([left, right)) above rcvNxt, the one holding the latest arrival first (RFC 2018 §4). */
  sackBlocks(max: number): [number, number][] {
    const blocks: [number, number][] = [];
    for (const h of this.held) {
      const end = seqAdd(h.seq, h.data.length);
      const last = blocks[blocks.length - 1];
      if (last && seqLe(h.seq, last[1])) {
        if (seqGt(end, last[1])) last[1] = end;
      } else if (h.data.length > 0) blocks.push([h.seq, end]);
    }
    const recent = blocks.findIndex((b) => seqGe(this.lastSeq, b[0]) && seqLe(this.lastSeq, b[1]));
    if (recent > 0) blocks.unshift(...blocks.splice(recent, 1));
    return blocks.slice(0, max);
  }
}
