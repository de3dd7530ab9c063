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

  get(a: string, b: string, n: number): V | undefined {
    return this.map.get(`${a} ${b} ${n}`);
  }

  set(a: string, b: string, n: number, value: V): void {
    this.map.set(`${a} ${b} ${n}`, value);
  }
}

/** The remote address of a listening socket, in AddressKeyMap keys. */
const ANY = '*';

/** Appends one endpoint's interval in `state` over [since, at) if netstat would have shown it. */
function pushInterval(
  out: SocketInterval[],
  c: ConnStatesInput,
  side: 'orig' | 'resp',
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
  const local = c[side];
  const remote = side === 'orig' ? c.resp : c.orig;
  out.push({ host: local.ip, local, remote, state, conn: c.id, side, fromUs: since, toUs: to });
}

/** One endpoint's state intervals, from its per-packet states, cut at `end`. */
function pushSideIntervals(
  out: SocketInterval[],
  c: ConnStatesInput,
  side: 'orig' | 'resp',
  end: number,
  timeWait: number,
): void {
  const packets = c.packets;
  let state: StateName | undefined;
  let since = 0;
  let spoke = false;
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i];
    if (p.timeUs >= end) break;
    if (p.from === side) spoke = true;
    const s = p.states[side];
    if (s !== state) {
      if (state !== undefined) pushInterval(out, c, side, state, since, p.timeUs, end, spoke, timeWait);
      state = s;
      since = p.timeUs;
    }
  }
  if (state !== undefined) pushInterval(out, c, side, state, since, FOREVER, end, spoke, timeWait);
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

