// One slot per TCP 4-tuple, shared by the flow table's connection and Wireshark's stream on that
// 4-tuple: the hash table that finds it, the 4-tuple it is keyed by, and the order of last use that
// decides what idles out and what is evicted first. A slot lives while its 4-tuple has an open
// connection or a remembered stream; the two lifetimes differ (a stream outlives its connection
// until --idle; a connection lives on when its stream is forgotten), so the slot carries a bit for
// each and is freed when both are gone. Each owner keeps its own facts in columns indexed by the
// slot number (the flow table's Conn, wireshark-stream.ts' stream fields).
//
// Memory: typed arrays only (no object per slot, nothing for the GC to trace). The use order is
// one array of slot numbers with two heads: the oldest open connection and the oldest remembered
// stream; a slot's latest use is its only live entry, so both orders are the same order restricted
// to the slots that have a connection, or a stream. Zeek's own connection table (`conns --zeek`)
// is a third occupant, with a third head.

import type { Packet } from '../wire/packet.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Murmur3's finaliser, as a signed 32-bit integer (a small integer for V8, never boxed). */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** FNV-1a over the address taken a 32-bit word at a time (`n` words), seeded with the port. */
function endpointHash(words: Uint32Array, n: number, port: number): number {
  let h = Math.imul(FNV_OFFSET ^ port, FNV_PRIME);
  for (let i = 0; i < n; i++) h = Math.imul(h ^ words[i]!, FNV_PRIME);
  return fmix(h);
}

/** flowHash as a signed 32-bit integer: what the slots' lookup uses, without a boxed number per packet. */
export function flowHash32(pkt: Packet): number {
  const n = pkt.ipVersion === 6 ? 4 : 1;
  return fmix((endpointHash(pkt.src32, n, pkt.srcPort) + endpointHash(pkt.dst32, n, pkt.dstPort)) | 0);
}

/** Stored hashes keep 30 bits: small integers for V8. */
export const HASH_BITS = 0x3fffffff;

// ---- Slot layout (int32 fields) ----
/** portA << 16 | portB, A being the sender of the slot's first packet. */
const I_PORTS = 0;
/** Address A's words (Packet.src32's, platform byte order; IPv4 uses the first). */
const I_ADDR_A = 1;
const I_ADDR_B = 5;
/** The hash (30 bits) its bucket is picked by. */
const I_KEY = 9;
/** Next slot in the same bucket, or in the free list; NONE for none. */
const I_NEXT = 10;
/** SL_* bits. */
const I_FLAGS = 11;
/** Its live entry in the use order, NONE when not in it. */
const I_USE = 12;
const STRIDE = 13;

/** The slot is in use (listed in its bucket). */
const SL_LISTED = 1;
/** The 4-tuple is IPv6. */
const SL_V6 = 2;
/** It holds an open connection. */
export const SL_CONN = 4;
/** It holds a remembered Wireshark stream. */
export const SL_STREAM = 8;
/** The connection's A is the slot's B. */
const SL_CONN_FLIP = 16;
/** The stream's A is the slot's B. */
const SL_STREAM_FLIP = 32;
/** It holds a live connection of Zeek's own table (zeek-log.ts). */
export const SL_ZEEK = 64;
/** The Zeek connection's A is the slot's B. */
const SL_ZEEK_FLIP = 128;

const NONE = -1;
const INITIAL_SLOTS = 1024;
const INITIAL_BUCKETS = 1024;
const INITIAL_USES = 1024;

export class FlowSlots {
  private ints = new Int32Array(INITIAL_SLOTS * STRIDE);
  /** Slots ever handed out (the free list reuses released ones first). */
  private slotsUsed = 0;
  private freeHead = NONE;
  private buckets = new Int32Array(INITIAL_BUCKETS).fill(NONE);
  private mask = INITIAL_BUCKETS - 1;
  /** Slots in use. */
  private count = 0;
  // The use order: slot numbers at [low, tail), a slot's latest use its only live entry (I_USE).
  private uses = new Int32Array(INITIAL_USES);
  private tail = 0;
  /** Entries before it hold no open connection (a connection's slot used again is appended anew). */
  private connHead = 0;
  /** Entries before it hold no remembered stream. */
  private streamHead = 0;
  /** Entries before it hold no Zeek connection. */
  private zeekHead = 0;
  /** Direction of the packet given to the last find() that found its slot (0: sent by the slot's A). */
  dir = 0;
  /** The slot the last find() found: the next packet is often on the same 4-tuple. */
  private lastFound = NONE;
  // The 4-tuple of the packet being looked up (pV6: SL_V6 or 0), and its hash once computed.
  private pHash = 0;
  private pV6 = 0;
  private pPorts = 0;
  private pRevPorts = 0;
  private readonly pWords = new Int32Array(8);

