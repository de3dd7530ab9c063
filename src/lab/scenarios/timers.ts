// Built-in scenarios about the timers and the windows: keep-alive finding a dead peer, a receiver
// that stops reading (zero window and its probes), and data loss repaired by fast retransmit
// and by the retransmission timer. Times in ms.

import type { Scenario } from '../scenario.js';
import { ACTIVE_OPEN, clientCloseAt, OPENED_THEN_CLIENT_CLOSED, PASSIVE_OPEN } from './shapes.js';

export const TIMER_SCENARIOS: Scenario[] = [
  {
    name: 'keepalive',
    description:
      'Keep-alive (idle 5 s, interval 1 s, 3 probes): two probes are answered, the path dies, the client gives up with a RST that is lost; when the path is back the half-open server writes and is reset',
    client: {
      tcp: {
        keepalive: true,
        keepaliveIdleUs: 5_000_000,
        keepaliveIntervalUs: 1_000_000,
        keepaliveProbes: 3,
      },
    },
    // The path is down from 12 s to 25 s. The client's RST is lost with it, so the server stays
    // ESTABLISHED (half-open) until it writes at 30 s: the client's stack has no connection and
    // answers with a RST (RFC 9293 §3.10.7.1). Without that write no observer could ever learn
    // that the RST was lost (PRODUCT.md: in the lab a loss shows up later).
    link: { rules: [{ dir: 'any', after: 12_000, before: 25_000, action: 'drop', where: 'after-mid' }] },
    timeline: [
      { at: 0, do: 'listen', port: 22 },
      { at: 0, do: 'connect', conn: 'c1', port: 22 },
      { at: 30_000, do: 'send', conn: 'c1', side: 'server', bytes: 'SSH keep-alive reply\r\n' },
    ],
    expect: {
      c1: {
        client: [...ACTIVE_OPEN, 'CLOSED'],
        server: [...PASSIVE_OPEN, 'CLOSED'],
      },
    },
  },
  {
    name: 'zero-window',
    description:
      "The server's application stops reading: its window closes, the client probes it (Linux style: empty segments at SND.UNA−1) until reads reopen it",
    server: { autoRead: false, tcp: { rcvBufSize: 8192 } },
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 80 },
      { at: 30, do: 'send', conn: 'c1', side: 'client', bytes: 20000 },
      { at: 3000, do: 'read', conn: 'c1', side: 'server' },
      { at: 6000, do: 'read', conn: 'c1', side: 'server' },
      { at: 9000, do: 'read', conn: 'c1', side: 'server' },
      ...clientCloseAt('c1', 9500),
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'data-loss',
    description:
      'Two data segments are lost: the third is repaired by fast retransmit after three duplicate ACKs (with SACK blocks), the last one by the retransmission timer',
    link: {
      rules: [
        { match: 'DATA', dir: 'c2s', nth: 3, action: 'drop' },
        { match: 'DATA', dir: 'c2s', nth: 21, action: 'drop' },
      ],
    },
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 80 },
      { at: 30, do: 'send', conn: 'c1', side: 'client', bytes: 30000 },
      ...clientCloseAt('c1', 3000),
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
];
