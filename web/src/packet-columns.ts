// Every TCP segment the tracker released, kept in typed-array columns (about 40 bytes a packet,
// no object per packet: a million packets are 40 MB and no garbage collector work), chained per
// connection; a connection's timeline (report/timeline-from-track.ts's ConnTimeline, which the
// ladder, the story and the host view read) is built from them only when it is asked for. The
// web worker's replacement for TimelineCollector, which keeps two objects per packet.

import type { ConnTimeline } from '../../src/report/timeline.js';
import { type RawPacket, tapOf, toTimeline } from '../../src/report/timeline-from-track.js';
import { STATE_NAMES, type StateName } from '../../src/tcp/state.js';
import type { Conn } from '../../src/track/connection.js';
import { arrivedOf, type HeldPacket, synOptionsOf } from '../../src/track/held.js';
import type { ConnStatesInput } from '../../src/track/host-states.js';
import type { ConnRecord } from '../../src/track/record.js';

/** Packets per column chunk: columns grow chunk by chunk, never copied. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

const FROM_A = 1;
const DF = 2;
/** held.ts's arrivedOf: false (lost), true, or null (the capture cannot say). */
const ARRIVED_FALSE = 4;
const ARRIVED_NULL = 8;

class Chunk {
  readonly frame = new Uint32Array(CHUNK);
  readonly timeUs = new Float64Array(CHUNK);
  readonly seq = new Uint32Array(CHUNK);
  readonly ack = new Uint32Array(CHUNK);
  readonly len = new Uint32Array(CHUNK);
  readonly tags = new Uint32Array(CHUNK);
  readonly ipId = new Int32Array(CHUNK);
  /** The next packet of the same connection (-1 at its end). */
  readonly next = new Int32Array(CHUNK);
  readonly win = new Uint16Array(CHUNK);
  readonly flags = new Uint16Array(CHUNK);
  readonly role = new Uint8Array(CHUNK);
  readonly stateA = new Uint8Array(CHUNK);
  readonly stateB = new Uint8Array(CHUNK);
  readonly ttl = new Uint8Array(CHUNK);
  readonly bits = new Uint8Array(CHUNK);
}

/** A connection's packets in the columns, and its record once it ended. */
interface ConnEntry {
  head: number;
  tail: number;
  count: number;
  rec: ConnRecord | null;
  origIsA: boolean;
  /** Where the tracker placed the tap (timeline-from-track.ts tapOf). */
  tap?: ConnTimeline['tap'];
}

export class PacketColumns {
  private readonly chunks: Chunk[] = [];
  private size = 0;
  private readonly conns = new Map<number, ConnEntry>();
  /** Ended connections, in the order they ended. */
  readonly ended: ConnEntry[] = [];
  /** SYN options by packet index (held.ts synOptionsOf): only SYNs have them, so no column. */
  private readonly synOpts = new Map<number, number>();

  get packets(): number {
    return this.size;
  }

  /** Column bytes held. */
  get bytes(): number {
    return this.chunks.length * CHUNK * 41;
  }

  /** FlowTable's onPacket: one segment with its final states (as TimelineCollector.onPacket). */
  readonly onPacket = (conn: Conn, h: HeldPacket, tags: number): void => {
    const at = this.size++;
    const ci = at >>> CHUNK_BITS;
    if (ci === this.chunks.length) this.chunks.push(new Chunk());
    const c = this.chunks[ci];
    const i = at & MASK;
    c.frame[i] = h.frame;
    c.timeUs[i] = h.tsUsec;
    c.seq[i] = h.seq;
    c.ack[i] = h.ack;
    c.len[i] = h.len;
    c.tags[i] = tags;
    c.ipId[i] = h.ipId;
    c.next[i] = -1;
    c.win[i] = h.win;
    c.flags[i] = h.flags;
    c.role[i] = h.role;
    c.stateA[i] = h.stateA;
    c.stateB[i] = h.stateB;
    c.ttl[i] = h.ttl;
    const opts = synOptionsOf(h);
    if (opts !== 0) this.synOpts.set(at, opts);
    const arrived = arrivedOf(h);
    c.bits[i] =
      (h.fromA ? FROM_A : 0) |
      (h.df ? DF : 0) |
      (arrived === false ? ARRIVED_FALSE : arrived === null ? ARRIVED_NULL : 0);
    const e = this.conns.get(conn.id);
    if (e === undefined) {
      this.conns.set(conn.id, { head: at, tail: at, count: 1, rec: null, origIsA: true });
      return;
    }
    this.chunks[e.tail >>> CHUNK_BITS].next[e.tail & MASK] = at;
    e.tail = at;
    e.count++;
  };

