// The Internet checksum (RFC 1071; RFC 1624 for why 0xffff and 0 are the same sum) over byte
// ranges of a Uint8Array, the IPv4 header checksum (RFC 791 §3.1), and the TCP/UDP pseudo-header
// sums for IPv4 (RFC 9293 §3.1, RFC 768) and IPv6 (RFC 8200 §8.1). Pure: no Node APIs.
//
// Sums are kept unfolded as plain numbers (exact below 2^53) and folded only at the end, so a
// verifier can chain pseudo-header + header + payload without allocating.

/**
 * Adds the big-endian 16-bit words of bytes[start, end) to `acc` (an odd last byte is padded with
 * zero, RFC 1071 §4.1). Returns the unfolded sum; pass it on as `acc` or to `finishChecksum`.
 * `start` must be even relative to the start of the checksummed data.
 */
export function sum16(bytes: Uint8Array, start: number, end: number, acc = 0): number {
  let sum = acc;
  let i = start;
  const evenEnd = end - ((end - start) & 1);
  for (; i < evenEnd; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

/** Folds an unfolded sum to 16 bits with end-around carry (RFC 1071 §4.1), without complementing. */
export function foldSum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

/** The checksum field value for an unfolded sum: the one's complement of the folded sum. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** Internet checksum of bytes[start, end). Over data that includes its checksum field, 0 means valid. */
export function internetChecksum(bytes: Uint8Array, start: number, end: number): number {
  return finishChecksum(sum16(bytes, start, end));
}

/** IHL-derived length of the IPv4 header at `ipOffset`, in bytes. */
function ipv4HeaderLength(bytes: Uint8Array, ipOffset: number): number {
  return (bytes[ipOffset]! & 0x0f) * 4;
}

/** The value to store in the IPv4 header checksum field (computed as if the field were zero). */
export function ipv4HeaderChecksum(bytes: Uint8Array, ipOffset: number): number {
  const end = ipOffset + ipv4HeaderLength(bytes, ipOffset);
  // Sum around the checksum field (bytes 10-11) rather than zeroing it: the buffer is not ours.
  const sum = sum16(bytes, ipOffset + 12, end, sum16(bytes, ipOffset, ipOffset + 10));
  return finishChecksum(sum);
}

/** True when the IPv4 header at `ipOffset` (its IHL bytes must be present) carries a correct checksum. */
export function ipv4HeaderChecksumOk(bytes: Uint8Array, ipOffset: number): boolean {
  return foldSum(sum16(bytes, ipOffset, ipOffset + ipv4HeaderLength(bytes, ipOffset))) === 0xffff;
}

/**
 * Unfolded sum of a TCP/UDP pseudo-header: source and destination addresses (`addrLen` 4 for IPv4,
 * 16 for IPv6) read from their buffers, the upper-layer protocol number and the upper-layer length
 * (16 bits in IPv4's pseudo-header, 32 in IPv6's; summed the same way).
 */
export function pseudoHeaderSum(
  src: Uint8Array,
  srcOffset: number,
  dst: Uint8Array,
  dstOffset: number,
  addrLen: 4 | 16,
  protocol: number,
  upperLength: number,
): number {
  let sum = sum16(src, srcOffset, srcOffset + addrLen);
  sum = sum16(dst, dstOffset, dstOffset + addrLen, sum);
  return sum + protocol + (upperLength & 0xffff) + Math.floor(upperLength / 65536);
}

/** Pseudo-header sum for the IPv4 header at `ipOffset` (addresses at +12 and +16). */
export function pseudoHeaderSumV4(
  bytes: Uint8Array,
  ipOffset: number,
  protocol: number,
  upperLength: number,
) {
  return pseudoHeaderSum(bytes, ipOffset + 12, bytes, ipOffset + 16, 4, protocol, upperLength);
}

/** Pseudo-header sum for the IPv6 header at `ipOffset` (addresses at +8 and +24; RFC 8200 §8.1). */
export function pseudoHeaderSumV6(
  bytes: Uint8Array,
  ipOffset: number,
  protocol: number,
  upperLength: number,
) {
  return pseudoHeaderSum(bytes, ipOffset + 8, bytes, ipOffset + 24, 16, protocol, upperLength);
}

/**
 * Checksum over a pseudo-header sum and the segment bytes[start, end). With the segment's checksum
 * field included as transmitted, the result is 0 when the checksum is correct; with the field zeroed,
 * it is the value to store (a UDP sender then writes 0xffff for 0, RFC 768).
 */
export function transportChecksum(bytes: Uint8Array, start: number, end: number, pseudoSum: number): number {
  return finishChecksum(sum16(bytes, start, end, pseudoSum));
}
