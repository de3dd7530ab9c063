// The conn.log of `synack conns --zeek` (PRODUCT.md, contract): Zeek's ASCII writer format —
// `#separator` … `#fields` … `#types`, Zeek's default 22 columns in Zeek's order, `-` for unset,
// six decimals for times and intervals — TCP rows only, `#open`/`#close` from the first and last
// packet times, uid = `C` + the Zeek connection number in base 62, and a last column `synack_id`.
// Also the run-and-format entry point used by the CLI (runZeekLog).

import type { ZeekConnLog, ZeekConnRow } from '../track/zeek-log.js';
import type { Packet } from '../wire/packet.js';
import { ipv4String, ipv6String } from './ip-text.js';

export const ZEEK_CONN_FIELDS = [
  'ts',
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'proto',
  'service',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'conn_state',
  'local_orig',
  'local_resp',
  'missed_bytes',
  'history',
  'orig_pkts',
  'orig_ip_bytes',
  'resp_pkts',
  'resp_ip_bytes',
  'tunnel_parents',
  'ip_proto',
  'synack_id',
] as const;

export const ZEEK_CONN_TYPES = [
  'time',
  'string',
  'addr',
  'port',
  'addr',
  'port',
  'enum',
  'string',
  'interval',
  'count',
  'count',
  'string',
  'bool',
  'bool',
  'count',
  'string',
  'count',
  'count',
  'count',
  'count',
  'set[string]',
  'count',
  'count',
] as const;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `C` + n in base 62, as Zeek spells uids. */
export function zeekUid(n: number): string {
  let s = '';
  let v = Math.floor(n);
  do {
    s = BASE62[v % 62]! + s;
    v = Math.floor(v / 62);
  } while (v > 0);
  return `C${s}`;
}

/** Seconds with exactly six decimals from integer microseconds. */
export function usecString(usec: number): string {
  // Past 2^53 µs (far-future pcapng stamps) float division is inexact: the double's exact value.
  if (!Number.isSafeInteger(usec)) return bigUsecString(usec);
  const sec = Math.floor(usec / 1_000_000);
  const frac = usec - sec * 1_000_000;
  // Six digits already in most cases; otherwise the zeros before it (no padded copy to build).
  return frac >= 100_000 ? `${sec}.${frac}` : `${sec}.${fracZeros(frac)}${frac}`;
}

/** The zeros that pad a fraction below 100 000 to six digits. */
function fracZeros(frac: number): string {
  if (frac >= 10_000) return '0';
  if (frac >= 1_000) return '00';
  if (frac >= 100) return '000';
  if (frac >= 10) return '0000';
  return '00000';
}

function bigUsecString(usec: number): string {
  if (!Number.isFinite(usec)) return '0.000000';
  const v = BigInt(Math.trunc(usec));
  const m = 1_000_000n;
  let sec = v / m;
  let frac = v % m;
  if (frac < 0n) {
    frac += m;
    sec -= 1n;
  }
  return `${sec}.${String(frac).padStart(6, '0')}`;
}

/**
 * Zeek's #open/#close stamp: YYYY-MM-DD-HH-MM-SS (UTC here, so output does not depend on the host),
 * as gmtime gives it for any time (JavaScript's Date stops at ±275 760 years: far-future captures
 * pass it). Days to a civil date by the proleptic Gregorian calendar (H. Hinnant's algorithm).
 */
export function zeekStamp(usec: number): string {
  const secs = Number.isFinite(usec) ? Math.floor(usec / 1_000_000) : 0;
  const days = Math.floor(secs / 86_400);
  const inDay = secs - days * 86_400;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const p = (v: number) => String(v).padStart(2, '0');
  const hms = `${p(Math.floor(inDay / 3600))}-${p(Math.floor(inDay / 60) % 60)}-${p(inDay % 60)}`;
  return `${year}-${p(month)}-${p(day)}-${hms}`;
}

export function addrString(addr: Uint8Array, ipVersion: number): string {
  return ipVersion === 4 ? ipv4String(addr, 0) : ipv6String(addr, 0);
}

