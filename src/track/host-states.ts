// The host-level view of a capture: which sockets each host held, in which state, at any time
// (what `netstat -tan` would have shown there), the per-state counts over time, TIME_WAIT
// build-up and port exhaustion (RFC 9293 §3.10.8's 2×MSL wait; Linux waits a fixed 60 s), and
// SYN floods (half-open connections per listener). Built from each connection's per-packet
// states; pure: times are integer µs passed in, nothing is read from a clock.

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

function tupleKey(c: ConnStatesInput): string {
  return `${c.orig.ip}|${c.orig.port}|${c.resp.ip}|${c.resp.port}`;
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
  // A later connection on the same 4-tuple ends whatever the earlier one left behind.
  const nextStart = new Map<number, number>();
  const lastOnTuple = new Map<string, ConnStatesInput>();
  const sorted = [...conns]
    .filter((c) => c.packets.length > 0)
    .sort((a, b) => a.packets[0].timeUs - b.packets[0].timeUs);
  for (const c of sorted) {
    const k = tupleKey(c);
    const prev = lastOnTuple.get(k);
    if (prev) nextStart.set(prev.id, c.packets[0].timeUs);
    lastOnTuple.set(k, c);
  }
  const listeners = new Map<string, SocketInterval>();

  for (const c of sorted) {
    const end = nextStart.get(c.id) ?? FOREVER;
    for (const side of ['orig', 'resp'] as const) {
      const local = c[side];
      const remote = side === 'orig' ? c.resp : c.orig;
      let state: StateName | undefined;
      let since = 0;
      let spoke = false;
      const close = (at: number) => {
        if (state === undefined) return;
        const shown = state !== 'CLOSED' && state !== 'LISTEN' && (state !== 'UNKNOWN' || spoke);
        if (shown && at > since) {
          let to = Math.min(at, end);
          if (state === 'TIME_WAIT') to = Math.min(to, since + timeWait);
          if (to > since)
            out.push({ host: local.ip, local, remote, state, conn: c.id, side, fromUs: since, toUs: to });
        }
      };
      if (
        side === 'resp' &&
        (c.initial.resp === 'LISTEN' || c.packets.some((p) => p.states.resp === 'LISTEN'))
      ) {
        const key = `${local.ip}|${local.port}`;
        const at = c.packets[0].timeUs;
        const l = listeners.get(key);
        if (!l) {
          listeners.set(key, {
            host: local.ip,
            local,
            remote: wildcard(local.ip),
            state: 'LISTEN',
            conn: null,
            side: 'listen',
            fromUs: at,
            toUs: FOREVER,
          });
        } else if (at < l.fromUs) l.fromUs = at;
      }
      for (const p of c.packets) {
        if (p.timeUs >= end) break;
        if (p.from === side) spoke = true;
        const s = p.states[side];
        if (s !== state) {
          close(p.timeUs);
          state = s;
          since = p.timeUs;
        }
      }
      close(FOREVER);
    }
  }
  out.push(...listeners.values());
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

function compareEndpoints(a: HostEndpoint, b: HostEndpoint): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port;
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
      compareEndpoints({ ip: a.host, port: 0 }, { ip: b.host, port: 0 }) ||
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

/** Per-state socket counts per host at `samples` evenly spaced times from `startUs` to `endUs`. */
export function stateTimeline(
  intervals: readonly SocketInterval[],
  startUs: number,
  endUs: number,
  samples: number,
): StateTimeline {
  const n = Math.max(2, samples);
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(Math.round(startUs + ((endUs - startUs) * i) / (n - 1)));
  // Sweep: +1 at an interval's start, -1 at its end.
  const ev: { t: number; d: number; iv: SocketInterval }[] = [];
  for (const iv of intervals) {
    ev.push({ t: iv.fromUs, d: 1, iv });
    if (iv.toUs !== FOREVER) ev.push({ t: iv.toUs, d: -1, iv });
  }
  ev.sort((a, b) => a.t - b.t || a.d - b.d);
  const hosts: StateTimeline['hosts'] = {};
  const current = new Map<string, number>();
  let e = 0;
  for (let i = 0; i < n; i++) {
    while (e < ev.length && ev[e].t <= times[i]) {
      const k = `${ev[e].iv.host}\u0000${ev[e].iv.state}`;
      current.set(k, (current.get(k) ?? 0) + ev[e].d);
      e++;
    }
    for (const [k, v] of current) {
      const [host, state] = k.split('\u0000') as [string, StateName];
      const h = hosts[host] ?? {};
      hosts[host] = h;
      const series = h[state] ?? new Array<number>(n).fill(0);
      h[state] = series;
      series[i] = v;
    }
  }
  return { times, hosts };
}

/** Highest number of simultaneous intervals, and when it was first reached. */
function peakConcurrency(ivs: readonly SocketInterval[]): {
  max: number;
  atUs: number;
  events: [number, number][];
} {
  const ev: [number, number][] = [];
  for (const iv of ivs) {
    ev.push([iv.fromUs, 1]);
    if (iv.toUs !== FOREVER) ev.push([iv.toUs, -1]);
  }
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  let atUs = 0;
  for (const [t, d] of ev) {
    cur += d;
    if (cur > max) {
      max = cur;
      atUs = t;
    }
  }
  return { max, atUs, events: ev };
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

export interface ExhaustionOptions extends HostStatesOptions {
  /** Below this many connections a triple's observed port range says nothing about its ephemeral range. */
  minConnections?: number;
  /** A listener shows in `synflood` when this many connections were half-open at once. */
  synFloodMin?: number;
}

const ONE_SECOND = 1_000_000;

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
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
  const minConns = opts.minConnections ?? 10;
  const captureEnd = conns.reduce(
    (m, c) => (c.packets.length ? Math.max(m, c.packets[c.packets.length - 1].timeUs) : m),
    0,
  );
  const groups = new Map<string, { conns: ConnStatesInput[]; tw: SocketInterval[] }>();
  const keyOf = (client: string, server: string, port: number) => `${client}|${server}|${port}`;
  for (const c of conns) {
    const k = keyOf(c.orig.ip, c.resp.ip, c.resp.port);
    const g = groups.get(k) ?? { conns: [], tw: [] };
    groups.set(k, g);
    g.conns.push(c);
  }
  for (const iv of intervals) {
    if (iv.side !== 'orig' || iv.state !== 'TIME_WAIT') continue;
    groups.get(keyOf(iv.local.ip, iv.remote.ip, iv.remote.port))?.tw.push(iv);
  }
  const out: TimeWaitEntry[] = [];
  for (const [k, g] of groups) {
    if (g.tw.length === 0) continue;
    const [client, server, portText] = k.split('|');
    let low = 65535;
    let high = 0;
    const starts: number[] = [];
    for (const c of g.conns) {
      low = Math.min(low, c.orig.port);
      high = Math.max(high, c.orig.port);
      const first = c.packets.find((p) => p.from === 'orig' && p.flags & SYN && !(p.flags & ACK));
      if (first) starts.push(first.timeUs);
    }
    starts.sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while (starts[i] - starts[j] >= ONE_SECOND) j++;
      peak = Math.max(peak, i - j + 1);
    }
    const usable = high - low + 1;
    const sustainable = usable / timeWaitS;
    const tw = peakConcurrency(g.tw);
    let exhausted = false;
    if (g.conns.length >= minConns) {
      if (peak > sustainable) exhausted = true;
      // The SYNs stop while ≥ 90% of the range waits in TIME_WAIT.
      let cur = 0;
      for (const [t, d] of tw.events) {
        cur += d;
        if (d > 0 && cur >= 0.9 * usable && captureEnd >= t + ONE_SECOND) {
          const next = starts.find((s) => s > t);
          if (next === undefined || next > t + ONE_SECOND) {
            exhausted = true;
            break;
          }
        }
      }
    }
    const port = Number(portText);
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

/** Listeners with at least `synFloodMin` half-open (SYN_RECEIVED) connections at once. */
export function synFloodAnalysis(
  intervals: readonly SocketInterval[],
  opts: ExhaustionOptions = {},
): SynFloodEntry[] {
  const min = opts.synFloodMin ?? 10;
  const groups = new Map<string, SocketInterval[]>();
  for (const iv of intervals) {
    if (iv.side !== 'resp' || iv.state !== 'SYN_RECEIVED') continue;
    const k = `${iv.local.ip}|${iv.local.port}`;
    const g = groups.get(k) ?? [];
    groups.set(k, g);
    g.push(iv);
  }
  const out: SynFloodEntry[] = [];
  for (const [k, g] of groups) {
    const peak = peakConcurrency(g);
    if (peak.max < min) continue;
    const [server, port] = k.split('|');
    out.push({ server, port: Number(port), max_half_open: peak.max, at: peak.atUs / ONE_SECOND });
  }
  return out.sort((a, b) => b.max_half_open - a.max_half_open);
}
