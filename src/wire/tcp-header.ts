// The TCP header (RFC 9293 §3.1) and its options: MSS (§3.2), window scale and timestamps
// (RFC 7323), SACK-permitted and SACK blocks (RFC 2018), TCP Fast Open (RFC 7413, and the
// experimental kind 254 with magic 0xF989), MPTCP (RFC 8684). `decodeTcp` fills the reused Packet
// eagerly without allocating; `tcpOptions` re-reads the option bytes into objects for JSON.

import { type DecodeContext, Next, u16, u32 } from './decode-context.js';
import { malformed } from './link.js';
import { AE, Layer, type Packet } from './packet.js';

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERMITTED = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;
export const TCPOPT_MPTCP = 30;
export const TCPOPT_TFO = 34;
export const TCPOPT_EXPERIMENTAL = 254;
export const TFO_EXPERIMENTAL_MAGIC = 0xf989;

/** 40 option bytes hold at most 4 SACK blocks (RFC 2018 §3); Packet.sackBlocks has room for 4. */
const MAX_SACK_BLOCKS = 4;

/** Decodes the TCP header at ctx.off (the datagram ends at ctx.limit, captured bytes at ctx.end). */
export function decodeTcp(ctx: DecodeContext, pkt: Packet): Next {
  const b = ctx.buf;
  const o = ctx.off;
  const segmentLen = ctx.limit - o;
  const captured = ctx.end - o;
  pkt.pushLayer(Layer.TCP, o);
  pkt.tcpBuf = b;
  pkt.tcpOffset = o;
  pkt.tcpCaptured = Math.max(captured, 0);
  if (segmentLen < 20) {
    if (captured >= 4) readPorts(pkt, b, o);
    return malformed(pkt, o, `TCP header needs 20 bytes, the IP datagram leaves ${segmentLen}`);
  }
  if (captured < 20) {
    // tcpdump prints `[|tcp]` here; ports are kept when they were captured.
    pkt.truncated = true;
    if (captured >= 4) readPorts(pkt, b, o);
    return malformed(pkt, o, `truncated TCP header (${captured} of 20 bytes captured)`);
  }
  readPorts(pkt, b, o);
  pkt.seq = u32(b, o + 4);
  pkt.ack = u32(b, o + 8);
  const offsetByte = b[o + 12];
  const headerLen = (offsetByte >> 4) * 4;
  pkt.headerLen = headerLen;
  pkt.flags = b[o + 13] | ((offsetByte & 0x01) !== 0 ? AE : 0);
  pkt.window = u16(b, o + 14);
  pkt.checksum = u16(b, o + 16);
  pkt.urgent = u16(b, o + 18);
  if (headerLen < 20) return malformed(pkt, o, `bad TCP header length ${headerLen} (< 20)`);
  if (headerLen > segmentLen) {
    return malformed(pkt, o, `bad TCP header length ${headerLen} (> ${segmentLen} bytes in the datagram)`);
  }
  pkt.payloadLen = segmentLen - headerLen;
  const optionsEnd = o + headerLen;
  if (optionsEnd > ctx.end) pkt.truncated = true;
  if (headerLen > 20) {
    const p = o + 20;
    // The usual layout of a segment after the handshake (NOP, NOP, timestamps: RFC 7323
    // Appendix A), fully captured: what parseOptions would find, without its loop.
    if (
      headerLen === 32 &&
      optionsEnd <= ctx.end &&
      b[p] === TCPOPT_NOP &&
      b[p + 1] === TCPOPT_NOP &&
      b[p + 2] === TCPOPT_TIMESTAMP &&
      b[p + 3] === 10
    ) {
      pkt.hasTimestamp = true;
      pkt.tsVal = u32(b, p + 4);
      pkt.tsEcr = u32(b, p + 8);
    } else parseOptions(pkt, b, p, Math.min(optionsEnd, ctx.end), optionsEnd);
  }
  return Next.DONE_TCP;
}

function readPorts(pkt: Packet, b: Uint8Array, o: number): void {
  pkt.srcPort = u16(b, o);
  pkt.dstPort = u16(b, o + 2);
}

/**
 * Eager option parse between `start` and `capturedEnd` (options end at `end`). A length byte
 * that is < 2 or runs past the header flags the options malformed and stops (the ones before it
 * are kept), as tcpdump and Wireshark do; a known kind with the wrong length is flagged and skipped.
 */
