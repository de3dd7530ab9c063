// The decoded packet: one object, reused for every frame (no allocation per packet on the hot
// path). The decoder (decode.ts) fills it from a CaptureRecord; trackers and renderers read it.
// Fields describe the innermost IP datagram that carries TCP (after tunnels and reassembly).

/** TCP flag bits as in the header's flags byte (RFC 9293 §3.1), plus AE (RFC 3168 NS bit) as 0x100. */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;
export const AE = 0x100;

/** What the decoder made of a frame. */
export enum DecodeStatus {
  /** A TCP segment (possibly truncated: see `truncated`). */
  TCP = 0,
  /** Decoded fine, but not TCP (UDP, ARP, ICMP, …). */
  NOT_TCP = 1,
  /** A fragment held for reassembly (not yet complete); not TCP yet. */
  FRAGMENT_HELD = 2,
  /** Malformed at some layer: see `error`. Reported and skipped. */
  MALFORMED = 3,
  /** Link type the decoder does not know. */
  UNSUPPORTED_LINK = 4,
}

/** Encapsulation layers seen on the way to the TCP header, for renderers (tcpdump prefixes). */
export enum Layer {
  ETHERNET = 1,
  VLAN = 2,
  MPLS = 3,
  PPPOE = 4,
  PBB = 5,
  SLL = 6,
  SLL2 = 7,
  NULL_LOOP = 8,
  FDDI = 9,
  LLC_SNAP = 10,
  IPV4 = 11,
  IPV6 = 12,
  UDP = 13,
  GRE = 14,
  TEREDO = 15,
  GTPU = 16,
  VXLAN = 17,
  GENEVE = 18,
  ERSPAN = 19,
  IPV6_EXT = 20,
  TCP = 21,
  RAW_IP = 22,
  FABRICPATH = 23,
}

/**
 * The one nesting limit, shared by the decoder and every renderer: layers (link, tags, labels, IP
 * headers, IPv6 extension headers, tunnels) recorded per frame. tcpdump 4.99 has none (it prints
 * GRE, IP-in-IP and extension-header chains 1000 deep); the smallest layer takes 4 bytes (an
 * 802.1Q tag, an MPLS label), so one per 4 bytes of tcpdump's largest frame (MAXIMUM_SNAPLEN,
 * 262 144 bytes) is as deep as a capture can nest. A frame nested deeper is skipped with a note.
 */
export const MAX_LAYERS = 65536;

export class Packet {
  // --- From the capture record ---
  frame = 0;
  tsSec = 0;
  /** Nanoseconds within the second. Display and JSON use µs = floor(tsNsec / 1000), as tcpdump -tt. */
  tsNsec = 0;
  /** The pcap fraction field as written when out of range, else -1 (CaptureRecord.tsRawFrac). */
  tsRawFrac = -1;
  tsFracNano = false;
  /**
   * Time in whole microseconds since the epoch (exact up to 2^53 µs): tsSec and tsNsec with the
   * nanoseconds truncated. A field, computed once per frame, because trackers read it many times
   * per packet; set it with `setTime` when filling a Packet by hand.
   */
  tsUsec = 0;
  linktype = 0;
  iface = 0;
  caplen = 0;
  origLen = 0;

  // --- Decode outcome ---
  status: DecodeStatus = DecodeStatus.NOT_TCP;
  /** Short description of what was malformed (when status is MALFORMED or optionsMalformed). */
  error = '';
  /** Offset within the frame where the malformed layer starts. */
  errorOffset = 0;

  /**
   * Layers from the link layer inward: kind and offset of each, counted from the frame's first
   * byte (from the datagram's, at and after reassemblyLayer).
   */
  layerCount = 0;
  // Room for 32 layers, grown (doubling) for deeper frames up to MAX_LAYERS.
  layerKind = new Uint8Array(32);
  layerOffset = new Int32Array(32);
  /**
   * Index of the first layer whose offset refers to `tcpBuf` (a reassembled datagram) rather than
   * the frame; -1 when the datagram was not reassembled.
   */
  reassemblyLayer = -1;
  /** True when TCP was found inside a tunnel or encapsulation that tcpdump does not decode. */
  beyondTcpdump = false;

  // --- Innermost IP header carrying TCP ---
  ipVersion = 0;
  /** Source/destination address; IPv4 uses bytes 0..3. Copied, so valid after the frame buffer moves. */
  readonly src = new Uint8Array(16);
  readonly dst = new Uint8Array(16);
  /** The same bytes as 32-bit words (platform byte order): for hashing and clearing a word at a time. */
  readonly src32 = new Uint32Array(this.src.buffer);
  readonly dst32 = new Uint32Array(this.dst.buffer);
  ttl = 0;
  /** IPv4 identification; for IPv6 the fragment header's id, or -1 when absent. */
  ipId = -1;
  df = false;
  /** IPv4 TOS / IPv6 traffic class. */
  tos = 0;
  /** IPv6 flow label (0 for IPv4). */
  flowLabel = 0;
  /** Total length of the IP datagram (from its header, not the frame; Ethernet padding ignored). */
  ipTotalLen = 0;
  /** The datagram was reassembled from fragments. */
  reassembled = false;

