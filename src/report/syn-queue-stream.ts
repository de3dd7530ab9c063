// synQueueContext (syn-queue-context.ts) computed from the tracker's output as it streams, for
// `explain` on a capture of any length: instead of every connection's timeline (a 10^6-SYN flood
// is 10^6 of them, gigabytes), each open connection keeps, for each SYN of the explained one, the
// states of its latest segment at or before that SYN, and whether each side said anything but SYN;
// an ended connection adds its counts and is forgotten. Memory follows the open connections (the
// flow table's --max-conns and --idle), and the result equals synQueueContext over the timelines
// (test/syn-queue-stream.test.ts).

import { TcpState } from '../tcp/state.js';
import type { Conn } from '../track/connection.js';
import type { HeldPacket } from '../track/held.js';
import type { ConnRecord } from '../track/record.js';
import { ACK, SYN } from '../wire/packet.js';
import { ipPort } from './ip-port.js';
import { SYN_FLOOD_MIN_SOURCES, type SynQueueContext } from './syn-queue-context.js';
import type { ConnTimeline } from './timeline.js';

// What an open connection keeps, per side and per SYN of the explained connection.
/** A side sent a segment that is not a SYN without ACK: it answered something. */
const SIDE_SPOKE = 1;
/** A side sent a SYN without ACK. */
const SIDE_SYN = 2;
/** Per SYN: a segment at or before it was seen (states below valid). */
const AT_SEEN = 1 << 8;
/** Per SYN: a segment after it was seen (synQueueContext's scan stops there). */
const AT_PAST = 1 << 9;

interface Open {
  /** SIDE_* bits of endpoint A (low byte) and B (next byte). */
  sides: number;
  /** Per SYN of the explained connection: stateA | stateB << 4 | AT_SEEN | AT_PAST. */
  at: Int32Array;
}

/** Wire `onPacket` and `onEnd` into a FlowTable; `context()` once the input is read. */
export class SynQueueStream {
  private readonly open = new Map<number, Open>();
  /** The explained connection's SYNs without ACK: frame and time. */
  private readonly synFrames: number[] = [];
  private readonly synTimes: number[] = [];
  private silentSources = 0;
  private readonly halfOpen: number[];

  constructor(private readonly t: ConnTimeline) {
    for (const p of t.packets) {
      if (p.from !== 'orig' || (p.flags & (SYN | ACK)) !== SYN) continue;
      this.synFrames.push(p.frame);
      this.synTimes.push(p.timeUs);
    }
    this.halfOpen = new Array<number>(this.synFrames.length).fill(0);
  }

  readonly onPacket = (conn: Conn, h: HeldPacket): void => {
    if (conn.id === this.t.id) return;
    let o = this.open.get(conn.id);
    if (o === undefined) {
      o = { sides: 0, at: new Int32Array(this.synTimes.length) };
      this.open.set(conn.id, o);
    }
    const pureSyn = (h.flags & (SYN | ACK)) === SYN;
    o.sides |= (pureSyn ? SIDE_SYN : SIDE_SPOKE) << (h.fromA ? 0 : 8);
    for (let k = 0; k < this.synTimes.length; k++) {
      const v = o.at[k]!;
      if (v & AT_PAST) continue;
      o.at[k] = h.tsUsec > this.synTimes[k]! ? v | AT_PAST : h.stateA | (h.stateB << 4) | AT_SEEN;
    }
  };

  readonly onEnd = (rec: ConnRecord, conn: Conn): void => {
    const o = this.open.get(conn.id);
    if (o === undefined) return;
    this.open.delete(conn.id);
    if (rec.resp.ip !== this.t.resp.ip || rec.resp.port !== this.t.resp.port) return;
    const origIsA = conn.summary.origIsA;
    // silentClient: the client sent SYNs without ACK and nothing else.
    const orig = (o.sides >> (origIsA ? 0 : 8)) & 0xff;
    if (orig === SIDE_SYN) this.silentSources++;
    for (let k = 0; k < o.at.length; k++) {
      const v = o.at[k]!;
      if ((v & AT_SEEN) === 0) continue;
      const resp = origIsA ? (v >> 4) & 0xf : v & 0xf;
      if (resp === TcpState.SYN_RECEIVED) this.halfOpen[k]!++;
    }
  };

  /** synQueueContext(every timeline of the capture, t). */
  context(): SynQueueContext | undefined {
    if (this.silentSources < SYN_FLOOD_MIN_SOURCES) return undefined;
    const halfOpenAt: Record<number, number> = {};
    for (let k = 0; k < this.synFrames.length; k++) halfOpenAt[this.synFrames[k]!] = this.halfOpen[k]!;
    return {
      listener: ipPort(this.t.resp.ip, this.t.resp.port),
      silentSources: this.silentSources,
      halfOpenAt,
    };
  }
}
