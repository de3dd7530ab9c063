// IPv4 (RFC 791 §3.1, options skipped by the header length) and IPv6 (RFC 8200 §3-4: hop-by-hop,
// routing, fragment, destination options, plus AH (RFC 4302) and the other RFC 7045 extension
// headers). The datagram's extent comes from its own length fields, never from the frame, so
// Ethernet padding is ignored and snaplen cuts are seen as truncation. Fragments go to the
// reassembler (fragments.ts); a completed datagram is decoded when its last fragment arrives.

import { type DecodeContext, Next, u16, u32 } from './decode-context.js';
import { FragmentResult } from './fragments.js';
import { malformed, tooDeep } from './link.js';
import { Layer, MAX_LAYERS, type Packet } from './packet.js';

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_GRE = 47;
export const IPPROTO_AH = 51;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_MOBILITY = 135;
export const IPPROTO_HIP = 139;
export const IPPROTO_SHIM6 = 140;

/** The first nibble picks the IP version (raw IP links, MPLS, GTP-U payloads). */
export function ipByVersion(ctx: DecodeContext, pkt: Packet): Next {
  if (ctx.end - ctx.off < 1) return malformed(pkt, ctx.off, 'truncated IP header');
  const version = ctx.buf[ctx.off] >> 4;
  if (version === 4) return Next.IPV4;
  if (version === 6) return Next.IPV6;
  return Next.DONE_NOT_TCP;
}

/**
 * The datagram spans `total` bytes from `o`: bound the cursor by it (padding after it is not
 * ours) and note truncation when fewer bytes were captured.
 */
function setDatagramExtent(ctx: DecodeContext, pkt: Packet, o: number, total: number): void {
  const limit = o + total;
  if (limit > ctx.end) pkt.truncated = true;
  else ctx.end = limit;
  ctx.limit = limit;
  pkt.ipTotalLen = total;
}

export function decodeIpv4(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  const o = ctx.off;
  const avail = ctx.end - o;
  if (avail < 20) {
    pkt.truncated = true;
    return malformed(pkt, o, 'truncated IPv4 header');
  }
  const versionIhl = b[o];
  if (versionIhl >> 4 !== 4) return malformed(pkt, o, `IPv4 header with version ${versionIhl >> 4}`);
  const headerLen = (versionIhl & 0x0f) * 4;
  if (headerLen < 20) return malformed(pkt, o, `IPv4 header length ${headerLen} < 20`);
  if (avail < headerLen) {
    pkt.truncated = true;
    return malformed(pkt, o, 'truncated IPv4 options');
  }
  let total = u16(b, o + 2);
  if (total === 0) {
    // TCP segmentation offload: the NIC fills the length after the capture point (Wireshark's
    // "IP TSO" handling): the datagram is whatever was captured.
    total = avail;
    ctx.noteOnce('IPv4 total length 0 (segmentation offload): length taken from the capture');
  }
  if (total < headerLen) return malformed(pkt, o, `IPv4 total length ${total} < header length ${headerLen}`);
  pkt.pushLayer(Layer.IPV4, o);
  ctx.hasFinalDst = false;
  pkt.ipVersion = 4;
  pkt.tos = b[o + 1];
  pkt.ipId = u16(b, o + 4);
  const fragField = u16(b, o + 6);
  pkt.df = (fragField & 0x4000) !== 0;
  pkt.ttl = b[o + 8];
  pkt.flowLabel = 0;
  const proto = b[o + 9];
  const src = pkt.src;
  const dst = pkt.dst;
  for (let i = 0; i < 4; i++) {
    src[i] = b[o + 12 + i];
    dst[i] = b[o + 16 + i];
  }
  // Bytes 4..15 are zero for IPv4: three words each.
  const src32 = pkt.src32;
  const dst32 = pkt.dst32;
  src32[1] = 0;
  src32[2] = 0;
  src32[3] = 0;
  dst32[1] = 0;
  dst32[2] = 0;
  dst32[3] = 0;
  setDatagramExtent(ctx, pkt, o, total);
  ctx.off = o + headerLen;
  ctx.type = proto;
  const fragOffset = (fragField & 0x1fff) * 8;
  const more = (fragField & 0x2000) !== 0;
  if (fragOffset === 0 && !more) return Next.IP_PAYLOAD;
  return fragment(ctx, pkt, 4, pkt.ipId, proto, fragOffset, more, headerLen);
}

