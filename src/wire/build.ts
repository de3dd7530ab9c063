// A packet builder for tests, the lab and the benchmark generator: a plain options object in, one
// frame's bytes out, with correct lengths and checksums. Ethernet II (optionally 802.1Q-tagged) or
// raw IP; IPv4 (RFC 791, options, ID, DF, TTL) or IPv6 (RFC 8200); TCP (RFC 9293 §3.1) with any
// flags and the options of RFC 7323 (wscale, timestamps), RFC 2018 (SACK) and MSS; or UDP.
// Pure: no Node APIs. Misuse (a bad address, options over 40 bytes) throws: the caller is code.

import { ipv4HeaderChecksum, pseudoHeaderSum, transportChecksum } from './checksum.js';
import { ACK, AE, CWR, ECE, FIN, PSH, RST, SYN, URG } from './packet.js';

export interface FrameSpec {
  /** 'ethernet' (LINKTYPE_ETHERNET, default) or 'raw' (LINKTYPE_RAW: the IP header first). */
  link?: 'ethernet' | 'raw';
  srcMac?: string;
  dstMac?: string;
  /** 802.1Q VLAN id(s), outermost first (each tag with TPID 0x8100). */
  vlan?: number | number[];
  /** IP addresses; IPv6 when they contain ':'. */
  src: string;
  dst: string;
  /** IPv4 TTL / IPv6 hop limit (default 64). */
  ttl?: number;
  /** IPv4 identification (default 0). */
  ipId?: number;
  /** IPv4 Don't Fragment (default true, as Linux sets it on TCP). */
  df?: boolean;
  /** IPv4 TOS / IPv6 traffic class. */
  tos?: number;
  /** IPv4 options, raw bytes (padded with EOL to a multiple of 4). */
  ipOptions?: ArrayLike<number>;
  /** IPv6 flow label. */
  flowLabel?: number;
  /** 'tcp' (default) or 'udp'. */
  proto?: 'tcp' | 'udp';
  srcPort: number;
  dstPort: number;
  /** TCP sequence and acknowledgment numbers (mod 2^32). */
  seq?: number;
  ack?: number;
  /** Flag bits (FIN|SYN… from packet.ts) or tcpdump's letters: 'S', 'S.', 'P.', 'F.', 'R', 'SEW'… */
  flags?: number | string;
  /** Advertised window (the raw 16-bit field; default 65535). */
  window?: number;
  urgent?: number;
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  /** SACK blocks: [left, right] edges (at most 4; 3 with timestamps). */
  sack?: ReadonlyArray<readonly [number, number]>;
  /** Timestamps option: [TSval, TSecr]. */
  timestamp?: readonly [number, number];
  /** Extra raw option bytes appended after the others (for malformed-option tests). */
  rawOptions?: ArrayLike<number>;
  /** The payload: bytes, a string (UTF-8), or a length (filled with a repeating pattern). */
  payload?: Uint8Array | string | number;
  /** Store a wrong transport checksum (the right one plus one). */
  badChecksum?: boolean;
  /** Pad the Ethernet frame to this many bytes (60: the minimum frame without FCS). */
  padTo?: number;
}

const TEXT = new TextEncoder();

