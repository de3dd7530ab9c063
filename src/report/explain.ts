// The story of one connection (`synack explain`, `--json`): first as data — one step per
// segment (or run of ordinary data), each with who acted, both endpoints' states after it, what
// kind of step it is and the capture's evidence for it (whether it arrived, which copy the peer
// answered and how soon), plus findings about the whole connection (who closed first, a lost
// SYN and the kernel's retry budget, an old duplicate SYN, TIME_WAIT) — then rendered into
// English or Chinese from that data by a phrasebook (explain-en.ts, explain-zh.ts). The states
// and arrival are the tracker's (or the lab's truth): this file never infers them, it only says
// what they mean (RFC 9293 transitions of src/tcp/transitions.ts). Pure: no I/O.

import { isSynchronized, type StateName, stateFromName, TcpState } from '../tcp/state.js';
import { EVENT_NAMES, findTransition, TcpEvent, TRANSITIONS, type Transition } from '../tcp/transitions.js';
import type { EventKind } from '../track/kinds.js';
import { ACK, FIN, RST, SYN } from '../wire/packet.js';
import { EN } from './explain-en.js';
import type {
  Actor,
  DataRunCtx,
  EventCtx,
  FindingCtx,
  FindingKind,
  IntroCtx,
  Lang,
  LostCtx,
  NoteCtx,
  NoteKey,
  Phrasebook,
  RstReading,
  SegmentCtx,
  SocketCall,
  SocketCtx,
  StepEvidence,
  StepKind,
  Story,
  StoryStep,
  SummaryCtx,
  TimeWaitEndCtx,
  TransitionCtx,
  TransitionKey,
} from './explain-types.js';
import { ZH } from './explain-zh.js';
import {
  fastOpenSynAck,
  isRetransmission,
  RUN_TAGS,
  refusedHandshakeAck,
  refusesHandshakeAck,
} from './ladder-model.js';
import { type SynQueueContext, silentClient } from './syn-queue-context.js';
import {
  type ConnTimeline,
  flagWords,
  formatDuration,
  formatSeconds,
  otherSide,
  type Side,
  segmentSpace,
  stateBefore,
  type TimelinePacket,
} from './timeline.js';

// The story's types and the phrasebook interface live in explain-types.ts (the phrasebooks
// import them without importing this file); re-exported for the commands and the web UI.
export type * from './explain-types.js';

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
  /**
   * The next connection on the same 4-tuple in the capture, if any: when a side's TIME_WAIT ends
   * within the capture, it says what ended it (a new SYN) and bounds the host's TIME_WAIT.
   */
  next?: { id: number; timeUs: number };
  /** The listener's SYN flood, from the capture's other connections (syn-queue-context.ts). */
  synQueue?: SynQueueContext;
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

export const actorOf = (s: Side): Actor => (s === 'orig' ? 'client' : 'server');

/** The tracker's (or the lab's) word on a packet's arrival: false lost, true known, null presumed/unknown. */
export function arrivalOf(p: TimelinePacket): boolean | null {
  if (p.arrived !== undefined) return p.arrived;
  return p.lost ? false : null;
}

/** One sentence to say, language-neutral: rendered by a phrasebook. */
type Sentence =
  | { s: 'segment'; c: SegmentCtx }
  | { s: 'transition'; key: TransitionKey | undefined; c: TransitionCtx }
  | { s: 'event'; kind: EventKind; c: EventCtx }
  | { s: 'note'; key: NoteKey; c: NoteCtx }
  | { s: 'lost'; c: LostCtx }
  | { s: 'run'; c: DataRunCtx }
  | { s: 'socket'; c: SocketCtx }
  | { s: 'tw-end'; c: TimeWaitEndCtx };

interface StepData extends Omit<StoryStep, 'text'> {
  says: Sentence[];
}

interface FindingData {
  kind: FindingKind;
  frames: number[];
  c: FindingCtx;
}

/** The language-neutral story: steps with the sentences to say, findings, summary and intro facts. */
export interface StoryData {
  conn: number;
  intro: IntroCtx;
  steps: StepData[];
  findings: FindingData[];
  summary: SummaryCtx;
}

/** RFC 9293's synchronized states (ESTABLISHED … TIME_WAIT), by name. */
function synchronized(s: StateName): boolean {
  const v = stateFromName(s);
  return v !== undefined && isSynchronized(v);
}

/** Does `q` (from the other side) acknowledge everything `p` sent? */
function acks(q: TimelinePacket, p: TimelinePacket): boolean {
  return (q.flags & ACK) !== 0 && ((q.relAck - p.relSeq - segmentSpace(p)) | 0) >= 0;
}