export function decodeIpv6(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  const o = ctx.off;
  const avail = ctx.end - o;
  if (avail < 40) {
    pkt.truncated = true;
    return malformed(pkt, o, 'truncated IPv6 header');
  }
  const first = u32(b, o);
  if (first >>> 28 !== 6) return malformed(pkt, o, `IPv6 header with version ${first >>> 28}`);
  pkt.pushLayer(Layer.IPV6, o);
  ctx.hasFinalDst = false;
  pkt.ipVersion = 6;
  pkt.tos = (first >>> 20) & 0xff;
  pkt.flowLabel = first & 0xfffff;
  pkt.ipId = -1;
  pkt.df = false;
  pkt.ttl = b[o + 7];
  const src = pkt.src;
  const dst = pkt.dst;
  for (let i = 0; i < 16; i++) {
    src[i] = b[o + 8 + i];
    dst[i] = b[o + 24 + i];
  }
  let payloadLen = u16(b, o + 4);
  if (payloadLen === 0) {
    // Jumbogram (RFC 2675) or segmentation offload: the datagram is whatever was captured.
    payloadLen = avail - 40;
    if (payloadLen > 0)
      ctx.noteOnce('IPv6 payload length 0 (jumbogram or offload): length taken from the capture');
  }
  setDatagramExtent(ctx, pkt, o, 40 + payloadLen);
  ctx.off = o + 40;
  return ipv6Chain(ctx, pkt, b[o + 6], 40);
}

/**
 * Walks the IPv6 extension headers starting with `nextHeader` at ctx.off. `unfragLen` counts the
 * bytes of the unfragmentable part (for the reassembled datagram's total length).
 */
function ipv6Chain(ctx: DecodeContext, pkt: Packet, nextHeader: number, unfragLen: number): Next {
  let nh = nextHeader;
  let headerBytes = unfragLen;
  for (;;) {
    const b = ctx.buf;
    const o = ctx.off;
    switch (nh) {
      case IPPROTO_HOPOPTS:
      case IPPROTO_ROUTING:
      case IPPROTO_DSTOPTS:
      case IPPROTO_MOBILITY:
      case IPPROTO_HIP:
      case IPPROTO_SHIM6:
      case IPPROTO_AH: {
        if (ctx.end - o < 2) return truncatedExtension(pkt, o);
        // AH counts 4-byte words minus 2 (RFC 4302 §2.2); the others 8-byte words minus 1.
        const len = nh === IPPROTO_AH ? (b[o + 1] + 2) * 4 : (b[o + 1] + 1) * 8;
        if (o + len > ctx.limit) return malformed(pkt, o, 'IPv6 extension header beyond payload length');
        if (o + len > ctx.end) return truncatedExtension(pkt, o);
        if (pkt.layerCount >= MAX_LAYERS) return tooDeep(ctx, pkt, o);
        pkt.pushLayer(Layer.IPV6_EXT, o);
        if (nh === IPPROTO_ROUTING) noteFinalDestination(ctx, b, o, len);
        nh = b[o];
        ctx.off = o + len;
        headerBytes += len;
        continue;
      }
      case IPPROTO_FRAGMENT: {
        // RFC 8200 §4.5: next header, reserved, offset (13 bits) / res / M, identification.
        if (o + 8 > ctx.limit) return malformed(pkt, o, 'IPv6 fragment header beyond payload length');
        if (o + 8 > ctx.end) return truncatedExtension(pkt, o);
        if (pkt.layerCount >= MAX_LAYERS) return tooDeep(ctx, pkt, o);
        pkt.pushLayer(Layer.IPV6_EXT, o);
        nh = b[o];
        const field = u16(b, o + 2);
        pkt.ipId = u32(b, o + 4);
        ctx.off = o + 8;
        headerBytes += 8;
        const fragOffset = field & 0xfff8;
        const more = (field & 1) !== 0;
        // An atomic fragment (offset 0, no more) is a whole datagram (RFC 6946).
        if (fragOffset === 0 && !more) continue;
        const next = fragment(ctx, pkt, 6, pkt.ipId, nh, fragOffset, more, headerBytes);
        if (next !== Next.IP_PAYLOAD) return next;
        continue;
      }
      case IPPROTO_NONE:
        return Next.DONE_NOT_TCP;
      default:
        ctx.type = nh;
        return Next.IP_PAYLOAD;
    }
  }
}

