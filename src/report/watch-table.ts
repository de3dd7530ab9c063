// How `synack watch` draws the socket table (TCPView's columns and ss's: Recv-Q, Send-Q, local,
// remote, state, the pending timer as `ss -o` prints it, uid and inode as `ss -e` adds them,
// process, time in state), its header (per-state counts, warnings), the CLOSE_WAIT leak view (one
// line per process), the `--json` line of one socket (PRODUCT.md "`synack watch --json`",
// contract) and the `--changes` line of one transition. Pure: rows, counts and the time come in;
// strings go out. Colour is ANSI SGR, only when asked.

import { STATE_NAMES, TcpState } from '../tcp/state.js';
import { ipPort } from './ip-port.js';

/** A socket's pending timer (/proc/net/tcp `tr`, ss -o `timer:(…)`). */
export type TimerKind = 'retransmit' | 'keepalive' | 'timewait' | 'persist';

export interface WatchTimer {
  kind: TimerKind;
  /** Time left, ms (0 when it has expired and not yet run). */
  leftMs: number;
  /** Retransmissions for `retransmit`, unanswered probes for `keepalive`/`persist`, 0 for `timewait`. */
  count: number;
}

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
  /** Send-Q: bytes not yet acknowledged by the peer (0 for a listener, whose limit /proc hides). */
  txQueue: number;
  /** Recv-Q: bytes not yet read by the application; for a listener, its accept queue's length. */
  rxQueue: number;
  /** Owner's uid (0 for sockets no process holds). */
  uid: number;
  timer: WatchTimer | null;
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

