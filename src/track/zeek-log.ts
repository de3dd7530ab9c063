// Zeek's own connection table, for `synack conns --zeek`: connections keyed by 4-tuple exactly as
// Zeek's session manager keys them, a new connection when Zeek's IsReuse says a SYN starts one,
// and removal by Zeek's timers (attempt, close/delete, reset, partial close, expire, inactivity)
// as capture time advances. Each removed connection becomes one conn.log row, so one synack
// connection can give several rows where Zeek splits it. Rows come out in Zeek's order: removal
// order, then the connections still open at the end in creation order.
// PRODUCT.md "`synack conns --zeek`"; the per-connection analysis is ZeekSummary. A connection
// lives in its 4-tuple's slot (flow-slots.ts), the flow table's when they run side by side
// (`conns --zeek`: the flow table found the slot, no second lookup), its own otherwise.

import type { Packet } from '../wire/packet.js';
import { FlowSlots, SL_ZEEK } from './flow-slots.js';
import type { PortSet } from './likely-server-ports.js';
import { asInt } from './small-int.js';
import { laterThan } from './time-step.js';
import { ZeekConfig, ZeekSummary, type ZeekSummaryOptions } from './zeek-summary.js';

/** One conn.log row (TCP), with addresses as bytes: renderers format them. */
export interface ZeekConnRow {
  /** Zeek connection number, 1-based in creation order (the uid is derived from it). */
  zeekId: number;
  tsUsec: number;
  ipVersion: number;
  origAddr: Uint8Array;
  origPort: number;
  respAddr: Uint8Array;
  respPort: number;
  /** null when Zeek leaves duration and byte counts unset (zero duration). */
  durationUsec: number | null;
  origBytes: bigint | null;
  respBytes: bigint | null;
  connState: string;
  missedBytes: number;
  history: string;
  origPkts: number;
  origIpBytes: number;
  respPkts: number;
  respIpBytes: number;
  /** synack connection id of the row's first packet. */
  synackId: number;
}

export interface ZeekConnLogOptions extends ZeekSummaryOptions {
  ports?: PortSet;
  /**
   * Open connections at most (--max-conns; default unbounded, as Zeek). Past it the one idle
   * longest is logged at once, as if its inactivity timer had fired: memory stays bounded on a
   * SYN flood's millions of 4-tuples, each a connection Zeek keeps for its inactivity timeout.
   */
  maxConns?: number;
  /** The flow table's slots (FlowTable.slots): packets come through processIn() with their slot. */
  slots?: FlowSlots;
}

/** Stale timer entries tolerated beyond twice the open connections before the heap is rebuilt. */
const STALE_TIMERS_KEPT = 4096;

/**
 * One live Zeek connection. Memory: one is kept per open connection; its 4-tuple, hash chain and
 * use order are its slot's (typed arrays), and every field here holds a small integer or a
 * pointer for V8 (no boxed doubles).
 */
class LiveConn {
  readonly summary: ZeekSummary;
  /** Its 4-tuple's slot. */
  slot = -1;
  zeekId = 0;
  synackId = 0;
  alive = true;
  scheduled = false;
  /** When `scheduled`: time of this connection's entry in the timer heap, µs after its start. */
  scheduledRel = 0;

  constructor(config: ZeekConfig) {
    this.summary = new ZeekSummary(config);
  }

  /** Time of this connection's entry in the timer heap (Infinity when none). */
  get scheduledAt(): number {
    return this.scheduled ? this.summary.startUsec + this.scheduledRel : Number.POSITIVE_INFINITY;
  }

  set scheduledAt(at: number) {
    this.scheduled = at !== Number.POSITIVE_INFINITY;
    this.scheduledRel = this.scheduled ? asInt(at - this.summary.startUsec) : 0;
  }
}

export class ZeekConnLog {
  /** The summaries' options, with the analyzer timers this table fires. */
  private readonly config: ZeekConfig;
  /** The 4-tuples' slots, and the live connection of each slot that holds one. */
  private readonly slots: FlowSlots;
  private live: (LiveConn | null)[] = [];
  private readonly rows: ZeekConnRow[] = [];
  /** finish()'s rows go here one by one when given, not into `rows`. */
  private each: ((row: ZeekConnRow) => void) | null = null;
  private nextZeekId = 1;
  private openCount = 0;
  // Binary min-heap of timer entries: time and connection, with lazy invalidation.
  private heapTime: number[] = [];
  private heapConn: LiveConn[] = [];
  /** First and last packet times (µs) seen, for #open/#close. */
  firstUsec = -1;
  lastUsec = -1;
  private readonly maxConns: number;
  /** Connections logged early because more than maxConns were open. */
  evictedCount = 0;

