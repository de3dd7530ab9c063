// Built-in scenarios about opening a connection: refusal, loss of each handshake segment, old
// duplicate SYNs (RFC 9293 §3.5 Figure 8: why the handshake has three segments, not two),
// simultaneous open (§3.5 Figure 7), and a listener whose accept queue is full (Linux drops the
// handshake's ACK, or resets it with tcp_abort_on_overflow). Times in ms; 10 ms one-way latency
// unless said.

import type { Scenario } from '../scenario.js';
import {
  ACTIVE_OPEN,
  CLOSES_FIRST,
  CLOSES_SECOND,
  clientCloseAt,
  OPENED_THEN_CLIENT_CLOSED,
} from './shapes.js';

/**
 * A listener with backlog 1 whose application does not accept(): c1 and c2 fill its accept queue
 * (Linux takes backlog + 1); c3's SYN came in while there was room, its handshake ACK finds the
 * queue full.
 */
const FULL_ACCEPT_QUEUE: Scenario['timeline'] = [
  { at: 0, do: 'listen', port: 80, backlog: 1, accept: false },
  { at: 0, do: 'connect', conn: 'c1', port: 80 },
  { at: 100, do: 'connect', conn: 'c2', port: 80 },
  { at: 101, do: 'connect', conn: 'c3', port: 80 },
];

