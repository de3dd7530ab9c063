// `synack read FILE… [--tcpdump] [--json] [--verify-checksums] [tracking options: --time-wait, --msl,
// --idle, --max-conns, --dedup (tracking-options.ts)]`: one line per TCP packet.
// --tcpdump is the decoding oracle (PRODUCT.md): tcpdump 4.99.3's `-n -tt` line cut after
// `length N`; --json the packet record. Frames where synack finds TCP that tcpdump does not show
// are printed in the same syntax and counted on stderr. Exit codes per the contract: a file-level
// fault prints everything before it, one stderr line, exit 2; malformed packets are skipped and
// counted, exit 0. The per-packet work is in sinks so the tracker can add fields to each record.

import { readdirSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PacketJsonState, packetJson } from '../report/packet-json.js';
import { TcpdumpRenderer } from '../report/tcpdump.js';
import { captureInterface, SegmentDedup } from '../track/dedup.js';
import { Decoder } from '../wire/decode.js';
import { DecodeStatus, Packet } from '../wire/packet.js';
import type { CaptureRecord } from '../wire/record.js';
import { trackingOptions } from './cmd-conns.js';
import { DecoderNotes } from './decoder-notes.js';
import { FileFault, formatFault, formatNote, StopReading } from './errors.js';
import { FILTER_HELP, filterOption } from './filter-option.js';
import { readRecords } from './input.js';
import { runTrackedRead } from './read-tracked.js';
import { addTrackingOptions, type TrackingFlags } from './tracking-options.js';
import { exitOnUsageError } from './usage-failure.js';

export interface ReadOptions extends TrackingFlags {
  tcpdump?: boolean;
  json?: boolean;
  verifyChecksums?: boolean;
  /** Prefix each line with the frame number as `tcpdump -#` does (for aligning with tcpdump). */
  number?: boolean;
  /** --filter EXPR: only the packets of the connections it selects (src/track/filter.ts). */
  filter?: string;
}

/** Collects output text and writes it to stdout in large chunks (not one write per line). */
export class OutputBuffer {
  // One growing string (V8 concatenates into a rope, flattened once by the write) beats an array
  // joined per flush; chunks of 256 KiB keep the number of writes small.
  private text = '';

  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  line(s: string): void {
    this.text += `${s}\n`;
    if (this.text.length >= 1 << 18) this.flush();
  }

  flush(): void {
    if (this.text.length === 0) return;
    this.write(this.text);
    this.text = '';
  }
}

/** What a read mode does with each decoded frame. `frame` is the record's bytes. */
export interface PacketSink {
  onPacket(pkt: Packet, frame: Uint8Array): void;
}

