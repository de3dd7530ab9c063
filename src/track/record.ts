// The connection record of PRODUCT.md "The connection record": accumulated from each segment as
// its states become final (RecordBuilder), then built into the contract's object (buildRecord).
// Field names and order are the contract's; times stay integer microseconds until rendered.

import { STATE_NAMES, type StateName, TcpState } from '../tcp/state.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';
import {
  FX_ACKS_SYNACK,
  FX_FIN_ACCEPTED,
  FX_FINS_CROSSED,
  FX_REFUSES,
  FX_RST_ACCEPTED,
  type HeldPacket,
} from './held.js';
import { EVENT_KINDS, type EventKind, K } from './kinds.js';
import { asInt } from './small-int.js';

/** What the record needs of the Zeek summary (src/track/zeek-summary.ts ZeekSummary). */
export interface ConnSummary {
  add(pkt: import('../wire/packet.js').Packet, fromA: boolean): void;
  readonly origIsA: boolean;
  history(): string;
  connState(): string;
  readonly origBytes: bigint;
  readonly respBytes: bigint;
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

/** States packed into one small integer (4 bits each, TcpState < 16); more go to an array. */
const PACKED_STATES = 7;

/**
 * One endpoint's `states` list (consecutive repeats removed) as a few small integers: the first
 * seven states packed 4 bits each, the rest (rare) in an array. No array per connection.
 */
class StateList {
  packed = 0;
  length = 0;
  more: TcpState[] | null = null;

  at(i: number): TcpState {
    return i < PACKED_STATES
      ? (((this.packed >>> (4 * i)) & 0xf) as TcpState)
      : this.more![i - PACKED_STATES]!;
  }

  /** Appends `s` unless it repeats the last state. */
  push(s: TcpState): void {
    const n = this.length;
    if (n > 0 && this.at(n - 1) === s) return;
    if (n < PACKED_STATES) this.packed |= s << (4 * n);
    else {
      if (this.more === null) this.more = [];
      this.more.push(s);
    }
    this.length = n + 1;
  }

  names(): StateName[] {
    const out: StateName[] = [];
    for (let i = 0; i < this.length; i++) out.push(STATE_NAMES[this.at(i)]);
    return out;
  }
}

/** Accumulates the record from released segments, in capture order. */
export class RecordBuilder {
  readonly statesA = new StateList();
  readonly statesB = new StateList();
  packetsA = 0;
  packetsB = 0;
  firstUsec = -1;
  // The last segment's and the last SYN's times as offsets from the first (small integers).
  private lastOffUsec = 0;
  private lastSynOffUsec = 0;
  private synTimed = false;
  completeness = 0;
  private close = NO_CLOSE;
  private finsCrossed = false;
  private resetA = false;
  private resetB = false;
  private synA = false;
  private synB = false;
  private synAck = false;
  private synAckAcked = false;
  private refused = false;
  rttUsec = -1;
  /** Flattened events: frame, µs, fromA (1/0), kind index. */
  readonly events: number[] = [];

  begin(initA: TcpState, initB: TcpState): void {
    this.statesA.push(initA);
    this.statesB.push(initB);
  }

  /** Time of the last segment (µs), -1 before any. */
  get lastUsec(): number {
    return this.firstUsec < 0 ? -1 : this.firstUsec + this.lastOffUsec;
  }

  get begun(): boolean {
    return this.statesA.length > 0;
  }

