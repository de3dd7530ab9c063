// What the ladder (sequence) diagram of one connection shows, independent of how it is drawn:
// one arrow per packet with its label, each endpoint's state where it changes, lost and
// unanswered segments, and long runs of ordinary data/ACK segments folded into one summary.
// ladder-text.ts and ladder-svg.ts draw this model; the web UI reuses ladder-svg.ts.

import type { StateName } from '../tcp/state.js';
import type { EventKind } from '../track/kinds.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';
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
  /** Sent again later before anything acknowledged it: lost on the way, or its answer was. */
  unanswered: boolean;
  /** New state of an endpoint after this packet, when it changed. */
  orig?: StateName;
  resp?: StateName;
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

export type LadderRow = LadderArrow | LadderFold;

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
  marks: { lost: boolean; unanswered: boolean };
}

export interface LadderOptions {
  /** Draw every packet (no folding). */
  all?: boolean;
  /** A run of at least this many ordinary segments is folded (keeping `keep` at each end). */
  foldMin?: number;
  keep?: number;
}

/**
 * Tags that leave a data/ACK segment part of an ordinary run: the ladder folds it into the run,
 * the explanation (explain.ts) gives it no paragraph of its own.
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

/** "SYN seq=0", "ACK seq=1 ack=1", "PSH+ACK seq=1 ack=1 len=18 win=0". */
export function packetLabel(p: ConnTimeline['packets'][number]): string {
  let s = `${flagWords(p.flags)} seq=${p.relSeq}`;
  if (p.flags & ACK) s += ` ack=${p.relAck}`;
  if (p.len > 0) s += ` len=${p.len}`;
  if (p.win === 0 && !(p.flags & RST)) s += ' win=0';
  return s;
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
  return p.tags.every((k) => RUN_TAGS.has(k));
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

export function buildLadder(t: ConnTimeline, opts: LadderOptions = {}): LadderModel {
  const foldMin = opts.foldMin ?? 8;
  const keep = opts.keep ?? 2;
  const ps = t.packets;
  const t0 = ps.length > 0 ? ps[0].timeUs : 0;
  const unanswered = findUnanswered(t);
  const rows: LadderRow[] = [];
  const marks = { lost: false, unanswered: false };

  const arrow = (i: number): LadderArrow => {
    const p = ps[i];
    const a: LadderArrow = {
      kind: 'arrow',
      index: i,
      frame: p.frame,
      relUs: p.timeUs - t0,
      from: p.from,
      label: packetLabel(p),
      tags: p.tags,
      lost: p.lost === true,
      unanswered: unanswered[i],
    };
    if (a.lost) marks.lost = true;
    else if (a.unanswered) marks.unanswered = true;
    if (p.states.orig !== stateBefore(t, i, 'orig')) a.orig = p.states.orig;
    if (p.states.resp !== stateBefore(t, i, 'resp')) a.resp = p.states.resp;
    return a;
  };

  let i = 0;
  while (i < ps.length) {
    if (opts.all || !isFoldable(t, i)) {
      rows.push(arrow(i));
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < ps.length && isFoldable(t, j + 1)) j++;
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
  };
}

export function endpointText(e: TimelineEndpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}
