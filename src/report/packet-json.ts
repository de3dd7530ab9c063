// The packet record of `synack read --json` (PRODUCT.md "The packet record", contract): one JSON
// object per TCP packet with the decoded fields, in the contract's order. The relative numbers and
// the scaled window follow Wireshark (tshark 4.0): each direction's sequence numbers count from
// its ISN (the SYN's sequence number, or one before the first segment seen mid-stream); the
// window is shifted by the scale negotiated on the SYNs (unknown → the raw value; a SYN or
// SYN+ACK without the option turns scaling off for both sides). Connection fields (conn, from,
// role, states, tags) are appended by the tracker through `extra`.

import { ACK, formatTime, type Packet, SYN } from '../wire/packet.js';
import { tcpOptions } from '../wire/tcp-header.js';
import { ipv4String, ipv6String, tcpdumpFlags } from './tcpdump.js';

/** How long the state of a 4-tuple is kept (read: the tracker's horizon, --idle and --max-conns). */
export interface PacketJsonHorizon {
  /** Capture time without a segment after which a 4-tuple is forgotten (µs). */
  idleUsec: number;
  /** 4-tuples kept at most (past it the idle ones, then the oldest, are forgotten). */
  maxPairs: number;
}

/**
 * Per-direction state for rel_seq, rel_ack and win_scaled. Wireshark keeps it for the whole
 * capture; here a 4-tuple unseen for the horizon's idle time, or among the oldest beyond its
 * count, is forgotten, as the flow table forgets connections, so that memory follows the open
 * connections and not the length of the file (a SYN flood's millions of 4-tuples). A 4-tuple seen
 * again after that counts from its next segment, as a conversation joined mid-stream.
 */
export class PacketJsonState {
  /**
   * Each 4-tuple's slot, oldest first (a Map keeps insertion order). The key is the two endpoints
   * as 16-bit code units (address, port), the lower endpoint first: no text per 4-tuple.
   */
  private readonly pairs = new Map<string, number>();
  // Per slot, its two directions (2·slot: from the lower endpoint, 2·slot + 1: the other):
  // the ISN base, whether it is set, the window scale shift (-1 unknown, -2 no scaling).
  private baseSeq = new Float64Array(0);
  private baseSet = new Uint8Array(0);
  private scale = new Int8Array(0);
  /** Per slot: when the 4-tuple was last seen (µs). */
  private lastUsec = new Float64Array(0);
  private slots = 0;
  private readonly freeSlots: number[] = [];

  /** Numbers computed by the last `update` call. */
  relSeq = 0;
  relAck = 0;
  winScaled = 0;

  constructor(private readonly horizon: PacketJsonHorizon | null = null) {}

  update(pkt: Packet, _src: string, _dst: string): void {
    const srcKey = endpointKey(pkt.src, pkt.ipVersion, pkt.srcPort);
    const dstKey = endpointKey(pkt.dst, pkt.ipVersion, pkt.dstPort);
    const low = srcKey < dstKey;
    const slot = this.pair(low ? srcKey + dstKey : dstKey + srcKey, pkt.tsUsec);
    // A packet from an endpoint to itself (a LAND attack) has one direction, both ways.
    const fwd = low || srcKey === dstKey ? 2 * slot : 2 * slot + 1;
    const rev = low ? 2 * slot + 1 : 2 * slot;
    const base = this.baseSeq;
    const set = this.baseSet;
    const scale = this.scale;
    const syn = (pkt.flags & SYN) !== 0;
    const ack = (pkt.flags & ACK) !== 0;
    if (syn && !ack && set[fwd] === 1 && base[fwd] !== pkt.seq) {
      // A SYN with a new ISN starts a new conversation (Wireshark's port reuse): forget both sides.
      set[fwd] = 0;
      set[rev] = 0;
      scale[fwd] = -1;
      scale[rev] = -1;
    }
    if (set[fwd] === 0) {
      base[fwd] = syn ? pkt.seq : (pkt.seq - 1) >>> 0;
      set[fwd] = 1;
    }
    if (ack && set[rev] === 0) {
      base[rev] = (pkt.ack - 1) >>> 0;
      set[rev] = 1;
    }
    if (syn) {
      scale[fwd] = pkt.wscale >= 0 ? Math.min(pkt.wscale, 14) : -2;
      if (ack && (scale[fwd] === -2 || scale[rev] === -2)) {
        scale[fwd] = -2;
        scale[rev] = -2;
      }
    }
    this.relSeq = (pkt.seq - base[fwd]!) >>> 0;
    this.relAck = ack ? (pkt.ack - base[rev]!) >>> 0 : pkt.ack;
    const shift = scale[fwd]!;
    this.winScaled = !syn && shift >= 0 ? pkt.window * 2 ** shift : pkt.window;
  }

