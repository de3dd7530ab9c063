// Wireshark's view of TCP streams (tshark 4.0, epan/dissectors/packet-tcp.c): which packets share a
// `tcp.stream`, and the per-direction facts its sequence analysis keeps. Owns the stream table
// (4-tuple → newest stream), the port-reuse split, and the flow state fields. The rules that read
// and update these fields live in wireshark.ts. Nothing here is RFC behaviour: it restates what
// Wireshark does so that our tags match tshark's, packet for packet.
//
// Memory: a capture may hold 10^5 open streams, so a stream is not an object but a numbered slot
// in fixed-size chunks of typed arrays (int32 fields, plus float64 fields for the times that may
// exceed int32): 224 bytes a stream, nothing for the GC to trace, no boxed doubles, no rehashing
// of objects. A flow's first two unacknowledged segments sit in its slot (a SYN flood's streams
// need nothing more); only longer lists are borrowed from a pool. The order of last use, which
// decides what is forgotten first, is a queue of slot numbers beside the slots (UseQueue), about
// 12 bytes a stream. WsStream and WsFlow are views of one slot: the fields most packets use are
// copied in and written back, the rarely used ones read and written in place.

import type { Packet } from '../wire/packet.js';

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

// ---- Slot layout ----
// Int32 fields of a stream; the 4-tuple's addresses as words in platform byte order (Packet.src32
// and dst32; IPv4 uses the first).
/** portA << 16 | portB. */
const S_PORTS = 0;
const S_ADDR_A = 1;
const S_ADDR_B = 5;
/** tcp.stream number. */
const S_INDEX = 9;
/** Next slot in the same hash bucket (or in the free list), -1 for none. */
const S_HASH_NEXT = 10;
const S_KEY = 11;
/** SF_* bits, and the IP version. */
const S_FLAGS = 12;
const S_SYN_NSEC = 13;
const S_FLOW = 14;
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

const SF_LISTED = 1;
const SF_SYN_SEEN = 2;
/** The 4-tuple is IPv6 (else IPv4). */
const SF_V6 = 4;
const FF_BASE_SEQ_SET = 1;
const FF_FIRST_ACK = 2;

/** Slots per chunk: a chunk is allocated whole (≈ 230 KB) and never moved. */
const CHUNK_SHIFT = 10;
const CHUNK_SLOTS = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SLOTS - 1;

const NONE = -1;

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

/** Hash of one endpoint (address words + port); summed for both, so the same either way. */
function endpointHash(w0: number, w1: number, w2: number, w3: number, port: number): number {
  let h = Math.imul(w0, 0x9e3779b1) ^ Math.imul(w1, 0x85ebca6b);
  h ^= Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f);
  return h ^ Math.imul(port + 1, 0x165667b1);
}

/** Buckets of the stream hash table at first; doubled when streams outnumber them. */
const INITIAL_BUCKETS = 4096;
/** Entries of the use queue at first. */
const INITIAL_QUEUE = 4096;

/**
 * Streams in the order of their last use, least recent first: the order in which they are
 * forgotten. Rather than a linked list (whose unlinking writes two other, random slots on every
 * packet), each use appends the stream's slot to a ring and marks that entry as the slot's live
 * one; older entries of the same slot go stale and are skipped when they reach the head. The live
 * entries, in ring order, are exactly the streams from least to most recently used.
 */
class UseQueue {
  private ring = new Int32Array(INITIAL_QUEUE);
  private head = 0;
  private length = 0;
  /** Per slot: the ring index of its live entry, NONE when it has none (released). */
  private live = new Int32Array(0);

  /** Makes room for slots below `n` (grown by a quarter at least: slots come a chunk at a time). */
  ensureSlots(n: number): void {
    if (n <= this.live.length) return;
    const live = new Int32Array(Math.max(n, this.live.length + (this.live.length >> 2))).fill(NONE);
    live.set(this.live);
    this.live = live;
  }

