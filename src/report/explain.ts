// The story of one connection in words (`synack explain`), one short paragraph per step, with
// this capture's numbers: who sent what, which state each endpoint moved to and why (the
// RFC 9293 transition of src/tcp/transitions.ts), what each analysis event means. The words
// live in phrasebooks (explain-en.ts, explain-zh.ts) keyed by transition and event kind; this
// file decides what to say and gathers the numbers. Pure: returns paragraphs.

import { type StateName, stateFromName, TcpState } from '../tcp/state.js';
import { EVENT_NAMES, findTransition, TcpEvent, TRANSITIONS, type Transition } from '../tcp/transitions.js';
import type { EventKind } from '../track/kinds.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';
import { EN } from './explain-en.js';
import type {
  DataRunCtx,
  EventCtx,
  Lang,
  Phrasebook,
  TransitionCtx,
  TransitionKey,
} from './explain-phrasebook.js';
import { ZH } from './explain-zh.js';
import { isRetransmission, RUN_TAGS } from './ladder-model.js';
import {
  type ConnTimeline,
  flagWords,
  formatDuration,
  formatSeconds,
  otherSide,
  segmentSpace,
  stateBefore,
  type TimelinePacket,
} from './timeline.js';

export type { Lang, Phrasebook, TransitionKey } from './explain-phrasebook.js';

export function transitionKey(t: Pick<Transition, 'from' | 'event' | 'to'>): TransitionKey {
  return `${stateNameOf(t.from)} ${EVENT_NAMES[t.event]} ${stateNameOf(t.to)}`;
}

function stateNameOf(s: TcpState): StateName {
  return TcpState[s] as StateName;
}

export interface ExplainOptions {
  lang?: Lang;
  /** TIME_WAIT duration in seconds (`--time-wait`, default 60). */
  timeWaitS?: number;
}

/**
 * Which row of the transition table explains `from` → `to` for the endpoint that sent (or
 * received) this packet. Undefined when no row fits (the tracker placed an UNKNOWN endpoint).
 */
export function transitionFor(
  from: StateName,
  to: StateName,
  p: TimelinePacket,
  isSender: boolean,
  passive: boolean,
): Transition | undefined {
  const f = stateFromName(from);
  const t = stateFromName(to);
  if (f === undefined || t === undefined) return undefined;
  const events: TcpEvent[] = [];
  if (isSender) {
    if (p.flags & RST) events.push(TcpEvent.ABORT);
    else if (p.flags & SYN && !(p.flags & ACK)) events.push(TcpEvent.OPEN_ACTIVE);
    else if (p.flags & FIN) events.push(TcpEvent.CLOSE);
    // A sender also moves on what it received before (the tracker may show it at its own segment).
    events.push(TcpEvent.RCV_SYN_ACK, TcpEvent.RCV_ACK_OF_SYN, TcpEvent.RCV_ACK_OF_FIN, TcpEvent.RCV_FIN);
  } else {
    if (p.flags & RST) events.push(TcpEvent.RCV_RST);
    else if (p.flags & SYN && p.flags & ACK) events.push(TcpEvent.RCV_SYN_ACK);
    else if (p.flags & SYN) events.push(TcpEvent.RCV_SYN, TcpEvent.RCV_SYN_REUSE);
    if (p.flags & FIN) events.push(TcpEvent.RCV_FIN_ACK_OF_FIN, TcpEvent.RCV_FIN);
    if (p.flags & ACK) events.push(TcpEvent.RCV_ACK_OF_SYN, TcpEvent.RCV_ACK_OF_FIN);
  }
  for (const e of events) {
    const row = findTransition(f, e, passive);
    if (row && row.to === t) return row;
  }
  return TRANSITIONS.find((r) => r.from === f && r.to === t);
}

function roleParts(role: string): { kind: string; step: number; of: number } {
  const m = /^(\w+)(?: (\d+)\/(\d+))?$/.exec(role);
  if (!m) return { kind: role, step: 0, of: 0 };
  return { kind: m[1], step: m[2] ? Number(m[2]) : 0, of: m[3] ? Number(m[3]) : 0 };
}

