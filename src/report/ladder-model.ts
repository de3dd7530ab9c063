// What the ladder (sequence) diagram of one connection shows, independent of how it is drawn:
// one arrow per packet with its label, each endpoint's state where it changes, lost and
// unanswered segments, and long runs of ordinary data/ACK segments folded into one summary.
// ladder-text.ts and ladder-svg.ts draw this model; the web UI reuses ladder-svg.ts.

import type { StateName } from '../tcp/state.js';
import type { EventKind } from '../track/kinds.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';
import { ipPort } from './ip-port.js';
import { silentClient } from './syn-queue-context.js';
import {
  type ConnTimeline,
  flagWords,
  formatBytes,
  formatDuration,
  groupDigits,
  type Side,
  segmentSpace,
  stateBefore,
  type TimelineEndpoint,
} from './timeline.js';

export interface LadderArrow {
  kind: 'arrow';
  /** Index in the timeline's packets. */
  index: number;
  frame: number;
  /** µs since the connection's first packet. */
  relUs: number;
  from: Side;
  /** "SYN+ACK seq=0 ack=1", "PSH+ACK seq=1 ack=1 len=18". */
  label: string;
  tags: EventKind[];
  /** Known never to have reached its receiver. */
  lost: boolean;
  /** Whether it reached its receiver the capture cannot decide (read --json "arrived": null). */
  undecided: boolean;
  /** Sent again later before anything acknowledged it: lost on the way, or its answer was. */
  unanswered: boolean;
  /** New state of an endpoint after this packet, when it changed. */
  orig?: StateName;
  resp?: StateName;
  /** Socket calls the state changes imply ("client: connect() returns", "server: close()"). */
  calls: string[];
  /** This arrow and the next one were in flight at once (they cross in the picture). */
  crossesNext: boolean;
}

/** Where time jumps: a timer ran (the RTO before a retransmission, keep-alive idle) or nothing happened. */
export interface LadderGap {
  kind: 'gap';
  us: number;
  /** "⋯ 1.000 s, RTO ⋯" */
  text: string;
}

export interface LadderFold {
  kind: 'fold';
  firstIndex: number;
  lastIndex: number;
  startUs: number;
  endUs: number;
  segments: number;
  dataSegments: number;
  acks: number;
  /** Payload bytes, both directions. */
  bytes: number;
  retransmissions: number;
  /** "… 9 998 data segments, 14.2 MB, 4 999 ACKs, 3 retransmissions, 1.204 s …" */
  text: string;
}

export type LadderRow = LadderArrow | LadderFold | LadderGap;

export interface LadderModel {
  id: number;
  client: TimelineEndpoint;
  server: TimelineEndpoint;
  initial: { orig: StateName; resp: StateName };
  rows: LadderRow[];
  /** States after the last packet, and after TIME_WAIT ended when the record says it did. */
  final: { orig: StateName; resp: StateName };
  /** A closing note, e.g. "TIME_WAIT over: client CLOSED (timer, or reused by a new SYN)". */
  footer: string[];
  /** Which marks appear, so the legend explains only those. */
  marks: { lost: boolean; unanswered: boolean; undecided: boolean; dropped: boolean };
  /** Labels written seq=x, ack=y+1 as the textbooks do (`--symbolic`). */
  symbolic: boolean;
}

export interface LadderOptions {
  /** Draw every packet (no folding). */
  all?: boolean;
  /** A run of at least this many ordinary segments is folded (keeping `keep` at each end). */
  foldMin?: number;
  keep?: number;
  /** Sequence numbers as the textbooks write them: x, y (the ISNs), u, v, w (the teardown), plus offsets. */
  symbolic?: boolean;
  /** A pause at least this long (µs, default 200 ms) gets a gap marker. */
  gapUs?: number;
}

/**
 * Tags that leave a data/ACK segment part of an ordinary run: the explanation (explain.ts) gives
 * it no paragraph of its own (the ladder folds only untagged segments).
 */
export const RUN_TAGS: ReadonlySet<EventKind> = new Set<EventKind>([
  'retransmission',
  'fast-retransmission',
  'spurious-retransmission',
  'dup-ack',
  'out-of-order',
  'window-update',
  'previous-segment-not-captured',
  'acked-unseen-segment',
]);

