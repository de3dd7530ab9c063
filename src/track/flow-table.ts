// The flow table: TCP segments → connections (PRODUCT.md "Connections": boundaries, ids, order,
// eviction). A connection lives in its 4-tuple's slot (flow-slots.ts: a numeric hash of the
// 4-tuple, either direction, with chained buckets, so no string is built per packet), which it
// shares with Wireshark's stream on that 4-tuple. A connection ends when both endpoints are
// CLOSED or back in LISTEN, when TIME_WAIT runs out, after --idle seconds of capture time without
// a segment, when a SYN with a new ISN meets an endpoint in TIME_WAIT (port reuse), or when the
// table is full (the connection idle longest is evicted). Ended connections are emitted at once
// and dropped, so memory follows the number of open connections, not the size of the file; with
// reuseConns their objects are recycled for new connections instead (no garbage per connection,
// which a SYN flood would otherwise make one of per packet).
//
// Pure and self-contained (no globals, no I/O): a worker thread can own one table per flow-hash
// shard. Output order: by the frame that ended the connection, ties by id; open ones at the end
// in id order.

import { TcpState } from '../tcp/state.js';
import { ACK, DecodeStatus, type Packet, SYN } from '../wire/packet.js';
import { Conn, type ConnShared, type ReleaseFn } from './connection.js';
import { FlowSlots, flowHash32, SL_CONN } from './flow-slots.js';
import { HeldPacket } from './held.js';
import { TIME_WAIT_BIT } from './infer.js';
import { buildRecord, type ConnRecord, type ConnSummary } from './record.js';
import { AUTO_TAP, type TapSpec } from './tap.js';

export interface FlowTableOptions {
  /** TIME_WAIT length in seconds (--time-wait; default 60). */
  timeWaitSec?: number;
  /** Idle timeout in seconds (--idle; default 300, Zeek's tcp_inactivity_timeout). */
  idleSec?: number;
  /** Open connections at most (--max-conns; default 250 000). */
  maxConns?: number;
  /** Where the capture was taken (--tap; default auto). */
  tap?: TapSpec;
  /** A fresh Zeek summary per connection (it decides orig/resp, conn_state, history, bytes). */
  newSummary: () => ConnSummary;
  /**
   * Wireshark-style analysis: tag bits for each TCP packet. Its streams live in the table's slots
   * (attach), with their own lifetime: expire() runs before each packet's slot is used, then
   * processIn() with the slot and the packet's direction from the slot's A.
   */
  analysis?: {
    attach(slots: FlowSlots): void;
    expire(now: number): void;
    processIn(pkt: Packet, slot: number, dir: number): number;
    readonly size: number;
  };
  /** Each segment once its states are final (for `read`). */
  onPacket?: ReleaseFn;
  /** Address bytes (4 or 16) as text, for the record (the CLI passes tcpdump's formatting). */
  addrText: (bytes: Uint8Array, ipVersion: number) => string;
  /** Each connection when it is over, in output order. */
  onEnd: (rec: ConnRecord, conn: Conn) => void;
  /**
   * Recycle ended connections' objects for new ones instead of leaving them to the garbage
   * collector (a SYN flood starts and ends one per packet). Only for callers that keep neither
   * the Conn given to onEnd or onPacket nor the one process() returned past the next process()
   * call: a recycled Conn becomes another connection.
   */
  reuseConns?: boolean;
}

/** Ended connections kept for reuse at most (a burst of endings beyond it goes to the GC). */
const MAX_FREE_CONNS = 1024;
/** Released segments kept for reuse at most. */
const MAX_FREE_HELD = 8192;

/**
 * The flow hash of a packet's 4-tuple, the same in both directions (the endpoints' hashes are
 * added), unsigned. Sharding (conns-shards.ts) uses it too, so every shard agrees on a flow's home.
 */
export function flowHash(pkt: Packet): number {
  return flowHash32(pkt) >>> 0;
}

