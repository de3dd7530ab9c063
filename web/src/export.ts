// Exports from the worker: the listed connections (in the list's order) as NDJSON (`conns
// --json`'s lines), CSV or Parquet (`conns --parquet`'s columns, report/conn-columns.ts), and one
// connection's packets as a capture (`synack extract`: its frames byte for byte, read again from
// the source). The bytes go back to the page as a transferred ArrayBuffer.

import { parquetWriteBuffer } from 'hyparquet-writer';
import { connColumnData, connsCsv } from '../../src/report/conn-columns.js';
import { connJson } from '../../src/report/conn-json.js';
import type { ConnRecord } from '../../src/track/record.js';
import { CaptureReader } from '../../src/wire/capture-reader.js';
import { type CapturedFrame, capturedFrameOf, framesCaptureBytes } from '../../src/wire/pcap-writer.js';
import { CaptureRecord } from '../../src/wire/record.js';
import type { CaptureAnalysis } from './analysis.js';
import type { ExportKind } from './protocol.js';

const encoder = new TextEncoder();

export interface Exported {
  mime: string;
  data: ArrayBuffer;
}

function own(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}

/** The list's connections as a file. */
export function exportList(
  analysis: CaptureAnalysis,
  kind: Exclude<ExportKind, 'pcap'>,
  ids: readonly number[],
): Exported {
  const records: ConnRecord[] = [];
  for (const id of ids) {
    const r = analysis.record(id);
    if (r) records.push(r);
  }
  switch (kind) {
    case 'ndjson':
      return {
        mime: 'application/x-ndjson',
        data: own(encoder.encode(records.map((r) => `${connJson(r)}\n`).join(''))),
      };
    case 'csv':
      return { mime: 'text/csv', data: own(encoder.encode(connsCsv(records))) };
    case 'parquet':
      return {
        mime: 'application/vnd.apache.parquet',
        data: parquetWriteBuffer({ columnData: connColumnData(records) }),
      };
  }
}

/**
 * One connection's frames, read again from the capture's bytes (`stream`, already gunzipped):
 * byte for byte, with their timestamps, lengths on the wire and link types.
 */
export async function exportPcap(
  analysis: CaptureAnalysis,
  id: number,
  stream: ReadableStream<Uint8Array>,
): Promise<Exported> {
  const want = new Set(analysis.framesOf(id));
  if (want.size === 0) throw new Error(`connection ${id} has no packets`);
  const reader = new CaptureReader();
  const rec = new CaptureRecord();
  const frames: CapturedFrame[] = [];
  const take = () => {
    while (reader.next(rec)) {
      if (!want.has(rec.frame)) continue;
      frames.push(capturedFrameOf(rec));
    }
  };
  const r = stream.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) break;
    reader.push(value);
    take();
    if (frames.length === want.size) {
      await r.cancel();
      break;
    }
  }
  if (frames.length < want.size) {
    reader.end();
    take();
  }
  return { mime: 'application/vnd.tcpdump.pcap', data: own(framesCaptureBytes(frames)) };
}
