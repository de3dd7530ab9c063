// The host-level view of a capture: which sockets each host held, in which state, at any time
// (what `netstat -tan` would have shown there), the per-state counts over time, TIME_WAIT
// build-up and port exhaustion (RFC 9293 §3.10.8's 2×MSL wait; Linux waits a fixed 60 s), and
// SYN floods (half-open connections per listener). Built from each connection's per-packet
// states; pure: times are integer µs passed in, nothing is read from a clock.
// Every function here is O(n log n) in its input (a 100 000-connection capture is a few seconds of
// work, not minutes): sweeps over sorted interval starts and ends, keys built once per item, never
// a scan of a list inside a loop over another.

import type { StateName } from '../tcp/state.js';
import { ACK, SYN } from '../wire/packet.js';

export interface HostEndpoint {
  ip: string;
  port: number;
}

/** What host-states needs of a connection (the report timeline and the tracker's records fit it). */
export interface ConnStatesInput {
  id: number;
  orig: HostEndpoint;
  resp: HostEndpoint;
  initial: { orig: StateName; resp: StateName };
  packets: readonly {
    timeUs: number;
    from: 'orig' | 'resp';
    flags: number;
    states: { orig: StateName; resp: StateName };
  }[];
}

/** One socket in one state over [fromUs, toUs). */
export interface SocketInterval {
  host: string;
  local: HostEndpoint;
  remote: HostEndpoint;
  state: StateName;
  /** The connection id; null for a listening socket. */
  conn: number | null;
  side: 'orig' | 'resp' | 'listen';
  fromUs: number;
  toUs: number;
}

export interface HostStatesOptions {
  /** TIME_WAIT duration in µs (`--time-wait`, default 60 s). */
  timeWaitUs?: number;
}

const FOREVER = Number.POSITIVE_INFINITY;

/**
 * The connections as host-states reads them, by index: ConnStatesInput objects, or the CLI's
 * columns (track/states-columns.ts: a SYN flood's 10^6 connections are not 10^6 objects). A
 * connection's packets are visited from `first(i)` by `next(i, p)` (-1: none left).
 */
export interface ConnsView {
  readonly length: number;
  id(i: number): number;
  ip(i: number, resp: boolean): string;
  port(i: number, resp: boolean): number;
  /** The address as a key: equal keys exactly when equal texts. */
  addr(i: number, resp: boolean): number | string;
  /** FNV-1a over the 4-tuple (equal tuples, equal hashes). */
  tupleHash(i: number): number;
  initialResp(i: number): StateName;
  first(i: number): number;
  next(i: number, p: number): number;
  time(i: number, p: number): number;
  fromOrig(i: number, p: number): boolean;
  flags(i: number, p: number): number;
  state(i: number, p: number, resp: boolean): StateName;
}

/** Where socketIntervals puts each interval (in its order): objects, or columns. */
export interface IntervalSink {
  /** Connection `i`'s endpoint (resp or orig) in `state` over [fromUs, toUs). */
  socket(i: number, resp: boolean, state: StateName, fromUs: number, toUs: number): void;
  /** The LISTEN socket of connection `i`'s resp endpoint from `fromUs` on. */
  listener(i: number, fromUs: number): void;
}

/** Socket intervals as the analyses read them, by index (SocketInterval objects or columns). */
export interface IntervalsView {
  readonly length: number;
  /** The local address (the host) as a key, and as text. */
  hostKey(k: number): number | string;
  host(k: number): string;
  localPort(k: number): number;
  remoteKey(k: number): number | string;
  remoteIp(k: number): string;
  remotePort(k: number): number;
  state(k: number): StateName;
  side(k: number): 'orig' | 'resp' | 'listen';
  conn(k: number): number | null;
  fromUs(k: number): number;
  toUs(k: number): number;
}

