// Hand-written connection timelines for report tests (ladder, explanation, socket table): each
// copies a real capture's packets (examples/loopback-lifecycles.pcap, tcpdump -n -tt) or a
// seed scenario, with the states RFC 9293 gives both endpoints after every packet.

import type { ConnTimeline, TimelinePacket, TimelineRecord } from '../../src/report/timeline.js';
import type { StateName } from '../../src/tcp/state.js';
import type { EventKind } from '../../src/track/kinds.js';
import { ACK, FIN, PSH, RST, SYN } from '../../src/wire/packet.js';

/** [µs since start, 'o'|'r', tcpdump flags, relSeq, relAck, len, orig state, resp state, tags?, role?, extra?] */
export type Step = [
  number,
  'o' | 'r',
  string,
  number,
  number,
  number,
  StateName,
  StateName,
  EventKind[]?,
  string?,
  Partial<TimelinePacket>?,
];

function flagBits(f: string): number {
  let b = 0;
  for (const c of f) {
    if (c === 'S') b |= SYN;
    else if (c === 'F') b |= FIN;
    else if (c === 'R') b |= RST;
    else if (c === 'P') b |= PSH;
    else if (c === '.') b |= ACK;
  }
  return b;
}

function defaultRole(flags: number, len: number): string {
  if (flags & RST) return 'reset';
  if (len > 0 && !(flags & (SYN | FIN))) return 'data';
  return 'ack';
}

export function makeTimeline(o: {
  id?: number;
  orig?: { ip: string; port: number };
  resp?: { ip: string; port: number };
  startUs?: number;
  isn?: { orig: number; resp: number };
  initial: { orig: StateName; resp: StateName };
  steps: Step[];
  record?: TimelineRecord;
}): ConnTimeline {
  const start = o.startUs ?? 1_795_485_192_481_229;
  const isn = o.isn ?? { orig: 483072758, resp: 4182851591 };
  const packets: TimelinePacket[] = o.steps.map((s, i) => {
    const [dt, who, f, relSeq, relAck, len, os, rs, tags, role, extra] = s;
    const from = who === 'o' ? 'orig' : 'resp';
    const flags = flagBits(f);
    const mine = from === 'orig' ? isn.orig : isn.resp;
    const theirs = from === 'orig' ? isn.resp : isn.orig;
    return {
      frame: i + 1,
      timeUs: start + dt,
      from,
      flags,
      seq: (mine + relSeq) >>> 0,
      ack: flags & ACK ? (theirs + relAck) >>> 0 : 0,
      relSeq,
      relAck: flags & ACK ? relAck : 0,
      len,
      win: 64,
      tags: tags ?? [],
      role: role ?? defaultRole(flags, len),
      states: { orig: os, resp: rs },
      ...extra,
    };
  });
  return {
    id: o.id ?? 1,
    orig: o.orig ?? { ip: '127.0.0.1', port: 35098 },
    resp: o.resp ?? { ip: '127.0.0.1', port: 8801 },
    initial: o.initial,
    packets,
    ...(o.record ? { record: o.record } : {}),
  };
}

