// The connection record of PRODUCT.md "The connection record": accumulated from each segment as
// its states become final (RecordBuilder), then built into the contract's object (buildRecord).
// Field names and order are the contract's; times stay integer microseconds until rendered.

import { STATE_NAMES, type StateName, TcpState } from '../tcp/state.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';
import { ConnStats } from './conn-stats.js';
import {
  FX_ACKS_SYNACK,
  FX_FIN_ACCEPTED,
  FX_FINS_CROSSED,
  FX_REFUSES,
  FX_RST_ACCEPTED,
  type HeldPacket,
} from './held.js';
import { EVENT_KINDS, type EventKind, K } from './kinds.js';

/** What the record needs of the Zeek summary (src/track/zeek-summary.ts ZeekSummary). */
export interface ConnSummary {
  add(pkt: import('../wire/packet.js').Packet, fromA: boolean): void;
  readonly origIsA: boolean;
  history(): string;
  connState(): string;
  readonly origBytes: bigint;
  readonly respBytes: bigint;
  /** Number(origBytes), Number(respBytes), without a BigInt per record. */
  readonly origSize: number;
  readonly respSize: number;
  /** Zeek's orig_ip_bytes/resp_ip_bytes: IP total lengths of each side's packets. */
  readonly origIpBytes: number;
  readonly respIpBytes: number;
  /** Back to the state of a new summary, for a recycled connection. */
  reset(): void;
}

/** One side's figures as tcptrace and Wireshark's Conversations give them (conn-stats.ts). */
export interface SideFigures {
  /** Segments this side sent again (Wireshark's retransmission kinds). */
  retransmissions: number;
  /** IP-layer bytes (Zeek's orig_ip_bytes): the IP total length of each packet. */
  ipBytes: number;
  /** tcptrace's unique bytes: payload beyond the highest sequence number sent before. */
  uniqueBytes: number;
  /** RTT samples of this side's segments acknowledged by the peer (tcptrace's method), µs. */
  rttSamples: number;
  rttMinUsec: number;
  rttMaxUsec: number;
  rttSumUsec: number;
}

export type Handshake = 'complete' | 'simultaneous' | 'refused' | 'incomplete' | 'unseen';
export type Close = 'orig' | 'resp' | 'orig-reset' | 'resp-reset' | 'both' | 'none';

export interface ConnEndpointAddr {
  ip: string;
  port: number;
}

export interface ConnEvent {
  frame: number;
  /** µs since the epoch. */
  timeUsec: number;
  from: 'orig' | 'resp';
  kind: EventKind;
}

/** The record, times in integer µs (the renderers print them with six decimals). */
export interface ConnRecord {
  id: number;
  startUsec: number;
  endUsec: number;
  orig: ConnEndpointAddr;
  resp: ConnEndpointAddr;
  handshake: Handshake;
  close: Close;
  reset: 'orig' | 'resp' | 'both' | null;
  states: { orig: StateName[]; resp: StateName[] };
  final: { orig: StateName; resp: StateName };
  conn_state: string;
  history: string;
  completeness: number;
  packets: { orig: number; resp: number };
  bytes: { orig: number; resp: number };
  /** tshark's tcp.analysis.initial_rtt in µs, or -1 when not seen. */
  rttHandshakeUsec: number;
  evicted: boolean;
  events: ConnEvent[];
  /** Added figures (retransmissions, RTT, unique and IP bytes per side); absent from builders that lack them (the lab's truth). */
  figures?: { orig: SideFigures; resp: SideFigures };
}

// Wireshark's tcp.completeness bits (packet-tcp.c TCP_COMPLETENESS_*).
const C_SYN = 1;
const C_SYNACK = 2;
const C_ACK = 4;
const C_DATA = 8;
const C_FIN = 16;
const C_RST = 32;

const NO_CLOSE = 0;
const CLOSE_FIN_A = 1;
const CLOSE_FIN_B = 2;
const CLOSE_RST_A = 3;
const CLOSE_RST_B = 4;

/** Spare ConnStats kept for reuse at most (as many as the flow table keeps spare connections). */
const MAX_SPARE_STATS = 1024;

/** States packed into one small integer (4 bits each, TcpState < 16); more go to an array. */
const PACKED_STATES = 7;