function seenListening(c: ConnStatesInput): boolean {
  if (c.initial.resp === 'LISTEN') return true;
  for (let i = 0; i < c.packets.length; i++) if (c.packets[i].states.resp === 'LISTEN') return true;
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
  const timeWait = opts.timeWaitUs ?? 60_000_000;
  const out: SocketInterval[] = [];
  const sorted = conns
    .filter((c) => c.packets.length > 0)
    .sort((a, b) => a.packets[0].timeUs - b.packets[0].timeUs);
  // A later connection on the same 4-tuple ends whatever the earlier one left behind. Most
  // 4-tuples carry one connection (a flood's million sources one each): only those whose tuple
  // hash another shares go through the map of tuple keys (a million keys would be ~80 MB).
  const end = new Float64Array(sorted.length).fill(FOREVER);
  const slots = 1 << Math.max(10, Math.ceil(Math.log2(2 * sorted.length + 1)));
  const hashes = new Int32Array(sorted.length);
  const seen = new Uint8Array(slots);
  for (let i = 0; i < sorted.length; i++) {
    hashes[i] = tupleHash(sorted[i]);
    const s = hashes[i] & (slots - 1);
    if (seen[s] < 2) seen[s]++;
  }
  const lastOnTuple = new AddressKeyMap<number>();
  for (let i = 0; i < sorted.length; i++) {
    if (seen[hashes[i] & (slots - 1)] < 2) continue;
    const c = sorted[i];
    const ports = c.orig.port * 65536 + c.resp.port;
    const prev = lastOnTuple.get(c.orig.ip, c.resp.ip, ports);
    if (prev !== undefined) end[prev] = c.packets[0].timeUs;
    lastOnTuple.set(c.orig.ip, c.resp.ip, ports, i);
  }
  const listenerAt = new AddressKeyMap<SocketInterval>();
  const listeners: SocketInterval[] = [];

  for (let i = 0; i < sorted.length; i++) {
    const c = sorted[i];
    pushSideIntervals(out, c, 'orig', end[i], timeWait);
    if (seenListening(c)) {
      const local = c.resp;
      const at = c.packets[0].timeUs;
      const l = listenerAt.get(local.ip, ANY, local.port);
      if (!l) {
        const listener: SocketInterval = {
          host: local.ip,
          local,
          remote: wildcard(local.ip),
          state: 'LISTEN',
          conn: null,
          side: 'listen',
          fromUs: at,
          toUs: FOREVER,
        };
        listenerAt.set(local.ip, ANY, local.port, listener);
        listeners.push(listener);
      } else if (at < l.fromUs) l.fromUs = at;
    }
    pushSideIntervals(out, c, 'resp', end[i], timeWait);
  }
  for (const l of listeners) out.push(l);
  return out;
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
  const hostIndex = new Map<string, number>();
  const hostNames: string[] = [];
  const stateIndex = new Map<StateName, number>();
  const stateNames: StateName[] = [];
  const hostOf = new Int32Array(intervals.length);
  const stateOf = new Int32Array(intervals.length);
  for (let k = 0; k < intervals.length; k++) {
    const iv = intervals[k];
    let h = hostIndex.get(iv.host);
    if (h === undefined) {
      h = hostNames.length;
      hostIndex.set(iv.host, h);
      hostNames.push(iv.host);
    }
    let st = stateIndex.get(iv.state);
    if (st === undefined) {
      st = stateNames.length;
      stateIndex.set(iv.state, st);
      stateNames.push(iv.state);
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
    const iv = intervals[k];
    const pair = hostOf[k] * stateCount + stateOf[k];
    startAt[k] = sampleOf(iv.fromUs);
    if (startAt[k] < n) touch(pair, iv.fromUs, 1, k);
    endAt[k] = iv.toUs === FOREVER ? n : sampleOf(iv.toUs);
    if (endAt[k] < n) touch(pair, iv.toUs, -1, k);
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

function boundsOf(ivs: readonly SocketInterval[]): Bounds {
  return spanBounds(
    ivs.map((iv) => iv.fromUs),
    ivs.map((iv) => iv.toUs),
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
function firstSynTime(c: ConnStatesInput): number | undefined {
  for (let i = 0; i < c.packets.length; i++) {
    const p = c.packets[i];
    if (p.from === 'orig' && p.flags & SYN && !(p.flags & ACK)) return p.timeUs;
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
  const timeWaitS = (opts.timeWaitUs ?? 60_000_000) / ONE_SECOND;
  const minConns = opts.minConnections ?? MIN_JUDGED_CONNECTIONS;
  const captureEnd = conns.reduce(
    (m, c) => (c.packets.length ? Math.max(m, c.packets[c.packets.length - 1].timeUs) : m),
    0,
  );
  interface Group {
    client: string;
    server: string;
    port: number;
    conns: ConnStatesInput[];
    tw: SocketInterval[];
  }
  // Only the triples whose clients were left in TIME_WAIT make an entry: the others' connections
  // are not grouped at all (a SYN flood's 10^6 sources would each make a group).
  const groupOf = new AddressKeyMap<Group>();
  const groups: Group[] = [];
  for (const iv of intervals) {
    if (iv.side !== 'orig' || iv.state !== 'TIME_WAIT') continue;
    let g = groupOf.get(iv.local.ip, iv.remote.ip, iv.remote.port);
    if (!g) {
      g = { client: iv.local.ip, server: iv.remote.ip, port: iv.remote.port, conns: [], tw: [] };
      groupOf.set(iv.local.ip, iv.remote.ip, iv.remote.port, g);
      groups.push(g);
    }
    g.tw.push(iv);
  }
  if (groups.length > 0) for (const c of conns) groupOf.get(c.orig.ip, c.resp.ip, c.resp.port)?.conns.push(c);
  const out: TimeWaitEntry[] = [];
  for (const g of groups) {
    if (g.tw.length === 0) continue;
    const { client, server, port } = g;
    let low = 65535;
    let high = 0;
    const starts: number[] = [];
    for (const c of g.conns) {
      low = Math.min(low, c.orig.port);
      high = Math.max(high, c.orig.port);
      const syn = firstSynTime(c);
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
    const twBounds = boundsOf(g.tw);
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
  for (const iv of intervals) if (iv.conn !== null && iv.conn > maxConn) maxConn = iv.conn;
  const spanGroup = new Int32Array(maxConn + 1).fill(-1);
  const spanIndex = new Int32Array(maxConn + 1);
  for (const iv of intervals) {
    const server = iv.side === 'resp' && iv.state === 'SYN_RECEIVED';
    if (!server && !(iv.side === 'orig' && iv.state === 'SYN_SENT')) continue;
    const at = server ? iv.local : iv.remote;
    const gi = iv.conn === null ? -1 : spanGroup[iv.conn];
    if (gi >= 0) {
      const g = groups[gi];
      const k = spanIndex[iv.conn!];
      g.from[k] = Math.min(g.from[k], iv.fromUs);
      g.to[k] = Math.max(g.to[k], iv.toUs);
      continue;
    }
    let g = groupOf.get(at.ip, ANY, at.port);
    if (!g) {
      g = { server: at.ip, port: at.port, index: groups.length, from: [], to: [] };
      groupOf.set(at.ip, ANY, at.port, g);
      groups.push(g);
    }
    if (iv.conn !== null) {
      spanGroup[iv.conn] = g.index;
      spanIndex[iv.conn] = g.from.length;
    }
    g.from.push(iv.fromUs);
    g.to.push(iv.toUs);
  }
  const out: SynFloodEntry[] = [];
  for (const g of groups) {
    const peak = peakConcurrency(spanBounds(g.from, g.to));
    if (peak.max < min) continue;
    out.push({ server: g.server, port: g.port, max_half_open: peak.max, at: peak.atUs / ONE_SECOND });
  }
  return out.sort((a, b) => b.max_half_open - a.max_half_open);
}
