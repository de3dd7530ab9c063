// SYN cookies (RFC 4987 §3.6), as Linux makes them (net/ipv4/syncookies.c): when a listener's
// SYN queue is full, the host answers a SYN with a SYN+ACK whose ISN encodes what it would have
// kept — a keyed hash of the 4-tuple, the peer's ISN, a minute counter (top 8 bits) and the
// index of the peer's MSS in a short table (low 24 bits) — and keeps nothing, so that SYN+ACK is
// never retransmitted. The peer's ACK brings the cookie back (ACK − 1); if it checks out (made
// in the current minute or the one before), the connection is created then, from that ACK. With
// timestamps, the low 6 bits of the SYN+ACK's TSval carry the window scale and SACK-permitted
// the peer offered (the ACK's TSecr echoes them back); without, Linux offers neither. Pure.

import { keyedHash } from './keyed-hash.js';

/** The MSS values a cookie can encode (Linux msstab, IPv4). */
const MSS_TABLE = [536, 1300, 1440, 1460] as const;
/** A cookie is good while the minute counter has moved on by less than this (MAX_SYNCOOKIE_AGE). */
const MAX_AGE_MINUTES = 2;
const COOKIE_BITS = 24;
const COOKIE_MASK = (1 << COOKIE_BITS) - 1;
/** TSval bits that carry the options (TSBITS), window scale in the low 4 (0xf: none), SACK bit 4. */
const TS_BITS = 6;
const TS_WSCALE_NONE = 0xf;
const TS_SACK = 0x10;

const minuteOf = (nowUs: number) => Math.floor(nowUs / 60_000_000);

/** The keyed hash with its bits mixed (murmur3's finaliser): 4-tuples one port apart share nothing. */
function hash(secret: number, text: string): number {
  let h = keyedHash(secret, text);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The ISN of a cookie SYN+ACK answering a SYN with sequence number `peerIsn` on `tuple`. */
export function cookieIsn(
  secret: number,
  tuple: string,
  peerIsn: number,
  nowUs: number,
  peerMss: number,
): number {
  let index = 0;
  for (let i = MSS_TABLE.length - 1; i >= 0; i--) {
    if (peerMss >= MSS_TABLE[i]) {
      index = i;
      break;
    }
  }
  const count = minuteOf(nowUs);
  return (
    (hash(secret, tuple) +
      peerIsn +
      ((count << COOKIE_BITS) >>> 0) +
      ((hash(secret ^ 0x5bd1e995, `${tuple} ${count}`) + index) & COOKIE_MASK)) >>>
    0
  );
}

/**
 * The MSS a returning ACK's cookie (`ack − 1`, the peer's ISN `seq − 1`) encodes, or undefined
 * when it is not one of ours or was made two minute-ticks ago or more.
 */
export function checkCookie(
  secret: number,
  tuple: string,
  cookie: number,
  peerIsn: number,
  nowUs: number,
): number | undefined {
  const rest = (cookie - hash(secret, tuple) - peerIsn) >>> 0;
  const count = minuteOf(nowUs);
  const age = (count - (rest >>> COOKIE_BITS)) & 0xff;
  if (age >= MAX_AGE_MINUTES) return undefined;
  const index = (rest - hash(secret ^ 0x5bd1e995, `${tuple} ${count - age}`)) & COOKIE_MASK;
  return index < MSS_TABLE.length ? MSS_TABLE[index] : undefined;
}

/** The TSval of a cookie SYN+ACK: the clock with its low 6 bits replaced by the peer's options. */
export function cookieTsval(tsNow: number, peerWscale: number | undefined, peerSackOk: boolean): number {
  const options = (peerWscale ?? TS_WSCALE_NONE) | (peerSackOk ? TS_SACK : 0);
  let ts = ((tsNow >>> TS_BITS) << TS_BITS) >>> 0;
  ts = (ts | options) >>> 0;
  // Never ahead of the clock (cookie_init_timestamp).
  return ts > tsNow ? (ts - (1 << TS_BITS)) >>> 0 : ts;
}

/** The peer's window scale and SACK-permitted, read back from the TSecr of its ACK. */
export function cookieTsOptions(tsecr: number): { wscale: number | undefined; sackOk: boolean } {
  const wscale = tsecr & TS_WSCALE_NONE;
  return { wscale: wscale === TS_WSCALE_NONE ? undefined : wscale, sackOk: (tsecr & TS_SACK) !== 0 };
}
