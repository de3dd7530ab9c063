// The timed per-moment kernel score itself (test/helpers/kernel-timed.ts), on small made-up
// truths and records: the ±window, the 20 ms rule, UNKNOWN as doubt, endpoint matching by
// 4-tuple through a reused 4-tuple's connections, and the states before the first packet.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type KernelTruth, type PacketRecord, scoreTimed } from './helpers/kernel-timed.js';

const C = { ip: '10.0.0.1', port: 40000 };
const S = { ip: '10.0.0.2', port: 80 };
const T0 = 1000;

/** A packet of conn `conn` from the client (orig) or the server at T0 + ms, with both states after it. */
function pkt(ms: number, from: 'c' | 's', flags: string, orig: string, resp: string, conn = 1): PacketRecord {
  return {
    frame: 0,
    time: T0 + ms / 1000,
    src: from === 'c' ? C : S,
    dst: from === 'c' ? S : C,
    flags,
    conn,
    from: from === 'c' ? 'orig' : 'resp',
    states: { orig, resp },
  };
}

/** Truth: the client's and the server's runs as [state, first ms, last ms]. */
function truth(
  client: [string, number, number][],
  server: [string, number, number][],
  spanMs = 1000,
): KernelTruth {
  const sock = (host: string, local: typeof C, remote: typeof C, runs: [string, number, number][]) => ({
    host,
    local,
    remote,
    states: runs.map((r) => r[0]),
    times: runs.map((r) => T0 + r[1] / 1000),
    until: runs.map((r) => T0 + r[2] / 1000),
  });
  return {
    scenario: 'made-up',
    poll_ms: 0.5,
    span: [T0 - 0.05, T0 + spanMs / 1000],
    hosts: { client: C.ip, server: S.ip },
    sockets: [sock('client', C, S, client), sock('server', S, C, server)].filter((s) => s.states.length > 0),
  };
}

const handshake = [
  pkt(0, 'c', 'S', 'SYN_SENT', 'SYN_RECEIVED'),
  pkt(0.05, 's', 'S.', 'ESTABLISHED', 'SYN_RECEIVED'),
  pkt(0.1, 'c', '.', 'ESTABLISHED', 'ESTABLISHED'),
];

test('a handshake seen as the kernels saw it scores clean', () => {
  const t = truth(
    [
      ['SYN_SENT', -0.1, -0.1],
      ['ESTABLISHED', 0.4, 1000],
    ],
    [['ESTABLISHED', 0.4, 1000]],
  );
  const s = scoreTimed(t, handshake);
  assert.deepEqual([s.wrong, s.doubt], [0, 0], JSON.stringify(s.misses));
  // SYN_SENT, ESTABLISHED, ESTABLISHED (kernel runs); ESTABLISHED held by each side (analyzer).
  assert.equal(s.checked, 5);
});

test('a state the kernel showed but the analyzer only reached 16 ms later is wrong; 14 ms is in time', () => {
  const late = (ms: number) => [
    pkt(0, 'c', 'S', 'SYN_SENT', 'SYN_RECEIVED'),
    pkt(0.05, 's', 'S.', 'ESTABLISHED', 'SYN_RECEIVED'),
    pkt(ms, 'c', '.', 'ESTABLISHED', 'ESTABLISHED'),
  ];
  // The server's kernel socket appears ESTABLISHED at 0.1 ms and stays so.
  const t = truth([['ESTABLISHED', 0.1, 1000]], [['ESTABLISHED', 0.1, 1000]]);
  assert.equal(scoreTimed(t, late(14)).wrong, 0);
  const s = scoreTimed(t, late(16));
  assert.equal(s.wrong, 1);
  assert.equal(s.misses[0]!.kind, 'kernel');
  assert.equal(s.misses[0]!.state, 'ESTABLISHED');
  assert.equal(s.misses[0]!.endpoint, '10.0.0.2:80>10.0.0.1:40000');
});