/**
 * With segments left, the pseudo-header's destination is the final one (RFC 8200 §8.1): the last
 * address of a type 0 (RFC 2460) or type 2 (RFC 6275) header, Segment List[0] of an SRH (RFC 8754).
 */
function noteFinalDestination(ctx: DecodeContext, b: Uint8Array, o: number, len: number): void {
  const routingType = b[o + 2];
  if (b[o + 3] === 0 || len < 24) return;
  let at: number;
  if (routingType === 0 || routingType === 2) at = o + len - 16;
  else if (routingType === 4) at = o + 8;
  else return;
  for (let i = 0; i < 16; i++) ctx.finalDst[i] = b[at + i];
  ctx.hasFinalDst = true;
}

function truncatedExtension(pkt: Packet, o: number): Next {
  pkt.truncated = true;
  return malformed(pkt, o, 'truncated IPv6 extension header');
}

/**
 * A fragment (IPv4 or IPv6). With reassembly on it is held until the datagram completes; the
 * completed datagram's payload then replaces the cursor's buffer. With reassembly off, the first
 * fragment is decoded as far as it goes (tcpdump shows its TCP header) and later ones are not TCP.
 */
function fragment(
  ctx: DecodeContext,
  pkt: Packet,
  version: 4 | 6,
  id: number,
  proto: number,
  fragOffset: number,
  more: boolean,
  headerBytes: number,
): Next {
  const reassembler = ctx.reassembler;
  if (reassembler === null) return fragOffset === 0 ? Next.IP_PAYLOAD : Next.DONE_NOT_TCP;
  const result = reassembler.add(
    version,
    pkt.src,
    pkt.dst,
    id,
    proto,
    fragOffset,
    more,
    ctx.buf,
    ctx.off,
    ctx.limit - ctx.off,
    ctx.end - ctx.off,
    // Capture time in seconds, for fragment timeouts (computed here: fragments are rare).
    pkt.tsSec + pkt.tsNsec / 1e9,
  );
  for (let n = reassembler.takeNote(); n !== ''; n = reassembler.takeNote()) ctx.noteOnce(n);
  if (result === FragmentResult.HELD) return Next.DONE_FRAGMENT_HELD;
  if (result === FragmentResult.REJECTED) return malformed(pkt, ctx.off, reassembler.error);
  // Complete: continue in the reassembled payload (its offsets are no longer frame offsets).
  pkt.reassemblyLayer = pkt.layerCount;
  pkt.frameOffset = 0;
  ctx.buf = reassembler.datagram;
  ctx.off = 0;
  ctx.limit = reassembler.datagramLen;
  ctx.end = reassembler.datagramLen;
  if (reassembler.datagramTruncated) pkt.truncated = true;
  pkt.reassembled = true;
  // tcpdump does not reassemble: it shows TCP on the first fragment's frame, not here.
  pkt.beyondTcpdump = true;
  pkt.ipTotalLen = headerBytes + reassembler.datagramLen;
  return Next.IP_PAYLOAD;
}