/** The order states are counted in the header (and sorted by): the life of a connection. */
export const COUNT_ORDER: readonly TcpState[] = [
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

/** The table's columns; uid and inode only with `extended` (ss -e). */
export function watchColumns(extended: boolean): string[] {
  return extended
    ? [
        'proto',
        'Recv-Q',
        'Send-Q',
        'local',
        'remote',
        'state',
        'timer',
        'uid',
        'inode',
        'pid/command',
        'in state',
      ]
    : ['proto', 'Recv-Q', 'Send-Q', 'local', 'remote', 'state', 'timer', 'pid/command', 'in state'];
}

/** Columns whose numbers are right-aligned. */
const NUMERIC = new Set(['Recv-Q', 'Send-Q', 'uid', 'inode', 'sockets', 'unread', 'peers']);

/** ss's names of the timers (misc/ss.c): `on` is the retransmission timer. */
const SS_TIMER_NAMES: Record<TimerKind, string> = {
  retransmit: 'on',
  keepalive: 'keepalive',
  timewait: 'timewait',
  persist: 'persist',
};

/**
 * A timer's time left as ss -o prints it: `496ms`, `2.852ms` (2.852 s, ss's own spelling),
 * `31sec`, `4min56sec`, `119min`; nothing for 0. Seconds drop the milliseconds from 10 s,
 * minutes drop both, and the seconds too from 10 min.
 */
export function ssTimeText(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  const minutes = Math.floor(whole / 60_000);
  let secs = Math.floor(whole / 1000) % 60;
  let millis = whole % 1000;
  let out = '';
  if (minutes > 0) {
    millis = 0;
    out += `${minutes}min`;
    if (minutes > 9) secs = 0;
  }
  if (secs > 0) {
    if (secs > 9) millis = 0;
    out += `${secs}${millis > 0 ? '.' : 'sec'}`;
  }
  if (millis > 0) out += `${String(millis).padStart(3, '0')}ms`;
  return out;
}

/** The inside of ss -o's `timer:(on,496ms,3)`, '' when no timer is pending. */
export function timerText(t: WatchTimer | null): string {
  return t === null ? '' : `${SS_TIMER_NAMES[t.kind]},${ssTimeText(t.leftMs)},${t.count}`;
}

/** A listener's Send-Q (its backlog) is not in /proc: shown as '-', as unknown. */
function sendQueueText(s: WatchSocket): string {
  return s.state === TcpState.LISTEN ? '-' : String(s.txQueue);
}

/** `ip:port`, IPv6 in brackets as ss prints it. */
export const endpointText = ipPort;

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

/** Time in state; `≥` when the state was there before the first poll (a lower bound). */
export function inStateText(sinceStart: boolean, inStateMs: number): string {
  if (!sinceStart) return durationText(inStateMs);
  return inStateMs < 100 ? '' : `≥${durationText(inStateMs)}`;
}

/** The cells of one row, in watchColumns(extended) order. */
export function rowCells(row: WatchRow, inStateMs: number, extended = false): string[] {
  const s = row.sock;
  return [
    s.ipVersion === 6 ? 'tcp6' : 'tcp',
    String(s.rxQueue),
    sendQueueText(s),
    endpointText(s.localIp, s.localPort),
    endpointText(s.remoteIp, s.remotePort),
    STATE_NAMES[s.state],
    timerText(s.timer),
    ...(extended ? [String(s.uid), String(s.inode)] : []),
    ownerText(row),
    row.mark === 'closed' ? 'closed' : inStateText(row.sinceStart, inStateMs),
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

/**
 * Column widths fitted to the content (the last column is not padded); the first row is the
 * header, whose names say which columns hold numbers (right-aligned).
 */
export function layout(cells: readonly string[][]): string[] {
  const head = cells[0] ?? [];
  const widths = head.map(() => 0);
  for (const r of cells)
    for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i] ?? 0, r[i]!.length);
  return cells.map((r) =>
    r
      .map((c, i) => {
        if (NUMERIC.has(head[i]!)) return c.padStart(widths[i]!);
        return i === r.length - 1 ? c : c.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd(),
  );
}

/** Header and rows of the socket table. */
function tableLines(view: WatchView, extended: boolean): string[] {
  const cells = view.rows.map((r) => rowCells(r, view.timeInStateMs(r), extended));
  return layout([watchColumns(extended), ...cells]);
}

/** The plain table (one snapshot, --once or piped): header line, counts, warnings, rows. */
export function snapshotText(view: WatchView, extended = false): string[] {
  return [
    countsLine(view.counts),
    ...view.warnings.map((w) => `warning: ${w}`),
    ...tableLines(view, extended),
  ];
}

/** CLOSE_WAIT sockets of one owner (or of no known owner): the leak view's line. */
export interface LeakGroup {
  /** Owning pids, ascending; empty when no owner is known. */
  pids: number[];
  command: string | null;
  sockets: number;
  /** Longest time one of them has been seen in CLOSE_WAIT, ms. */
  oldestMs: number;
  /** That socket was already in CLOSE_WAIT at the first poll: oldestMs is a lower bound. */
  oldestSinceStart: boolean;
  /** Shortest time in CLOSE_WAIT, ms (how recently the leak last grew). */
  newestMs: number;
  newestSinceStart: boolean;
  /** Bytes the peer sent that the application never read (sum of Recv-Q). */
  unreadBytes: number;
  /** Distinct remote addresses. */
  peers: number;
  /** Distinct local ports, ascending. */
  localPorts: number[];
  /** Open file descriptors of the (first) owner, and its limit (RLIMIT_NOFILE), when readable. */
  fds: number | null;
  fdLimit: number | null;
}

export const LEAK_COLUMNS = [
  'pid/command',
  'sockets',
  'oldest',
  'newest',
  'unread',
  'peers',
  'local ports',
  'fds',
];

/** Local ports as a short list: `7002`, `80,443`, `8000,8001,… (12)`. */
function portsText(ports: readonly number[]): string {
  return ports.length <= 3 ? ports.join(',') : `${ports.slice(0, 2).join(',')},… (${ports.length})`;
}

/**
 * The CLOSE_WAIT leak view: which process holds how many CLOSE_WAIT sockets, for how long (the
 * peer closed, the kernel acknowledged its FIN, the application never called close(): RFC 9293
 * §3.6 leaves CLOSE_WAIT to the user), most sockets first.
 */
export function leakLines(groups: readonly LeakGroup[]): string[] {
  const total = groups.reduce((n, g) => n + g.sockets, 0);
  const owners = groups.filter((g) => g.pids.length > 0).length;
  const title =
    total === 0
      ? 'CLOSE_WAIT: none'
      : `CLOSE_WAIT: ${total} socket${total === 1 ? '' : 's'} held by ${owners} process${owners === 1 ? '' : 'es'}` +
        (owners < groups.length ? ' and by no known process' : '');
  if (total === 0) return [title];
  // A state seen at the first poll has an unknown start: the kernel keeps no time of it.
  const age = (sinceStart: boolean, ms: number) => inStateText(sinceStart, ms) || '?';
  const cells = groups.map((g) => [
    g.pids.length > 0 ? `${g.pids.join(',')}/${g.command ?? '?'}` : '-',
    String(g.sockets),
    age(g.oldestSinceStart, g.oldestMs),
    age(g.newestSinceStart, g.newestMs),
    String(g.unreadBytes),
    String(g.peers),
    portsText(g.localPorts),
    g.fds === null ? '-' : g.fdLimit === null ? String(g.fds) : `${g.fds}/${g.fdLimit}`,
  ]);
  const lines = [title, ...layout([LEAK_COLUMNS, ...cells])];
  if (cells.some((c) => c[2] === '?'))
    lines.push(
      '? = there at the first poll: the kernel records no time a socket entered CLOSE_WAIT; keep watching (watch --leaks on a terminal) to measure it',
    );
  return lines;
}

/** What the screen shows besides the counts: the socket table or the leak view. */
export interface ScreenMode {
  extended: boolean;
  /** The sort keys as typed (`-recvq,state`), '' for the default order. */
  sortText: string;
  /** When set, the leak view replaces the socket table. */
  leaks: readonly LeakGroup[] | null;
}

/** The full terminal screen: exactly `height` lines or fewer, each cut to `width` columns. */
export function screenLines(view: WatchView, o: ScreenOptions, mode: ScreenMode = NO_MODE): string[] {
  const clock = new Date(view.nowMs).toISOString().slice(11, 19);
  const sort = mode.sortText === '' ? '' : `sort ${mode.sortText}  `;
  const title =
    `synack watch  ${clock} UTC  every ${o.intervalSec}s  ${o.paused ? '[PAUSED] ' : ''}${sort}` +
    'q quit  p pause  s sort  r reverse  c close-wait  e extended';
  const head: string[] = [fit(title, o.width), fit(countsLine(view.counts), o.width)];
  const style = (s: string, code: string) => (o.color && code !== '' ? `${code}${s}${SGR.reset}` : s);
  for (const w of view.warnings) head.push(style(fit(`! ${w}`, o.width), SGR.bold + SGR.yellow));
  head.push('');
  if (mode.leaks !== null) {
    const lines = leakLines(mode.leaks);
    const out = head.concat([fit(lines[0]!, o.width)]);
    if (lines.length > 1) out.push(style(fit(lines[1]!, o.width), SGR.inverse));
    for (const l of lines.slice(2)) out.push(fit(l, o.width));
    return out.slice(0, Math.max(1, o.height));
  }
  const lines = tableLines(view, mode.extended);
  const room = Math.max(1, o.height - head.length - 1);
  const out = head.concat([style(fit(lines[0]!, o.width), SGR.inverse)]);
  const body = lines.slice(1);
  const shown = body.length > room ? body.slice(0, room - 1) : body;
  for (let i = 0; i < shown.length; i++)
    out.push(style(fit(shown[i]!, o.width), markColor(view.rows[i]!.mark)));
  if (shown.length < body.length)
    out.push(fit(`… ${body.length - shown.length} more (use --port/--state/--pid/--uid/--command)`, o.width));
  return out;
}

const NO_MODE: ScreenMode = { extended: false, sortText: '', leaks: null };

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
    uid: s.uid,
    recv_q: s.rxQueue,
    send_q: s.state === TcpState.LISTEN ? null : s.txQueue,
    timer: s.timer === null ? null : { kind: s.timer.kind, left_ms: s.timer.leftMs, count: s.timer.count },
  });
}

/** The `--leaks --json` object of one owner, one line. */
export function leakJson(g: LeakGroup): string {
  return JSON.stringify({
    pids: g.pids,
    command: g.command,
    sockets: g.sockets,
    oldest_ms: g.oldestMs,
    oldest_at_least: g.oldestSinceStart,
    newest_ms: g.newestMs,
    newest_at_least: g.newestSinceStart,
    unread_bytes: g.unreadBytes,
    peers: g.peers,
    local_ports: g.localPorts,
    fds: g.fds,
    fd_limit: g.fdLimit,
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
