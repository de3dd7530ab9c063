// The host view as the worker hands it to the page: `synack states --json --timeline` computed on
// every connection (report/socket-table.ts, track/host-states.ts), then cut down to what a person
// reads. A busy capture has tens of thousands of client → server pairs that left a socket or two
// in TIME_WAIT: those become one line; what is listed is port exhaustion, pairs near it, the top
// pairs by TIME_WAIT peak and SYN floods, and the busiest hosts' charts.

import { captureSpan } from '../../src/report/socket-table.js';
import type { StateName } from '../../src/tcp/state.js';
import {
  type ConnStatesInput,
  countByHost,
  MIN_JUDGED_CONNECTIONS,
  socketIntervals,
  socketsAt,
  stateTimeline,
  synFloodAnalysis,
  type TimeWaitEntry,
  timeWaitAnalysis,
} from '../../src/track/host-states.js';
import type { HostChart, HostFinding, HostsView } from './protocol.js';

/** Hosts whose socket counts are charted (the busiest ones). */
const HOST_CHARTS = 8;
/** TIME_WAIT pairs listed by peak beside the exhausted and near-exhausted ones. */
const TOP_PAIRS = 10;
/** Near exhaustion: half the observed port range in TIME_WAIT, or half the sustainable rate. */
const NEAR = 0.5;
const SAMPLES = 160;

function usablePorts(t: TimeWaitEntry): number {
  return t.ports.high - t.ports.low + 1;
}

/**
 * Near exhaustion, judged as the core judges exhaustion: only on a triple with enough connections
 * for its observed port range to stand for its ephemeral range (three connections on five ports
 * are not a client about to run out of ports).
 */
export function isNearExhaustion(t: TimeWaitEntry, connections: number): boolean {
  if (connections < MIN_JUDGED_CONNECTIONS) return false;
  return t.max_time_wait >= NEAR * usablePorts(t) || t.rate >= NEAR * t.sustainable_rate;
}

/** Connections per client → server:port triple (the unit timewait entries are judged on). */
function connectionsPerTriple(conns: readonly ConnStatesInput[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of conns) {
    const k = `${c.orig.ip} ${c.resp.ip} ${c.resp.port}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

export function hostSummary(
  conns: readonly ConnStatesInput[],
  timeWaitS: number,
  started: number,
  now: () => number,
): HostsView {
  const timeWaitUs = Math.round(timeWaitS * 1e6);
  const span = captureSpan(conns);
  // The pieces of buildStatesReport, sharing one set of intervals (the sockets list is not shown).
  const intervals = socketIntervals(conns, { timeWaitUs });
  const atEnd = countByHost(socketsAt(intervals, span.endUs));
  const findings: HostFinding[] = [];
  const others: TimeWaitEntry[] = [];
  const perTriple = connectionsPerTriple(conns);
  for (const t of timeWaitAnalysis(conns, intervals, { timeWaitUs })) {
    const n = perTriple.get(`${t.client} ${t.server} ${t.port}`) ?? 0;
    if (t.exhausted) findings.push({ ...t, why: 'exhausted' });
    else if (isNearExhaustion(t, n) && t.max_time_wait > 1) findings.push({ ...t, why: 'near' });
    else others.push(t);
  }
  others.sort((a, b) => b.max_time_wait - a.max_time_wait || b.rate - a.rate);
  for (const t of others.slice(0, TOP_PAIRS)) findings.push({ ...t, why: 'top' });
  const rest = others.slice(TOP_PAIRS);
  const order = { exhausted: 0, near: 1, top: 2 };
  findings.sort((a, b) => order[a.why] - order[b.why] || b.max_time_wait - a.max_time_wait);

  // Charts for the busiest hosts only: sampling every host of a big capture costs minutes.
  const perHost = new Map<string, number>();
  for (const iv of intervals) perHost.set(iv.host, (perHost.get(iv.host) ?? 0) + 1);
  const top = new Set(
    [...perHost]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, HOST_CHARTS)
      .map(([h]) => h),
  );
  const tl = stateTimeline(
    intervals.filter((iv) => top.has(iv.host)),
    span.startUs,
    span.endUs,
    SAMPLES,
  );
  const charts: HostChart[] = [...top].map((host) => {
    const series = (tl.hosts[host] ?? {}) as Partial<Record<StateName, number[]>>;
    let peak = 0;
    for (let i = 0; i < tl.times.length; i++) {
      let n = 0;
      for (const k in series) n += series[k as StateName]?.[i] ?? 0;
      peak = Math.max(peak, n);
    }
    return { host, end: atEnd[host] ?? {}, series, peak };
  });
  charts.sort((a, b) => b.peak - a.peak || (a.host < b.host ? -1 : 1));
  return {
    findings,
    rest: {
      pairs: rest.length,
      sockets: rest.reduce((a, t) => a + t.max_time_wait, 0),
      maxPeak: rest.reduce((a, t) => Math.max(a, t.max_time_wait), 0),
    },
    synflood: synFloodAnalysis(intervals, { timeWaitUs }),
    times: tl.times,
    charts,
    startUs: span.startUs,
    endUs: span.endUs,
    timeWaitS,
    hostCount: perHost.size,
    computeMs: Math.round(now() - started),
  };
}