/** SLL2 interface names as tcpdump resolves them: by index on the reading host ('?' if none). */
export function hostInterfaceNames(): (index: number) => string {
  let names: Map<number, string> | null = null;
  return (index) => {
    if (names === null) {
      names = new Map();
      try {
        for (const name of readdirSync('/sys/class/net')) {
          const idx = Number.parseInt(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'), 10);
          if (Number.isFinite(idx)) names.set(idx, name);
        }
      } catch {
        // Not Linux: every index is unknown, as for tcpdump without if_indextoname.
      }
    }
    return names.get(index) ?? '?';
  };
}

/** The --tcpdump lines; counts the frames tcpdump would not show. */
export class TcpdumpSink implements PacketSink {
  private readonly renderer = new TcpdumpRenderer({ ifName: hostInterfaceNames() });
  beyond = 0;

  constructor(
    private readonly out: OutputBuffer,
    private readonly number = false,
  ) {}

  onPacket(pkt: Packet, frame: Uint8Array): void {
    let line = this.renderer.render(pkt, frame);
    if (line === '' && pkt.status === DecodeStatus.TCP) {
      line = this.renderer.renderBeyond(pkt, frame);
      if (line !== '') this.beyond++;
    } else if (line !== '' && pkt.beyondTcpdump) this.beyond++;
    if (line === '') return;
    this.out.line(this.number ? `${String(pkt.frame).padStart(5)}  ${line}` : line);
  }
}

/** The --json packet records; `extra` adds fields (text starting with a comma) to each record. */
export class JsonSink implements PacketSink {
  private readonly state = new PacketJsonState();

  constructor(
    private readonly out: OutputBuffer,
    private readonly extra: ((pkt: Packet) => string) | null = null,
  ) {}

  onPacket(pkt: Packet): void {
    if (pkt.status !== DecodeStatus.TCP) return;
    this.out.line(packetJson(pkt, this.state, this.extra === null ? '' : this.extra(pkt)));
  }
}

/**
 * Decodes every record of `files` (merged by time when several) into `sink`. Returns the exit
 * code: 0, or 2 after a file-level fault (reported on stderr after flushing what came before).
 */
export async function readInto(
  files: string[],
  sink: PacketSink,
  out: OutputBuffer,
  opts: { reassemble: boolean; verifyChecksums: boolean; stdin?: NodeJS.ReadableStream; dedup?: boolean },
  stderr: (s: string, fault?: FileFault) => void = (s) => process.stderr.write(s),
): Promise<{ code: number; malformed: number }> {
  const decoder = new Decoder({ reassemble: opts.reassemble, verifyChecksums: opts.verifyChecksums });
  const pkt = new Packet();
  const notes = new DecoderNotes(decoder);
  const malformedByFile = new Map<string, number>();
  // --dedup: copies of a segment captured on another interface never reach the sink.
  const dedup = opts.dedup ? new SegmentDedup() : null;
  const fileIndex = new Map<string, number>();
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
        const frame = rec.data;
        if (dedup !== null && status === DecodeStatus.TCP) {
          let fi = fileIndex.get(file);
          if (fi === undefined) {
            fi = fileIndex.size;
            fileIndex.set(file, fi);
          }
          if (dedup.isCopy(pkt, captureInterface(pkt, frame, fi))) return;
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
  if (dedup !== null && dedup.dropped > 0) {
    const n = dedup.dropped;
    stderr(
      `synack: ${n} duplicate segment${n === 1 ? '' : 's'} seen on another interface dropped (--dedup)\n`,
    );
  }
  return { code, malformed };
}

export async function runRead(files: string[], opts: ReadOptions): Promise<number> {
  const out = new OutputBuffer();
  // Default and --json: tracked (connection, role, both states, tags); see read-tracked.ts.
  if (!opts.tcpdump || opts.filter !== undefined) return runTrackedRead(files, opts, out);
  const sink = new TcpdumpSink(out, !!opts.number);
  const r = await readInto(files, sink, out, {
    reassemble: false,
    verifyChecksums: !!opts.verifyChecksums,
    dedup: !!opts.dedup,
  });
  if (sink.beyond > 0) {
    process.stderr.write(
      `synack: ${sink.beyond} frame${sink.beyond === 1 ? '' : 's'} with TCP that tcpdump does not show (printed in its syntax)\n`,
    );
  }
  return r.code;
}

export function registerRead(program: Command): void {
  const read = program
    .command('read')
    .description('one line per TCP packet (--tcpdump: exactly as tcpdump -n -tt; --json: packet records)')
    .argument('<files...>', 'pcap or pcapng files (gzip allowed), - for stdin')
    .option('--tcpdump', "print tcpdump's line for each TCP packet, cut after `length N`")
    .option('--json', 'one JSON packet record per TCP packet')
    .option('--verify-checksums', 'verify TCP checksums (the record says good/bad)')
    .option('--number', 'prefix each line with its frame number, as tcpdump -#')
    .option('--filter <expr>', FILTER_HELP);
  addTrackingOptions(read).action(async (files: string[], opts: ReadOptions, cmd: Command) => {
    if (opts.tcpdump && opts.json)
      cmd.error('synack read: --tcpdump and --json exclude each other', { exitCode: 1 });
    try {
      filterOption(opts.filter);
      trackingOptions(opts);
    } catch (err) {
      exitOnUsageError(cmd, 'read', err);
    }
    const code = await runRead(files, opts);
    if (code !== 0) process.exitCode = code;
  });
}