/**
 * Zeek's default Site::local_nets: the IANA special-purpose and private ranges (RFC 1918,
 * loopback, link-local, CGNAT, the local multicast blocks, unique-local and link-local IPv6).
 */
export function isLocalAddr(addr: Uint8Array, ipVersion: number): boolean {
  if (ipVersion === 4) {
    const a = addr[0]!;
    const b = addr[1]!;
    const c = addr[2]!;
    return (
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a === 0 ||
      (a === 192 && b === 0 && (c === 0 || c === 2)) ||
      (a === 198 && (b === 18 || b === 19)) ||
      (a === 198 && b === 51 && c === 100) ||
      (a === 203 && b === 0 && c === 113) ||
      (a === 224 && b === 0 && c === 0) ||
      a === 239 ||
      a >= 240
    );
  }
  const a = addr[0]!;
  const b = addr[1]!;
  let allZeroButLast = true;
  for (let i = 0; i < 15; i++) if (addr[i] !== 0) allZeroButLast = false;
  return (
    (a & 0xfe) === 0xfc ||
    (a === 0xfe && (b & 0xc0) === 0x80) ||
    (allZeroButLast && addr[15]! <= 1) ||
    (a === 0x20 && b === 0x01 && addr[2] === 0x0d && addr[3] === 0xb8) ||
    // 2001::/23, IANA's special-purpose block (Teredo's 2001::/32 among them)
    (a === 0x20 && b === 0x01 && addr[2]! < 0x02)
  );
}

/** One conn.log data line (tab-separated, no newline). */
export function zeekConnLine(row: ZeekConnRow): string {
  const unset = '-';
  const bool = (v: boolean) => (v ? 'T' : 'F');
  return [
    usecString(row.tsUsec),
    zeekUid(row.zeekId),
    addrString(row.origAddr, row.ipVersion),
    String(row.origPort),
    addrString(row.respAddr, row.ipVersion),
    String(row.respPort),
    'tcp',
    unset,
    row.durationUsec === null ? unset : usecString(row.durationUsec),
    row.origBytes === null ? unset : String(row.origBytes),
    row.respBytes === null ? unset : String(row.respBytes),
    row.connState,
    bool(isLocalAddr(row.origAddr, row.ipVersion)),
    bool(isLocalAddr(row.respAddr, row.ipVersion)),
    String(row.missedBytes),
    row.history === '' ? unset : row.history,
    String(row.origPkts),
    String(row.origIpBytes),
    String(row.respPkts),
    String(row.respIpBytes),
    unset,
    '6',
    String(row.synackId),
  ].join('\t');
}

/** The whole conn.log text: header, rows, #close. `firstUsec`/`lastUsec` are packet times. */
export function zeekConnLog(rows: readonly ZeekConnRow[], firstUsec: number, lastUsec: number): string {
  const out = zeekConnHead(firstUsec);
  for (const row of rows) out.push(zeekConnLine(row));
  out.push(zeekConnClose(lastUsec));
  return `${out.join('\n')}\n`;
}

/** The header lines of a conn.log opened at `firstUsec` (for writing rows as they are logged). */
export function zeekConnHead(firstUsec: number): string[] {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#open\t${zeekStamp(Math.max(firstUsec, 0))}`,
    `#fields\t${ZEEK_CONN_FIELDS.join('\t')}`,
    `#types\t${ZEEK_CONN_TYPES.join('\t')}`,
  ];
}

/** The last line of a conn.log closed at `lastUsec`. */
export function zeekConnClose(lastUsec: number): string {
  return `#close\t${zeekStamp(Math.max(lastUsec, 0))}`;
}

/**
 * Runs a ZeekConnLog over a packet stream and returns the conn.log text. `each` calls its
 * argument once per decoded TCP packet with the synack connection id it belongs to (the CLI
 * passes its reader/decoder/flow-table loop).
 */
export function runZeekLog(
  log: ZeekConnLog,
  each: (onPacket: (pkt: Packet, synackId: number) => void) => void,
): string {
  each((pkt, synackId) => log.process(pkt, synackId));
  const rows = log.finish();
  return zeekConnLog(rows, log.firstUsec, log.lastUsec);
}
