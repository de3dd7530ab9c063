// The packet decoder: one CaptureRecord in, the reused Packet filled, a DecodeStatus out. It walks
// link → encapsulations → IP → (tunnels → IP)* → TCP as a flat loop over Next values (see
// decode-context.ts); each layer lives in its own module (link, ip, fragments, tunnels,
// tcp-header). Bad input is data: a malformed frame gets status MALFORMED and a reason, never an
// exception. Checksums (RFC 9293 §3.1 pseudo-header) are verified only on request.

import { pseudoHeaderSum, transportChecksum } from './checksum.js';
import { DecodeContext, Next } from './decode-context.js';
import { Reassembler } from './fragments.js';
import {
  decodeIpv4,
  decodeIpv6,
  IPPROTO_GRE,
  IPPROTO_IPIP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipByVersion,
} from './ip.js';
import { decodeEthernet, decodeEthertype, decodeLink, LINKTYPE_ETHERNET, tooDeep } from './link.js';
import { DecodeStatus, MAX_LAYERS, type Packet, usecOf } from './packet.js';
import type { CaptureRecord } from './record.js';
import { decodeTcp } from './tcp-header.js';
import { decodeGre, decodeUdp } from './tunnels.js';

export interface DecoderOptions {
  /** Verify TCP checksums (pkt.checksumStatus); off by default, as Wireshark and `zeek -C`. */
  verifyChecksums?: boolean;
  /** Reassemble IP fragments (default true, as Wireshark and Zeek). Off: tcpdump's view. */
  reassemble?: boolean;
  /** Capture-time seconds an incomplete datagram is held (default 30, Linux's ipfrag_time). */
  fragmentTimeoutSec?: number;
  /** Largest reassembled datagram payload (default and maximum 65535). */
  maxFragmentBytes?: number;
}

export class Decoder {
  private readonly ctx = new DecodeContext();
  private readonly verifyChecksums: boolean;
  /** One line per distinct oddity seen (unknown link type N, TSO lengths, fragment drops, …). */
  readonly notes: string[];

  constructor(opts: DecoderOptions = {}) {
    this.verifyChecksums = opts.verifyChecksums ?? false;
    if (opts.reassemble ?? true) {
      this.ctx.reassembler = new Reassembler({
        timeoutSec: opts.fragmentTimeoutSec,
        maxDatagramBytes: opts.maxFragmentBytes,
      });
    }
    this.notes = this.ctx.notes;
  }

  /** Incomplete datagrams held for reassembly (for tests and statistics). */
  get pendingFragments(): number {
    return this.ctx.reassembler?.pendingCount ?? 0;
  }

  decode(rec: CaptureRecord, pkt: Packet): DecodeStatus {
    resetPacket(pkt, rec);
    const ctx = this.ctx;
    // Decoded in place in the reader's buffer: offsets in ctx are offsets in rec.buf.
    ctx.buf = rec.buf;
    ctx.off = rec.dataOffset;
    ctx.end = rec.dataOffset + rec.dataLen;
    ctx.limit = ctx.end;
    ctx.type = 0;
    ctx.hasFinalDst = false;
    // Ethernet, by far the most common link, needs no set-up: skip the link-type switch.
    let next = rec.linktype === LINKTYPE_ETHERNET ? Next.ETHERNET : decodeLink(ctx, pkt, rec.linktype);
    for (let steps = 0; next < Next.DONE_TCP; steps++) {
      // Every step but a dispatch records a layer: the layer limit bounds the steps too.
      if (pkt.layerCount >= MAX_LAYERS || steps > 4 * MAX_LAYERS) {
        next = tooDeep(ctx, pkt, ctx.off);
        break;
      }
      switch (next) {
        case Next.ETHERNET:
          next = decodeEthernet(ctx, pkt);
          break;
        case Next.ETHERTYPE:
          next = decodeEthertype(ctx, pkt);
          break;
        case Next.IP_BY_VERSION:
          next = ipByVersion(ctx, pkt);
          break;
        case Next.IPV4:
          next = decodeIpv4(ctx, pkt);
          break;
        case Next.IPV6:
          next = decodeIpv6(ctx, pkt);
          break;
        case Next.IP_PAYLOAD:
          next = ipPayload(ctx, pkt);
          break;
        default:
          next = Next.DONE_NOT_TCP;
      }
    }
    switch (next) {
      case Next.DONE_TCP:
        if (this.verifyChecksums) verifyChecksum(pkt, ctx);
        pkt.status = DecodeStatus.TCP;
        break;
      case Next.DONE_FRAGMENT_HELD:
        pkt.status = DecodeStatus.FRAGMENT_HELD;
        break;
      case Next.DONE_MALFORMED:
        // A frame cut by the snaplen that fails to decode failed because of the cut.
        if (rec.caplen < rec.origLen) pkt.truncated = true;
        pkt.status = DecodeStatus.MALFORMED;
        break;
      case Next.DONE_UNSUPPORTED:
        pkt.status = DecodeStatus.UNSUPPORTED_LINK;
        break;
      default:
        pkt.status = DecodeStatus.NOT_TCP;
    }
    return pkt.status;
  }
}

