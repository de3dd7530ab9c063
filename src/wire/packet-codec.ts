// A decoded TCP Packet as a fixed-size binary record (PACKET_RECORD_BYTES, little-endian), so that
// `conns --threads N` decodes each frame once on the main thread and hands its shard the packet
// in a shared or transferable buffer instead of an object (src/cli/conns-shards.ts).
//
// Carried: every scalar field of Packet, the addresses, the decoded TCP options (SACK blocks up to
// sackCount) and the checksum status. Not carried: the frame bytes (tcpBuf, tcpOffset, frameOffset,
// the layer list, reassemblyLayer), the malformed-option text (error, errorOffset) and the pcap
// fraction as written (tsRawFrac, tsFracNano: only read --tcpdump prints it); trackers read none
// of them except Zeek's IP byte count, which takes the innermost IPv4 header's own total-length
// field from the frame (zeekIpTotalLen in src/track/zeek-summary.ts). That field travels in the
// record and comes back as a one-layer view (an IPv4 layer at offset 0 of a 4-byte tcpBuf) that
// reads the same.

import { type DecodeStatus, ipv4LengthField, Layer, Packet, usecOf } from './packet.js';

// Re-exported for the record's test, which checks the field survives the round trip.
export { ipv4LengthField };

// Offsets within a record. f64 for the numbers that may exceed 32 bits (frame, seconds, IPv6's
// 32-bit fragment id next to -1), u32/u16/u8 for the fields that the wire bounds.
const FRAME = 0;
const TS_SEC = 8;
const IP_ID = 16;
const TS_NSEC = 24;
const SEQ = 28;
const ACK = 32;
const TS_VAL = 36;
const TS_ECR = 40;
const FLOW_LABEL = 44;
const IP_TOTAL_LEN = 48;
const PAYLOAD_LEN = 52;
const TCP_CAPTURED = 56;
const CAPLEN = 60;
const ORIG_LEN = 64;
const IFACE = 68;
const LINKTYPE = 72;
const MSS = 76;
const IPV4_LEN_FIELD = 80;
const SRC_PORT = 84;
const DST_PORT = 86;
const FLAGS = 88;
const WINDOW = 90;
const CHECKSUM = 92;
const URGENT = 94;
const WSCALE = 96;
const TFO_COOKIE_LEN = 98;
const UNKNOWN_OPTIONS = 100;
const IP_VERSION = 102;
const TTL = 103;
const TOS = 104;
const HEADER_LEN = 105;
const BITS = 106;
const CHECKSUM_STATUS = 107;
const SACK_COUNT = 108;
const STATUS = 109;
const SRC = 112;
const DST = 128;
const SACK = 144;

/** Bytes of one packet record. */
export const PACKET_RECORD_BYTES = SACK + 8 * 4;

// The booleans, one bit each.
const DF = 1;
const REASSEMBLED = 2;
const TRUNCATED = 4;
const SACK_PERMITTED = 8;
const HAS_TIMESTAMP = 16;
const MPTCP = 32;
const OPTIONS_MALFORMED = 64;
const BEYOND_TCPDUMP = 128;

const CHECKSUM_STATUSES: readonly Packet['checksumStatus'][] = ['unverified', 'good', 'bad', 'partial'];

