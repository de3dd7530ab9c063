// What the built-in scenarios share: the states of an ordinary three-way handshake and of an
// ordinary close on each side (RFC 9293 §3.5 Figure 6, §3.6 Figure 12), and the close that ends a
// scenario the way a real connection ends. Times in ms.

import type { Scenario } from '../scenario.js';

/** The active opener's (connect) and the passive opener's (listen) states through the handshake. */
export const ACTIVE_OPEN = ['CLOSED', 'SYN_SENT', 'ESTABLISHED'] as const;
export const PASSIVE_OPEN = ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED'] as const;

/** The states of the side that closes first, and of the side that closes second. */
export const CLOSES_FIRST = ['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT'] as const;
export const CLOSES_SECOND = ['CLOSE_WAIT', 'LAST_ACK', 'CLOSED'] as const;

/** The truth of a connection the client opened and closed first (however its segments fared). */
export const OPENED_THEN_CLIENT_CLOSED = {
  client: [...ACTIVE_OPEN, ...CLOSES_FIRST],
  server: [...PASSIVE_OPEN, ...CLOSES_SECOND],
};

/** The client closes at `at`, the server 200 ms later. */
export function clientCloseAt(conn: string, at: number): Scenario['timeline'] {
  return [
    { at, do: 'close', conn, side: 'client' },
    { at: at + 200, do: 'close', conn, side: 'server' },
  ];
}