/** ConnStatesInput objects as a ConnsView (a packet is its index). */
export function objectConns(conns: readonly ConnStatesInput[]): ConnsView {
  const ep = (i: number, resp: boolean) => (resp ? conns[i].resp : conns[i].orig);
  return {
    length: conns.length,
    id: (i) => conns[i].id,
    ip: (i, resp) => ep(i, resp).ip,
    port: (i, resp) => ep(i, resp).port,
    addr: (i, resp) => ep(i, resp).ip,
    tupleHash: (i) => tupleHash(conns[i]),
    initialResp: (i) => conns[i].initial.resp,
    first: (i) => (conns[i].packets.length > 0 ? 0 : -1),
    next: (i, p) => (p + 1 < conns[i].packets.length ? p + 1 : -1),
    time: (i, p) => conns[i].packets[p].timeUs,
    fromOrig: (i, p) => conns[i].packets[p].from === 'orig',
    flags: (i, p) => conns[i].packets[p].flags,
    state: (i, p, resp) => (resp ? conns[i].packets[p].states.resp : conns[i].packets[p].states.orig),
  };
}

/** SocketInterval objects as an IntervalsView. */
export function objectIntervals(ivs: readonly SocketInterval[]): IntervalsView {
  return {
    length: ivs.length,
    hostKey: (k) => ivs[k].host,
    host: (k) => ivs[k].host,
    localPort: (k) => ivs[k].local.port,
    remoteKey: (k) => ivs[k].remote.ip,
    remoteIp: (k) => ivs[k].remote.ip,
    remotePort: (k) => ivs[k].remote.port,
    state: (k) => ivs[k].state,
    side: (k) => ivs[k].side,
    conn: (k) => ivs[k].conn,
    fromUs: (k) => ivs[k].fromUs,
    toUs: (k) => ivs[k].toUs,
  };
}

function wildcard(ip: string): HostEndpoint {
  return { ip: ip.includes(':') ? '::' : '0.0.0.0', port: 0 };
}

/**
 * A Map keyed by (address, address, number), as one flat key. (Maps nested per address, which
 * built no key string, cost two Maps per source address: 10^6 of them on a SYN flood, most of
 * states' memory.) Iteration order is not kept: callers that need first-seen order keep their
 * own list.
 */
class AddressKeyMap<V> {
  private readonly map = new Map<string, V>();

  get(a: string | number, b: string | number, n: number): V | undefined {
    return this.map.get(`${a} ${b} ${n}`);
  }

  set(a: string | number, b: string | number, n: number, value: V): void {
    this.map.set(`${a} ${b} ${n}`, value);
  }
}

/** The remote address of a listening socket, in AddressKeyMap keys. */
const ANY = '*';

/** Hands one endpoint's interval in `state` over [since, at) to `out` if netstat would have shown it. */
function pushInterval(
  out: IntervalSink,
  i: number,
  resp: boolean,
  state: StateName,
  since: number,
  at: number,
  end: number,
  spoke: boolean,
  timeWait: number,
): void {
  // CLOSED and LISTEN sockets of a connection do not exist; an UNKNOWN one only once it spoke.
  const shown = state !== 'CLOSED' && state !== 'LISTEN' && (state !== 'UNKNOWN' || spoke);
  if (!shown || at <= since) return;
  let to = Math.min(at, end);
  if (state === 'TIME_WAIT') to = Math.min(to, since + timeWait);
  if (to <= since) return;
  out.socket(i, resp, state, since, to);
}

/** One endpoint's state intervals, from its per-packet states, cut at `end`. */
function pushSideIntervals(
  out: IntervalSink,
  c: ConnsView,
  i: number,
  resp: boolean,
  end: number,
  timeWait: number,
): void {
  let state: StateName | undefined;
  let since = 0;
  let spoke = false;
  for (let p = c.first(i); p >= 0; p = c.next(i, p)) {
    const t = c.time(i, p);
    if (t >= end) break;
    if (c.fromOrig(i, p) !== resp) spoke = true;
    const s = c.state(i, p, resp);
    if (s !== state) {
      if (state !== undefined) pushInterval(out, i, resp, state, since, t, end, spoke, timeWait);
      state = s;
      since = t;
    }
  }
  if (state !== undefined) pushInterval(out, i, resp, state, since, FOREVER, end, spoke, timeWait);
}

/** FNV-1a over a connection's 4-tuple (equal tuples, equal hashes). */
function tupleHash(c: ConnStatesInput): number {
  let h = 0x811c9dc5;
  const a = c.orig.ip;
  const b = c.resp.ip;
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x20, 0x01000193);
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ c.orig.port, 0x01000193);
  return Math.imul(h ^ c.resp.port, 0x01000193);
}