  /** Slot s was just used: it becomes the most recent. */
  use(s: number): void {
    const size = this.ring.length;
    let i = this.head + this.length;
    if (i >= size) i -= size;
    // Already the most recent (the entry just before i): nothing moves.
    if (this.live[s] === (i === 0 ? size : i) - 1) return;
    if (this.length === size) {
      this.rebuild();
      i = (this.head + this.length) % this.ring.length;
    }
    this.ring[i] = s;
    this.live[s] = i;
    this.length++;
  }

  /** Slot s leaves the queue (its entry goes stale). */
  remove(s: number): void {
    this.live[s] = NONE;
  }

  /** The least recently used slot still queued, or NONE; drops the stale entries before it. */
  oldest(): number {
    const ring = this.ring;
    const live = this.live;
    while (this.length > 0) {
      const s = ring[this.head]!;
      if (live[s] === this.head) return s;
      if (++this.head === ring.length) this.head = 0;
      this.length--;
    }
    return NONE;
  }

  /**
   * The ring is full: packs its live entries, in order, from the head on. When they fill more than
   * half of it (or less than a quarter), they move to the start of a ring twice their number, so
   * that as many uses again pass before the next packing.
   */
  private rebuild(): void {
    const ring = this.ring;
    const live = this.live;
    const size = ring.length;
    let w = this.head;
    let n = 0;
    for (let k = 0, i = this.head; k < this.length; k++) {
      const s = ring[i]!;
      if (live[s] === i) {
        ring[w] = s;
        live[s] = w;
        if (++w === size) w = 0;
        n++;
      }
      if (++i === size) i = 0;
    }
    this.length = n;
    if (2 * n <= size && (4 * n >= size || size === INITIAL_QUEUE)) return;
    const moved = new Int32Array(Math.max(INITIAL_QUEUE, 2 * n));
    for (let j = 0, i = this.head; j < n; j++) {
      const s = ring[i]!;
      moved[j] = s;
      live[s] = j;
      if (++i === size) i = 0;
    }
    this.ring = moved;
    this.head = 0;
  }
}

/**
 * Wireshark's conversation table for TCP, as the first pass sees it: a packet belongs to the newest
 * stream on its 4-tuple (either direction); a 4-tuple seen for the first time starts a stream.
 * Streams are numbered from 0 in order of creation, like tcp.stream. Streams are slots (numbers);
 * load() copies one into the working copies.
 */
export class WsStreamTable {
  private readonly intChunks: Int32Array[] = [];
  private readonly doubleChunks: Float64Array[] = [];
  /** Slots ever handed out (the free list reuses released ones first). */
  private slotsUsed = 0;
  private freeHead = NONE;
  /** Chained hash table: the first slot of each bucket, or -1. */
  private buckets = new Int32Array(INITIAL_BUCKETS).fill(NONE);
  private mask = INITIAL_BUCKETS - 1;
  private nextIndex = 0;
  /** Use order, for forgetting; none when nothing is ever forgotten. */
  private readonly queue: UseQueue | null;
  private count = 0;
  private readonly pool = new UnackedPool();
  /** Direction of the packet given to the last find() that found its stream (0: sent by A). */
  dir = 0;
  // The 4-tuple of the packet being looked up, as find() and create() compare it (pV6: SF_V6 or 0).
  private pV6 = 0;
  private pPorts = 0;
  private pRevPorts = 0;
  private pKey = 0;
  private readonly pWords = new Int32Array(8);

  /**
   * tshark remembers every stream of a file; a tracker meant for captures of any size cannot.
   * Streams silent for `forgetAfterUsec` of capture time, and the least recently seen ones beyond
   * `maxStreams`, are forgotten (defaults: never): a later segment on their 4-tuple starts a fresh
   * stream, where tshark would continue the old one (and flag a new SYN as port reuse).
   */
  constructor(
    private readonly forgetAfterUsec = Number.POSITIVE_INFINITY,
    private readonly maxStreams = Number.POSITIVE_INFINITY,
  ) {
    this.queue =
      forgetAfterUsec < Number.POSITIVE_INFINITY || maxStreams < Number.POSITIVE_INFINITY
        ? new UseQueue()
        : null;
  }

