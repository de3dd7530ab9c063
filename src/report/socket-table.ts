// `synack states`: the socket table each host would have shown at time T (netstat -tan's
// columns, per host), the per-state counts over time as a text chart, and the TIME_WAIT /
// port-exhaustion and SYN-flood findings, as text or as PRODUCT.md's `states --json` object.
// The analysis itself lives in src/track/host-states.ts; this file shapes and draws it. Pure.

import type { StateName } from '../tcp/state.js';
import {
  type ConnStatesInput,
  type ConnsView,
  countByHost,
  type ExhaustionOptions,
  type HostEndpoint,
  type IntervalsView,
  objectConns,
  objectIntervals,
  type SocketRow,
  type StateTimeline,
  type SynFloodEntry,
  socketIntervals,
  socketIntervalsInto,
  socketsAt,
  stateTimelineOf,
  synFloodAnalysisOf,
  type TimeWaitEntry,
  timeWaitAnalysisOf,
} from '../track/host-states.js';
import { IntervalColumns, type SocketRows, type StatesColumns } from '../track/states-columns.js';
import { type ScanEntry, type ScanOptions, scanAnalysis } from './scan-finding.js';
import { formatSeconds } from './timeline.js';

export interface StatesReport {
  /** Epoch seconds (exact µs). */
  at: number;
  hosts: Record<string, Partial<Record<StateName, number>>>;
  sockets: {
    host: string;
    local: HostEndpoint;
    remote: HostEndpoint;
    state: StateName;
    conn: number | null;
    since: number;
  }[];
  timewait: TimeWaitEntry[];
  synflood: SynFloodEntry[];
  /** Outbound scans (scan-finding.ts: Zeek's scan policy); present only when one was found (an addition to the contract's fields). */
  scans?: ScanEntry[];
  /** With --timeline: per-state counts per host over time (an addition to the contract's fields). */
  timeline?: { times: number[]; hosts: StateTimeline['hosts'] };
  /**
   * The socket table as columns (buildColumnStatesReport): `hosts` and `sockets` are then empty
   * and the writers read the rows from here (a flood's 10^6 rows are not 10^6 objects).
   */
  table?: SocketRows;
}

export interface StatesOptions extends ExhaustionOptions, ScanOptions {
  /** Time of the table in epoch µs; default: the last packet of the capture. */
  atUs?: number;
  /** Number of samples for the timeline (0 or absent: no timeline). */
  timelineSamples?: number;
  /** Called between the report's stages, each a long run of work (the CLI's heap governor looks then). */
  between?: () => void;
}

/** First and last packet times of the capture (epoch µs). */
export function captureSpan(conns: readonly ConnStatesInput[]): { startUs: number; endUs: number } {
  let startUs = Number.POSITIVE_INFINITY;
  let endUs = 0;
  for (const c of conns) {
    if (c.packets.length === 0) continue;
    startUs = Math.min(startUs, c.packets[0].timeUs);
    endUs = Math.max(endUs, c.packets[c.packets.length - 1].timeUs);
  }
  if (startUs === Number.POSITIVE_INFINITY) startUs = 0;
  return { startUs, endUs };
}

export function buildStatesReport(conns: readonly ConnStatesInput[], opts: StatesOptions = {}): StatesReport {
  const between = opts.between ?? (() => {});
  const intervals = socketIntervals(conns, opts);
  between();
  const span = captureSpan(conns);
  const atUs = opts.atUs ?? span.endUs;
  const rows: SocketRow[] = socketsAt(intervals, atUs);
  between();
  const hosts = countByHost(rows);
  // Each row becomes its entry in place: a flood's million rows are not held twice.
  const sockets = rows as unknown as StatesReport['sockets'];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    sockets[i] = {
      host: r.host,
      local: r.local,
      remote: r.remote,
      state: r.state,
      conn: r.conn,
      since: r.sinceUs / 1e6,
    };
  }
  between();
  const report: StatesReport = { at: atUs / 1e6, hosts, sockets, timewait: [], synflood: [] };
  addFindings(report, objectConns(conns), objectIntervals(intervals), span, opts);
  return report;
}

/**
 * The findings both report builders share, read through views (objects or the CLI's columns):
 * TIME_WAIT, SYN floods, outbound scans and, when asked, the timeline.
 */
function addFindings(
  report: StatesReport,
  conns: ConnsView,
  intervals: IntervalsView,
  span: { startUs: number; endUs: number },
  opts: StatesOptions,
): void {
  const between = opts.between ?? (() => {});
  report.timewait = timeWaitAnalysisOf(conns, intervals, opts);
  between();
  report.synflood = synFloodAnalysisOf(intervals, opts);
  between();
  const scans = scanAnalysis(conns, span.startUs, opts);
  if (scans.length > 0) report.scans = scans;
  between();
  if (opts.timelineSamples && opts.timelineSamples > 0) {
    const tl = stateTimelineOf(intervals, span.startUs, span.endUs, opts.timelineSamples);
    report.timeline = { times: tl.times.map((t) => t / 1e6), hosts: tl.hosts };
  }
}

