// How `synack watch` draws the socket table (TCPView's columns: process, local, remote, state,
// plus time in state), its header (per-state counts, warnings), the `--json` line of one socket
// (PRODUCT.md "`synack watch --json`", contract) and the `--changes` line of one transition.
// Pure: rows, counts and the time come in; strings go out. Colour is ANSI SGR, only when asked.

import { STATE_NAMES, TcpState } from '../tcp/state.js';

/** One socket of one poll, with its owners. */
export interface WatchSocket {
  ipVersion: 4 | 6;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  state: TcpState;
  /** Owning processes, ascending (empty when none or not readable). */
  pids: number[];
  /** Owners' commands (distinct, comma-separated), null when no owner is known. */
  command: string | null;
  inode: number;
  /** What is left of TIME_WAIT in ms, -1 when not in TIME_WAIT (or unknown). */
  timeWaitLeftMs: number;
  txQueue: number;
  rxQueue: number;
}

export type Mark = 'new' | 'changed' | 'closed' | null;

export interface WatchRow {
  key: string;
  sock: WatchSocket;
  /** Owners seen in an earlier incarnation (the process that held it before TIME_WAIT). */
  formerPids: number[];
  formerCommand: string | null;
  /** When the current state was first seen (ms). */
  stateSinceMs: number;
  /** The state was already there at the first poll: time in state is a lower bound. */
  sinceStart: boolean;
  mark: Mark;
  /** Refreshes the mark still lasts. */
  markLeft: number;
}

/** A state change seen between two polls. `from` null: a new socket; `to` CLOSED: it is gone. */
export interface Transition {
  atMs: number;
  sock: WatchSocket;
  from: TcpState | null;
  to: TcpState;
  /** Time spent in `from` (ms), null for a new socket or when it was there before the first poll. */
  inFromMs: number | null;
  /** Owners of the socket, or of its earlier incarnation. */
  pids: number[];
  command: string | null;
}

export interface WatchView {
  rows: readonly WatchRow[];
  counts: ReadonlyMap<TcpState, number>;
  warnings: readonly string[];
  nowMs: number;
  /** Time in state of a row at nowMs. */
  timeInStateMs: (row: WatchRow) => number;
}

export interface ScreenOptions {
  width: number;
  height: number;
  color: boolean;
  paused: boolean;
  intervalSec: number;
}

const SGR = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  inverse: '\x1b[7m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
} as const;

/** The order states are counted in the header: the life of a connection. */
const COUNT_ORDER: readonly TcpState[] = [
  TcpState.LISTEN,
  TcpState.SYN_SENT,
  TcpState.SYN_RECEIVED,
  TcpState.ESTABLISHED,
  TcpState.FIN_WAIT_1,
  TcpState.FIN_WAIT_2,
  TcpState.CLOSE_WAIT,
  TcpState.CLOSING,
  TcpState.LAST_ACK,
  TcpState.TIME_WAIT,
  TcpState.CLOSED,
  TcpState.UNKNOWN,
];

export const WATCH_COLUMNS = ['proto', 'local', 'remote', 'state', 'pid/command', 'in state'] as const;

