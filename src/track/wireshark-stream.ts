// Wireshark's view of TCP streams (tshark 4.0, epan/dissectors/packet-tcp.c): which packets share a
// `tcp.stream`, and the per-direction facts its sequence analysis keeps. Owns the streams' fields,
// their numbering, the port-reuse split and when a stream is forgotten. A stream lives in the
// 4-tuple's slot (flow-slots.ts: hash table, 4-tuple and use order shared with the flow table's
// connection); its own lifetime differs from the connection's and is this file's. The rules that
// read and update these fields live in wireshark.ts. Nothing here is RFC behaviour: it restates
// what Wireshark does so that our tags match tshark's, packet for packet.
//
// Memory: a capture may hold 10^5 open streams, so a stream is not an object but the slot's row
// in fixed-size chunks of typed arrays (int32 fields, plus float64 fields for the times that may
// exceed int32): 184 bytes a stream, nothing for the GC to trace, no boxed doubles. A flow's first
// two unacknowledged segments sit in its row (a SYN flood's streams need nothing more); only
// longer lists are borrowed from a pool. WsStream and WsFlow are views of one row: the fields most
// packets use are copied in and written back, the rarely used ones read and written in place.

import type { FlowSlots } from './flow-slots.js';

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

// ---- Row layout ----
/** tcp.stream number. */
const S_INDEX = 0;
/** SF_* bits. */
const S_FLAGS = 1;
const S_SYN_NSEC = 2;
const S_FLOW = 3;
// Int32 fields of a flow (direction), from S_FLOW + dir * FLOW_INTS. Sequence numbers are the
// unsigned 32-bit values stored as int32 and read back unsigned.
const F_BASE_SEQ = 0;
const F_NEXTSEQ = 1;
const F_MAXSEQ = 2;
const F_LASTACK = 3;
const F_WINDOW = 4;
const F_WSCALE = 5;
/** FF_* bits. */
const F_FLAGS = 6;
const F_DUPACK = 7;
const F_LAST_SEGMENT_FLAGS = 8;
const F_NEXTSEQ_NSEC = 9;
const F_LASTACK_NSEC = 10;
/** Segments not yet acknowledged: up to UNACKED_INLINE of them in F_UNACKED, more in a pooled list. */
const F_UNACKED_COUNT = 11;
/**
 * The unacked segment ends while there are at most UNACKED_INLINE; beyond, the first field holds
 * the id of the flow's list in the UnackedPool (which then holds them all).
 */
const F_UNACKED = 12;
const UNACKED_INLINE = 2;
const FLOW_INTS = F_UNACKED + UNACKED_INLINE;
const INTS = S_FLOW + 2 * FLOW_INTS;
// Float64 fields (capture seconds can exceed int32; the RTT in ns does past 2.1 s).
/** Capture time of the last packet, kept only when streams can be forgotten. */
const D_LAST_USEC = 0;
const D_SYN_SEC = 1;
const D_FIRST_RTT_NS = 2;
const D_FLOW = 3;
const FD_NEXTSEQ_SEC = 0;
const FD_LASTACK_SEC = 1;
const FLOW_DOUBLES = 2;
const DOUBLES = D_FLOW + 2 * FLOW_DOUBLES;
// A slot is its int32 fields then its float64 fields, contiguous (fewer cache lines per packet):
// both typed arrays of a chunk view the same buffer.
const D_BASE = (INTS + 1) >> 1;
const SLOT_DOUBLES = D_BASE + DOUBLES;
const SLOT_INTS = 2 * SLOT_DOUBLES;

const SF_SYN_SEEN = 2;
const FF_BASE_SEQ_SET = 1;
const FF_FIRST_ACK = 2;

/** Rows per chunk: a chunk is allocated whole (≈ 190 KB) and never moved. */
const CHUNK_SHIFT = 10;
const CHUNK_SLOTS = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SLOTS - 1;

/** Longest unacked list kept for reuse; a bulk flow's longer list goes back to the GC. */
const POOLED_MAX_LENGTH = 64;
/** Most unacked lists kept for reuse. */
const POOL_MAX = 4096;

/**
 * Unacked lists lent to the flows that have unacknowledged segments and taken back when a flow's
 * list empties: the thousands of quiet streams a table remembers (TIME_WAIT, idle) hold none,
 * and a busy one does not allocate per segment. A flow holds the id of its list.
 */