/** Connection 1 of examples/loopback-lifecycles.pcap: request, 3019-byte reply, client closes, merged FIN. */
export const clientClose = makeTimeline({
  initial: { orig: 'CLOSED', resp: 'LISTEN' },
  steps: [
    [0, 'o', 'S', 0, 0, 0, 'SYN_SENT', 'SYN_RECEIVED', [], 'handshake 1/3'],
    [34, 'r', 'S.', 0, 1, 0, 'ESTABLISHED', 'SYN_RECEIVED', [], 'handshake 2/3'],
    [54, 'o', '.', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED', [], 'handshake 3/3'],
    [164, 'o', 'P.', 1, 1, 18, 'ESTABLISHED', 'ESTABLISHED'],
    [172, 'r', '.', 1, 19, 0, 'ESTABLISHED', 'ESTABLISHED'],
    [454, 'r', 'P.', 1, 19, 3019, 'ESTABLISHED', 'ESTABLISHED'],
    [492, 'o', '.', 19, 3020, 0, 'ESTABLISHED', 'ESTABLISHED'],
    [50987, 'o', 'F.', 19, 3020, 0, 'FIN_WAIT_1', 'CLOSE_WAIT', [], 'teardown 1/3'],
    [51183, 'r', 'F.', 3020, 20, 0, 'TIME_WAIT', 'LAST_ACK', [], 'teardown 2/3'],
    [51215, 'o', '.', 20, 3021, 0, 'TIME_WAIT', 'CLOSED', [], 'teardown 3/3'],
  ],
  record: {
    id: 1,
    handshake: 'complete',
    close: 'orig',
    reset: null,
    states: {
      orig: ['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'TIME_WAIT'],
      resp: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'],
    },
    final: { orig: 'TIME_WAIT', resp: 'CLOSED' },
    conn_state: 'SF',
    history: 'ShADadFf',
    packets: { orig: 6, resp: 4 },
    bytes: { orig: 18, resp: 3019 },
    rtt: { handshake: 0.000054 },
  },
});

/** Seed 002's question 3: the third ACK is lost; the server retransmits its SYN+ACK after 1 s. */
export const thirdAckLost = makeTimeline({
  id: 2,
  orig: { ip: '10.0.0.1', port: 40000 },
  resp: { ip: '10.0.0.2', port: 80 },
  initial: { orig: 'CLOSED', resp: 'LISTEN' },
  steps: [
    [0, 'o', 'S', 0, 0, 0, 'SYN_SENT', 'SYN_RECEIVED', [], 'handshake 1/3'],
    [210, 'r', 'S.', 0, 1, 0, 'ESTABLISHED', 'SYN_RECEIVED', [], 'handshake 2/3'],
    [230, 'o', '.', 1, 1, 0, 'ESTABLISHED', 'SYN_RECEIVED', [], 'handshake 3/3', { lost: true }],
    [
      1_000_250,
      'r',
      'S.',
      0,
      1,
      0,
      'ESTABLISHED',
      'SYN_RECEIVED',
      ['synack-retransmission', 'handshake-ack-lost'],
      'handshake 2/3',
    ],
    [1_000_270, 'o', '.', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED', ['dup-ack'], 'handshake 3/3'],
    [1_000_400, 'o', 'P.', 1, 1, 100, 'ESTABLISHED', 'ESTABLISHED'],
    [1_000_600, 'r', '.', 1, 101, 0, 'ESTABLISHED', 'ESTABLISHED'],
    [1_000_700, 'o', 'R.', 101, 1, 0, 'CLOSED', 'CLOSED', [], 'reset'],
  ],
});

/** A bulk download: 40 data segments of 1448 bytes, one lost and retransmitted, then the server closes. */
export const bulk = (() => {
  const steps: Step[] = [
    [0, 'o', 'S', 0, 0, 0, 'SYN_SENT', 'SYN_RECEIVED', [], 'handshake 1/3'],
    [100, 'r', 'S.', 0, 1, 0, 'ESTABLISHED', 'SYN_RECEIVED', [], 'handshake 2/3'],
    [200, 'o', '.', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED', [], 'handshake 3/3'],
    [300, 'o', 'P.', 1, 1, 80, 'ESTABLISHED', 'ESTABLISHED'],
  ];
  let t = 400;
  let seq = 1;
  for (let i = 0; i < 40; i++) {
    const lost = i === 17;
    steps.push([
      t,
      'r',
      '.',
      seq,
      81,
      1448,
      'ESTABLISHED',
      'ESTABLISHED',
      [],
      'data',
      lost ? { lost: true } : {},
    ]);
    t += 50;
    seq += 1448;
    if (i % 2 === 1) {
      const acked = i >= 17 ? 1 + 17 * 1448 : seq;
      steps.push([t, 'o', '.', 81, acked, 0, 'ESTABLISHED', 'ESTABLISHED', i > 17 ? ['dup-ack'] : [], 'ack']);
      t += 50;
    }
  }
  steps.push([
    t,
    'r',
    '.',
    1 + 17 * 1448,
    81,
    1448,
    'ESTABLISHED',
    'ESTABLISHED',
    ['fast-retransmission'],
    'data',
  ]);
  t += 100;
  steps.push([t, 'o', '.', 81, seq, 0, 'ESTABLISHED', 'ESTABLISHED', [], 'ack']);
  t += 100;
  steps.push([t, 'r', 'F.', seq, 81, 0, 'ESTABLISHED', 'FIN_WAIT_1', [], 'teardown 1/4']);
  steps.push([t, 'r', 'F.', seq, 81, 0, 'CLOSE_WAIT', 'FIN_WAIT_1', [], 'teardown 1/4']);
  steps.pop();
  steps[steps.length - 1][6] = 'CLOSE_WAIT';
  steps.push([t + 40, 'o', '.', 81, seq + 1, 0, 'CLOSE_WAIT', 'FIN_WAIT_2', [], 'teardown 2/4']);
  steps.push([t + 90, 'o', 'F.', 81, seq + 1, 0, 'LAST_ACK', 'TIME_WAIT', [], 'teardown 3/4']);
  steps.push([t + 120, 'r', '.', seq + 1, 82, 0, 'CLOSED', 'TIME_WAIT', [], 'teardown 4/4']);
  return makeTimeline({
    id: 3,
    orig: { ip: '192.168.1.10', port: 1035 },
    resp: { ip: '202.108.250.249', port: 80 },
    initial: { orig: 'CLOSED', resp: 'LISTEN' },
    steps,
  });
})();

/** Connection 5 of examples/loopback-lifecycles.pcap: a SYN to a closed port, answered by RST. */
export const refused = makeTimeline({
  id: 5,
  orig: { ip: '127.0.0.1', port: 38940 },
  resp: { ip: '127.0.0.1', port: 8802 },
  isn: { orig: 1466159546, resp: 0 },
  initial: { orig: 'CLOSED', resp: 'CLOSED' },
  steps: [
    [0, 'o', 'S', 0, 0, 0, 'SYN_SENT', 'CLOSED', [], 'handshake 1/3'],
    [13, 'r', 'R.', 0, 1, 0, 'CLOSED', 'CLOSED', [], 'reset', { win: 0 }],
  ],
});