export function explainConnection(t: ConnTimeline, book: Phrasebook, opts: ExplainOptions = {}): string[] {
  const lang = book.lang;
  const timeWait = formatDuration((opts.timeWaitS ?? 60) * 1_000_000, lang);
  const ps = t.packets;
  const out: string[] = [];
  const t0 = ps.length > 0 ? ps[0].timeUs : 0;
  const rel = (p: TimelinePacket) => formatSeconds(p.timeUs - t0);
  const passive = { orig: t.initial.orig === 'LISTEN', resp: t.initial.resp === 'LISTEN' };
  // Highest sequence number sent so far by each side (relative), for probes and keep-alives.
  const sentTo = { orig: 0, resp: 0 };
  const isn = { orig: 0, resp: 0 };
  const lastAckFrom = { orig: -1, resp: -1 };

  out.push(
    book.intro({
      id: t.id,
      client: `${t.orig.ip}:${t.orig.port}`,
      server: `${t.resp.ip}:${t.resp.port}`,
      packets: ps.length,
      duration: formatDuration(ps.length > 0 ? ps[ps.length - 1].timeUs - t0 : 0, lang),
      initial: t.initial,
    }),
  );

  const eventCtx = (i: number, kind: EventKind, count: number): EventCtx => {
    const p = ps[i];
    const c: EventCtx = { who: p.from, frame: p.frame, time: rel(p), count, len: p.len };
    if (isRetransmission([kind])) {
      for (let j = i - 1; j >= 0; j--) {
        const q = ps[j];
        if (q.from === p.from && q.relSeq === p.relSeq && segmentSpace(q) > 0) {
          c.since = formatDuration(p.timeUs - q.timeUs, lang);
          c.afterSyn = (q.flags & (SYN | ACK)) === SYN;
        }
      }
    }
    if (kind === 'rst-suspect-forged' && p.ttl !== undefined) {
      c.ttl = p.ttl;
      const others = new Set<number>();
      for (const q of ps) if (q !== p && q.from === p.from && q.ttl !== undefined) others.add(q.ttl);
      c.otherTtls = [...others].sort((a, b) => a - b);
      const expected = lastAckFrom[otherSide(p.from)];
      c.exactSeq = expected >= 0 && expected === p.relSeq;
    }
    if (
      kind === 'window-probe' ||
      kind === 'zero-window-probe' ||
      kind === 'keep-alive' ||
      kind === 'rst-challenge-ack'
    ) {
      c.belowSent = ((sentTo[p.from] - 1 - p.relSeq) | 0) === 0;
      c.intoZeroWindow = kind === 'keep-alive' && p.tags.includes('window-probe');
    }
    return c;
  };

  let i = 0;
  while (i < ps.length) {
    const p = ps[i];
    const simple =
      (p.role === 'data' || p.role === 'ack') &&
      !(p.flags & (SYN | FIN | RST)) &&
      !p.lost &&
      p.states.orig === stateBefore(t, i, 'orig') &&
      p.states.resp === stateBefore(t, i, 'resp') &&
      p.tags.every((k) => RUN_TAGS.has(k));
    if (simple) {
      // A run of ordinary data and ACKs: one paragraph, with a sentence per kind of event in it.
      let j = i;
      const counts = new Map<EventKind, { n: number; first: number }>();
      const run: DataRunCtx = {
        time: rel(p),
        duration: '',
        segments: { orig: 0, resp: 0 },
        bytes: { orig: 0, resp: 0 },
        acks: 0,
        acksBy: { orig: 0, resp: 0 },
      };
      for (;;) {
        const q = ps[j];
        if (q.len > 0) {
          run.segments[q.from]++;
          run.bytes[q.from] += q.len;
        } else {
          run.acks++;
          run.acksBy[q.from]++;
        }
        for (const k of q.tags) {
          const c = counts.get(k);
          if (c) c.n++;
          else counts.set(k, { n: 1, first: j });
        }
        track(q);
        const n = ps[j + 1];
        if (
          !n ||
          !(
            (n.role === 'data' || n.role === 'ack') &&
            !(n.flags & (SYN | FIN | RST)) &&
            !n.lost &&
            n.states.orig === q.states.orig &&
            n.states.resp === q.states.resp &&
            n.tags.every((k) => RUN_TAGS.has(k))
          )
        )
          break;
        j++;
      }
      run.duration = j > i ? formatDuration(ps[j].timeUs - p.timeUs, lang) : '';
      const sentences = [book.dataRun(run)];
      for (const [k, c] of counts) sentences.push(book.events[k](eventCtx(c.first, k, c.n)));
      out.push(sentences.join(book.joiner));
      i = j + 1;
      continue;
    }

    const r = roleParts(p.role);
    if (p.flags & SYN) isn[p.from] = p.seq;
    const sentences: string[] = [
      book.segment({
        time: rel(p),
        frame: p.frame,
        who: p.from,
        flags: flagWords(p.flags),
        syn: (p.flags & SYN) !== 0,
        fin: (p.flags & FIN) !== 0,
        rst: (p.flags & RST) !== 0,
        ack: (p.flags & ACK) !== 0,
        relSeq: p.relSeq,
        relAck: p.relAck,
        seq: p.seq,
        ack_: p.ack,
        len: p.len,
        roleKind: r.kind,
        step: r.step,
        of: r.of,
        peerIsn: isn[otherSide(p.from)],
        refusal:
          (p.flags & RST) !== 0 &&
          stateBefore(t, i, otherSide(p.from)) === 'SYN_SENT' &&
          ['CLOSED', 'LISTEN', 'UNKNOWN'].includes(stateBefore(t, i, p.from)),
        again:
          (p.flags & SYN) !== 0 &&
          p.tags.some((k) => k === 'syn-retransmission' || k === 'synack-retransmission') &&
          ps
            .slice(0, i)
            .some((q) => q.from === p.from && q.flags & SYN && (q.flags & ACK) === (p.flags & ACK)),
        forged: (p.flags & RST) !== 0 && p.tags.includes('rst-suspect-forged'),
      }),
    ];
    // The sender's own move first (it acts as it sends), then whether the segment arrived, then
    // the receiver's move.
    for (const side of [p.from, otherSide(p.from)] as const) {
      if (side !== p.from && p.lost) sentences.push(book.lost({ who: p.from }));
      const from = stateBefore(t, i, side);
      const to = p.states[side];
      if (from === to) continue;
      const row = transitionFor(from, to, p, side === p.from, passive[side]);
      const ctx: TransitionCtx = { who: side, from, to, timeWait };
      if ((p.flags & (SYN | ACK)) === (SYN | ACK) && side !== p.from) ctx.synAck = true;
      const say = row ? book.transitions[transitionKey(row)] : undefined;
      sentences.push(say ? say(ctx) : book.placed(ctx));
    }
    for (const k of p.tags) sentences.push(book.events[k](eventCtx(i, k, 1)));
    out.push(sentences.join(book.joiner));
    track(p);
    i++;
  }

  function track(q: TimelinePacket): void {
    const end = (q.relSeq + segmentSpace(q)) | 0;
    if (((end - sentTo[q.from]) | 0) > 0) sentTo[q.from] = end;
    if (q.flags & ACK) lastAckFrom[q.from] = q.relAck;
  }

  const last = ps.length > 0 ? ps[ps.length - 1].states : t.initial;
  const rec = t.record;
  const ranOut = { orig: false, resp: false };
  for (const side of ['orig', 'resp'] as const) {
    const seq = rec?.states[side];
    if (last[side] === 'TIME_WAIT' && seq && seq[seq.length - 1] === 'CLOSED') {
      ranOut[side] = true;
      out.push(book.timeWaitExpired({ who: side, timeWait }));
    }
  }
  out.push(
    book.summary({
      handshake: rec?.handshake,
      close: rec?.close,
      reset: rec?.reset,
      final: { orig: ranOut.orig ? 'CLOSED' : last.orig, resp: ranOut.resp ? 'CLOSED' : last.resp },
      timeWait,
      timeWaitRanOut: ranOut,
      connState: rec?.conn_state,
      history: rec?.history,
      rtt:
        rec?.rtt?.handshake !== undefined
          ? formatDuration(Math.round(rec.rtt.handshake * 1e6), lang)
          : undefined,
    }),
  );
  return out;
}

export const PHRASEBOOKS: Record<Lang, Phrasebook> = { en: EN, zh: ZH };

/** The story of `t` in `opts.lang` (English by default): one paragraph per step. */
export function explain(t: ConnTimeline, opts: ExplainOptions = {}): string[] {
  return explainConnection(t, PHRASEBOOKS[opts.lang ?? 'en'], opts);
}
