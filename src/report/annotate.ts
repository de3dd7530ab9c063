// The annotated `synack read` line (PRODUCT.md "Commands"): the packet's tcpdump line, then its
// connection id, role, both endpoints' states after the packet (orig first) and its tags in
// brackets with Wireshark's own labels ([TCP Retransmission]), ours spelled the same way. Also
// the fields `read --json` adds to the packet record (conn, from, role, states, tags).

import { STATE_NAMES, type TcpState } from '../tcp/state.js';
import { ROLE_NAMES, type Role } from '../track/held.js';
import { type EventKind, kindsOf } from '../track/kinds.js';

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
