// Which endpoint is the originator (orig, the "client") and which the responder: PRODUCT.md
// "Orientation", restated from Zeek's TCP analyzer (TCPAnalyzer::WantConnection and the flip of a
// connection that starts at a SYN+ACK once an ACK or data follows, Zeek PR #2191; Zeek's SYN/SYN-ACK
// reversal for coalesced interfaces is not applied: no baseline needs it). Pure functions over flag bits and ports, so the
// flow table, the Zeek conn.log and the tests share one rule. RFC 9293 §3.5 for the handshake.
//
// A = the sender of the connection's first segment. Every function answers "is orig B?" relative
// to what was decided before, i.e. whether the roles flip now.

import { ACK, FIN, RST, SYN } from '../wire/packet.js';
import { DEFAULT_LIKELY_SERVER_PORTS, type PortSet } from './likely-server-ports.js';

/** A SYN without ACK: its sender is the active opener, hence orig. */
export function isPlainSyn(flags: number): boolean {
  return (flags & (SYN | ACK)) === SYN;
}

/** A SYN+ACK (the passive opener's answer). */
export function isSynAck(flags: number): boolean {
  return (flags & (SYN | ACK)) === (SYN | ACK);
}

/**
 * Zeek's rule for the first segment of a connection: a plain SYN is never flipped. Anything else
 * (a SYN+ACK included) is flipped when its source port is a likely server port and its destination
 * port is not; when both are, only if it is not a SYN+ACK (stealth scans send those) and its source
 * port is the lower one.
 */
export function flipAtFirstSegment(
  flags: number,
  srcPort: number,
  dstPort: number,
  ports: PortSet = DEFAULT_LIKELY_SERVER_PORTS,
): boolean {
  if (isPlainSyn(flags)) return false;
  if (!ports.has(srcPort)) return false;
  if (!ports.has(dstPort)) return true;
  return (flags & SYN) === 0 && srcPort < dstPort;
}

/**
 * A connection first seen at a SYN+ACK and not flipped then is flipped when the next segment (in
 * either direction) is a pure ACK or carries data: a stealth scan's SYN+ACK draws a RST or
 * nothing, never an ACK or data, so such a segment proves the SYN+ACK came from the server.
 * Segments with SYN, FIN or RST do not qualify.
 */
export function flipsAfterSynAckStart(flags: number, payloadLen: number): boolean {
  if ((flags & (SYN | FIN | RST)) !== 0) return false;
  return (flags & ACK) !== 0 || payloadLen > 0;
}
