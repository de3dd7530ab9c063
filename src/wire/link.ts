// Link layers and the encapsulations that sit between them and IP: Ethernet II / 802.3 with
// LLC/SNAP, 802.1Q and 802.1ad/QinQ tags, MPLS label stacks (RFC 3032), PPPoE sessions
// (RFC 2516), 802.1ah provider backbone bridging (I-TAG), Cisco FabricPath, Linux cooked
// captures (SLL, SLL2), raw IP, BSD NULL/LOOP, FDDI. Every layer is pushed with its frame offset so the tcpdump renderer
// can print prefixes such as `MPLS (label …)` or `PPPoE [ses 0x…]` by re-reading the bytes.
// Link type numbers: https://www.tcpdump.org/linktypes.html

import { type DecodeContext, Next, u16, u32 } from './decode-context.js';
import { Layer, MAX_LAYERS, type Packet } from './packet.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_FDDI = 10;
/** DLT_RAW as some BSDs number it in files. */
export const LINKTYPE_RAW_BSD = 12;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ tag types still seen in captures. */
export const ETHERTYPE_QINQ_OLD1 = 0x9100;
export const ETHERTYPE_QINQ_OLD2 = 0x9200;
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
export const ETHERTYPE_PBB = 0x88e7;
/** Cisco FabricPath (Data Center Ethernet): a MAC-in-MAC header with this type, then a frame. */
export const ETHERTYPE_FABRICPATH = 0x8903;
/** Transparent Ethernet bridging: an Ethernet frame follows (GRE, Geneve). */
export const ETHERTYPE_TEB = 0x6558;

export const PPP_IPV4 = 0x0021;
export const PPP_IPV6 = 0x0057;

/** Sets up the cursor after the link header of `linktype`; returns what follows. */
export function decodeLink(ctx: DecodeContext, pkt: Packet, linktype: number): Next {
  const b = ctx.buf;
  const o = ctx.off;
  const avail = ctx.end - o;
  switch (linktype) {
    case LINKTYPE_ETHERNET:
      return Next.ETHERNET;
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD:
      pkt.pushLayer(Layer.RAW_IP, o);
      return Next.IP_BY_VERSION;
    case LINKTYPE_IPV4:
      pkt.pushLayer(Layer.RAW_IP, o);
      return Next.IPV4;
    case LINKTYPE_IPV6:
      pkt.pushLayer(Layer.RAW_IP, o);
      return Next.IPV6;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (avail < 4) return malformed(pkt, o, 'truncated loopback header');
      pkt.pushLayer(Layer.NULL_LOOP, o);
      // NULL stores the address family in the capturing host's byte order, LOOP in network order;
      // families above 0xffff can only be the other byte order.
      const big = u32(b, o);
      const little = (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
      let family = linktype === LINKTYPE_LOOP ? big : little;
      if (family > 0xffff) family = linktype === LINKTYPE_LOOP ? little : big;
      ctx.off = o + 4;
      if (family === 2) return Next.IPV4;
      // AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS).
      if (family === 24 || family === 28 || family === 30 || family === 10) return Next.IPV6;
      return Next.DONE_NOT_TCP;
    }
    case LINKTYPE_LINUX_SLL: {
      if (avail < 16) return malformed(pkt, o, 'truncated Linux cooked header');
      pkt.pushLayer(Layer.SLL, o);
      ctx.type = u16(b, o + 14);
      ctx.off = o + 16;
      return Next.ETHERTYPE;
    }
    case LINKTYPE_LINUX_SLL2: {
      if (avail < 20) return malformed(pkt, o, 'truncated Linux cooked v2 header');
      pkt.pushLayer(Layer.SLL2, o);
      ctx.type = u16(b, o);
      ctx.off = o + 20;
      return Next.ETHERTYPE;
    }
    case LINKTYPE_FDDI: {
      // Frame control (1) and two addresses (6+6), then 802.2 LLC.
      if (avail < 13) return malformed(pkt, o, 'truncated FDDI header');
      pkt.pushLayer(Layer.FDDI, o);
      ctx.off = o + 13;
      return decodeLlc(ctx, pkt);
    }
    default:
      ctx.noteOnce(`unknown link type ${linktype}: its frames are skipped`);
      return Next.DONE_UNSUPPORTED;
  }
}

/** Ethernet II or 802.3: destination, source, type/length. */
export function decodeEthernet(ctx: DecodeContext, pkt: Packet): Next {
  const o = ctx.off;
  if (ctx.end - o < 14) return malformed(pkt, o, 'truncated Ethernet header');
  pkt.pushLayer(Layer.ETHERNET, o);
  const typeOrLength = u16(ctx.buf, o + 12);
  ctx.off = o + 14;
  if (typeOrLength <= 1500) return decodeLlc(ctx, pkt);
  ctx.type = typeOrLength;
  return Next.ETHERTYPE;
}