  // --- TCP header ---
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  /** TCP header length in bytes (data offset × 4). */
  headerLen = 0;
  /** Flag bits (FIN … CWR, AE). */
  flags = 0;
  window = 0;
  checksum = 0;
  urgent = 0;
  /** TCP payload length from the IP lengths (not from the captured bytes). */
  payloadLen = 0;
  /** Fewer bytes captured than the IP lengths say (snaplen): fields beyond the capture are 0. */
  truncated = false;
  /** 'unverified' unless checksums are verified. */
  checksumStatus: 'unverified' | 'good' | 'bad' | 'partial' = 'unverified';

  /**
   * The buffer holding the TCP header and where in it: the reader's buffer (shared by many frames,
   * valid only during the frame's callback) or a reassembly buffer.
   */
  tcpBuf: Uint8Array = new Uint8Array(0);
  tcpOffset = 0;
  /**
   * Where the frame starts in tcpBuf, so frame layer offsets index it as frameOffset + offset; 0
   * once tcpBuf is a reassembled datagram (its layers count from its start).
   */
  frameOffset = 0;
  /** TCP bytes (header + payload) actually present in tcpBuf from tcpOffset. */
  tcpCaptured = 0;

  // --- TCP options, decoded eagerly (cheap, and every tracker needs them) ---
  /** MSS value, or -1 when absent. */
  mss = -1;
  /** Window scale shift, or -1 when absent. */
  wscale = -1;
  sackPermitted = false;
  hasTimestamp = false;
  tsVal = 0;
  tsEcr = 0;
  /** SACK blocks: left/right edge pairs. */
  sackCount = 0;
  readonly sackBlocks = new Uint32Array(8);
  /** TCP Fast Open cookie length (0: a cookie request), -1 when absent. */
  tfoCookieLen = -1;
  /** An MPTCP option (kind 30) is present. */
  mptcp = false;
  /** Options of kinds not decoded above (see tcpOptions() for their bytes). */
  unknownOptions = 0;
  /** An option was malformed (its length ran past the header); the rest were kept. */
  optionsMalformed = false;

  /** Records a layer at `offset` in the decoder's buffer (stored relative to the frame). */
  pushLayer(kind: Layer, offset: number): void {
    const n = this.layerCount;
    if (n === this.layerKind.length) {
      if (n >= MAX_LAYERS) return; // the decoder stops at the limit (tooDeep) before this
      const kinds = new Uint8Array(Math.min(2 * n, MAX_LAYERS));
      const offsets = new Int32Array(kinds.length);
      kinds.set(this.layerKind);
      offsets.set(this.layerOffset);
      this.layerKind = kinds;
      this.layerOffset = offsets;
    }
    this.layerKind[n] = kind;
    this.layerOffset[n] = offset - this.frameOffset;
    this.layerCount = n + 1;
  }

  /** Sets the capture time: seconds, nanoseconds within the second, and tsUsec from them. */
  setTime(tsSec: number, tsNsec: number): void {
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.tsUsec = usecOf(tsSec, tsNsec);
  }
}

/** Whole microseconds since the epoch for (tsSec, tsNsec): the nanoseconds truncated, as tcpdump -tt. */
export function usecOf(tsSec: number, tsNsec: number): number {
  return tsSec * 1_000_000 + Math.floor(tsNsec / 1000);
}

/** `sec.usec` with exactly six decimals, as tcpdump -tt prints and our JSON records carry. */
export function formatTime(tsSec: number, tsNsec: number): string {
  const us = Math.floor(tsNsec / 1000);
  return `${tsSec}.${us.toString().padStart(6, '0')}`;
}

/**
 * The total-length field of the innermost IPv4 header as captured, which Zeek's IP byte count
 * takes over `ipTotalLen` for an IPv4 datagram that was not reassembled (0 under segmentation
 * offload); -1 when that count uses `ipTotalLen` (IPv6, reassembled, or the header not captured).
 */
export function ipv4LengthField(pkt: Packet): number {
  if (pkt.ipVersion !== 4 || pkt.reassembled) return -1;
  for (let i = pkt.layerCount - 1; i >= 0; i--) {
    if (pkt.layerKind[i] !== Layer.IPV4) continue;
    // Not reassembled: tcpBuf holds the frame, from frameOffset.
    const o = pkt.frameOffset + pkt.layerOffset[i]!;
    const b = pkt.tcpBuf;
    return o + 4 <= b.length ? (b[o + 2]! << 8) | b[o + 3]! : -1;
  }
  return -1;
}
