// The input pipeline every command reads through: the capture files (or stdin) merged by time,
// each record decoded into the one reused Packet, --dedup's copies dropped, and the Packet handed
// to the command's sink; malformed packets are counted and reported per file, a file-level fault
// ends the input after what came before it was flushed (exit code 2).

import { addrString } from '../report/zeek-tsv.js';
import { looksOffloaded } from '../wire/checksum-offload.js';
import { Decoder } from '../wire/decode.js';
import { DecodeStatus, Packet } from '../wire/packet.js';
import type { CaptureRecord } from '../wire/record.js';
import { DecoderNotes } from './decoder-notes.js';
import { FileFault, formatFault, formatNote, StopReading } from './errors.js';
import { readRecords } from './input.js';
import { InputDedup } from './input-dedup.js';
import type { OutputBuffer } from './output-buffer.js';

/** What a read mode does with each decoded frame. `frame` is the record's bytes. */
export interface PacketSink {
  onPacket(pkt: Packet, frame: Uint8Array): void;
  /** False when onPacket never reads `frame` (it is then empty: no view made per packet). */
  readonly needsFrame?: boolean;
}

const NO_FRAME = new Uint8Array(0);

/**
 * Decodes every record of `files` (merged by time when several) into `sink`. Returns the exit
 * code: 0, or 2 after a file-level fault (reported on stderr after flushing what came before).
 */
export async function readInto(
  files: string[],
  sink: PacketSink,
  out: OutputBuffer,
  opts: {
    reassemble: boolean;
    verifyChecksums: boolean;
    stdin?: NodeJS.ReadableStream;
    dedup?: boolean;
    /**
     * --verify-checksums as Zeek without -C (conns --zeek): a checksum left to the NIC is bad too.
     * Otherwise such segments (checksum-offload.ts) are unverifiable, said once per sender.
     */
    zeekChecksums?: boolean;
  },
  stderr: (s: string, fault?: FileFault) => void = (s) => process.stderr.write(s),
): Promise<{ code: number; malformed: number }> {
  const decoder = new Decoder({ reassemble: opts.reassemble, verifyChecksums: opts.verifyChecksums });
  const pkt = new Packet();
  const notes = new DecoderNotes(decoder);
  const malformedByFile = new Map<string, number>();
  // --dedup: copies of a segment captured on another interface never reach the sink.
  const dedup = opts.dedup ? new InputDedup() : null;
  // Senders whose segments carry a checksum left to their NIC, with how many.
  const offloaded = opts.verifyChecksums && !opts.zeekChecksums ? new Map<string, number>() : null;
  const framed = sink.needsFrame !== false || dedup !== null;
  let malformed = 0;
  let code = 0;
  try {
    await readRecords(
      files,
      (rec: CaptureRecord, file: string) => {
        const status = decoder.decode(rec, pkt);
        if (decoder.notes.length > 0) notes.take(file);
        if (status === DecodeStatus.MALFORMED) {
          malformed++;
          malformedByFile.set(file, (malformedByFile.get(file) ?? 0) + 1);
        }
        // The frame as its own view (renderers index it from 0); the record's buffer is shared.
        const frame = framed ? rec.data : NO_FRAME;
        if (dedup !== null && status === DecodeStatus.TCP && dedup.isCopy(pkt, frame, file)) return;
        if (offloaded !== null && status === DecodeStatus.TCP && looksOffloaded(pkt)) {
          // Captured on the sending host before the NIC filled the checksum in: not verifiable.
          pkt.checksumStatus = 'unverified';
          const who = addrString(pkt.src, pkt.ipVersion);
          offloaded.set(who, (offloaded.get(who) ?? 0) + 1);
        }
        sink.onPacket(pkt, frame);
      },
      // Notes go where the caller's stderr goes (a worker thread collects them).
      { stdin: opts.stdin, onNote: (line) => stderr(`${line}\n`) },
    );
  } catch (err) {
    out.flush();
    // Only the input's fault is a file fault; a stop asked for by the caller ends reading quietly;
    // anything else is a bug and goes up (exit 70).
    if (err instanceof FileFault) {
      stderr(`${formatFault(err)}\n`, err);
      code = 2;
    } else if (!(err instanceof StopReading)) throw err;
  }
  out.flush();
  for (const [file, n] of malformedByFile) {
    stderr(`${formatNote(file, `${n} malformed packet${n === 1 ? '' : 's'} skipped`)}\n`);
  }
  for (const line of notes.formatted()) stderr(`${line}\n`);
  if (dedup !== null && dedup.note() !== '') stderr(dedup.note());
  for (const [who, n] of offloaded ?? []) {
    stderr(
      `synack: ${n} segment${n === 1 ? '' : 's'} from ${who} carry the checksum left to its NIC (checksum offload: the capture was taken on the sending host); taken as unverified, as zeek -C would\n`,
    );
  }
  return { code, malformed };
}
