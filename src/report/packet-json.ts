// The packet record of `synack read --json` (PRODUCT.md "The packet record", contract): one JSON
// object per TCP packet with the decoded fields, in the contract's order. The relative numbers and
// the scaled window follow Wireshark (tshark 4.0): each direction's sequence numbers count from
// its ISN (the SYN's sequence number, or one before the first segment seen mid-stream); the
// window is shifted by the scale negotiated on the SYNs (unknown → the raw value; a SYN or
// SYN+ACK without the option turns scaling off for both sides). Connection fields (conn, from,
// role, states, tags) are appended by the tracker through `extra`.

import { ACK, formatTime, type Packet, SYN } from '../wire/packet.js';
import { type TcpOption, tcpOptions } from '../wire/tcp-header.js';
import { LineBytes, utf8 } from './line-bytes.js';
import { ipv6String, tcpdumpFlags } from './tcpdump.js';

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
  // Each 4-tuple's slot, found through a chained hash table of typed arrays (no text or object per
  // 4-tuple). Its key: the lower endpoint's address (4 words), the other's (4 words), both ports
  // and the IP version. Slots are also linked oldest first (first seen), which `sweep` forgets first.
  private keys = new Int32Array(0);
  private chain = new Int32Array(0);
  private heads = new Int32Array(1024).fill(-1);
  private older = new Int32Array(0);
  private newer = new Int32Array(0);
  private oldest = -1;
  private newest = -1;
  private live = 0;
  // Per slot, its two directions (2·slot: from the lower endpoint, 2·slot + 1: the other):
  // the ISN base, whether it is set, the window scale shift (-1 unknown, -2 no scaling).
  private baseSeq = new Float64Array(0);
  private baseSet = new Uint8Array(0);
  private scale = new Int8Array(0);
  /** Per slot: when the 4-tuple was last seen (µs). */
  private lastUsec = new Float64Array(0);
  private slots = 0;
  private readonly freeSlots: number[] = [];
  /** The key of the packet at hand. */
  private readonly key = new Int32Array(KEY_WORDS);

  /** Numbers computed by the last `update` call. */
  relSeq = 0;
  relAck = 0;
  winScaled = 0;

  constructor(private readonly horizon: PacketJsonHorizon | null = null) {}

  update(pkt: Packet, _src?: string, _dst?: string): void {
    const order = endpointOrder(pkt);
    const low = order < 0;
    const slot = this.pair(pkt, low, pkt.tsUsec);
    // A packet from an endpoint to itself (a LAND attack) has one direction, both ways.
    const fwd = low || order === 0 ? 2 * slot : 2 * slot + 1;
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
  private pair(pkt: Packet, low: boolean, now: number): number {
    const k = this.key;
    const v6 = pkt.ipVersion === 6;
    const a = low ? pkt.src : pkt.dst;
    const b = low ? pkt.dst : pkt.src;
    const words = v6 ? 4 : 1;
    for (let i = 0; i < 4; i++) {
      k[i] = i < words ? word(a, 4 * i) : 0;
      k[4 + i] = i < words ? word(b, 4 * i) : 0;
    }
    k[8] = low ? (pkt.srcPort << 16) | pkt.dstPort : (pkt.dstPort << 16) | pkt.srcPort;
    k[9] = pkt.ipVersion;
    const h = keyHash(k, 0);
    const heads = this.heads;
    let slot = heads[h & (heads.length - 1)]!;
    while (slot >= 0 && !this.matches(slot)) slot = this.chain[slot]!;
    const hz = this.horizon;
    if (slot >= 0 && hz !== null && now - this.lastUsec[slot]! >= hz.idleUsec) {
      // Unseen for the idle time: forgotten, counted again from this segment.
      this.clear(slot);
    } else if (slot < 0) {
      slot = this.freeSlots.pop() ?? this.newSlot();
      this.clear(slot);
      this.keys.set(k, slot * KEY_WORDS);
      this.link(slot, h);
      if (hz !== null && this.live > hz.maxPairs) this.sweep(now, hz);
    }
    this.lastUsec[slot] = now;
    return slot;
  }

  private matches(slot: number): boolean {
    const keys = this.keys;
    const k = this.key;
    const o = slot * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) if (keys[o + i] !== k[i]) return false;
    return true;
  }

  private hashOf(slot: number): number {
    return keyHash(this.keys, slot * KEY_WORDS);
  }

  /** Into its hash chain and at the newest end of the age list. */
  private link(slot: number, h: number): void {
    if (2 * (this.live + 1) > this.heads.length) this.rehash(2 * this.heads.length);
    const b = h & (this.heads.length - 1);
    this.chain[slot] = this.heads[b]!;
    this.heads[b] = slot;
    this.older[slot] = this.newest;
    this.newer[slot] = -1;
    if (this.newest >= 0) this.newer[this.newest] = slot;
    else this.oldest = slot;
    this.newest = slot;
    this.live++;
  }

  private unlink(slot: number): void {
    const b = this.hashOf(slot) & (this.heads.length - 1);
    let s = this.heads[b]!;
    if (s === slot) this.heads[b] = this.chain[slot]!;
    else {
      while (this.chain[s] !== slot) s = this.chain[s]!;
      this.chain[s] = this.chain[slot]!;
    }
    const o = this.older[slot]!;
    const n = this.newer[slot]!;
    if (o >= 0) this.newer[o] = n;
    else this.oldest = n;
    if (n >= 0) this.older[n] = o;
    else this.newest = o;
    this.live--;
    this.freeSlots.push(slot);
  }

  private rehash(size: number): void {
    const heads = new Int32Array(size).fill(-1);
    for (let s = this.oldest; s >= 0; s = this.newer[s]!) {
      const b = this.hashOf(s) & (size - 1);
      this.chain[s] = heads[b]!;
      heads[b] = s;
    }
    this.heads = heads;
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
      const grow = <T extends Float64Array | Uint8Array | Int8Array | Int32Array>(a: T, size: number): T => {
        const b = new (a.constructor as new (n: number) => T)(size);
        b.set(a);
        return b;
      };
      this.baseSeq = grow(this.baseSeq, 2 * n);
      this.baseSet = grow(this.baseSet, 2 * n);
      this.scale = grow(this.scale, 2 * n);
      this.lastUsec = grow(this.lastUsec, n);
      this.keys = grow(this.keys, KEY_WORDS * n);
      this.chain = grow(this.chain, n);
      this.older = grow(this.older, n);
      this.newer = grow(this.newer, n);
    }
    return slot;
  }

  /**
   * Over the count: the 4-tuples idle past the idle time go, then the oldest (first seen) until a
   * quarter of the room is free again. One pass over the table per maxPairs / 4 new 4-tuples at
   * least, so the cost per packet stays constant.
   */
  private sweep(now: number, h: PacketJsonHorizon): void {
    for (let s = this.oldest; s >= 0; ) {
      const next = this.newer[s]!;
      if (now - this.lastUsec[s]! >= h.idleUsec) this.unlink(s);
      s = next;
    }
    const keep = Math.floor((h.maxPairs * 3) / 4);
    while (this.live > keep) this.unlink(this.oldest);
  }
}

