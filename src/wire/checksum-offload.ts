// TCP checksum offload as a capture on the sending host shows it: the kernel leaves the checksum
// to the NIC (Linux CHECKSUM_PARTIAL: tcp_v4_send_check/tcp_v6_send_check store the folded
// pseudo-header sum, not the checksum), so every segment that host sends looks bad although it
// left the NIC correct. That signature tells offload apart from corruption. Pure.

import { pseudoHeaderSum } from './checksum.js';
import type { Packet } from './packet.js';

/** Folds a one's-complement sum to 16 bits (RFC 1071). */
function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * Whether a segment with a bad checksum carries, instead of the checksum, the pseudo-header sum
 * a sender leaves for its NIC to complete (the whole segment captured, lengths from the IP header).
 */
export function looksOffloaded(pkt: Packet): boolean {
  if (pkt.checksumStatus !== 'bad') return false;
  const segmentLen = pkt.headerLen + pkt.payloadLen;
  const addrLen = pkt.ipVersion === 4 ? 4 : 16;
  const partial = fold(pseudoHeaderSum(pkt.src, 0, pkt.dst, 0, addrLen, 6, segmentLen));
  const field = pkt.checksum;
  // Some drivers leave the field zero instead.
  return field === partial || field === 0;
}