/** The first seven states of a `states` list, packed 4 bits each. */
function packedAt(packed: number, i: number): TcpState {
  return ((packed >>> (4 * i)) & 0xf) as TcpState;
}

// RecordBuilder's booleans and small fields, as bits of RecordBuilder.bits.
const R_SYN_TIMED = 1 << 0;
const R_FINS_CROSSED = 1 << 1;
const R_RESET_A = 1 << 2;
const R_RESET_B = 1 << 3;
const R_SYN_A = 1 << 4;
const R_SYN_B = 1 << 5;
const R_SYNACK = 1 << 6;
const R_SYNACK_ACKED = 1 << 7;
const R_REFUSED = 1 << 8;
const R_CLOSE_SHIFT = 9; // 3 bits: NO_CLOSE … CLOSE_RST_B
const R_COMPLETENESS_SHIFT = 12; // 6 bits: C_*

/**
 * Accumulates the record from released segments, in capture order. Small integers only (one per
 * connection): each endpoint's `states` list (consecutive repeats removed) keeps its first seven
 * states packed 4 bits each, the rest (rare) in an array; times are relative to the
 * connection's first segment (HeldPacket.t), which is the first one released.
 */
export class RecordBuilder {
  private packedA = 0;
  private packedB = 0;
  private lengthA = 0;
  private lengthB = 0;
  private moreA: TcpState[] | null = null;
  private moreB: TcpState[] | null = null;
  packetsA = 0;
  packetsB = 0;
  // The last segment's and the last SYN's times as offsets from the first (small integers).
  private lastOffUsec = 0;
  private lastSynOffUsec = 0;
  /** The R_* booleans, the close and the completeness. */
  private bits = 0;
  rttUsec = -1;
  /** Flattened events: frame, µs, fromA (1/0), kind index; null until the first. */
  events: number[] | null = null;
  /**
   * Retransmissions, RTT samples and unique bytes per side; taken at the first segment released
   * from the spares a table's connections share (a SYN flood's held SYNs never need one).
   */
  stats: ConnStats | null = null;

  constructor(private readonly spareStats: ConnStats[] = []) {}

  /** Back to a new builder's state (a recycled connection): every field above. */
  reset(): void {
    this.packedA = 0;
    this.packedB = 0;
    this.lengthA = 0;
    this.lengthB = 0;
    this.moreA = null;
    this.moreB = null;
    this.packetsA = 0;
    this.packetsB = 0;
    this.lastOffUsec = 0;
    this.lastSynOffUsec = 0;
    this.bits = 0;
    this.rttUsec = -1;
    this.events = null;
    if (this.stats !== null) {
      this.stats.reset();
      if (this.spareStats.length < MAX_SPARE_STATS) this.spareStats.push(this.stats);
      this.stats = null;
    }
  }

  begin(initA: TcpState, initB: TcpState): void {
    this.pushA(initA);
    this.pushB(initB);
  }

  /** Time of the latest segment (the last one unless timestamps went backwards), µs after the first. */
  get lastOffsetUsec(): number {
    return this.lastOffUsec;
  }

  get begun(): boolean {
    return this.lengthA > 0;
  }

  /** Wireshark's tcp.completeness bits. */
  get completeness(): number {
    return (this.bits >>> R_COMPLETENESS_SHIFT) & 0x3f;
  }

  private get close(): number {
    return (this.bits >>> R_CLOSE_SHIFT) & 7;
  }

  /** Appends `s` to A's states unless it repeats the last one. */
  private pushA(s: TcpState): void {
    const n = this.lengthA;
    if (n > 0 && this.stateA(n - 1) === s) return;
    if (n < PACKED_STATES) this.packedA |= s << (4 * n);
    else {
      if (this.moreA === null) this.moreA = [];
      this.moreA.push(s);
    }
    this.lengthA = n + 1;
  }

  private pushB(s: TcpState): void {
    const n = this.lengthB;
    if (n > 0 && this.stateB(n - 1) === s) return;
    if (n < PACKED_STATES) this.packedB |= s << (4 * n);
    else {
      if (this.moreB === null) this.moreB = [];
      this.moreB.push(s);
    }
    this.lengthB = n + 1;
  }