class UnackedPool {
  readonly lists: Uint32Array[] = [];
  private readonly freeIds: number[] = [];
  private readonly spare: Uint32Array[] = [];

  take(): number {
    const list = this.spare.pop() ?? new Uint32Array(8);
    const id = this.freeIds.pop();
    if (id === undefined) return this.lists.push(list) - 1;
    this.lists[id] = list;
    return id;
  }

  /** Replaces list `id` by a copy twice as long. */
  grow(id: number): Uint32Array {
    const old = this.lists[id]!;
    const grown = new Uint32Array(old.length * 2);
    grown.set(old);
    this.recycle(old);
    this.lists[id] = grown;
    return grown;
  }

  give(id: number): void {
    this.recycle(this.lists[id]!);
    this.lists[id] = EMPTY_LIST;
    this.freeIds.push(id);
  }

  private recycle(list: Uint32Array): void {
    if (list.length <= POOLED_MAX_LENGTH && this.spare.length < POOL_MAX) this.spare.push(list);
  }
}

const EMPTY_LIST = new Uint32Array(0);
const EMPTY_INTS = new Int32Array(INTS);
const EMPTY_DOUBLES = new Float64Array(DOUBLES);

/**
 * One direction of a stream (Wireshark's tcp_flow_t + tcp_analyze_seq_flow_info_t), seen through
 * its slot. The fields most rules read are copied in for the current packet and written back
 * after it (plain fields are quicker to work on than typed-array reads spread over the rules);
 * the ones a packet rarely reads or writes (base sequence number, window scale, the two times)
 * are read and written in the slot directly, so that loading and saving skip them. All sequence
 * fields are unsigned 32-bit values; 0 doubles as "not yet seen", exactly as in Wireshark.
 */
export class WsFlow {
  private ints: Int32Array = EMPTY_INTS;
  private doubles: Float64Array = EMPTY_DOUBLES;
  private o = 0;
  private od = 0;
  // The unsigned 32-bit sequence fields are kept as int32 (as in the slot) and read back unsigned.
  private nextseq32 = 0;
  private maxseqtobeacked32 = 0;
  private lastack32 = 0;
  baseSeqSet = false;
  /**
   * Last raw (unscaled) window this direction advertised; starts at Wireshark's 2^32-1, kept as
   * -1: the same 32 bits to `<<`, and equal to no 16-bit window.
   */
  window = -1;
  /** Set by this direction's SYN, cleared by its first pure ACK (issue 14690's window-full guard). */
  isFirstAck = false;
  /**
   * Duplicate-ACK counter, unsigned 32-bit in Wireshark, whose 0xffffffff ("-1": ACKed-unseen
   * seen) is kept as -1 here; read it unsigned with `>>> 0`.
   */
  dupacknum = 0;
  /** Wireshark flags of this direction's previous segment. */
  lastSegmentFlags = 0;
  /** Segments not yet acknowledged by the peer. */
  unackedCount = 0;
  // Their ends (int32) while unackedCount <= UNACKED_INLINE; beyond, unacked0 is the pool list's id.
  private unacked0 = 0;
  private unacked1 = 0;

  constructor(private readonly pool: UnackedPool) {}

  /** Copies in direction `dir` of the stream whose fields start at (o, od). */
  load(ints: Int32Array, doubles: Float64Array, o: number, od: number, dir: number): void {
    this.ints = ints;
    this.doubles = doubles;
    const f = o + S_FLOW + dir * FLOW_INTS;
    this.o = f;
    this.od = od + D_FLOW + dir * FLOW_DOUBLES;
    this.nextseq32 = ints[f + F_NEXTSEQ]!;
    this.maxseqtobeacked32 = ints[f + F_MAXSEQ]!;
    this.lastack32 = ints[f + F_LASTACK]!;
    const flags = ints[f + F_FLAGS]!;
    this.baseSeqSet = (flags & FF_BASE_SEQ_SET) !== 0;
    this.isFirstAck = (flags & FF_FIRST_ACK) !== 0;
    this.window = ints[f + F_WINDOW]!;
    this.dupacknum = ints[f + F_DUPACK]!;
    this.lastSegmentFlags = ints[f + F_LAST_SEGMENT_FLAGS]!;
    this.unackedCount = ints[f + F_UNACKED_COUNT]!;
    this.unacked0 = ints[f + F_UNACKED]!;
    this.unacked1 = ints[f + F_UNACKED + 1]!;
  }

