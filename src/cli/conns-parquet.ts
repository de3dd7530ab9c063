// `synack conns --parquet OUT`: the connection records (PRODUCT.md "The connection record") as an
// Apache Parquet file for DuckDB, Spark, Polars, BigQuery… One flat row per connection, in the
// order `--json` prints them; nested fields flattened to columns (orig.ip → orig_ip, states.orig →
// states_orig as the state names joined by spaces, events → their count and their kinds joined by
// spaces). Written with hyparquet-writer in row groups of 50 000 records as they end, so memory
// stays bounded for any capture. The columns are report/conn-columns.ts's (the web UI's export
// writes the same). An I/O edge (writes a file).

import { writeSync } from 'node:fs';
import { ByteWriter, fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { CONN_COLUMNS as COLUMNS } from '../report/conn-columns.js';
import type { ConnRecord } from '../track/record.js';

/** Records per row group: a few MB of columns at most. */
const ROW_GROUP = 50_000;

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