  /** FlowTable's onEnd: the record and the orientation (known only now). */
  readonly onEnd = (rec: ConnRecord, conn: Conn): void => {
    const e = this.conns.get(conn.id);
    if (e === undefined) return;
    e.rec = rec;
    e.origIsA = conn.summary.origIsA;
    e.tap = tapOf(conn);
    this.ended.push(e);
  };

  record(id: number): ConnRecord | null {
    return this.conns.get(id)?.rec ?? null;
  }

  /** The frame numbers of a connection's packets, in order. */
  frames(id: number): number[] {
    const out: number[] = [];
    const e = this.conns.get(id);
    for (let at = e ? e.head : -1; at >= 0; ) {
      const c = this.chunks[at >>> CHUNK_BITS];
      out.push(c.frame[at & MASK]);
      at = c.next[at & MASK];
    }
    return out;
  }

  private raw(e: ConnEntry): RawPacket[] {
    const out: RawPacket[] = [];
    for (let at = e.head; at >= 0; ) {
      const c = this.chunks[at >>> CHUNK_BITS];
      const i = at & MASK;
      const b = c.bits[i];
      out.push({
        frame: c.frame[i],
        timeUs: c.timeUs[i],
        fromA: (b & FROM_A) !== 0,
        flags: c.flags[i],
        seq: c.seq[i],
        ack: c.ack[i],
        len: c.len[i],
        win: c.win[i],
        tags: c.tags[i],
        role: c.role[i],
        stateA: c.stateA[i],
        stateB: c.stateB[i],
        arrived: b & ARRIVED_FALSE ? false : b & ARRIVED_NULL ? null : true,
        ttl: c.ttl[i],
        ipId: c.ipId[i],
        df: (b & DF) !== 0,
        synOpts: this.synOpts.get(at) ?? 0,
      });
      at = c.next[i];
    }
    return out;
  }

  /** The ended connection's timeline, built now from the columns. */
  timeline(id: number): ConnTimeline | undefined {
    const e = this.conns.get(id);
    if (!e?.rec) return undefined;
    return toTimeline(e.rec, this.raw(e), e.origIsA, e.tap);
  }

  /**
   * What host-states reads of every ended connection (ConnStatesInput), with one small object
   * per packet and the state pairs shared: the host view of a million packets in one pass.
   */
  statesInputs(): ConnStatesInput[] {
    const pairs = new Map<number, { orig: StateName; resp: StateName }>();
    const pair = (orig: number, resp: number) => {
      const k = orig * 256 + resp;
      let p = pairs.get(k);
      if (!p) {
        p = { orig: STATE_NAMES[orig] as StateName, resp: STATE_NAMES[resp] as StateName };
        pairs.set(k, p);
      }
      return p;
    };
    const out: ConnStatesInput[] = [];
    for (const e of this.ended) {
      const rec = e.rec!;
      const packets: ConnStatesInput['packets'][number][] = [];
      for (let at = e.head; at >= 0; ) {
        const c = this.chunks[at >>> CHUNK_BITS];
        const i = at & MASK;
        const fromA = (c.bits[i] & FROM_A) !== 0;
        const a = c.stateA[i];
        const b = c.stateB[i];
        packets.push({
          timeUs: c.timeUs[i],
          from: fromA === e.origIsA ? 'orig' : 'resp',
          flags: c.flags[i],
          states: e.origIsA ? pair(a, b) : pair(b, a),
        });
        at = c.next[i];
      }
      out.push({
        id: rec.id,
        orig: rec.orig,
        resp: rec.resp,
        initial: { orig: rec.states.orig[0] ?? 'UNKNOWN', resp: rec.states.resp[0] ?? 'UNKNOWN' },
        packets,
      });
    }
    return out;
  }
}