export class FlowTable {
  /**
   * The 4-tuples' slots: hash table, use order (what idles out and what is evicted first), and
   * which hold a connection; the connection of each is here, by slot number. Shared with the
   * analysis, and with Zeek's own table (`conns --zeek`) through lastSlot / lastDir.
   */
  readonly slots = new FlowSlots();
  private conns: (Conn | null)[] = [];
  private count = 0;
  private nextId = 1;
  private readonly pool: HeldPacket[] = [];
  private readonly ending: Conn[] = [];
  /** Emitted connections waiting for reuse (with reuseConns). */
  private readonly freeConns: Conn[] = [];
  private readonly reuseConns: boolean;
  // TIME_WAIT deadlines as a binary min-heap (deadline, conn): a deadline can be earlier than one
  // scheduled before it (TIME_WAIT entered earlier, the peer done later), and each must fire at
  // the first frame past it whatever else the table holds, so that a shard of a sharded run ends
  // its connections at the same frames as one table. The id tells a stale entry whose Conn was
  // recycled for another connection.
  private readonly twConns: Conn[] = [];
  private readonly twIds: number[] = [];
  private readonly twDeadlines: number[] = [];
  private readonly cfg: ConnShared;
  private readonly idleUsec: number;
  private readonly maxConns: number;
  private readonly recycle = (h: HeldPacket): void => {
    h.attach = undefined;
    // Bounded: the end of a flood releases every open connection's held SYN at once.
    if (this.pool.length < MAX_FREE_HELD) this.pool.push(h);
  };
  private readonly onPacket: ReleaseFn;
  /** Connections evicted because the table was full. */
  evictedCount = 0;
  /** The slot of the last TCP packet given to process(), and its direction from the slot's A. */
  lastSlot = -1;
  lastDir = 0;
  /**
   * Capture time (µs since the epoch) the table has reached: its latest segment's or tick's, -1
   * before any. Connections ended now weigh their endpoints' silences against it (Conn.release).
   */
  private nowUsec = -1;

  constructor(private readonly opts: FlowTableOptions) {
    this.cfg = {
      timeWaitUsec: Math.round((opts.timeWaitSec ?? 60) * 1e6),
      spareStates: [],
      spareStats: [],
      spareRecords: [],
      tap: opts.tap ?? AUTO_TAP,
    };
    this.idleUsec = Math.round((opts.idleSec ?? 300) * 1e6);
    this.maxConns = Math.max(1, opts.maxConns ?? 250_000);
    this.onPacket = opts.onPacket ?? (() => {});
    this.reuseConns = opts.reuseConns ?? false;
    opts.analysis?.attach(this.slots);
  }

  /** Open connections. */
  get size(): number {
    return this.count;
  }

  /**
   * One decoded packet, in capture order. Non-TCP packets are ignored. `attach` travels with the
   * segment to onPacket. Returns the connection the segment joined (null when not TCP).
   */
  process(pkt: Packet, attach?: unknown): Conn | null {
    if (pkt.status !== DecodeStatus.TCP) return null;
    const now = pkt.tsUsec;
    if (now > this.nowUsec) this.nowUsec = now;
    // Tested here first: most packets end no timer, and the call would box the capture time.
    if (this.timerDue(now)) this.expireTimers(now);

    const slots = this.slots;
    let slot = slots.find(pkt);
    let conn: Conn | null = null;
    let fromA = true;
    if (slot >= 0 && (slots.holds(slot) & SL_CONN) !== 0) {
      conn = this.conns[slot]!;
      fromA = slots.connDir(slot, slots.dir) === 0;
      if (this.isPortReuse(conn, pkt, fromA)) {
        this.closeTimeWaitForReuse(conn);
        this.end(conn);
        conn = null;
        // Freed when no stream holds it.
        slot = slots.find(pkt);
      }
    }
    if (conn === null) {
      const victim = this.count >= this.maxConns ? this.oldest() : null;
      if (victim !== null) {
        victim.evicted = true;
        this.evictedCount++;
        this.end(victim);
      }
      if (slot < 0) slot = slots.create();
      conn = this.create(pkt, slot, slots.dir);
      fromA = true;
    }
    const dir = slots.dir;
    this.lastSlot = slot;
    this.lastDir = dir;
    // Streams idle out before the packet's slot is used (its stream may be one of them).
    const analysis = this.opts.analysis;
    analysis?.expire(now);
    slots.touch(slot);
    const wsTags = analysis === undefined ? 0 : analysis.processIn(pkt, slot, dir);
    conn.summary.add(pkt, fromA);
    const h = this.pool.pop() ?? new HeldPacket();
    h.fill(pkt, fromA, wsTags, conn.baseUsec);
    h.attach = attach;
    // (After process: it weighs the time since the connection's previous segment.)
    conn.process(h, this.recycle, this.onPacket);
    conn.lastUsec = now;
    if (conn.over) this.end(conn);
    else {
      this.scheduleTimeWait(conn);
      conn.compact();
    }
    this.flushEnded();
    return conn;
  }