const RETRANSMISSION_KINDS: ReadonlySet<EventKind> = new Set<EventKind>([
  'retransmission',
  'fast-retransmission',
  'spurious-retransmission',
  'syn-retransmission',
  'synack-retransmission',
]);

export function isRetransmission(tags: readonly EventKind[]): boolean {
  return tags.some((k) => RETRANSMISSION_KINDS.has(k));
}

/**
 * "SYN seq=0", "ACK seq=1 ack=1", "PSH+ACK seq=1 ack=1 len=18 win=0". `abs`: the sequence or
 * acknowledgment number lies outside its owner's current sequence space (foreignNumbers) and is
 * drawn absolute: relative to the current ISN it means nothing.
 */
export function packetLabel(
  p: ConnTimeline['packets'][number],
  abs: { seq: boolean; ack: boolean } = { seq: false, ack: false },
): string {
  let s = `${flagWords(p.flags)} seq=${abs.seq ? p.seq : p.relSeq}`;
  if (p.flags & ACK) s += ` ack=${abs.ack ? p.ack : p.relAck}`;
  if (p.len > 0) s += ` len=${p.len}`;
  if (p.win === 0 && !(p.flags & RST)) s += ' win=0';
  return s;
}

/**
 * TCP Fast Open's option as the articles' figures name it (RFC 7413 §4.1): the client's cookie
 * request, the cookie the server gives or the client returns. Other options go in the story.
 */
export function fastOpenOption(p: ConnTimeline['packets'][number]): string {
  const tfo = p.options?.fastOpen;
  return tfo === 'request' ? ' TFO cookie req' : tfo === 'cookie' ? ' TFO cookie' : '';
}

/**
 * Segments that were sent again (same first sequence number, a retransmission tag) before the
 * peer acknowledged them: the textbook's "lost SYN", "lost FIN", whose answer never came.
 */
export function findUnanswered(t: ConnTimeline): boolean[] {
  const out = new Array<boolean>(t.packets.length).fill(false);
  const ps = t.packets;
  for (let j = 0; j < ps.length; j++) {
    const r = ps[j];
    if (!isRetransmission(r.tags)) continue;
    // The latest earlier segment from the same side starting at the same sequence number.
    for (let i = j - 1; i >= 0; i--) {
      const p = ps[i];
      if (p.from !== r.from || p.relSeq !== r.relSeq || segmentSpace(p) === 0) continue;
      let acked = false;
      for (let k = i + 1; k < j; k++) {
        const q = ps[k];
        if (
          q.from !== p.from &&
          !q.lost &&
          q.flags & ACK &&
          ((q.relAck - p.relSeq - segmentSpace(p)) | 0) >= 0
        ) {
          acked = true;
          break;
        }
      }
      if (!acked && p.lost !== false) out[i] = true;
      break;
    }
  }
  return out;
}

function isFoldable(t: ConnTimeline, i: number): boolean {
  const p = t.packets[i];
  if (p.role !== 'data' && p.role !== 'ack') return false;
  if (p.flags & (SYN | FIN | RST)) return false;
  if (p.lost) return false;
  if (p.states.orig !== stateBefore(t, i, 'orig') || p.states.resp !== stateBefore(t, i, 'resp'))
    return false;
  // A fold never hides a tagged segment (a retransmission, a duplicate ACK) nor one whose arrival
  // is lost or undecided: only plain data and ACKs that arrived.
  return p.tags.length === 0 && p.arrived !== false && p.arrived !== null;
}

function foldRow(t: ConnTimeline, first: number, last: number, t0: number): LadderFold {
  let dataSegments = 0;
  let acks = 0;
  let bytes = 0;
  let retransmissions = 0;
  for (let i = first; i <= last; i++) {
    const p = t.packets[i];
    if (p.len > 0) {
      dataSegments++;
      bytes += p.len;
    } else acks++;
    if (isRetransmission(p.tags)) retransmissions++;
  }
  const startUs = t.packets[first].timeUs - t0;
  const endUs = t.packets[last].timeUs - t0;
  const parts: string[] = [];
  if (dataSegments > 0) {
    parts.push(`${groupDigits(dataSegments)} data segment${dataSegments === 1 ? '' : 's'}`);
    parts.push(formatBytes(bytes));
  }
  if (acks > 0) parts.push(`${groupDigits(acks)} ACK${acks === 1 ? '' : 's'}`);
  if (retransmissions > 0)
    parts.push(`${groupDigits(retransmissions)} retransmission${retransmissions === 1 ? '' : 's'}`);
  parts.push(formatDuration(endUs - startUs));
  return {
    kind: 'fold',
    firstIndex: first,
    lastIndex: last,
    startUs,
    endUs,
    segments: last - first + 1,
    dataSegments,
    acks,
    bytes,
    retransmissions,
    text: `… ${parts.join(', ')} …`,
  };
}