export const HANDSHAKE_SCENARIOS: Scenario[] = [
  {
    name: 'refused',
    description: 'SYN to a port nobody listens on: the server stack answers RST+ACK, connect() fails',
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 81 },
    ],
    expect: { c1: { client: ['CLOSED', 'SYN_SENT', 'CLOSED'] } },
  },
  {
    name: 'syn-lost',
    description: 'The first SYN is lost; the client retransmits it after the 1 s initial RTO',
    link: { rules: [{ match: 'SYN', dir: 'c2s', nth: 1, action: 'drop' }] },
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 80 },
      ...clientCloseAt('c1', 2000),
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'synack-lost',
    description: "The SYN+ACK is lost: the client's SYN and the server's SYN+ACK are both retransmitted",
    link: { rules: [{ match: 'SYN+ACK', dir: 's2c', nth: 1, action: 'drop' }] },
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 80 },
      ...clientCloseAt('c1', 2000),
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'third-ack-lost-silent',
    description:
      'The handshake ACK is lost and the client sends nothing: the server retransmits SYN+ACK, the client ACKs again',
    link: { rules: [{ match: 'ACK', dir: 'c2s', nth: 1, action: 'drop' }] },
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 80 },
      ...clientCloseAt('c1', 2000),
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'third-ack-lost-data',
    description:
      "The handshake ACK is lost but the client's first data segment carries the same ACK: the server is ESTABLISHED by it",
    link: { rules: [{ match: 'ACK', dir: 'c2s', nth: 1, action: 'drop' }] },
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 80 },
      { at: 30, do: 'send', conn: 'c1', side: 'client', bytes: 'GET / HTTP/1.1\r\nHost: lab\r\n\r\n' },
      { at: 100, do: 'send', conn: 'c1', side: 'server', bytes: 512 },
      ...clientCloseAt('c1', 500),
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'third-ack-lost-server-first',
    description:
      'The handshake ACK is lost and the server speaks first (a banner): it cannot send until its SYN+ACK retransmission is ACKed',
    link: { rules: [{ match: 'ACK', dir: 'c2s', nth: 1, action: 'drop' }] },
    timeline: [
      { at: 0, do: 'listen', port: 25 },
      { at: 0, do: 'connect', conn: 'c1', port: 25 },
      { at: 25, do: 'send', conn: 'c1', side: 'server', bytes: '220 lab ESMTP\r\n' },
      ...clientCloseAt('c1', 2000),
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'old-duplicate-syn',
    description:
      'An old duplicate SYN arrives first: the client RSTs the SYN+ACK that does not ack its SYN, the server returns to LISTEN (why two-way handshakes fail)',
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      // A SYN from an earlier incarnation of the same 4-tuple, still wandering in the network.
      {
        at: 0,
        do: 'inject',
        from: 'client',
        srcPort: 40000,
        dstPort: 80,
        flags: 'S',
        seq: 90,
        window: 64240,
      },
      { at: 10, do: 'connect', conn: 'c1', port: 80, localPort: 40000 },
      ...clientCloseAt('c1', 3000),
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'accept-queue-full',
    description:
      "The server's application does not accept(): its accept queue (backlog 1) is full, so Linux drops c3's handshake ACK (c3 is ESTABLISHED, the server still SYN_RECEIVED and resending its SYN+ACK) and c4's SYNs; once the application accepts, both complete",
    timeline: [
      ...FULL_ACCEPT_QUEUE,
      { at: 500, do: 'connect', conn: 'c4', port: 80 },
      { at: 2500, do: 'accept', port: 80 },
      ...['c1', 'c2', 'c3', 'c4'].flatMap((c) => clientCloseAt(c, 5000)),
    ],
    expect: {
      c1: OPENED_THEN_CLIENT_CLOSED,
      c2: OPENED_THEN_CLIENT_CLOSED,
      c3: OPENED_THEN_CLIENT_CLOSED,
      c4: OPENED_THEN_CLIENT_CLOSED,
    },
  },
  {
    name: 'accept-queue-abort',
    description:
      "As accept-queue-full with net.ipv4.tcp_abort_on_overflow=1: the handshake ACK the full accept queue cannot take is answered with a RST (seq = the ACK's ack), and c3's connect(), which had returned, ends in ECONNRESET",
    server: { abortOnOverflow: 1 },
    timeline: [
      ...FULL_ACCEPT_QUEUE,
      { at: 1000, do: 'accept', port: 80 },
      ...['c1', 'c2'].flatMap((c) => clientCloseAt(c, 1500)),
    ],
    expect: {
      c1: OPENED_THEN_CLIENT_CLOSED,
      c2: OPENED_THEN_CLIENT_CLOSED,
      c3: { client: [...ACTIVE_OPEN, 'CLOSED'], server: ['LISTEN', 'SYN_RECEIVED', 'CLOSED'] },
    },
  },
  {
    name: 'tcp-fast-open',
    description:
      'TCP Fast Open (RFC 7413): c1 asks for a cookie (an empty option in its SYN, the cookie in the SYN+ACK) and sends its request after the handshake; c2 puts the request and the cookie in its SYN, the server acknowledges SYN and data together and answers before the handshake ends: a round trip saved',
    timeline: [
      { at: 0, do: 'listen', port: 80, fastOpen: true },
      { at: 0, do: 'connect', conn: 'c1', port: 80, fastOpenData: 'GET / HTTP/1.1\r\nHost: lab\r\n\r\n' },
      { at: 35, do: 'send', conn: 'c1', side: 'server', bytes: 512 },
      ...clientCloseAt('c1', 200),
      { at: 1000, do: 'connect', conn: 'c2', port: 80, fastOpenData: 'GET / HTTP/1.1\r\nHost: lab\r\n\r\n' },
      { at: 1015, do: 'send', conn: 'c2', side: 'server', bytes: 512 },
      ...clientCloseAt('c2', 1200),
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED, c2: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'simultaneous-open',
    description:
      'Both ends send a SYN at once (RFC 9293 Figure 7): SYN, SYN, SYN+ACK, SYN+ACK; both pass through SYN_RECEIVED',
    timeline: [
      { at: 0, do: 'connect', conn: 'c1', port: 50000, localPort: 40000 },
      { at: 0, do: 'connect', conn: 'c1-peer', port: 40000, localPort: 50000, side: 'server' },
      ...clientCloseAt('c1', 500),
    ],
    expect: {
      c1: {
        client: ['CLOSED', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', ...CLOSES_FIRST],
        server: ['CLOSED', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', ...CLOSES_SECOND],
      },
    },
  },
];