  /**
   * Capture time has reached `nowUsec` without a packet (a live stream gone quiet): connections
   * whose idle time or TIME_WAIT ran out by then end now, as the next packet would end them.
   */
  advance(nowUsec: number): void {
    if (nowUsec > this.nowUsec) this.nowUsec = nowUsec;
    this.expireTimers(nowUsec);
    this.flushEnded();
  }

  /**
   * Capture time advances to `now` without a segment for this table: idle and TIME_WAIT timers
   * that ran out end their connections here. A shard of a multi-threaded run calls this for the
   * TCP segments of other shards, so its connections end at the same frame as in one table.
   */
  tick(now: number): void {
    if (now > this.nowUsec) this.nowUsec = now;
    this.expireTimers(now);
    this.flushEnded();
  }

  /** Connections started so far (the last id handed out). */
  get started(): number {
    return this.nextId - 1;
  }

  /** Wireshark streams remembered by the analysis (0 without one). */
  get streamCount(): number {
    return this.opts.analysis?.size ?? 0;
  }

  /** End of input: every open connection, in id order. */
  finish(): void {
    const open: (Conn | null)[] = [];
    this.slots.forEachConn((slot) => open.push(this.conns[slot]!));
    open.sort((x, y) => x!.id - y!.id);
    for (let i = 0; i < open.length; i++) {
      const c = open[i]!;
      // With reuseConns no one keeps an emitted Conn: each is unlinked and let go once emitted, so
      // the state its release makes (250 000 connections' at the end of a flood) is not all kept
      // at once. Otherwise they stay linked in the table (its size and lookups after the end).
      if (this.reuseConns) {
        this.unlink(c);
        open[i] = null;
      }
      this.emit(c, false);
      if (this.reuseConns) c.letGo();
    }
  }

  // ---------------------------------------------------------------- internals

  /** A new connection in `slot`, sent by `dir` (from the slot's A) as its A. */
  private create(pkt: Packet, slot: number, dir: number): Conn {
    let conn = this.freeConns.pop();
    if (conn !== undefined) conn.reuse(pkt.tsUsec);
    else conn = new Conn(this.opts.newSummary(), this.cfg, pkt.tsUsec);
    conn.id = this.nextId++;
    conn.firstFrame = pkt.frame;
    conn.setTuple(pkt);
    conn.firstFlags = pkt.flags;
    conn.slot = slot;
    this.slots.setConn(slot, dir);
    while (this.conns.length <= slot) this.conns.push(null);
    this.conns[slot] = conn;
    this.count++;
    return conn;
  }

  /** A SYN with a new ISN while one endpoint sits in TIME_WAIT starts a new connection. */
  private isPortReuse(conn: Conn, pkt: Packet, fromA: boolean): boolean {
    if ((pkt.flags & (SYN | ACK)) !== SYN) return false;
    const live = conn.live;
    if (live.a.cand !== TIME_WAIT_BIT && live.b.cand !== TIME_WAIT_BIT) return false;
    const s = fromA ? live.a : live.b;
    return !s.synSent || s.iss !== (pkt.seq | 0);
  }

  private closeTimeWaitForReuse(conn: Conn): void {
    conn.release(true, this.recycle, this.onPacket, this.nowUsec);
    conn.closeTimeWait();
  }

  /** The least recently used open connection, or null. */
  private oldest(): Conn | null {
    const slot = this.slots.oldestConn();
    return slot < 0 ? null : this.conns[slot]!;
  }

  private unlink(conn: Conn): void {
    const slot = conn.slot;
    if (slot < 0) return;
    this.conns[slot] = null;
    this.slots.dropConn(slot);
    conn.slot = -1;
    this.count--;
  }

  /** Marks a connection over at the current frame; flushEnded() emits in id order. */
  private end(conn: Conn): void {
    if (conn.ended) return;
    conn.ended = true;
    this.unlink(conn);
    this.ending.push(conn);
  }

  private flushEnded(): void {
    if (this.ending.length === 0) return;
    if (this.ending.length > 1) this.ending.sort((x, y) => x.id - y.id);
    for (const c of this.ending) this.emit(c);
    // Emptied by pop, not `length = 0`, which drops the backing store: the next push would
    // allocate another, once per ending connection.
    while (this.ending.length > 0) this.ending.pop();
  }

