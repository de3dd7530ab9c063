// Adapter: the tracker's output (FlowTable's onPacket for each segment with final states, onEnd
// with the connection record) → the neutral ConnTimeline the ladder, the explanation and the
// socket table draw from. Packets are kept per connection by endpoint A/B (the sender of the
// first segment) until the record says which one is orig, since orientation may flip late
// (PRODUCT.md "Orientation"). Relative sequence numbers follow Wireshark: from the SYN's
// sequence number, or from one below the first sequence number seen when the SYN was not.

import { STATE_NAMES, type StateName } from '../tcp/state.js';
import type { Conn } from '../track/connection.js';
import {
  arrivedOf,
  type HeldPacket,
  OPT_MSS_MASK,
  OPT_SACK_PERMITTED,
  OPT_TFO_COOKIE,
  OPT_TFO_REQUEST,
  OPT_TIMESTAMPS,
  OPT_WSCALE_SHIFT,
  ROLE_NAMES,
  synOptionsOf,
} from '../track/held.js';
import { kindsOf } from '../track/kinds.js';
import type { ConnRecord } from '../track/record.js';
import { TapSide } from '../track/tap.js';
import { ACK, SYN } from '../wire/packet.js';
import type { ConnTimeline, SynOptions, TimelinePacket, TimelineRecord } from './timeline.js';

/** One segment as the tracker released it (what onPacket saw), before orientation is known. */
export interface RawPacket {
  frame: number;
  timeUs: number;
  fromA: boolean;
  flags: number;
  seq: number;
  ack: number;
  len: number;
  win: number;
  tags: number;
  role: number;
  stateA: number;
  stateB: number;
  arrived: boolean | null;
  ttl: number;
  ipId: number;
  df: boolean;
  /** A SYN's options, packed (held.ts synOptionsOf); 0 or absent otherwise. */
  synOpts?: number;
}

/** held.ts's packed SYN options as the timeline spells them (undefined: not a SYN). */
export function synOptions(bits: number): SynOptions | undefined {
  if (bits === 0) return undefined;
  const o: SynOptions = {};
  const mss = bits & OPT_MSS_MASK;
  if (mss > 0) o.mss = mss - 1;
  const ws = (bits >>> OPT_WSCALE_SHIFT) & 0x3f;
  if (ws > 0) o.wscale = ws - 1;
  if (bits & OPT_SACK_PERMITTED) o.sackPermitted = true;
  if (bits & OPT_TIMESTAMPS) o.timestamps = true;
  if (bits & OPT_TFO_REQUEST) o.fastOpen = 'request';
  else if (bits & OPT_TFO_COOKIE) o.fastOpen = 'cookie';
  return o;
}

export interface CollectorOptions {
  /** Keep only connections this accepts (id and 4-tuple, known from the first segment); default: all. */
  keep?: (conn: Conn) => boolean;
}

/** The record as the report layer reads it (times in seconds, as the JSON has them). */
export function timelineRecord(rec: ConnRecord): TimelineRecord {
  return {
    id: rec.id,
    handshake: rec.handshake,
    close: rec.close,
    reset: rec.reset,
    states: rec.states,
    final: rec.final,
    conn_state: rec.conn_state,
    history: rec.history,
    packets: rec.packets,
    bytes: rec.bytes,
    rtt: rec.rttHandshakeUsec >= 0 ? { handshake: rec.rttHandshakeUsec / 1e6 } : {},
    evicted: rec.evicted,
    events: rec.events.map((e) => ({ frame: e.frame, time: e.timeUsec / 1e6, from: e.from, kind: e.kind })),
  };
}

/** Wire `onPacket` and `onEnd` into a FlowTable; `timelines` fills as connections end. */
export class TimelineCollector {
  readonly timelines: ConnTimeline[] = [];
  private readonly open = new Map<number, RawPacket[]>();

  constructor(private readonly opts: CollectorOptions = {}) {}