  get streamCount(): number {
    return this.nextIndex;
  }

  /** Streams currently remembered. */
  get size(): number {
    return this.count;
  }

  /** A flow working copy for this table's slots. */
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

  private getI(slot: number, field: number): number {
    return this.intChunks[slot >> CHUNK_SHIFT]![(slot & CHUNK_MASK) * SLOT_INTS + field]!;
  }

  private setI(slot: number, field: number, v: number): void {
    this.intChunks[slot >> CHUNK_SHIFT]![(slot & CHUNK_MASK) * SLOT_INTS + field] = v;
  }

  /** Takes pkt's 4-tuple and its key (the same for both directions). */
  private readTuple(pkt: Packet): void {
    this.readWords(pkt);
    const w = this.pWords;
    const v6 = this.pV6 !== 0;
    // IPv4's other words are 0: the same hash without them.
    const hs = v6
      ? endpointHash(w[0]!, w[1]!, w[2]!, w[3]!, pkt.srcPort)
      : endpointHash(w[0]!, 0, 0, 0, pkt.srcPort);
    const hd = v6
      ? endpointHash(w[4]!, w[5]!, w[6]!, w[7]!, pkt.dstPort)
      : endpointHash(w[4]!, 0, 0, 0, pkt.dstPort);
    let h = (hs + hd + pkt.ipVersion) | 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    // 30 bits: only its low bits pick a bucket.
    this.pKey = (h ^ (h >>> 16)) & 0x3fffffff;
  }

  /** Takes pkt's 4-tuple as directionOf() compares it (no key: a hinted lookup needs none). */
  private readWords(pkt: Packet): void {
    const w = this.pWords;
    const src = pkt.src32;
    const dst = pkt.dst32;
    const v6 = pkt.ipVersion === 6;
    w[0] = src[0]!;
    w[4] = dst[0]!;
    if (v6) {
      w[1] = src[1]!;
      w[2] = src[2]!;
      w[3] = src[3]!;
      w[5] = dst[1]!;
      w[6] = dst[2]!;
      w[7] = dst[3]!;
    } else {
      w[1] = w[2] = w[3] = w[5] = w[6] = w[7] = 0;
    }
    this.pV6 = v6 ? SF_V6 : 0;
    this.pPorts = (pkt.srcPort << 16) | pkt.dstPort;
    this.pRevPorts = (pkt.dstPort << 16) | pkt.srcPort;
  }

  /** 0 when the loaded packet was sent by the slot's A, 1 when by its B, -1 when not its 4-tuple. */
  private directionOf(slot: number): number {
    const ints = this.intChunks[slot >> CHUNK_SHIFT]!;
    const o = (slot & CHUNK_MASK) * SLOT_INTS;
    const v6 = ints[o + S_FLAGS]! & SF_V6;
    if (v6 !== this.pV6) return -1;
    const w = this.pWords;
    const ports = ints[o + S_PORTS];
    // Words 1-3 of IPv4 addresses are 0 on both sides: compared for IPv6 only.
    if (
      ports === this.pPorts &&
      ints[o + S_ADDR_A] === w[0] &&
      ints[o + S_ADDR_B] === w[4] &&
      (v6 === 0 ||
        (ints[o + S_ADDR_A + 1] === w[1] &&
          ints[o + S_ADDR_A + 2] === w[2] &&
          ints[o + S_ADDR_A + 3] === w[3] &&
          ints[o + S_ADDR_B + 1] === w[5] &&
          ints[o + S_ADDR_B + 2] === w[6] &&
          ints[o + S_ADDR_B + 3] === w[7]))
    )
      return 0;
    if (
      ports === this.pRevPorts &&
      ints[o + S_ADDR_A] === w[4] &&
      ints[o + S_ADDR_B] === w[0] &&
      (v6 === 0 ||
        (ints[o + S_ADDR_A + 1] === w[5] &&
          ints[o + S_ADDR_A + 2] === w[6] &&
          ints[o + S_ADDR_A + 3] === w[7] &&
          ints[o + S_ADDR_B + 1] === w[1] &&
          ints[o + S_ADDR_B + 2] === w[2] &&
          ints[o + S_ADDR_B + 3] === w[3]))
    )
      return 1;
    return -1;
  }

