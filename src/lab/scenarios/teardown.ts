// Built-in scenarios about closing: who closes first, the merged FIN+ACK (three-segment
// teardown), simultaneous close (RFC 9293 Figure 13), half-close, abort, TIME_WAIT and the port
// arithmetic behind it. Times in ms.

import type { Scenario } from '../scenario.js';
import {
  ACTIVE_OPEN,
  CLOSES_FIRST,
  CLOSES_SECOND,
  OPENED_THEN_CLIENT_CLOSED,
  PASSIVE_OPEN,
} from './shapes.js';

const OPEN: Scenario['timeline'] = [
  { at: 0, do: 'listen', port: 80 },
  { at: 0, do: 'connect', conn: 'c1', port: 80 },
  { at: 30, do: 'send', conn: 'c1', side: 'client', bytes: 'GET / HTTP/1.1\r\nHost: lab\r\n\r\n' },
  { at: 60, do: 'send', conn: 'c1', side: 'server', bytes: 1200 },
];

export const TEARDOWN_SCENARIOS: Scenario[] = [
  {
    name: 'client-close',
    description: 'The client closes first: FIN, ACK, FIN, ACK; the client waits in TIME_WAIT',
    timeline: [
      ...OPEN,
      { at: 200, do: 'close', conn: 'c1', side: 'client' },
      { at: 400, do: 'close', conn: 'c1', side: 'server' },
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'server-close',
    description:
      'The server closes first: the server waits in TIME_WAIT, the client passes CLOSE_WAIT and LAST_ACK',
    timeline: [
      ...OPEN,
      { at: 200, do: 'close', conn: 'c1', side: 'server' },
      { at: 400, do: 'close', conn: 'c1', side: 'client' },
    ],
    expect: {
      c1: {
        client: [...ACTIVE_OPEN, ...CLOSES_SECOND],
        server: [...PASSIVE_OPEN, ...CLOSES_FIRST],
      },
    },
  },
  {
    name: 'merged-fin-ack',
    description:
      "The server closes within its delayed-ACK time: its FIN carries the ACK of the client's FIN (three segments)",
    timeline: [
      ...OPEN,
      { at: 200, do: 'close', conn: 'c1', side: 'client' },
      // The FIN reaches the server at 210 ms; its ACK would leave at 250 ms.
      { at: 220, do: 'close', conn: 'c1', side: 'server' },
    ],
    expect: {
      c1: {
        client: [...ACTIVE_OPEN, 'FIN_WAIT_1', 'TIME_WAIT'],
        server: [...PASSIVE_OPEN, ...CLOSES_SECOND],
      },
    },
  },
  {
    name: 'last-ack-lost',
    description:
      "The client's last ACK is lost: the server in LAST_ACK retransmits its FIN, the client in TIME_WAIT acknowledges it again (TIME_WAIT's first reason)",
    // The first client→server ACK after 400 ms is the last ACK of the teardown.
    link: { rules: [{ match: 'ACK', dir: 'c2s', after: 400, nth: 1, action: 'drop' }] },
    timeline: [
      ...OPEN,
      { at: 200, do: 'close', conn: 'c1', side: 'client' },
      { at: 400, do: 'close', conn: 'c1', side: 'server' },
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'fin-with-data',
    description:
      'The server writes a response one segment longer than its initial window and closes: the tail waits for the first ACKs, and the FIN rides on it (FIN+PSH+ACK with a payload)',
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 80 },
      { at: 30, do: 'send', conn: 'c1', side: 'client', bytes: 'GET / HTTP/1.0\r\n\r\n' },
      // IW10: ten full segments leave at once, the last 1176 bytes wait for an ACK; close() comes
      // before that ACK, so the tail is the only segment sent in FIN_WAIT_1, and it carries the FIN.
      { at: 60, do: 'send', conn: 'c1', side: 'server', bytes: 10 * 1448 + 1176 },
      { at: 65, do: 'close', conn: 'c1', side: 'server' },
      { at: 300, do: 'close', conn: 'c1', side: 'client' },
    ],
    expect: {
      c1: {
        client: [...ACTIVE_OPEN, ...CLOSES_SECOND],
        server: [...PASSIVE_OPEN, ...CLOSES_FIRST],
      },
    },
  },
  {
    name: 'simultaneous-close',
    description:
      'Both ends close at once: the FINs cross, both pass through CLOSING and both wait in TIME_WAIT',
    timeline: [
      ...OPEN,
      { at: 200, do: 'close', conn: 'c1', side: 'client' },
      { at: 200, do: 'close', conn: 'c1', side: 'server' },
    ],
    expect: {
      c1: {
        client: [...ACTIVE_OPEN, 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT'],
        server: [...PASSIVE_OPEN, 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT'],
      },
    },
  },
  {
    name: 'half-close',
    description: 'The client shuts down its sending side; the server keeps sending data to it, then closes',
    timeline: [
      ...OPEN,
      { at: 200, do: 'shutdown', conn: 'c1', side: 'client' },
      { at: 300, do: 'send', conn: 'c1', side: 'server', bytes: 4000 },
      { at: 500, do: 'send', conn: 'c1', side: 'server', bytes: 'end of results\n' },
      { at: 700, do: 'close', conn: 'c1', side: 'server' },
      { at: 800, do: 'close', conn: 'c1', side: 'client' },
    ],
    expect: { c1: OPENED_THEN_CLIENT_CLOSED },
  },
  {
    name: 'client-abort',
    description: 'The client aborts (SO_LINGER 0): one RST+ACK and both ends are CLOSED, no TIME_WAIT',
    timeline: [...OPEN, { at: 200, do: 'abort', conn: 'c1', side: 'client' }],
    expect: {
      c1: {
        client: [...ACTIVE_OPEN, 'CLOSED'],
        server: [...PASSIVE_OPEN, 'CLOSED'],
      },
    },
  },
  {
    name: 'time-wait-port-reuse',
    description:
      'The server closes first and sits in TIME_WAIT; the client reconnects from the same port, and the new SYN (higher ISN) takes over the 4-tuple',
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 80, localPort: 40000 },
      { at: 200, do: 'close', conn: 'c1', side: 'server' },
      { at: 300, do: 'close', conn: 'c1', side: 'client' },
      { at: 5000, do: 'connect', conn: 'c2', port: 80, localPort: 40000 },
      { at: 5200, do: 'close', conn: 'c2', side: 'client' },
      { at: 5400, do: 'close', conn: 'c2', side: 'server' },
    ],
    expect: {
      c1: {
        client: [...ACTIVE_OPEN, ...CLOSES_SECOND],
        server: [...PASSIVE_OPEN, ...CLOSES_FIRST, 'CLOSED'],
      },
      c2: OPENED_THEN_CLIENT_CLOSED,
    },
  },
  {
    name: 'port-exhaustion',
    description:
      'Seed 001 at small scale: 10 client ports, TIME_WAIT 2 s, so at most 5 connections/s are sustainable; 10/s are attempted and connect() fails once every port is in TIME_WAIT',
    client: { ephemeral: [40000, 40009], tcp: { timeWaitUs: 2_000_000 } },
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c{n}', port: 80, repeat: { count: 30, every: 100 } },
      { at: 40, do: 'close', conn: 'c{n}', side: 'client', repeat: { count: 30, every: 100 } },
      // Within the delayed-ACK time of the client's FIN: FIN+ACK merged, three-segment teardowns.
      { at: 70, do: 'close', conn: 'c{n}', side: 'server', repeat: { count: 30, every: 100 } },
    ],
    expect: {
      c1: {
        client: [...ACTIVE_OPEN, 'FIN_WAIT_1', 'TIME_WAIT', 'CLOSED'],
        server: [...PASSIVE_OPEN, ...CLOSES_SECOND],
      },
    },
  },
];
