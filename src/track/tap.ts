// Where the capture was taken (PRODUCT.md "How states are inferred", `--tap auto|client|server|
// mid|IP`): it decides what a receiver's silence proves. Beside a receiver, the tap would have
// seen its answer; elsewhere the segment or the answer may have been lost in between. `auto`
// decides per connection from the capturing host's own addresses (live), the TTLs (a tap
// beside an endpoint sees its segments with the TTL they left with, 64/128/255, the other's
// decremented by the routers in between), the handshake's delay split (a tap beside an endpoint
// sees that endpoint answer within its processing time, the other only a round trip later) and,
// where none is conclusive, treats the tap as mid. Pure.

import { parseIp } from './ip-text.js';

export enum TapMode {
  AUTO = 0,
  /** Beside the client (orig). */
  CLIENT = 1,
  /** Beside the server (resp). */
  SERVER = 2,
  MID = 3,
  /** Beside the host with the address TapSpec.ip. */
  HOST = 4,
}

export interface TapSpec {
  mode: TapMode;
  /** The host's address (4 or 16 bytes) for TapMode.HOST. */
  ip: Uint8Array | null;
  /** For TapMode.AUTO on a live interface: the capturing host's own addresses (4 or 16 bytes). */
  own?: readonly Uint8Array[];
}

export const AUTO_TAP: TapSpec = { mode: TapMode.AUTO, ip: null };

/** `auto` on a live capture: a connection with one of the host's own addresses is tapped beside that end. */
export function autoTapOn(ownAddresses: readonly string[]): TapSpec {
  const own: Uint8Array[] = [];
  for (const a of ownAddresses) {
    const ip = parseIp(a);
    if (ip !== null) own.push(ip);
  }
  return { mode: TapMode.AUTO, ip: null, own };
}

/** `--tap` text → TapSpec, or null when it is none of auto, client, server, mid or an IP address. */
export function parseTap(text: string): TapSpec | null {
  switch (text) {
    case 'auto':
      return AUTO_TAP;
    case 'client':
      return { mode: TapMode.CLIENT, ip: null };
    case 'server':
      return { mode: TapMode.SERVER, ip: null };
    case 'mid':
      return { mode: TapMode.MID, ip: null };
  }
  const ip = parseIp(text);
  return ip === null ? null : { mode: TapMode.HOST, ip };
}

/** Where the tap is for one connection: beside endpoint A, beside B, in the middle, or not yet known. */
export enum TapSide {
  UNDECIDED = 0,
  A = 1,
  B = 2,
  MID = 3,
}

/**
 * The shortest handshake leg (µs) `auto` trusts as a network round trip: below it (namespaces,
 * loopback, a LAN) the split between the two legs is scheduling noise, and the tap is treated as mid.
 */
export const AUTO_MIN_RTT_USEC = 1000;
/** How many times longer than the other leg the far leg must be for `auto` to place the tap. */
export const AUTO_RATIO = 10;

/**
 * The TTLs (IPv6 hop limits) stacks send with: 64 (Linux, macOS, BSDs), 128 (Windows), 255
 * (Solaris, network gear), 32 (old Windows). A segment seen with one crossed no router before the tap.
 */
const INITIAL_TTLS = [32, 64, 128, 255];

export function isInitialTtl(ttl: number): boolean {
  return INITIAL_TTLS.includes(ttl);
}

/**
 * `auto` from the evidence of one connection: the TTLs its endpoints' segments were seen with
 * (-1: none seen yet) and the two round trips the handshake measured from the tap (infer.ts
 * tapRttUsec: to A and back, to B and back; -1 unmeasured). TTLs first: an endpoint seen with an
 * initial TTL and its peer with a decremented one is beside the tap; both decremented, routers
 * stand between the tap and each (mid). Both initial (one network, or no router in between)
 * leaves it to the round trips: beside the endpoint that answers at once while the other takes a
 * network round trip; mid when the split is not clear.
 */
export function autoTapSide(rttA: number, rttB: number, ttlA = -1, ttlB = -1): TapSide {
  if (ttlA >= 0 && ttlB >= 0) {
    const nearA = isInitialTtl(ttlA);
    const nearB = isInitialTtl(ttlB);
    if (nearA && !nearB) return TapSide.A;
    if (nearB && !nearA) return TapSide.B;
    if (!nearA && !nearB) return TapSide.MID;
  }
  if (rttA < 0 || rttB < 0) return TapSide.UNDECIDED;
  if (rttB >= AUTO_MIN_RTT_USEC && rttB >= AUTO_RATIO * Math.max(rttA, 1)) return TapSide.A;
  if (rttA >= AUTO_MIN_RTT_USEC && rttA >= AUTO_RATIO * Math.max(rttB, 1)) return TapSide.B;
  return TapSide.MID;
}
