// The analysis the worker runs on one capture, with the same core code as the CLI: bytes pushed
// in chunks → CaptureReader → Decoder → the flow table wired as `synack conns` wires it
// (report/tracking.ts) → TimelineCollector (the ladder's, the explanation's and the host view's
// input). Keeps each TCP frame's headers (not its payload) in a paged arena so a clicked arrow
// can be decoded again into `read --json`'s record and tcpdump's line. No DOM, no Node APIs.

import { explain } from '../../src/report/explain.js';
import { buildLadder, type LadderArrow } from '../../src/report/ladder-model.js';
import { drawLadderSvg } from '../../src/report/ladder-svg.js';
import { PacketJsonState, packetJson } from '../../src/report/packet-json.js';
import { buildStatesReport, captureSpan } from '../../src/report/socket-table.js';
import { TcpdumpRenderer } from '../../src/report/tcpdump.js';
import type { ConnTimeline } from '../../src/report/timeline.js';
import { TimelineCollector } from '../../src/report/timeline-from-track.js';
import { DEFAULT_TRACKING, newFlowTable } from '../../src/report/tracking.js';
import { stateFromName } from '../../src/tcp/state.js';
import { socketIntervals, stateTimeline } from '../../src/track/host-states.js';
import { EVENT_KINDS, type EventKind, kindBit } from '../../src/track/kinds.js';
import type { ConnRecord } from '../../src/track/record.js';
import { CaptureReader } from '../../src/wire/capture-reader.js';
import { Decoder } from '../../src/wire/decode.js';
import { ACK, DecodeStatus, Packet, SYN } from '../../src/wire/packet.js';
import { CaptureError, CaptureRecord } from '../../src/wire/record.js';
import type {
  CaptureSummary,
  ConnDetail,
  ConnRow,
  HostsView,
  LadderPacket,
  PacketDetail,
} from './protocol.js';

const PAGE = 4 << 20;
const ENTRY_HEAD = 24;
/** Frames keep at most this many header bytes (link + IP + TCP with options fit). */
const MAX_KEPT = 320;
/** Hosts whose socket counts are charted (the busiest ones). */
const HOST_CHARTS = 8;

/**
 * Headers of every TCP frame, for decoding a clicked packet again: 4 MiB pages filled in order,
 * up to `limitBytes` in all (beyond it, later frames are shown from the tracker's fields alone).
 */
export class FrameStore {
  private readonly pages: Uint8Array[] = [];
  private views: DataView[] = [];
  private used = PAGE;
  private locs = new Int32Array(1024).fill(-1);
  full = false;

  constructor(private readonly limitBytes = 192 << 20) {}

  keep(rec: CaptureRecord, pkt: Packet): void {
    if (pkt.status !== DecodeStatus.TCP || pkt.tcpBuf !== rec.buf) return;
    const keep = Math.min(rec.caplen, pkt.tcpOffset - rec.dataOffset + pkt.headerLen, MAX_KEPT);
    const size = ENTRY_HEAD + keep;
    if (this.used + size > PAGE) {
      if ((this.pages.length + 1) * PAGE > this.limitBytes) {
        this.full = true;
        return;
      }
      this.pages.push(new Uint8Array(PAGE));
      this.views.push(new DataView(this.pages[this.pages.length - 1].buffer));
      this.used = 0;
    }
    const page = this.pages.length - 1;
    const v = this.views[page];
    const at = this.used;
    v.setUint32(at, rec.tsSec, true);
    v.setUint32(at + 4, rec.tsNsec, true);
    v.setUint32(at + 8, rec.linktype, true);
    v.setUint32(at + 12, rec.origLen, true);
    v.setUint32(at + 16, keep, true);
    v.setUint32(at + 20, pkt.truncated ? 1 : 0, true);
    this.pages[page].set(rec.buf.subarray(rec.dataOffset, rec.dataOffset + keep), at + ENTRY_HEAD);
    this.used += size;
    while (rec.frame >= this.locs.length) {
      const grown = new Int32Array(this.locs.length * 2).fill(-1);
      grown.set(this.locs);
      this.locs = grown;
    }
    this.locs[rec.frame] = page * PAGE + at;
  }