  /** Writes the copied fields back to the slot load() read them from (the sender's flow). */
  save(): void {
    const ints = this.ints;
    const f = this.o;
    ints[f + F_NEXTSEQ] = this.nextseq32;
    ints[f + F_LASTACK] = this.lastack32;
    ints[f + F_WINDOW] = this.window;
    ints[f + F_LAST_SEGMENT_FLAGS] = this.lastSegmentFlags;
    this.savePeer();
  }

  /**
   * Writes back only what a packet can change in the flow towards its sender (the peer's): its
   * base, highest contiguous sequence number, duplicate-ACK counter and unacked segments.
   */
  savePeer(): void {
    const ints = this.ints;
    const f = this.o;
    ints[f + F_MAXSEQ] = this.maxseqtobeacked32;
    ints[f + F_FLAGS] = (this.baseSeqSet ? FF_BASE_SEQ_SET : 0) | (this.isFirstAck ? FF_FIRST_ACK : 0);
    ints[f + F_DUPACK] = this.dupacknum;
    ints[f + F_UNACKED_COUNT] = this.unackedCount;
    ints[f + F_UNACKED] = this.unacked0;
    ints[f + F_UNACKED + 1] = this.unacked1;
  }

  /** Base sequence number (relative numbering); in the slot. */
  get baseSeq(): number {
    return this.ints[this.o + F_BASE_SEQ]! >>> 0;
  }
  set baseSeq(v: number) {
    this.ints[this.o + F_BASE_SEQ] = v;
  }
  /** Shift from a window-scale option, or WSCALE_UNKNOWN / WSCALE_NONE; in the slot. */
  get winScale(): number {
    return this.ints[this.o + F_WSCALE]!;
  }
  set winScale(v: number) {
    this.ints[this.o + F_WSCALE] = v;
  }
  /** Capture time (seconds, nanoseconds) of the segment that set nextseq; in the slot. */
  get nextseqSec(): number {
    return this.doubles[this.od + FD_NEXTSEQ_SEC]!;
  }
  get nextseqNsec(): number {
    return this.ints[this.o + F_NEXTSEQ_NSEC]!;
  }
  setNextseqTime(sec: number, nsec: number): void {
    this.doubles[this.od + FD_NEXTSEQ_SEC] = sec;
    this.ints[this.o + F_NEXTSEQ_NSEC] = nsec;
  }
  /** Capture time of the last segment (its ACK field); in the slot. */
  get lastackSec(): number {
    return this.doubles[this.od + FD_LASTACK_SEC]!;
  }
  get lastackNsec(): number {
    return this.ints[this.o + F_LASTACK_NSEC]!;
  }
  setLastackTime(sec: number, nsec: number): void {
    this.doubles[this.od + FD_LASTACK_SEC] = sec;
    this.ints[this.o + F_LASTACK_NSEC] = nsec;
  }
  /** Highest sequence number seen + length (+1 for SYN/FIN). */
  get nextseq(): number {
    return this.nextseq32 >>> 0;
  }
  set nextseq(v: number) {
    this.nextseq32 = v | 0;
  }
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

  /** Remembers the end (nextseq) of a segment not yet acknowledged (only count and ends matter). */
  addUnacked(nextseq: number): void {
    const n = this.unackedCount++;
    if (n === 0) {
      this.unacked0 = nextseq | 0;
    } else if (n === 1) {
      this.unacked1 = nextseq | 0;
    } else if (n === UNACKED_INLINE) {
      // Spills: the list takes the inline ends, and unacked0 its id.
      const id = this.pool.take();
      const list = this.pool.lists[id]!;
      list[0] = this.unacked0;
      list[1] = this.unacked1;
      list[2] = nextseq;
      this.unacked0 = id;
    } else {
      let list = this.pool.lists[this.unacked0]!;
      if (n === list.length) list = this.pool.grow(this.unacked0);
      list[n] = nextseq;
    }
  }

