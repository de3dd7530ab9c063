// The types of `synack explain`: the story as data (PRODUCT.md `explain --json`: steps, evidence,
// findings), the facts each sentence is given, and the Phrasebook interface explain-en.ts and
// explain-zh.ts implement. Types only, so the phrasebooks and explain.ts (which decides what to
// say) share them without importing each other.

import type { StateName } from '../tcp/state.js';
import type { EventKind } from '../track/kinds.js';
import type { Side, SynOptions } from './timeline.js';

export type Lang = 'en' | 'zh';

/** "FROM event TO" with the names of src/tcp: one sentence per row of the transition table. */
export type TransitionKey = string;

// ---------------------------------------------------------------------------------------------
// The story as data (PRODUCT.md `explain --json`)

export type Actor = 'client' | 'server';

export type StepKind =
  | 'syn'
  | 'syn-ack'
  | 'handshake-ack'
  | 'data'
  | 'ack'
  | 'fin'
  | 'fin-ack'
  | 'rst'
  | 'time-wait-end';

/** A socket call the capture implies at this step. */
export type SocketCall =
  | 'connect'
  | 'connect-returns'
  | 'accept-returns'
  | 'close'
  | 'close-second'
  | 'abort'
  | 'connect-fails';

export interface StepEvidence {
  /** Every frame the step covers (a run of data has several). */
  frames: number[];
  flags?: string;
  /** Absolute and relative (from the sender's ISN) sequence and acknowledgment numbers. */
  seq?: number;
  ack?: number;
  rel_seq?: number;
  rel_ack?: number;
  len?: number;
  tags: EventKind[];
  /** The tracker's (or the lab's) word on whether the receiver got it; null: the capture cannot say. */
  arrived: boolean | null;
  /** Not received, and the capture was taken beside its receiver: it reached that host and was dropped on arrival. */
  dropped?: true;
  /** Each endpoint's state change at this step. */
  moves: { side: Actor; from: StateName; to: StateName }[];
  /** This is a copy of an earlier segment: the first copy's frame, which copy this is, the gaps. */
  retransmission?: {
    first: number;
    previous: number;
    copy: number;
    after_us: number;
    since_first_us: number;
  };
  /** The peer's segment that answered this one (its frame, and how long after the copy it answered). */
  answered_by?: { frame: number; copy_frame: number; after_us: number };
  /** This segment answers that one of the peer's (frame), this long after it. */
  answers?: { frame: number; after_us: number };
  /** Socket calls this step implies (connect() returns when the SYN+ACK arrives, …). */
  socket: { side: Actor; call: SocketCall }[];
}

export interface StoryStep {
  frame: number | null;
  /** Capture time, seconds since the epoch (null for a timer step the capture does not show). */
  time: number | null;
  actor: Actor | null;
  states: { client: StateName; server: StateName };
  kind: StepKind;
  evidence: StepEvidence;
  text: string;
}

export type FindingKind =
  | 'isn'
  | 'syn-retries'
  | 'synack-retries'
  | 'syn-lost'
  | 'handshake-ack-lost'
  | 'old-duplicate-syn'
  | 'simultaneous-open'
  | 'refused'
  | 'closed-first'
  | 'simultaneous-close'
  | 'fin-with-data'
  | 'time-wait'
  | 'time-wait-ended'
  | 'abort'
  | 'forged-rst'
  | 'keepalive-give-up'
  | 'syn-flood-source'
  | 'syn-queue-full'
  | 'accept-overflow'
  | 'fast-open';

export interface Finding {
  kind: FindingKind;
  frames: number[];
  text: string;
}

export interface Story {
  conn: number;
  lang: Lang;
  summary: string;
  steps: StoryStep[];
  findings: Finding[];
}

// ---------------------------------------------------------------------------------------------
// What the phrasebooks are given (language-neutral facts, one context per sentence)

export interface IntroCtx {
  id: number;
  client: string;
  server: string;
  packets: number;
  duration: string;
  initial: { orig: StateName; resp: StateName };
}

/** How a RST is to be read. */
export type RstReading =
  | 'abort'
  | 'refusal'
  | 'forged'
  | 'no-connection'
  | 'keepalive-give-up'
  | 'unacceptable-ack'
  | 'accept-overflow';

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
  /** What this RST is (absent: not a RST). */
  rstReading?: RstReading;
  /** A FIN sent while the peer's FIN was on its way: the FINs cross (simultaneous close). */
  crossingFin?: boolean;
  /**
   * An "abort" RST without ACK whose sequence number is the acknowledgment of the peer's segment
   * just before it: the form of a stack's answer for a connection it does not have (§3.10.7.1).
   */
  likeNoConnection?: boolean;
  /** accept-overflow: the payload of the segment the RST answers (0: the pure handshake ACK). */
  refusedData?: number;
  /** An 'unacceptable-ack' RST answering a pure ACK (the peer's ACK of an old SYN), not a SYN+ACK. */
  answersAck?: boolean;
  /** A SYN+ACK whose ACK is not the peer's ISN + 1: it answers a SYN the peer did not send now. */
  acksOtherSyn?: boolean;
  /** A SYN+ACK acknowledging the peer's SYN and the bytes it carried (ISN + 1 + n): TCP Fast Open. */
  acksSynData?: number;
  /** A SYN+ACK acknowledging only the SYN of a SYN that carried this many bytes: the data was not taken. */
  ignoresSynData?: number;
  /** Its ACK acknowledges an earlier SYN: relative to the peer's ISN it means nothing (shown absolute). */
  absAck?: boolean;
  /** A SYN's options (its first copy only). */
  options?: SynOptions;
  /** For a SYN+ACK: what the SYN it answers offered (the options both sides then use). */
  peerOptions?: SynOptions;
}

