// Wireshark's view of TCP streams (tshark 4.0, epan/dissectors/packet-tcp.c): which packets share a
// `tcp.stream`, and the per-direction facts its sequence analysis keeps. Owns the stream table
// (4-tuple → newest stream), the port-reuse split, and the flow state fields. The rules that read
// and update these fields live in wireshark.ts. Nothing here is RFC behaviour: it restates what
// Wireshark does so that our tags match tshark's, packet for packet.

import type { Packet } from '../wire/packet.js';
import { FourTuple } from './four-tuple.js';

/** Wireshark's `tcp_analysis` flag bits (TCP_A_*), used internally before mapping to our kinds. */
export enum WsFlag {
  RETRANSMISSION = 0x0001,
  LOST_PACKET = 0x0002,
  ACK_LOST_PACKET = 0x0004,
  KEEP_ALIVE = 0x0008,
  DUPLICATE_ACK = 0x0010,
  ZERO_WINDOW = 0x0020,
  ZERO_WINDOW_PROBE = 0x0040,
  ZERO_WINDOW_PROBE_ACK = 0x0080,
  KEEP_ALIVE_ACK = 0x0100,
  OUT_OF_ORDER = 0x0200,
  FAST_RETRANSMISSION = 0x0400,
  WINDOW_UPDATE = 0x0800,
  WINDOW_FULL = 0x1000,
  REUSED_PORTS = 0x2000,
  SPURIOUS_RETRANSMISSION = 0x4000,
}

/** Wireshark stores at most this many unacknowledged segments per direction (packet-tcp.h). */
export const MAX_UNACKED_SEGMENTS = 10000;

/** Window scale shift: not yet known (no SYN seen). */
export const WSCALE_UNKNOWN = -1;
/** Window scale: known not to be in use (the handshake did not negotiate it). */
export const WSCALE_NONE = -2;

const NO_UNACKED = new Uint32Array(0);

/** Longest unacked list kept for reuse; a bulk flow's longer list goes back to the GC. */
const POOLED_MAX_LENGTH = 64;
/** Most unacked lists kept for reuse. */
const POOL_MAX = 4096;

/**
 * Unacked lists lent to the flows that have unacknowledged segments and taken back when a flow's
 * list empties: the thousands of quiet streams a table remembers (TIME_WAIT, idle) hold none,
 * and a busy one does not allocate per segment.
 */
export class UnackedPool {
  private readonly free: Uint32Array[] = [];

  take(): Uint32Array {
    return this.free.pop() ?? new Uint32Array(8);
  }

  give(list: Uint32Array): void {
    if (list.length <= POOLED_MAX_LENGTH && this.free.length < POOL_MAX) this.free.push(list);
  }
}

/**
 * One direction of a stream (Wireshark's tcp_flow_t + tcp_analyze_seq_flow_info_t). All sequence
 * fields are unsigned 32-bit values; 0 doubles as "not yet seen", exactly as in Wireshark. Times
 * are seconds since the table's first packet (small integers, not boxed doubles).
 */
export class WsFlow {
  // The unsigned 32-bit sequence fields are stored as int32 (small integers for V8, where a value
  // of 2^31 or more would be a boxed double in every flow) and read back unsigned.
  private baseSeq32 = 0;
  private nextseq32 = 0;
  private maxseqtobeacked32 = 0;
  private lastack32 = 0;
  baseSeqSet = false;
  /** Base sequence number (relative numbering). */
  get baseSeq(): number {
    return this.baseSeq32 >>> 0;
  }
  set baseSeq(v: number) {
    this.baseSeq32 = v | 0;
  }

  /** Shift from a window-scale option, or WSCALE_UNKNOWN / WSCALE_NONE. */
  winScale = WSCALE_UNKNOWN;
  /**
   * Last raw (unscaled) window this direction advertised; starts at Wireshark's 2^32-1, kept as
   * -1: the same 32 bits to `<<`, equal to no 16-bit window, and a small integer for V8.
   */
  window = -1;
  /** Set by this direction's SYN, cleared by its first pure ACK (issue 14690's window-full guard). */
  isFirstAck = false;
  /** Highest sequence number seen + length (+1 for SYN/FIN). */
  get nextseq(): number {
    return this.nextseq32 >>> 0;
  }
  set nextseq(v: number) {
    this.nextseq32 = v | 0;
  }

  nextseqSec = 0;
  nextseqNsec = 0;
  /** Highest contiguous sequence number: what the peer may legitimately acknowledge. */
  get maxseqtobeacked(): number {
    return this.maxseqtobeacked32 >>> 0;
  }
  set maxseqtobeacked(v: number) {
    this.maxseqtobeacked32 = v | 0;
  }