  constructor(options: ZeekConnLogOptions = {}) {
    this.config = new ZeekConfig({ ...options, timers: true });
    this.maxConns = Math.max(1, options.maxConns ?? Number.POSITIVE_INFINITY);
    this.slots = options.slots ?? new FlowSlots();
  }

  /** Feed one decoded TCP segment; `synackId` is the synack connection it belongs to. */
  process(pkt: Packet, synackId: number): void {
    this.at(pkt.tsUsec);
    const slot = this.slotOf(pkt);
    this.add(pkt, slot, this.slots.dir, synackId);
  }

  /**
   * Feed one decoded TCP segment whose slot (and direction from the slot's A) the flow table
   * sharing its slots (ZeekConnLogOptions.slots) found for it.
   */
  processIn(pkt: Packet, slot: number, dir: number, synackId: number): void {
    this.at(pkt.tsUsec);
    // Nothing else may hold it any more (a flow table without streams ended its connection).
    if (!this.slots.listed(slot)) {
      slot = this.slotOf(pkt);
      dir = this.slots.dir;
    }
    this.add(pkt, slot, dir, synackId);
  }

  /** Capture time reaches a packet's: timers due by then fire first. */
  private at(now: number): void {
    if (this.firstUsec < 0) this.firstUsec = now;
    if (now > this.lastUsec) this.lastUsec = now;
    this.fireTimers(now);
  }

  /** pkt's slot, made when its 4-tuple has none (its direction in slots.dir). */
  private slotOf(pkt: Packet): number {
    const slot = this.slots.find(pkt);
    return slot >= 0 ? slot : this.slots.create();
  }

  private add(pkt: Packet, slot: number, dir: number, synackId: number): void {
    const slots = this.slots;
    let conn = (slots.holds(slot) & SL_ZEEK) !== 0 ? this.live[slot]! : null;
    let fromA = true;
    if (conn !== null) {
      fromA = slots.zeekDir(slot, dir) === 0;
      if (conn.summary.isReuse(pkt, fromA)) {
        this.remove(conn);
        conn = null;
        fromA = true;
        // Freed when nothing else holds it.
        if (!slots.listed(slot)) {
          slot = this.slotOf(pkt);
          dir = slots.dir;
        }
      }
    }
    if (conn === null) {
      if (this.openCount >= this.maxConns) {
        const oldest = slots.oldestZeek();
        if (oldest >= 0) {
          this.evictedCount++;
          this.remove(this.live[oldest]!);
        }
      }
      conn = this.create(slot, dir, synackId);
    }
    // The most recently seen (its use order is the slot's): after create, so that an entry the
    // oldest-first search passed is appended anew.
    slots.touch(slot);
    conn.summary.add(pkt, fromA);
    const due = conn.summary.nextDeadline();
    if (due < conn.scheduledAt) this.schedule(conn, due);
  }

  /**
   * The input is over: every connection still open is logged, in creation order. With `each`,
   * those rows are handed to it one at a time and not kept (a flood's 250 000 open connections
   * are not 250 000 rows at once); the rows logged before are returned either way.
   */
  finish(each?: (row: ZeekConnRow) => void): ZeekConnRow[] {
    const open: LiveConn[] = [];
    for (const c of this.live) if (c !== null) open.push(c);
    open.sort((x, y) => x.zeekId - y.zeekId);
    this.heapTime = [];
    this.heapConn = [];
    const logged = each === undefined ? null : this.takeLogged();
    this.each = each ?? null;
    for (let i = 0; i < open.length; i++) {
      this.remove(open[i]!);
      open[i] = null as unknown as LiveConn;
    }
    this.each = null;
    return logged ?? this.rows;
  }

  /** Rows logged since the last call, handed over and forgotten (a live stream's bounded memory). */
  takeLogged(): ZeekConnRow[] {
    return this.rows.splice(0, this.rows.length);
  }

  /** Capture time has reached `nowUsec` without a packet: Zeek's timers due by then fire. */
  advance(nowUsec: number): void {
    this.fireTimers(nowUsec);
  }

  /** Rows logged so far (connections Zeek has removed), in removal order. */
  get loggedRows(): readonly ZeekConnRow[] {
    return this.rows;
  }

  get openConnections(): number {
    return this.openCount;
  }

