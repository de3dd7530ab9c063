// Built-in scenarios with a forger on the path (RFC 5961): a RST inside the receive window draws
// a challenge ACK and changes nothing; a RST outside it is ignored. The forged frames carry a
// TTL unlike the claimed sender's (what rst-suspect-forged looks for). Times in ms.

import type { Scenario } from '../scenario.js';
import { clientCloseAt, OPENED_THEN_CLIENT_CLOSED } from './shapes.js';

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

export const ATTACK_SCENARIOS: Scenario[] = [
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
