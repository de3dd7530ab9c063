// What the other connections of a capture say about one connection's listener, for the story of
// a SYN flood (RFC 4987): how many sources sent SYNs to the same server port and never answered
// its SYN+ACK (spoofed or unreachable, PRODUCT.md "How states are inferred"), and how many
// half-open connections (the server in SYN_RECEIVED) that port held when each of this
// connection's SYNs arrived — what fills Linux's SYN queue (the listen() backlog, at most
// net.core.somaxconn) and makes it drop SYNs or answer them with cookies. Pure.

import { ACK, SYN } from '../wire/packet.js';
import { ipPort } from './ip-port.js';
import type { ConnTimeline } from './timeline.js';

/** Fewer silent sources than this on a port is not called a flood. */
export const SYN_FLOOD_MIN_SOURCES = 5;

export interface SynQueueContext {
  /** The server's address and port, `IP:PORT`. */
  listener: string;
  /** Other connections to the listener whose client sent only SYNs (it never answered). */
  silentSources: number;
  /** Half-open connections on the listener when each SYN (no ACK) of this connection was seen, by frame. */
  halfOpenAt: Record<number, number>;
}

/** The client sent only SYNs without ACK: it never answered anything. */
export function silentClient(t: ConnTimeline): boolean {
  let syns = 0;
  for (const p of t.packets) {
    if (p.from !== 'orig') continue;
    if ((p.flags & (SYN | ACK)) !== SYN) return false;
    syns++;
  }
  return syns > 0;
}

/**
 * The listener's situation around `t`, or undefined when fewer than SYN_FLOOD_MIN_SOURCES other
 * sources to the same server port never answered (no flood to speak of).
 */
export function synQueueContext(all: readonly ConnTimeline[], t: ConnTimeline): SynQueueContext | undefined {
  const same = (u: ConnTimeline) => u.id !== t.id && u.resp.ip === t.resp.ip && u.resp.port === t.resp.port;
  const others = all.filter(same);
  const silentSources = others.filter(silentClient).length;
  if (silentSources < SYN_FLOOD_MIN_SOURCES) return undefined;
  const halfOpenAt: Record<number, number> = {};
  for (const p of t.packets) {
    if (p.from !== 'orig' || (p.flags & (SYN | ACK)) !== SYN) continue;
    let n = 0;
    for (const u of others) {
      let last: (typeof u.packets)[number] | undefined;
      for (const q of u.packets) {
        if (q.timeUs > p.timeUs) break;
        last = q;
      }
      if (last?.states.resp === 'SYN_RECEIVED') n++;
    }
    halfOpenAt[p.frame] = n;
  }
  return { listener: ipPort(t.resp.ip, t.resp.port), silentSources, halfOpenAt };
}