function seenListening(c: ConnsView, i: number): boolean {
  if (c.initialResp(i) === 'LISTEN') return true;
  for (let p = c.first(i); p >= 0; p = c.next(i, p)) if (c.state(i, p, true) === 'LISTEN') return true;
  return false;
}

/**
 * Every socket state interval in the capture: each connection endpoint from the first packet it
 * took part in, TIME_WAIT ending after `timeWaitUs` (or when the next connection on the same
 * 4-tuple starts), and one LISTEN socket per server address and port that was seen listening.
 */
export function socketIntervals(
  conns: readonly ConnStatesInput[],
  opts: HostStatesOptions = {},
): SocketInterval[] {
  const out: SocketInterval[] = [];
  socketIntervalsInto(objectConns(conns), opts, {
    socket(i, resp, state, fromUs, toUs) {
      const c = conns[i];
      const local = resp ? c.resp : c.orig;
      const remote = resp ? c.orig : c.resp;
      const side = resp ? 'resp' : 'orig';
      out.push({ host: local.ip, local, remote, state, conn: c.id, side, fromUs, toUs });
    },
    listener(i, fromUs) {
      const local = conns[i].resp;
      out.push({
        host: local.ip,
        local,
        remote: wildcard(local.ip),
        state: 'LISTEN',
        conn: null,
        side: 'listen',
        fromUs,
        toUs: FOREVER,
      });
    },
  });
  return out;
}

/**
 * socketIntervals over any ConnsView, its intervals handed to `out` in order: connections by
 * their first packet (then by index), each one's orig then resp endpoint, the listeners last.
 */
export function socketIntervalsInto(conns: ConnsView, opts: HostStatesOptions, out: IntervalSink): void {
  const timeWait = opts.timeWaitUs ?? 60_000_000;
  let n = 0;
  for (let i = 0; i < conns.length; i++) if (conns.first(i) >= 0) n++;
  const order = new Int32Array(n);
  const firstAt = new Float64Array(conns.length);
  n = 0;
  for (let i = 0; i < conns.length; i++) {
    const p = conns.first(i);
    if (p < 0) continue;
    order[n++] = i;
    firstAt[i] = conns.time(i, p);
  }
  // By first packet, ties in index order (as a stable sort of the list would leave them).
  order.sort((a, b) => firstAt[a] - firstAt[b] || a - b);
  // A later connection on the same 4-tuple ends whatever the earlier one left behind. The tuples
  // are found in a chained hash table of typed arrays, compared by address keys and ports (a
  // flood's 10^6 tuples as key strings would be ~80 MB).
  const end = new Float64Array(n).fill(FOREVER);
  const slots = 1 << Math.max(10, Math.ceil(Math.log2(2 * n + 1)));
  const head = new Int32Array(slots).fill(-1);
  // Per tuple (numbered by its first connection's k): the next tuple in its slot, its latest k.
  const chain = new Int32Array(n);
  const latest = new Int32Array(n);
  const sameTuple = (i: number, j: number) =>
    conns.port(i, false) === conns.port(j, false) &&
    conns.port(i, true) === conns.port(j, true) &&
    conns.addr(i, false) === conns.addr(j, false) &&
    conns.addr(i, true) === conns.addr(j, true);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const slot = conns.tupleHash(i) & (slots - 1);
    let t = head[slot];
    while (t >= 0 && !sameTuple(order[t], i)) t = chain[t];
    if (t >= 0) {
      end[latest[t]] = firstAt[i];
      latest[t] = k;
    } else {
      chain[k] = head[slot];
      head[slot] = k;
      latest[k] = k;
    }
  }
  // The listeners, by address and port: the first connection that showed each, and since when.
  // (A numeric address makes a numeric key: no string per connection of a flood.)
  const listenerAt = new Map<string | number, number>();
  const listenKey = (a: string | number, port: number) =>
    typeof a === 'number' ? a * 65536 + port : `${a} ${port}`;
  const listenConn: number[] = [];
  const listenFrom: number[] = [];

  for (let k = 0; k < n; k++) {
    const i = order[k];
    pushSideIntervals(out, conns, i, false, end[k], timeWait);
    if (seenListening(conns, i)) {
      const at = firstAt[i];
      const key = listenKey(conns.addr(i, true), conns.port(i, true));
      const l = listenerAt.get(key);
      if (l === undefined) {
        listenerAt.set(key, listenConn.length);
        listenConn.push(i);
        listenFrom.push(at);
      } else if (at < listenFrom[l]) listenFrom[l] = at;
    }
    pushSideIntervals(out, conns, i, true, end[k], timeWait);
  }
  for (let l = 0; l < listenConn.length; l++) out.listener(listenConn[l], listenFrom[l]);
}

