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

/** One direction of a 4-tuple as Wireshark tracks it for relative numbers and window scaling. */
interface Direction {
  baseSeq: number;
  baseSet: boolean;
  /** Window scale shift; -1 unknown, -2 no scaling. */
  scale: number;
}

/** Both directions of a 4-tuple, and when it was last seen. */
interface DirectionPair {
  /** The direction from the endpoint whose text sorts first. */
  low: Direction;
  high: Direction;
  lastUsec: number;
}

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
  // Oldest first (a Map keeps insertion order).
  private readonly pairs = new Map<string, DirectionPair>();

  /** Numbers computed by the last `update` call. */
  relSeq = 0;
  relAck = 0;
  winScaled = 0;

  constructor(private readonly horizon: PacketJsonHorizon | null = null) {}

  update(pkt: Packet, src: string, dst: string): void {
    const srcKey = `${src}|${pkt.srcPort}`;
    const dstKey = `${dst}|${pkt.dstPort}`;
    const low = srcKey < dstKey;
    const pair = this.pair(low ? `${srcKey}|${dstKey}` : `${dstKey}|${srcKey}`, pkt.tsUsec);
    // A packet from an endpoint to itself (a LAND attack) has one direction, both ways.
    const fwd = low || srcKey === dstKey ? pair.low : pair.high;
    const rev = low ? pair.high : pair.low;
    const syn = (pkt.flags & SYN) !== 0;
    const ack = (pkt.flags & ACK) !== 0;
    if (syn && !ack && fwd.baseSet && fwd.baseSeq !== pkt.seq) {
      // A SYN with a new ISN starts a new conversation (Wireshark's port reuse): forget both sides.
      fwd.baseSet = false;
      rev.baseSet = false;
      fwd.scale = -1;
      rev.scale = -1;
    }
    if (!fwd.baseSet) {
      fwd.baseSeq = syn ? pkt.seq : (pkt.seq - 1) >>> 0;
      fwd.baseSet = true;
    }
    if (ack && !rev.baseSet) {
      rev.baseSeq = (pkt.ack - 1) >>> 0;
      rev.baseSet = true;
    }
    if (syn) {
      fwd.scale = pkt.wscale >= 0 ? Math.min(pkt.wscale, 14) : -2;
      if (ack && (fwd.scale === -2 || rev.scale === -2)) {
        fwd.scale = -2;
        rev.scale = -2;
      }
    }
    this.relSeq = (pkt.seq - fwd.baseSeq) >>> 0;
    this.relAck = ack ? (pkt.ack - rev.baseSeq) >>> 0 : pkt.ack;
    this.winScaled = !syn && fwd.scale >= 0 ? pkt.window * 2 ** fwd.scale : pkt.window;
  }

  /** The 4-tuple's directions, made on first sight; forgets what is past the horizon at `now`. */
  private pair(key: string, now: number): DirectionPair {
    const pairs = this.pairs;
    const h = this.horizon;
    let p = pairs.get(key);
    if (p !== undefined && h !== null && now - p.lastUsec >= h.idleUsec) {
      // Unseen for the idle time: forgotten, counted again from this segment.
      resetDirection(p.low);
      resetDirection(p.high);
    } else if (p === undefined) {
      p = { low: newDirection(), high: newDirection(), lastUsec: now };
      pairs.set(key, p);
      if (h !== null && pairs.size > h.maxPairs) this.sweep(now, h);
    }
    p.lastUsec = now;
    return p;
  }

  /**
   * Over the count: the 4-tuples idle past the idle time go, then the oldest (first seen) until a
   * quarter of the room is free again. One pass over the table per maxPairs / 4 new 4-tuples at
   * least, so the cost per packet stays constant.
   */
  private sweep(now: number, h: PacketJsonHorizon): void {
    const pairs = this.pairs;
    for (const [k, old] of pairs) if (now - old.lastUsec >= h.idleUsec) pairs.delete(k);
    const keep = Math.floor((h.maxPairs * 3) / 4);
    for (const k of pairs.keys()) {
      if (pairs.size <= keep) break;
      pairs.delete(k);
    }
  }
}

function resetDirection(d: Direction): void {
  d.baseSeq = 0;
  d.baseSet = false;
  d.scale = -1;
}

function newDirection(): Direction {
  return { baseSeq: 0, baseSet: false, scale: -1 };
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
