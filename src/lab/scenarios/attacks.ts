// Built-in scenarios with a forger on the path (RFC 5961): a RST inside the receive window draws
// a challenge ACK and changes nothing; a RST outside it is ignored. The forged frames carry a
// TTL unlike the claimed sender's (what rst-suspect-forged looks for). Times in ms.

import type { Scenario } from '../scenario.js';

const OPEN: Scenario['timeline'] = [
  { at: 0, do: 'listen', port: 443 },
  { at: 0, do: 'connect', conn: 'c1', port: 443 },
  { at: 30, do: 'send', conn: 'c1', side: 'client', bytes: 300 },
  { at: 60, do: 'send', conn: 'c1', side: 'server', bytes: 2000 },
];
const FINISH: Scenario['timeline'] = [
  { at: 400, do: 'close', conn: 'c1', side: 'client' },
  { at: 600, do: 'close', conn: 'c1', side: 'server' },
];
const SURVIVES = {
  client: ['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT'],
  server: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'],
} as const;

export const ATTACK_SCENARIOS: Scenario[] = [
  {
    name: 'forged-rst-in-window',
    description:
      "A forged RST in the server's window but not at RCV.NXT: the server sends a challenge ACK, nothing resets (RFC 5961 §3)",
    timeline: [
      ...OPEN,
      {
        at: 200,
        do: 'inject',
        conn: 'c1',
        from: 'client',
        flags: 'R',
        seq: { side: 'server', field: 'rcvNxt', plus: 1000 },
        ttl: 47,
      },
      ...FINISH,
    ],
    expect: { c1: { client: [...SURVIVES.client], server: [...SURVIVES.server] } },
  },
  {
    name: 'forged-rst-out-of-window',
    description:
      "A forged RST far outside the server's window is silently ignored (RFC 9293 §3.10.7.4, RFC 5961 §3)",
    timeline: [
      ...OPEN,
      {
        at: 200,
        do: 'inject',
        conn: 'c1',
        from: 'client',
        flags: 'R',
        seq: { side: 'server', field: 'rcvNxt', plus: 0x40000000 },
        ttl: 47,
      },
      ...FINISH,
    ],
    expect: { c1: { client: [...SURVIVES.client], server: [...SURVIVES.server] } },
  },
];