export interface SocketRow {
  host: string;
  local: HostEndpoint;
  remote: HostEndpoint;
  state: StateName;
  conn: number | null;
  /** Epoch µs when the socket entered this state. */
  sinceUs: number;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareEndpoints(a: HostEndpoint, b: HostEndpoint): number {
  return compareText(a.ip, b.ip) || a.port - b.port;
}

/** The sockets each host held at `atUs` (netstat's view: CLOSED sockets do not exist). */
export function socketsAt(intervals: readonly SocketInterval[], atUs: number): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const iv of intervals) {
    if (iv.fromUs <= atUs && atUs < iv.toUs) {
      rows.push({
        host: iv.host,
        local: iv.local,
        remote: iv.remote,
        state: iv.state,
        conn: iv.conn,
        sinceUs: iv.fromUs,
      });
    }
  }
  rows.sort(
    (a, b) =>
      compareText(a.host, b.host) ||
      compareEndpoints(a.local, b.local) ||
      compareEndpoints(a.remote, b.remote) ||
      (a.conn ?? 0) - (b.conn ?? 0),
  );
  return rows;
}

/** Per host, how many sockets are in each state. */
export function countByHost(rows: readonly SocketRow[]): Record<string, Partial<Record<StateName, number>>> {
  const hosts: Record<string, Partial<Record<StateName, number>>> = {};
  for (const r of rows) {
    const h = hosts[r.host] ?? {};
    hosts[r.host] = h;
    h[r.state] = (h[r.state] ?? 0) + 1;
  }
  return hosts;
}

export interface StateTimeline {
  /** Sample times (epoch µs). */
  times: number[];
  /** host → state → count at each sample time. */
  hosts: Record<string, Partial<Record<StateName, number[]>>>;
}

/**
 * Per-state socket counts per host at `samples` evenly spaced times from `startUs` to `endUs`: a
 * socket counts at every sample from the first one at or after its interval's start until the
 * first one at or after its end. Hosts, and each host's states, appear in the order in which a
 * time-ordered sweep over the interval starts and ends (ends first at equal times) first meets them.
 * O(intervals × log samples + hosts × states × samples): each start or end lands on its sample by
 * binary search, and each series is the running sum of what landed on it.
 */
export function stateTimeline(
  intervals: readonly SocketInterval[],
  startUs: number,
  endUs: number,
  samples: number,
): StateTimeline {
  return stateTimelineOf(objectIntervals(intervals), startUs, endUs, samples);
}

