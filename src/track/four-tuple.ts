// A TCP 4-tuple kept as small integers (the base of the flow table's connections and of
// Wireshark's streams): each address as 32-bit words (int32, which V8 keeps as small integers in
// object fields on 64-bit Node), so that matching a packet is a few integer compares and a table
// of 10^5 open connections carries no typed array (with its ArrayBuffer) per address. Endpoint A is the sender of the first segment.
// The byte form of an address is built only when asked for (records, filters, extract).

import type { Packet } from '../wire/packet.js';

/** Bytes i..i+3 of x as an int32 word. */
function word(x: Uint8Array, i: number): number {
  return (x[i]! << 24) | (x[i + 1]! << 16) | (x[i + 2]! << 8) | x[i + 3]!;
}

export class FourTuple {
  ipVersion = 4;
  portA = 0;
  portB = 0;
  // Address A, then B, as int32 words (IPv4 uses the first of each).
  private a0 = 0;
  private a1 = 0;
  private a2 = 0;
  private a3 = 0;
  private b0 = 0;
  private b1 = 0;
  private b2 = 0;
  private b3 = 0;
  // Byte views of the addresses, made on first request only (one 32-byte buffer for both).
  private viewA: Uint8Array | null = null;
  private viewB: Uint8Array | null = null;

  /** Takes the packet's 4-tuple, its sender as A. */
  setTuple(pkt: Packet): void {
    const s = pkt.src;
    const d = pkt.dst;
    this.ipVersion = pkt.ipVersion;
    this.portA = pkt.srcPort;
    this.portB = pkt.dstPort;
    this.a0 = word(s, 0);
    this.b0 = word(d, 0);
    if (pkt.ipVersion === 6) {
      this.a1 = word(s, 4);
      this.a2 = word(s, 8);
      this.a3 = word(s, 12);
      this.b1 = word(d, 4);
      this.b2 = word(d, 8);
      this.b3 = word(d, 12);
    } else {
      this.a1 = this.a2 = this.a3 = 0;
      this.b1 = this.b2 = this.b3 = 0;
    }
    this.viewA = null;
    this.viewB = null;
  }

  /** 0 when pkt was sent by A (to B), 1 when by B (to A), -1 when it is not this 4-tuple's. */
  directionOf(pkt: Packet): number {
    if (pkt.ipVersion !== this.ipVersion) return -1;
    const v6 = pkt.ipVersion === 6;
    if (
      pkt.srcPort === this.portA &&
      pkt.dstPort === this.portB &&
      this.isA(pkt.src, v6) &&
      this.isB(pkt.dst, v6)
    )
      return 0;
    if (
      pkt.srcPort === this.portB &&
      pkt.dstPort === this.portA &&
      this.isB(pkt.src, v6) &&
      this.isA(pkt.dst, v6)
    )
      return 1;
    return -1;
  }

  private isA(x: Uint8Array, v6: boolean): boolean {
    if (this.a0 !== word(x, 0)) return false;
    return !v6 || (this.a1 === word(x, 4) && this.a2 === word(x, 8) && this.a3 === word(x, 12));
  }

  private isB(x: Uint8Array, v6: boolean): boolean {
    if (this.b0 !== word(x, 0)) return false;
    return !v6 || (this.b1 === word(x, 4) && this.b2 === word(x, 8) && this.b3 === word(x, 12));
  }

  private wordAt(i: number): number {
    switch (i) {
      case 0:
        return this.a0;
      case 1:
        return this.a1;
      case 2:
        return this.a2;
      case 3:
        return this.a3;
      case 4:
        return this.b0;
      case 5:
        return this.b1;
      case 6:
        return this.b2;
      default:
        return this.b3;
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
  private makeViews(): void {
    const b = new Uint8Array(32);
    this.wordsInto(b, 0, 8);
    this.viewA = b.subarray(0, 16);
    this.viewB = b.subarray(16, 32);
  }

  /** Address A as 16 bytes (the first 4 for IPv4). */
  get addrA(): Uint8Array {
    if (this.viewA === null) this.makeViews();
    return this.viewA!;
  }

  /** Address B as 16 bytes (the first 4 for IPv4). */
  get addrB(): Uint8Array {
    if (this.viewB === null) this.makeViews();
    return this.viewB!;
  }

  /** Address A (`which` 0) or B (1) as tcpdump prints it, through `text`, without keeping bytes. */
  addrText(which: 0 | 1, text: (bytes: Uint8Array, ipVersion: number) => string): string {
    const n = this.ipVersion === 6 ? 4 : 1;
    this.wordsInto(SCRATCH, which === 0 ? 0 : 4, n);
    return text(SCRATCH.subarray(0, 4 * n), this.ipVersion);
  }
}

/** Scratch bytes for addrText (the text function reads them before returning; never kept). */
const SCRATCH = new Uint8Array(16);
