// The tracked modes of `synack read`: the annotated default (tcpdump line + connection, role,
// both states, tags) and `--json` with the tracker's fields. A segment's states are final only
// once the evidence is in (PRODUCT.md "How states are inferred"), so each line is rendered when
// its packet arrives, held with the segment in the flow table, and written when released;
// ordered-lines.ts keeps the output in frame order across connections, with bounded memory.

import {
  annotatedLine,
  annotationInto,
  type PacketAnnotation,
  packetJsonFields,
  packetJsonFieldsInto,
} from '../report/annotate.js';
import { PacketJsonState, packetJson, packetJsonInto } from '../report/packet-json.js';
import { TcpdumpRenderer } from '../report/tcpdump.js';
import { newFlowTable, type TrackingOptions } from '../report/tracking.js';
import type { Conn } from '../track/connection.js';
import type { FlowTable } from '../track/flow-table.js';
import { arrivedOf, type HeldPacket } from '../track/held.js';
import { type PacketFilter, parsePacketFilter } from '../track/packet-filter.js';
import type { ConnRecord } from '../track/record.js';
import { DecodeStatus, type Packet } from '../wire/packet.js';
import { ConnPicker, ConnSelectorError, parseConnSelector } from './conn-selector.js';
import { ConnGate, filterOption } from './filter-option.js';
import { heapTick } from './heap-governor.js';
import { hostInterfaceNames } from './host-interfaces.js';
import { type PacketSink, readInto } from './input-pipeline.js';
import { LineQueue } from './line-queue.js';
import { OrderedLines } from './ordered-lines.js';
import type { OutputBuffer } from './output-buffer.js';
import { type LineOptions, LineWriter } from './read-lines.js';
import { timeFormatOption } from './time-format-option.js';
import { evictionNote, type TrackingFlags, trackingOptions } from './tracking-options.js';
import { UsageError } from './usage-failure.js';

/** The options of `read` that its tracked modes use. */
export interface TrackedReadOptions extends TrackingFlags, ReadLineFlags {
  /** With --filter: tcpdump's lines, without the annotation. */
  tcpdump?: boolean;
  json?: boolean;
  verifyChecksums?: boolean;
  /** --filter EXPR: only the packets of the connections it selects (src/track/filter.ts). */
  filter?: string;
}

/** `read`'s line options checked (throws UsageError, FilterError or PacketFilterError). */
export function lineOptions(opts: ReadLineFlags): LineOptions {
  let pick: ConnPicker | null = null;
  try {
    if (opts.conn !== undefined) pick = new ConnPicker(parseConnSelector(opts.conn), true);
  } catch (err) {
    if (err instanceof ConnSelectorError) throw new UsageError(err.message);
    throw err;
  }
  let count: number | undefined;
  if (opts.count !== undefined) {
    count = Number(opts.count);
    if (!Number.isInteger(count) || count < 1)
      throw new UsageError(`-c wants a positive integer, not '${opts.count}'`);
  }
  return {
    pick,
    packets: opts.packetFilter === undefined ? null : parsePacketFilter(opts.packetFilter),
    ...(count === undefined ? {} : { count }),
    number: !!opts.number,
    time: timeFormatOption(opts.timeFormat),
  };
}

/** The flags of `read` that choose and shape its lines (read-lines.ts). */
export interface ReadLineFlags {
  conn?: string;
  count?: string;
  number?: boolean;
  packetFilter?: string;
  timeFormat?: string;
}

/** The late decision of a line --conn did not pick. */
const NO_LINE: PacketAnnotation = {
  conn: 0,
  fromOrig: true,
  role: 0,
  orig: 0,
  resp: 0,
  arrived: true,
  tags: 0,
};

/** 4-tuples whose relative numbers `read --json` keeps at least, whatever --max-conns says. */
const MIN_JSON_PAIRS = 65_536;

