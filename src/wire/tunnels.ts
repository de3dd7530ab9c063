// Tunnels that Zeek decapsulates by default, so the inner TCP is seen: UDP-borne Teredo (RFC 4380
// §5.1.1, port 3544 or detected on any UDP port, as Zeek does), GTPv1-U (3GPP TS 29.281 §5, port 2152), VXLAN (RFC 7348, port 4789) and
// Geneve (RFC 8926, port 6081); GRE (RFC 2784/2890, and PPTP's enhanced GRE, RFC 2637 §4.1)
// carrying IP, Ethernet (transparent bridging), MPLS or ERSPAN types I/II/III. IP-in-IP and 6in4
// need nothing here: the IP decoders follow protocols 4 and 41.
// Checked with tcpdump 4.99.3: it decodes VXLAN, Geneve, GRE (IP, Ethernet, MPLS, PPP) and IP in
// IP, but not Teredo, GTP-U or ERSPAN, so TCP found inside those sets pkt.beyondTcpdump.

import { type DecodeContext, Next, u16 } from './decode-context.js';
import { PPP_IPV4, PPP_IPV6 } from './link.js';
import { Layer, type Packet } from './packet.js';

export const PORT_GTP_U = 2152;
export const PORT_VXLAN = 4789;
export const PORT_GENEVE = 6081;

const GRE_PROTO_PPP = 0x880b;
const GRE_PROTO_ERSPAN_2 = 0x88be;
const GRE_PROTO_ERSPAN_3 = 0x22eb;

/** A UDP header at ctx.off; follows it into a tunnel when a tunnel port is at either end. */
export function decodeUdp(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  const o = ctx.off;
  if (ctx.end - o < 8) return Next.DONE_NOT_TCP;
  pkt.pushLayer(Layer.UDP, o);
  const srcPort = u16(b, o);
  const dstPort = u16(b, o + 2);
  const udpLen = u16(b, o + 4);
  // The UDP length bounds the tunnel payload when it is consistent with the IP length.
  if (udpLen >= 8 && o + udpLen < ctx.limit) {
    ctx.limit = o + udpLen;
    if (ctx.end > ctx.limit) ctx.end = ctx.limit;
  }
  ctx.off = o + 8;
  if (dstPort === PORT_VXLAN || srcPort === PORT_VXLAN) return decodeVxlan(ctx, pkt);
  if (dstPort === PORT_GENEVE || srcPort === PORT_GENEVE) return decodeGeneve(ctx, pkt);
  if (dstPort === PORT_GTP_U || srcPort === PORT_GTP_U) return decodeGtpU(ctx, pkt);
  // Zeek registers Teredo for protocol detection on every UDP port, not only 3544 (peers talk
  // Teredo between ephemeral ports once qualified): the strict IPv6 length test keeps it honest.
  return decodeTeredo(ctx, pkt);
}

/** VXLAN: flags, reserved, 24-bit VNI, reserved; an Ethernet frame follows. */
function decodeVxlan(ctx: DecodeContext, pkt: Packet): Next {
  if (ctx.end - ctx.off < 8) return Next.DONE_NOT_TCP;
  pkt.pushLayer(Layer.VXLAN, ctx.off);
  ctx.off += 8;
  return Next.ETHERNET;
}

/** Geneve: version and option length, flags, protocol type (an ethertype), VNI, options. */
function decodeGeneve(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  const o = ctx.off;
  if (ctx.end - o < 8 || b[o] >> 6 !== 0) return Next.DONE_NOT_TCP;
  const headerLen = 8 + (b[o] & 0x3f) * 4;
  if (ctx.end - o < headerLen) return Next.DONE_NOT_TCP;
  pkt.pushLayer(Layer.GENEVE, o);
  ctx.type = u16(b, o + 2);
  ctx.off = o + headerLen;
  return Next.ETHERTYPE;
}

/**
 * GTPv1-U: only G-PDUs (message type 255) carry user IP. Flags E/S/PN add 4 bytes; extension
 * headers (E) are chained by their last byte, each counting 4-byte units.
 */
function decodeGtpU(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  const o = ctx.off;
  if (ctx.end - o < 8) return Next.DONE_NOT_TCP;
  const flags = b[o];
  if (flags >> 5 !== 1 || (flags & 0x10) === 0 || b[o + 1] !== 0xff) return Next.DONE_NOT_TCP;
  const payloadEnd = o + 8 + u16(b, o + 2);
  let p = o + 8;
  if ((flags & 0x07) !== 0) {
    if (ctx.end - o < 12) return Next.DONE_NOT_TCP;
    let nextExt = (flags & 0x04) !== 0 ? b[o + 11] : 0;
    p = o + 12;
    while (nextExt !== 0) {
      if (p >= ctx.end) return Next.DONE_NOT_TCP;
      const len = b[p] * 4;
      if (len === 0 || p + len > ctx.end) return Next.DONE_NOT_TCP;
      nextExt = b[p + len - 1];
      p += len;
    }
  }
  if (payloadEnd < ctx.limit) {
    ctx.limit = payloadEnd;
    if (ctx.end > payloadEnd) ctx.end = payloadEnd;
  }
  pkt.pushLayer(Layer.GTPU, o);
  pkt.beyondTcpdump = true;
  ctx.off = p;
  return Next.IP_BY_VERSION;
}

