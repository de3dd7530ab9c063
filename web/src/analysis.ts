// The analysis the worker runs on one capture, with the same core code as the CLI: bytes pushed
// in chunks → CaptureReader → Decoder → the flow table wired as `synack conns` wires it
// (report/tracking.ts) → every segment in typed-array columns (packet-columns.ts: the ladder's, the
// explanation's and the host view's input, built per connection when asked). Rows, tallies and
// the first occurrences of each event kind are gathered as connections end. Frame headers are kept
// (frame-store.ts) so a clicked arrow can be decoded again. No DOM, no Node APIs.

import { explain } from '../../src/report/explain.js';
import {
  buildLadder,
  isRetransmission,
  type LadderArrow,
  type LadderModel,
  type LadderRow,
} from '../../src/report/ladder-model.js';
import { drawLadderSvg } from '../../src/report/ladder-svg.js';
import { PacketJsonState, packetJson } from '../../src/report/packet-json.js';
import { TcpdumpRenderer } from '../../src/report/tcpdump.js';
import type { ConnTimeline } from '../../src/report/timeline.js';
import { DEFAULT_TRACKING, newFlowTable } from '../../src/report/tracking.js';
import { stateFromName } from '../../src/tcp/state.js';
import { EVENT_KINDS, type EventKind, kindBit } from '../../src/track/kinds.js';
import type { ConnRecord } from '../../src/track/record.js';
import { CaptureReader } from '../../src/wire/capture-reader.js';
import { Decoder } from '../../src/wire/decode.js';
import { ACK, DecodeStatus, Packet, SYN } from '../../src/wire/packet.js';
import { CaptureError, CaptureRecord } from '../../src/wire/record.js';
import { FrameStore } from './frame-store.js';
import { hostSummary } from './host-summary.js';
import { PacketColumns } from './packet-columns.js';
import type {
  CaptureSummary,
  ConnDetail,
  ConnRow,
  HostsView,
  KindCount,
  LadderPacket,
  LadderView,
  PacketDetail,
} from './protocol.js';
import { SEVERITY_OF } from './severity.js';

function rowOf(rec: ConnRecord): ConnRow {
  let statesMask = 0;
  for (const s of rec.states.orig) statesMask |= 1 << (stateFromName(s) ?? 11);
  for (const s of rec.states.resp) statesMask |= 1 << (stateFromName(s) ?? 11);
  let eventMask = 0;
  let retrans = 0;
  for (const e of rec.events) {
    eventMask |= kindBit(e.kind);
    if (isRetransmission([e.kind])) retrans++;
  }
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
    retrans,
    rttUs: rec.rttHandshakeUsec,
    evicted: rec.evicted,
  };
}