  /** The 4-tuple's slot, made on first sight; forgets what is past the horizon at `now`. */
  private pair(key: string, now: number): number {
    const pairs = this.pairs;
    const h = this.horizon;
    let slot = pairs.get(key);
    if (slot !== undefined && h !== null && now - this.lastUsec[slot]! >= h.idleUsec) {
      // Unseen for the idle time: forgotten, counted again from this segment.
      this.clear(slot);
    } else if (slot === undefined) {
      slot = this.freeSlots.pop() ?? this.newSlot();
      this.clear(slot);
      pairs.set(key, slot);
      if (h !== null && pairs.size > h.maxPairs) this.sweep(now, h);
    }
    this.lastUsec[slot] = now;
    return slot;
  }

  private clear(slot: number): void {
    const d = 2 * slot;
    this.baseSeq[d] = this.baseSeq[d + 1] = 0;
    this.baseSet[d] = this.baseSet[d + 1] = 0;
    this.scale[d] = this.scale[d + 1] = -1;
  }

  private newSlot(): number {
    const slot = this.slots++;
    if (slot >= this.lastUsec.length) {
      const n = Math.max(1024, 2 * this.lastUsec.length);
      const grow = <T extends Float64Array | Uint8Array | Int8Array>(a: T, size: number): T => {
        const b = new (a.constructor as new (n: number) => T)(size);
        b.set(a);
        return b;
      };
      this.baseSeq = grow(this.baseSeq, 2 * n);
      this.baseSet = grow(this.baseSet, 2 * n);
      this.scale = grow(this.scale, 2 * n);
      this.lastUsec = grow(this.lastUsec, n);
    }
    return slot;
  }

  /**
   * Over the count: the 4-tuples idle past the idle time go, then the oldest (first seen) until a
   * quarter of the room is free again. One pass over the table per maxPairs / 4 new 4-tuples at
   * least, so the cost per packet stays constant.
   */
  private sweep(now: number, h: PacketJsonHorizon): void {
    const pairs = this.pairs;
    for (const [k, slot] of pairs)
      if (now - this.lastUsec[slot]! >= h.idleUsec) {
        pairs.delete(k);
        this.freeSlots.push(slot);
      }
    const keep = Math.floor((h.maxPairs * 3) / 4);
    for (const [k, slot] of pairs) {
      if (pairs.size <= keep) break;
      pairs.delete(k);
      this.freeSlots.push(slot);
    }
  }
}

/** An endpoint as 16-bit code units: the address two bytes a unit, then the port. */
function endpointKey(addr: Uint8Array, ipVersion: number, port: number): string {
  if (ipVersion !== 6)
    return String.fromCharCode((addr[0]! << 8) | addr[1]!, (addr[2]! << 8) | addr[3]!, port);
  let s = '';
  for (let i = 0; i < 16; i += 2) s += String.fromCharCode((addr[i]! << 8) | addr[i + 1]!);
  return s + String.fromCharCode(port);
}

/** The packet's source and destination addresses as text. */
export function addressText(pkt: Packet, which: 'src' | 'dst'): string {
  const a = which === 'src' ? pkt.src : pkt.dst;
  return pkt.ipVersion === 6 ? ipv6String(a, 0) : ipv4String(a, 0);
}

/**
 * The record as one line of JSON (no newline). `extra` is appended inside the object as is: either
 * '' or text starting with a comma (`, "conn": 1, …`), so later fields keep the contract's order.
 */
export function packetJson(pkt: Packet, state: PacketJsonState, extra = ''): string {
  const src = addressText(pkt, 'src');
  const dst = addressText(pkt, 'dst');
  state.update(pkt, src, dst);
  const ipId = pkt.ipVersion === 4 || pkt.ipId >= 0 ? pkt.ipId : null;
  return (
    `{"frame": ${pkt.frame}, "time": ${formatTime(pkt.tsSec, pkt.tsNsec)}, "linktype": ${pkt.linktype}, ` +
    `"ip_version": ${pkt.ipVersion}, "src": {"ip": ${JSON.stringify(src)}, "port": ${pkt.srcPort}}, ` +
    `"dst": {"ip": ${JSON.stringify(dst)}, "port": ${pkt.dstPort}}, "ttl": ${pkt.ttl}, "ip_id": ${ipId}, ` +
    `"df": ${pkt.df}, "flags": ${JSON.stringify(tcpdumpFlags(pkt.flags & 0xff) === 'none' ? '' : tcpdumpFlags(pkt.flags & 0xff))}, ` +
    `"seq": ${pkt.seq}, "ack": ${pkt.ack}, "rel_seq": ${state.relSeq}, "rel_ack": ${state.relAck}, ` +
    `"win": ${pkt.window}, "win_scaled": ${state.winScaled}, "len": ${pkt.payloadLen}, ` +
    `"options": ${JSON.stringify(tcpOptions(pkt))}, "truncated": ${pkt.truncated}, ` +
    `"checksum": ${JSON.stringify(pkt.checksumStatus)}${extra}}`
  );
}