  /** A new connection in `slot`, its A the sender of the packet seen in direction `dir`. */
  private create(slot: number, dir: number, synackId: number): LiveConn {
    const c = new LiveConn(this.config);
    c.slot = slot;
    c.zeekId = this.nextZeekId++;
    c.synackId = synackId;
    this.slots.setZeek(slot, dir);
    while (this.live.length <= slot) this.live.push(null);
    this.live[slot] = c;
    this.openCount++;
    return c;
  }

  private remove(c: LiveConn): void {
    if (!c.alive) return;
    c.alive = false;
    this.openCount--;
    // The row first: it reads the 4-tuple from the slot, which may be freed after.
    if (this.each !== null) this.each(rowOf(c, this.slots));
    else this.rows.push(rowOf(c, this.slots));
    this.live[c.slot] = null;
    this.slots.dropZeek(c.slot);
  }

  private fireTimers(now: number): void {
    while (this.heapTime.length > 0 && this.heapTime[0]! <= now) {
      const at = this.heapTime[0]!;
      const c = this.heapConn[0]!;
      this.pop();
      if (!c.alive || c.scheduledAt !== at) continue;
      c.scheduledAt = Number.POSITIVE_INFINITY;
      if (c.summary.fireTimers(now)) this.remove(c);
      // The deadline in absolute µs can round back to `now` at far-future times: keep it later.
      else this.schedule(c, laterThan(c.summary.nextDeadline(), now));
    }
  }

  private schedule(c: LiveConn, at: number): void {
    c.scheduledAt = at;
    if (at === Number.POSITIVE_INFINITY) return;
    const t = this.heapTime;
    const k = this.heapConn;
    let i = t.length;
    t.push(at);
    k.push(c);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (t[p]! <= at) break;
      t[i] = t[p]!;
      k[i] = k[p]!;
      i = p;
    }
    t[i] = at;
    k[i] = c;
    // Entries of removed or rescheduled connections stay until their time comes, each keeping a
    // whole summary alive (a SYN flood under --max-conns): drop them once they outnumber the live.
    if (t.length > 2 * this.openCount + STALE_TIMERS_KEPT) this.compactHeap();
  }

  /** Keeps only the entries still in force (a connection alive and scheduled at that time). */
  private compactHeap(): void {
    const t = this.heapTime;
    const k = this.heapConn;
    let n = 0;
    for (let j = 0; j < t.length; j++) {
      const c = k[j]!;
      if (!c.alive || c.scheduledAt !== t[j]) continue;
      t[n] = t[j]!;
      k[n] = c;
      n++;
    }
    t.length = n;
    k.length = n;
    for (let j = (n >> 1) - 1; j >= 0; j--) this.siftDown(j, t[j]!, k[j]!);
  }

  private pop(): void {
    const t = this.heapTime;
    const k = this.heapConn;
    const lastT = t.pop()!;
    const lastC = k.pop()!;
    if (t.length > 0) this.siftDown(0, lastT, lastC);
  }

  /** Places the entry (time, conn) at or below slot i, moving smaller children up. */
  private siftDown(start: number, time: number, conn: LiveConn): void {
    const t = this.heapTime;
    const k = this.heapConn;
    const n = t.length;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && t[r]! < t[l]! ? r : l;
      if (t[m]! >= time) break;
      t[i] = t[m]!;
      k[i] = k[m]!;
      i = m;
    }
    t[i] = time;
    k[i] = conn;
  }
}

function rowOf(c: LiveConn, slots: FlowSlots): ZeekConnRow {
  const s = c.summary;
  // Its A and B in the slot's terms.
  const a = slots.zeekA(c.slot);
  const orig = s.origIsA ? a : 1 - a;
  const duration = s.durationUsec;
  const hasDuration = duration > 0;
  return {
    zeekId: c.zeekId,
    tsUsec: s.startUsec,
    ipVersion: slots.ipVersion(c.slot),
    origAddr: slots.addr(c.slot, orig),
    origPort: slots.port(c.slot, orig),
    respAddr: slots.addr(c.slot, 1 - orig),
    respPort: slots.port(c.slot, 1 - orig),
    durationUsec: hasDuration ? duration : null,
    origBytes: hasDuration ? s.origBytes : null,
    respBytes: hasDuration ? s.respBytes : null,
    connState: s.connState(),
    missedBytes: s.missedBytes,
    history: s.history(),
    origPkts: s.origPkts,
    origIpBytes: s.origIpBytes,
    respPkts: s.respPkts,
    respIpBytes: s.respIpBytes,
    synackId: c.synackId,
  };
}