/** Writes `pkt` as a record at byte `off` of `view` (PACKET_RECORD_BYTES from there). */
export function encodePacket(pkt: Packet, view: DataView, off: number): void {
  view.setFloat64(off + FRAME, pkt.frame, true);
  view.setFloat64(off + TS_SEC, pkt.tsSec, true);
  view.setFloat64(off + IP_ID, pkt.ipId, true);
  view.setUint32(off + TS_NSEC, pkt.tsNsec, true);
  view.setUint32(off + SEQ, pkt.seq, true);
  view.setUint32(off + ACK, pkt.ack, true);
  view.setUint32(off + TS_VAL, pkt.tsVal, true);
  view.setUint32(off + TS_ECR, pkt.tsEcr, true);
  view.setUint32(off + FLOW_LABEL, pkt.flowLabel, true);
  view.setUint32(off + IP_TOTAL_LEN, pkt.ipTotalLen, true);
  view.setUint32(off + PAYLOAD_LEN, pkt.payloadLen, true);
  view.setUint32(off + TCP_CAPTURED, pkt.tcpCaptured, true);
  view.setUint32(off + CAPLEN, pkt.caplen, true);
  view.setUint32(off + ORIG_LEN, pkt.origLen, true);
  view.setUint32(off + IFACE, pkt.iface, true);
  view.setUint32(off + LINKTYPE, pkt.linktype, true);
  view.setInt32(off + MSS, pkt.mss, true);
  view.setInt32(off + IPV4_LEN_FIELD, ipv4LengthField(pkt), true);
  view.setUint16(off + SRC_PORT, pkt.srcPort, true);
  view.setUint16(off + DST_PORT, pkt.dstPort, true);
  view.setUint16(off + FLAGS, pkt.flags, true);
  view.setUint16(off + WINDOW, pkt.window, true);
  view.setUint16(off + CHECKSUM, pkt.checksum, true);
  view.setUint16(off + URGENT, pkt.urgent, true);
  view.setInt16(off + WSCALE, pkt.wscale, true);
  view.setInt16(off + TFO_COOKIE_LEN, pkt.tfoCookieLen, true);
  view.setUint16(off + UNKNOWN_OPTIONS, pkt.unknownOptions, true);
  view.setUint8(off + IP_VERSION, pkt.ipVersion);
  view.setUint8(off + TTL, pkt.ttl);
  view.setUint8(off + TOS, pkt.tos);
  view.setUint8(off + HEADER_LEN, pkt.headerLen);
  view.setUint8(
    off + BITS,
    (pkt.df ? DF : 0) |
      (pkt.reassembled ? REASSEMBLED : 0) |
      (pkt.truncated ? TRUNCATED : 0) |
      (pkt.sackPermitted ? SACK_PERMITTED : 0) |
      (pkt.hasTimestamp ? HAS_TIMESTAMP : 0) |
      (pkt.mptcp ? MPTCP : 0) |
      (pkt.optionsMalformed ? OPTIONS_MALFORMED : 0) |
      (pkt.beyondTcpdump ? BEYOND_TCPDUMP : 0),
  );
  view.setUint8(off + CHECKSUM_STATUS, CHECKSUM_STATUSES.indexOf(pkt.checksumStatus));
  view.setUint8(off + SACK_COUNT, pkt.sackCount);
  view.setUint8(off + STATUS, pkt.status);
  const src = pkt.src;
  const dst = pkt.dst;
  for (let i = 0; i < 16; i++) {
    view.setUint8(off + SRC + i, src[i]!);
    view.setUint8(off + DST + i, dst[i]!);
  }
  // Only the blocks in use: the decoder leaves stale ones past sackCount too.
  const sack = pkt.sackBlocks;
  for (let i = 0, n = Math.min(2 * pkt.sackCount, sack.length); i < n; i++)
    view.setUint32(off + SACK + 4 * i, sack[i]!, true);
}

/** Turns records back into one reused Packet, as the decoder does with frames. */
export class PacketDecoder {
  readonly pkt = new Packet();
  /** The tcpBuf standing in for the frame: an IPv4 header's first 4 bytes (see ipv4LengthField). */
  private readonly ipv4Head = new Uint8Array(4);
  private readonly noBytes = new Uint8Array(0);

