// The decoder's cursor and shared state while one frame is taken apart, layer by layer. Each
// layer module (link, ip, tunnels, tcp-header) reads from `buf` at `off`, records what it saw in
// the Packet, moves the cursor to the next layer and returns what comes next (a Next value), so the
// decoder is a flat loop with no recursion, no closures and no allocation per packet.
// Also: big-endian reads on a Uint8Array (index arithmetic is as fast as a DataView and needs no
// view per buffer).

import type { Reassembler } from './fragments.js';

/** What the cursor points at next, or how decoding ended (values ≥ DONE_TCP are terminal). */
export enum Next {
  /** An Ethernet header (from the link, VXLAN, Geneve, GRE TEB, ERSPAN, PBB). */
  ETHERNET = 0,
  /** Bytes whose type is the ethertype in `ctx.type` (VLAN, MPLS, PPPoE, IP, …). */
  ETHERTYPE = 1,
  IPV4 = 2,
  IPV6 = 3,
  /** The payload of an IP datagram whose protocol number is in `ctx.type`. */
  IP_PAYLOAD = 4,
  /** The first nibble decides: 4 → IPv4, 6 → IPv6, else not TCP (raw IP, MPLS, GTP). */
  IP_BY_VERSION = 5,
  DONE_TCP = 16,
  DONE_NOT_TCP = 17,
  DONE_FRAGMENT_HELD = 18,
  DONE_MALFORMED = 19,
  DONE_UNSUPPORTED = 20,
}

export class DecodeContext {
  /** The buffer being read: the frame, or a reassembled datagram's payload. */
  buf: Uint8Array = new Uint8Array(0);
  /** Where the next layer starts in `buf`. */
  off = 0;
  /** End of the bytes actually present in `buf` for the current layer (captured, within outer lengths). */
  end = 0;
  /** End of the current IP datagram according to its length fields (may exceed `end` when truncated). */
  limit = 0;
  /** Ethertype or IP protocol number, depending on the Next value. */
  type = 0;
  /**
   * IPv6 routing header: the final destination the TCP pseudo-header uses (RFC 8200 §8.1) when
   * segments are left; `hasFinalDst` is reset by every IP header.
   */
  readonly finalDst = new Uint8Array(16);
  hasFinalDst = false;
  /** Held fragments, or null when reassembly is off. */
  reassembler: Reassembler | null = null;
  readonly notes: string[] = [];
  private readonly noted = new Set<string>();

  /** Adds a note once per decoder (unknown link types, oddities worth one line on stderr). */
  noteOnce(message: string): void {
    if (!this.noted.has(message)) {
      this.noted.add(message);
      this.notes.push(message);
    }
  }
}

export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