  /** Decodes `frame` again from its kept headers into `pkt`; false when they were not kept. */
  decode(frame: number, decoder: Decoder, rec: CaptureRecord, pkt: Packet): Uint8Array | null {
    const loc = frame < this.locs.length ? this.locs[frame] : -1;
    if (loc < 0) return null;
    const page = Math.floor(loc / PAGE);
    const at = loc % PAGE;
    const v = this.views[page];
    const kept = v.getUint32(at + 16, true);
    rec.frame = frame;
    rec.tsSec = v.getUint32(at, true);
    rec.tsNsec = v.getUint32(at + 4, true);
    rec.linktype = v.getUint32(at + 8, true);
    rec.origLen = v.getUint32(at + 12, true);
    rec.caplen = kept;
    const data = this.pages[page].subarray(at + ENTRY_HEAD, at + ENTRY_HEAD + kept);
    rec.data = data;
    if (decoder.decode(rec, pkt) !== DecodeStatus.TCP) return null;
    // Only the payload was left out: the frame was as complete as the capture had it.
    pkt.truncated = v.getUint32(at + 20, true) === 1;
    return data;
  }

  get bytes(): number {
    return this.pages.length * PAGE;
  }
}

function rowOf(rec: ConnRecord): ConnRow {
  let statesMask = 0;
  for (const s of rec.states.orig) statesMask |= 1 << (stateFromName(s) ?? 11);
  for (const s of rec.states.resp) statesMask |= 1 << (stateFromName(s) ?? 11);
  let eventMask = 0;
  for (const e of rec.events) eventMask |= kindBit(e.kind);
  return {
    id: rec.id,
    origIp: rec.orig.ip,
    origPort: rec.orig.port,
    respIp: rec.resp.ip,
    respPort: rec.resp.port,
    startUs: rec.startUsec,
    durationUs: rec.endUsec - rec.startUsec,
    handshake: rec.handshake,
    close: rec.close,
    reset: rec.reset,
    finalOrig: rec.final.orig,
    finalResp: rec.final.resp,
    statesMask,
    connState: rec.conn_state,
    history: rec.history,
    pktsOrig: rec.packets.orig,
    pktsResp: rec.packets.resp,
    bytesOrig: rec.bytes.orig,
    bytesResp: rec.bytes.resp,
    events: rec.events.length,
    eventMask,
    evicted: rec.evicted,
  };
}

