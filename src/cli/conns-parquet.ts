// `synack conns --parquet OUT`: the connection records (PRODUCT.md "The connection record") as an
// Apache Parquet file for DuckDB, Spark, Polars, BigQuery… One flat row per connection, in the
// order `--json` prints them; nested fields flattened to columns (orig.ip → orig_ip, states.orig →
// states_orig as the state names joined by spaces, events → their count and their kinds joined by
// spaces). Written with hyparquet-writer in row groups of 50 000 records as they end, so memory
// stays bounded for any capture. An I/O edge (writes a file).

import { writeSync } from 'node:fs';
import { ByteWriter, fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { usecString } from '../report/zeek-tsv.js';
import type { ConnRecord } from '../track/record.js';

/** Records per row group: a few MB of columns at most. */
const ROW_GROUP = 50_000;

type ColumnType = 'INT32' | 'INT64' | 'DOUBLE' | 'STRING' | 'BOOLEAN';

/** The columns, in order: name, parquet type, nullable, and how to read it from a record. */
const COLUMNS: [string, ColumnType, boolean, (r: ConnRecord) => unknown][] = [
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
];

export class ConnParquet {
  private readonly writer: ParquetWriter;
  private readonly columns: unknown[][] = COLUMNS.map(() => []);
  private rows = 0;

  constructor(filename: string) {
    const columnData = COLUMNS.map(([name, type, nullable]) => ({ name, data: [], type, nullable }));
    this.writer = new ParquetWriter({
      writer: filename === '-' ? stdoutWriter() : fileWriter(filename),
      schema: schemaFromColumnData({ columnData }),
      createdBy: 'synack',
    });
  }

  add(rec: ConnRecord): void {
    for (let i = 0; i < COLUMNS.length; i++) this.columns[i]!.push(COLUMNS[i]![3](rec));
    if (++this.rows === ROW_GROUP) this.flush();
  }

  /** Writes the last row group and the footer. */
  finish(): void {
    this.flush();
    this.writer.finish();
  }

  private flush(): void {
    if (this.rows === 0) return;
    const columnData = COLUMNS.map(([name, type, nullable], i) => ({
      name,
      type,
      nullable,
      data: this.columns[i]!,
    }));
    void this.writer.write({ columnData, rowGroupSize: this.rows });
    for (const c of this.columns) c.length = 0;
    this.rows = 0;
  }
}

/** `--parquet -`: the file on stdout, written in chunks of about 1 MB as fileWriter writes a file. */
function stdoutWriter(): ByteWriter {
  const writer = new ByteWriter();
  const flush = () => {
    let chunk = new Uint8Array(writer.buffer, 0, writer.index);
    // writeSync may write less than asked on a pipe: loop until all of it is out.
    while (chunk.length > 0) chunk = chunk.subarray(writeSync(1, chunk));
    writer.index = 0;
  };
  const grow = writer.ensure.bind(writer);
  writer.ensure = (size: number) => {
    if (writer.index > 1_000_000) flush();
    grow(size);
  };
  writer.finish = flush;
  return writer;
}
