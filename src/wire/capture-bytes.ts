// A whole capture held in memory, read record by record and decoded: for the lab's observer, the
// parity scripts and tests, which hold a capture's bytes at once (the CLI streams files through
// src/cli/input.ts instead). Pure; a file-level fault is the reader's CaptureError, thrown after
// every record before it has been delivered.

import { CaptureReader } from './capture-reader.js';
import { Decoder, type DecoderOptions } from './decode.js';
import { type DecodeStatus, Packet } from './packet.js';
import { CaptureRecord } from './record.js';

/** Calls `onRecord` with each record of the capture `bytes` (one reused CaptureRecord). */
export function forEachRecord(bytes: Uint8Array, onRecord: (rec: CaptureRecord) => void): void {
  const reader = new CaptureReader();
  const rec = new CaptureRecord();
  reader.push(bytes);
  reader.end();
  while (reader.next(rec)) onRecord(rec);
}

/** Calls `onPacket` with each record of the capture `bytes` decoded (one reused Packet), its status and the record. */
export function forEachDecoded(
  bytes: Uint8Array,
  decoderOptions: DecoderOptions,
  onPacket: (pkt: Packet, status: DecodeStatus, rec: CaptureRecord) => void,
): void {
  const decoder = new Decoder(decoderOptions);
  const pkt = new Packet();
  forEachRecord(bytes, (rec) => onPacket(pkt, decoder.decode(rec, pkt), rec));
}