  /**
   * The slot of pkt's current stream (its direction in `dir`), or -1 when none exists. `hint`: the
   * slot the caller found for this 4-tuple before (the flow table keeps it in the connection), -1
   * for none. While that slot is still listed with pkt's 4-tuple it is the current stream (a
   * 4-tuple has one listed stream at most) and the hash lookup is skipped.
   */
  find(pkt: Packet, hint = NONE): number {
    const now = pkt.tsUsec;
    this.forgetIdle(now);
    if (hint !== NONE && hint < this.slotsUsed && this.getI(hint, S_FLAGS) & SF_LISTED) {
      this.readWords(pkt);
      const dir = this.directionOf(hint);
      if (dir >= 0) {
        this.dir = dir;
        this.touch(hint, now);
        return hint;
      }
    }
    this.readTuple(pkt);
    for (let s = this.buckets[this.pKey & this.mask]!; s !== NONE; s = this.getI(s, S_HASH_NEXT)) {
      const dir = this.directionOf(s);
      if (dir >= 0) {
        this.dir = dir;
        this.touch(s, now);
        return s;
      }
    }
    return NONE;
  }

  /** Starts a new stream for pkt's 4-tuple (pkt's sender as A), replacing the current one if any. */
  create(pkt: Packet): number {
    // Grown before the fresh stream is listed, which growBuckets() would chain twice.
    if (this.count >= this.buckets.length) this.growBuckets();
    this.readTuple(pkt);
    const key = this.pKey;
    const fresh = this.allocate(key);
    this.count++;
    this.touch(fresh, pkt.tsUsec);
    let prev = NONE;
    const bi = key & this.mask;
    for (let s = this.buckets[bi]!; s !== NONE; prev = s, s = this.getI(s, S_HASH_NEXT)) {
      if (this.directionOf(s) >= 0) {
        // Port reuse: the fresh stream takes the old one's place in the chain.
        this.setI(fresh, S_HASH_NEXT, this.getI(s, S_HASH_NEXT));
        if (prev === NONE) this.buckets[bi] = fresh;
        else this.setI(prev, S_HASH_NEXT, fresh);
        this.release(s);
        this.count--;
        this.evictOverflow();
        return fresh;
      }
    }
    const i = key & this.mask;
    this.setI(fresh, S_HASH_NEXT, this.buckets[i]!);
    this.buckets[i] = fresh;
    this.evictOverflow();
    return fresh;
  }

