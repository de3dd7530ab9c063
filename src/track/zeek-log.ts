// Zeek's own connection table, for `synack conns --zeek`: connections keyed by 4-tuple exactly as
// Zeek's session manager keys them, a new connection when Zeek's IsReuse says a SYN starts one,
// and removal by Zeek's timers (attempt, close/delete, reset, partial close, expire, inactivity)
// as capture time advances. Each removed connection becomes one conn.log row, so one synack
// connection can give several rows where Zeek splits it. Rows come out in Zeek's order: removal
// order, then the connections still open at the end in creation order.
// PRODUCT.md "`synack conns --zeek`"; the per-connection analysis is ZeekSummary.

import type { Packet } from '../wire/packet.js';
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
}

/**
 * One live Zeek connection. Memory: one is kept per open connection, so the addresses are
 * big-endian 32-bit words (IPv4 uses the first) rather than typed arrays, and every field holds a
 * small integer or a pointer for V8 (no boxed doubles).
 */
/** Stale timer entries tolerated beyond twice the open connections before the heap is rebuilt. */
const STALE_TIMERS_KEPT = 4096;

class LiveConn {
  readonly summary: ZeekSummary;
  a0 = 0;
  a1 = 0;
  a2 = 0;
  a3 = 0;
  b0 = 0;
  b1 = 0;
  b2 = 0;
  b3 = 0;
  aPort = 0;
  bPort = 0;
  ipVersion = 4;
  hash = 0;
  zeekId = 0;
  synackId = 0;
  alive = true;
  /** The next connection in this one's hash bucket. */
  next: LiveConn | null = null;
  /** The idle list (least recently seen first), kept only with a --max-conns bound. */
  lruPrev: LiveConn | null = null;
  lruNext: LiveConn | null = null;
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

/** Big-endian 32-bit word i of an address, as int32. */
function word(addr: Uint8Array, i: number): number {
  const o = 4 * i;
  return (addr[o]! << 24) | (addr[o + 1]! << 16) | (addr[o + 2]! << 8) | addr[o + 3]!;
}

function isA(c: LiveConn, w: Int32Array): boolean {
  return c.a0 === w[0] && c.a1 === w[1] && c.a2 === w[2] && c.a3 === w[3];
}

function isB(c: LiveConn, w: Int32Array): boolean {
  return c.b0 === w[0] && c.b1 === w[1] && c.b2 === w[2] && c.b3 === w[3];
}

/** The address whose words are w0..w3, `n` bytes long. */
function addrOf(n: number, w0: number, w1: number, w2: number, w3: number): Uint8Array {
  const out = new Uint8Array(n);
  const words = [w0, w1, w2, w3];
  for (let i = 0; i < n; i++) out[i] = (words[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
  return out;
}

/** Order-independent hash of a 4-tuple (FNV-1a over each side, combined commutatively). */
function sideHash(addr: Uint8Array, n: number, port: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ addr[i]!, 0x01000193);
  h = Math.imul(h ^ (port & 0xff), 0x01000193);
  h = Math.imul(h ^ (port >>> 8), 0x01000193);
  return h >>> 0;
}

export class ZeekConnLog {
  /** The summaries' options, with the analyzer timers this table fires. */
  private readonly config: ZeekConfig;
  /** Each hash's bucket: a chain through LiveConn.next (no array per connection). */
  private readonly table = new Map<number, LiveConn>();
  private readonly rows: ZeekConnRow[] = [];
  /** finish()'s rows go here one by one when given, not into `rows`. */
  private each: ((row: ZeekConnRow) => void) | null = null;
  private nextZeekId = 1;
  private openCount = 0;
  // Binary min-heap of timer entries: time and connection, with lazy invalidation.
  private heapTime: number[] = [];
  private heapConn: LiveConn[] = [];
  /** The current packet's source and destination addresses as words (0 beyond an IPv4 address). */
  private readonly src = new Int32Array(4);
  private readonly dst = new Int32Array(4);
  /** First and last packet times (µs) seen, for #open/#close. */
  firstUsec = -1;
  lastUsec = -1;
  private readonly maxConns: number;
  private lruHead: LiveConn | null = null;
  private lruTail: LiveConn | null = null;
  /** Connections logged early because more than maxConns were open. */
  evictedCount = 0;

  constructor(options: ZeekConnLogOptions = {}) {
    this.config = new ZeekConfig({ ...options, timers: true });
    this.maxConns = Math.max(1, options.maxConns ?? Number.POSITIVE_INFINITY);
  }

  /** Feed one decoded TCP segment; `synackId` is the synack connection it belongs to. */
  process(pkt: Packet, synackId: number): void {
    const now = pkt.tsUsec;
    if (this.firstUsec < 0) this.firstUsec = now;
    if (now > this.lastUsec) this.lastUsec = now;
    this.fireTimers(now);

    const n = pkt.ipVersion === 4 ? 4 : 16;
    const hs = sideHash(pkt.src, n, pkt.srcPort);
    const hd = sideHash(pkt.dst, n, pkt.dstPort);
    const hash = hs ^ hd ^ Math.imul(hs & hd, 0x9e3779b1);
    const src = this.src;
    const dst = this.dst;
    for (let i = 0; i < 4; i++) {
      src[i] = 4 * i < n ? word(pkt.src, i) : 0;
      dst[i] = 4 * i < n ? word(pkt.dst, i) : 0;
    }
    let conn = this.find(pkt, hash);
    let fromA = true;
    if (conn !== null) {
      fromA = conn.aPort === pkt.srcPort && isA(conn, src);
      if (conn.summary.isReuse(pkt, fromA)) {
        this.remove(conn);
        conn = null;
        fromA = true;
      }
    }
    if (conn === null) {
      if (this.openCount >= this.maxConns && this.lruHead !== null) {
        this.evictedCount++;
        this.remove(this.lruHead);
      }
      conn = this.create(pkt, hash, synackId);
    }
    if (this.maxConns !== Number.POSITIVE_INFINITY) this.touch(conn);
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
    for (const head of this.table.values())
      for (let c: LiveConn | null = head; c !== null; c = c.next) open.push(c);
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

  private find(pkt: Packet, hash: number): LiveConn | null {
    for (let c = this.table.get(hash) ?? null; c !== null; c = c.next) {
      if (c.ipVersion !== pkt.ipVersion) continue;
      if (
        (c.aPort === pkt.srcPort && c.bPort === pkt.dstPort && isA(c, this.src) && isB(c, this.dst)) ||
        (c.aPort === pkt.dstPort && c.bPort === pkt.srcPort && isA(c, this.dst) && isB(c, this.src))
      )
        return c;
    }
    return null;
  }

  private create(pkt: Packet, hash: number, synackId: number): LiveConn {
    const c = new LiveConn(this.config);
    const src = this.src;
    const dst = this.dst;
    c.a0 = src[0]!;
    c.a1 = src[1]!;
    c.a2 = src[2]!;
    c.a3 = src[3]!;
    c.b0 = dst[0]!;
    c.b1 = dst[1]!;
    c.b2 = dst[2]!;
    c.b3 = dst[3]!;
    c.aPort = pkt.srcPort;
    c.bPort = pkt.dstPort;
    c.ipVersion = pkt.ipVersion;
    c.hash = hash;
    c.zeekId = this.nextZeekId++;
    c.synackId = synackId;
    c.next = this.table.get(hash) ?? null;
    this.table.set(hash, c);
    this.openCount++;
    return c;
  }

  /** `c` becomes the most recently seen. */
  private touch(c: LiveConn): void {
    if (this.lruTail === c) return;
    this.unlinkIdle(c);
    c.lruPrev = this.lruTail;
    if (this.lruTail !== null) this.lruTail.lruNext = c;
    else this.lruHead = c;
    this.lruTail = c;
  }

  private unlinkIdle(c: LiveConn): void {
    if (c.lruPrev !== null) c.lruPrev.lruNext = c.lruNext;
    else if (this.lruHead === c) this.lruHead = c.lruNext;
    if (c.lruNext !== null) c.lruNext.lruPrev = c.lruPrev;
    else if (this.lruTail === c) this.lruTail = c.lruPrev;
    c.lruPrev = null;
    c.lruNext = null;
  }

  private remove(c: LiveConn): void {
    if (!c.alive) return;
    c.alive = false;
    this.openCount--;
    this.unlinkIdle(c);
    const head = this.table.get(c.hash)!;
    if (head === c) {
      if (c.next === null) this.table.delete(c.hash);
      else this.table.set(c.hash, c.next);
    } else {
      let p = head;
      while (p.next !== c) p = p.next!;
      p.next = c.next;
    }
    c.next = null;
    if (this.each !== null) this.each(rowOf(c));
    else this.rows.push(rowOf(c));
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

function rowOf(c: LiveConn): ZeekConnRow {
  const s = c.summary;
  const n = c.ipVersion === 4 ? 4 : 16;
  const aIsOrig = s.origIsA;
  const duration = s.durationUsec;
  const hasDuration = duration > 0;
  return {
    zeekId: c.zeekId,
    tsUsec: s.startUsec,
    ipVersion: c.ipVersion,
    origAddr: aIsOrig ? addrOf(n, c.a0, c.a1, c.a2, c.a3) : addrOf(n, c.b0, c.b1, c.b2, c.b3),
    origPort: aIsOrig ? c.aPort : c.bPort,
    respAddr: aIsOrig ? addrOf(n, c.b0, c.b1, c.b2, c.b3) : addrOf(n, c.a0, c.a1, c.a2, c.a3),
    respPort: aIsOrig ? c.bPort : c.aPort,
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