/** Builds the story's facts from a timeline (the tracker's or the lab's). */
export function storyData(t: ConnTimeline, opts: ExplainOptions = {}, lang: Lang = 'en'): StoryData {
  const timeWait = formatDuration((opts.timeWaitS ?? 60) * 1_000_000, lang);
  const ps = t.packets;
  const t0 = ps.length > 0 ? ps[0].timeUs : 0;
  const rel = (p: TimelinePacket) => formatSeconds(p.timeUs - t0);
  const dur = (us: number) => formatDuration(us, lang);
  const passive = { orig: t.initial.orig === 'LISTEN', resp: t.initial.resp === 'LISTEN' };
  const sentTo = { orig: 0, resp: 0 };
  const isn: { orig?: number; resp?: number } = {};
  // Data each side's first SYN carried (TCP Fast Open, RFC 7413; RFC 9293 §3.4 allows it).
  const synData = { orig: 0, resp: 0 };
  for (const side of ['orig', 'resp'] as const) {
    const syn = ps.find((q) => q.from === side && (q.flags & (SYN | ACK)) === SYN);
    if (syn) synData[side] = syn.len;
  }
  const lastAckFrom = { orig: -1, resp: -1 };
  const everSynchronized = { orig: false, resp: false };
  const steps: StepData[] = [];
  const findings: FindingData[] = [];
  const rec = t.record;
  const simultaneousClose = rec?.close === 'both' || ps.some((p) => p.tags.includes('simultaneous-close'));
  const simultaneousOpen = ps.some((p) => p.tags.includes('simultaneous-open'));

  /** The previous copy of p (same sender, same first sequence number, consuming sequence space). */
  const copies = (i: number): number[] => {
    const p = ps[i];
    const out: number[] = [];
    for (let j = 0; j < i; j++) {
      const q = ps[j];
      if (
        q.from === p.from &&
        q.relSeq === p.relSeq &&
        segmentSpace(q) > 0 &&
        (q.flags & SYN) === (p.flags & SYN)
      )
        out.push(j);
    }
    return out;
  };

  const retransmissionOf = (i: number): StepEvidence['retransmission'] => {
    const p = ps[i];
    if (!isRetransmission(p.tags)) return undefined;
    const before = copies(i);
    if (before.length === 0) return undefined;
    const first = ps[before[0]];
    const prev = ps[before[before.length - 1]];
    return {
      first: first.frame,
      previous: prev.frame,
      copy: before.length + 1,
      after_us: p.timeUs - prev.timeUs,
      since_first_us: p.timeUs - first.timeUs,
    };
  };

  /** The peer's first segment acknowledging p (a SYN+ACK or RST for a SYN), and which copy of p it followed. */
  const answerOf = (i: number): { j: number; copy: number } | undefined => {
    const p = ps[i];
    if (segmentSpace(p) === 0 || p.flags & RST) return undefined;
    for (let j = i + 1; j < ps.length; j++) {
      const q = ps[j];
      if (q.from === p.from) continue;
      if (!acks(q, p)) continue;
      // The latest copy of p sent before the answer.
      let copy = i;
      for (let k = i + 1; k < j; k++) {
        const r = ps[k];
        if (
          r.from === p.from &&
          r.relSeq === p.relSeq &&
          (r.flags & SYN) === (p.flags & SYN) &&
          segmentSpace(r) > 0
        )
          copy = k;
      }
      return { j, copy };
    }
    return undefined;
  };

  const eventCtx = (i: number, kind: EventKind, count: number): EventCtx => {
    const p = ps[i];
    const c: EventCtx = { who: p.from, frame: p.frame, time: rel(p), count, len: p.len };
    if (isRetransmission([kind])) {
      const r = retransmissionOf(i);
      if (r) {
        // Two copies in the same instant (a timer and an answer): the gap that means something is to the first.
        c.since = dur(r.after_us < 1000 ? r.since_first_us : r.after_us);
        c.copy = r.copy;
        if (r.copy > 2) c.sinceFirst = dur(r.since_first_us);
      }
      for (let j = i - 1; j >= 0; j--) {
        const q = ps[j];
        if (q.from === p.from && q.seq === p.seq && segmentSpace(q) > 0) {
          c.afterSyn = (q.flags & (SYN | ACK)) === SYN;
          if (c.since === undefined) c.since = dur(p.timeUs - q.timeUs);
          break;
        }
      }
    }
    if (kind === 'rst-out-of-window') c.toListener = p.states[otherSide(p.from)] === 'LISTEN';
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

  const statesAfter = (i: number) => ({
    client: ps[i].states.orig,
    server: ps[i].states.resp,
  });

  /** The ISNs of `side`'s SYNs and SYN+ACKs before frame index `i`, distinct, in order. */
  const isnsBefore = (side: Side, i: number): number[] => {
    const out: number[] = [];
    for (let j = 0; j < i; j++) {
      const q = ps[j];
      if (q.from === side && q.flags & SYN && !out.includes(q.seq)) out.push(q.seq);
    }
    return out;
  };

  /**
   * What an acknowledgment Wireshark calls "of unseen bytes" really acknowledges once a side's
   * sequence space restarted (a SYN under a new ISN): 'old', an earlier SYN (or one the peer
   * never sent now), from an endpoint still in SYN_RECEIVED for it; 'new', the peer's new ISN,
   * which Wireshark counts from the old one. Undefined otherwise: a real gap.
   */
  const isnAckReading = (i: number): 'old' | 'new' | undefined => {
    const p = ps[i];
    if (!(p.flags & ACK) || p.flags & (SYN | RST)) return undefined;
    const peerIsns = isnsBefore(otherSide(p.from), i);
    if (peerIsns.length === 0) return undefined;
    const latest = peerIsns[peerIsns.length - 1];
    if (p.ack === (latest + 1) >>> 0) return peerIsns.length > 1 ? 'new' : undefined;
    return p.states[p.from] === 'SYN_RECEIVED' ? 'old' : undefined;
  };

  const isSimple = (i: number, prevStates: { orig: StateName; resp: StateName }) => {
    const n = ps[i];
    return (
      (n.role === 'data' || n.role === 'ack') &&
      !(n.flags & (SYN | FIN | RST)) &&
      arrivalOf(n) !== false &&
      n.states.orig === prevStates.orig &&
      n.states.resp === prevStates.resp &&
      n.tags.every((k) => RUN_TAGS.has(k)) &&
      !(n.tags.includes('dup-ack') && isTimeWaitReack(i)) &&
      !(n.tags.includes('acked-unseen-segment') && isnAckReading(i) !== undefined) &&
      !isSimultaneousOpenAck(i)
    );
  };

  /** A pure ACK, its sender's first segment after its SYN+ACK in a simultaneous open. */
  function isSimultaneousOpenAck(i: number): boolean {
    const p = ps[i];
    if (!simultaneousOpen || p.flags & (SYN | FIN | RST) || p.len > 0 || !(p.flags & ACK)) return false;
    for (let j = i - 1; j >= 0; j--) {
      const q = ps[j];
      if (q.from !== p.from) continue;
      return (q.flags & (SYN | ACK)) === (SYN | ACK);
    }
    return false;
  }

  /** An ACK from a TIME_WAIT (or LAST_ACK-acking) side answering the peer's retransmitted FIN. */
  function isTimeWaitReack(i: number): boolean {
    const p = ps[i];
    if (p.flags & (SYN | FIN | RST) || p.len > 0) return false;
    if (stateBefore(t, i, p.from) !== 'TIME_WAIT') return false;
    for (let j = i - 1; j >= 0; j--) {
      const q = ps[j];
      if (q.from === p.from) return false;
      if (q.flags & FIN) return isRetransmission(q.tags) || copies(j).length > 0;
    }
    return false;
  }

  let i = 0;
  while (i < ps.length) {
    const p = ps[i];
    const prevStates = { orig: stateBefore(t, i, 'orig'), resp: stateBefore(t, i, 'resp') };
    if (isSimple(i, prevStates)) {
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
      const frames: number[] = [];
      const tags = new Set<EventKind>();
      let arrived: boolean | null = true;
      for (;;) {
        const q = ps[j];
        frames.push(q.frame);
        if (q.len > 0) {
          run.segments[q.from]++;
          run.bytes[q.from] += q.len;
        } else {
          run.acks++;
          run.acksBy[q.from]++;
        }
        for (const k of q.tags) {
          tags.add(k);
          const c = counts.get(k);
          if (c) c.n++;
          else counts.set(k, { n: 1, first: j });
        }
        if (arrivalOf(q) === null) arrived = null;
        track(q);
        if (j + 1 >= ps.length || !isSimple(j + 1, q.states)) break;
        j++;
      }
      run.duration = j > i ? dur(ps[j].timeUs - p.timeUs) : '';
      const says: Sentence[] = [{ s: 'run', c: run }];
      for (const [k, c] of counts) says.push({ s: 'event', kind: k, c: eventCtx(c.first, k, c.n) });
      const senders = new Set(frames.map((_, k) => ps[i + k].from));
      steps.push({
        frame: p.frame,
        time: p.timeUs / 1e6,
        actor: senders.size === 1 ? actorOf(p.from) : null,
        states: statesAfter(j),
        kind: run.segments.orig + run.segments.resp > 0 ? 'data' : 'ack',
        evidence: { frames, tags: [...tags], arrived, moves: [], socket: [] },
        says,
      });
      i = j + 1;
      continue;
    }

    const r = roleParts(p.role);
    const me = p.from;
    const them = otherSide(me);
    const before = { me: stateBefore(t, i, me), them: stateBefore(t, i, them) };
    if (p.flags & SYN && isn[me] === undefined) isn[me] = p.seq;
    if (p.flags & SYN && isn[me] !== p.seq) isn[me] = p.seq;
    const arrived = arrivalOf(p);
    const says: Sentence[] = [];
    const evidence: StepEvidence = {
      frames: [p.frame],
      flags: flagWords(p.flags),
      seq: p.seq,
      ack: p.flags & ACK ? p.ack : undefined,
      rel_seq: p.relSeq,
      rel_ack: p.flags & ACK ? p.relAck : undefined,
      len: p.len,
      tags: [...p.tags],
      arrived,
      moves: [],
      socket: [],
    };
    // Beside its receiver, a segment the receiver never got reached its host: dropped on arrival.
    if (arrived === false && t.tap === them) evidence.dropped = true;
    const retrans = retransmissionOf(i);
    if (retrans) evidence.retransmission = retrans;
    const answer = answerOf(i);
    if (answer) {
      evidence.answered_by = {
        frame: ps[answer.j].frame,
        copy_frame: ps[answer.copy].frame,
        after_us: ps[answer.j].timeUs - ps[answer.copy].timeUs,
      };
    }

    // What this RST is: the reading decides the words (an abort, a refusal, an answer).
    let rstReading: RstReading | undefined;
    const forged = (p.flags & RST) !== 0 && p.tags.includes('rst-suspect-forged');
    const refusal =
      (p.flags & RST) !== 0 &&
      before.them === 'SYN_SENT' &&
      ['CLOSED', 'LISTEN', 'UNKNOWN'].includes(before.me) &&
      !everSynchronized[me];
    if (p.flags & RST) {
      if (forged) rstReading = 'forged';
      else if (refusal) rstReading = 'refusal';
      else if (before.me === 'SYN_SENT' && p.states[me] === 'SYN_SENT') rstReading = 'unacceptable-ack';
      // (Before no-connection: the tracker shows the listener CLOSED once it refused that ACK.)
      else if (refusesHandshakeAck(t, i)) rstReading = 'accept-overflow';
      else if (!synchronized(before.me) && before.me !== 'SYN_RECEIVED' && before.me !== 'SYN_SENT')
        rstReading = 'no-connection';
      else if (keepAlivesBefore(i) > 0) rstReading = 'keepalive-give-up';
      else rstReading = 'abort';
    }
    const prevPeer = ps
      .slice(0, i)
      .reverse()
      .find((q) => q.from === them);
    const likeNoConnection =
      rstReading === 'abort' &&
      !(p.flags & ACK) &&
      prevPeer !== undefined &&
      (prevPeer.flags & ACK) !== 0 &&
      segmentSpace(prevPeer) > 0 &&
      prevPeer.ack === p.seq;
    const peerIsn = isn[them];
    const isSynAck = (p.flags & (SYN | ACK)) === (SYN | ACK) && peerIsn !== undefined;
    // A SYN+ACK acknowledging the peer's SYN and the data it carried: the data was taken (Fast Open).
    const acksSynData =
      isSynAck && synData[them] > 0 && p.ack === (peerIsn! + 1 + synData[them]) >>> 0
        ? synData[them]
        : undefined;
    const ignoresSynData =
      isSynAck && synData[them] > 0 && p.ack === (peerIsn! + 1) >>> 0 ? synData[them] : undefined;
    const acksOtherSyn = isSynAck && p.ack !== (peerIsn! + 1) >>> 0 && acksSynData === undefined;
    // The segment an 'unacceptable-ack' RST answers: each answers one of the peer's segments
    // acknowledging its SEQ, in order (the n-th such RST the n-th such segment).
    let answered: TimelinePacket | undefined;
    if (rstReading === 'unacceptable-ack') {
      const same = (q: TimelinePacket) => q.from === me && (q.flags & RST) !== 0 && q.seq === p.seq;
      const nth = ps.slice(0, i).filter(same).length;
      const acking = (q: TimelinePacket) => q.from === them && (q.flags & ACK) !== 0 && q.ack === p.seq;
      answered = ps.slice(0, i).filter(acking)[nth];
    }
    const againSyn =
      (p.flags & SYN) !== 0 &&
      p.tags.some((k) => k === 'syn-retransmission' || k === 'synack-retransmission') &&
      ps
        .slice(0, i)
        .some(
          (q) => q.from === me && q.flags & SYN && (q.flags & ACK) === (p.flags & ACK) && q.seq === p.seq,
        );
    // In a simultaneous close both first FINs (and their copies) cross; "step N of 4" means nothing there.
    const crossingFin = (p.flags & FIN) !== 0 && simultaneousClose && ps[firstFin(me)]?.relSeq === p.relSeq;
    if (simultaneousClose && r.kind === 'teardown') r.of = 0;
    says.push({
      s: 'segment',
      c: {
        time: rel(p),
        frame: p.frame,
        who: me,
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
        peerIsn: isn[them] ?? 0,
        refusal,
        again: againSyn,
        forged,
        rstReading,
        crossingFin,
        likeNoConnection,
        refusedData: rstReading === 'accept-overflow' && prevPeer ? prevPeer.len : undefined,
        answersAck: answered !== undefined && (answered.flags & SYN) === 0,
        acksOtherSyn: acksOtherSyn,
        acksSynData,
        ignoresSynData,
        absAck: isnAckReading(i) === 'old',
        options: p.flags & SYN && !againSyn ? p.options : undefined,
        peerOptions:
          isSynAck && !againSyn
            ? ps.find((q) => q.from === them && (q.flags & (SYN | ACK)) === SYN)?.options
            : undefined,
      },
    });

    // The sender's own move first (it acts as it sends), then whether the segment arrived, then
    // the receiver's move.
    for (const side of [me, them] as const) {
      if (side === them) {
        if (arrived === false) says.push({ s: 'lost', c: lostCtx(i) });
        else if (arrived === null && p.states[them] === 'UNKNOWN' && before.them !== 'UNKNOWN')
          says.push({ s: 'note', key: 'arrival-unknown', c: { who: me } });
      }
      const from = stateBefore(t, i, side);
      const to = p.states[side];
      if (from === to) continue;
      evidence.moves.push({ side: actorOf(side), from, to });
      // A keep-alive verdict or a refused handshake ACK is the kernel's, not an application's
      // abort: the segment's sentence says it all (no "aborts", no SO_LINGER).
      if (side === me && (rstReading === 'keepalive-give-up' || rstReading === 'accept-overflow')) continue;
      if (side === them && from === 'SYN_RECEIVED' && to === 'CLOSED' && refusedHandshakeAck(t, i)) {
        says.push({ s: 'note', key: 'ack-refused', c: { who: side } });
        continue;
      }
      // Only a RST moves a synchronized receiver to CLOSED: any other segment did because it met
      // no connection there (the tracker reads that from the receiver's RST answering it at once).
      if (
        side === them &&
        to === 'CLOSED' &&
        (from === 'ESTABLISHED' || from === 'CLOSE_WAIT') &&
        !(p.flags & RST)
      ) {
        says.push({ s: 'note', key: 'met-no-connection', c: { who: side } });
        continue;
      }
      // The receiver closes on the peer's segment: its FIN had been waiting for the window, which
      // this segment opened (the tracker reads that from the FIN leaving at once after it).
      const queuedClose =
        side === them &&
        !(p.flags & RST) &&
        ((from === 'ESTABLISHED' && to === 'FIN_WAIT_1') || (from === 'CLOSE_WAIT' && to === 'LAST_ACK'));
      if (queuedClose) says.push({ s: 'note', key: 'fin-queued', c: { who: side } });
      const row = queuedClose ? undefined : transitionFor(from, to, p, side === me, passive[side]);
      const ctx: TransitionCtx = { who: side, from, to, timeWait };
      if ((p.flags & (SYN | ACK)) === (SYN | ACK) && side !== me) ctx.synAck = true;
      // The peer's crossing SYN+ACK took effect after this endpoint's own segment left (the tracker
      // shows the move there): it is still that SYN+ACK's doing.
      if (side === me && simultaneousOpen && from === 'SYN_RECEIVED' && to === 'ESTABLISHED')
        ctx.synAck = true;
      if (simultaneousClose && from === 'ESTABLISHED' && to === 'FIN_WAIT_1') ctx.simultaneous = true;
      if (!queuedClose) says.push({ s: 'transition', key: row ? transitionKey(row) : undefined, c: ctx });
      // Socket calls the move implies.
      const call = socketCall(side === me, from, to, passive[side]);
      // The handshake ACK a full accept queue refused is never accept()ed; a Fast Open server's
      // accept() returned at its SYN+ACK already.
      if (call === 'accept-returns' && (refusedHandshakeAck(t, i) || fastOpenSynAck(t) >= 0)) continue;
      if (call) {
        evidence.socket.push({ side: actorOf(side), call });
        says.push({ s: 'socket', c: { who: side, call } });
      }
    }
    if (p.flags & FIN && p.len > 0) says.push({ s: 'note', key: 'fin-with-data', c: { who: me } });
    if (isSimultaneousOpenAck(i)) says.push({ s: 'note', key: 'simultaneous-open-ack', c: { who: me } });

    // Events, with the readings the tags alone get wrong.
    for (const k of p.tags) {
      if (k === 'synack-retransmission') {
        const dup = answersDuplicateSyn(i);
        if (dup !== undefined) {
          evidence.answers = { frame: ps[dup].frame, after_us: p.timeUs - ps[dup].timeUs };
          says.push({
            s: 'note',
            key: 'answers-dup-syn',
            c: { who: me, frame: ps[dup].frame, after: dur(p.timeUs - ps[dup].timeUs) },
          });
          continue;
        }
      }
      if (k === 'handshake-ack-lost') {
        const half: Side = before.me === 'SYN_RECEIVED' ? me : them;
        const carried =
          half === them && p.len > 0 && before.them === 'SYN_RECEIVED' && p.states[them] === 'ESTABLISHED';
        // Whether a pure ACK of the SYN+ACK was captured before the data: lost after the tap. None
        // captured beside its sender: none was sent (Linux puts it on data already waiting).
        const pureAckSeen = ps
          .slice(0, i)
          .some((q) => q.from === me && (q.flags & (SYN | ACK | RST | FIN)) === ACK && q.len === 0);
        const key: NoteKey = !carried
          ? 'handshake-ack-lost'
          : pureAckSeen
            ? 'data-completes-handshake'
            : t.tap === me
              ? 'handshake-ack-piggybacked'
              : 'handshake-ack-unseen';
        says.push({ s: 'note', key, c: { who: half, frame: p.frame } });
        continue;
      }
      // Wireshark's tags that count from an ISN the connection has left behind (old-duplicate-syn).
      if (k === 'acked-unseen-segment' && acksOtherSyn) continue;
      if (k === 'acked-unseen-segment') {
        const reading = isnAckReading(i);
        if (reading !== undefined) {
          says.push({
            s: 'note',
            key: reading === 'old' ? 'acks-old-syn' : 'acks-new-isn',
            c: { who: me, ack: p.ack, isn: isn[them] },
          });
          continue;
        }
      }
      if (k === 'previous-segment-not-captured' && p.flags & SYN) {
        const earlier = isnsBefore(me, i).filter((x) => x !== p.seq);
        if (earlier.length > 0) {
          says.push({ s: 'note', key: 'new-isn-not-gap', c: { who: me, isn: earlier[earlier.length - 1] } });
          continue;
        }
      }
      if (k === 'port-reuse' && i > 0) {
        says.push({ s: 'note', key: 'port-reuse-kept', c: { who: me } });
        continue;
      }
      if (k === 'dup-ack' && p.tags.includes('rst-challenge-ack')) continue;
      if (k === 'rst-challenge-ack') {
        says.push({ s: 'note', key: 'challenge-ack', c: { who: me } });
        continue;
      }
      if (k === 'dup-ack' && answersSynAckCopy(i)) {
        says.push({ s: 'note', key: 'synack-reack', c: { who: me } });
        continue;
      }
      if (k === 'dup-ack' && isTimeWaitReack(i)) {
        says.push({ s: 'note', key: 'time-wait-reack', c: { who: me } });
        continue;
      }
      says.push({ s: 'event', kind: k, c: eventCtx(i, k, 1) });
    }
    const kind: StepKind =
      p.flags & RST
        ? 'rst'
        : p.flags & SYN
          ? p.flags & ACK
            ? 'syn-ack'
            : 'syn'
          : p.flags & FIN
            ? 'fin'
            : r.kind === 'handshake'
              ? 'handshake-ack'
              : r.kind === 'teardown'
                ? 'fin-ack'
                : p.len > 0
                  ? 'data'
                  : 'ack';
    steps.push({
      frame: p.frame,
      time: p.timeUs / 1e6,
      actor: actorOf(me),
      states: statesAfter(i),
      kind,
      evidence,
      says,
    });
    track(p);
    i++;
  }

  function track(q: TimelinePacket): void {
    const end = (q.relSeq + segmentSpace(q)) | 0;
    if (((end - sentTo[q.from]) | 0) > 0) sentTo[q.from] = end;
    if (q.flags & ACK) lastAckFrom[q.from] = q.relAck;
    for (const side of ['orig', 'resp'] as const)
      if (synchronized(q.states[side])) everSynchronized[side] = true;
  }

  /** The latest segment before i is the peer's retransmitted SYN+ACK. */
  function answersSynAckCopy(i: number): boolean {
    const q = ps[i - 1];
    return (
      q !== undefined &&
      q.from !== ps[i].from &&
      (q.flags & (SYN | ACK)) === (SYN | ACK) &&
      copies(i - 1).length > 0
    );
  }

  function firstFin(side: Side): number {
    return ps.findIndex((q) => q.from === side && (q.flags & FIN) !== 0);
  }

  /** Unanswered keep-alives the RST's sender sent just before it. */
  function keepAlivesBefore(i: number): number {
    const me = ps[i].from;
    let n = 0;
    for (let j = i - 1; j >= 0; j--) {
      const q = ps[j];
      if (q.from !== me) return n;
      if (q.tags.includes('keep-alive')) n++;
    }
    return n;
  }

  /** A SYN+ACK copy sent because a copy of the peer's SYN came again: the index of that SYN. */
  function answersDuplicateSyn(i: number): number | undefined {
    const p = ps[i];
    const first = retransmissionOf(i);
    for (let j = i - 1; j >= 0; j--) {
      const q = ps[j];
      // Our own SYN+ACK already answered anything before it.
      if (q.from === p.from) {
        if (q.flags & SYN) return undefined;
        continue;
      }
      // The peer's SYN came again: a SYN+ACK sent well before our own timer would fire (half of
      // the time since our first copy) answers it (§3.10.7.4: a SYN in SYN_RECEIVED).
      if ((q.flags & (SYN | ACK)) === SYN && copies(j).length > 0) {
        const gap = p.timeUs - q.timeUs;
        return !first || gap < first.since_first_us / 2 ? j : undefined;
      }
      return undefined;
    }
    return undefined;
  }

  function lostCtx(i: number): LostCtx {
    const p = ps[i];
    const c: LostCtx = { who: p.from };
    if (t.tap === otherSide(p.from)) c.dropped = true;
    const queued = opts.synQueue?.halfOpenAt[p.frame];
    if (queued !== undefined && queued > 0) c.queueFull = queued;
    // A later copy of it, and the peer's answer to that copy.
    for (let k = i + 1; k < ps.length; k++) {
      const q = ps[k];
      if (q.from === p.from && q.seq === p.seq && segmentSpace(q) > 0 && segmentSpace(p) > 0) {
        c.resentAs = q.frame;
        const a = answerOf(k);
        if (a && a.copy >= k) {
          c.answeredCopy = ps[a.copy].frame;
          c.after = dur(ps[a.j].timeUs - ps[a.copy].timeUs);
        }
        return c;
      }
    }
    // A pure ACK: a later segment of the sender acknowledging as much, which did arrive.
    if (segmentSpace(p) === 0 && !(p.flags & RST)) {
      for (let k = i + 1; k < ps.length; k++) {
        const q = ps[k];
        if (
          q.from === p.from &&
          q.flags & ACK &&
          ((q.relAck - p.relAck) | 0) >= 0 &&
          arrivalOf(q) !== false
        ) {
          c.carriedBy = q.frame;
          return c;
        }
      }
    }
    return c;
  }

  // Timers after the last packet: TIME_WAIT ran out (or a new connection took the port pair).
  const last = ps.length > 0 ? ps[ps.length - 1].states : t.initial;
  const ranOut = { orig: false, resp: false };
  const endTime = ps.length > 0 ? ps[ps.length - 1].timeUs : 0;
  for (const side of ['orig', 'resp'] as const) {
    const seq = rec?.states[side];
    if (last[side] === 'TIME_WAIT' && seq && seq[seq.length - 1] === 'CLOSED') {
      ranOut[side] = true;
      const entered = timeWaitEntry(side);
      const c: TimeWaitEndCtx = { who: side, timeWait, ownPort: !passive[side] };
      if (opts.next && entered !== undefined) {
        const gap = opts.next.timeUs - entered;
        c.nextConn = opts.next.id;
        c.reusedAfter = dur(gap);
        c.expired = gap >= (opts.timeWaitS ?? 60) * 1_000_000;
        c.twReusePossible = gap >= 1_000_000;
      }
      const states = { client: last.orig, server: last.resp };
      states[actorOf(side)] = 'CLOSED';
      steps.push({
        frame: null,
        time: null,
        actor: null,
        states,
        kind: 'time-wait-end',
        evidence: {
          frames: [],
          tags: [],
          arrived: null,
          moves: [{ side: actorOf(side), from: 'TIME_WAIT', to: 'CLOSED' }],
          socket: [],
        },
        says: [{ s: 'tw-end', c }],
      });
      findings.push({ kind: 'time-wait-ended', frames: [], c: { who: side, frames: [], end: c, timeWait } });
    }
  }

  function timeWaitEntry(side: Side): number | undefined {
    for (let k = 0; k < ps.length; k++) if (ps[k].states[side] === 'TIME_WAIT') return ps[k].timeUs;
    return undefined;
  }

  findingsOf(t, steps, findings, timeWait, lang, isn);
  if (opts.synQueue) floodFindings(t, opts.synQueue, findings, dur);

  let forgedReset = false;
  if (rec?.close === 'orig-reset' || rec?.close === 'resp-reset') {
    const side: Side = rec.close === 'orig-reset' ? 'orig' : 'resp';
    const firstRst = ps.find((q) => q.from === side && q.flags & RST && arrivalOf(q) !== false);
    forgedReset = firstRst?.tags.includes('rst-suspect-forged') === true;
  }

  return {
    conn: t.id,
    intro: {
      id: t.id,
      client: `${t.orig.ip}:${t.orig.port}`,
      server: `${t.resp.ip}:${t.resp.port}`,
      packets: ps.length,
      duration: dur(ps.length > 0 ? endTime - t0 : 0),
      initial: t.initial,
    },
    steps,
    findings,
    summary: {
      handshake: rec?.handshake,
      close: rec?.close,
      reset: rec?.reset,
      forgedReset,
      oldDuplicate: findings.some((f) => f.kind === 'old-duplicate-syn'),
      final: { orig: ranOut.orig ? 'CLOSED' : last.orig, resp: ranOut.resp ? 'CLOSED' : last.resp },
      timeWait,
      timeWaitRanOut: ranOut,
      connState: rec?.conn_state,
      history: rec?.history,
      // tshark's initial RTT is a round trip only for a three-way handshake (not a simultaneous open).
      rtt:
        rec?.handshake === 'complete' && rec.rtt?.handshake !== undefined
          ? formatDuration(Math.round(rec.rtt.handshake * 1e6), lang)
          : undefined,
    },
  };
}

/** The socket call a state change implies (RFC 9293 §3.10.1–§3.10.4 user calls; Linux's accept queue). */
function socketCall(
  isSender: boolean,
  from: StateName,
  to: StateName,
  passive: boolean,
): SocketCall | undefined {
  if (from === 'SYN_SENT' && to === 'ESTABLISHED') return 'connect-returns';
  // A simultaneous open has no listener: both ends called connect() (§3.5 Figure 7).
  if (from === 'SYN_RECEIVED' && to === 'ESTABLISHED') return passive ? 'accept-returns' : 'connect-returns';
  if (from === 'SYN_SENT' && to === 'CLOSED' && !isSender) return 'connect-fails';
  if (isSender && from === 'ESTABLISHED' && to === 'FIN_WAIT_1') return 'close';
  if (isSender && from === 'CLOSE_WAIT' && to === 'LAST_ACK') return 'close-second';
  if (isSender && synchronized(from) && from !== 'TIME_WAIT' && to === 'CLOSED') return 'abort';
  return undefined;
}

/** Findings about the whole connection, in the order a teacher would raise them. */
function findingsOf(
  t: ConnTimeline,
  steps: StepData[],
  out: FindingData[],
  timeWait: string,
  lang: Lang,
  isn: { orig?: number; resp?: number },
): void {
  const ps = t.packets;
  const rec = t.record;
  const dur = (us: number) => formatDuration(us, lang);
  const found: FindingData[] = [];
  /** Where the capture was taken relative to a segment's receiver (undefined: unknown). */
  const tapAt = (receiver: Side): 'receiver' | 'elsewhere' | undefined =>
    t.tap === undefined ? undefined : t.tap === receiver ? 'receiver' : 'elsewhere';
  const syns = (side: Side, ack: boolean) =>
    ps.filter((p) => p.from === side && p.flags & SYN && ((p.flags & ACK) !== 0) === ack);

  // ISNs: why they are random (RFC 9293 §3.4.1, RFC 6528).
  if (isn.orig !== undefined && isn.resp !== undefined && !(isn.orig === 0 && isn.resp === 0))
    found.push({
      kind: 'isn',
      frames: [
        syns('orig', false)[0]?.frame ?? syns('orig', true)[0]?.frame,
        syns('resp', true)[0]?.frame ?? syns('resp', false)[0]?.frame,
      ].filter((f): f is number => f !== undefined),
      c: { who: 'orig', frames: [], isn: { ...isn } },
    });

  // A SYN sent more than once with the same ISN: the retry budget (tcp_syn_retries), the first copy's fate.
  for (const side of ['orig', 'resp'] as const) {
    const all = syns(side, false);
    const bySeq = all.filter((p) => p.seq === all[all.length - 1]?.seq);
    if (bySeq.length > 1) {
      const gaps: string[] = [];
      const gapUs: number[] = [];
      for (let k = 1; k < bySeq.length; k++) {
        gapUs.push(bySeq[k].timeUs - bySeq[k - 1].timeUs);
        gaps.push(dur(bySeq[k].timeUs - bySeq[k - 1].timeUs));
      }
      const doubling =
        gapUs.length > 1 && gapUs.every((g, k) => k === 0 || Math.abs(g / gapUs[k - 1] - 2) < 0.2);
      found.push({
        kind: 'syn-retries',
        frames: bySeq.map((p) => p.frame),
        c: { who: side, frames: [], count: bySeq.length, gaps, doubling },
      });
      const lost = bySeq.filter((p) => arrivalOf(p) === false);
      if (lost.length > 0) {
        const answer = ps.find(
          (q) =>
            q.from !== side &&
            q.flags & SYN &&
            q.flags & ACK &&
            acksSyn(q, bySeq[0]) &&
            arrivalOf(q) !== false,
        );
        const answered = answer ? [...bySeq].reverse().find((p) => p.timeUs <= answer.timeUs) : undefined;
        found.push({
          kind: 'syn-lost',
          frames: [...lost.map((p) => p.frame), ...(answer ? [answer.frame] : [])],
          c: {
            who: side,
            frames: [],
            count: lost.length,
            after: answer && answered ? dur(answer.timeUs - answered.timeUs) : undefined,
            toListener: t.initial[otherSide(side)] === 'LISTEN',
            tapAt: tapAt(otherSide(side)),
          },
        });
      }
    }
    const sa = syns(side, true).filter((p) => p.tags.includes('synack-retransmission'));
    const all2 = syns(side, true);
    if (sa.length > 0 && all2.length > 1 && !ps.some((p) => p.tags.includes('simultaneous-open'))) {
      const gaps: string[] = [];
      for (let k = 1; k < all2.length; k++) gaps.push(dur(all2[k].timeUs - all2[k - 1].timeUs));
      found.push({
        kind: 'synack-retries',
        frames: all2.map((p) => p.frame),
        c: { who: side, frames: [], count: all2.length, gaps },
      });
    }
  }

  // The handshake's third segment lost.
  const hal = ps.find((p) => p.tags.includes('handshake-ack-lost'));
  if (hal) {
    const lostAck = ps.find((p) => p.role === 'handshake 3/3' && arrivalOf(p) === false);
    const noteOf = (key: NoteKey) => steps.some((s) => s.says.some((x) => x.s === 'note' && x.key === key));
    const unseen = noteOf('handshake-ack-unseen');
    const carried = unseen || noteOf('data-completes-handshake');
    // Beside the client with no ACK sent alone, nothing was lost: the step's note says it all.
    if (!noteOf('handshake-ack-piggybacked'))
      found.push({
        kind: 'handshake-ack-lost',
        frames: [...(lostAck ? [lostAck.frame] : []), hal.frame],
        c: { who: 'resp', frames: [], count: carried ? 1 : 0, tapAt: tapAt('resp'), ackUnseen: unseen },
      });
  }

  // An old duplicate SYN (RFC 9293 §3.5 Figure 8): a SYN+ACK that acknowledges another ISN than
  // the client's, answered by the client's RST at SEG.ACK — why the handshake has three segments.
  for (let k = 0; k < ps.length; k++) {
    const p = ps[k];
    if ((p.flags & (SYN | ACK)) !== (SYN | ACK)) continue;
    const rst = ps.slice(k + 1).find((q) => q.from !== p.from && q.flags & RST && q.seq === p.ack);
    const clientSyns = syns(otherSide(p.from), false);
    const distinctIsns = new Set(clientSyns.map((q) => q.seq));
    if (rst && distinctIsns.size > 1) {
      const old = clientSyns.find((q) => (q.seq + 1) >>> 0 === p.ack);
      found.push({
        kind: 'old-duplicate-syn',
        frames: [...(old ? [old.frame] : []), p.frame, rst.frame],
        c: { who: otherSide(p.from), frames: [] },
      });
      break;
    }
  }

  // Data in the SYN (TCP Fast Open): taken at once when the SYN+ACK acknowledges it, else resent.
  const dataSyn = ps.find((p) => (p.flags & (SYN | ACK)) === SYN && p.len > 0);
  if (dataSyn) {
    const synAck = ps.find((q) => q.from !== dataSyn.from && (q.flags & (SYN | ACK)) === (SYN | ACK));
    const taken = synAck !== undefined && synAck.ack === (dataSyn.seq + 1 + dataSyn.len) >>> 0;
    // Data the server sent before the client's ACK of its SYN+ACK reached the capture.
    const handshakeAck =
      synAck &&
      ps.find(
        (q) => q.from === dataSyn.from && q.timeUs >= synAck.timeUs && !(q.flags & SYN) && q.flags & ACK,
      );
    const early =
      taken && synAck !== undefined
        ? ps.find(
            (q) =>
              q.from === synAck.from &&
              q.len > 0 &&
              q.timeUs >= synAck.timeUs &&
              (!handshakeAck || ps.indexOf(q) < ps.indexOf(handshakeAck)),
          )
        : undefined;
    found.push({
      kind: 'fast-open',
      frames: [dataSyn.frame, ...(synAck ? [synAck.frame] : []), ...(early ? [early.frame] : [])],
      c: { who: dataSyn.from, frames: [], count: dataSyn.len, taken, early: early !== undefined },
    });
  }

  // The first half of Fast Open: a SYN asking for a cookie (RFC 7413 §4.1.1), answered or not.
  const cookieReq = dataSyn
    ? undefined
    : ps.find((p) => (p.flags & (SYN | ACK)) === SYN && p.options?.fastOpen === 'request');
  const cookieAnswer =
    cookieReq && ps.find((q) => q.from !== cookieReq.from && (q.flags & (SYN | ACK)) === (SYN | ACK));
  if (cookieReq && cookieAnswer)
    found.push({
      kind: 'fast-open',
      frames: [cookieReq.frame, cookieAnswer.frame],
      c: {
        who: cookieReq.from,
        frames: [],
        cookie: cookieAnswer.options?.fastOpen === 'cookie' ? 'given' : 'none',
      },
    });

  if (ps.some((p) => p.tags.includes('simultaneous-open')))
    found.push({
      kind: 'simultaneous-open',
      frames: ps.filter((p) => p.flags & SYN).map((p) => p.frame),
      c: { who: 'orig', frames: [] },
    });

  if (rec?.handshake === 'refused') {
    const rst = ps.find((p) => p.flags & RST);
    found.push({ kind: 'refused', frames: rst ? [rst.frame] : [], c: { who: 'resp', frames: [] } });
  }

  // Who closed first: the first FIN its receiver accepted (the record's `close`).
  if (rec?.close === 'orig' || rec?.close === 'resp') {
    const fin = ps.find((p) => p.from === rec.close && p.flags & FIN);
    found.push({ kind: 'closed-first', frames: fin ? [fin.frame] : [], c: { who: rec.close, frames: [] } });
  } else if (rec?.close === 'both') {
    const fins = (['orig', 'resp'] as const)
      .map((s) => ps.find((p) => p.from === s && p.flags & FIN)?.frame)
      .filter((f): f is number => f !== undefined);
    found.push({ kind: 'simultaneous-close', frames: fins, c: { who: 'orig', frames: [] } });
  }
  const finData = ps.find((p) => p.flags & FIN && p.len > 0);
  if (finData)
    found.push({ kind: 'fin-with-data', frames: [finData.frame], c: { who: finData.from, frames: [] } });

  // A handshake ACK the listener refused with a RST (tcp_abort_on_overflow).
  for (const s of steps) {
    const seg = s.says.find((x) => x.s === 'segment');
    if (seg?.s === 'segment' && seg.c.rstReading === 'accept-overflow' && s.frame !== null)
      found.push({ kind: 'accept-overflow', frames: [s.frame], c: { who: seg.c.who, frames: [] } });
  }
  // An abort (RST from a synchronized state that the sender chose).
  for (const s of steps) {
    const seg = s.says.find((x) => x.s === 'segment');
    if (seg?.s !== 'segment') continue;
    const rd = seg.c.rstReading;
    if (rd === 'abort' && !seg.c.likeNoConnection && s.frame !== null) {
      found.push({ kind: 'abort', frames: [s.frame], c: { who: seg.c.who, frames: [] } });
      break;
    }
  }
  for (const s of steps) {
    const seg = s.says.find((x) => x.s === 'segment');
    if (seg?.s !== 'segment' || s.frame === null) continue;
    if (seg.c.rstReading === 'forged' && s.evidence.moves.some((m) => m.to === 'CLOSED')) {
      const reply = steps.find(
        (x) =>
          x.frame !== null &&
          x.frame > (s.frame ?? 0) &&
          x.says.some((y) => y.s === 'segment' && y.c.rstReading === 'no-connection'),
      );
      found.push({
        kind: 'forged-rst',
        frames: [s.frame, ...(reply?.frame != null ? [reply.frame] : [])],
        c: { who: seg.c.who, frames: [], victim: otherSide(seg.c.who) },
      });
    }
    if (seg.c.rstReading === 'keepalive-give-up')
      found.push({ kind: 'keepalive-give-up', frames: [s.frame], c: { who: seg.c.who, frames: [] } });
  }

  // TIME_WAIT: the two reasons and its length (RFC 9293 §3.6.1 MSL; Linux's fixed 60 s).
  // What the capture shows of the wait: never the wait itself (no segment carries its age), at
  // most a new connection on the port pair that bounds it (the time-wait-ended finding).
  for (const side of ['orig', 'resp'] as const) {
    const k = ps.findIndex((p) => p.states[side] === 'TIME_WAIT');
    if (k < 0) continue;
    const seq = rec?.states[side];
    const ranOut = ps[ps.length - 1].states[side] === 'TIME_WAIT' && seq?.[seq.length - 1] === 'CLOSED';
    const bounded = out.some(
      (f) => f.kind === 'time-wait-ended' && f.c.who === side && f.c.end?.nextConn !== undefined,
    );
    const timeWaitSeen = bounded ? undefined : ranOut ? 'assumed-expired' : 'beyond-capture';
    found.push({
      kind: 'time-wait',
      frames: [ps[k].frame],
      c: { who: side, frames: [], timeWait, timeWaitSeen },
    });
  }
  // TIME_WAIT endings (added while building the steps) go after the TIME_WAIT finding.
  const ends = out.splice(0, out.length);
  out.push(...found, ...ends);
}

/**
 * A SYN flood seen from one of its connections (RFC 4987): a source that never answered, or a
 * real client whose SYN met the full SYN queue. The latter replaces the "SYN lost" finding: the
 * SYN reached a server that had no room for it.
 */
function floodFindings(
  t: ConnTimeline,
  q: SynQueueContext,
  out: FindingData[],
  dur: (us: number) => string,
): void {
  const ps = t.packets;
  const synAcks = ps.filter((p) => p.from === 'resp' && (p.flags & (SYN | ACK)) === (SYN | ACK));
  const clientSyns = ps.filter((p) => p.from === 'orig' && (p.flags & (SYN | ACK)) === SYN);
  const first = clientSyns[0];
  if (!first) return;
  const base = { listener: q.listener, silent: q.silentSources, halfOpen: q.halfOpenAt[first.frame] ?? 0 };
  if (silentClient(t)) {
    // Answered once, never resent though never acknowledged, while the queue was full: a cookie.
    const cookie = synAcks.length === 1 && base.halfOpen > 0;
    out.push({
      kind: 'syn-flood-source',
      frames: [first.frame, ...synAcks.map((p) => p.frame)],
      c: {
        who: 'orig',
        frames: [],
        flood: { ...base, synAcks: synAcks.length, cookie, dropped: synAcks.length === 0 },
      },
    });
    return;
  }
  const k = out.findIndex((f) => f.kind === 'syn-lost');
  if (k < 0 || base.halfOpen === 0) return;
  const answer = synAcks.find((p) => arrivalOf(p) !== false);
  const answered = answer ? [...clientSyns].reverse().find((p) => p.timeUs <= answer.timeUs) : undefined;
  const stillFull = answered ? q.halfOpenAt[answered.frame] : undefined;
  out[k] = {
    kind: 'syn-queue-full',
    frames: out[k].frames,
    c: {
      who: 'orig',
      frames: [],
      after: answer && answered ? dur(answer.timeUs - answered.timeUs) : undefined,
      flood: {
        ...base,
        synAcks: synAcks.length,
        stillFull: stillFull && stillFull > 0 ? stillFull : undefined,
      },
    },
  };
}

function acksSyn(q: TimelinePacket, syn: TimelinePacket): boolean {
  return (q.flags & ACK) !== 0 && q.ack === (syn.seq + 1) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function say(book: Phrasebook, x: Sentence): string {
  switch (x.s) {
    case 'segment':
      return book.segment(x.c);
    case 'transition': {
      const f = x.key === undefined ? undefined : book.transitions[x.key];
      return f ? f(x.c) : book.placed(x.c);
    }
    case 'event':
      return book.events[x.kind](x.c);
    case 'note':
      return book.notes[x.key](x.c);
    case 'lost':
      return book.lost(x.c);
    case 'run':
      return book.dataRun(x.c);
    case 'socket':
      return book.socket(x.c);
    case 'tw-end':
      return book.timeWaitExpired(x.c);
  }
}

export const PHRASEBOOKS: Record<Lang, Phrasebook> = { en: EN, zh: ZH };

function render(d: StoryData, lang: Lang): Story {
  const book = PHRASEBOOKS[lang];
  return {
    conn: d.conn,
    lang,
    summary: book.summary(d.summary),
    steps: d.steps.map(({ says, ...s }) => ({ ...s, text: says.map((x) => say(book, x)).join(book.joiner) })),
    findings: d.findings.map((f) => ({ kind: f.kind, frames: f.frames, text: book.findings[f.kind](f.c) })),
  };
}

/** The story of `t` as data, its texts in `opts.lang` (English by default). */
export function explainStory(t: ConnTimeline, opts: ExplainOptions = {}): Story {
  const lang = opts.lang ?? 'en';
  return render(storyData(t, opts, lang), lang);
}

/** The story of `t` in `opts.lang` (English by default): the introduction, one paragraph per step, one per finding, the summary. */
export function explain(t: ConnTimeline, opts: ExplainOptions = {}): string[] {
  const lang = opts.lang ?? 'en';
  const d = storyData(t, opts, lang);
  const s = render(d, lang);
  return [
    PHRASEBOOKS[lang].intro(d.intro),
    ...s.steps.map((x) => x.text),
    ...s.findings.map((f) => f.text),
    s.summary,
  ];
}