/**
 * Labels with sequence numbers as the articles write them (RFC 793's figures, 谢希仁's textbook):
 * the client's ISN x, the server's y; in the teardown the first closer's FIN seq=u, the other
 * side's ACK of it seq=v and its own FIN seq=w; every other number as the nearest of these plus
 * an offset ("x+1", "y+513", "u+1"). Mid-stream captures start from each side's first number.
 */
export function symbolicLabels(t: ConnTimeline): string[] {
  const ps = t.packets;
  /** A named sequence number, usable from packet `from` on (u is "the FIN" only once it is sent). */
  type Anchor = { name: string; at: number; from: number };
  const anchors: Record<'orig' | 'resp', Anchor[]> = { orig: [], resp: [] };
  const first = (side: 'orig' | 'resp') => ps.find((p) => p.from === side);
  for (const side of ['orig', 'resp'] as const) {
    const syn = ps.find((p) => p.from === side && p.flags & SYN);
    const f = first(side);
    const base = syn ? syn.seq : f ? (f.seq - f.relSeq) >>> 0 : undefined;
    if (base !== undefined) anchors[side].push({ name: side === 'orig' ? 'x' : 'y', at: base, from: 0 });
  }
  const k1 = ps.findIndex((p) => (p.flags & FIN) !== 0);
  if (k1 >= 0) {
    const fin1 = ps[k1];
    const a = fin1.from;
    const b = a === 'orig' ? 'resp' : 'orig';
    const u = (fin1.seq + fin1.len) >>> 0;
    anchors[a].push({ name: 'u', at: u, from: k1 });
    const kAck = ps.findIndex(
      (p, k) =>
        k > k1 && p.from === b && (p.flags & ACK) !== 0 && !(p.flags & FIN) && ((p.ack - u - 1) | 0) >= 0,
    );
    const kFin = ps.findIndex((p) => p.from === b && (p.flags & FIN) !== 0);
    if (kAck >= 0 && (kFin < 0 || kAck < kFin)) anchors[b].push({ name: 'v', at: ps[kAck].seq, from: kAck });
    if (kFin >= 0) anchors[b].push({ name: 'w', at: (ps[kFin].seq + ps[kFin].len) >>> 0, from: kFin });
  }
  const name = (side: 'orig' | 'resp', n: number, k: number): string => {
    let best: Anchor | undefined;
    for (const a of anchors[side]) {
      if (a.from > k) continue;
      const d = (n - a.at) | 0;
      if (d >= 0 && (!best || d <= ((n - best.at) | 0))) best = a; // ties: the later name (w over v)
    }
    if (!best) return String(n);
    const d = (n - best.at) | 0;
    return d === 0 ? best.name : `${best.name}+${d}`;
  };
  return ps.map((p, k) => {
    const other = p.from === 'orig' ? 'resp' : 'orig';
    let s = `${flagWords(p.flags)} seq=${name(p.from, p.seq, k)}`;
    if (p.flags & ACK) s += ` ack=${name(other, p.ack, k)}`;
    if (p.len > 0) s += ` len=${p.len}`;
    return s;
  });
}

/**
 * Whether the RST at `i` follows its sender's unanswered keep-alive probes (the segment just
 * before it is one of them): the kernel giving up (RFC 1122 §4.2.3.6), no socket call.
 */
function afterKeepAlives(t: ConnTimeline, i: number): boolean {
  const prev = t.packets[i - 1];
  return prev !== undefined && prev.from === t.packets[i].from && prev.tags.includes('keep-alive');
}