/** `ip:port`, IPv6 in brackets as ss prints it. */
export function endpointText(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** 850 ms → "0.8s"; 75 s → "1m15s"; 2 h → "2h00m". */
export function durationText(ms: number): string {
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const sec = Math.floor(ms / 1000);
  if (sec < 60) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min}m${String(sec % 60).padStart(2, '0')}s`;
  return `${Math.floor(min / 60)}h${String(min % 60).padStart(2, '0')}m`;
}

/** `pid/command` as netstat -p prints it; a TIME_WAIT socket names its former owner in parentheses. */
export function ownerText(row: WatchRow): string {
  const s = row.sock;
  if (s.pids.length > 0) return `${s.pids.join(',')}/${s.command ?? '?'}`;
  if (row.formerPids.length > 0) return `(${row.formerPids.join(',')}/${row.formerCommand ?? '?'})`;
  return '-';
}

/** The cells of one row, in WATCH_COLUMNS order. */
export function rowCells(row: WatchRow, inStateMs: number): string[] {
  const s = row.sock;
  const time = row.sinceStart
    ? inStateMs < 100
      ? ''
      : `≥${durationText(inStateMs)}`
    : durationText(inStateMs);
  return [
    s.ipVersion === 6 ? 'tcp6' : 'tcp',
    endpointText(s.localIp, s.localPort),
    endpointText(s.remoteIp, s.remotePort),
    STATE_NAMES[s.state],
    ownerText(row),
    row.mark === 'closed' ? 'closed' : time,
  ];
}

/** Per-state counts, e.g. `LISTEN 4  ESTABLISHED 12  TIME_WAIT 3` (total first). */
export function countsLine(counts: ReadonlyMap<TcpState, number>): string {
  let total = 0;
  const parts: string[] = [];
  for (const st of COUNT_ORDER) {
    const n = counts.get(st) ?? 0;
    if (n === 0) continue;
    total += n;
    parts.push(`${STATE_NAMES[st]} ${n}`);
  }
  return [`${total} socket${total === 1 ? '' : 's'}`, ...parts].join('  ');
}

function markColor(mark: Mark): string {
  if (mark === 'new') return SGR.green;
  if (mark === 'changed') return SGR.yellow;
  if (mark === 'closed') return SGR.red + SGR.dim;
  return '';
}

/** Column widths fitted to the content (the last column is not padded). */
function layout(cells: readonly string[][]): string[] {
  const widths = WATCH_COLUMNS.map((h) => h.length);
  for (const r of cells) for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i]!, r[i]!.length);
  return cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** The plain table (one snapshot, --once or piped): header line, counts, warnings, rows. */
export function snapshotText(view: WatchView): string[] {
  const cells = view.rows.map((r) => rowCells(r, view.timeInStateMs(r)));
  const lines = layout([[...WATCH_COLUMNS], ...cells]);
  return [countsLine(view.counts), ...view.warnings.map((w) => `warning: ${w}`), ...lines];
}

/** The full terminal screen: exactly `height` lines or fewer, each cut to `width` columns. */
export function screenLines(view: WatchView, o: ScreenOptions): string[] {
  const clock = new Date(view.nowMs).toISOString().slice(11, 19);
  const title = `synack watch  ${clock} UTC  every ${o.intervalSec}s  ${o.paused ? '[PAUSED] ' : ''}q quit  p pause`;
  const head: string[] = [fit(title, o.width), fit(countsLine(view.counts), o.width)];
  const style = (s: string, code: string) => (o.color && code !== '' ? `${code}${s}${SGR.reset}` : s);
  for (const w of view.warnings) head.push(style(fit(`! ${w}`, o.width), SGR.bold + SGR.yellow));
  head.push('');
  const cells = view.rows.map((r) => rowCells(r, view.timeInStateMs(r)));
  const lines = layout([[...WATCH_COLUMNS], ...cells]);
  const room = Math.max(1, o.height - head.length - 1);
  const out = head.concat([style(fit(lines[0]!, o.width), SGR.inverse)]);
  const body = lines.slice(1);
  const shown = body.length > room ? body.slice(0, room - 1) : body;
  for (let i = 0; i < shown.length; i++)
    out.push(style(fit(shown[i]!, o.width), markColor(view.rows[i]!.mark)));
  if (shown.length < body.length)
    out.push(fit(`… ${body.length - shown.length} more (use --port/--state/--pid)`, o.width));
  return out;
}

function fit(s: string, width: number): string {
  return s.length > width ? s.slice(0, Math.max(0, width)) : s;
}

/** The `--json` object of one socket (contract), one line. */
export function watchJson(s: WatchSocket): string {
  return JSON.stringify({
    local: { ip: s.localIp, port: s.localPort },
    remote: { ip: s.remoteIp, port: s.remotePort },
    state: STATE_NAMES[s.state],
    pids: s.pids,
    command: s.command,
    inode: s.inode,
  });
}

/** `HH:MM:SS.mmm` (UTC) of an epoch time in ms. */
function clockText(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** One `--changes` line, like bcc's tcpstates: time, owner, endpoints, OLD -> NEW, ms in OLD. */
export function transitionLine(t: Transition): string {
  const s = t.sock;
  const owner = t.pids.length > 0 ? `${t.pids.join(',')}/${t.command ?? '?'}` : '-';
  const from = t.from === null ? 'NEW' : STATE_NAMES[t.from];
  const ms = t.inFromMs === null ? '' : `  ${t.inFromMs} ms`;
  return `${clockText(t.atMs)}  ${owner}  ${endpointText(s.localIp, s.localPort)}  ${endpointText(s.remoteIp, s.remotePort)}  ${from} -> ${STATE_NAMES[t.to]}${ms}`;
}

/** One `--changes --json` object. */
export function transitionJson(t: Transition): string {
  const s = t.sock;
  return JSON.stringify({
    time: t.atMs / 1000,
    local: { ip: s.localIp, port: s.localPort },
    remote: { ip: s.remoteIp, port: s.remotePort },
    from: t.from === null ? null : STATE_NAMES[t.from],
    to: STATE_NAMES[t.to],
    ms: t.inFromMs,
    pids: t.pids,
    command: t.command,
  });
}