  /** Forget segments that `ack` covers: Wireshark drops a segment unless its end is after ack. */
  removeAcked(ack: number): void {
    // `ack` signed or unsigned: only differences mod 2^32 are read.
    const n = this.unackedCount;
    if (n === 0) return;
    if (n <= UNACKED_INLINE) {
      let kept = 0;
      if (((this.unacked0 - ack) | 0) > 0) kept = 1;
      if (n === 2 && ((this.unacked1 - ack) | 0) > 0) {
        if (kept === 0) this.unacked0 = this.unacked1;
        kept++;
      }
      this.unackedCount = kept;
      return;
    }
    const id = this.unacked0;
    const list = this.pool.lists[id]!;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const end = list[i]!;
      if (((end - ack) | 0) > 0) list[kept++] = end;
    }
    this.unackedCount = kept;
    if (kept <= UNACKED_INLINE) {
      // Back inline: the list returns to the pool.
      this.unacked0 = list[0]! | 0;
      this.unacked1 = list[1]! | 0;
      this.pool.give(id);
    }
  }
}

/**
 * One `tcp.stream` (endpoint a = the sender of its first packet), seen through its slot: only the
 * index is copied in; the handshake fields, which few packets touch, are read and written in place.
 */
export class WsStream {
  private ints: Int32Array = EMPTY_INTS;
  private doubles: Float64Array = EMPTY_DOUBLES;
  private o = 0;
  private od = 0;
  /** tcp.stream. */
  index = 0;

  load(ints: Int32Array, doubles: Float64Array, o: number, od: number): void {
    this.ints = ints;
    this.doubles = doubles;
    this.o = o;
    this.od = od;
    this.index = ints[o + S_INDEX]!;
  }

  /** A pure SYN was seen (its time, seconds + nanoseconds, is kept for the initial RTT). */
  get synSeen(): boolean {
    return (this.ints[this.o + S_FLAGS]! & SF_SYN_SEEN) !== 0;
  }
  get synSec(): number {
    return this.doubles[this.od + D_SYN_SEC]!;
  }
  get synNsec(): number {
    return this.ints[this.o + S_SYN_NSEC]!;
  }
  /** Records a pure SYN at (sec, nsec). */
  sawSyn(sec: number, nsec: number): void {
    this.ints[this.o + S_FLAGS]! |= SF_SYN_SEEN;
    this.doubles[this.od + D_SYN_SEC] = sec;
    this.ints[this.o + S_SYN_NSEC] = nsec;
  }
  /** Handshake RTT in ns (SYN → first ACK without SYN); 0 = not known (Wireshark's zero nstime). */
  get firstRttNs(): number {
    return this.doubles[this.od + D_FIRST_RTT_NS]!;
  }
  set firstRttNs(v: number) {
    this.doubles[this.od + D_FIRST_RTT_NS] = v;
  }
}

/**
 * Wireshark's conversation table for TCP, as the first pass sees it: a packet belongs to the newest
 * stream on its 4-tuple (either direction); a 4-tuple seen for the first time starts a stream.
 * Streams are numbered from 0 in order of creation, like tcp.stream. A stream is the row of its
 * 4-tuple's slot (FlowSlots); load() copies one into the working copies.
 */
export class WsStreamTable {
  private readonly intChunks: Int32Array[] = [];
  private readonly doubleChunks: Float64Array[] = [];
  private nextIndex = 0;
  private count = 0;
  private readonly pool = new UnackedPool();
  /** Streams are forgotten (idle or beyond maxStreams); else none ever is. */
  private readonly forgets: boolean;

  /**
   * tshark remembers every stream of a file; a tracker meant for captures of any size cannot.
   * Streams silent for `forgetAfterUsec` of capture time, and the least recently seen ones beyond
   * `maxStreams`, are forgotten (defaults: never): a later segment on their 4-tuple starts a fresh
   * stream, where tshark would continue the old one (and flag a new SYN as port reuse).
   */
  constructor(
    /** The slots the streams live in (the flow table's, when the analysis shares them). */
    public slots: FlowSlots,
    private readonly forgetAfterUsec = Number.POSITIVE_INFINITY,
    private readonly maxStreams = Number.POSITIVE_INFINITY,
  ) {
    this.forgets = forgetAfterUsec < Number.POSITIVE_INFINITY || maxStreams < Number.POSITIVE_INFINITY;
  }

  get streamCount(): number {
    return this.nextIndex;
  }

  /** Streams currently remembered. */
  get size(): number {
    return this.count;
  }

  /** A flow working copy for this table's rows. */
  newFlow(): WsFlow {
    return new WsFlow(this.pool);
  }