function tally(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function sorted(m: Map<string, number>): [string, number][] {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

export class CaptureAnalysis {
  private readonly reader = new CaptureReader();
  private readonly decoder = new Decoder({ reassemble: true, verifyChecksums: false });
  private readonly rec = new CaptureRecord();
  private readonly pkt = new Packet();
  private readonly collector = new TimelineCollector();
  private readonly rows: ConnRow[] = [];
  private readonly table;
  private readonly frames = new FrameStore();
  private readonly byId = new Map<number, ConnTimeline>();
  private tcpPackets = 0;
  private malformed = 0;
  private fault: string | null = null;
  private finished = false;
  private hostsCache: HostsView | null = null;
  private readonly kindEvents = new Map<EventKind, { events: number; conns: number }>();

  constructor(
    readonly name: string,
    private readonly timeWaitS = DEFAULT_TRACKING.timeWaitSec,
  ) {
    this.table = newFlowTable(
      { ...DEFAULT_TRACKING, timeWaitSec: timeWaitS },
      this.onEnd,
      this.collector.onPacket,
    );
  }

  private readonly onEnd = (rec: ConnRecord, conn: Parameters<TimelineCollector['onEnd']>[1]): void => {
    this.collector.onEnd(rec, conn);
    this.rows.push(rowOf(rec));
    const seen = new Set<EventKind>();
    for (const e of rec.events) {
      let k = this.kindEvents.get(e.kind);
      if (!k) {
        k = { events: 0, conns: 0 };
        this.kindEvents.set(e.kind, k);
      }
      k.events++;
      if (!seen.has(e.kind)) {
        seen.add(e.kind);
        k.conns++;
      }
    }
  };

  /** A note for the summary from outside the capture (a packetdrill script's verdict). */
  note(text: string): void {
    this.extraNotes.push(text);
  }
  private readonly extraNotes: string[] = [];

  /** A fault outside the capture format (a corrupt gzip stream): input ends here. */
  fail(message: string): void {
    if (this.fault === null) this.fault = message;
  }

  get framesRead(): number {
    return this.reader.frames;
  }

  /** Feeds capture bytes; a file-level fault ends the input (what came before stays analysed). */
  push(chunk: Uint8Array): boolean {
    if (this.fault !== null) return false;
    this.reader.push(chunk);
    return this.drain();
  }

  private drain(): boolean {
    const { reader, decoder, rec, pkt, table } = this;
    try {
      while (reader.next(rec)) {
        const status = decoder.decode(rec, pkt);
        if (status === DecodeStatus.MALFORMED) this.malformed++;
        else if (status === DecodeStatus.TCP) {
          this.tcpPackets++;
          this.frames.keep(rec, pkt);
        }
        table.process(pkt);
      }
      return true;
    } catch (err) {
      if (err instanceof CaptureError) {
        this.fault = `${this.name}: byte ${err.offset}: ${err.message}`;
        return false;
      }
      throw err;
    }
  }

  /** End of input: the rows and the capture summary. */
  finish(bytes: number, analysisMs: number): { rows: ConnRow[]; summary: CaptureSummary } {
    if (!this.finished) {
      if (this.fault === null) {
        this.reader.end();
        this.drain();
      }
      this.table.finish();
      this.finished = true;
      for (const t of this.collector.timelines) this.byId.set(t.id, t);
      this.rows.sort((a, b) => a.id - b.id);
    }
    const connStates = new Map<string, number>();
    const handshakes = new Map<string, number>();
    const closes = new Map<string, number>();
    const finals = new Map<string, number>();
    let startUs = Number.POSITIVE_INFINITY;
    let endUs = 0;
    for (const r of this.rows) {
      tally(connStates, r.connState);
      tally(handshakes, r.handshake);
      tally(closes, r.close);
      tally(finals, r.finalOrig);
      tally(finals, r.finalResp);
      startUs = Math.min(startUs, r.startUs);
      endUs = Math.max(endUs, r.startUs + r.durationUs);
    }
    const kinds = EVENT_KINDS.filter((k) => this.kindEvents.has(k)).map((k) => ({
      kind: k,
      ...this.kindEvents.get(k)!,
    }));
    const notes = [...this.extraNotes, ...this.reader.notes, ...this.decoder.notes];
    if (this.malformed > 0)
      notes.push(`${this.malformed} malformed packet${this.malformed === 1 ? '' : 's'} skipped`);
    if (this.frames.full)
      notes.push(
        'headers of the later packets were not kept (capture too large): their details come from the tracker alone',
      );
    return {
      rows: this.rows,
      summary: {
        name: this.name,
        bytes,
        frames: this.reader.frames,
        tcpPackets: this.tcpPackets,
        malformed: this.malformed,
        connections: this.rows.length,
        startUs: this.rows.length ? startUs : 0,
        endUs,
        kinds,
        connStates: sorted(connStates),
        handshakes: sorted(handshakes),
        closes: sorted(closes),
        finals: sorted(finals),
        notes,
        fault: this.fault,
        analysisMs,
      },
    };
  }

  timeline(id: number): ConnTimeline | undefined {
    return this.byId.get(id);
  }

  /** The ladder (report/ladder-svg.ts, as `synack ladder --svg`) and the story in both languages. */
  conn(id: number): ConnDetail | null {
    const t = this.byId.get(id);
    if (!t) return null;
    const model = buildLadder(t);
    const t0 = t.packets.length > 0 ? t.packets[0].timeUs : 0;
    const arrows: LadderPacket[] = model.rows
      .filter((r): r is LadderArrow => r.kind === 'arrow')
      .map((a) => {
        const p = t.packets[a.index];
        return {
          frame: p.frame,
          relUs: p.timeUs - t0,
          timeUs: p.timeUs,
          from: p.from,
          flags: a.label.split(' ')[0],
          relSeq: p.relSeq,
          relAck: p.relAck,
          len: p.len,
          win: p.win,
          role: p.role,
          tags: p.tags,
          orig: p.states.orig,
          resp: p.states.resp,
          lost: p.lost === true,
        };
      });
    const en = explain(t, { lang: 'en', timeWaitS: this.timeWaitS });
    const zh = explain(t, { lang: 'zh', timeWaitS: this.timeWaitS });
    return {
      id,
      svg: drawLadderSvg(model, 960),
      arrows,
      packets: t.packets.length,
      explain: { en, zh },
      spans: paragraphSpans(en, t),
      states: t.record?.states ?? { orig: [t.initial.orig], resp: [t.initial.resp] },
    };
  }

  /**
   * One packet decoded again from its kept headers: `read --json`'s record (relative numbers and
   * the scaled window replayed from the connection's first segments and SYNs, which are all they
   * depend on) with the tracker's fields, and tcpdump's line.
   */
  packet(connId: number, frame: number): PacketDetail {
    const out: PacketDetail = { conn: connId, frame, tcpdump: '', record: null };
    const t = this.byId.get(connId);
    if (!t) return out;
    const idx = t.packets.findIndex((p) => p.frame === frame);
    if (idx < 0) return out;
    const decoder = new Decoder({ reassemble: false });
    const rec = new CaptureRecord();
    const pkt = new Packet();
    const json = new PacketJsonState();
    const tcpdump = new TcpdumpRenderer();
    const firstOf = { orig: -1, resp: -1 };
    const firstAckOf = { orig: -1, resp: -1 };
    for (let i = 0; i < idx; i++) {
      const p = t.packets[i];
      const syn = (p.flags & SYN) !== 0;
      let replay = syn;
      if (firstOf[p.from] < 0) {
        firstOf[p.from] = i;
        replay = true;
      }
      if (p.flags & ACK && firstAckOf[p.from] < 0) {
        firstAckOf[p.from] = i;
        replay = true;
      }
      if (!replay) continue;
      const bytes = this.frames.decode(p.frame, decoder, rec, pkt);
      if (bytes === null) continue;
      packetJson(pkt, json);
      tcpdump.render(pkt, bytes);
    }
    const bytes = this.frames.decode(frame, decoder, rec, pkt);
    if (bytes === null) return out;
    out.tcpdump = tcpdump.render(pkt, bytes);
    const p = t.packets[idx];
    const extra =
      `, "conn": ${t.id}, "from": "${p.from}", "role": ${JSON.stringify(p.role)}, ` +
      `"states": {"orig": "${p.states.orig}", "resp": "${p.states.resp}"}, "arrived": ${p.arrived ?? null}, ` +
      `"tags": ${JSON.stringify(p.tags)}`;
    out.record = JSON.parse(packetJson(pkt, json, extra)) as Record<string, unknown>;
    return out;
  }

  /** The host view: `synack states --json --timeline` at the end of the capture. */
  hosts(): HostsView {
    if (this.hostsCache) return this.hostsCache;
    const timelines = this.collector.timelines;
    const span = captureSpan(timelines);
    const timeWaitUs = Math.round(this.timeWaitS * 1e6);
    const report = buildStatesReport(timelines, { timeWaitUs });
    // The chart shows the busiest hosts only; sampling every host of a big capture costs minutes.
    const intervals = socketIntervals(timelines, { timeWaitUs });
    const perHost = new Map<string, number>();
    for (const iv of intervals) perHost.set(iv.host, (perHost.get(iv.host) ?? 0) + 1);
    const top = new Set(
      [...perHost]
        .sort((a, b) => b[1] - a[1])
        .slice(0, HOST_CHARTS)
        .map(([h]) => h),
    );
    const tl = stateTimeline(
      intervals.filter((iv) => top.has(iv.host)),
      span.startUs,
      span.endUs,
      160,
    );
    report.timeline = { times: tl.times.map((t) => t / 1e6), hosts: tl.hosts };
    this.hostsCache = {
      report,
      startUs: span.startUs,
      endUs: span.endUs,
      timeWaitS: this.timeWaitS,
      hostCount: perHost.size,
    };
    return this.hostsCache;
  }
}

/**
 * Which frames each paragraph of the story speaks of. The intro and the summary speak of none;
 * a step names its frame ("frame N"); a paragraph about a run of data covers the frames between
 * the steps around it.
 */
export function paragraphSpans(paragraphs: string[], t: ConnTimeline): [number, number][] {
  const frames = t.packets.map((p) => p.frame);
  const named = paragraphs.map((p) => {
    const m = /^\[[^\]]*\bframe (\d+)\]/.exec(p);
    return m ? Number(m[1]) : -1;
  });
  const spans: [number, number][] = paragraphs.map(() => [0, 0]);
  // Paragraphs 1..n-1 walk the packets in order; the last ones (TIME_WAIT ran out, summary) have none.
  let pi = 0;
  for (let k = 1; k < paragraphs.length && pi < frames.length; k++) {
    if (named[k] >= 0) {
      spans[k] = [named[k], named[k]];
      const at = frames.indexOf(named[k], pi);
      if (at >= 0) pi = at + 1;
      continue;
    }
    // A run: up to the next named step's packet (or the end).
    let next = frames.length;
    for (let j = k + 1; j < paragraphs.length; j++) {
      if (named[j] >= 0) {
        const at = frames.indexOf(named[j], pi);
        if (at >= 0) next = at;
        break;
      }
    }
    if (next <= pi) continue;
    spans[k] = [frames[pi], frames[next - 1]];
    pi = next;
  }
  return spans;
}
