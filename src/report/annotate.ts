// The annotated `synack read` line (PRODUCT.md "Commands"): the packet's tcpdump line, then its
// connection id, role, both endpoints' states after the packet (orig first) and its tags in
// brackets with Wireshark's own labels ([TCP Retransmission]), ours spelled the same way. Also
// the fields `read --json` adds to the packet record (conn, from, role, states, tags).

import { STATE_NAMES, type TcpState } from '../tcp/state.js';
import { ROLE_NAMES, type Role } from '../track/held.js';
import { EVENT_KINDS, type EventKind, kindsOf } from '../track/kinds.js';
import { type LineBytes, utf8 } from './line-bytes.js';

/** Bracketed labels: Wireshark's expert-info text for its kinds, the same style for ours. */
export const TAG_LABELS: Record<EventKind, string> = {
  retransmission: 'TCP Retransmission',
  'fast-retransmission': 'TCP Fast Retransmission',
  'spurious-retransmission': 'TCP Spurious Retransmission',
  'out-of-order': 'TCP Out-Of-Order',
  'previous-segment-not-captured': 'TCP Previous segment not captured',
  'acked-unseen-segment': 'TCP ACKed unseen segment',
  'dup-ack': 'TCP Dup ACK',
  'zero-window': 'TCP ZeroWindow',
  'zero-window-probe': 'TCP ZeroWindowProbe',
  'zero-window-probe-ack': 'TCP ZeroWindowProbeAck',
  'keep-alive': 'TCP Keep-Alive',
  'keep-alive-ack': 'TCP Keep-Alive ACK',
  'window-update': 'TCP Window Update',
  'window-full': 'TCP Window Full',
  'port-reuse': 'TCP Port numbers reused',
  'syn-retransmission': 'SYN Retransmission',
  'synack-retransmission': 'SYN+ACK Retransmission',
  'handshake-ack-lost': 'Handshake ACK lost',
  'simultaneous-open': 'Simultaneous open',
  'simultaneous-close': 'Simultaneous close',
  'half-close': 'Half-close',
  'rst-out-of-window': 'RST out of window',
  'rst-challenge-ack': 'RST challenge ACK',
  'rst-suspect-forged': 'RST suspect forged',
  'window-probe': 'Window probe',
};

export interface PacketAnnotation {
  conn: number;
  fromOrig: boolean;
  role: Role;
  orig: TcpState;
  resp: TcpState;
  /** Whether the receiver got it (held.ts arrivedOf); null where the capture cannot say. */
  arrived: boolean | null;
  tags: number;
}

/** `LINE  conn 3  teardown 2/4  FIN_WAIT_2/CLOSE_WAIT  [TCP Dup ACK]` */
export function annotatedLine(base: string, a: PacketAnnotation): string {
  let s = `${base}  conn ${a.conn}  ${ROLE_NAMES[a.role]}  ${STATE_NAMES[a.orig]}/${STATE_NAMES[a.resp]}`;
  for (const k of kindsOf(a.tags)) s += ` [${TAG_LABELS[k]}]`;
  return s;
}

/** The packet record's tracker fields, as text to append inside the object (starts with a comma). */
export function packetJsonFields(a: PacketAnnotation): string {
  const tags = kindsOf(a.tags)
    .map((k) => JSON.stringify(k))
    .join(', ');
  return (
    `, "conn": ${a.conn}, "from": "${a.fromOrig ? 'orig' : 'resp'}", "role": "${ROLE_NAMES[a.role]}", ` +
    `"states": {"orig": "${STATE_NAMES[a.orig]}", "resp": "${STATE_NAMES[a.resp]}"}, ` +
    `"arrived": ${a.arrived}, "tags": [${tags}]`
  );
}

// The same two texts written as bytes after a line already in a LineBytes (read's line queue).
const ROLE_BYTES = ROLE_NAMES.map((r) => utf8(r));
const STATE_BYTES = STATE_NAMES.map((s) => utf8(s));
const TAG_BYTES = EVENT_KINDS.map((k) => utf8(` [${TAG_LABELS[k]}]`));
const TAG_JSON = EVENT_KINDS.map((k) => utf8(JSON.stringify(k)));
const CONN = utf8('  conn ');
const TWO = utf8('  ');
const J_CONN = utf8(', "conn": ');
const J_FROM_ORIG = utf8(', "from": "orig", "role": "');
const J_FROM_RESP = utf8(', "from": "resp", "role": "');
const J_STATES = utf8('", "states": {"orig": "');
const J_RESP = utf8('", "resp": "');
const J_ARRIVED = utf8('"}, "arrived": ');
const J_TRUE = utf8('true');
const J_FALSE = utf8('false');
const J_NULL = utf8('null');
const J_TAGS = utf8(', "tags": [');
const J_SEP = utf8(', ');
const J_END = utf8(']}');

/** annotatedLine's text after the base, written into `w`. */
export function annotationInto(w: LineBytes, a: PacketAnnotation): void {
  w.bytes(CONN);
  w.num(a.conn);
  w.bytes(TWO);
  w.bytes(ROLE_BYTES[a.role]!);
  w.bytes(TWO);
  w.bytes(STATE_BYTES[a.orig]!);
  w.byte(0x2f);
  w.bytes(STATE_BYTES[a.resp]!);
  for (let bits = a.tags, i = 0; bits !== 0 && i < EVENT_KINDS.length; i++) {
    if (bits & (1 << i)) {
      w.bytes(TAG_BYTES[i]!);
      bits &= ~(1 << i);
    }
  }
}

/** packetJsonFields(a) and the record's closing brace, written into `w`. */
export function packetJsonFieldsInto(w: LineBytes, a: PacketAnnotation): void {
  w.bytes(J_CONN);
  w.num(a.conn);
  w.bytes(a.fromOrig ? J_FROM_ORIG : J_FROM_RESP);
  w.bytes(ROLE_BYTES[a.role]!);
  w.bytes(J_STATES);
  w.bytes(STATE_BYTES[a.orig]!);
  w.bytes(J_RESP);
  w.bytes(STATE_BYTES[a.resp]!);
  w.bytes(J_ARRIVED);
  w.bytes(a.arrived === null ? J_NULL : a.arrived ? J_TRUE : J_FALSE);
  w.bytes(J_TAGS);
  let first = true;
  for (let bits = a.tags, i = 0; bits !== 0 && i < EVENT_KINDS.length; i++) {
    if (bits & (1 << i)) {
      if (!first) w.bytes(J_SEP);
      first = false;
      w.bytes(TAG_JSON[i]!);
      bits &= ~(1 << i);
    }
  }
  w.bytes(J_END);
}