/**
 * Packet i is a bare RST (no ACK bit) from the passive opener at exactly the acknowledgment number
 * of the handshake ACK just before it, its sender having sent nothing since its SYN+ACK: Linux
 * forms a RST without ACK only in answer to a segment (tcp_v4_send_reset; its own aborts are
 * RST+ACK), so the listener refused that ACK — a full accept queue with
 * net.ipv4.tcp_abort_on_overflow=1 (or a listener closed in between). No application aborted.
 */
export function refusesHandshakeAck(t: ConnTimeline, i: number): boolean {
  const ps = t.packets;
  const p = ps[i];
  const me = p.from;
  if (!(p.flags & RST) || p.flags & ACK || t.initial[me] !== 'LISTEN') return false;
  const synAck = ps.find((q) => q.from === me && (q.flags & (SYN | ACK)) === (SYN | ACK));
  if (!synAck || p.seq !== (synAck.seq + 1) >>> 0) return false;
  let ackAt = -1;
  for (let k = i - 1; k >= 0; k--) {
    const q = ps[k];
    if (q.from === me) {
      if (!(q.flags & SYN) || q.len > 0) return false;
      break;
    }
    if (ackAt < 0) ackAt = k;
  }
  if (ackAt < 0) return false;
  const a = ps[ackAt];
  return (a.flags & (SYN | RST | FIN | ACK)) === ACK && a.ack === p.seq;
}

/** Packet i is the handshake ACK a listener refused with the RST right after it (refusesHandshakeAck). */
export function refusedHandshakeAck(t: ConnTimeline, i: number): boolean {
  const ps = t.packets;
  for (let k = i + 1; k < ps.length; k++) if (ps[k].from !== ps[i].from) return refusesHandshakeAck(t, k);
  return false;
}

/**
 * The SYN+ACK (index) of a passive opener that acknowledged its peer's SYN and the data it
 * carried (ISN + 1 + len, RFC 7413): a Fast Open server, whose accept() returns then, before the
 * handshake's ACK (Linux queues the child at once). -1 when there is none.
 */
export function fastOpenSynAck(t: ConnTimeline): number {
  const ps = t.packets;
  const syn = ps.find((q) => (q.flags & (SYN | ACK)) === SYN && q.len > 0);
  if (!syn) return -1;
  return ps.findIndex(
    (q) =>
      q.from !== syn.from &&
      t.initial[q.from] === 'LISTEN' &&
      (q.flags & (SYN | ACK)) === (SYN | ACK) &&
      q.ack === (syn.seq + 1 + syn.len) >>> 0,
  );
}

/**
 * The socket calls a packet's state changes imply, as "client: connect() returns". `fastOpen`:
 * fastOpenSynAck(t), found once per connection.
 */
function socketCalls(t: ConnTimeline, i: number, fastOpen: number): string[] {
  const p = t.packets[i];
  const out: string[] = [];
  if (i === fastOpen) out.push(`${p.from === 'orig' ? 'client' : 'server'}: accept() can return (Fast Open)`);
  for (const side of ['orig', 'resp'] as const) {
    const from = stateBefore(t, i, side);
    const to = p.states[side];
    if (from === to) continue;
    const who = side === 'orig' ? 'client' : 'server';
    const sender = p.from === side;
    // A source that sends only SYNs and never answers the SYN+ACK shows no application at all
    // (a spoofed source, PRODUCT.md): no connect() is implied.
    if (sender && from === 'CLOSED' && to === 'SYN_SENT') {
      if (!(side === 'orig' && silentClient(t) && t.packets.some((q) => q.from === 'resp' && q.flags & SYN)))
        out.push(`${who}: connect()`);
    } else if (from === 'SYN_SENT' && to === 'ESTABLISHED') out.push(`${who}: connect() returns`);
    // accept() only for a passive opener; in a simultaneous open SYN_RECEIVED ends connect().
    else if (from === 'SYN_RECEIVED' && to === 'ESTABLISHED') {
      // A handshake ACK the listener refuses at once (full accept queue) is never accept()ed.
      if (t.initial[side] !== 'LISTEN') out.push(`${who}: connect() returns`);
      // The connection enters the accept queue: accept() returns it whenever the application calls it.
      else if (!refusedHandshakeAck(t, i) && fastOpen < 0) out.push(`${who}: accept() can return`);
    } else if (sender && (p.flags & FIN) !== 0 && (from === 'ESTABLISHED' || from === 'CLOSE_WAIT'))
      out.push(`${who}: close()`);
    else if (
      sender &&
      (p.flags & RST) !== 0 &&
      to === 'CLOSED' &&
      from !== 'SYN_SENT' &&
      !afterKeepAlives(t, i) &&
      !refusesHandshakeAck(t, i)
    )
      out.push(`${who}: close(), SO_LINGER 0`);
  }
  return out;
}