  /** Last ACK field this direction sent (raw, even without the ACK flag). */
  get lastack(): number {
    return this.lastack32 >>> 0;
  }
  set lastack(v: number) {
    this.lastack32 = v | 0;
  }

  lastackSec = 0;
  lastackNsec = 0;
  /**
   * Duplicate-ACK counter, unsigned 32-bit in Wireshark, whose 0xffffffff ("-1": ACKed-unseen
   * seen) is kept as -1 here (a small integer); read it unsigned with `>>> 0`.
   */
  dupacknum = 0;
  /** Wireshark flags of this direction's previous segment. */
  lastSegmentFlags = 0;
  /** nextseq of each segment not yet acknowledged by the peer (only the count and ends matter). */
  unacked: Uint32Array = NO_UNACKED;
  unackedCount = 0;

  addUnacked(nextseq: number, pool: UnackedPool): void {
    if (this.unacked === NO_UNACKED) this.unacked = pool.take();
    else if (this.unackedCount === this.unacked.length) {
      const grown = new Uint32Array(this.unacked.length * 2);
      grown.set(this.unacked);
      pool.give(this.unacked);
      this.unacked = grown;
    }
    this.unacked[this.unackedCount++] = nextseq;
  }

  /** Forget segments that `ack` covers: Wireshark drops a segment unless its end is after ack. */
  removeAcked(ack: number, pool: UnackedPool): void {
    const list = this.unacked;
    let kept = 0;
    for (let i = 0; i < this.unackedCount; i++) {
      const end = list[i]!;
      if (((end - ack) | 0) > 0) list[kept++] = end;
    }
    this.unackedCount = kept;
    if (kept === 0 && list !== NO_UNACKED) {
      pool.give(list);
      this.unacked = NO_UNACKED;
    }
  }
}

/** One `tcp.stream`: the two endpoints (a = the sender of its first packet) and both flows. */
export class WsStream extends FourTuple {
  readonly index: number;
  /** flows[0]: sent by endpoint a; flows[1]: sent by endpoint b. */
  readonly flows: [WsFlow, WsFlow] = [new WsFlow(), new WsFlow()];
  /** Time of the most recent pure SYN (seconds + nanoseconds), for the initial RTT. */
  synSeen = false;
  synSec = 0;
  synNsec = 0;
  /** Handshake RTT in ns (SYN → first ACK without SYN); 0 = not known (Wireshark's zero nstime). */
  firstRttNs = 0;
  /** Next stream in the same hash bucket, and the bucket's key. */
  hashNext: WsStream | null = null;
  key = 0;
  /** Least recently seen first: the order in which idle streams are forgotten. */
  lruPrev: WsStream | null = null;
  lruNext: WsStream | null = null;
  lastUsec = 0;
  /** Still in the table (a replaced or forgotten stream is not). */
  listed = true;

  constructor(index: number, pkt: Packet) {
    super();
    this.index = index;
    this.setTuple(pkt);
  }
}

/** Buckets of the stream hash table at first; doubled when streams outnumber them. */
const INITIAL_BUCKETS = 1024;

function endpointHash(addr: Uint8Array, n: number, port: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ addr[i], 0x01000193);
  h = Math.imul(h ^ (port & 0xff), 0x01000193);
  h = Math.imul(h ^ (port >>> 8), 0x01000193);
  return h >>> 0;
}

/**
 * Wireshark's conversation table for TCP, as the first pass sees it: a packet belongs to the newest
 * stream on its 4-tuple (either direction); a 4-tuple seen for the first time starts a stream.
 * Streams are numbered from 0 in order of creation, like tcp.stream.
 */
export class WsStreamTable {
  // Chained hash table over an array indexed by the key's low bits (no Map of boxed number keys).
  private buckets: (WsStream | null)[] = new Array<WsStream | null>(INITIAL_BUCKETS).fill(null);
  private mask = INITIAL_BUCKETS - 1;
  private nextIndex = 0;
  private lruHead: WsStream | null = null;
  private lruTail: WsStream | null = null;
  private count = 0;

  /**
   * tshark remembers every stream of a file; a tracker meant for captures of any size cannot.
   * Streams silent for `forgetAfterUsec` of capture time, and the least recently seen ones beyond
   * `maxStreams`, are forgotten (defaults: never): a later segment on their 4-tuple starts a fresh
   * stream, where tshark would continue the old one (and flag a new SYN as port reuse).
   */
  constructor(
    private readonly forgetAfterUsec = Number.POSITIVE_INFINITY,
    private readonly maxStreams = Number.POSITIVE_INFINITY,
  ) {}