/** Builds one frame from `spec`. */
export function buildFrame(spec: FrameSpec): Uint8Array {
  const v6 = spec.src.includes(':');
  if (v6 !== spec.dst.includes(':')) throw new Error('buildFrame: src and dst must be the same IP version');
  const udp = spec.proto === 'udp';
  const payload = payloadBytes(spec.payload);
  const options = udp ? new Uint8Array(0) : tcpOptions(spec);
  const l4HeaderLen = udp ? 8 : 20 + options.length;
  const ipOptions = v6 ? new Uint8Array(0) : padded(spec.ipOptions ?? [], 40, 'IPv4 options');
  const ipHeaderLen = v6 ? 40 : 20 + ipOptions.length;
  const vlans = spec.vlan === undefined ? [] : Array.isArray(spec.vlan) ? spec.vlan : [spec.vlan as number];
  const linkLen = spec.link === 'raw' ? 0 : 14 + 4 * vlans.length;
  const ipLen = ipHeaderLen + l4HeaderLen + payload.length;
  const frameLen = Math.max(linkLen + ipLen, spec.link === 'raw' ? 0 : (spec.padTo ?? 0));
  const out = new Uint8Array(frameLen);
  const view = new DataView(out.buffer);

  if (linkLen > 0) {
    out.set(macBytes(spec.dstMac ?? '02:00:00:00:00:02'), 0);
    out.set(macBytes(spec.srcMac ?? '02:00:00:00:00:01'), 6);
    let p = 12;
    for (const id of vlans) {
      view.setUint16(p, 0x8100);
      view.setUint16(p + 2, id & 0x0fff);
      p += 4;
    }
    view.setUint16(p, v6 ? 0x86dd : 0x0800);
  }

  const ip = linkLen;
  const protocol = udp ? 17 : 6;
  const l4 = ip + ipHeaderLen;
  const src = ipBytes(spec.src, v6);
  const dst = ipBytes(spec.dst, v6);
  if (v6) {
    view.setUint32(ip, (6 << 28) | ((spec.tos ?? 0) << 20) | ((spec.flowLabel ?? 0) & 0xfffff));
    view.setUint16(ip + 4, l4HeaderLen + payload.length);
    out[ip + 6] = protocol;
    out[ip + 7] = spec.ttl ?? 64;
    out.set(src, ip + 8);
    out.set(dst, ip + 24);
  } else {
    out[ip] = 0x40 | (ipHeaderLen / 4);
    out[ip + 1] = spec.tos ?? 0;
    view.setUint16(ip + 2, ipLen);
    view.setUint16(ip + 4, (spec.ipId ?? 0) & 0xffff);
    view.setUint16(ip + 6, (spec.df ?? true) ? 0x4000 : 0);
    out[ip + 8] = spec.ttl ?? 64;
    out[ip + 9] = protocol;
    out.set(src, ip + 12);
    out.set(dst, ip + 16);
    out.set(ipOptions, ip + 20);
    view.setUint16(ip + 10, ipv4HeaderChecksum(out, ip));
  }

  view.setUint16(l4, spec.srcPort);
  view.setUint16(l4 + 2, spec.dstPort);
  let checksumAt: number;
  if (udp) {
    view.setUint16(l4 + 4, 8 + payload.length);
    checksumAt = l4 + 6;
  } else {
    const flags = tcpFlags(spec.flags ?? ACK);
    view.setUint32(l4 + 4, (spec.seq ?? 0) >>> 0);
    view.setUint32(l4 + 8, (spec.ack ?? 0) >>> 0);
    view.setUint16(l4 + 12, ((l4HeaderLen / 4) << 12) | (flags & 0x1ff));
    view.setUint16(l4 + 14, spec.window ?? 65535);
    view.setUint16(l4 + 18, spec.urgent ?? 0);
    out.set(options, l4 + 20);
    checksumAt = l4 + 16;
  }
  out.set(payload, l4 + l4HeaderLen);

  const l4Len = l4HeaderLen + payload.length;
  const pseudo = pseudoHeaderSum(src, 0, dst, 0, v6 ? 16 : 4, protocol, l4Len);
  let sum = transportChecksum(out, l4, l4 + l4Len, pseudo);
  if (udp && sum === 0) sum = 0xffff; // RFC 768: 0 means "no checksum"
  if (spec.badChecksum) sum = (sum + 1) & 0xffff;
  view.setUint16(checksumAt, sum);
  return out;
}

