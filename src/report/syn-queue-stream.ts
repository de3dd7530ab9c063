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

/** Wire `onPacket` and `onEnd` into a FlowTable; `context()` once the input is read. */
export class SynQueueStream {
  /**
   * Each open connection's slot in `words`: its SIDE_* bits (A low byte, B next), then per SYN
   * of the explained connection stateA | stateB << 4 | AT_SEEN | AT_PAST. Typed-array slots
   * reused through a free list, not an object and an array per connection (a flood's 250 000).
   */
  private readonly slotOf = new Map<number, number>();
  private words = new Int32Array(0);
  private slots = 0;
  private readonly freeSlots: number[] = [];
  private readonly stride: number;
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
    this.stride = 1 + this.synTimes.length;
  }

  readonly onPacket = (conn: Conn, h: HeldPacket): void => {
    if (conn.id === this.t.id) return;
    let s = this.slotOf.get(conn.id);
    if (s === undefined) {
      s = this.freeSlots.pop() ?? this.newSlot();
      this.slotOf.set(conn.id, s);
      this.words.fill(0, s * this.stride, (s + 1) * this.stride);
    }
    const w = this.words;
    const base = s * this.stride;
    const pureSyn = (h.flags & (SYN | ACK)) === SYN;
    w[base] = w[base]! | ((pureSyn ? SIDE_SYN : SIDE_SPOKE) << (h.fromA ? 0 : 8));
    for (let k = 0; k < this.synTimes.length; k++) {
      const v = w[base + 1 + k]!;
      if (v & AT_PAST) continue;
      w[base + 1 + k] = h.tsUsec > this.synTimes[k]! ? v | AT_PAST : h.stateA | (h.stateB << 4) | AT_SEEN;
    }
  };

  readonly onEnd = (rec: ConnRecord, conn: Conn): void => {
    const s = this.slotOf.get(conn.id);
    if (s === undefined) return;
    this.slotOf.delete(conn.id);
    this.freeSlots.push(s);
    if (rec.resp.ip !== this.t.resp.ip || rec.resp.port !== this.t.resp.port) return;
    const w = this.words;
    const base = s * this.stride;
    const origIsA = conn.summary.origIsA;
    // silentClient: the client sent SYNs without ACK and nothing else.
    const orig = (w[base]! >> (origIsA ? 0 : 8)) & 0xff;
    if (orig === SIDE_SYN) this.silentSources++;
    for (let k = 0; k < this.synTimes.length; k++) {
      const v = w[base + 1 + k]!;
      if ((v & AT_SEEN) === 0) continue;
      const resp = origIsA ? (v >> 4) & 0xf : v & 0xf;
      if (resp === TcpState.SYN_RECEIVED) this.halfOpen[k]!++;
    }
  };

  private newSlot(): number {
    const s = this.slots++;
    if ((s + 1) * this.stride > this.words.length) {
      const grown = new Int32Array(Math.max(1024, 2 * (s + 1)) * this.stride);
      grown.set(this.words);
      this.words = grown;
    }
    return s;
  }

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