  private stateA(i: number): TcpState {
    return i < PACKED_STATES ? packedAt(this.packedA, i) : this.moreA![i - PACKED_STATES]!;
  }

  private stateB(i: number): TcpState {
    return i < PACKED_STATES ? packedAt(this.packedB, i) : this.moreB![i - PACKED_STATES]!;
  }

  /** A's (`a`) or B's `states` list as names. */
  stateNames(a: boolean): StateName[] {
    const n = a ? this.lengthA : this.lengthB;
    // Sized once (no growth as it fills): this runs for every record.
    const out = new Array<StateName>(n);
    for (let i = 0; i < n; i++) out[i] = STATE_NAMES[a ? this.stateA(i) : this.stateB(i)];
    return out;
  }

  /** One segment whose inference is final; `tags` its combined tag bits. */
  add(h: HeldPacket, tags: number): void {
    if (this.stats === null) this.stats = this.spareStats.pop() ?? new ConnStats();
    this.stats.add(h.fromA, h.seq32, h.ack32, h.len, h.flags, h.t, tags);
    if (h.viaA >= 0) this.pushA(h.viaA);
    if (h.viaB >= 0) this.pushB(h.viaB);
    this.pushA(h.stateA);
    this.pushB(h.stateB);
    if (h.fromA) this.packetsA++;
    else this.packetsB++;
    const off = h.t;
    // The end is the latest segment's time: timestamps going backwards never give a negative
    // duration (Zeek never logs one either: conn.log's duration is set only when positive).
    if (off > this.lastOffUsec) this.lastOffUsec = off;
    const f = h.flags;
    let bits = this.bits;
    let completeness = 0;
    if (f & SYN) {
      completeness |= f & ACK ? C_SYNACK : C_SYN;
      if (!(f & ACK)) {
        bits |= h.fromA ? R_SYN_A : R_SYN_B;
        if (!(bits & R_SYNACK_ACKED)) {
          this.lastSynOffUsec = off;
          bits |= R_SYN_TIMED;
        }
      } else {
        bits |= R_SYNACK;
      }
    } else if (f & ACK) {
      completeness |= C_ACK;
    }
    if (h.len > 0) completeness |= C_DATA;
    if (f & FIN) completeness |= C_FIN;
    if (f & RST) completeness |= C_RST;
    bits |= completeness << R_COMPLETENESS_SHIFT;
    const fx = h.fx;
    if (fx & FX_ACKS_SYNACK && !(bits & R_SYNACK_ACKED)) {
      bits |= R_SYNACK_ACKED;
      if (bits & R_SYN_TIMED && bits & R_SYNACK) this.rttUsec = off - this.lastSynOffUsec;
    }
    if (fx & FX_REFUSES) bits |= R_REFUSED;
    if (fx & FX_FINS_CROSSED) bits |= R_FINS_CROSSED;
    if (((bits >>> R_CLOSE_SHIFT) & 7) === NO_CLOSE) {
      let close = NO_CLOSE;
      if (fx & FX_FIN_ACCEPTED) close = h.fromA ? CLOSE_FIN_A : CLOSE_FIN_B;
      else if (fx & FX_RST_ACCEPTED) close = h.fromA ? CLOSE_RST_A : CLOSE_RST_B;
      bits |= close << R_CLOSE_SHIFT;
    }
    if (fx & FX_RST_ACCEPTED) bits |= h.fromA ? R_RESET_A : R_RESET_B;
    this.bits = bits;
    for (let i = 0; tags !== 0 && i < EVENT_KINDS.length; i++) {
      if (tags & (1 << i)) {
        if (this.events === null) this.events = [];
        this.events.push(h.frame, h.tsUsec, h.fromA ? 1 : 0, i);
        tags &= ~(1 << i);
      }
    }
  }

  /** The states after the last segment, when something took effect after it (a deferred ACK). */
  settle(a: TcpState, b: TcpState): void {
    this.pushA(a);
    this.pushB(b);
  }

  /** An endpoint's TIME_WAIT ran out between segments. */
  timeWaitExpired(a: boolean, b: boolean): void {
    if (a) this.pushA(TcpState.CLOSED);
    if (b) this.pushB(TcpState.CLOSED);
  }