const KEY_WORDS = 10;

/** The hash of the key at `o` (an IPv4 key's zero words left out: the same key, the same hash). */
function keyHash(k: Int32Array, o: number): number {
  let h = Math.imul(0x811c9dc5 ^ k[o + 9]!, 0x01000193);
  h = Math.imul(h ^ k[o]!, 0x01000193);
  h = Math.imul(h ^ k[o + 4]!, 0x01000193);
  h = Math.imul(h ^ k[o + 8]!, 0x01000193);
  if (k[o + 9] === 6)
    for (let i = 1; i < 4; i++) {
      h = Math.imul(h ^ k[o + i]!, 0x01000193);
      h = Math.imul(h ^ k[o + 4 + i]!, 0x01000193);
    }
  return h ^ (h >>> 15);
}

function word(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** <0 when the source endpoint (address, then port) is the lower one, 0 when both are the same. */
function endpointOrder(pkt: Packet): number {
  const a = pkt.src;
  const b = pkt.dst;
  const n = pkt.ipVersion === 6 ? 16 : 4;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return pkt.srcPort - pkt.dstPort;
}

/**
 * The record as one line of JSON (no newline). `extra` is appended inside the object as is: either
 * '' or text starting with a comma (`, "conn": 1, …`), so later fields keep the contract's order.
 */
export function packetJson(pkt: Packet, state: PacketJsonState, extra = ''): string {
  const w = scratch;
  w.pos = 0;
  packetJsonInto(w, pkt, state);
  const s = decoder.decode(w.buf.subarray(0, w.pos));
  w.pos = 0;
  return `${s}${extra}}`;
}

const scratch = new LineBytes();
const decoder = new TextDecoder();

/** Text made bytes once: the record's constant pieces. */
const P_FRAME = utf8('{"frame": ');
const P_TIME = utf8(', "time": ');
const P_LINKTYPE = utf8(', "linktype": ');
const P_VERSION = utf8(', "ip_version": ');
const P_SRC = utf8(', "src": {"ip": "');
const P_PORT = utf8('", "port": ');
const P_DST = utf8('}, "dst": {"ip": "');
const P_TTL = utf8('}, "ttl": ');
const P_IPID = utf8(', "ip_id": ');
const P_DF = utf8(', "df": ');
const P_FLAGS = utf8(', "flags": "');
const P_SEQ = utf8('", "seq": ');
const P_ACK = utf8(', "ack": ');
const P_REL_SEQ = utf8(', "rel_seq": ');
const P_REL_ACK = utf8(', "rel_ack": ');
const P_WIN = utf8(', "win": ');
const P_WIN_SCALED = utf8(', "win_scaled": ');
const P_LEN = utf8(', "len": ');
const P_OPTIONS = utf8(', "options": [');
const P_TRUNCATED = utf8('], "truncated": ');
const P_CHECKSUM = utf8(', "checksum": ');
const TRUE = utf8('true');
const FALSE = utf8('false');
const NULL = utf8('null');
/** The "flags" text of each flag byte (tcpdump's letters; none is ''). */
const FLAG_TEXT = Array.from({ length: 256 }, (_, f) => {
  const t = tcpdumpFlags(f);
  return utf8(t === 'none' ? '' : t);
});

/**
 * The record written as UTF-8 into `w`, all but its closing brace (the tracker's fields go there:
 * annotate.ts packetJsonFieldsInto). Byte for byte the text `packetJson` returns.
 */
export function packetJsonInto(w: LineBytes, pkt: Packet, state: PacketJsonState): void {
  state.update(pkt);
  // Room for all but the options, which go through the writer's own methods: the fixed part is
  // written with a local buffer and position (one bounds check for the whole of it).
  w.ensure(FIXED_ROOM);
  const buf = w.buf;
  let p = w.pos;
  p = put(buf, p, P_FRAME);
  p = putNum(buf, p, pkt.frame);
  p = put(buf, p, P_TIME);
  p = putTime(buf, p, pkt.tsSec, pkt.tsNsec);
  p = put(buf, p, P_LINKTYPE);
  p = putNum(buf, p, pkt.linktype);
  p = put(buf, p, P_VERSION);
  p = putNum(buf, p, pkt.ipVersion);
  p = put(buf, p, P_SRC);
  p = putAddress(buf, p, pkt, pkt.src);
  p = put(buf, p, P_PORT);
  p = putNum(buf, p, pkt.srcPort);
  p = put(buf, p, P_DST);
  p = putAddress(buf, p, pkt, pkt.dst);
  p = put(buf, p, P_PORT);
  p = putNum(buf, p, pkt.dstPort);
  p = put(buf, p, P_TTL);
  p = putNum(buf, p, pkt.ttl);
  p = put(buf, p, P_IPID);
  p = pkt.ipVersion === 4 || pkt.ipId >= 0 ? putNum(buf, p, pkt.ipId) : put(buf, p, NULL);
  p = put(buf, p, P_DF);
  p = put(buf, p, pkt.df ? TRUE : FALSE);
  p = put(buf, p, P_FLAGS);
  p = put(buf, p, FLAG_TEXT[pkt.flags & 0xff]!);
  p = put(buf, p, P_SEQ);
  p = putNum(buf, p, pkt.seq);
  p = put(buf, p, P_ACK);
  p = putNum(buf, p, pkt.ack);
  p = put(buf, p, P_REL_SEQ);
  p = putNum(buf, p, state.relSeq);
  p = put(buf, p, P_REL_ACK);
  p = putNum(buf, p, state.relAck);
  p = put(buf, p, P_WIN);
  p = putNum(buf, p, pkt.window);
  p = put(buf, p, P_WIN_SCALED);
  p = putNum(buf, p, state.winScaled);
  p = put(buf, p, P_LEN);
  p = putNum(buf, p, pkt.payloadLen);
  p = put(buf, p, P_OPTIONS);
  w.pos = p;
  if (pkt.headerLen > 20) optionsInto(w, tcpOptions(pkt));
  w.bytes(P_TRUNCATED);
  w.bytes(pkt.truncated ? TRUE : FALSE);
  w.bytes(P_CHECKSUM);
  w.json(pkt.checksumStatus);
}

/**
 * Bytes the fixed part can take: the constant pieces (~300), eleven numbers of at most 24
 * characters (String of any double), the time (two of them) and two IPv6 addresses (≤ 45 each).
 */
const FIXED_ROOM = 1024;

function put(buf: Uint8Array, p: number, b: Uint8Array): number {
  const n = b.length;
  for (let i = 0; i < n; i++) buf[p + i] = b[i]!;
  return p + n;
}

/** String(n), written at p (ASCII: digits, and for the rare others whatever String gives). */
function putNum(buf: Uint8Array, p: number, n: number): number {
  if ((n | 0) === n && n >= 0) return putInt(buf, p, n);
  if (n >= 0 && n < 4294967296 && n === Math.floor(n)) {
    // A 32-bit number past int32 (seq, ack): its high digits, then the low five.
    const hi = Math.floor(n / 100000);
    let lo = n - hi * 100000;
    p = putInt(buf, p, hi);
    for (let i = 4; i >= 0; i--) {
      const d = (lo / 10) | 0;
      buf[p + i] = 0x30 + (lo - d * 10);
      lo = d;
    }
    return p + 5;
  }
  return putAscii(buf, p, String(n));
}

/** A whole number 0 … 2^31 − 1 in decimal (int32 arithmetic). */
function putInt(buf: Uint8Array, p: number, n: number): number {
  const k =
    n < 10
      ? 1
      : n < 100
        ? 2
        : n < 1000
          ? 3
          : n < 10000
            ? 4
            : n < 100000
              ? 5
              : n < 1000000
                ? 6
                : n < 10000000
                  ? 7
                  : n < 100000000
                    ? 8
                    : n < 1000000000
                      ? 9
                      : 10;
  let q = p + k;
  let m = n;
  do {
    const d = (m / 10) | 0;
    buf[--q] = 0x30 + (m - d * 10);
    m = d;
  } while (m > 0);
  return p + k;
}

function putAscii(buf: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[p + i] = s.charCodeAt(i);
  return p + s.length;
}

/** formatTime's text at p. */
function putTime(buf: Uint8Array, p: number, tsSec: number, tsNsec: number): number {
  const us = Math.floor(tsNsec / 1000);
  if (!(us >= 0 && us < 1_000_000) || !(tsSec >= 0 && tsSec < 4294967296 && tsSec === Math.floor(tsSec)))
    return putAscii(buf, p, formatTime(tsSec, tsNsec));
  p = putNum(buf, p, tsSec);
  buf[p] = 0x2e;
  let frac = us;
  for (let i = 6; i >= 1; i--) {
    const q = (frac / 10) | 0;
    buf[p + i] = 0x30 + (frac - q * 10);
    frac = q;
  }
  return p + 7;
}

function putAddress(buf: Uint8Array, p: number, pkt: Packet, a: Uint8Array): number {
  if (pkt.ipVersion === 6) return putAscii(buf, p, ipv6String(a, 0));
  p = putNum(buf, p, a[0]!);
  buf[p++] = 0x2e;
  p = putNum(buf, p, a[1]!);
  buf[p++] = 0x2e;
  p = putNum(buf, p, a[2]!);
  buf[p++] = 0x2e;
  return putNum(buf, p, a[3]!);
}

const O_EOL = utf8('{"kind":"eol"}');
const O_NOP = utf8('{"kind":"nop"}');
const O_SACK_OK = utf8('{"kind":"sackOK"}');
const O_MSS = utf8('{"kind":"mss","value":');
const O_WS = utf8('{"kind":"ws","shift":');
const O_SACK = utf8('{"kind":"sack","blocks":[');
const O_TS = utf8('{"kind":"ts","val":');
const O_ECR = utf8(',"ecr":');
const O_TFO = utf8('{"kind":"tfo","cookie":');
const O_MPTCP = utf8('{"kind":"mptcp","subtype":');
const O_UNKNOWN = utf8('{"kind":"unknown","type":');
const O_MALFORMED = utf8('{"kind":"malformed","type":');
const O_DATA = utf8(',"data":');

/** JSON.stringify(options) without its brackets. */
function optionsInto(w: LineBytes, options: TcpOption[]): void {
  for (let i = 0; i < options.length; i++) {
    if (i > 0) w.byte(0x2c);
    const o = options[i]!;
    switch (o.kind) {
      case 'eol':
        w.bytes(O_EOL);
        break;
      case 'nop':
        w.bytes(O_NOP);
        break;
      case 'sackOK':
        w.bytes(O_SACK_OK);
        break;
      case 'mss':
        w.bytes(O_MSS);
        w.num(o.value);
        w.byte(0x7d);
        break;
      case 'ws':
        w.bytes(O_WS);
        w.num(o.shift);
        w.byte(0x7d);
        break;
      case 'sack':
        w.bytes(O_SACK);
        for (let j = 0; j < o.blocks.length; j++) {
          if (j > 0) w.byte(0x2c);
          w.byte(0x5b);
          w.num(o.blocks[j]![0]);
          w.byte(0x2c);
          w.num(o.blocks[j]![1]);
          w.byte(0x5d);
        }
        w.byte(0x5d);
        w.byte(0x7d);
        break;
      case 'ts':
        w.bytes(O_TS);
        w.num(o.val);
        w.bytes(O_ECR);
        w.num(o.ecr);
        w.byte(0x7d);
        break;
      case 'tfo':
        w.bytes(O_TFO);
        w.json(o.cookie);
        w.byte(0x7d);
        break;
      case 'mptcp':
        w.bytes(O_MPTCP);
        w.json(o.subtype);
        w.bytes(O_DATA);
        w.json(o.data);
        w.byte(0x7d);
        break;
      case 'unknown':
      case 'malformed':
        w.bytes(o.kind === 'unknown' ? O_UNKNOWN : O_MALFORMED);
        w.num(o.type);
        w.bytes(O_DATA);
        w.json(o.data);
        w.byte(0x7d);
        break;
      default:
        // A kind this writer does not know yet: the generic spelling.
        w.text(JSON.stringify(o));
    }
  }
}