function parseOptions(pkt: Packet, b: Uint8Array, start: number, capturedEnd: number, end: number): void {
  let p = start;
  while (p < capturedEnd) {
    const kind = b[p];
    if (kind === TCPOPT_EOL) return;
    if (kind === TCPOPT_NOP) {
      p++;
      continue;
    }
    if (p + 1 >= capturedEnd) {
      if (p + 1 >= end) pkt.optionsMalformed = true;
      return;
    }
    const len = b[p + 1];
    if (len < 2 || p + len > end) {
      pkt.optionsMalformed = true;
      return;
    }
    // Options cut by the snaplen are left out (the packet is marked truncated).
    if (p + len > capturedEnd) return;
    switch (kind) {
      case TCPOPT_MSS:
        if (len === 4) pkt.mss = u16(b, p + 2);
        else pkt.optionsMalformed = true;
        break;
      case TCPOPT_WSCALE:
        if (len === 3) pkt.wscale = b[p + 2];
        else pkt.optionsMalformed = true;
        break;
      case TCPOPT_SACK_PERMITTED:
        if (len === 2) pkt.sackPermitted = true;
        else pkt.optionsMalformed = true;
        break;
      case TCPOPT_SACK: {
        if ((len - 2) % 8 !== 0 || len === 2) {
          pkt.optionsMalformed = true;
          break;
        }
        for (let q = p + 2; q < p + len && pkt.sackCount < MAX_SACK_BLOCKS; q += 8) {
          pkt.sackBlocks[pkt.sackCount * 2] = u32(b, q);
          pkt.sackBlocks[pkt.sackCount * 2 + 1] = u32(b, q + 4);
          pkt.sackCount++;
        }
        break;
      }
      case TCPOPT_TIMESTAMP:
        if (len === 10) {
          pkt.hasTimestamp = true;
          pkt.tsVal = u32(b, p + 2);
          pkt.tsEcr = u32(b, p + 6);
        } else pkt.optionsMalformed = true;
        break;
      case TCPOPT_TFO:
        pkt.tfoCookieLen = len - 2;
        break;
      case TCPOPT_EXPERIMENTAL:
        if (len >= 4 && u16(b, p + 2) === TFO_EXPERIMENTAL_MAGIC) pkt.tfoCookieLen = len - 4;
        else pkt.unknownOptions++;
        break;
      case TCPOPT_MPTCP:
        pkt.mptcp = true;
        break;
      default:
        pkt.unknownOptions++;
    }
    p += len;
  }
}

/** One TCP option as it appears in JSON records. */
export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'ws'; shift: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'tfo'; cookie: string }
  | { kind: 'mptcp'; subtype: string; data: string }
  | { kind: 'unknown'; type: number; data: string }
  | { kind: 'malformed'; type: number; data: string };

/** MPTCP option subtypes (RFC 8684 §3, IANA "MPTCP Option Subtypes"). */
const MPTCP_SUBTYPES = [
  'mp-capable',
  'mp-join',
  'dss',
  'add-addr',
  'remove-addr',
  'mp-prio',
  'mp-fail',
  'mp-fastclose',
  'mp-tcprst',
];

function hex(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

/**
 * The packet's TCP options as objects, in wire order (for JSON and explanations; not for loops).
 * Options cut by the snaplen are left out; a malformed option ends the list as `malformed`.
 */
export function tcpOptions(pkt: Packet): TcpOption[] {
  const out: TcpOption[] = [];
  if (pkt.headerLen <= 20) return out;
  const b = pkt.tcpBuf;
  const end = pkt.tcpOffset + pkt.headerLen;
  const capturedEnd = Math.min(end, pkt.tcpOffset + pkt.tcpCaptured);
  let p = pkt.tcpOffset + 20;
  while (p < capturedEnd) {
    const kind = b[p];
    if (kind === TCPOPT_EOL) {
      out.push({ kind: 'eol' });
      break;
    }
    if (kind === TCPOPT_NOP) {
      out.push({ kind: 'nop' });
      p++;
      continue;
    }
    const len = p + 1 < capturedEnd ? b[p + 1] : -1;
    if (len === -1 && p + 1 < end) break;
    if (len < 2 || p + len > end) {
      out.push({ kind: 'malformed', type: kind, data: hex(b, p, capturedEnd) });
      break;
    }
    if (p + len > capturedEnd) break;
    out.push(optionObject(b, p, kind, len));
    p += len;
  }
  return out;
}

function optionObject(b: Uint8Array, p: number, kind: number, len: number): TcpOption {
  switch (kind) {
    case TCPOPT_MSS:
      if (len === 4) return { kind: 'mss', value: u16(b, p + 2) };
      break;
    case TCPOPT_WSCALE:
      if (len === 3) return { kind: 'ws', shift: b[p + 2] };
      break;
    case TCPOPT_SACK_PERMITTED:
      if (len === 2) return { kind: 'sackOK' };
      break;
    case TCPOPT_SACK:
      if (len > 2 && (len - 2) % 8 === 0) {
        const blocks: [number, number][] = [];
        for (let q = p + 2; q < p + len; q += 8) blocks.push([u32(b, q), u32(b, q + 4)]);
        return { kind: 'sack', blocks };
      }
      break;
    case TCPOPT_TIMESTAMP:
      if (len === 10) return { kind: 'ts', val: u32(b, p + 2), ecr: u32(b, p + 6) };
      break;
    case TCPOPT_TFO:
      return { kind: 'tfo', cookie: hex(b, p + 2, p + len) };
    case TCPOPT_EXPERIMENTAL:
      if (len >= 4 && u16(b, p + 2) === TFO_EXPERIMENTAL_MAGIC)
        return { kind: 'tfo', cookie: hex(b, p + 4, p + len) };
      break;
    case TCPOPT_MPTCP: {
      const subtype = len >= 3 ? b[p + 2] >> 4 : -1;
      const name = MPTCP_SUBTYPES[subtype] ?? `subtype-${subtype}`;
      return { kind: 'mptcp', subtype: name, data: hex(b, p + 2, p + len) };
    }
  }
  // Unknown kinds, and known kinds with a length that does not fit them.
  const known = kind === TCPOPT_MSS || kind === TCPOPT_WSCALE || kind === TCPOPT_SACK_PERMITTED;
  if (known || kind === TCPOPT_SACK || kind === TCPOPT_TIMESTAMP) {
    return { kind: 'malformed', type: kind, data: hex(b, p, p + len) };
  }
  return { kind: 'unknown', type: kind, data: hex(b, p + 2, p + len) };
}
