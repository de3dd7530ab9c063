// Decodes captures record by record into one reused Packet, for the commands that track
// connections without printing packets (ladder, explain, states through load-timelines.ts, and
// extract). Faults end on stderr the way every command reports them: a file-level fault as one
// line, held until the command's output is written, and exit code 2 (every record before it has
// been delivered), malformed packets as one note per file (still handed on: the tracker counts them).

import { Decoder } from '../wire/decode.js';
import { DecodeStatus, Packet } from '../wire/packet.js';
import type { CaptureRecord } from '../wire/record.js';
import { DecoderNotes } from './decoder-notes.js';
import { FileFault, formatFault, formatNote, holdFault } from './errors.js';
import { readRecords } from './input.js';
import { InputDedup } from './input-dedup.js';

/**
 * Calls `onPacket` with each record decoded (TCP reassembly on, checksums not verified; with
 * `dedup`, copies from another interface dropped as --dedup does); returns the exit code, 0 or 2.
 */
export async function decodeFiles(
  files: string[],
  onPacket: (pkt: Packet, rec: CaptureRecord) => void,
  /** quiet: the notes (decoder, malformed, --dedup) are not written (a second pass over the same files). */
  opts: { dedup?: boolean; quiet?: boolean } = {},
): Promise<number> {
  const decoder = new Decoder({ reassemble: true, verifyChecksums: false });
  const pkt = new Packet();
  const notes = new DecoderNotes(decoder);
  const malformed = new Map<string, number>();
  const dedup = opts.dedup ? new InputDedup() : null;
  let code = 0;
  try {
    await readRecords(files, (rec, file) => {
      const status = decoder.decode(rec, pkt);
      if (decoder.notes.length > 0) notes.take(file);
      if (status === DecodeStatus.MALFORMED) malformed.set(file, (malformed.get(file) ?? 0) + 1);
      if (dedup !== null && status === DecodeStatus.TCP && dedup.isCopy(pkt, rec.data, file)) return;
      onPacket(pkt, rec);
    });
  } catch (err) {
    // Only the input's fault is a file fault; anything else is a bug and goes up (exit 70).
    if (!(err instanceof FileFault)) throw err;
    // Held: the fault's line comes after the command's output and the notes (src/cli/errors.ts).
    holdFault(formatFault(err));
    code = 2;
  }
  if (opts.quiet) return code;
  for (const line of notes.formatted()) process.stderr.write(`${line}\n`);
  for (const [file, n] of malformed) {
    process.stderr.write(`${formatNote(file, `${n} malformed packet${n === 1 ? '' : 's'} skipped`)}\n`);
  }
  if (dedup !== null) process.stderr.write(dedup.note());
  return code;
}
