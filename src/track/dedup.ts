// `--dedup` (issue 3, off by default): a capture on several interfaces at once (pcapng with one
// IDB per interface, Linux `-i any` in SLL2, or several files merged) shows a forwarded segment
// once per interface it crossed; every copy after the first would look like a retransmission.
// A TCP segment is a copy when the same 4-tuple and direction, IP ID, sequence number and payload
// length were seen on another interface within the last millisecond; copies are dropped before
// the flow table sees them. A repeat on the same interface is a real retransmission and is kept.
//
// Hot path: a ring of the recent segments in typed arrays, chained per hash bucket through global
// insertion numbers (an overwritten or expired entry ends the chain), so nothing is allocated per
// packet. Pure: time comes from the packet.

import { Layer, type Packet } from '../wire/packet.js';

/** How long a copy may trail the original (µs). */
export const DEDUP_WINDOW_USEC = 1000;

const RING = 1 << 16; // segments remembered at most (a 1 ms window at 65 M packets/s)
const BUCKETS = 1 << 16;
const ADDR = 32; // bytes per slot: source then destination address (16 each)

/**
 * The interface a frame was captured on, as one number: the input file (when several are merged),
 * the pcapng interface, and for Linux cooked v2 captures the interface index in its header.
 */
export function captureInterface(pkt: Packet, frame: Uint8Array, fileIndex: number): number {
  let ifindex = 0;
  for (let i = 0; i < pkt.layerCount; i++) {
    if (pkt.layerKind[i] !== Layer.SLL2) continue;
    const o = pkt.layerOffset[i]! + 4;
    if (o + 4 <= frame.length)
      ifindex = ((frame[o]! << 24) | (frame[o + 1]! << 16) | (frame[o + 2]! << 8) | frame[o + 3]!) >>> 0;
    break;
  }
  // fileIndex < 2^10, pcapng interface < 2^10 (clamped), ifindex < 2^32: exact in a double.
  return (fileIndex * 1024 + Math.min(pkt.iface, 1023)) * 4294967296 + ifindex;
}

export class SegmentDedup {
  /** Segments dropped as copies. */
  dropped = 0;
  private counter = 0;
  private readonly head = new Float64Array(BUCKETS).fill(-1);
  private readonly gen = new Float64Array(RING).fill(-1);
  private readonly next = new Float64Array(RING);
  private readonly time = new Float64Array(RING);
  private readonly iface = new Float64Array(RING);
  private readonly seq = new Uint32Array(RING);
  private readonly ipId = new Int32Array(RING);
  private readonly len = new Int32Array(RING);
  private readonly ports = new Int32Array(RING);
  private readonly ver = new Uint8Array(RING);
  private readonly addrs = new Uint8Array(RING * ADDR);

  /** True when `pkt` (a decoded TCP segment) is a copy of one seen on another interface: drop it. */
  isCopy(pkt: Packet, iface: number): boolean {
    const now = pkt.tsUsec;
    const n = pkt.ipVersion === 6 ? 16 : 4;
    const ports = (pkt.srcPort << 16) | pkt.dstPort;
    let h = Math.imul(pkt.seq ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(pkt.ipId, 0xc2b2ae35) ^ ports;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) ^ pkt.payloadLen;
    const bucket = (h ^ (h >>> 16)) & (BUCKETS - 1);
    for (let g = this.head[bucket]!; g >= 0; ) {
      const s = g % RING;
      // Chains point to older entries only: once one is gone or too old, so is the rest.
      if (this.gen[s] !== g || now - this.time[s]! > DEDUP_WINDOW_USEC) break;
      if (
        this.seq[s] === pkt.seq >>> 0 &&
        this.ipId[s] === pkt.ipId &&
        this.len[s] === pkt.payloadLen &&
        this.ports[s] === ports &&
        this.ver[s] === pkt.ipVersion &&
        this.sameAddrs(s, pkt, n)
      ) {
        if (this.iface[s] !== iface) {
          this.dropped++;
          return true;
        }
        break; // the same interface again: a retransmission, remembered anew below
      }
      g = this.next[s]!;
    }
    const g = this.counter++;
    const s = g % RING;
    this.gen[s] = g;
    this.next[s] = this.head[bucket]!;
    this.head[bucket] = g;
    this.time[s] = now;
    this.iface[s] = iface;
    this.seq[s] = pkt.seq >>> 0;
    this.ipId[s] = pkt.ipId;
    this.len[s] = pkt.payloadLen;
    this.ports[s] = ports;
    this.ver[s] = pkt.ipVersion;
    const o = s * ADDR;
    for (let i = 0; i < n; i++) {
      this.addrs[o + i] = pkt.src[i]!;
      this.addrs[o + 16 + i] = pkt.dst[i]!;
    }
    return false;
  }

  private sameAddrs(s: number, pkt: Packet, n: number): boolean {
    const o = s * ADDR;
    for (let i = 0; i < n; i++) {
      if (this.addrs[o + i] !== pkt.src[i] || this.addrs[o + 16 + i] !== pkt.dst[i]) return false;
    }
    return true;
  }
}