/** 802.2 LLC; only SNAP (AA AA 03, OUI, ethertype) can carry IP. */
function decodeLlc(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  const o = ctx.off;
  if (ctx.end - o < 3) return malformed(pkt, o, 'truncated LLC header');
  if (b[o] !== 0xaa || b[o + 1] !== 0xaa || b[o + 2] !== 0x03) return Next.DONE_NOT_TCP;
  if (ctx.end - o < 8) return malformed(pkt, o, 'truncated SNAP header');
  pkt.pushLayer(Layer.LLC_SNAP, o);
  ctx.type = u16(b, o + 6);
  ctx.off = o + 8;
  return Next.ETHERTYPE;
}

/**
 * Follows the ethertype in `ctx.type`: peels VLAN tags, MPLS labels, PPPoE, PBB and FabricPath
 * headers, and hands IP to the IP decoders. Anything else (ARP, LLDP, …) is not TCP.
 */
export function decodeEthertype(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  const o = ctx.off;
  switch (ctx.type) {
    case ETHERTYPE_IPV4:
      return Next.IPV4;
    case ETHERTYPE_IPV6:
      return Next.IPV6;
    case ETHERTYPE_VLAN:
    case ETHERTYPE_QINQ:
    case ETHERTYPE_QINQ_OLD1:
    case ETHERTYPE_QINQ_OLD2:
      // Tag control (PCP, DEI, VID) then the inner type (IEEE 802.1Q §9.6).
      if (ctx.end - o < 4) return malformed(pkt, o, 'truncated VLAN tag');
      pkt.pushLayer(Layer.VLAN, o);
      ctx.off = o + 4;
      ctx.type = u16(b, o + 2);
      if (ctx.type <= 1500) return decodeLlc(ctx, pkt);
      return Next.ETHERTYPE;
    case ETHERTYPE_MPLS:
    case ETHERTYPE_MPLS_MULTICAST:
      return decodeMpls(ctx, pkt);
    case ETHERTYPE_PPPOE_SESSION: {
      // ver/type, code, session id, length (RFC 2516 §4), then the PPP protocol number.
      if (ctx.end - o < 8) return malformed(pkt, o, 'truncated PPPoE header');
      pkt.pushLayer(Layer.PPPOE, o);
      const proto = u16(b, o + 6);
      ctx.off = o + 8;
      if (proto === PPP_IPV4) return Next.IPV4;
      if (proto === PPP_IPV6) return Next.IPV6;
      return Next.DONE_NOT_TCP;
    }
    case ETHERTYPE_PBB:
      // I-TAG: PCP/DEI/UCA/res and the 24-bit I-SID, then the customer's Ethernet header
      // (IEEE 802.1ah). tcpdump 4.99.3 stops here, so TCP inside is beyond it.
      if (ctx.end - o < 4) return malformed(pkt, o, 'truncated 802.1ah I-TAG');
      pkt.pushLayer(Layer.PBB, o);
      pkt.beyondTcpdump = true;
      ctx.off = o + 4;
      return Next.ETHERNET;
    case ETHERTYPE_FABRICPATH:
      // A 16-byte header: the outer (hierarchical) destination and source MACs where Ethernet
      // has its addresses, this type, then FTag (10 bits) and TTL (6 bits); the customer's
      // Ethernet frame follows, as Zeek (which skips 16 bytes) and Wireshark's cfp dissector
      // (also after an 802.1Q/802.1ad tag) read it. A trailing FCS is past the IP length.
      // tcpdump 4.99.3 prints `ethertype Unknown (0x8903)`, so TCP inside is beyond it.
      if (ctx.end - o < 2) return malformed(pkt, o, 'truncated FabricPath header');
      pkt.pushLayer(Layer.FABRICPATH, o);
      pkt.beyondTcpdump = true;
      ctx.off = o + 2;
      return Next.ETHERNET;
    case ETHERTYPE_TEB:
      return Next.ETHERNET;
    default:
      return Next.DONE_NOT_TCP;
  }
}

/**
 * An MPLS label stack (RFC 3032 §2.1): 4-byte entries up to the bottom-of-stack bit. The payload
 * type is not signalled; like tcpdump, Zeek and Wireshark we look at the first nibble (4 or 6).
 */
function decodeMpls(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  let o = ctx.off;
  pkt.pushLayer(Layer.MPLS, o);
  for (;;) {
    if (ctx.end - o < 4) return malformed(pkt, o, 'truncated MPLS label stack');
    const bottom = (b[o + 2] & 0x01) !== 0;
    o += 4;
    if (bottom) break;
  }
  ctx.off = o;
  return Next.IP_BY_VERSION;
}

/** A frame nested past MAX_LAYERS: malformed (counted, skipped) and a note once per decoder. */
export function tooDeep(ctx: DecodeContext, pkt: Packet, offset: number): Next {
  ctx.noteOnce(
    `frames nested deeper than ${MAX_LAYERS} layers (tunnels, tags, extension headers) are skipped`,
  );
  return malformed(pkt, offset, `nested deeper than ${MAX_LAYERS} layers`);
}

/** Marks the packet malformed at `offset` (in the decoder's buffer) with a reason; decoding stops. */
export function malformed(pkt: Packet, offset: number, reason: string): Next {
  pkt.error = reason;
  pkt.errorOffset = offset - pkt.frameOffset;
  return Next.DONE_MALFORMED;
}