/** stateTimeline over any IntervalsView. */
export function stateTimelineOf(
  intervals: IntervalsView,
  startUs: number,
  endUs: number,
  samples: number,
): StateTimeline {
  const n = Math.max(2, samples);
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(Math.round(startUs + ((endUs - startUs) * i) / (n - 1)));
  // reach[i]: the latest time any sample up to i covers (sample times fall when endUs < startUs).
  const reach = new Float64Array(n);
  for (let i = 0; i < n; i++) reach[i] = i === 0 ? times[0] : Math.max(reach[i - 1], times[i]);
  /** The first sample at which a start or end at `t` counts; n for none. */
  const sampleOf = (t: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t <= reach[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  // Hosts and states numbered once; a (host, state) pair is host × stateCount + state.
  const hostIndex = new Map<string | number, number>();
  const hostNames: string[] = [];
  const stateIndex = new Map<StateName, number>();
  const stateNames: StateName[] = [];
  const hostOf = new Int32Array(intervals.length);
  const stateOf = new Int32Array(intervals.length);
  for (let k = 0; k < intervals.length; k++) {
    const key = intervals.hostKey(k);
    let h = hostIndex.get(key);
    if (h === undefined) {
      h = hostNames.length;
      hostIndex.set(key, h);
      hostNames.push(intervals.host(k));
    }
    const state = intervals.state(k);
    let st = stateIndex.get(state);
    if (st === undefined) {
      st = stateNames.length;
      stateIndex.set(state, st);
      stateNames.push(state);
    }
    hostOf[k] = h;
    stateOf[k] = st;
  }
  const stateCount = stateNames.length;
  const pairCount = hostNames.length * stateCount;

  // Where each start and end lands, and each pair's first bound in sweep order: (time, end before
  // start, interval index).
  const startAt = new Int32Array(intervals.length);
  const endAt = new Int32Array(intervals.length);
  const firstTime = new Float64Array(pairCount);
  const firstDelta = new Int8Array(pairCount);
  const firstInterval = new Int32Array(pairCount).fill(-1);
  const touch = (pair: number, t: number, delta: number, k: number) => {
    const seen = firstInterval[pair];
    if (
      seen < 0 ||
      t < firstTime[pair] ||
      (t === firstTime[pair] && (delta < firstDelta[pair] || (delta === firstDelta[pair] && k < seen)))
    ) {
      firstTime[pair] = t;
      firstDelta[pair] = delta;
      firstInterval[pair] = k;
    }
  };
  for (let k = 0; k < intervals.length; k++) {
    const from = intervals.fromUs(k);
    const to = intervals.toUs(k);
    const pair = hostOf[k] * stateCount + stateOf[k];
    startAt[k] = sampleOf(from);
    if (startAt[k] < n) touch(pair, from, 1, k);
    endAt[k] = to === FOREVER ? n : sampleOf(to);
    if (endAt[k] < n) touch(pair, to, -1, k);
  }

  const touched: number[] = [];
  for (let pair = 0; pair < pairCount; pair++) if (firstInterval[pair] >= 0) touched.push(pair);
  touched.sort(
    (a, b) =>
      firstTime[a] - firstTime[b] || firstDelta[a] - firstDelta[b] || firstInterval[a] - firstInterval[b],
  );
  const hosts: StateTimeline['hosts'] = {};
  const seriesOfPair: number[][] = new Array(pairCount);
  for (const pair of touched) {
    const host = hostNames[Math.floor(pair / stateCount)];
    const h = hosts[host] ?? {};
    hosts[host] = h;
    const series = new Array<number>(n).fill(0);
    h[stateNames[pair % stateCount]] = series;
    seriesOfPair[pair] = series;
  }
  for (let k = 0; k < intervals.length; k++) {
    const series = seriesOfPair[hostOf[k] * stateCount + stateOf[k]];
    if (startAt[k] < n) series[startAt[k]]++;
    if (endAt[k] < n) series[endAt[k]]--;
  }
  for (const pair of touched) {
    const series = seriesOfPair[pair];
    for (let i = 1; i < n; i++) series[i] += series[i - 1];
  }
  return { times, hosts };
}

/** Interval bounds in sweep order: starts and ends each ascending; at equal times an end comes first. */
interface Bounds {
  starts: Float64Array;
  ends: Float64Array;
}

function boundsOf(ivs: IntervalsView, which: readonly number[]): Bounds {
  return spanBounds(
    which.map((k) => ivs.fromUs(k)),
    which.map((k) => ivs.toUs(k)),
  );
}

/** Sorted starts and finite ends of spans given as their bounds. */
function spanBounds(from: readonly number[], to: readonly number[]): Bounds {
  let finite = 0;
  for (const t of to) if (t !== FOREVER) finite++;
  const starts = Float64Array.from(from);
  const ends = new Float64Array(finite);
  let j = 0;
  for (const t of to) if (t !== FOREVER) ends[j++] = t;
  starts.sort();
  ends.sort();
  return { starts, ends };
}

/** Highest number of simultaneous intervals, and when it was first reached. */
function peakConcurrency(b: Bounds): { max: number; atUs: number } {
  let cur = 0;
  let max = 0;
  let atUs = 0;
  // Ends left after the last start only lower the count.
  for (let i = 0, j = 0; i < b.starts.length; ) {
    if (j < b.ends.length && b.ends[j] <= b.starts[i]) {
      cur--;
      j++;
    } else {
      cur++;
      if (cur > max) {
        max = cur;
        atUs = b.starts[i];
      }
      i++;
    }
  }
  return { max, atUs };
}

const ONE_SECOND = 1_000_000;

/**
 * Whether, at some moment when a socket entered TIME_WAIT and at least `threshold` sockets of `tw`
 * were in it, no SYN (sorted `synTimes`) followed for a second, and the capture (ending at
 * `captureEnd`) ran on for that second.
 */
function synsStoppedWhileFull(
  tw: Bounds,
  synTimes: readonly number[],
  threshold: number,
  captureEnd: number,
): boolean {
  let cur = 0;
  let nextSyn = 0;
  for (let i = 0, j = 0; i < tw.starts.length; ) {
    if (j < tw.ends.length && tw.ends[j] <= tw.starts[i]) {
      cur--;
      j++;
      continue;
    }
    const t = tw.starts[i++];
    cur++;
    if (cur >= threshold && captureEnd >= t + ONE_SECOND) {
      // The first SYN after t; t only grows, so the search resumes where it stopped.
      while (nextSyn < synTimes.length && synTimes[nextSyn] <= t) nextSyn++;
      if (nextSyn === synTimes.length || synTimes[nextSyn] > t + ONE_SECOND) return true;
    }
  }
  return false;
}

export interface TimeWaitEntry {
  client: string;
  server: string;
  port: number;
  max_time_wait: number;
  ports: { low: number; high: number };
  /** Peak rate of new connections (first SYNs) in any one-second window, per second. */
  rate: number;
  /** Usable ports ÷ TIME_WAIT seconds: the highest rate the client can keep up (seed 001's arithmetic). */
  sustainable_rate: number;
  exhausted: boolean;
  advice: { en: string; zh: string };
}

export interface SynFloodEntry {
  server: string;
  port: number;
  max_half_open: number;
  /** Epoch seconds when the peak was first reached. */
  at: number;
}

/** Below this many connections a triple's observed port range says nothing about its ephemeral range. */
export const MIN_JUDGED_CONNECTIONS = 10;

export interface ExhaustionOptions extends HostStatesOptions {
  /** Below this many connections a triple's observed port range says nothing about its ephemeral range. */
  minConnections?: number;
  /** A listener shows in `synflood` when this many connections were half-open at once. */
  synFloodMin?: number;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Time of the connection's first SYN without ACK from orig, if any. */
function firstSynTime(c: ConnsView, i: number): number | undefined {
  for (let p = c.first(i); p >= 0; p = c.next(i, p)) {
    const f = c.flags(i, p);
    if (c.fromOrig(i, p) && f & SYN && !(f & ACK)) return c.time(i, p);
  }
  return undefined;
}

/**
 * One entry per (client IP, server IP, server port) whose clients were left in TIME_WAIT
 * (PRODUCT.md `timewait`). exhausted: the client's SYN rate dropped to 0 for a second while at
 * least 90% of its port range low..high sat in TIME_WAIT, or its peak rate exceeded
 * sustainable_rate.
 */
export function timeWaitAnalysis(
  conns: readonly ConnStatesInput[],
  intervals: readonly SocketInterval[],
  opts: ExhaustionOptions = {},
): TimeWaitEntry[] {
  return timeWaitAnalysisOf(objectConns(conns), objectIntervals(intervals), opts);
}

/** timeWaitAnalysis over any views. */
export function timeWaitAnalysisOf(
  conns: ConnsView,
  intervals: IntervalsView,
  opts: ExhaustionOptions = {},
): TimeWaitEntry[] {
  const timeWaitS = (opts.timeWaitUs ?? 60_000_000) / ONE_SECOND;
  const minConns = opts.minConnections ?? MIN_JUDGED_CONNECTIONS;
  interface Group {
    client: string;
    server: string;
    port: number;
    conns: number[];
    tw: number[];
  }
  // Only the triples whose clients were left in TIME_WAIT make an entry: the others' connections
  // are not grouped at all (a SYN flood's 10^6 sources would each make a group).
  const groupOf = new AddressKeyMap<Group>();
  const groups: Group[] = [];
  for (let k = 0; k < intervals.length; k++) {
    if (intervals.side(k) !== 'orig' || intervals.state(k) !== 'TIME_WAIT') continue;
    const port = intervals.remotePort(k);
    let g = groupOf.get(intervals.hostKey(k), intervals.remoteKey(k), port);
    if (!g) {
      g = { client: intervals.host(k), server: intervals.remoteIp(k), port, conns: [], tw: [] };
      groupOf.set(intervals.hostKey(k), intervals.remoteKey(k), port, g);
      groups.push(g);
    }
    g.tw.push(k);
  }
  if (groups.length === 0) return [];
  let captureEnd = 0;
  for (let i = 0; i < conns.length; i++) {
    for (let p = conns.first(i); p >= 0; p = conns.next(i, p)) {
      const t = conns.time(i, p);
      if (conns.next(i, p) < 0 && t > captureEnd) captureEnd = t;
    }
    groupOf.get(conns.addr(i, false), conns.addr(i, true), conns.port(i, true))?.conns.push(i);
  }
  const out: TimeWaitEntry[] = [];
  for (const g of groups) {
    if (g.tw.length === 0) continue;
    const { client, server, port } = g;
    let low = 65535;
    let high = 0;
    const starts: number[] = [];
    for (const i of g.conns) {
      low = Math.min(low, conns.port(i, false));
      high = Math.max(high, conns.port(i, false));
      const syn = firstSynTime(conns, i);
      if (syn !== undefined) starts.push(syn);
    }
    starts.sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while (starts[i] - starts[j] >= ONE_SECOND) j++;
      peak = Math.max(peak, i - j + 1);
    }
    const usable = high - low + 1;
    const sustainable = usable / timeWaitS;
    const twBounds = boundsOf(intervals, g.tw);
    const tw = peakConcurrency(twBounds);
    let exhausted = false;
    if (g.conns.length >= minConns) {
      if (peak > sustainable) exhausted = true;
      // The SYNs stop while ≥ 90% of the range waits in TIME_WAIT.
      else exhausted = synsStoppedWhileFull(twBounds, starts, 0.9 * usable, captureEnd);
    }
    out.push({
      client,
      server,
      port,
      max_time_wait: tw.max,
      ports: { low, high },
      rate: peak,
      sustainable_rate: round(sustainable, 3),
      exhausted,
      advice: timeWaitAdvice({
        client,
        server,
        port,
        low,
        high,
        max: tw.max,
        peak,
        sustainable,
        timeWaitS,
        exhausted,
        judged: g.conns.length >= minConns,
      }),
    });
  }
  out.sort((a, b) =>
    a.client < b.client
      ? -1
      : a.client > b.client
        ? 1
        : a.server < b.server
          ? -1
          : a.server > b.server
            ? 1
            : a.port - b.port,
  );
  return out;
}

function timeWaitAdvice(x: {
  client: string;
  server: string;
  port: number;
  low: number;
  high: number;
  max: number;
  peak: number;
  sustainable: number;
  timeWaitS: number;
  exhausted: boolean;
  judged: boolean;
}): { en: string; zh: string } {
  const usable = x.high - x.low + 1;
  const sus = round(x.sustainable, 2);
  const base = {
    en: `${x.client} → ${x.server}:${x.port}: up to ${x.max} client sockets in TIME_WAIT; ${usable} ports (${x.low}–${x.high}) ÷ ${x.timeWaitS} s TIME_WAIT = at most ${sus} new connections per second (peak seen: ${x.peak}/s).`,
    zh: `${x.client} → ${x.server}:${x.port}：客户端最多有 ${x.max} 个套接字处于 TIME_WAIT；${usable} 个端口（${x.low}–${x.high}）÷ ${x.timeWaitS} 秒 TIME_WAIT = 每秒最多 ${sus} 个新连接（实际峰值：每秒 ${x.peak} 个）。`,
  };
  if (!x.judged)
    return {
      en: `${base.en} Too few connections to tell the client's port range: no verdict on exhaustion.`,
      zh: `${base.zh}连接数太少，无法判断客户端的端口范围，因此不判断是否耗尽。`,
    };
  if (!x.exhausted)
    return {
      en: `${base.en} No port exhaustion.`,
      zh: `${base.zh}没有出现端口耗尽。`,
    };
  return {
    en: `${base.en} The client ran out of ports. Spread the load over more client addresses (or more server addresses/ports), enable net.ipv4.tcp_tw_reuse=1 on the client, or reuse connections (HTTP keep-alive, a connection pool) instead of opening one per request.`,
    zh: `${base.zh}客户端的端口已经耗尽。可以增加客户端 IP 地址（或服务端地址、端口）来扩大四元组组合，在客户端开启 net.ipv4.tcp_tw_reuse=1，或者复用连接（HTTP keep-alive、连接池），不要每个请求都新建连接。`,
  };
}

/**
 * Listeners with at least `synFloodMin` half-open connections at once. A connection is half-open
 * from its SYN until the handshake completes: while the server is in SYN_RECEIVED or the client
 * in SYN_SENT, so that SYNs the server never answered (a flood beyond its backlog, or from
 * sources that answer no SYN+ACK) count as well as the ones it did (PRODUCT.md).
 */
export function synFloodAnalysis(
  intervals: readonly SocketInterval[],
  opts: ExhaustionOptions = {},
): SynFloodEntry[] {
  return synFloodAnalysisOf(objectIntervals(intervals), opts);
}

/** synFloodAnalysis over any IntervalsView. */
export function synFloodAnalysisOf(intervals: IntervalsView, opts: ExhaustionOptions = {}): SynFloodEntry[] {
  const min = opts.synFloodMin ?? 10;
  interface Group {
    server: string;
    port: number;
    index: number;
    // The spans, as their bounds (a flood's million spans are not a million objects).
    from: number[];
    to: number[];
  }
  const groupOf = new AddressKeyMap<Group>();
  const groups: Group[] = [];
  // One span per connection: its server's SYN_RECEIVED and its client's SYN_SENT joined. Where a
  // connection's span is: its group and index there, by connection id (ids are dense).
  let maxConn = 0;
  for (let k = 0; k < intervals.length; k++) {
    const c = intervals.conn(k);
    if (c !== null && c > maxConn) maxConn = c;
  }
  const spanGroup = new Int32Array(maxConn + 1).fill(-1);
  const spanIndex = new Int32Array(maxConn + 1);
  for (let k = 0; k < intervals.length; k++) {
    const side = intervals.side(k);
    const state = intervals.state(k);
    const server = side === 'resp' && state === 'SYN_RECEIVED';
    if (!server && !(side === 'orig' && state === 'SYN_SENT')) continue;
    const conn = intervals.conn(k);
    const fromUs = intervals.fromUs(k);
    const toUs = intervals.toUs(k);
    const gi = conn === null ? -1 : spanGroup[conn];
    if (gi >= 0) {
      const g = groups[gi];
      const j = spanIndex[conn!];
      g.from[j] = Math.min(g.from[j], fromUs);
      g.to[j] = Math.max(g.to[j], toUs);
      continue;
    }
    const key = server ? intervals.hostKey(k) : intervals.remoteKey(k);
    const port = server ? intervals.localPort(k) : intervals.remotePort(k);
    let g = groupOf.get(key, ANY, port);
    if (!g) {
      const ip = server ? intervals.host(k) : intervals.remoteIp(k);
      g = { server: ip, port, index: groups.length, from: [], to: [] };
      groupOf.set(key, ANY, port, g);
      groups.push(g);
    }
    if (conn !== null) {
      spanGroup[conn] = g.index;
      spanIndex[conn] = g.from.length;
    }
    g.from.push(fromUs);
    g.to.push(toUs);
  }
  const out: SynFloodEntry[] = [];
  for (const g of groups) {
    const peak = peakConcurrency(spanBounds(g.from, g.to));
    if (peak.max < min) continue;
    out.push({ server: g.server, port: g.port, max_half_open: peak.max, at: peak.atUs / ONE_SECOND });
  }
  return out.sort((a, b) => b.max_half_open - a.max_half_open);
}