test('a state the analyzer held 20 ms or more that the kernel never showed is wrong; 19 ms is not scored', () => {
  // The analyzer puts the server in SYN_RECEIVED on the first SYN; the kernel had no socket
  // (the SYN was dropped) until the retransmitted SYN at `ms`.
  const records = (ms: number) => [
    pkt(0, 'c', 'S', 'SYN_SENT', 'SYN_RECEIVED'),
    pkt(ms, 'c', 'S', 'SYN_SENT', 'SYN_RECEIVED'),
    pkt(ms + 0.05, 's', 'S.', 'ESTABLISHED', 'SYN_RECEIVED'),
    pkt(ms + 0.1, 'c', '.', 'ESTABLISHED', 'ESTABLISHED'),
  ];
  const kernel = (ms: number) =>
    truth(
      [
        ['SYN_SENT', -0.1, ms],
        ['ESTABLISHED', ms + 0.1, 1000],
      ],
      [['ESTABLISHED', ms + 0.2, 1000]],
    );
  const s = scoreTimed(kernel(1000 - 100), records(1000 - 100));
  assert.equal(s.wrong, 1, JSON.stringify(s.misses));
  assert.deepEqual(
    [s.misses[0]!.kind, s.misses[0]!.state, s.misses[0]!.shown],
    ['analyzer', 'SYN_RECEIVED', ['(no socket)']],
  );
  assert.equal(scoreTimed(kernel(19), records(19)).wrong, 0);
});

test('UNKNOWN where the kernel showed a state is doubt, not wrong', () => {
  const records = [
    ...handshake,
    pkt(100, 'c', 'F.', 'FIN_WAIT_1', 'UNKNOWN'),
    pkt(300, 's', 'F.', 'TIME_WAIT', 'LAST_ACK'),
    pkt(300.1, 'c', '.', 'TIME_WAIT', 'CLOSED'),
  ];
  const t = truth(
    [
      ['ESTABLISHED', 0.1, 99.9],
      ['FIN_WAIT_1', 100, 100.2],
      ['FIN_WAIT_2', 100.3, 299.9],
      ['TIME_WAIT', 300.1, 1000],
    ],
    [
      ['ESTABLISHED', 0.2, 100],
      ['CLOSE_WAIT', 100.1, 299.9],
      ['LAST_ACK', 300, 300.1],
      ['CLOSED', 300.2, 1000],
    ],
  );
  const s = scoreTimed(t, records);
  // The client's FIN_WAIT_2 was never shown (wrong: it stayed FIN_WAIT_1, which the kernel did
  // show inside the 200 ms it was held); the server's CLOSE_WAIT was UNKNOWN (doubt, both ways).
  assert.deepEqual(s.misses.map((m) => `${m.verdict} ${m.kind} ${m.state}`).sort(), [
    'doubt analyzer UNKNOWN',
    'doubt kernel CLOSE_WAIT',
    'wrong kernel FIN_WAIT_2',
  ]);
});

test('a 4-tuple reused by a second connection is one endpoint through both, in time order', () => {
  const first = [...handshake, pkt(50, 's', 'R', 'CLOSED', 'CLOSED')];
  const second = [
    pkt(500, 'c', 'S', 'SYN_SENT', 'SYN_RECEIVED', 2),
    pkt(500.05, 's', 'S.', 'ESTABLISHED', 'SYN_RECEIVED', 2),
    pkt(500.1, 'c', '.', 'ESTABLISHED', 'ESTABLISHED', 2),
  ];
  const t = truth(
    [
      ['ESTABLISHED', 0.1, 49.9],
      ['CLOSED', 50.1, 499.9],
      ['SYN_SENT', 499.95, 499.99],
      ['ESTABLISHED', 500.2, 1000],
    ],
    [
      ['ESTABLISHED', 0.2, 50],
      ['CLOSED', 50.1, 500],
      ['ESTABLISHED', 500.2, 1000],
    ],
  );
  // Records of the second connection listed first: the order of the lines does not matter.
  const s = scoreTimed(t, [...second, ...first]);
  assert.deepEqual([s.wrong, s.doubt], [0, 0], JSON.stringify(s.misses));
  // Without the second connection the kernel's SYN_SENT and both second ESTABLISHEDs have no
  // analyzer state (CLOSED after the RST).
  assert.equal(scoreTimed(t, first).wrong, 3);
});

test('endpoints of hosts that were not polled (spoofed sources) are not scored', () => {
  const spoofed = { ip: '198.18.0.7', port: 1234 };
  const syn: PacketRecord = { ...pkt(0, 'c', 'S', 'SYN_SENT', 'SYN_RECEIVED', 9), src: spoofed };
  const synack: PacketRecord = { ...pkt(0.05, 's', 'S.', 'SYN_SENT', 'SYN_RECEIVED', 9), dst: spoofed };
  const t = truth([], []);
  t.sockets.push({
    host: 'server',
    local: S,
    remote: spoofed,
    states: ['SYN_RECEIVED'],
    times: [T0],
    until: [T0 + 1],
  });
  const s = scoreTimed(t, [syn, synack]);
  assert.deepEqual([s.wrong, s.doubt, s.checked], [0, 0, 2], JSON.stringify(s.misses));
});