  get streamCount(): number {
    return this.nextIndex;
  }

  /** Streams currently remembered. */
  get size(): number {
    return this.count;
  }

  /** Numeric key of pkt's 4-tuple, the same for both directions. */
  private keyOf(pkt: Packet): number {
    const n = pkt.ipVersion === 6 ? 16 : 4;
    const hs = endpointHash(pkt.src, n, pkt.srcPort);
    const hd = endpointHash(pkt.dst, n, pkt.dstPort);
    const lo = Math.min(hs, hd);
    const hi = Math.max(hs, hd);
    // 30 bits: a small integer in each stream (no boxed double).
    return (Math.imul(lo, 0x9e3779b1) ^ hi ^ (pkt.ipVersion << 24)) & 0x3fffffff;
  }

  /** The current stream of pkt's 4-tuple, or null when none exists. */
  find(pkt: Packet): WsStream | null {
    this.forgetIdle(pkt.tsUsec);
    for (let s: WsStream | null = this.buckets[this.keyOf(pkt) & this.mask]!; s !== null; s = s.hashNext) {
      if (s.directionOf(pkt) >= 0) {
        this.touch(s, pkt.tsUsec);
        return s;
      }
    }
    return null;
  }

  /** Starts a new stream for pkt's 4-tuple, replacing the current one (port reuse) if any. */
  create(pkt: Packet): WsStream {
    const key = this.keyOf(pkt);
    const fresh = new WsStream(this.nextIndex++, pkt);
    fresh.key = key;
    this.count++;
    this.touch(fresh, pkt.tsUsec);
    let prev: WsStream | null = null;
    const bi = key & this.mask;
    for (let s: WsStream | null = this.buckets[bi]!; s !== null; prev = s, s = s.hashNext) {
      if (s.directionOf(pkt) >= 0) {
        fresh.hashNext = s.hashNext;
        if (prev === null) this.buckets[bi] = fresh;
        else prev.hashNext = fresh;
        s.hashNext = null;
        s.listed = false;
        this.unlinkLru(s);
        this.count--;
        this.evictOverflow();
        return fresh;
      }
    }
    if (this.count > this.buckets.length) this.growBuckets();
    const i = key & this.mask;
    fresh.hashNext = this.buckets[i]!;
    this.buckets[i] = fresh;
    this.evictOverflow();
    return fresh;
  }

  /** Doubles the bucket array and rehashes every listed stream into it. */
  private growBuckets(): void {
    const old = this.buckets;
    const size = old.length * 2;
    this.buckets = new Array<WsStream | null>(size).fill(null);
    this.mask = size - 1;
    for (let s of old) {
      while (s !== null && s !== undefined) {
        const next: WsStream | null = s.hashNext;
        const i = s.key & this.mask;
        s.hashNext = this.buckets[i]!;
        this.buckets[i] = s;
        s = next;
      }
    }
  }

  private forgetIdle(now: number): void {
    while (this.lruHead !== null && now - this.lruHead.lastUsec > this.forgetAfterUsec)
      this.forget(this.lruHead);
  }

  private evictOverflow(): void {
    while (this.count > this.maxStreams && this.lruHead !== null) this.forget(this.lruHead);
  }

  private forget(s: WsStream): void {
    this.unlinkLru(s);
    const bi = s.key & this.mask;
    let p: WsStream | null = this.buckets[bi]!;
    if (p === s) {
      this.buckets[bi] = s.hashNext;
    } else {
      while (p !== null && p.hashNext !== s) p = p.hashNext;
      if (p !== null) p.hashNext = s.hashNext;
    }
    s.hashNext = null;
    s.listed = false;
    this.count--;
  }

  private touch(s: WsStream, now: number): void {
    s.lastUsec = now;
    if (this.lruTail === s) return;
    this.unlinkLru(s);
    s.lruPrev = this.lruTail;
    if (this.lruTail !== null) this.lruTail.lruNext = s;
    else this.lruHead = s;
    this.lruTail = s;
  }

  private unlinkLru(s: WsStream): void {
    if (s.lruPrev !== null) s.lruPrev.lruNext = s.lruNext;
    else if (this.lruHead === s) this.lruHead = s.lruNext;
    if (s.lruNext !== null) s.lruNext.lruPrev = s.lruPrev;
    else if (this.lruTail === s) this.lruTail = s.lruPrev;
    s.lruPrev = null;
    s.lruNext = null;
  }
}