  readonly onPacket = (conn: Conn, h: HeldPacket, tags: number): void => {
    if (this.opts.keep && !this.opts.keep(conn)) return;
    let list = this.open.get(conn.id);
    if (!list) {
      list = [];
      this.open.set(conn.id, list);
    }
    list.push({
      frame: h.frame,
      timeUs: h.tsUsec,
      fromA: h.fromA,
      flags: h.flags,
      seq: h.seq,
      ack: h.ack,
      len: h.len,
      win: h.win,
      tags,
      role: h.role,
      stateA: h.stateA,
      stateB: h.stateB,
      arrived: arrivedOf(h),
      ttl: h.ttl,
      ipId: h.ipId,
      df: h.df,
      synOpts: synOptionsOf(h),
    });
  };

  readonly onEnd = (rec: ConnRecord, conn: Conn): void => {
    const raw = this.open.get(conn.id);
    if (!raw) return;
    this.open.delete(conn.id);
    this.timelines.push(toTimeline(rec, raw, conn.summary.origIsA, tapOf(conn)));
  };
}

/** Where the tracker placed the tap for this connection, as the timeline says it (undefined: undecided). */
export function tapOf(conn: Conn): ConnTimeline['tap'] {
  const side = conn.tapPlace;
  if (side === TapSide.MID) return 'mid';
  if (side === TapSide.UNDECIDED) return undefined;
  return (side === TapSide.A) === conn.summary.origIsA ? 'orig' : 'resp';
}

/** One ended connection's segments as the report layer's timeline (also the web worker's, which keeps them in columns). */
export function toTimeline(
  rec: ConnRecord,
  raw: readonly RawPacket[],
  origIsA: boolean,
  tap?: ConnTimeline['tap'],
): ConnTimeline {
  // Relative bases per endpoint (A, B), from each one's first segment.
  const base: [number | undefined, number | undefined] = [undefined, undefined];
  for (const r of raw) {
    const i = r.fromA ? 0 : 1;
    if (base[i] === undefined) base[i] = r.flags & SYN ? r.seq : (r.seq - 1) >>> 0;
  }
  // A side never heard from: its base follows from the first acknowledgment of it.
  for (const r of raw) {
    const other = r.fromA ? 1 : 0;
    if (base[other] === undefined && r.flags & ACK) base[other] = (r.ack - 1) >>> 0;
  }
  const sideOf = (fromA: boolean): 'orig' | 'resp' => (fromA === origIsA ? 'orig' : 'resp');
  // A SYN with another ISN than the side's first (an old duplicate SYN, then the real one; a
  // new SYN+ACK for it) starts a new numbering, as Wireshark does for a new stream.
  const synSeq: [number | undefined, number | undefined] = [undefined, undefined];
  const packets: TimelinePacket[] = raw.map((r) => {
    const me = r.fromA ? 0 : 1;
    if (r.flags & SYN) {
      if (synSeq[me] !== undefined && synSeq[me] !== r.seq) base[me] = r.seq;
      synSeq[me] = r.seq;
    }
    const mine = base[me] ?? r.seq;
    const theirs = base[r.fromA ? 1 : 0] ?? r.ack;
    const a = STATE_NAMES[r.stateA] as StateName;
    const b = STATE_NAMES[r.stateB] as StateName;
    const p: TimelinePacket = {
      frame: r.frame,
      timeUs: r.timeUs,
      from: sideOf(r.fromA),
      flags: r.flags,
      seq: r.seq,
      ack: r.ack,
      relSeq: (r.seq - mine) >>> 0,
      relAck: r.flags & ACK ? (r.ack - theirs) >>> 0 : 0,
      len: r.len,
      win: r.win,
      tags: kindsOf(r.tags),
      role: ROLE_NAMES[r.role] ?? 'data',
      states: origIsA ? { orig: a, resp: b } : { orig: b, resp: a },
      ttl: r.ttl,
      ipId: r.ipId,
      df: r.df,
    };
    p.arrived = r.arrived;
    if (r.arrived === false) p.lost = true;
    const opts = r.synOpts ? synOptions(r.synOpts) : undefined;
    if (opts) p.options = opts;
    return p;
  });
  return {
    id: rec.id,
    orig: rec.orig,
    resp: rec.resp,
    initial: { orig: rec.states.orig[0] ?? 'UNKNOWN', resp: rec.states.resp[0] ?? 'UNKNOWN' },
    packets,
    record: timelineRecord(rec),
    ...(tap !== undefined ? { tap } : {}),
  };
}