export interface TransitionCtx {
  who: Side;
  from: StateName;
  to: StateName;
  /** Linux's TIME_WAIT (or --time-wait), for the TIME_WAIT sentences. */
  timeWait: string;
  /** The segment that caused the move carries SYN+ACK (a simultaneous open ends on one). */
  synAck?: boolean;
  /** Both sides closed at once: neither is "the first to close". */
  simultaneous?: boolean;
}

export interface EventCtx {
  who: Side;
  frame: number;
  time: string;
  /** How many packets of this kind the step (a packet or a run of data) holds. */
  count: number;
  /** For retransmissions: time since the previous copy (absent: no earlier copy seen). */
  since?: string;
  /** For retransmissions: time since the first copy, when this is the third copy or later. */
  sinceFirst?: string;
  /** Which copy this is (2 for the first retransmission). */
  copy?: number;
  /** For a SYN+ACK "retransmission": the first segment at its sequence number was a bare SYN. */
  afterSyn?: boolean;
  /** For a suspect RST: this packet's TTL and the TTLs of the claimed sender's other segments. */
  ttl?: number;
  otherTtls?: number[];
  /** The RST carried exactly the sequence number its receiver expected. */
  exactSeq?: boolean;
  /** An ignored RST reached a listener (RFC 9293 §3.10.7.2: LISTEN ignores every RST). */
  toListener?: boolean;
  /** For probes and keep-alives: the segment sits one byte below what the sender already sent. */
  belowSent?: boolean;
  /** A "keep-alive" (Wireshark's name) sent into a zero window: Linux's zero-window probe. */
  intoZeroWindow?: boolean;
  len: number;
}

/** Sentences about this capture's evidence that no single transition or tag says. */
export interface NoteCtx {
  who: Side;
  /** A frame the sentence points at (the duplicate SYN answered, the data that carried the ACK). */
  frame?: number;
  /** A duration the sentence cites. */
  after?: string;
  /** A count (probes, copies). */
  count?: number;
  /** Sequence numbers the sentence cites (an acknowledgment number, an earlier ISN). */
  ack?: number;
  isn?: number;
}

export type NoteKey =
  /** A SYN+ACK sent again at once because the client's SYN came again (not a lost ACK). */
  | 'answers-dup-syn'
  /** The handshake ACK was lost; the client's data carries the same ACK and completes the handshake. */
  | 'data-completes-handshake'
  /** No pure ACK of the SYN+ACK, and the tap is beside its sender: the data carries the ACK itself (never sent alone). */
  | 'handshake-ack-piggybacked'
  /** No pure ACK of the SYN+ACK reached the tap (elsewhere than beside its sender): lost before it, or never sent. */
  | 'handshake-ack-unseen'
  /** The handshake ACK was lost (the side in SYN_RECEIVED is `who`). */
  | 'handshake-ack-lost'
  /** A challenge ACK (RFC 5961 §3) rather than a duplicate ACK for a missing segment. */
  | 'challenge-ack'
  /** TIME_WAIT's re-ACK of a retransmitted FIN (its last ACK was lost). */
  | 'time-wait-reack'
  /** The client's ACK again, answering a retransmitted SYN+ACK (its first ACK was lost). */
  | 'synack-reack'
  /** The peer's FIN arrived with data in the same segment. */
  | 'fin-with-data'
  /** A simultaneous open: the ACK of the SYN in the peer's SYN+ACK, a duplicate (§3.10.7.4). */
  | 'simultaneous-open-ack'
  /** The receiver's state after a segment whose arrival the capture cannot decide. */
  | 'arrival-unknown'
  /** A handshake ACK the listener refused with a RST at once (full accept queue): SYN_RECEIVED → CLOSED. */
  | 'ack-refused'
  /**
   * A segment that reached an endpoint with no connection any more (its bare RST answered at once):
   * ESTABLISHED or CLOSE_WAIT → CLOSED, before that RST.
   */
  | 'met-no-connection'
  /** The receiver had called close(): its FIN waited for the window this segment opened. */
  | 'fin-queued'
  /**
   * After a SYN under a new ISN (old-duplicate-syn): what Wireshark's tags, which count from the
   * other ISN, misread. An ACK of an earlier SYN, answering the new SYN from SYN_RECEIVED: */
  | 'acks-old-syn'
  /** An ACK of the peer's new ISN, which Wireshark counts from the old one. */
  | 'acks-new-isn'
  /** A SYN or SYN+ACK under a new ISN: a fresh start, not a gap in the capture. */
  | 'new-isn-not-gap'
  /** A SYN or SYN+ACK Wireshark calls port reuse, which synack keeps in the same connection. */
  | 'port-reuse-kept';

