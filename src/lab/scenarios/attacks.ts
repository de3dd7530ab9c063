// Built-in scenarios with a forger on the path (RFC 5961): a RST inside the receive window draws
// a challenge ACK and changes nothing; a RST outside it is ignored. The forged frames carry a
// TTL unlike the claimed sender's (what rst-suspect-forged looks for). And a SYN flood from
// spoofed sources (RFC 4987): the listener's SYN queue fills, a real client's SYN is dropped,
// then served with a SYN cookie once net.ipv4.tcp_syncookies is on. Times in ms.

import type { Scenario } from '../scenario.js';
import {
  ACTIVE_OPEN,
  CLOSES_FIRST,
  CLOSES_SECOND,
  clientCloseAt,
  OPENED_THEN_CLIENT_CLOSED,
  PASSIVE_OPEN,
} from './shapes.js';

const OPEN: Scenario['timeline'] = [
  { at: 0, do: 'listen', port: 443 },
  { at: 0, do: 'connect', conn: 'c1', port: 443 },
  { at: 30, do: 'send', conn: 'c1', side: 'client', bytes: 300 },
  { at: 60, do: 'send', conn: 'c1', side: 'server', bytes: 2000 },
];

/** At 200 ms, a RST forged as from the client, `plus` beyond the server's RCV.NXT, TTL 47. */
function forgery(plus: number): Scenario['timeline'][number] {
  return {
    at: 200,
    do: 'inject',
    conn: 'c1',
    from: 'client',
    flags: 'R',
    seq: { side: 'server', field: 'rcvNxt', plus },
    ttl: 47,
  };
}

/**
 * An exchange, then at 200 ms a RST forged as from the client with its sequence number `plus`
 * beyond the server's RCV.NXT; the connection survives and closes normally.
 */
function forgedRst(name: string, description: string, plus: number): Scenario {
  return {
    name,
    description,
    timeline: [...OPEN, forgery(plus), ...clientCloseAt('c1', 400)],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  };
}

/** `count` SYNs from spoofed sources 198.18.0.{first…}, one every ms from `at` (RFC 2544's benchmark net). */
function spoofedSyns(at: number, first: number, count: number): Scenario['timeline'] {
  return Array.from({ length: count }, (_, k) => ({
    at: at + k,
    do: 'inject' as const,
    from: 'client' as const,
    srcIp: `198.18.0.${first + k}`,
    srcPort: 33000 + first + k,
    dstPort: 80,
    flags: 'S',
    seq: 'random' as const,
    window: 64240,
    options: { mss: 1460, sackOk: true, wscale: 7 },
  }));
}

const SYN_FLOOD: Scenario = {
  name: 'syn-flood',
  description:
    "16 spoofed SYNs fill the listener's SYN queue (backlog 8: 9 half-open, the rest dropped, tcp_syncookies=0); a real client's SYN is dropped; once syncookies are on, its retransmitted SYN is answered with a cookie and served; the spoofed half-open connections retransmit their SYN+ACKs (1, 2, 4, 8, 16 s) and expire",
  server: { syncookies: 0 },
  timeline: [
    { at: 0, do: 'listen', port: 80, backlog: 8 },
    ...spoofedSyns(0, 1, 16),
    { at: 100, do: 'connect', conn: 'c1', port: 80 },
    { at: 500, do: 'sysctl', name: 'net.ipv4.tcp_syncookies', value: 1 },
    { at: 1200, do: 'send', conn: 'c1', side: 'client', bytes: 'GET / HTTP/1.1\r\nHost: lab\r\n\r\n' },
    { at: 1300, do: 'send', conn: 'c1', side: 'server', bytes: 512 },
    ...clientCloseAt('c1', 1500),
    // Later spoofed SYNs meet the full queue with cookies on: one SYN+ACK each, never resent.
    ...spoofedSyns(2000, 17, 4),
  ],
  expect: {
    c1: {
      // The half-open connections keep the run going 63 s: the client's TIME_WAIT runs out in it.
      client: [...ACTIVE_OPEN, ...CLOSES_FIRST, 'CLOSED'],
      server: [...PASSIVE_OPEN, ...CLOSES_SECOND],
    },
  },
};

export const ATTACK_SCENARIOS: Scenario[] = [
  SYN_FLOOD,
  {
    name: 'forged-rst-success',
    description:
      "A forged RST at exactly the server's RCV.NXT is accepted (RFC 5961 §3): the server is CLOSED; the client's next data draws a RST from the server's stack (RFC 9293 §3.10.7.1)",
    timeline: [...OPEN, forgery(0), { at: 400, do: 'send', conn: 'c1', side: 'client', bytes: 200 }],
    expect: {
      c1: {
        client: ['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'CLOSED'],
        server: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSED'],
      },
    },
  },
  forgedRst(
    'forged-rst-in-window',
    "A forged RST in the server's window but not at RCV.NXT: the server sends a challenge ACK, nothing resets (RFC 5961 §3)",
    1000,
  ),
  forgedRst(
    'forged-rst-out-of-window',
    "A forged RST far outside the server's window is silently ignored (RFC 9293 §3.10.7.4, RFC 5961 §3)",
    0x40000000,
  ),
];