/**
 * Teredo: optional authentication (0x0001) and origin indication (0x0000) headers, then an IPv6
 * packet whose length must fill the UDP payload exactly (Zeek's and Wireshark's test; anything
 * else, such as a bubble, is not TCP).
 */
function decodeTeredo(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  const o = ctx.off;
  let p = o;
  if (ctx.end - p >= 4 && u16(b, p) === 0x0001) {
    // ID length, auth length, client id, auth value, nonce (8), confirmation (1).
    p += 4 + b[p + 2] + b[p + 3] + 9;
  }
  if (ctx.end - p >= 8 && u16(b, p) === 0x0000) p += 8;
  if (ctx.end - p < 40 || b[p] >> 4 !== 6) return Next.DONE_NOT_TCP;
  if (40 + u16(b, p + 4) !== ctx.limit - p) return Next.DONE_NOT_TCP;
  pkt.pushLayer(Layer.TEREDO, o);
  pkt.beyondTcpdump = true;
  ctx.off = p;
  return Next.IPV6;
}

/** GRE (versions 0 and 1) at ctx.off. */
export function decodeGre(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  const o = ctx.off;
  if (ctx.end - o < 4) return Next.DONE_NOT_TCP;
  const flags = u16(b, o);
  const version = flags & 0x07;
  const proto = u16(b, o + 2);
  let p = o + 4;
  if (version === 0) {
    // RFC 1701 source routing is obsolete (RFC 2784) and not followed.
    if ((flags & 0x4000) !== 0) return Next.DONE_NOT_TCP;
    if ((flags & 0x8000) !== 0) p += 4; // checksum + reserved
    if ((flags & 0x2000) !== 0) p += 4; // key
    if ((flags & 0x1000) !== 0) p += 4; // sequence number
  } else if (version === 1) {
    // PPTP: key (payload length, call id) always present; sequence and acknowledgement optional.
    if (proto !== GRE_PROTO_PPP) return Next.DONE_NOT_TCP;
    p += 4;
    if ((flags & 0x1000) !== 0) p += 4;
    if ((flags & 0x0080) !== 0) p += 4;
  } else {
    return Next.DONE_NOT_TCP;
  }
  if (p > ctx.end) return Next.DONE_NOT_TCP;
  pkt.pushLayer(Layer.GRE, o);
  ctx.off = p;
  switch (proto) {
    case GRE_PROTO_PPP:
      return decodePpp(ctx);
    case GRE_PROTO_ERSPAN_2: {
      // Type II carries an 8-byte header and sets the sequence bit; type I has neither.
      const typeII = (flags & 0x1000) !== 0;
      if (typeII && ctx.end - p < 8) return Next.DONE_NOT_TCP;
      pkt.pushLayer(Layer.ERSPAN, p);
      pkt.beyondTcpdump = true;
      ctx.off = typeII ? p + 8 : p;
      return Next.ETHERNET;
    }
    case GRE_PROTO_ERSPAN_3: {
      // 12-byte header; the O flag (last bit) adds an 8-byte platform-specific subheader.
      if (ctx.end - p < 12) return Next.DONE_NOT_TCP;
      const headerLen = (b[p + 11] & 0x01) !== 0 ? 20 : 12;
      pkt.pushLayer(Layer.ERSPAN, p);
      pkt.beyondTcpdump = true;
      ctx.off = p + headerLen;
      return Next.ETHERNET;
    }
    default:
      // IPv4, IPv6, transparent Ethernet bridging, MPLS, …: GRE's protocol field is an ethertype.
      ctx.type = proto;
      return Next.ETHERTYPE;
  }
}

/** PPP inside PPTP GRE: optional address/control (FF 03), a 1- or 2-byte protocol (RFC 1661 §6.5-6.6). */
function decodePpp(ctx: DecodeContext): Next {
  const b = ctx.buf;
  let p = ctx.off;
  if (ctx.end - p >= 2 && b[p] === 0xff && b[p + 1] === 0x03) p += 2;
  if (ctx.end - p < 1) return Next.DONE_NOT_TCP;
  let proto: number;
  if ((b[p] & 0x01) !== 0) {
    proto = b[p];
    p += 1;
  } else {
    if (ctx.end - p < 2) return Next.DONE_NOT_TCP;
    proto = u16(b, p);
    p += 2;
  }
  ctx.off = p;
  if (proto === PPP_IPV4) return Next.IPV4;
  if (proto === PPP_IPV6) return Next.IPV6;
  return Next.DONE_NOT_TCP;
}