export interface LostCtx {
  who: Side;
  /** The peer answered only this later copy (frame), `after` it. */
  answeredCopy?: number;
  after?: string;
  /** A later segment of the sender (frame) carried what this one did and did arrive. */
  carriedBy?: number;
  /** It was sent again (frame) with no answer in between. */
  resentAs?: number;
  /** A SYN that met a full SYN queue: the listener's half-open connections then. */
  queueFull?: number;
  /** The capture was taken beside its receiver: it reached the receiver's host and was dropped on arrival. */
  dropped?: boolean;
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

export interface SocketCtx {
  who: Side;
  call: SocketCall;
}

export interface TimeWaitEndCtx {
  who: Side;
  timeWait: string;
  /** A new connection took the port pair: a SYN at that time after TIME_WAIT began. */
  reusedAfter?: string;
  /** The port pair's next connection (its id). */
  nextConn?: number;
  /** The side in TIME_WAIT is the one that opened (a client reusing its own port). */
  ownPort?: boolean;
  /** The port pair was used again only after the assumed TIME_WAIT had run out. */
  expired?: boolean;
  /** At least 1 s passed, so Linux's tcp_tw_reuse could have taken the socket over. */
  twReusePossible?: boolean;
}

export interface FindingCtx {
  who: Side;
  frames: number[];
  /** Copies of the segment (SYN retries), gaps between them; the bytes a SYN carried (fast-open). */
  count?: number;
  /**
   * time-wait: what the capture shows of it — 'beyond-capture' (it ends before the wait would),
   * 'assumed-expired' (the assumed length ran out in capture time); undefined: a new connection bounds it.
   */
  timeWaitSeen?: 'beyond-capture' | 'assumed-expired';
  /** syn-lost: its receiver is a listener (whose queues may have dropped it), not a simultaneous opener. */
  toListener?: boolean;
  /** fast-open: the SYN+ACK acknowledged the SYN's data; the server sent data before the client's ACK. */
  taken?: boolean;
  early?: boolean;
  /** handshake-ack-lost: no pure ACK of the SYN+ACK was captured (the data's ACK completed the handshake). */
  ackUnseen?: boolean;
  /** syn-lost, handshake-ack-lost: the capture was taken beside the segment's receiver, or elsewhere (absent: unknown). */
  tapAt?: 'receiver' | 'elsewhere';
  /** fast-open, a cookie request without data: the SYN+ACK gave a cookie ('given') or none ('none'). */
  cookie?: 'given' | 'none';
  gaps?: string[];
  doubling?: boolean;
  /** Durations the finding cites. */
  after?: string;
  timeWait?: string;
  /** ISNs of both sides. */
  isn?: { orig?: number; resp?: number };
  /** For a forged RST: its victim. */
  victim?: Side;
  /** TIME_WAIT ended: see TimeWaitEndCtx. */
  end?: TimeWaitEndCtx;
  /** A SYN flood on this connection's listener (syn-flood-source, syn-queue-full). */
  flood?: FloodCtx;
}

export interface FloodCtx {
  /** The server's `IP:PORT`. */
  listener: string;
  /** Other sources that sent SYNs to it and never answered. */
  silent: number;
  /** Half-open connections on it when the (first) SYN arrived. */
  halfOpen: number;
  /** SYN+ACKs the server sent on this connection. */
  synAcks: number;
  /** syn-flood-source: answered once and never again though unanswered (a SYN cookie); never answered. */
  cookie?: boolean;
  dropped?: boolean;
  /** syn-queue-full: the answered retransmission came while the queue was still this full (a cookie). */
  stillFull?: number;
}

export interface SummaryCtx {
  handshake?: string;
  close?: string;
  reset?: string | null;
  /** The accepted RST that closed the connection was forged (in `close`'s side's name). */
  forgedReset?: boolean;
  /** The first accepted RST only rejected the SYN+ACK of an old duplicate SYN. */
  oldDuplicate?: boolean;
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
  notes: Record<NoteKey, (c: NoteCtx) => string>;
  findings: Record<FindingKind, (c: FindingCtx) => string>;
  socket(c: SocketCtx): string;
  lost(c: LostCtx): string;
  dataRun(c: DataRunCtx): string;
  timeWaitExpired(c: TimeWaitEndCtx): string;
  summary(c: SummaryCtx): string;
}