  /** Loads the stream in `slot` into `s`, and its flows from / to the sender into `fwd` / `rev`. */
  load(slot: number, dir: number, s: WsStream, fwd: WsFlow, rev: WsFlow): void {
    const ints = this.intChunks[slot >> CHUNK_SHIFT]!;
    const doubles = this.doubleChunks[slot >> CHUNK_SHIFT]!;
    const o = (slot & CHUNK_MASK) * SLOT_INTS;
    const od = (slot & CHUNK_MASK) * SLOT_DOUBLES + D_BASE;
    s.load(ints, doubles, o, od);
    fwd.load(ints, doubles, o, od, dir);
    rev.load(ints, doubles, o, od, 1 - dir);
  }

  /**
   * A new stream in `slot` (which its owner has just marked as holding one and used), numbered
   * next; `replaces`: it takes the place of the slot's current stream (port reuse), else the
   * streams beyond maxStreams are forgotten, least recently seen first.
   */
  begin(slot: number, now: number, replaces: boolean): void {
    while (slot >> CHUNK_SHIFT >= this.intChunks.length) {
      const buffer = new ArrayBuffer(CHUNK_SLOTS * SLOT_INTS * 4);
      this.intChunks.push(new Int32Array(buffer));
      this.doubleChunks.push(new Float64Array(buffer));
    }
    const ints = this.intChunks[slot >> CHUNK_SHIFT]!;
    const doubles = this.doubleChunks[slot >> CHUNK_SHIFT]!;
    const o = (slot & CHUNK_MASK) * SLOT_INTS;
    const od = (slot & CHUNK_MASK) * SLOT_DOUBLES + D_BASE;
    // The row may hold an earlier stream's fields. Cleared with loops: fill() is a call into the
    // runtime, slower here.
    this.releaseLists(ints, o);
    for (let i = 0; i < INTS; i++) ints[o + i] = 0;
    for (let i = 0; i < DOUBLES; i++) doubles[od + i] = 0;
    ints[o + S_INDEX] = this.nextIndex++;
    for (let d = 0; d < 2; d++) {
      const f = o + S_FLOW + d * FLOW_INTS;
      ints[f + F_WINDOW] = -1;
      ints[f + F_WSCALE] = WSCALE_UNKNOWN;
    }
    this.used(slot, now);
    if (replaces) return;
    this.count++;
    this.evictOverflow();
  }

  /** The stream in `slot` is used by a packet at `now` (capture µs). */
  used(slot: number, now: number): void {
    if (!this.forgets) return;
    this.doubleChunks[slot >> CHUNK_SHIFT]![(slot & CHUNK_MASK) * SLOT_DOUBLES + D_BASE + D_LAST_USEC] = now;
  }

  private releaseLists(ints: Int32Array, o: number): void {
    for (let d = 0; d < 2; d++) {
      const f = o + S_FLOW + d * FLOW_INTS;
      if (ints[f + F_UNACKED_COUNT]! > UNACKED_INLINE) {
        this.pool.give(ints[f + F_UNACKED]!);
        ints[f + F_UNACKED_COUNT] = 0;
      }
    }
  }

  /** Forgets the streams silent longer than forgetAfterUsec by capture time `now`, oldest first. */
  expire(now: number): void {
    if (!this.forgets) return;
    const slots = this.slots;
    // The oldest stream's last use read here, not through a method: a capture time returned
    // from a call that is not inlined is a boxed number, one per packet.
    for (let s = slots.oldestStream(); s >= 0; s = slots.oldestStream()) {
      const last =
        this.doubleChunks[s >> CHUNK_SHIFT]![(s & CHUNK_MASK) * SLOT_DOUBLES + D_BASE + D_LAST_USEC]!;
      if (!(now - last > this.forgetAfterUsec)) return;
      this.forget(s);
    }
  }

  private evictOverflow(): void {
    while (this.count > this.maxStreams) {
      const s = this.slots.oldestStream();
      if (s < 0) return;
      this.forget(s);
    }
  }

  /** Forgets the stream in slot s (its row is dead until a stream begins there again). */
  private forget(s: number): void {
    this.releaseLists(this.intChunks[s >> CHUNK_SHIFT]!, (s & CHUNK_MASK) * SLOT_INTS);
    this.count--;
    this.slots.dropStream(s);
  }
}