export class TrackedSink implements PacketSink {
  private readonly table: FlowTable;
  private readonly renderer: TcpdumpRenderer;
  /** --tcpdump with --filter: tcpdump's lines without the annotation. */
  private readonly plain: boolean;
  private readonly jsonState: PacketJsonState;
  /**
   * Lines in frame order with bounded memory: each rendered line waits there (held) for its
   * segment's states, then for its turn. Without --filter a held line may go to the spill file
   * before its states are known; its annotation then waits as a copy (a SYN flood holds every
   * SYN's line until its connection is evicted).
   */
  private readonly lines: OrderedLines<PacketAnnotation>;
  /**
   * Without --filter, -c, --number and -t (the common case) the lines wait as bytes instead
   * (line-queue.ts: no string per waiting line, the annotation written after the text at output).
   */
  private readonly queue: LineQueue | null;
  /** -c, --number, -t applied as lines go out (read-lines.ts). */
  private readonly writer: LineWriter;
  /** --number or -t: each line travels as `frame\ttime\ttext` to the writer. */
  private readonly decorate: boolean;
  /** --conn: each connection's verdict, taken at its first segment. */
  private readonly picked = new Map<number, boolean>();
  private readonly pick: ConnPicker | null;
  private readonly packets: PacketFilter | null;
  /** The annotation being filled for the current segment (reused: one object, no garbage). */
  private readonly ann: PacketAnnotation = { ...NO_LINE };
  beyond = 0;

  constructor(
    out: OutputBuffer,
    private readonly json: boolean,
    tracking: TrackingOptions,
    /** --filter: lines wait here until their connection is judged. */
    private readonly gate: ConnGate | null = null,
    /** --tcpdump with --filter: the oracle's renderer; its lines are printed without the annotation. */
    tcpdumpRenderer: TcpdumpRenderer | null = null,
    /** --conn, --packet-filter, -c, --number, -t. */
    lineOptions: LineOptions = {},
  ) {
    this.writer = new LineWriter(out, { ...lineOptions, json });
    // The relative numbers' state is forgotten no sooner than the tracker forgets connections.
    this.jsonState = new PacketJsonState({
      idleUsec: Math.round(tracking.idleSec * 1e6),
      maxPairs: Math.max(tracking.maxConns, MIN_JSON_PAIRS),
    });
    this.decorate = !json && (!!lineOptions.number || !!lineOptions.time);
    this.pick = lineOptions.pick ?? null;
    this.packets = lineOptions.packets ?? null;
    this.lines = new OrderedLines<PacketAnnotation>(
      (line) => {
        if (!this.decorate) return this.writer.write(line, 0, 0);
        const a = line.indexOf('\t');
        const b = line.indexOf('\t', a + 1);
        this.writer.write(line.slice(b + 1), Number(line.slice(0, a)), Number(line.slice(a + 1, b)));
      },
      undefined,
      undefined,
      // The filter's gate wants each line's text when its segment is released: kept in memory.
      gate === null ? (base, a) => this.finished(base, a) : null,
    );
    this.renderer = tcpdumpRenderer ?? new TcpdumpRenderer();
    this.plain = tcpdumpRenderer !== null;
    this.queue =
      gate === null && !this.decorate && lineOptions.count === undefined
        ? new LineQueue(out, json ? packetJsonFieldsInto : this.plain ? () => {} : annotationInto)
        : null;
    this.table = newFlowTable(
      tracking,
      (rec) => this.ended(rec),
      (conn, h, tags) => this.released(conn, h, tags),
      // No Conn is kept past the callback or process() that handed it over (picked, the gate and
      // the lines go by id): an ended connection's objects serve the next one, so a SYN flood
      // past --max-conns makes no garbage per packet.
      true,
    );
  }