  /** Emits an ended connection; `recycle`: it is unlinked, its objects may serve a new one. */
  private emit(conn: Conn, recycle = true): void {
    conn.ended = true;
    this.opts.onEnd(this.recordOf(conn), conn);
    // Reset when taken (create), not here: process() returns this conn to its caller intact.
    if (recycle && this.reuseConns && this.freeConns.length < MAX_FREE_CONNS) this.freeConns.push(conn);
  }

  /** The connection's record as it stands, its held segments released first. */
  private recordOf(conn: Conn): ConnRecord {
    conn.release(true, this.recycle, this.onPacket, this.nowUsec);
    return buildRecord(
      {
        id: conn.id,
        startUsec: conn.baseUsec,
        a: { ip: conn.addrText(0, this.opts.addrText), port: conn.portA },
        b: { ip: conn.addrText(1, this.opts.addrText), port: conn.portB },
        evicted: conn.evicted,
      },
      conn.record,
      conn.summary,
    );
  }

  /**
   * The record of a connection both of whose endpoints have closed (TIME_WAIT or CLOSED) while it
   * stays in the table for its TIME_WAIT, or null while it is not: what `live` prints at the close
   * (its final TIME_WAIT shown then) instead of after TIME_WAIT runs out.
   */
  closedRecord(conn: Conn): ConnRecord | null {
    if (conn.ended) return null;
    const a = conn.live.a.state;
    const b = conn.live.b.state;
    const done = (s: TcpState) => s === TcpState.TIME_WAIT || s === TcpState.CLOSED;
    if (!done(a) || !done(b) || (a !== TcpState.TIME_WAIT && b !== TcpState.TIME_WAIT)) return null;
    return this.recordOf(conn);
  }

  private scheduleTimeWait(conn: Conn): void {
    const d = conn.timeWaitDeadline();
    if (d < 0 || d === conn.twDeadlineUsec) return;
    conn.twDeadlineUsec = d;
    this.twPush(d, conn);
  }

  private twPush(d: number, conn: Conn): void {
    const ds = this.twDeadlines;
    const cs = this.twConns;
    const ids = this.twIds;
    const id = conn.id;
    let i = ds.length;
    ds.push(d);
    cs.push(conn);
    ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (ds[parent]! <= d) break;
      ds[i] = ds[parent]!;
      cs[i] = cs[parent]!;
      ids[i] = ids[parent]!;
      i = parent;
    }
    ds[i] = d;
    cs[i] = conn;
    ids[i] = id;
  }

  private twPop(): void {
    const ds = this.twDeadlines;
    const cs = this.twConns;
    const ids = this.twIds;
    const d = ds.pop()!;
    const c = cs.pop()!;
    const id = ids.pop()!;
    const n = ds.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && ds[child + 1]! < ds[child]!) child++;
      if (ds[child]! >= d) break;
      ds[i] = ds[child]!;
      cs[i] = cs[child]!;
      ids[i] = ids[child]!;
      i = child;
    }
    ds[i] = d;
    cs[i] = c;
    ids[i] = id;
  }

  /** Whether an idle or TIME_WAIT timer has run out by capture time `now` (expireTimers has work). */
  private timerDue(now: number): boolean {
    const head = this.oldest();
    if (head !== null && now - head.lastUsec >= this.idleUsec) return true;
    return this.twDeadlines.length > 0 && this.twDeadlines[0]! <= now;
  }

  /** Connections whose idle time or TIME_WAIT ran out by capture time `now` end at this frame. */
  private expireTimers(now: number): void {
    for (let c = this.oldest(); c !== null && now - c.lastUsec >= this.idleUsec; c = this.oldest())
      this.end(c);
    while (this.twDeadlines.length > 0 && this.twDeadlines[0]! <= now) {
      const c = this.twConns[0]!;
      const d = this.twDeadlines[0]!;
      const id = this.twIds[0]!;
      this.twPop();
      if (c.id !== id || c.ended || c.twDeadlineUsec !== d) continue;
      c.release(true, this.recycle, this.onPacket, this.nowUsec);
      c.expireTimeWait(d);
      // Past 2^53 µs (far-future captures) the subtraction can round TIME_WAIT short of its own
      // deadline: it ran out at d all the same, and a timer re-armed at d would fire forever.
      if (c.timeWaitDeadline() === d) c.expireTimeWait(Number.POSITIVE_INFINITY);
      c.twDeadlineUsec = -1;
      if (c.over) this.end(c);
      else this.scheduleTimeWait(c);
    }
  }
}