  /** Slots in use. */
  get size(): number {
    return this.count;
  }

  /** Slot numbers are below this. */
  get capacity(): number {
    return this.slotsUsed;
  }

  /** Takes pkt's 4-tuple as find() and create() compare it. */
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
    this.pV6 = v6 ? SL_V6 : 0;
    this.pPorts = (pkt.srcPort << 16) | pkt.dstPort;
    this.pRevPorts = (pkt.dstPort << 16) | pkt.srcPort;
  }

  /** 0 when the read packet was sent by the slot's A, 1 when by its B, -1 when not its 4-tuple. */
  private directionOf(o: number): number {
    const ints = this.ints;
    const v6 = ints[o + I_FLAGS]! & SL_V6;
    if (v6 !== this.pV6) return -1;
    const w = this.pWords;
    const ports = ints[o + I_PORTS];
    // Words 1-3 of IPv4 addresses are 0 on both sides: compared for IPv6 only.
    if (
      ports === this.pPorts &&
      ints[o + I_ADDR_A] === w[0] &&
      ints[o + I_ADDR_B] === w[4] &&
      (v6 === 0 ||
        (ints[o + I_ADDR_A + 1] === w[1] &&
          ints[o + I_ADDR_A + 2] === w[2] &&
          ints[o + I_ADDR_A + 3] === w[3] &&
          ints[o + I_ADDR_B + 1] === w[5] &&
          ints[o + I_ADDR_B + 2] === w[6] &&
          ints[o + I_ADDR_B + 3] === w[7]))
    )
      return 0;
    if (
      ports === this.pRevPorts &&
      ints[o + I_ADDR_A] === w[4] &&
      ints[o + I_ADDR_B] === w[0] &&
      (v6 === 0 ||
        (ints[o + I_ADDR_A + 1] === w[5] &&
          ints[o + I_ADDR_A + 2] === w[6] &&
          ints[o + I_ADDR_A + 3] === w[7] &&
          ints[o + I_ADDR_B + 1] === w[1] &&
          ints[o + I_ADDR_B + 2] === w[2] &&
          ints[o + I_ADDR_B + 3] === w[3]))
    )
      return 1;
    return -1;
  }

  /**
   * The slot of pkt's 4-tuple (its direction in `dir`), or NONE. The slot of the previous find()
   * is tried first: consecutive packets of one connection skip the hash and the bucket.
   */
  find(pkt: Packet): number {
    this.readWords(pkt);
    const ints = this.ints;
    const last = this.lastFound;
    if (last !== NONE && (ints[last * STRIDE + I_FLAGS]! & SL_LISTED) !== 0) {
      const dir = this.directionOf(last * STRIDE);
      if (dir >= 0) {
        this.dir = dir;
        return last;
      }
    }
    const hash = flowHash32(pkt) & HASH_BITS;
    this.pHash = hash;
    for (let s = this.buckets[hash & this.mask]!; s !== NONE; s = ints[s * STRIDE + I_NEXT]!) {
      const dir = this.directionOf(s * STRIDE);
      if (dir >= 0) {
        this.dir = dir;
        this.lastFound = s;
        return s;
      }
    }
    return NONE;
  }

  /**
   * A new slot for the 4-tuple the last find() read and did not find (its sender as A), with no
   * occupant and not yet in the use order.
   */
  create(): number {
    const hash = this.pHash;
    if (this.count >= this.buckets.length) this.growBuckets();
    let slot = this.freeHead;
    if (slot !== NONE) {
      this.freeHead = this.ints[slot * STRIDE + I_NEXT]!;
    } else {
      slot = this.slotsUsed++;
      if (this.slotsUsed * STRIDE > this.ints.length) {
        const grown = new Int32Array(this.ints.length * 2);
        grown.set(this.ints);
        this.ints = grown;
      }
    }
    const ints = this.ints;
    const o = slot * STRIDE;
    const w = this.pWords;
    ints[o + I_PORTS] = this.pPorts;
    for (let i = 0; i < 4; i++) {
      ints[o + I_ADDR_A + i] = w[i]!;
      ints[o + I_ADDR_B + i] = w[4 + i]!;
    }
    ints[o + I_KEY] = hash;
    ints[o + I_FLAGS] = SL_LISTED | this.pV6;
    ints[o + I_USE] = NONE;
    const bi = hash & this.mask;
    ints[o + I_NEXT] = this.buckets[bi]!;
    this.buckets[bi] = slot;
    this.count++;
    this.dir = 0;
    this.lastFound = slot;
    return slot;
  }

  /** Doubles the bucket array and rehashes every listed slot into it. */
  private growBuckets(): void {
    const size = this.buckets.length * 2;
    const buckets = new Int32Array(size).fill(NONE);
    const mask = size - 1;
    const ints = this.ints;
    for (let s = 0; s < this.slotsUsed; s++) {
      const o = s * STRIDE;
      if (!(ints[o + I_FLAGS]! & SL_LISTED)) continue;
      const i = ints[o + I_KEY]! & mask;
      ints[o + I_NEXT] = buckets[i]!;
      buckets[i] = s;
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  /** SL_CONN / SL_STREAM / SL_ZEEK bits of the slot (0 for a freed one). */
  holds(slot: number): number {
    return this.ints[slot * STRIDE + I_FLAGS]! & (SL_CONN | SL_STREAM | SL_ZEEK);
  }

  /** The slot is in use (not freed). */
  listed(slot: number): boolean {
    return (this.ints[slot * STRIDE + I_FLAGS]! & SL_LISTED) !== 0;
  }

  /** 4 or 6. */
  ipVersion(slot: number): number {
    return this.ints[slot * STRIDE + I_FLAGS]! & SL_V6 ? 6 : 4;
  }

  /** The port of the slot's A (`which` 0) or B (1). */
  port(slot: number, which: number): number {
    const ports = this.ints[slot * STRIDE + I_PORTS]!;
    return which === 0 ? ports >>> 16 : ports & 0xffff;
  }

  /** The address of the slot's A (`which` 0) or B (1), as 4 or 16 new bytes. */
  addr(slot: number, which: number): Uint8Array {
    const o = slot * STRIDE + (which === 0 ? I_ADDR_A : I_ADDR_B);
    const n = this.ints[slot * STRIDE + I_FLAGS]! & SL_V6 ? 4 : 1;
    // The words are Packet.src32's, in platform byte order: their bytes are the address's.
    const words = new Int32Array(n);
    for (let i = 0; i < n; i++) words[i] = this.ints[o + i]!;
    return new Uint8Array(words.buffer);
  }

  /** The slot now holds a connection whose A sent the packet just found (direction `dir`). */
  setConn(slot: number, dir: number): void {
    const o = slot * STRIDE + I_FLAGS;
    this.ints[o] = (this.ints[o]! & ~SL_CONN_FLIP) | SL_CONN | (dir === 0 ? 0 : SL_CONN_FLIP);
  }

  /** The slot now holds a stream whose A sent the packet just found (direction `dir`). */
  setStream(slot: number, dir: number): void {
    const o = slot * STRIDE + I_FLAGS;
    this.ints[o] = (this.ints[o]! & ~SL_STREAM_FLIP) | SL_STREAM | (dir === 0 ? 0 : SL_STREAM_FLIP);
  }

  /** The slot now holds a Zeek connection whose A sent the packet just found (direction `dir`). */
  setZeek(slot: number, dir: number): void {
    const o = slot * STRIDE + I_FLAGS;
    this.ints[o] = (this.ints[o]! & ~SL_ZEEK_FLIP) | SL_ZEEK | (dir === 0 ? 0 : SL_ZEEK_FLIP);
  }

  /** Direction `dir` (from the slot's A) seen from its Zeek connection's A. */
  zeekDir(slot: number, dir: number): number {
    return (this.ints[slot * STRIDE + I_FLAGS]! & SL_ZEEK_FLIP) === 0 ? dir : 1 - dir;
  }

  /** Which of its A (0) or B (1) is the Zeek connection's A. */
  zeekA(slot: number): number {
    return (this.ints[slot * STRIDE + I_FLAGS]! & SL_ZEEK_FLIP) === 0 ? 0 : 1;
  }

  /** Its Zeek connection is logged; the slot is freed when nothing else holds it. */
  dropZeek(slot: number): void {
    this.drop(slot, SL_ZEEK);
  }

  /** Direction `dir` (from the slot's A) seen from its connection's A: 0 when sent by the connection's A. */
  connDir(slot: number, dir: number): number {
    return (this.ints[slot * STRIDE + I_FLAGS]! & SL_CONN_FLIP) === 0 ? dir : 1 - dir;
  }

  /** Direction `dir` (from the slot's A) seen from its stream's A. */
  streamDir(slot: number, dir: number): number {
    return (this.ints[slot * STRIDE + I_FLAGS]! & SL_STREAM_FLIP) === 0 ? dir : 1 - dir;
  }

  /** Its connection is gone; the slot is freed when it holds no stream either. */
  dropConn(slot: number): void {
    this.drop(slot, SL_CONN);
  }

  /** Its stream is forgotten; the slot is freed when it holds no connection either. */
  dropStream(slot: number): void {
    this.drop(slot, SL_STREAM);
  }

  private drop(slot: number, bit: number): void {
    const ints = this.ints;
    const o = slot * STRIDE;
    const flags = ints[o + I_FLAGS]! & ~bit;
    ints[o + I_FLAGS] = flags;
    if ((flags & (SL_CONN | SL_STREAM | SL_ZEEK)) !== 0 || (flags & SL_LISTED) === 0) return;
    // Out of its bucket, out of the use order, onto the free list.
    const bi = ints[o + I_KEY]! & this.mask;
    let p = this.buckets[bi]!;
    if (p === slot) {
      this.buckets[bi] = ints[o + I_NEXT]!;
    } else {
      while (p !== NONE && ints[p * STRIDE + I_NEXT] !== slot) p = ints[p * STRIDE + I_NEXT]!;
      if (p !== NONE) ints[p * STRIDE + I_NEXT] = ints[o + I_NEXT]!;
    }
    ints[o + I_FLAGS] = 0;
    ints[o + I_USE] = NONE;
    ints[o + I_NEXT] = this.freeHead;
    this.freeHead = slot;
    this.count--;
  }

  /**
   * The slot was just used: it becomes the most recent in the use order. Called again after a
   * connection or stream is given to it: an entry a head has passed is appended anew.
   */
  touch(slot: number): void {
    const ints = this.ints;
    const o = slot * STRIDE + I_USE;
    const pos = ints[o]!;
    if (
      pos >= 0 &&
      pos === this.tail - 1 &&
      pos >= this.connHead &&
      pos >= this.streamHead &&
      pos >= this.zeekHead
    )
      return;
    if (this.tail === this.uses.length) this.packUses();
    this.uses[this.tail] = slot;
    ints[o] = this.tail++;
  }

  /** The least recently used slot holding a connection, or NONE. */
  oldestConn(): number {
    const uses = this.uses;
    const ints = this.ints;
    while (this.connHead < this.tail) {
      const s = uses[this.connHead]!;
      const o = s * STRIDE;
      if (ints[o + I_USE] === this.connHead && (ints[o + I_FLAGS]! & SL_CONN) !== 0) return s;
      this.connHead++;
    }
    return NONE;
  }

  /** The least recently used slot holding a stream, or NONE. */
  oldestStream(): number {
    const uses = this.uses;
    const ints = this.ints;
    while (this.streamHead < this.tail) {
      const s = uses[this.streamHead]!;
      const o = s * STRIDE;
      if (ints[o + I_USE] === this.streamHead && (ints[o + I_FLAGS]! & SL_STREAM) !== 0) return s;
      this.streamHead++;
    }
    return NONE;
  }

  /** The least recently used slot holding a Zeek connection, or NONE. */
  oldestZeek(): number {
    const uses = this.uses;
    const ints = this.ints;
    while (this.zeekHead < this.tail) {
      const s = uses[this.zeekHead]!;
      const o = s * STRIDE;
      if (ints[o + I_USE] === this.zeekHead && (ints[o + I_FLAGS]! & SL_ZEEK) !== 0) return s;
      this.zeekHead++;
    }
    return NONE;
  }

  /**
   * Calls `each` with every slot holding a connection, least recently used first.
   */
  forEachConn(each: (slot: number) => void): void {
    const uses = this.uses;
    const ints = this.ints;
    for (let i = this.connHead; i < this.tail; i++) {
      const s = uses[i]!;
      const o = s * STRIDE;
      if (ints[o + I_USE] === i && (ints[o + I_FLAGS]! & SL_CONN) !== 0) each(s);
    }
  }

  /**
   * The use order is full: its live entries from the lower head on move, in order, to the start
   * (of an array twice their number when they fill more than half of it, or less than a quarter),
   * so that as many uses again pass before the next packing.
   */
  private packUses(): void {
    const old = this.uses;
    const ints = this.ints;
    const low = Math.min(this.connHead, this.streamHead, this.zeekHead);
    let n = 0;
    for (let i = low; i < this.tail; i++) if (ints[old[i]! * STRIDE + I_USE] === i) n++;
    const size = old.length;
    const uses =
      2 * n <= size && (4 * n >= size || size === INITIAL_USES)
        ? old
        : new Int32Array(Math.max(INITIAL_USES, 2 * n));
    let w = 0;
    let connHead = -1;
    let streamHead = -1;
    let zeekHead = -1;
    for (let i = low; i < this.tail; i++) {
      if (i === this.connHead) connHead = w;
      if (i === this.streamHead) streamHead = w;
      if (i === this.zeekHead) zeekHead = w;
      const s = old[i]!;
      const o = s * STRIDE + I_USE;
      if (ints[o] !== i) continue;
      uses[w] = s;
      ints[o] = w++;
    }
    this.connHead = connHead < 0 ? w : connHead;
    this.streamHead = streamHead < 0 ? w : streamHead;
    this.zeekHead = zeekHead < 0 ? w : zeekHead;
    this.uses = uses;
    this.tail = w;
  }
}