/**
 * buildStatesReport over the CLI's columns, with a table of rows in place of `hosts` and
 * `sockets` (the same output through the writers); also the intervals, for the text timeline.
 */
export function buildColumnStatesReport(
  conns: StatesColumns,
  opts: StatesOptions = {},
): { report: StatesReport; intervals: IntervalColumns } {
  const between = opts.between ?? (() => {});
  const intervals = new IntervalColumns(conns);
  socketIntervalsInto(conns, opts, intervals);
  between();
  const span = viewSpan(conns);
  const atUs = opts.atUs ?? span.endUs;
  const table = intervals.rowsAt(atUs);
  between();
  const report: StatesReport = { at: atUs / 1e6, hosts: {}, sockets: [], timewait: [], synflood: [] };
  addFindings(report, conns, intervals, span, opts);
  report.table = table;
  return { report, intervals };
}

/** captureSpan over a ConnsView. */
function viewSpan(conns: ConnsView): { startUs: number; endUs: number } {
  let startUs = Number.POSITIVE_INFINITY;
  let endUs = 0;
  for (let i = 0; i < conns.length; i++) {
    for (let p = conns.first(i); p >= 0; p = conns.next(i, p)) {
      const t = conns.time(i, p);
      if (p === conns.first(i)) startUs = Math.min(startUs, t);
      if (conns.next(i, p) < 0) endUs = Math.max(endUs, t);
    }
  }
  if (startUs === Number.POSITIVE_INFINITY) startUs = 0;
  return { startUs, endUs };
}

/** A table's rows by host: each host's first row and its counts by state (in first-met order). */
function* hostRuns(
  t: SocketRows,
): Generator<{ host: string; from: number; to: number; counts: Partial<Record<StateName, number>> }> {
  for (let from = 0; from < t.length; ) {
    const key = t.hostKey(from);
    const counts: Partial<Record<StateName, number>> = {};
    let to = from;
    for (; to < t.length && t.hostKey(to) === key; to++) {
      const s = t.state(to);
      counts[s] = (counts[s] ?? 0) + 1;
    }
    yield { host: t.host(from), from, to, counts };
    from = to;
  }
}

/** The rows of a column table as the report's socket entries. */
function socketEntry(t: SocketRows, r: number): StatesReport['sockets'][number] {
  return {
    host: t.host(r),
    local: t.local(r),
    remote: t.remote(r),
    state: t.state(r),
    conn: t.conn(r),
    since: t.sinceUs(r) / 1e6,
  };
}

function ep(e: HostEndpoint, listen: boolean): string {
  const ip = e.ip.includes(':') ? `[${e.ip}]` : e.ip;
  return listen && e.port === 0 ? `${ip}:*` : `${ip}:${e.port}`;
}

/** netstat -tan's columns, one block per host, then the findings. */
export function renderStatesText(r: StatesReport, startUs: number): string[] {
  const out: string[] = [];
  writeStatesText(r, startUs, (line) => out.push(line));
  return out;
}

/**
 * Each host's rows: a run of `sockets`, which socketsAt sorted by host first (as `hosts` is
 * sorted), so no list per host is built (a SYN flood has 10^6 hosts); grouped by a map otherwise.
 */
function rowsByHost(sockets: StatesReport['sockets']): (host: string) => StatesReport['sockets'] {
  let sorted = true;
  for (let i = 1; i < sockets.length && sorted; i++) sorted = sockets[i - 1]!.host <= sockets[i]!.host;
  if (sorted) {
    let next = 0;
    return (host) => {
      while (next < sockets.length && sockets[next]!.host < host) next++;
      const from = next;
      while (next < sockets.length && sockets[next]!.host === host) next++;
      return sockets.slice(from, next);
    };
  }
  const rowsOf = new Map<string, StatesReport['sockets']>();
  for (const s of sockets) {
    const rows = rowsOf.get(s.host);
    if (rows === undefined) rowsOf.set(s.host, [s]);
    else rows.push(s);
  }
  return (host) => rowsOf.get(host) ?? [];
}

/** One host's block of the text table. */
function writeHostRows(
  h: string,
  byState: Partial<Record<StateName, number>>,
  rows: StatesReport['sockets'],
  startUs: number,
  emit: (line: string) => void,
): void {
  const counts = Object.entries(byState)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  emit('');
  emit(`host ${h}: ${counts}`);
  // Widths by a loop (a spread of 10^5 arguments overflows the stack).
  let lw = 18;
  let rw = 18;
  for (const s of rows) {
    lw = Math.max(lw, ep(s.local, false).length);
    rw = Math.max(rw, ep(s.remote, s.state === 'LISTEN').length);
  }
  emit(
    `  ${'Local Address'.padEnd(lw)}  ${'Foreign Address'.padEnd(rw)}  ${'State'.padEnd(12)}  Conn  Since (s)`,
  );
  for (const s of rows) {
    emit(
      `  ${ep(s.local, false).padEnd(lw)}  ${ep(s.remote, s.state === 'LISTEN').padEnd(rw)}  ${s.state.padEnd(12)}  ${String(s.conn ?? '-').padStart(4)}  +${formatSeconds(Math.round(s.since * 1e6) - startUs)}`,
    );
  }
}

