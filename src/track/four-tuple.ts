// A TCP 4-tuple kept as small integers (the base of the flow table's connections): each address
// as 32-bit words (int32, which V8 keeps as small integers in object fields on 64-bit Node), so
// that matching a packet is a few integer compares and a table of 10^5 open connections carries
// no typed array (with its ArrayBuffer) per address. IPv4 needs one word per address; the other
// three of an IPv6 address live in a side object. Endpoint A is the sender of the first segment.
// The byte form of an address is built only when asked for (records, filters, extract).

import type { Packet } from '../wire/packet.js';

/** Bytes i..i+3 of x as an int32 word. */
function word(x: Uint8Array, i: number): number {
  return (x[i]! << 24) | (x[i + 1]! << 16) | (x[i + 2]! << 8) | x[i + 3]!;
}

/** The other three words of each IPv6 address (an IPv4 tuple has none). */
class V6Words {
  constructor(
    readonly a1: number,
    readonly a2: number,
    readonly a3: number,
    readonly b1: number,
    readonly b2: number,
    readonly b3: number,
  ) {}
}

/** Byte views of both addresses (one 32-byte buffer), made on first request. */
class AddrViews {
  constructor(
    readonly a: Uint8Array,
    readonly b: Uint8Array,
  ) {}
}

export class FourTuple {
  /** portA << 16 | portB (as int32). */
  private ports = 0;
  // The first word of address A and of B (all of an IPv4 address) as int32.
  private a0 = 0;
  private b0 = 0;
  /** The rest of IPv6 addresses; null for IPv4. */
  private v6: V6Words | null = null;
  private views: AddrViews | null = null;

  get ipVersion(): number {
    return this.v6 === null ? 4 : 6;
  }
  get portA(): number {
    return this.ports >>> 16;
  }
  get portB(): number {
    return this.ports & 0xffff;
  }

  /** Back to a new tuple's state (a recycled connection; setTuple follows). */
  protected clearTuple(): void {
    this.ports = 0;
    this.a0 = 0;
    this.b0 = 0;
    this.v6 = null;
    this.views = null;
  }

  /** Takes the packet's 4-tuple, its sender as A. */
  setTuple(pkt: Packet): void {
    const s = pkt.src;
    const d = pkt.dst;
    this.ports = (pkt.srcPort << 16) | pkt.dstPort;
    this.a0 = word(s, 0);
    this.b0 = word(d, 0);
    this.v6 =
      pkt.ipVersion === 6
        ? new V6Words(word(s, 4), word(s, 8), word(s, 12), word(d, 4), word(d, 8), word(d, 12))
        : null;
    this.views = null;
  }

  /** 0 when pkt was sent by A (to B), 1 when by B (to A), -1 when it is not this 4-tuple's. */
  directionOf(pkt: Packet): number {
    const v6 = this.v6;
    if ((pkt.ipVersion === 6) !== (v6 !== null)) return -1;
    const sp = pkt.srcPort;
    const dp = pkt.dstPort;
    // Ports first: most connections sharing a bucket differ there.
    if (this.ports === ((sp << 16) | dp) && this.a0 === word(pkt.src, 0) && this.b0 === word(pkt.dst, 0)) {
      if (v6 === null || (isA(v6, pkt.src) && isB(v6, pkt.dst))) return 0;
    }
    if (this.ports === ((dp << 16) | sp) && this.a0 === word(pkt.dst, 0) && this.b0 === word(pkt.src, 0)) {
      if (v6 === null || (isB(v6, pkt.src) && isA(v6, pkt.dst))) return 1;
    }
    return -1;
  }

  private wordAt(i: number): number {
    const v6 = this.v6;
    switch (i) {
      case 0:
        return this.a0;
      case 1:
        return v6 === null ? 0 : v6.a1;
      case 2:
        return v6 === null ? 0 : v6.a2;
      case 3:
        return v6 === null ? 0 : v6.a3;
      case 4:
        return this.b0;
      case 5:
        return v6 === null ? 0 : v6.b1;
      case 6:
        return v6 === null ? 0 : v6.b2;
      default:
        return v6 === null ? 0 : v6.b3;
    }
  }

  /** Writes words from..from+n-1 as bytes into out. */
  private wordsInto(out: Uint8Array, from: number, n: number): void {
    for (let i = 0; i < n; i++) {
      const w = this.wordAt(from + i);
      out[4 * i] = w >>> 24;
      out[4 * i + 1] = (w >>> 16) & 0xff;
      out[4 * i + 2] = (w >>> 8) & 0xff;
      out[4 * i + 3] = w & 0xff;
    }
  }

  /** Both addresses as bytes (A at 0, B at 16), built on first use. */
  private makeViews(): AddrViews {
    const b = new Uint8Array(32);
    this.wordsInto(b, 0, 8);
    this.views = new AddrViews(b.subarray(0, 16), b.subarray(16, 32));
    return this.views;
  }

  /** Address A as 16 bytes (the first 4 for IPv4). */
  get addrA(): Uint8Array {
    return (this.views ?? this.makeViews()).a;
  }

  /** Address B as 16 bytes (the first 4 for IPv4). */
  get addrB(): Uint8Array {
    return (this.views ?? this.makeViews()).b;
  }

  /** Address A (`which` 0) or B (1) as tcpdump prints it, through `text`, without keeping bytes. */
  addrText(which: 0 | 1, text: (bytes: Uint8Array, ipVersion: number) => string): string {
    const v4 = this.v6 === null;
    const scratch = v4 ? SCRATCH4 : SCRATCH16;
    this.wordsInto(scratch, which === 0 ? 0 : 4, v4 ? 1 : 4);
    return text(scratch, v4 ? 4 : 6);
  }
}

function isA(v6: V6Words, x: Uint8Array): boolean {
  return v6.a1 === word(x, 4) && v6.a2 === word(x, 8) && v6.a3 === word(x, 12);
}

function isB(v6: V6Words, x: Uint8Array): boolean {
  return v6.b1 === word(x, 4) && v6.b2 === word(x, 8) && v6.b3 === word(x, 12);
}

// Scratch bytes for addrText, one per address size, so that no view is made per call (the text
// function reads them before returning; never kept).
const SCRATCH4 = new Uint8Array(4);
const SCRATCH16 = new Uint8Array(16);
