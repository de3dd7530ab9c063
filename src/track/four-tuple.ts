// A TCP 4-tuple kept as small integers (the base of the flow table's connections and of
// Wireshark's streams): each address as 16-bit halves in plain fields, so that matching a packet
// is a few integer compares and a table of 10^5 open connections carries no typed array (with
// its ArrayBuffer) and no boxed double per address. Endpoint A is the sender of the first segment.
// The byte form of an address is built only when asked for (records, filters, extract).

import type { Packet } from '../wire/packet.js';

function half(x: Uint8Array, i: number): number {
  return (x[i]! << 8) | x[i + 1]!;
}

export class FourTuple {
  ipVersion = 4;
  portA = 0;
  portB = 0;
  // Address A, then B, as 16-bit halves (IPv4 uses the first two of each).
  private a0 = 0;
  private a1 = 0;
  private a2 = 0;
  private a3 = 0;
  private a4 = 0;
  private a5 = 0;
  private a6 = 0;
  private a7 = 0;
  private b0 = 0;
  private b1 = 0;
  private b2 = 0;
  private b3 = 0;
  private b4 = 0;
  private b5 = 0;
  private b6 = 0;
  private b7 = 0;
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
    this.a0 = half(s, 0);
    this.a1 = half(s, 2);
    this.b0 = half(d, 0);
    this.b1 = half(d, 2);
    if (pkt.ipVersion === 6) {
      this.a2 = half(s, 4);
      this.a3 = half(s, 6);
      this.a4 = half(s, 8);
      this.a5 = half(s, 10);
      this.a6 = half(s, 12);
      this.a7 = half(s, 14);
      this.b2 = half(d, 4);
      this.b3 = half(d, 6);
      this.b4 = half(d, 8);
      this.b5 = half(d, 10);
      this.b6 = half(d, 12);
      this.b7 = half(d, 14);
    } else {
      this.a2 = this.a3 = this.a4 = this.a5 = this.a6 = this.a7 = 0;
      this.b2 = this.b3 = this.b4 = this.b5 = this.b6 = this.b7 = 0;
    }
    this.viewA = null;
    this.viewB = null;
  }

  /** 0 when pkt was sent by A (to B), 1 when by B (to A), -1 when it is not this 4-tuple's. */
  directionOf(pkt: Packet): number {
    if (pkt.ipVersion !== this.ipVersion) return -1;
    const v6 = pkt.ipVersion === 6;
    if (pkt.srcPort === this.portA && pkt.dstPort === this.portB && this.isA(pkt.src, v6) && this.isB(pkt.dst, v6))
      return 0;
    if (pkt.srcPort === this.portB && pkt.dstPort === this.portA && this.isB(pkt.src, v6) && this.isA(pkt.dst, v6))
      return 1;
    return -1;
  }

  private isA(x: Uint8Array, v6: boolean): boolean {
    if (this.a0 !== half(x, 0) || this.a1 !== half(x, 2)) return false;
    if (!v6) return true;
    return (
      this.a2 === half(x, 4) &&
      this.a3 === half(x, 6) &&
      this.a4 === half(x, 8) &&
      this.a5 === half(x, 10) &&
      this.a6 === half(x, 12) &&
      this.a7 === half(x, 14)
    );
  }

  private isB(x: Uint8Array, v6: boolean): boolean {
    if (this.b0 !== half(x, 0) || this.b1 !== half(x, 2)) return false;
    if (!v6) return true;
    return (
      this.b2 === half(x, 4) &&
      this.b3 === half(x, 6) &&
      this.b4 === half(x, 8) &&
      this.b5 === half(x, 10) &&
      this.b6 === half(x, 12) &&
      this.b7 === half(x, 14)
    );
  }

  /** Both addresses as bytes (A at 0, B at 16), built on first use. */
  private makeViews(): void {
    const b = new Uint8Array(32);
    for (let i = 0; i < 16; i++) {
      const h = this.halfAt(i);
      b[2 * i] = h >>> 8;
      b[2 * i + 1] = h & 0xff;
    }
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
    const scratch = SCRATCH;
    const o = which === 0 ? 0 : 8;
    const n = this.ipVersion === 6 ? 8 : 2;
    for (let i = 0; i < n; i++) {
      const h = this.halfAt(o + i);
      scratch[2 * i] = h >>> 8;
      scratch[2 * i + 1] = h & 0xff;
    }
    return text(scratch.subarray(0, 2 * n), this.ipVersion);
  }

  private halfAt(i: number): number {
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
        return this.a4;
      case 5:
        return this.a5;
      case 6:
        return this.a6;
      case 7:
        return this.a7;
      case 8:
        return this.b0;
      case 9:
        return this.b1;
      case 10:
        return this.b2;
      case 11:
        return this.b3;
      case 12:
        return this.b4;
      case 13:
        return this.b5;
      case 14:
        return this.b6;
      default:
        return this.b7;
    }
  }
}

/** Scratch bytes for addrText (the text function reads them before returning; never kept). */
const SCRATCH = new Uint8Array(16);
