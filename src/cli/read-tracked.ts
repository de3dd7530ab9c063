// The tracked modes of `synack read`: the annotated default (tcpdump line + connection, role,
// both states, tags) and `--json` with the tracker's fields. A segment's states are final only
// once the evidence is in (PRODUCT.md "How states are inferred"), so each line is rendered when
// its packet arrives, held with the segment in the flow table, and written when released;
// ordered-lines.ts keeps the output in frame order across connections, with bounded memory.

import { annotatedLine, type PacketAnnotation, packetJsonFields } from '../report/annotate.js';
import { PacketJsonState, packetJson } from '../report/packet-json.js';
import { TcpdumpRenderer } from '../report/tcpdump.js';
import { newFlowTable, type TrackingOptions } from '../report/tracking.js';
import type { Conn } from '../track/connection.js';
import type { FlowTable } from '../track/flow-table.js';
import { arrivedOf, type HeldPacket } from '../track/held.js';
import type { ConnRecord } from '../track/record.js';
import { DecodeStatus, type Packet } from '../wire/packet.js';
import { ConnGate, filterOption } from './filter-option.js';
import { hostInterfaceNames } from './host-interfaces.js';
import { type PacketSink, readInto } from './input-pipeline.js';
import { OrderedLines } from './ordered-lines.js';
import type { OutputBuffer } from './output-buffer.js';
import { type TrackingFlags, trackingOptions } from './tracking-options.js';

/** The options of `read` that its tracked modes use. */
export interface TrackedReadOptions extends TrackingFlags {
  /** With --filter: tcpdump's lines, without the annotation. */
  tcpdump?: boolean;
  json?: boolean;
  verifyChecksums?: boolean;
  /** --filter EXPR: only the packets of the connections it selects (src/track/filter.ts). */
  filter?: string;
}

export class TrackedSink implements PacketSink {
  private readonly table: FlowTable;
  private readonly renderer: TcpdumpRenderer;
  /** --tcpdump with --filter: tcpdump's lines without the annotation. */
  private readonly plain: boolean;
  private readonly jsonState = new PacketJsonState();
  /** Rendered lines waiting for their segment's states (by line number). */
  private readonly pending = new Map<number, string>();
  /** Finished lines waiting for their turn, in frame order with bounded memory. */
  private readonly lines: OrderedLines;
  private readonly ann: PacketAnnotation = {
    conn: 0,
    fromOrig: true,
    role: 0,
    orig: 0,
    resp: 0,
    arrived: true,
    tags: 0,
  };
  beyond = 0;

  constructor(
    private readonly out: OutputBuffer,
    private readonly json: boolean,
    tracking: TrackingOptions,
    /** --filter: lines wait here until their connection is judged. */
    private readonly gate: ConnGate | null = null,
    /** --tcpdump with --filter: the oracle's renderer; its lines are printed without the annotation. */
    tcpdumpRenderer: TcpdumpRenderer | null = null,
  ) {
    this.lines = new OrderedLines((line) => this.out.line(line));
    this.renderer = tcpdumpRenderer ?? new TcpdumpRenderer();
    this.plain = tcpdumpRenderer !== null;
    this.table = newFlowTable(
      tracking,
      (rec) => this.ended(rec),
      (conn, h, tags) => this.released(conn, h, tags),
    );
  }

  onPacket(pkt: Packet, frame: Uint8Array): void {
    if (pkt.status !== DecodeStatus.TCP) return;
    let base: string;
    if (this.json) base = packetJson(pkt, this.jsonState, '');
    else {
      base = this.renderer.render(pkt, frame);
      if (base === '') {
        base = this.renderer.renderBeyond(pkt, frame);
        if (base !== '') this.beyond++;
      } else if (pkt.beyondTcpdump) this.beyond++;
    }
    const seq = this.lines.next();
    this.pending.set(seq, base);
    this.table.process(pkt, seq);
  }

  /** End of input: every held segment is released. */
  finish(): void {
    this.table.finish();
    this.lines.finish();
  }

  private released(conn: Conn, h: HeldPacket, tags: number): void {
    const seq = h.attach as number;
    const base = this.pending.get(seq) ?? '';
    this.pending.delete(seq);
    const origIsA = conn.summary.origIsA;
    const a = this.ann;
    a.conn = conn.id;
    a.fromOrig = h.fromA === origIsA;
    a.role = h.role;
    a.orig = origIsA ? h.stateA : h.stateB;
    a.resp = origIsA ? h.stateB : h.stateA;
    a.arrived = arrivedOf(h);
    a.tags = tags;
    const text = this.json
      ? base.slice(0, -1) + packetJsonFields(a) + '}'
      : base === '' || this.plain
        ? base
        : annotatedLine(base, a);
    const admitted = this.gate === null ? true : this.gate.admit(conn, seq, text);
    if (admitted !== null) this.lines.decide(seq, admitted ? text : '');
  }

  /** A connection is over: the lines a filter held for it go out (or vanish). */
  private ended(rec: ConnRecord): void {
    if (this.gate === null) return;
    for (const [seq, text] of this.gate.end(rec)) this.lines.decide(seq, text);
  }
}

/** `read` without --tcpdump: annotated lines, or packet records with --json. */
export async function runTrackedRead(
  files: string[],
  opts: TrackedReadOptions,
  out: OutputBuffer,
): Promise<number> {
  const filter = filterOption(opts.filter);
  const gate = filter === null ? null : new ConnGate(filter);
  const oracle = opts.tcpdump ? new TcpdumpRenderer({ ifName: hostInterfaceNames() }) : null;
  const sink = new TrackedSink(out, !!opts.json, trackingOptions(opts), gate, oracle);
  let err = '';
  const r = await readInto(
    files,
    sink,
    out,
    { reassemble: !!opts.json, verifyChecksums: !!opts.verifyChecksums, dedup: !!opts.dedup },
    (s) => {
      err += s;
    },
  );
  sink.finish();
  out.flush();
  if (err !== '') process.stderr.write(err);
  if (sink.beyond > 0) {
    process.stderr.write(
      `synack: ${sink.beyond} frame${sink.beyond === 1 ? '' : 's'} with TCP that tcpdump does not show (printed in its syntax)\n`,
    );
  }
  return r.code;
}