/**
 * Two consecutive segments from opposite sides were in flight at once when the second does not
 * acknowledge what the first carried: SYNs always, FINs when the second followed the first within
 * the handshake's round trip: the picture draws them crossing.
 */
function crossings(t: ConnTimeline): boolean[] {
  const ps = t.packets;
  const out = new Array<boolean>(ps.length).fill(false);
  const rttUs = t.record?.rtt?.handshake !== undefined ? t.record.rtt.handshake * 1e6 : 0;
  for (let i = 0; i + 1 < ps.length; i++) {
    const a = ps[i];
    const b = ps[i + 1];
    if (a.from === b.from || segmentSpace(a) === 0 || segmentSpace(b) === 0) continue;
    if (a.arrived === false || b.arrived === false) continue;
    const synAcks = (a.flags & (SYN | ACK)) === (SYN | ACK) && (b.flags & (SYN | ACK)) === (SYN | ACK);
    // Two SYN+ACKs of a simultaneous open each acknowledge the other's SYN, not the other SYN+ACK.
    if (!synAcks && (b.flags & ACK) !== 0 && ((b.ack - a.seq - segmentSpace(a)) | 0) >= 0) continue;
    const bothSyn = (a.flags & (SYN | ACK)) === SYN && (b.flags & (SYN | ACK)) === SYN;
    const bothFin = (a.flags & FIN) !== 0 && (b.flags & FIN) !== 0;
    // Two SYNs, or two SYN+ACKs, from opposite sides always crossed (a SYN that had arrived is
    // answered with a SYN+ACK, a SYN+ACK with an ACK, §3.10.7.3–§3.10.7.4); FINs only within
    // the round trip.
    if (bothSyn || synAcks || (bothFin && (rttUs === 0 || b.timeUs - a.timeUs < rttUs))) out[i] = true;
  }
  return out;
}

/**
 * Which numbers of each packet lie outside their owner's current incarnation (old-duplicate-syn):
 * ISN + 1 of a SYN of its that a SYN under a new ISN replaced, and what it rejects from SYN_SENT
 * with a RST <SEQ=SEG.ACK> (RFC 9293 §3.10.7.3: an acknowledgment of a SYN it did not send now),
 * wherever they are not its current ISN + 1: a RST's SEQ, an ACK field.
 */
function foreignNumbers(t: ConnTimeline): { seq: boolean; ack: boolean }[] {
  const ps = t.packets;
  const rejected = { orig: new Set<number>(), resp: new Set<number>() };
  for (const p of ps) {
    if (p.flags & RST && !(p.flags & ACK) && p.states[p.from] === 'SYN_SENT') rejected[p.from].add(p.seq);
  }
  const current: { orig?: number; resp?: number } = {};
  const old = { orig: new Set<number>(), resp: new Set<number>() };
  const foreign = (side: 'orig' | 'resp', v: number) => {
    const c = current[side];
    return c !== undefined && v !== (c + 1) >>> 0 && (old[side].has(v) || rejected[side].has(v));
  };
  return ps.map((p) => {
    if (p.flags & SYN) {
      const c = current[p.from];
      if (c !== undefined && c !== p.seq) old[p.from].add((c + 1) >>> 0);
      current[p.from] = p.seq;
    }
    const peer = p.from === 'orig' ? 'resp' : 'orig';
    return {
      seq: (p.flags & RST) !== 0 && foreign(p.from, p.seq),
      ack: (p.flags & ACK) !== 0 && foreign(peer, p.ack),
    };
  });
}

function gapText(us: number, after: ConnTimeline['packets'][number]): string {
  const why = isRetransmission(after.tags)
    ? ', RTO'
    : after.tags.includes('keep-alive')
      ? ', keep-alive timer'
      : after.tags.includes('zero-window-probe') || after.tags.includes('window-probe')
        ? ', persist timer'
        : '';
  return `⋯ ${formatDuration(us)}${why} ⋯`;
}

