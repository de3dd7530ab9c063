// The TCP segment as a plain value (RFC 9293 §3.1): what the sans-IO endpoint consumes and
// produces and what the lab puts on its wire. Only the fields the state machine reads; the frame
// builder (src/wire/build.ts) turns it into bytes. Also: the reset a host sends for a segment
// that finds no connection (RFC 9293 §3.10.7.1), shared by the endpoint in CLOSED and the lab's hosts.

import { ACK, FIN, PSH, RST, SYN } from '../wire/packet.js';
import { seqAdd } from './seq.js';

/** The options the endpoint negotiates or reports (RFC 9293 §3.2, RFC 7323, RFC 2018). */
export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackOk?: boolean;
  /** [TSval, TSecr] (RFC 7323 §3). */
  ts?: [number, number];
  /** SACK blocks as [left, right) pairs (RFC 2018 §3). */
  sack?: [number, number][];
  /** TCP Fast Open (RFC 7413 §4.1.1, kind 34): the cookie; empty for a cookie request. */
  fastOpen?: Uint8Array;
}

export interface Segment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Flag bits from src/wire/packet.ts (FIN, SYN, RST, PSH, ACK, …). */
  flags: number;
  /** The raw 16-bit window field (unscaled). */
  window: number;
  options: TcpOptions;
  payload: Uint8Array;
  /** The options' exact bytes on the wire when they differ from the usual layout (packetdrill's `<` lines). */
  rawOptions?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** The sequence space a segment occupies: payload plus one each for SYN and FIN (RFC 9293 §3.4). */
export function segmentLength(seg: Segment): number {
  return seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
}

/**
 * The reset for a segment that reaches no connection (RFC 9293 §3.10.7.1, "If the state is
 * CLOSED"): nothing for a RST; <SEQ=SEG.ACK><CTL=RST> when the segment has ACK; otherwise
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
export function resetFor(seg: Segment): Segment | undefined {
  if (seg.flags & RST) return undefined;
  const base = { srcPort: seg.dstPort, dstPort: seg.srcPort, window: 0, options: {}, payload: EMPTY };
  if (seg.flags & ACK) return { ...base, seq: seg.ack, ack: 0, flags: RST };
  return { ...base, seq: 0, ack: seqAdd(seg.seq, segmentLength(seg)), flags: RST | ACK };
}

const FLAG_LETTERS: [number, string][] = [
  [SYN, 'S'],
  [FIN, 'F'],
  [PSH, 'P'],
  [RST, 'R'],
];

/** tcpdump-like one-liner (absolute numbers), for test messages and debugging: `S 100:100(0) win 64240`. */
export function formatSegment(seg: Segment): string {
  let flags = '';
  for (const [bit, letter] of FLAG_LETTERS) if (seg.flags & bit) flags += letter;
  if (seg.flags & ACK) flags += '.';
  let s = `${seg.srcPort} > ${seg.dstPort} [${flags}] seq ${seg.seq}`;
  if (seg.payload.length > 0) s += `:${seqAdd(seg.seq, seg.payload.length)}`;
  if (seg.flags & ACK) s += ` ack ${seg.ack}`;
  s += ` win ${seg.window}`;
  const o = seg.options;
  const opts: string[] = [];
  if (o.mss !== undefined) opts.push(`mss ${o.mss}`);
  if (o.sackOk) opts.push('sackOK');
  if (o.ts) opts.push(`TS val ${o.ts[0]} ecr ${o.ts[1]}`);
  if (o.wscale !== undefined) opts.push(`wscale ${o.wscale}`);
  if (o.sack?.length) opts.push(`sack ${o.sack.map(([l, r]) => `{${l}:${r}}`).join('')}`);
  if (opts.length) s += ` [${opts.join(',')}]`;
  s += ` length ${seg.payload.length}`;
  return s;
}