  onPacket(pkt: Packet, frame: Uint8Array): void {
    if (pkt.status !== DecodeStatus.TCP) return;
    if (this.queue !== null) {
      this.queued(pkt, frame, this.queue);
      return;
    }
    this.writer.checkRoom();
    let base: string;
    if (this.packets !== null && !this.packets.matches(pkt)) base = '';
    else if (this.json) base = packetJson(pkt, this.jsonState, '');
    else {
      base = this.renderer.render(pkt, frame);
      if (base === '') {
        base = this.renderer.renderBeyond(pkt, frame);
        if (base !== '') this.beyond++;
      } else if (pkt.beyondTcpdump) this.beyond++;
    }
    const seq = this.lines.next();
    this.lines.hold(seq, base !== '' && this.decorate ? `${pkt.frame}\t${pkt.tsUsec}\t${base}` : base);
    const conn = this.table.process(pkt, seq);
    if (this.pick !== null && conn !== null && !this.picked.has(conn.id))
      this.picked.set(conn.id, this.pick.takes(conn));
  }

  /** onPacket of the common case: the line rendered straight into the queue's bytes. */
  private queued(pkt: Packet, frame: Uint8Array, q: LineQueue): void {
    const seq = q.begin();
    if (this.packets === null || this.packets.matches(pkt)) {
      if (this.json) packetJsonInto(q.w, pkt, this.jsonState);
      else if (this.renderer.renderInto(q.w, pkt, frame, false)) {
        if (pkt.beyondTcpdump) this.beyond++;
      } else if (this.renderer.renderInto(q.w, pkt, frame, true)) this.beyond++;
    }
    q.commit();
    const conn = this.table.process(pkt, seq);
    if (this.pick !== null && conn !== null && !this.picked.has(conn.id))
      this.picked.set(conn.id, this.pick.takes(conn));
  }

  /** End of input: every held segment is released. */
  finish(): void {
    this.table.finish();
    if (this.queue !== null) this.queue.finish();
    else this.lines.finish();
  }

  /** Connections evicted because more than --max-conns were open. */
  get evicted(): number {
    return this.table.evictedCount;
  }

  private released(conn: Conn, h: HeldPacket, tags: number): void {
    // The end of input releases every open connection's segments in one go.
    heapTick();
    const seq = h.attach as number;
    const base = this.lines.take(seq);
    const origIsA = conn.summary.origIsA;
    const a = this.ann;
    a.conn = conn.id;
    a.fromOrig = h.fromA === origIsA;
    a.role = h.role;
    a.orig = origIsA ? h.stateA : h.stateB;
    a.resp = origIsA ? h.stateB : h.stateA;
    a.arrived = arrivedOf(h);
    a.tags = tags;
    if (this.queue !== null) {
      this.queue.settle(seq, this.pick !== null && this.picked.get(conn.id) !== true ? null : a);
      return;
    }
    if (this.pick !== null && this.picked.get(conn.id) !== true) {
      if (base === undefined) this.lines.decideLate(seq, NO_LINE);
      else this.lines.decide(seq, '');
      return;
    }
    // Spilled with its text so far (never with a gate): finished when read back.
    if (base === undefined) {
      this.lines.decideLate(seq, { ...a });
      return;
    }
    const text = this.finished(base, a);
    const admitted = this.gate === null ? true : this.gate.admit(conn, seq, text);
    if (admitted !== null) this.lines.decide(seq, admitted ? text : '');
  }

  /** A rendered line with its segment's annotation ('' stays ''). */
  private finished(base: string, a: PacketAnnotation): string {
    if (base === '' || a === NO_LINE) return '';
    if (this.json) return base.slice(0, -1) + packetJsonFields(a) + '}';
    return this.plain ? base : annotatedLine(base, a);
  }

  /** A connection is over: the lines a filter held for it go out (or vanish). */
  private ended(rec: ConnRecord): void {
    if (this.pick !== null && this.picked.get(rec.id) === false) this.picked.delete(rec.id);
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
  const tracking = trackingOptions(opts);
  const sink = new TrackedSink(out, !!opts.json, tracking, gate, oracle, lineOptions(opts));
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
  const evicted = evictionNote(sink.evicted, tracking.maxConns);
  if (evicted !== '') process.stderr.write(evicted);
  if (sink.beyond > 0) {
    process.stderr.write(
      `synack: ${sink.beyond} frame${sink.beyond === 1 ? '' : 's'} with TCP that tcpdump does not show (printed in its syntax)\n`,
    );
  }
  return r.code;
}
