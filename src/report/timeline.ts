// The neutral model every picture and story of one connection is drawn from: the tracker's
// inferred states (timeline-from-track.ts) and the lab's true states both fill it, and the
// ladder (text, SVG), the explanation and the socket table read only this. Pure data, no I/O.
// Fields follow PRODUCT.md's packet and connection records (spelled in camelCase here).

import type { StateName } from '../tcp/state.js';
import type { EventKind } from '../track/kinds.js';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../wire/packet.js';

export type Side = 'orig' | 'resp';

export interface TimelineEndpoint {
  ip: string;
  port: number;
}

/** PRODUCT.md's `role` vocabulary. */
export type PacketRole = string;

/** The options a SYN or SYN+ACK offered that a teacher names (RFC 9293 §3.7.1, RFC 7323, 2018, 7413). */
export interface SynOptions {
  mss?: number;
  /** Window scale shift. */
  wscale?: number;
  sackPermitted?: boolean;
  timestamps?: boolean;
  /** TCP Fast Open: an empty option asks for a cookie; a cookie is given (SYN+ACK) or returned (SYN). */
  fastOpen?: 'request' | 'cookie';
}

export interface TimelinePacket {
  /** Frame number in the capture (1-based, as tcpdump and tshark count). */
  frame: number;
  /** Capture time in whole microseconds since the epoch. */
  timeUs: number;
  from: Side;
  /** Flag bits of src/wire/packet.ts (FIN, SYN, RST, PSH, ACK, …). */
  flags: number;
  /** Absolute sequence and acknowledgment numbers. */
  seq: number;
  ack: number;
  /** Relative to each direction's ISN, as Wireshark counts. */
  relSeq: number;
  relAck: number;
  /** TCP payload length. */
  len: number;
  /** Window field as sent (unscaled). */
  win: number;
  tags: EventKind[];
  role: PacketRole;
  /** Both endpoints' states after the packet: the sender's after sending, the receiver's after processing. */
  states: { orig: StateName; resp: StateName };
  /** The segment never reached its receiver (known in the lab; inferred by the tracker when evidence shows it). */
  lost?: boolean;
  /** PRODUCT.md's `arrived`: true, false (lost) or null (the capture cannot say); absent: only `lost` is known. */
  arrived?: boolean | null;
  /** IP TTL / hop limit, IP ID (-1 when absent) and DF: what the explanation cites for a suspect RST. */
  ttl?: number;
  ipId?: number;
  df?: boolean;
  /** A SYN's options (absent on other segments). */
  options?: SynOptions;
}

/** The subset of PRODUCT.md's connection record the renderers read (the full record fits it). */
export interface TimelineRecord {
  id: number;
  handshake: 'complete' | 'simultaneous' | 'refused' | 'incomplete' | 'unseen';
  close: 'orig' | 'resp' | 'orig-reset' | 'resp-reset' | 'both' | 'none';
  reset: 'orig' | 'resp' | 'both' | null;
  states: { orig: StateName[]; resp: StateName[] };
  final: { orig: StateName; resp: StateName };
  conn_state: string;
  history: string;
  packets?: { orig: number; resp: number };
  bytes?: { orig: number; resp: number };
  rtt?: { handshake?: number };
  evicted?: boolean;
  events?: { frame: number; time: number; from: Side; kind: EventKind }[];
}

export interface ConnTimeline {
  id: number;
  orig: TimelineEndpoint;
  resp: TimelineEndpoint;
  /** Each endpoint's state before the first packet (PRODUCT.md "Initial state"). */
  initial: { orig: StateName; resp: StateName };
  packets: TimelinePacket[];
  record?: TimelineRecord;
  /**
   * Where the capture was taken: beside orig, beside resp, or in between (absent: unknown). Beside
   * a segment's receiver, a segment that never reached it was dropped on arrival, not lost on the way.
   */
  tap?: Side | 'mid';
}

export function otherSide(side: Side): Side {
  return side === 'orig' ? 'resp' : 'orig';
}

/** The state an endpoint was in just before packet `i` (its initial state for the first). */
export function stateBefore(t: ConnTimeline, i: number, side: Side): StateName {
  return i === 0 ? t.initial[side] : t.packets[i - 1].states[side];
}

const FLAG_WORDS: [number, string][] = [
  [SYN, 'SYN'],
  [FIN, 'FIN'],
  [RST, 'RST'],
  [PSH, 'PSH'],
  [URG, 'URG'],
  [ECE, 'ECE'],
  [CWR, 'CWR'],
  [ACK, 'ACK'],
];

/** Flags as the textbooks write them: "SYN", "SYN+ACK", "FIN+ACK", "PSH+ACK", "RST+ACK"; "none" for none. */
export function flagWords(flags: number): string {
  const parts: string[] = [];
  for (const [bit, word] of FLAG_WORDS) if (flags & bit) parts.push(word);
  return parts.length === 0 ? 'none' : parts.join('+');
}

/** "1.2 MB", "640 B", "14.2 kB" (decimal units, as network people count bytes on the wire). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[u]}`;
}

/** 9998 → "9 998": groups of three with a space, readable in both English and Chinese text. */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

const UNITS = {
  en: { us: ' µs', ms: ' ms', s: ' s', min: ' min ' },
  zh: { us: ' 微秒', ms: ' 毫秒', s: ' 秒', min: ' 分钟 ' },
};

/** A duration in µs for people: "34 µs", "1.30 ms", "1.000 s", "60 s", "2 min 5 s" (or 微秒/毫秒/秒). */
export function formatDuration(us: number, lang: 'en' | 'zh' = 'en'): string {
  const u = UNITS[lang];
  if (us < 1000) return `${us}${u.us}`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}${u.ms}`;
  if (us % 1_000_000 === 0 && us < 120_000_000) return `${us / 1_000_000}${u.s}`;
  if (us < 120_000_000) return `${(us / 1_000_000).toFixed(3)}${u.s}`;
  const s = Math.round(us / 1_000_000);
  return `${Math.floor(s / 60)}${u.min}${s % 60}${u.s}`.replace(' 0 s', '').replace(' 0 秒', '');
}

/** Seconds with six decimals from integer µs (exact: no floating-point division). */
export function formatSeconds(us: number): string {
  const neg = us < 0;
  const a = Math.abs(us);
  return `${neg ? '-' : ''}${Math.floor(a / 1_000_000)}.${String(a % 1_000_000).padStart(6, '0')}`;
}

/** Sequence space a segment consumes: payload plus one for SYN and one for FIN (RFC 9293 §3.4). */
export function segmentSpace(p: TimelinePacket): number {
  return p.len + (p.flags & SYN ? 1 : 0) + (p.flags & FIN ? 1 : 0);
}