  /** The record at byte `off` of `view`, in `this.pkt`. */
  decode(view: DataView, off: number): Packet {
    const pkt = this.pkt;
    pkt.frame = view.getFloat64(off + FRAME, true);
    pkt.tsSec = view.getFloat64(off + TS_SEC, true);
    pkt.ipId = view.getFloat64(off + IP_ID, true);
    pkt.tsNsec = view.getUint32(off + TS_NSEC, true);
    pkt.tsUsec = usecOf(pkt.tsSec, pkt.tsNsec);
    pkt.seq = view.getUint32(off + SEQ, true);
    pkt.ack = view.getUint32(off + ACK, true);
    pkt.tsVal = view.getUint32(off + TS_VAL, true);
    pkt.tsEcr = view.getUint32(off + TS_ECR, true);
    pkt.flowLabel = view.getUint32(off + FLOW_LABEL, true);
    pkt.ipTotalLen = view.getUint32(off + IP_TOTAL_LEN, true);
    pkt.payloadLen = view.getUint32(off + PAYLOAD_LEN, true);
    pkt.tcpCaptured = view.getUint32(off + TCP_CAPTURED, true);
    pkt.caplen = view.getUint32(off + CAPLEN, true);
    pkt.origLen = view.getUint32(off + ORIG_LEN, true);
    pkt.iface = view.getUint32(off + IFACE, true);
    pkt.linktype = view.getUint32(off + LINKTYPE, true);
    pkt.mss = view.getInt32(off + MSS, true);
    pkt.srcPort = view.getUint16(off + SRC_PORT, true);
    pkt.dstPort = view.getUint16(off + DST_PORT, true);
    pkt.flags = view.getUint16(off + FLAGS, true);
    pkt.window = view.getUint16(off + WINDOW, true);
    pkt.checksum = view.getUint16(off + CHECKSUM, true);
    pkt.urgent = view.getUint16(off + URGENT, true);
    pkt.wscale = view.getInt16(off + WSCALE, true);
    pkt.tfoCookieLen = view.getInt16(off + TFO_COOKIE_LEN, true);
    pkt.unknownOptions = view.getUint16(off + UNKNOWN_OPTIONS, true);
    pkt.ipVersion = view.getUint8(off + IP_VERSION);
    pkt.ttl = view.getUint8(off + TTL);
    pkt.tos = view.getUint8(off + TOS);
    pkt.headerLen = view.getUint8(off + HEADER_LEN);
    const bits = view.getUint8(off + BITS);
    pkt.df = (bits & DF) !== 0;
    pkt.reassembled = (bits & REASSEMBLED) !== 0;
    pkt.truncated = (bits & TRUNCATED) !== 0;
    pkt.sackPermitted = (bits & SACK_PERMITTED) !== 0;
    pkt.hasTimestamp = (bits & HAS_TIMESTAMP) !== 0;
    pkt.mptcp = (bits & MPTCP) !== 0;
    pkt.optionsMalformed = (bits & OPTIONS_MALFORMED) !== 0;
    pkt.beyondTcpdump = (bits & BEYOND_TCPDUMP) !== 0;
    pkt.checksumStatus = CHECKSUM_STATUSES[view.getUint8(off + CHECKSUM_STATUS)]!;
    pkt.status = view.getUint8(off + STATUS) as DecodeStatus;
    const src = pkt.src;
    const dst = pkt.dst;
    for (let i = 0; i < 16; i++) {
      src[i] = view.getUint8(off + SRC + i);
      dst[i] = view.getUint8(off + DST + i);
    }
    const sackCount = view.getUint8(off + SACK_COUNT);
    pkt.sackCount = sackCount;
    const sack = pkt.sackBlocks;
    for (let i = 0, n = Math.min(2 * sackCount, sack.length); i < n; i++)
      sack[i] = view.getUint32(off + SACK + 4 * i, true);
    // No frame bytes: the layer list holds at most the innermost IPv4 header's length field.
    pkt.error = '';
    pkt.errorOffset = 0;
    pkt.reassemblyLayer = -1;
    pkt.tcpOffset = 0;
    pkt.frameOffset = 0;
    const ipv4Len = view.getInt32(off + IPV4_LEN_FIELD, true);
    if (ipv4Len >= 0) {
      this.ipv4Head[2] = ipv4Len >> 8;
      this.ipv4Head[3] = ipv4Len & 0xff;
      pkt.layerCount = 1;
      pkt.layerKind[0] = Layer.IPV4;
      pkt.layerOffset[0] = 0;
      pkt.tcpBuf = this.ipv4Head;
    } else {
      pkt.layerCount = 0;
      pkt.tcpBuf = this.noBytes;
    }
    return pkt;
  }
}