export function buildLadder(t: ConnTimeline, opts: LadderOptions = {}): LadderModel {
  const foldMin = opts.foldMin ?? 8;
  const keep = opts.keep ?? 2;
  const ps = t.packets;
  const t0 = ps.length > 0 ? ps[0].timeUs : 0;
  const unanswered = findUnanswered(t);
  const labels = opts.symbolic ? symbolicLabels(t) : undefined;
  const absolute = foreignNumbers(t);
  const crossing = crossings(t);
  const gapUs = opts.gapUs ?? 200_000;
  const rows: LadderRow[] = [];
  const marks = { lost: false, unanswered: false, undecided: false, dropped: false };
  const fastOpen = fastOpenSynAck(t);

  const arrow = (i: number): LadderArrow => {
    const p = ps[i];
    const a: LadderArrow = {
      kind: 'arrow',
      index: i,
      frame: p.frame,
      relUs: p.timeUs - t0,
      from: p.from,
      label: (labels ? labels[i] : packetLabel(p, absolute[i])) + fastOpenOption(p),
      tags: p.tags,
      lost: p.lost === true,
      undecided: p.lost !== true && p.arrived === null,
      unanswered: unanswered[i],
      calls: socketCalls(t, i, fastOpen),
      crossesNext: crossing[i],
    };
    // Beside its receiver, a segment that never reached the receiver's TCP was dropped on arrival.
    if (a.lost && t.tap === (p.from === 'orig' ? 'resp' : 'orig')) marks.dropped = true;
    else if (a.lost) marks.lost = true;
    else if (a.unanswered) marks.unanswered = true;
    if (a.undecided) marks.undecided = true;
    if (p.states.orig !== stateBefore(t, i, 'orig')) a.orig = p.states.orig;
    if (p.states.resp !== stateBefore(t, i, 'resp')) a.resp = p.states.resp;
    return a;
  };

  const foldable = (k: number) =>
    isFoldable(t, k) && !unanswered[k] && !crossing[k] && !(k > 0 && crossing[k - 1]);
  /** A gap row before packet k when the capture pauses long enough. */
  const gapBefore = (k: number) => {
    if (k === 0) return;
    const us = ps[k].timeUs - ps[k - 1].timeUs;
    if (us >= gapUs) rows.push({ kind: 'gap', us, text: gapText(us, ps[k]) });
  };
  /** A run may be folded only where no gap falls inside it. */
  const pauses = (k: number) => k > 0 && ps[k].timeUs - ps[k - 1].timeUs >= gapUs;
  let i = 0;
  while (i < ps.length) {
    if (opts.all || !foldable(i)) {
      gapBefore(i);
      rows.push(arrow(i));
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < ps.length && foldable(j + 1) && !pauses(j + 1)) j++;
    gapBefore(i);
    const run = j - i + 1;
    if (run >= foldMin && run - 2 * keep >= 2) {
      for (let k = i; k < i + keep; k++) rows.push(arrow(k));
      rows.push(foldRow(t, i + keep, j - keep, t0));
      for (let k = j - keep + 1; k <= j; k++) rows.push(arrow(k));
    } else {
      for (let k = i; k <= j; k++) rows.push(arrow(k));
    }
    i = j + 1;
  }

  const last = ps.length > 0 ? ps[ps.length - 1].states : t.initial;
  const final = { orig: last.orig, resp: last.resp };
  const footer: string[] = [];
  const rec = t.record;
  if (rec) {
    for (const side of ['orig', 'resp'] as const) {
      const seq = rec.states[side];
      if (final[side] === 'TIME_WAIT' && seq[seq.length - 1] === 'CLOSED') {
        // The record does not say whether the timer ran out or a new SYN took the port pair over.
        footer.push(
          `TIME_WAIT over: ${side === 'orig' ? 'client' : 'server'} CLOSED (timer, or reused by a new SYN)`,
        );
        final[side] = 'CLOSED';
      }
    }
  }
  return {
    id: t.id,
    client: t.orig,
    server: t.resp,
    initial: { ...t.initial },
    rows,
    final,
    footer,
    marks,
    symbolic: opts.symbolic === true,
  };
}

export function endpointText(e: TimelineEndpoint): string {
  return ipPort(e.ip, e.port);
}
