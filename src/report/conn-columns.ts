// The connection record (PRODUCT.md) as flat columns: `conns --parquet` writes them, and the web
// UI exports them as Parquet and CSV. Nested fields are flattened (orig.ip → orig_ip, states.orig →
// the state names joined by spaces, events → their count and their kinds joined by spaces,
// rtt_data.orig.min → rtt_min_orig). The columns of the fields `conns --json` adds after PRODUCT.md's
// (service, ip_bytes, retransmissions, rtt_data, throughput) follow, null where the JSON has null
// or the record has no figures (the lab's truth). Pure.

import type { ConnRecord, SideFigures } from '../track/record.js';
import { serviceName } from '../track/services.js';
import { rttAvgUsec, throughputBps } from './conn-json.js';
import { usecString } from './zeek-tsv.js';

export type ConnColumnType = 'INT32' | 'INT64' | 'DOUBLE' | 'STRING' | 'BOOLEAN';

type Column = [string, ConnColumnType, boolean, (r: ConnRecord) => unknown];

const seconds = (usec: number) => Number(usecString(usec));

type SideGet = (d: SideFigures, r: ConnRecord) => number | bigint | null;

const rttSeconds =
  (get: (d: SideFigures) => number): SideGet =>
  (d) =>
    d.rttSamples === 0 ? null : seconds(get(d));

/** The figures, each as a column per side (`ip_bytes_orig`, `ip_bytes_resp`, …), as packets_* are. */
const FIGURE_COLUMNS: [string, ConnColumnType, SideGet][] = [
  ['ip_bytes', 'INT64', (d) => BigInt(d.ipBytes)],
  ['retransmissions', 'INT64', (d) => BigInt(d.retransmissions)],
  ['rtt_samples', 'INT64', (d) => BigInt(d.rttSamples)],
  ['rtt_min', 'DOUBLE', rttSeconds((d) => d.rttMinUsec)],
  ['rtt_avg', 'DOUBLE', rttSeconds(rttAvgUsec)],
  ['rtt_max', 'DOUBLE', rttSeconds((d) => d.rttMaxUsec)],
  [
    'throughput',
    'INT64',
    (d, r) => {
      const bps = throughputBps(r, d);
      return bps === null ? null : BigInt(bps);
    },
  ],
];

function figureColumns(): Column[] {
  const out: Column[] = [];
  for (const [name, type, get] of FIGURE_COLUMNS)
    for (const side of ['orig', 'resp'] as const) {
      out.push([
        `${name}_${side}`,
        type,
        true,
        (r) => {
          const d = r.figures?.[side];
          return d === undefined ? null : get(d, r);
        },
      ]);
    }
  return out;
}

/** The columns, in order: name, parquet type, nullable, and how to read it from a record. */
export const CONN_COLUMNS: Column[] = [
  ['id', 'INT64', false, (r) => BigInt(r.id)],
  // Seconds since the epoch as the JSON prints them (six decimals), as DOUBLE.
  ['start', 'DOUBLE', false, (r) => Number(usecString(r.startUsec))],
  ['end', 'DOUBLE', false, (r) => Number(usecString(r.endUsec))],
  ['duration', 'DOUBLE', false, (r) => Number(usecString(r.endUsec - r.startUsec))],
  ['orig_ip', 'STRING', false, (r) => r.orig.ip],
  ['orig_port', 'INT32', false, (r) => r.orig.port],
  ['resp_ip', 'STRING', false, (r) => r.resp.ip],
  ['resp_port', 'INT32', false, (r) => r.resp.port],
  ['handshake', 'STRING', false, (r) => r.handshake],
  ['close', 'STRING', false, (r) => r.close],
  ['reset', 'STRING', true, (r) => r.reset],
  ['final_orig', 'STRING', false, (r) => r.final.orig],
  ['final_resp', 'STRING', false, (r) => r.final.resp],
  ['states_orig', 'STRING', false, (r) => r.states.orig.join(' ')],
  ['states_resp', 'STRING', false, (r) => r.states.resp.join(' ')],
  ['conn_state', 'STRING', false, (r) => r.conn_state],
  ['history', 'STRING', false, (r) => r.history],
  ['completeness', 'INT32', false, (r) => r.completeness],
  ['packets_orig', 'INT64', false, (r) => BigInt(r.packets.orig)],
  ['packets_resp', 'INT64', false, (r) => BigInt(r.packets.resp)],
  ['bytes_orig', 'INT64', false, (r) => BigInt(r.bytes.orig)],
  ['bytes_resp', 'INT64', false, (r) => BigInt(r.bytes.resp)],
  [
    'rtt_handshake',
    'DOUBLE',
    true,
    (r) => (r.rttHandshakeUsec >= 0 ? Number(usecString(r.rttHandshakeUsec)) : null),
  ],
  ['evicted', 'BOOLEAN', false, (r) => r.evicted],
  ['events', 'INT32', false, (r) => r.events.length],
  ['event_kinds', 'STRING', false, (r) => r.events.map((e) => e.kind).join(' ')],
  ['service', 'STRING', true, (r) => (r.figures === undefined ? null : serviceName(r.resp.port))],
  ...figureColumns(),
];

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The records as CSV with a header line: the Parquet columns, in the same order. */
export function connsCsv(records: Iterable<ConnRecord>): string {
  const lines = [CONN_COLUMNS.map((c) => c[0]).join(',')];
  for (const r of records) lines.push(CONN_COLUMNS.map((c) => csvField(c[3](r))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** hyparquet-writer's columnData for the records (one row group). */
export function connColumnData(
  records: readonly ConnRecord[],
): { name: string; type: ConnColumnType; nullable: boolean; data: unknown[] }[] {
  return CONN_COLUMNS.map(([name, type, nullable, get]) => ({
    name,
    type,
    nullable,
    data: records.map(get),
  }));
}