/** renderStatesText's lines handed to `emit` one at a time (a flood's table is millions of lines). */
export function writeStatesText(r: StatesReport, startUs: number, emit: (line: string) => void): void {
  const atUs = Math.round(r.at * 1e6);
  emit(`Sockets at ${formatSeconds(atUs)} (+${formatSeconds(atUs - startUs)} s into the capture)`);
  const table = r.table;
  if (table !== undefined) {
    if (table.length === 0) emit('  (no sockets open at that time)');
    for (const run of hostRuns(table)) {
      const rows: StatesReport['sockets'] = [];
      for (let i = run.from; i < run.to; i++) rows.push(socketEntry(table, i));
      writeHostRows(run.host, run.counts, rows, startUs, emit);
    }
  } else {
    const hosts = Object.keys(r.hosts).sort();
    if (hosts.length === 0) emit('  (no sockets open at that time)');
    const rowsOf = rowsByHost(r.sockets);
    for (const h of hosts) writeHostRows(h, r.hosts[h], rowsOf(h), startUs, emit);
  }
  for (const t of r.timewait) {
    emit('');
    emit(`${t.exhausted ? 'PORT EXHAUSTION' : 'TIME_WAIT'}: ${t.advice.en}`);
  }
  for (const f of r.synflood) {
    emit('');
    emit(
      `SYN FLOOD? ${f.server}:${f.port}: up to ${f.max_half_open} half-open connections (SYN_RECEIVED) at once, first at +${formatSeconds(Math.round(f.at * 1e6) - startUs)} s.`,
    );
  }
  for (const s of r.scans ?? []) {
    emit('');
    emit(`${s.kind === 'address' ? 'ADDRESS SCAN?' : 'PORT SCAN?'} ${s.text.en}`);
  }
}

/**
 * JSON.stringify(r), byte for byte, handed to `emit` in pieces: the hosts and sockets one entry
 * at a time, so that a flood's report is never one string of hundreds of megabytes.
 */
export function writeStatesJson(r: StatesReport, emit: (text: string) => void): void {
  emit(`{"at":${JSON.stringify(r.at)},"hosts":{`);
  let first = true;
  const table = r.table;
  // A column table's hosts in row order: socketsAt sorted the rows by host, and countByHost
  // made the hosts object in that order.
  if (table !== undefined)
    for (const run of hostRuns(table)) {
      emit(`${first ? '' : ','}${JSON.stringify(run.host)}:${JSON.stringify(run.counts)}`);
      first = false;
    }
  else
    for (const h of Object.keys(r.hosts)) {
      emit(`${first ? '' : ','}${JSON.stringify(h)}:${JSON.stringify(r.hosts[h])}`);
      first = false;
    }
  emit('},"sockets":[');
  if (table !== undefined)
    for (let i = 0; i < table.length; i++)
      emit(`${i === 0 ? '' : ','}${JSON.stringify(socketEntry(table, i))}`);
  else
    for (let i = 0; i < r.sockets.length; i++) emit(`${i === 0 ? '' : ','}${JSON.stringify(r.sockets[i])}`);
  emit(`],"timewait":${JSON.stringify(r.timewait)},"synflood":${JSON.stringify(r.synflood)}`);
  if (r.scans !== undefined) emit(`,"scans":${JSON.stringify(r.scans)}`);
  if (r.timeline !== undefined) emit(`,"timeline":${JSON.stringify(r.timeline)}`);
  emit('}');
}

const BARS = ' ▁▂▃▄▅▆▇█';

/** Per host, one sparkline row per state: the count over the capture, scaled to its own peak. */
export function renderTimelineText(tl: StateTimeline, startUs: number): string[] {
  const out: string[] = [];
  writeTimelineText(tl, startUs, (line) => out.push(line));
  return out;
}

/** renderTimelineText's lines handed to `emit` one at a time. */
export function writeTimelineText(tl: StateTimeline, startUs: number, emit: (line: string) => void): void {
  const n = tl.times.length;
  emit(
    `Sockets per state over time: ${n} samples from +0.000000 to +${formatSeconds(tl.times[n - 1] - startUs)} s`,
  );
  for (const h of Object.keys(tl.hosts).sort()) {
    emit('');
    emit(`host ${h}`);
    for (const [state, series] of Object.entries(tl.hosts[h])) {
      if (!series) continue;
      const max = series.reduce((m, v) => Math.max(m, v), 0);
      if (max === 0) continue;
      const bar = series.map((v) => BARS[v === 0 ? 0 : Math.max(1, Math.round((v / max) * 8))]).join('');
      emit(`  ${state.padEnd(12)} ${bar} max ${max}`);
    }
  }
}