  handshake(): Handshake {
    const bits = this.bits;
    if (bits & R_SYN_A && bits & R_SYN_B) return 'simultaneous';
    if (bits & R_SYNACK && bits & R_SYNACK_ACKED) return 'complete';
    if (bits & R_REFUSED) return 'refused';
    if (bits & (R_SYN_A | R_SYN_B | R_SYNACK)) return 'incomplete';
    return 'unseen';
  }

  closeOf(origIsA: boolean): Close {
    const close = this.close;
    switch (close) {
      case CLOSE_FIN_A:
      case CLOSE_FIN_B:
        if (this.bits & R_FINS_CROSSED) return 'both';
        return (close === CLOSE_FIN_A) === origIsA ? 'orig' : 'resp';
      case CLOSE_RST_A:
      case CLOSE_RST_B:
        return (close === CLOSE_RST_A) === origIsA ? 'orig-reset' : 'resp-reset';
      default:
        return 'none';
    }
  }

  resetOf(origIsA: boolean): 'orig' | 'resp' | 'both' | null {
    const resetA = (this.bits & R_RESET_A) !== 0;
    const resetB = (this.bits & R_RESET_B) !== 0;
    if (resetA && resetB) return 'both';
    if (!resetA && !resetB) return null;
    return resetA === origIsA ? 'orig' : 'resp';
  }
}

/** Wireshark's `retransmission` gives way to our special kinds on SYN and SYN+ACK (PRODUCT.md tags). */
export function combineTags(wsTags: number, ownTags: number): number {
  if (ownTags & (K['syn-retransmission'] | K['synack-retransmission'])) wsTags &= ~K.retransmission;
  return wsTags | ownTags;
}

export interface RecordIdentity {
  id: number;
  /** Capture time (µs since the epoch) of the connection's first segment. */
  startUsec: number;
  a: ConnEndpointAddr;
  b: ConnEndpointAddr;
  evicted: boolean;
}

/** The contract's record, with orig/resp as the Zeek summary decided. */
export function buildRecord(who: RecordIdentity, rb: RecordBuilder, summary: ConnSummary): ConnRecord {
  const origIsA = summary.origIsA;
  const sa = rb.stateNames(true);
  const sb = rb.stateNames(false);
  const events: ConnEvent[] = [];
  const ev = rb.events;
  for (let i = 0; ev !== null && i < ev.length; i += 4) {
    events.push({
      frame: ev[i]!,
      timeUsec: ev[i + 1]!,
      from: (ev[i + 2] === 1) === origIsA ? 'orig' : 'resp',
      kind: EVENT_KINDS[ev[i + 3]!]!,
    });
  }
  const so = origIsA ? sa : sb;
  const sr = origIsA ? sb : sa;
  const st = rb.stats ?? new ConnStats();
  const side = (d: ConnStats['a'], ipBytes: number): SideFigures => ({
    retransmissions: d.retransmissions,
    ipBytes,
    uniqueBytes: d.uniqueBytes,
    rttSamples: d.rttSamples,
    rttMinUsec: d.rttMinUsec,
    rttMaxUsec: d.rttMaxUsec,
    rttSumUsec: d.rttSumUsec,
  });
  return {
    id: who.id,
    startUsec: who.startUsec,
    endUsec: who.startUsec + rb.lastOffsetUsec,
    orig: origIsA ? who.a : who.b,
    resp: origIsA ? who.b : who.a,
    handshake: rb.handshake(),
    close: rb.closeOf(origIsA),
    reset: rb.resetOf(origIsA),
    states: { orig: so, resp: sr },
    final: { orig: so[so.length - 1] ?? 'UNKNOWN', resp: sr[sr.length - 1] ?? 'UNKNOWN' },
    conn_state: summary.connState(),
    history: summary.history(),
    completeness: rb.completeness,
    packets: { orig: origIsA ? rb.packetsA : rb.packetsB, resp: origIsA ? rb.packetsB : rb.packetsA },
    bytes: { orig: summary.origSize, resp: summary.respSize },
    rttHandshakeUsec: rb.rttUsec,
    evicted: who.evicted,
    events,
    figures: {
      orig: side(origIsA ? st.a : st.b, summary.origIpBytes),
      resp: side(origIsA ? st.b : st.a, summary.respIpBytes),
    },
  };
}
