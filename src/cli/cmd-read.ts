// `synack read FILE… [--tcpdump] [--json] [--verify-checksums] [tracking options: --time-wait, --msl,
// --idle, --max-conns, --dedup (tracking-options.ts)]`: one line per TCP packet.
// --tcpdump is the decoding oracle (PRODUCT.md): tcpdump 4.99.3's `-n -tt` line cut after
// `length N`; --json the packet record. Frames where synack finds TCP that tcpdump does not show
// are printed in the same syntax and counted on stderr. Exit codes per the contract: a file-level
// fault prints everything before it, one stderr line, exit 2; malformed packets are skipped and
// counted, exit 0. The per-packet work is in sinks so the tracker can add fields to each record.

import type { Command } from 'commander';
import { PacketJsonState, packetJson } from '../report/packet-json.js';
import { TcpdumpRenderer } from '../report/tcpdump.js';
import { PACKET_FILTER_HELP, type PacketFilter } from '../track/packet-filter.js';
import { DecodeStatus, type Packet } from '../wire/packet.js';
import { FILTER_HELP, filterOption } from './filter-option.js';
import { hostInterfaceNames } from './host-interfaces.js';
import { type PacketSink, readInto } from './input-pipeline.js';
import { OutputBuffer } from './output-buffer.js';
import { type LineOptions, LineWriter } from './read-lines.js';
import { lineOptions, runTrackedRead, type TrackedReadOptions } from './read-tracked.js';
import { addTimeFormatOption } from './time-format-option.js';
import { addTrackingOptions, trackingOptions } from './tracking-options.js';
import { exitOnUsageError } from './usage-failure.js';

export type ReadOptions = TrackedReadOptions;

/** The --tcpdump lines; counts the frames tcpdump would not show. */
export class TcpdumpSink implements PacketSink {
  private readonly renderer = new TcpdumpRenderer({ ifName: hostInterfaceNames() });
  private readonly lines: LineWriter | null;
  private readonly packets: PacketFilter | null;
  beyond = 0;

  constructor(
    private readonly out: OutputBuffer,
    /** --packet-filter, -c, --number, -t (none: tcpdump's lines as they are). */
    o: LineOptions = {},
  ) {
    this.packets = o.packets ?? null;
    this.lines = o.count !== undefined || o.number || o.time ? new LineWriter(out, o) : null;
  }

  onPacket(pkt: Packet, frame: Uint8Array): void {
    this.lines?.checkRoom();
    if (this.packets !== null && (pkt.status !== DecodeStatus.TCP || !this.packets.matches(pkt))) return;
    if (this.lines === null) {
      // tcpdump's lines as they are: written straight into the output chunk.
      const w = this.out.bytes;
      if (this.renderer.renderInto(w, pkt, frame, false)) {
        if (pkt.beyondTcpdump) this.beyond++;
      } else if (pkt.status === DecodeStatus.TCP && this.renderer.renderInto(w, pkt, frame, true))
        this.beyond++;
      else return;
      this.out.endLine();
      return;
    }
    let line = this.renderer.render(pkt, frame);
    if (line === '' && pkt.status === DecodeStatus.TCP) {
      line = this.renderer.renderBeyond(pkt, frame);
      if (line !== '') this.beyond++;
    } else if (line !== '' && pkt.beyondTcpdump) this.beyond++;
    if (line === '') return;
    this.lines.write(line, pkt.frame, pkt.tsUsec);
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

export async function runRead(files: string[], opts: ReadOptions): Promise<number> {
  const out = new OutputBuffer();
  // Default and --json: tracked (connection, role, both states, tags); see read-tracked.ts.
  if (!opts.tcpdump || opts.filter !== undefined || opts.conn !== undefined)
    return runTrackedRead(files, opts, out);
  const sink = new TcpdumpSink(out, lineOptions(opts));
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
    .option('--number', 'prefix each line with its frame number, as tcpdump -# (JSON records carry "frame")')
    .option('--filter <expr>', FILTER_HELP)
    .option(
      '--conn <C>',
      'only the packets of this connection: id, or IP:PORT-IP:PORT (every one on it; #n the n-th)',
    )
    .option('--packet-filter <expr>', `only the packets tcpdump's filter selects: ${PACKET_FILTER_HELP}`)
    .option('-c, --count <n>', 'stop after printing n packets, as tcpdump -c');
  addTimeFormatOption(read, 'the time at the start of each line (JSON keeps epoch)');
  addTrackingOptions(read).action(async (files: string[], opts: ReadOptions, cmd: Command) => {
    if (opts.tcpdump && opts.json)
      cmd.error('synack read: --tcpdump and --json exclude each other', { exitCode: 1 });
    try {
      filterOption(opts.filter);
      trackingOptions(opts);
      lineOptions(opts);
    } catch (err) {
      exitOnUsageError(cmd, 'read', err);
    }
    const code = await runRead(files, opts);
    if (code !== 0) process.exitCode = code;
  });
}