/** The protocol after an IP header: TCP, or a tunnel that may hold TCP. */
function ipPayload(ctx: DecodeContext, pkt: Packet): Next {
  switch (ctx.type) {
    case IPPROTO_TCP:
      return decodeTcp(ctx, pkt);
    case IPPROTO_IPIP:
      return Next.IPV4;
    case IPPROTO_IPV6:
      return Next.IPV6;
    case IPPROTO_UDP:
      return decodeUdp(ctx, pkt);
    case IPPROTO_GRE:
      return decodeGre(ctx, pkt);
    default:
      return Next.DONE_NOT_TCP;
  }
}

/** Clears every field the decoder sets (the Packet is reused for every frame). */
function resetPacket(pkt: Packet, rec: CaptureRecord): void {
  pkt.frame = rec.frame;
  pkt.tsSec = rec.tsSec;
  pkt.tsNsec = rec.tsNsec;
  pkt.tsRawFrac = rec.tsRawFrac;
  pkt.tsFracNano = rec.tsFracNano;
  pkt.tsUsec = usecOf(rec.tsSec, rec.tsNsec);
  pkt.linktype = rec.linktype;
  pkt.iface = rec.iface;
  pkt.caplen = rec.caplen;
  pkt.origLen = rec.origLen;
  pkt.status = DecodeStatus.NOT_TCP;
  pkt.error = '';
  pkt.errorOffset = 0;
  pkt.layerCount = 0;
  pkt.reassemblyLayer = -1;
  pkt.beyondTcpdump = false;
  pkt.ipVersion = 0;
  pkt.ttl = 0;
  pkt.ipId = -1;
  pkt.df = false;
  pkt.tos = 0;
  pkt.flowLabel = 0;
  pkt.ipTotalLen = 0;
  pkt.reassembled = false;
  pkt.srcPort = 0;
  pkt.dstPort = 0;
  pkt.seq = 0;
  pkt.ack = 0;
  pkt.headerLen = 0;
  pkt.flags = 0;
  pkt.window = 0;
  pkt.checksum = 0;
  pkt.urgent = 0;
  pkt.payloadLen = 0;
  pkt.truncated = false;
  pkt.checksumStatus = 'unverified';
  pkt.tcpBuf = rec.buf;
  pkt.tcpOffset = rec.dataOffset;
  pkt.frameOffset = rec.dataOffset;
  pkt.tcpCaptured = 0;
  pkt.mss = -1;
  pkt.wscale = -1;
  pkt.sackPermitted = false;
  pkt.hasTimestamp = false;
  pkt.tsVal = 0;
  pkt.tsEcr = 0;
  pkt.sackCount = 0;
  pkt.tfoCookieLen = -1;
  pkt.mptcp = false;
  pkt.unknownOptions = 0;
  pkt.optionsMalformed = false;
}

/** TCP checksum over the pseudo-header and the whole segment; 'partial' when not all was captured. */
function verifyChecksum(pkt: Packet, ctx: DecodeContext): void {
  const segmentLen = pkt.headerLen + pkt.payloadLen;
  if (pkt.truncated || pkt.tcpCaptured < segmentLen) {
    pkt.checksumStatus = 'partial';
    return;
  }
  const addrLen = pkt.ipVersion === 4 ? 4 : 16;
  const dst = ctx.hasFinalDst ? ctx.finalDst : pkt.dst;
  const pseudo = pseudoHeaderSum(pkt.src, 0, dst, 0, addrLen, 6, segmentLen);
  const sum = transportChecksum(pkt.tcpBuf, pkt.tcpOffset, pkt.tcpOffset + segmentLen, pseudo);
  pkt.checksumStatus = sum === 0 ? 'good' : 'bad';
}
