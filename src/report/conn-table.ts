// `synack conns` on a terminal: one row per connection, the columns people scan first (who, how
// it opened and closed, both endpoints' final states, Zeek's summary, counts). cli-table3 draws
// it on a terminal; piped output is plain aligned text. The renderer only formats: rows come in
// the order the flow table emitted them.

import Table from 'cli-table3';
import type { ConnRecord } from '../track/record.js';
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
  'events',
] as const;

function ipPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The row of one record (strings, in CONN_TABLE_HEAD order). */
export function connRow(r: ConnRecord): string[] {
  const kinds = new Map<string, number>();
  for (const e of r.events) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  const events = [...kinds].map(([k, n]) => (n > 1 ? `${k}×${n}` : k)).join(' ');
  return [
    String(r.id),
    usecString(r.startUsec),
    usecString(r.endUsec - r.startUsec),
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
    events,
  ];
}

/** A boxed table (for a terminal). */
export function connTable(records: readonly ConnRecord[]): string {
  const t = new Table({ head: [...CONN_TABLE_HEAD], style: { head: [], border: [] } });
  for (const r of records) t.push(connRow(r));
  return t.toString();
}

// Column widths for streamed plain text (wide enough for IPv4 endpoints and common values; a
// longer value pushes its row, it is never cut).
const WIDTHS = [5, 17, 10, 21, 21, 12, 10, 12, 12, 10, 12, 9, 13, 0];

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
export function connTextLine(r: ConnRecord): string {
  return textLine(connRow(r));
}
