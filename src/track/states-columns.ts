// The compact store `synack states` keeps of a capture: each ended connection one row of typed
// array columns, its kept segments (src/report/states-from-track.ts chooses them) a chain in
// packet columns, addresses as numbers. A SYN flood's 10^6 connections cost ~50 bytes each here,
// where ConnStatesInput objects cost ~300. The socket intervals built from it are columns too, and
// the table at --at is a sorted list of interval numbers: host-states.ts reads all of them through
// its views (ConnsView, IntervalsView), so the analysis is the one the object form gets.

import { STATE_NAMES, type StateName } from '../tcp/state.js';
import { ACK, SYN } from '../wire/packet.js';
import type { ConnStatesInput, ConnsView, HostEndpoint, IntervalSink, IntervalsView } from './host-states.js';

const TWO_32 = 2 ** 32;
const FOREVER = Number.POSITIVE_INFINITY;

/** An IPv4 address's 32 bits when `ip` is one in canonical dotted form, else -1. */
function ipv4Bits(ip: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      // "01" would not come back as itself.
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 0x30);
      if (++digits > 3 || octet > 255) return -1;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

/** Each octet's rank among the texts "0".."255" in string order. */
const OCTET_RANK: Uint8Array = (() => {
  const texts = Array.from({ length: 256 }, (_, i) => String(i)).sort();
  const rank = new Uint8Array(256);
  texts.forEach((t, r) => {
    rank[Number(t)] = r;
  });
  return rank;
})();

/**
 * Addresses as numbers: an IPv4 address its 32 bits (no string kept per address: a flood has
 * 10^6 sources), any other text 2^32 + its index among those seen. Equal numbers, equal texts.
 */
export class AddressBook {
  private readonly others = new Map<string, number>();
  private readonly texts: string[] = [];

  id(ip: string): number {
    const v4 = ipv4Bits(ip);
    if (v4 >= 0) return v4;
    let k = this.others.get(ip);
    if (k === undefined) {
      k = this.texts.length;
      this.others.set(ip, k);
      this.texts.push(ip);
    }
    return TWO_32 + k;
  }