/** TCP flag bits from tcpdump's letters ('.' or 'A' is ACK, 'N' is AE) or a number. */
export function tcpFlags(flags: number | string): number {
  if (typeof flags === 'number') return flags;
  let bits = 0;
  for (const c of flags) {
    const bit = FLAG_LETTERS[c];
    if (bit === undefined) throw new Error(`buildFrame: unknown TCP flag letter '${c}'`);
    bits |= bit;
  }
  return bits;
}

const FLAG_LETTERS: Record<string, number> = {
  F: FIN,
  S: SYN,
  R: RST,
  P: PSH,
  '.': ACK,
  A: ACK,
  U: URG,
  E: ECE,
  W: CWR,
  N: AE,
};

/** Options in the order and alignment Linux uses (MSS, SACK-permitted/timestamps, wscale, SACK). */
export function tcpOptions(
  spec: Pick<FrameSpec, 'mss' | 'wscale' | 'sackPermitted' | 'timestamp' | 'sack' | 'rawOptions'>,
): Uint8Array {
  const b: number[] = [];
  if (spec.mss !== undefined) b.push(2, 4, (spec.mss >> 8) & 0xff, spec.mss & 0xff);
  const ts = spec.timestamp;
  if (spec.sackPermitted && ts) b.push(4, 2);
  else if (ts) b.push(1, 1);
  else if (spec.sackPermitted) b.push(1, 1, 4, 2);
  if (ts) b.push(8, 10, ...be32(ts[0]), ...be32(ts[1]));
  if (spec.wscale !== undefined) b.push(1, 3, 3, spec.wscale);
  if (spec.sack && spec.sack.length > 0) {
    b.push(1, 1, 5, 2 + 8 * spec.sack.length);
    for (const [left, right] of spec.sack) b.push(...be32(left), ...be32(right));
  }
  if (spec.rawOptions) b.push(...Array.from(spec.rawOptions));
  return padded(b, 40, 'TCP options');
}

/** Bytes padded with zeros (EOL) to a multiple of 4; throws past `max`. */
function padded(bytes: ArrayLike<number>, max: number, what: string): Uint8Array {
  const len = (bytes.length + 3) & ~3;
  if (len > max) throw new Error(`buildFrame: ${what} take ${len} bytes, more than ${max}`);
  const out = new Uint8Array(len);
  out.set(Array.from(bytes));
  return out;
}

function be32(n: number): number[] {
  const v = n >>> 0;
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function payloadBytes(payload: Uint8Array | string | number | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  if (typeof payload === 'string') return TEXT.encode(payload);
  if (typeof payload === 'number') {
    const out = new Uint8Array(payload);
    for (let i = 0; i < payload; i++) out[i] = 0x41 + (i % 26);
    return out;
  }
  return payload;
}

function macBytes(mac: string): Uint8Array {
  const parts = mac.split(':');
  if (parts.length !== 6) throw new Error(`buildFrame: bad MAC address '${mac}'`);
  return Uint8Array.from(parts, (p) => Number.parseInt(p, 16));
}

/** Parses a dotted IPv4 or an RFC 4291 §2.2 IPv6 text address (with `::`, and a dotted tail). */
export function ipBytes(text: string, v6: boolean): Uint8Array {
  if (!v6) {
    const parts = text.split('.').map(Number);
    if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) {
      throw new Error(`buildFrame: bad IPv4 address '${text}'`);
    }
    return Uint8Array.from(parts);
  }
  let body = text;
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) is the last two 16-bit words.
    const v4 = ipBytes(body.slice(lastColon + 1), false);
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    body = `${body.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) throw new Error(`buildFrame: bad IPv6 address '${text}'`);
  const words = (s: string) => (s === '' ? [] : s.split(':').map((w) => Number.parseInt(w, 16)));
  const head = words(halves[0]!);
  const rest = halves.length === 2 ? words(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0))
    throw new Error(`buildFrame: bad IPv6 address '${text}'`);
  const all = [...head, ...new Array<number>(fill).fill(0), ...rest];
  if (all.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) {
    throw new Error(`buildFrame: bad IPv6 address '${text}'`);
  }
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}
