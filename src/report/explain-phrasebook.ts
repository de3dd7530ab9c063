// What a phrasebook of `synack explain` is (explain-en.ts, explain-zh.ts): the sentences it
// must provide, keyed by transition and event kind, and the numbers each sentence is given.
// Types only, so the phrasebooks and explain.ts (which picks what to say) share them without
// importing each other.

import type { StateName } from '../tcp/state.js';
import type { EventKind } from '../track/kinds.js';
import type { Side } from './timeline.js';

export type Lang = 'en' | 'zh';

/** "FROM event TO" with the names of src/tcp: one sentence per row of the transition table. */
export type TransitionKey = string;

export interface IntroCtx {
  id: number;
  client: string;
  server: string;
  packets: number;
  duration: string;
  initial: { orig: StateName; resp: StateName };
}

export interface SegmentCtx {
  time: string;
  frame: number;
  who: Side;
  flags: string;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  ack: boolean;
  relSeq: number;
  relAck: number;
  seq: number;
  ack_: number;
  len: number;
  /** "handshake", "teardown", "data", "ack", "reset" and the step of a handshake/teardown. */
  roleKind: string;
  step: number;
  of: number;
  /** For a SYN+ACK or an ACK of the handshake: the peer's ISN it acknowledges. */
  peerIsn: number;
  /** A RST answering a SYN from an endpoint that had no connection: the port is closed. */
  refusal: boolean;
  /** A SYN or SYN+ACK sent again (same ISN): the ISN was introduced with the first one. */
  again: boolean;
  /** A RST the analysis suspects was forged: its claimed sender probably never sent it. */
  forged: boolean;
}

export interface TransitionCtx {
  who: Side;
  from: StateName;
  to: StateName;
  /** Linux's TIME_WAIT (or --time-wait), for the TIME_WAIT sentences. */
  timeWait: string;
  /** The segment that caused the move carries SYN+ACK (a simultaneous open ends on one). */
  synAck?: boolean;
}

export interface EventCtx {
  who: Side;
  frame: number;
  time: string;
  /** How many packets of this kind the step (a packet or a run of data) holds. */
  count: number;
  /** For retransmissions: time since the segment was first sent (absent: no earlier copy seen). */
  since?: string;
  /** For a SYN+ACK "retransmission": the first segment at its sequence number was a bare SYN. */
  afterSyn?: boolean;
  /** For a suspect RST: this packet's TTL and the TTLs of the claimed sender's other segments. */
  ttl?: number;
  otherTtls?: number[];
  /** The RST carried exactly the sequence number its receiver expected. */
  exactSeq?: boolean;
  /** For probes and keep-alives: the segment sits one byte below what the sender already sent. */
  belowSent?: boolean;
  /** A "keep-alive" (Wireshark's name) sent into a zero window: Linux's zero-window probe. */
  intoZeroWindow?: boolean;
  len: number;
}

export interface DataRunCtx {
  time: string;
  /** Empty for a single segment. */
  duration: string;
  segments: { orig: number; resp: number };
  bytes: { orig: number; resp: number };
  acks: number;
  /** Who sent the pure ACKs. */
  acksBy: { orig: number; resp: number };
}

export interface SummaryCtx {
  handshake?: string;
  close?: string;
  reset?: string | null;
  final: { orig: StateName; resp: StateName };
  timeWait: string;
  timeWaitRanOut: { orig: boolean; resp: boolean };
  connState?: string;
  history?: string;
  rtt?: string;
}

export interface Phrasebook {
  lang: Lang;
  /** Between sentences of one paragraph: a space in English, nothing in Chinese. */
  joiner: string;
  intro(c: IntroCtx): string;
  segment(c: SegmentCtx): string;
  /** A state change the table has no row for (an UNKNOWN endpoint placed by evidence, or a jump). */
  placed(c: TransitionCtx): string;
  transitions: Record<TransitionKey, (c: TransitionCtx) => string>;
  events: Record<EventKind, (c: EventCtx) => string>;
  lost(c: { who: Side }): string;
  dataRun(c: DataRunCtx): string;
  timeWaitExpired(c: { who: Side; timeWait: string }): string;
  summary(c: SummaryCtx): string;
}