  text(a: number): string {
    if (a >= TWO_32) return this.texts[a - TWO_32]!;
    return `${Math.floor(a / 16777216)}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }

  /** Whether every address is IPv4 (then `order` sorts as the texts do). */
  get onlyIpv4(): boolean {
    return this.texts.length === 0;
  }

  /**
   * For an IPv4 address, a number in its text's order: dotted quads compare as their octets'
   * texts in turn, '.' and the end sorting before any digit.
   */
  order(a: number): number {
    return (
      OCTET_RANK[Math.floor(a / 16777216)]! * 16777216 +
      (OCTET_RANK[(a >>> 16) & 255]! << 16) +
      (OCTET_RANK[(a >>> 8) & 255]! << 8) +
      OCTET_RANK[a & 255]!
    );
  }
}

/** A typed array of at least `n` elements, `a`'s contents kept (growing by half). */
function room<T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(a: T, n: number): T {
  if (n <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(n, Math.ceil(a.length * 1.5), 1024));
  b.set(a);
  return b;
}

const PAGE_BITS = 12;
const PAGE_MASK = (1 << PAGE_BITS) - 1;

/**
 * A column in pages of 4 096 elements: it grows without copying. The kept packets and rows grow
 * with the capture (a million on a SYN flood); as flat arrays growing by half, each growth left
 * the old copy as garbage outside the heap until the next full collection, beside the tracker.
 */
class Pages<T extends Float64Array | Int32Array | Uint16Array | Uint8Array> {
  private readonly pages: T[] = [];

  constructor(private readonly make: (n: number) => T) {}

  /** Room up to index `i`. */
  room(i: number): void {
    while (i >>> PAGE_BITS >= this.pages.length) this.pages.push(this.make(PAGE_MASK + 1));
  }

  get(i: number): number {
    return this.pages[i >>> PAGE_BITS]![i & PAGE_MASK]!;
  }

  set(i: number, v: number): void {
    this.pages[i >>> PAGE_BITS]![i & PAGE_MASK] = v;
  }

  get byteLength(): number {
    let n = 0;
    for (const p of this.pages) n += p.byteLength;
    return n;
  }
}

/** Open-connection bits. */
const SPOKE_A = 1;
const SPOKE_B = 2;
const SYN_A = 4;
const SYN_B = 8;
const HAS_LAST = 16;

/** The kept segments and ended connections of a capture, as columns; a ConnsView in id order once `seal`ed. */
export class StatesColumns implements ConnsView {
  readonly book = new AddressBook();
  // Packets: a connection's kept segments chained by `pNext` (-1 ends), endpoints A/B.
  private readonly pTime = new Pages((n) => new Float64Array(n));
  private readonly pFlags = new Pages((n) => new Uint16Array(n));
  /** Bit 8: from A; bits 4..7: A's state; bits 0..3: B's state. */
  private readonly pAB = new Pages((n) => new Uint16Array(n));
  private readonly pNext = new Pages((n) => new Int32Array(n));
  private packets = 0;
  // Open connections: a slot each (by conn id), freed at the end.
  private readonly slotOf = new Map<number, number>();
  private readonly freeSlots: number[] = [];
  private slots = 0;
  private sHead = new Int32Array(0);
  private sTail = new Int32Array(0);
  private sBits = new Uint8Array(0);
  private sLastTime = new Float64Array(0);
  private sLastFlags = new Uint16Array(0);
  private sLastAB = new Uint16Array(0);
  // Ended connections kept, one row each.
  private readonly cId = new Pages((n) => new Float64Array(n));
  private readonly cAddr = new Pages((n) => new Float64Array(n));
  private readonly cPort = new Pages((n) => new Uint16Array(n));
  private readonly cInitialResp = new Pages((n) => new Uint8Array(n));
  private readonly cOrigIsA = new Pages((n) => new Uint8Array(n));
  private readonly cHead = new Pages((n) => new Int32Array(n));
  private rows = 0;
  /** View index → row (rows sorted by id). */
  private order = new Int32Array(0);

  /** The view's size (after `seal`). */
  length = 0;

  /**
   * A segment of open connection `conn` (endpoints A and B, states after it). Kept when either
   * endpoint's state changed since the last kept one, or it is the first from its side, or the
   * first SYN from its side; otherwise only remembered as the latest (kept if it stays the last).
   */
  segment(conn: number, timeUs: number, fromA: boolean, flags: number, stateA: number, stateB: number): void {
    let s = this.slotOf.get(conn);
    if (s === undefined) {
      s = this.freeSlots.pop() ?? this.newSlot();
      this.slotOf.set(conn, s);
      this.sHead[s] = -1;
      this.sTail[s] = -1;
      this.sBits[s] = 0;
    }
    const ab = (fromA ? 0x100 : 0) | (stateA << 4) | stateB;
    const tail = this.sTail[s]!;
    const changed = tail < 0 || (this.pAB.get(tail) & 0xff) !== (ab & 0xff);
    const bits = this.sBits[s]!;
    const firstWord = (bits & (fromA ? SPOKE_A : SPOKE_B)) === 0;
    const pureSyn = (flags & SYN) !== 0 && (flags & ACK) === 0;
    const firstSyn = pureSyn && (bits & (fromA ? SYN_A : SYN_B)) === 0;
    let next = bits | (fromA ? SPOKE_A : SPOKE_B);
    if (pureSyn) next |= fromA ? SYN_A : SYN_B;
    if (changed || firstWord || firstSyn) {
      this.pushPacket(s, timeUs, flags, ab);
      next &= ~HAS_LAST;
    } else {
      this.sLastTime[s] = timeUs;
      this.sLastFlags[s] = flags;
      this.sLastAB[s] = ab;
      next |= HAS_LAST;
    }
    this.sBits[s] = next;
  }

  /** An open connection's latest segment kept, if it was not. */
  private closeSlot(s: number): void {
    if ((this.sBits[s]! & HAS_LAST) !== 0)
      this.pushPacket(s, this.sLastTime[s]!, this.sLastFlags[s]!, this.sLastAB[s]!);
    this.sBits[s] = 0;
  }

  /**
   * Connection `conn` ended: its first and last segment times (undefined if it had none). When
   * `keep`, its row is added with these endpoints and initial resp state.
   */
  end(
    conn: number,
    keep: { orig: HostEndpoint; resp: HostEndpoint; initialResp: number; origIsA: boolean } | null,
  ): { firstUs: number; lastUs: number } | undefined {
    const s = this.slotOf.get(conn);
    if (s === undefined) return undefined;
    this.slotOf.delete(conn);
    this.closeSlot(s);
    this.freeSlots.push(s);
    const head = this.sHead[s]!;
    const span = { firstUs: this.pTime.get(head), lastUs: this.pTime.get(this.sTail[s]!) };
    if (keep === null) return span;
    const r = this.rows++;
    this.cId.room(r);
    this.cAddr.room(2 * r + 1);
    this.cPort.room(2 * r + 1);
    this.cInitialResp.room(r);
    this.cOrigIsA.room(r);
    this.cHead.room(r);
    this.cId.set(r, conn);
    this.cAddr.set(2 * r, this.book.id(keep.orig.ip));
    this.cAddr.set(2 * r + 1, this.book.id(keep.resp.ip));
    this.cPort.set(2 * r, keep.orig.port);
    this.cPort.set(2 * r + 1, keep.resp.port);
    this.cInitialResp.set(r, keep.initialResp);
    this.cOrigIsA.set(r, keep.origIsA ? 1 : 0);
    this.cHead.set(r, head);
    return span;
  }

  /** The rows in id order from here on (the view). */
  seal(): this {
    const order = new Int32Array(this.rows);
    for (let r = 0; r < this.rows; r++) order[r] = r;
    const id = this.cId;
    order.sort((a, b) => id.get(a) - id.get(b));
    this.order = order;
    this.length = this.rows;
    return this;
  }

  /** Bytes of the columns (for the tests: what the kept connections cost beside the heap). */
  get bytes(): number {
    let n = 0;
    for (const a of [this.pTime, this.pFlags, this.pAB, this.pNext, this.cId, this.cAddr, this.cPort])
      n += a.byteLength;
    for (const a of [this.cInitialResp, this.cOrigIsA, this.cHead]) n += a.byteLength;
    n += this.order.byteLength;
    return n;
  }

  /** The view's connections as objects (for the tests). */
  toObjects(): ConnStatesInput[] {
    const out: ConnStatesInput[] = [];
    for (let i = 0; i < this.length; i++) {
      const packets: ConnStatesInput['packets'][number][] = [];
      for (let p = this.first(i); p >= 0; p = this.next(i, p))
        packets.push({
          timeUs: this.time(i, p),
          from: this.fromOrig(i, p) ? 'orig' : 'resp',
          flags: this.flags(i, p),
          states: { orig: this.state(i, p, false), resp: this.state(i, p, true) },
        });
      out.push({
        id: this.id(i),
        orig: { ip: this.ip(i, false), port: this.port(i, false) },
        resp: { ip: this.ip(i, true), port: this.port(i, true) },
        initial: { orig: 'UNKNOWN', resp: this.initialResp(i) },
        packets,
      });
    }
    return out;
  }

  private newSlot(): number {
    const s = this.slots++;
    this.sHead = room(this.sHead, s + 1);
    this.sTail = room(this.sTail, s + 1);
    this.sBits = room(this.sBits, s + 1);
    this.sLastTime = room(this.sLastTime, s + 1);
    this.sLastFlags = room(this.sLastFlags, s + 1);
    this.sLastAB = room(this.sLastAB, s + 1);
    return s;
  }

  private pushPacket(s: number, timeUs: number, flags: number, ab: number): void {
    const p = this.packets++;
    this.pTime.room(p);
    this.pFlags.room(p);
    this.pAB.room(p);
    this.pNext.room(p);
    this.pTime.set(p, timeUs);
    this.pFlags.set(p, flags);
    this.pAB.set(p, ab);
    this.pNext.set(p, -1);
    const tail = this.sTail[s]!;
    if (tail < 0) this.sHead[s] = p;
    else this.pNext.set(tail, p);
    this.sTail[s] = p;
  }

  // ConnsView (index i: the i-th kept connection by id).
  id(i: number): number {
    return this.cId.get(this.order[i]!);
  }
  addr(i: number, resp: boolean): number {
    return this.cAddr.get(2 * this.order[i]! + (resp ? 1 : 0));
  }
  ip(i: number, resp: boolean): string {
    return this.book.text(this.addr(i, resp));
  }
  port(i: number, resp: boolean): number {
    return this.cPort.get(2 * this.order[i]! + (resp ? 1 : 0));
  }
  tupleHash(i: number): number {
    const r = this.order[i]!;
    const a = this.cAddr.get(2 * r);
    const b = this.cAddr.get(2 * r + 1);
    let h = Math.imul(0x811c9dc5 ^ (a % TWO_32), 0x01000193);
    h = Math.imul(h ^ Math.floor(a / TWO_32), 0x01000193);
    h = Math.imul(h ^ (b % TWO_32), 0x01000193);
    h = Math.imul(h ^ Math.floor(b / TWO_32), 0x01000193);
    h = Math.imul(h ^ this.cPort.get(2 * r), 0x01000193);
    h = Math.imul(h ^ this.cPort.get(2 * r + 1), 0x01000193);
    // Whole words went in: mix the high bits down (the table takes the low ones).
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return h ^ (h >>> 16);
  }
  initialResp(i: number): StateName {
    return STATE_NAMES[this.cInitialResp.get(this.order[i]!)]!;
  }
  first(i: number): number {
    return this.cHead.get(this.order[i]!);
  }
  next(_i: number, p: number): number {
    return this.pNext.get(p);
  }
  time(_i: number, p: number): number {
    return this.pTime.get(p);
  }
  fromOrig(i: number, p: number): boolean {
    return (this.pAB.get(p) >> 8 === 1) === (this.cOrigIsA.get(this.order[i]!) === 1);
  }
  flags(_i: number, p: number): number {
    return this.pFlags.get(p);
  }
  state(i: number, p: number, resp: boolean): StateName {
    // The orig endpoint is A when origIsA: resp reads B then, A otherwise.
    const a = (this.cOrigIsA.get(this.order[i]!) === 1) !== resp;
    const ab = this.pAB.get(p);
    return STATE_NAMES[a ? (ab >> 4) & 15 : ab & 15]!;
  }
}

// Interval sides, in the low bits of IntervalColumns' `sideState` (the state above them).
const ORIG = 0;
const RESP = 1;
const LISTEN = 2;
const SIDES = ['orig', 'resp', 'listen'] as const;

/** socketIntervals' output as columns: a sink while it runs, an IntervalsView after. */
export class IntervalColumns implements IntervalSink, IntervalsView {
  private conns = new Int32Array(0);
  private sideState = new Uint8Array(0);
  private from = new Float64Array(0);
  private to = new Float64Array(0);
  length = 0;
  private readonly wild4: number;
  private wild6 = -1;

  constructor(private readonly c: StatesColumns) {
    this.wild4 = c.book.id('0.0.0.0');
  }

  socket(i: number, resp: boolean, state: StateName, fromUs: number, toUs: number): void {
    this.push(i, resp ? RESP : ORIG, STATE_NAMES.indexOf(state), fromUs, toUs);
  }

  listener(i: number, fromUs: number): void {
    // The wildcard's number, interned only when an IPv6 listener needs it.
    if (this.c.ip(i, true).includes(':') && this.wild6 < 0) this.wild6 = this.c.book.id('::');
    this.push(i, LISTEN, 1, fromUs, FOREVER);
  }

  private push(i: number, side: number, state: number, fromUs: number, toUs: number): void {
    const k = this.length++;
    this.conns = room(this.conns, k + 1);
    this.sideState = room(this.sideState, k + 1);
    this.from = room(this.from, k + 1);
    this.to = room(this.to, k + 1);
    this.conns[k] = i;
    this.sideState[k] = (state << 2) | side;
    this.from[k] = fromUs;
    this.to[k] = toUs;
  }

  private sideOf(k: number): number {
    return this.sideState[k]! & 3;
  }

  hostKey(k: number): number {
    return this.c.addr(this.conns[k]!, this.sideOf(k) !== ORIG);
  }
  host(k: number): string {
    return this.c.book.text(this.hostKey(k));
  }
  localPort(k: number): number {
    return this.c.port(this.conns[k]!, this.sideOf(k) !== ORIG);
  }
  remoteKey(k: number): number {
    const side = this.sideOf(k);
    if (side === LISTEN) return this.host(k).includes(':') ? this.wild6 : this.wild4;
    return this.c.addr(this.conns[k]!, side === ORIG);
  }
  remoteIp(k: number): string {
    return this.c.book.text(this.remoteKey(k));
  }
  remotePort(k: number): number {
    const side = this.sideOf(k);
    return side === LISTEN ? 0 : this.c.port(this.conns[k]!, side === ORIG);
  }
  state(k: number): StateName {
    return STATE_NAMES[this.sideState[k]! >> 2]!;
  }
  side(k: number): 'orig' | 'resp' | 'listen' {
    return SIDES[this.sideOf(k)]!;
  }
  conn(k: number): number | null {
    return this.sideOf(k) === LISTEN ? null : this.c.id(this.conns[k]!);
  }
  fromUs(k: number): number {
    return this.from[k]!;
  }
  toUs(k: number): number {
    return this.to[k]!;
  }

  /**
   * The sockets held at `atUs` (netstat's view), as interval numbers in socketsAt's order: by
   * host, local endpoint, remote endpoint (address text, then port), connection (a listener 0).
   */
  rowsAt(atUs: number): SocketRows {
    let n = 0;
    for (let k = 0; k < this.length; k++) if (this.from[k]! <= atUs && atUs < this.to[k]!) n++;
    const rows = new Int32Array(n);
    n = 0;
    for (let k = 0; k < this.length; k++) if (this.from[k]! <= atUs && atUs < this.to[k]!) rows[n++] = k;
    // Sort keys per row: address texts' order (numbers when every address is IPv4), ports, conn.
    const book = this.c.book;
    const v4 = book.onlyIpv4;
    const hostOrder = new Float64Array(v4 ? n : 0);
    const remoteOrder = new Float64Array(v4 ? n : 0);
    const hostText: string[] = v4 ? [] : new Array<string>(n);
    const remoteText: string[] = v4 ? [] : new Array<string>(n);
    const localPort = new Uint16Array(n);
    const remotePort = new Uint16Array(n);
    const conn = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const k = rows[r]!;
      if (v4) {
        hostOrder[r] = book.order(this.hostKey(k));
        remoteOrder[r] = book.order(this.remoteKey(k));
      } else {
        hostText[r] = this.host(k);
        remoteText[r] = this.remoteIp(k);
      }
      localPort[r] = this.localPort(k);
      remotePort[r] = this.remotePort(k);
      conn[r] = this.conn(k) ?? 0;
    }
    const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const byPosition = new Int32Array(n);
    for (let r = 0; r < n; r++) byPosition[r] = r;
    byPosition.sort(
      (a, b) =>
        (v4 ? hostOrder[a]! - hostOrder[b]! : text(hostText[a]!, hostText[b]!)) ||
        localPort[a]! - localPort[b]! ||
        (v4 ? remoteOrder[a]! - remoteOrder[b]! : text(remoteText[a]!, remoteText[b]!)) ||
        remotePort[a]! - remotePort[b]! ||
        conn[a]! - conn[b]! ||
        a - b,
    );
    const sorted = new Int32Array(n);
    for (let r = 0; r < n; r++) sorted[r] = rows[byPosition[r]!]!;
    return new SocketRows(this, sorted);
  }
}

/** The socket table at one time: interval numbers in table order, read row by row. */
export class SocketRows {
  constructor(
    readonly intervals: IntervalColumns,
    private readonly rows: Int32Array,
  ) {}

  get length(): number {
    return this.rows.length;
  }
  hostKey(r: number): number {
    return this.intervals.hostKey(this.rows[r]!);
  }
  host(r: number): string {
    return this.intervals.host(this.rows[r]!);
  }
  local(r: number): HostEndpoint {
    const k = this.rows[r]!;
    return { ip: this.intervals.host(k), port: this.intervals.localPort(k) };
  }
  remote(r: number): HostEndpoint {
    const k = this.rows[r]!;
    return { ip: this.intervals.remoteIp(k), port: this.intervals.remotePort(k) };
  }
  state(r: number): StateName {
    return this.intervals.state(this.rows[r]!);
  }
  conn(r: number): number | null {
    return this.intervals.conn(this.rows[r]!);
  }
  sinceUs(r: number): number {
    return this.intervals.fromUs(this.rows[r]!);
  }
}