  /** One segment whose inference is final; `tags` its combined tag bits. */
  add(h: HeldPacket, tags: number): void {
    if (h.viaA >= 0) this.statesA.push(h.viaA);
    if (h.viaB >= 0) this.statesB.push(h.viaB);
    this.statesA.push(h.stateA);
    this.statesB.push(h.stateB);
    if (h.fromA) this.packetsA++;
    else this.packetsB++;
    if (this.firstUsec < 0) this.firstUsec = h.tsUsec;
    const off = asInt(h.tsUsec - this.firstUsec);
    this.lastOffUsec = off;
    const f = h.flags;
    if (f & SYN) {
      this.completeness |= f & ACK ? C_SYNACK : C_SYN;
      if (!(f & ACK)) {
        if (h.fromA) this.synA = true;
        else this.synB = true;
        if (!this.synAckAcked) {
          this.lastSynOffUsec = off;
          this.synTimed = true;
        }
      } else {
        this.synAck = true;
      }
    } else if (f & ACK) {
      this.completeness |= C_ACK;
    }
    if (h.len > 0) this.completeness |= C_DATA;
    if (f & FIN) this.completeness |= C_FIN;
    if (f & RST) this.completeness |= C_RST;
    const fx = h.fx;
    if (fx & FX_ACKS_SYNACK && !this.synAckAcked) {
      this.synAckAcked = true;
      if (this.synTimed && this.synAck) this.rttUsec = off - this.lastSynOffUsec;
    }
    if (fx & FX_REFUSES) this.refused = true;
    if (fx & FX_FINS_CROSSED) this.finsCrossed = true;
    if (this.close === NO_CLOSE) {
      if (fx & FX_FIN_ACCEPTED) this.close = h.fromA ? CLOSE_FIN_A : CLOSE_FIN_B;
      else if (fx & FX_RST_ACCEPTED) this.close = h.fromA ? CLOSE_RST_A : CLOSE_RST_B;
    }
    if (fx & FX_RST_ACCEPTED) {
      if (h.fromA) this.resetA = true;
      else this.resetB = true;
    }
    for (let i = 0; tags !== 0 && i < EVENT_KINDS.length; i++) {
      if (tags & (1 << i)) {
        this.events.push(h.frame, h.tsUsec, h.fromA ? 1 : 0, i);
        tags &= ~(1 << i);
      }
    }
  }

  /** An endpoint's TIME_WAIT ran out between segments. */
  timeWaitExpired(a: boolean, b: boolean): void {
    if (a) this.statesA.push(TcpState.CLOSED);
    if (b) this.statesB.push(TcpState.CLOSED);
  }

  handshake(): Handshake {
    if (this.synA && this.synB) return 'simultaneous';
    if (this.synAck && this.synAckAcked) return 'complete';
    if (this.refused) return 'refused';
    if (this.synA || this.synB || this.synAck) return 'incomplete';
    return 'unseen';
  }

  closeOf(origIsA: boolean): Close {
    switch (this.close) {
      case CLOSE_FIN_A:
      case CLOSE_FIN_B:
        if (this.finsCrossed) return 'both';
        return (this.close === CLOSE_FIN_A) === origIsA ? 'orig' : 'resp';
      case CLOSE_RST_A:
      case CLOSE_RST_B:
        return (this.close === CLOSE_RST_A) === origIsA ? 'orig-reset' : 'resp-reset';
      default:
        return 'none';
    }
  }

  resetOf(origIsA: boolean): 'orig' | 'resp' | 'both' | null {
    if (this.resetA && this.resetB) return 'both';
    if (!this.resetA && !this.resetB) return null;
    return this.resetA === origIsA ? 'orig' : 'resp';
  }
}

/** Wireshark's `retransmission` gives way to our special kinds on SYN and SYN+ACK (PRODUCT.md tags). */
export function combineTags(wsTags: number, ownTags: number): number {
  if (ownTags & (K['syn-retransmission'] | K['synack-retransmission'])) wsTags &= ~K.retransmission;
  return wsTags | ownTags;
}

export interface RecordIdentity {
  id: number;
  a: ConnEndpointAddr;
  b: ConnEndpointAddr;
  evicted: boolean;
}

/** The contract's record, with orig/resp as the Zeek summary decided. */
export function buildRecord(who: RecordIdentity, rb: RecordBuilder, summary: ConnSummary): ConnRecord {
  const origIsA = summary.origIsA;
  const sa = rb.statesA.names();
  const sb = rb.statesB.names();
  const events: ConnEvent[] = [];
  const ev = rb.events;
  for (let i = 0; i < ev.length; i += 4) {
    events.push({
      frame: ev[i]!,
      timeUsec: ev[i + 1]!,
      from: (ev[i + 2] === 1) === origIsA ? 'orig' : 'resp',
      kind: EVENT_KINDS[ev[i + 3]!]!,
    });
  }
  const so = origIsA ? sa : sb;
  const sr = origIsA ? sb : sa;
  return {
    id: who.id,
    startUsec: rb.firstUsec,
    endUsec: rb.lastUsec,
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
    bytes: { orig: Number(summary.origBytes), resp: Number(summary.respBytes) },
    rttHandshakeUsec: rb.rttUsec,
    evicted: who.evicted,
    events,
  };
}