function tally(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function sorted(m: Map<string, number>): [string, number][] {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** Occurrences of each event kind kept to jump to (the rest are counted). */
const FIRST_EVENTS = 50;

export class CaptureAnalysis {
  private readonly reader = new CaptureReader();
  private readonly decoder = new Decoder({ reassemble: true, verifyChecksums: false });
  private readonly rec = new CaptureRecord();
  private readonly pkt = new Packet();
  private readonly columns = new PacketColumns();
  /** Rows of connections that ended since the last takeRows(). */
  private pending: ConnRow[] = [];
  private connections = 0;
  private readonly table;
  private readonly frames = new FrameStore();
  private tcpPackets = 0;
  private malformed = 0;
  private fault: string | null = null;
  private finished = false;
  private hostsCache: HostsView | null = null;
  private readonly kindEvents = new Map<EventKind, KindCount>();
  private readonly tallies = {
    connStates: new Map<string, number>(),
    handshakes: new Map<string, number>(),
    closes: new Map<string, number>(),
    finals: new Map<string, number>(),
  };
  private readonly resets = { orig: 0, resp: 0, both: 0 };
  private startUs = Number.POSITIVE_INFINITY;
  private endUs = 0;

  constructor(
    readonly name: string,
    private readonly timeWaitS = DEFAULT_TRACKING.timeWaitSec,
    tap = 'auto',
  ) {
    // reuseConns: nothing here keeps a Conn past the callback (the columns keep its id).
    this.table = newFlowTable(
      { ...DEFAULT_TRACKING, timeWaitSec: timeWaitS, tap },
      this.onEnd,
      this.columns.onPacket,
      true,
    );
  }

  private readonly onEnd = (rec: ConnRecord, conn: Parameters<PacketColumns['onEnd']>[1]): void => {
    this.columns.onEnd(rec, conn);
    this.pending.push(rowOf(rec));
    this.connections++;
    const t = this.tallies;
    tally(t.connStates, rec.conn_state);
    tally(t.handshakes, rec.handshake);
    tally(t.closes, rec.close);
    tally(t.finals, rec.final.orig);
    tally(t.finals, rec.final.resp);
    if (rec.reset) this.resets[rec.reset]++;
    if (rec.startUsec < this.startUs) this.startUs = rec.startUsec;
    if (rec.endUsec > this.endUs) this.endUs = rec.endUsec;
    let seen = 0;
    for (const e of rec.events) {
      let k = this.kindEvents.get(e.kind);
      if (!k) {
        k = { kind: e.kind, severity: SEVERITY_OF[e.kind], events: 0, conns: 0, first: [] };
        this.kindEvents.set(e.kind, k);
      }
      k.events++;
      if (k.first.length < FIRST_EVENTS) k.first.push({ conn: rec.id, frame: e.frame, timeUs: e.timeUsec });
      const bit = kindBit(e.kind);
      if (!(seen & bit)) {
        seen |= bit;
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

  /** Rows of the connections that ended since the last call. */
  takeRows(): ConnRow[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  get pendingRows(): number {
    return this.pending.length;
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

  /** End of input: the connections still open are closed (their rows join takeRows()). */
  finish(): void {
    if (this.finished) return;
    if (this.fault === null) {
      this.reader.end();
      this.drain();
    }
    this.table.finish();
    this.finished = true;
  }

  /** The capture at a glance, once finish() ran. */
  summary(bytes: number, analysisMs: number): CaptureSummary {
    const kinds = EVENT_KINDS.filter((k) => this.kindEvents.has(k)).map((k) => this.kindEvents.get(k)!);
    const notes = [...this.extraNotes, ...this.reader.notes, ...this.decoder.notes];
    if (this.malformed > 0)
      notes.push(`${this.malformed} malformed packet${this.malformed === 1 ? '' : 's'} skipped`);
    if (this.frames.full)
      notes.push(
        'headers of the later packets were not kept (capture too large): their details come from the tracker alone',
      );
    const t = this.tallies;
    return {
      name: this.name,
      bytes,
      frames: this.reader.frames,
      tcpPackets: this.tcpPackets,
      malformed: this.malformed,
      connections: this.connections,
      startUs: this.connections ? this.startUs : 0,
      endUs: this.endUs,
      kinds,
      connStates: sorted(t.connStates),
      handshakes: sorted(t.handshakes),
      closes: sorted(t.closes),
      finals: sorted(t.finals),
      resets: { ...this.resets },
      notes,
      fault: this.fault,
      analysisMs,
    };
  }

  timeline(id: number): ConnTimeline | undefined {
    return this.columns.timeline(id);
  }

  record(id: number): ConnRecord | null {
    return this.columns.record(id);
  }

  /** Frame numbers of one connection's packets (for extract). */
  framesOf(id: number): number[] {
    return this.columns.frames(id);
  }

  /**
   * The ladder (report/ladder-svg.ts, as `synack ladder --svg`, `--all` when asked, with the folds
   * the user opened drawn as arrows) and the story in both languages.
   */
  conn(
    id: number,
    asked: LadderView = { all: false, open: [], timeScale: false, symbolic: false },
    focus: number | null = null,
  ): ConnDetail | null {
    const t = this.timeline(id);
    if (!t) return null;
    const view =
      focus === null || asked.all ? asked : { ...asked, open: [...asked.open, ...foldsHolding(t, [focus])] };
    const model = ladderModel(t, view);
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
      view,
      svg: drawLadderSvg(model, 960, { timeScale: view.timeScale }),
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
    const t = this.timeline(connId);
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

  /** The host view (computed once, on every connection; see host-summary.ts). */
  hosts(): HostsView {
    if (!this.hostsCache) {
      const t0 = performance.now();
      this.hostsCache = hostSummary(this.columns.statesInputs(), this.timeWaitS, t0, () => performance.now());
    }
    return this.hostsCache;
  }

  get hostsReady(): boolean {
    return this.hostsCache !== null;
  }

  /** Every ended connection's record, in the order they ended. */
  records(): ConnRecord[] {
    return this.columns.ended.map((e) => e.rec!);
  }
}

/**
 * The ladder model for a view: folded as the CLI folds it, every packet (`--all`), or folded with
 * the opened folds' packets drawn as arrows (taken from the unfolded model, so each arrow is
 * exactly what `--all` draws).
 */
export function ladderModel(t: ConnTimeline, view: LadderView): LadderModel {
  const symbolic = view.symbolic;
  if (view.all) return buildLadder(t, { all: true, symbolic });
  const folded = buildLadder(t, { symbolic });
  if (view.open.length === 0) return folded;
  const open = new Set(view.open);
  if (!folded.rows.some((r) => r.kind === 'fold' && open.has(r.firstIndex))) return folded;
  const all = buildLadder(t, { all: true, symbolic });
  const rows: LadderRow[] = [];
  for (const r of folded.rows) {
    if (r.kind === 'fold' && open.has(r.firstIndex)) {
      for (let i = r.firstIndex; i <= r.lastIndex; i++) rows.push(all.rows[i]);
    } else rows.push(r);
  }
  return { ...folded, rows };
}

/** The folds (by first packet index) that hold these frames: what to open to show them. */
export function foldsHolding(t: ConnTimeline, frames: readonly number[]): number[] {
  const want = new Set(frames);
  const out: number[] = [];
  for (const r of buildLadder(t).rows) {
    if (r.kind !== 'fold') continue;
    for (let i = r.firstIndex; i <= r.lastIndex; i++) {
      if (want.has(t.packets[i].frame)) {
        out.push(r.firstIndex);
        break;
      }
    }
  }
  return out;
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