  /** A cleared slot holding the 4-tuple readTuple() took as a new stream. */
  private allocate(key: number): number {
    let slot = this.freeHead;
    const reused = slot !== NONE;
    if (reused) {
      this.freeHead = this.getI(slot, S_HASH_NEXT);
    } else {
      slot = this.slotsUsed++;
      if (slot >> CHUNK_SHIFT === this.intChunks.length) {
        const buffer = new ArrayBuffer(CHUNK_SLOTS * SLOT_INTS * 4);
        this.intChunks.push(new Int32Array(buffer));
        this.doubleChunks.push(new Float64Array(buffer));
        this.queue?.ensureSlots(this.intChunks.length << CHUNK_SHIFT);
      }
    }
    const ints = this.intChunks[slot >> CHUNK_SHIFT]!;
    const o = (slot & CHUNK_MASK) * SLOT_INTS;
    const od = (slot & CHUNK_MASK) * SLOT_DOUBLES + D_BASE;
    if (reused) {
      // A slot written after its release (a stream evicted by the packet that created it) may
      // hold lists again. Cleared with loops: fill() is a call into the runtime, slower here.
      this.releaseLists(ints, o);
      for (let i = 0; i < INTS; i++) ints[o + i] = 0;
      const doubles = this.doubleChunks[slot >> CHUNK_SHIFT]!;
      for (let i = 0; i < DOUBLES; i++) doubles[od + i] = 0;
    }
    const w = this.pWords;
    ints[o + S_PORTS] = this.pPorts;
    for (let i = 0; i < 4; i++) {
      ints[o + S_ADDR_A + i] = w[i]!;
      ints[o + S_ADDR_B + i] = w[4 + i]!;
    }
    ints[o + S_INDEX] = this.nextIndex++;
    ints[o + S_HASH_NEXT] = NONE;
    ints[o + S_KEY] = key;
    ints[o + S_FLAGS] = SF_LISTED | this.pV6;
    for (let d = 0; d < 2; d++) {
      const f = o + S_FLOW + d * FLOW_INTS;
      ints[f + F_WINDOW] = -1;
      ints[f + F_WSCALE] = WSCALE_UNKNOWN;
    }
    return slot;
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

  /**
   * Returns a stream's slot (already out of its bucket) to the free list and takes it out of the
   * use order. Its fields stay readable until the slot is handed out again, which the current
   * packet never does.
   */
  private release(slot: number): void {
    const ints = this.intChunks[slot >> CHUNK_SHIFT]!;
    const o = (slot & CHUNK_MASK) * SLOT_INTS;
    if (!(ints[o + S_FLAGS]! & SF_LISTED)) return;
    this.queue?.remove(slot);
    this.releaseLists(ints, o);
    ints[o + S_FLAGS]! &= ~SF_LISTED;
    ints[o + S_HASH_NEXT] = this.freeHead;
    this.freeHead = slot;
  }

  /** Doubles the bucket array and rehashes every listed stream into it. */
  private growBuckets(): void {
    const size = this.buckets.length * 2;
    const buckets = new Int32Array(size).fill(NONE);
    const mask = size - 1;
    for (let c = 0; c < this.intChunks.length; c++) {
      const ints = this.intChunks[c]!;
      const n = Math.min(CHUNK_SLOTS, this.slotsUsed - (c << CHUNK_SHIFT));
      for (let j = 0; j < n; j++) {
        const o = j * SLOT_INTS;
        if (!(ints[o + S_FLAGS]! & SF_LISTED)) continue;
        const i = ints[o + S_KEY]! & mask;
        ints[o + S_HASH_NEXT] = buckets[i]!;
        buckets[i] = (c << CHUNK_SHIFT) | j;
      }
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  private forgetIdle(now: number): void {
    const queue = this.queue;
    if (queue === null) return;
    // The oldest stream's last use read here, not through a method: a capture time returned
    // from a call that is not inlined is a boxed number, one per packet.
    for (let s = queue.oldest(); s !== NONE; s = queue.oldest()) {
      const last =
        this.doubleChunks[s >> CHUNK_SHIFT]![(s & CHUNK_MASK) * SLOT_DOUBLES + D_BASE + D_LAST_USEC]!;
      if (!(now - last > this.forgetAfterUsec)) return;
      this.forget(s);
    }
  }

  private evictOverflow(): void {
    const queue = this.queue;
    if (queue === null) return;
    while (this.count > this.maxStreams) {
      const s = queue.oldest();
      if (s === NONE) return;
      this.forget(s);
    }
  }

  /** Takes stream s out of its bucket and releases it. */
  private forget(s: number): void {
    const bi = this.getI(s, S_KEY) & this.mask;
    let p = this.buckets[bi]!;
    if (p === s) {
      this.buckets[bi] = this.getI(s, S_HASH_NEXT);
    } else {
      while (p !== NONE && this.getI(p, S_HASH_NEXT) !== s) p = this.getI(p, S_HASH_NEXT);
      if (p !== NONE) this.setI(p, S_HASH_NEXT, this.getI(s, S_HASH_NEXT));
    }
    this.release(s);
    this.count--;
  }

  /** Stream s is used by a packet at `now` (capture µs). */
  private touch(s: number, now: number): void {
    const queue = this.queue;
    if (queue === null) return;
    this.doubleChunks[s >> CHUNK_SHIFT]![(s & CHUNK_MASK) * SLOT_DOUBLES + D_BASE + D_LAST_USEC] = now;
    queue.use(s);
  }
}
