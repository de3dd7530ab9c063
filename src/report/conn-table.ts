// `synack conns` as text: one row per connection. Piped, every column streams as a plain aligned
// line (fixed widths wide enough for IPv4; a longer value pushes its row, never cut). On a
// terminal, a table that fits the terminal (at most 120 columns): widths from the rows themselves
// (so IPv6 `[addr]:port` columns stay aligned), no separator between rows, and the columns people
// scan first; when the rows are too wide, the least needed columns go (events first). The
// figures of tcptrace and Wireshark's Conversations are columns too: the service (port name),
// IP-layer bytes, retransmissions each way, RTT from data and its ACK (tcptrace's method, avg ms
// each way) and throughput each way (tcptrace's unique bytes ÷ duration). The renderer only
// formats: rows come in the order the flow table emitted them.

import type { ConnRecord, SideFigures } from '../track/record.js';
import { serviceName } from '../track/services.js';
import { ipPort } from './ip-port.js';
import type { TimeFormatter } from './time-format.js';
import { usecString } from './zeek-tsv.js';

export const CONN_TABLE_HEAD = [
  'id',
  'start',
  'duration',
  'orig',
  'resp',
  'handshake',
  'close',
  'final orig',
  'final resp',
  'conn_state',
  'history',
  'pkts o/r',
  'bytes o/r',
  'service',
  'ip bytes o/r',
  'rexmt o/r',
  'rtt ms o/r',
  'B/s o/r',
  'events',
] as const;

type Column = (typeof CONN_TABLE_HEAD)[number];

function pair(f: ConnRecord['figures'], of: (d: SideFigures) => string): string {
  return f === undefined ? '-' : `${of(f.orig)}/${of(f.resp)}`;
}

/** Average RTT in ms with three decimals, '-' without a sample. */
function rttMs(d: SideFigures): string {
  return d.rttSamples === 0 ? '-' : (d.rttSumUsec / d.rttSamples / 1000).toFixed(3);
}

/** The row of one record (strings, in CONN_TABLE_HEAD order); `time` writes the start (-t). */
export function connRow(r: ConnRecord, time: TimeFormatter | null = null): string[] {
  const kinds = new Map<string, number>();
  for (const e of r.events) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  const events = [...kinds].map(([k, n]) => (n > 1 ? `${k}×${n}` : k)).join(' ');
  const dur = r.endUsec - r.startUsec;
  const f = r.figures;
  return [
    String(r.id),
    time === null ? usecString(r.startUsec) : time.text(r.startUsec),
    usecString(dur),
    ipPort(r.orig.ip, r.orig.port),
    ipPort(r.resp.ip, r.resp.port),
    r.handshake,
    r.close + (r.evicted ? ' (evicted)' : ''),
    r.final.orig,
    r.final.resp,
    r.conn_state,
    r.history,
    `${r.packets.orig}/${r.packets.resp}`,
    `${r.bytes.orig}/${r.bytes.resp}`,
    serviceName(r.resp.port) || '-',
    pair(f, (d) => String(d.ipBytes)),
    pair(f, (d) => String(d.retransmissions)),
    pair(f, rttMs),
    pair(f, (d) => (dur <= 0 ? '-' : String(Math.round((d.uniqueBytes * 1e6) / dur)))),
    events,
  ];
}

// The terminal table's columns in order, and the order they are dropped in when the rows do not
// fit (the last to go first): id, endpoints, conn_state and final states always stay.
const TTY_COLUMNS: readonly Column[] = [
  'id',
  'start',
  'duration',
  'orig',
  'resp',
  'service',
  'conn_state',
  'final orig',
  'final resp',
  'pkts o/r',
  'bytes o/r',
  'rexmt o/r',
  'rtt ms o/r',
  'events',
];
const DROP_ORDER: readonly Column[] = [
  'events',
  'service',
  'rtt ms o/r',
  'rexmt o/r',
  'duration',
  'start',
  'bytes o/r',
];

/** The terminal's shorter headings (the piped header keeps the full names). */
const TTY_HEAD: Partial<Record<Column, string>> = {
  duration: 'dur',
  service: 'svc',
  conn_state: 'zeek',
  'final orig': 'orig state',
  'final resp': 'resp state',
  'pkts o/r': 'pkts',
  'bytes o/r': 'bytes',
  'rexmt o/r': 'rexmt',
  'rtt ms o/r': 'rtt ms',
};

/**
 * The table for a terminal `width` columns wide (at most 120): aligned columns, a header, no
 * separators between rows; columns dropped (DROP_ORDER) until the widest row fits.
 */
export function connTable(
  records: readonly ConnRecord[],
  time: TimeFormatter | null = null,
  width = 120,
): string {
  const max = Math.min(width, 120);
  const index = new Map(CONN_TABLE_HEAD.map((c, i) => [c, i]));
  const rows = records.map((r) => connRow(r, time));
  const cols = [...TTY_COLUMNS];
  const widthOf = (c: Column) => {
    const i = index.get(c)!;
    let w = (TTY_HEAD[c] ?? c).length;
    for (const row of rows) w = Math.max(w, row[i]!.length);
    return w;
  };
  const total = () => cols.reduce((s, c) => s + widthOf(c), 0) + cols.length - 1;
  for (const c of DROP_ORDER) {
    if (total() <= max) break;
    // Events may be cut rather than dropped when a little room is left for them.
    if (c === 'events') {
      const rest = total() - widthOf('events');
      if (max - rest >= 16) break;
    }
    cols.splice(cols.indexOf(c), 1);
  }
  const widths = cols.map(widthOf);
  const line = (cells: string[]) => {
    let s = '';
    cells.forEach((cell, k) => {
      const last = k === cells.length - 1;
      s += last ? cell : `${cell.padEnd(widths[k]!)} `;
    });
    s = s.trimEnd();
    return s.length > max ? `${s.slice(0, max - 1)}…` : s;
  };
  const out = [line(cols.map((c) => TTY_HEAD[c] ?? c))];
  for (const row of rows) out.push(line(cols.map((c) => row[index.get(c)!]!)));
  return out.join('\n');
}

// Column widths for streamed plain text (wide enough for IPv4 endpoints and common values; a
// longer value pushes its row, it is never cut).
const WIDTHS = [5, 17, 10, 21, 21, 12, 10, 12, 12, 10, 12, 9, 13, 8, 13, 9, 15, 15, 0];

function textLine(cells: readonly string[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(WIDTHS[i]!)))
    .join(' ')
    .trimEnd();
}

/** The header line of the plain (piped) format. */
export function connTextHeader(): string {
  return textLine(CONN_TABLE_HEAD);
}

/** One record as a plain aligned line (piped output streams, no buffering). */
export function connTextLine(r: ConnRecord, time: TimeFormatter | null = null): string {
  return textLine(connRow(r, time));
}
