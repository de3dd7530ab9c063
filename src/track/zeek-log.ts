// Zeek's own connection table, for `synack conns --zeek`: connections keyed by 4-tuple exactly as
// Zeek's session manager keys them, a new connection when Zeek's IsReuse says a SYN starts one,
// and removal by Zeek's timers (attempt, close/delete, reset, partial close, expire, inactivity)
// as capture time advances. Each removed connection becomes one conn.log row, so one synack
// connection can give several rows where Zeek splits it. Rows come out in Zeek's order: removal
// order, then the connections still open at the end in creation order.
// PRODUCT.md "`synack conns --zeek`"; the per-connection analysis is ZeekSummary.

import type { Packet } from '../wire/packet.js';
import type { PortSet } from './likely-server-ports.js';
import { ZeekSummary, type ZeekSummaryOptions } from './zeek-summary.js';

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
}

/** One live Zeek connection. */
class LiveConn {
  readonly summary: ZeekSummary;
  readonly aAddr = new Uint8Array(16);
  readonly bAddr = new Uint8Array(16);
  aPort = 0;
  bPort = 0;
  ipVersion = 4;
  hash = 0;
  zeekId = 0;
  synackId = 0;
  alive = true;
  /** Time of this connection's entry in the timer heap (Infinity when none). */
  scheduledAt = Number.POSITIVE_INFINITY;

  constructor(options: ZeekSummaryOptions) {
    this.summary = new ZeekSummary(options);
  }
}

function addrEqual(x: Uint8Array, y: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return false;
  return true;
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
  private readonly options: ZeekConnLogOptions;
  private readonly table = new Map<number, LiveConn[]>();
  private readonly rows: ZeekConnRow[] = [];
  private nextZeekId = 1;
  private openCount = 0;
  // Binary min-heap of timer entries: time and connection, with lazy invalidation.
  private heapTime: number[] = [];
  private heapConn: LiveConn[] = [];
  /** First and last packet times (µs) seen, for #open/#close. */
  firstUsec = -1;
  lastUsec = -1;

  constructor(options: ZeekConnLogOptions = {}) {
    this.options = options;
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
    const hash = (hs ^ hd ^ Math.imul(hs & hd, 0x9e3779b1)) >>> 0;
    let conn = this.find(pkt, hash, n);
    let fromA = true;
    if (conn !== null) {
      fromA = conn.aPort === pkt.srcPort && addrEqual(conn.aAddr, pkt.src, n);
      if (conn.summary.isReuse(pkt, fromA)) {
        this.remove(conn);
        conn = null;
        fromA = true;
      }
    }
    if (conn === null) conn = this.create(pkt, hash, synackId);
    conn.summary.add(pkt, fromA);
    const due = conn.summary.nextDeadline();
    if (due < conn.scheduledAt) this.schedule(conn, due);
  }

  /** The input is over: every connection still open is logged, in creation order. */
  finish(): ZeekConnRow[] {
    const open: LiveConn[] = [];
    for (const list of this.table.values()) for (const c of list) open.push(c);
    open.sort((x, y) => x.zeekId - y.zeekId);
    for (const c of open) this.remove(c);
    this.heapTime = [];
    this.heapConn = [];
    return this.rows;
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

  private find(pkt: Packet, hash: number, n: number): LiveConn | null {
    const list = this.table.get(hash);
    if (list === undefined) return null;
    for (const c of list) {
      if (c.ipVersion !== pkt.ipVersion) continue;
      if (
        (c.aPort === pkt.srcPort &&
          c.bPort === pkt.dstPort &&
          addrEqual(c.aAddr, pkt.src, n) &&
          addrEqual(c.bAddr, pkt.dst, n)) ||
        (c.aPort === pkt.dstPort &&
          c.bPort === pkt.srcPort &&
          addrEqual(c.aAddr, pkt.dst, n) &&
          addrEqual(c.bAddr, pkt.src, n))
      )
        return c;
    }
    return null;
  }

  private create(pkt: Packet, hash: number, synackId: number): LiveConn {
    const c = new LiveConn(this.options);
    c.aAddr.set(pkt.src);
    c.bAddr.set(pkt.dst);
    c.aPort = pkt.srcPort;
    c.bPort = pkt.dstPort;
    c.ipVersion = pkt.ipVersion;
    c.hash = hash;
    c.zeekId = this.nextZeekId++;
    c.synackId = synackId;
    const list = this.table.get(hash);
    if (list === undefined) this.table.set(hash, [c]);
    else list.push(c);
    this.openCount++;
    return c;
  }

  private remove(c: LiveConn): void {
    if (!c.alive) return;
    c.alive = false;
    this.openCount--;
    const list = this.table.get(c.hash)!;
    const i = list.indexOf(c);
    if (list.length === 1) this.table.delete(c.hash);
    else list.splice(i, 1);
    this.rows.push(rowOf(c));
  }

  private fireTimers(now: number): void {
    while (this.heapTime.length > 0 && this.heapTime[0]! <= now) {
      const at = this.heapTime[0]!;
      const c = this.heapConn[0]!;
      this.pop();
      if (!c.alive || c.scheduledAt !== at) continue;
      c.scheduledAt = Number.POSITIVE_INFINITY;
      if (c.summary.fireTimers(now)) this.remove(c);
      else this.schedule(c, c.summary.nextDeadline());
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
  }

  private pop(): void {
    const t = this.heapTime;
    const k = this.heapConn;
    const lastT = t.pop()!;
    const lastC = k.pop()!;
    const n = t.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && t[r]! < t[l]! ? r : l;
      if (t[m]! >= lastT) break;
      t[i] = t[m]!;
      k[i] = k[m]!;
      i = m;
    }
    t[i] = lastT;
    k[i] = lastC;
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
    origAddr: (aIsOrig ? c.aAddr : c.bAddr).slice(0, n),
    origPort: aIsOrig ? c.aPort : c.bPort,
    respAddr: (aIsOrig ? c.bAddr : c.aAddr).slice(0, n),
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
