// The lab's hosts behave like Linux (issue 16): every lab scenario also recorded on a real
// kernel (test/fixtures/kernel, Linux 6.18 in two network namespaces) is compared with that
// recording, at the client's interface, for what the TCP stack decides:
// - the opening per direction: flags, and seq/ack as symbols (the first value a direction uses is
//   x0, the next new one x1…, an ACK names the other direction's symbol), up to the first data or FIN;
// - the closing per direction from the first FIN (or RST) on, the same way;
// - how many times the SYN and the SYN+ACK were retransmitted, and the retransmission intervals
//   (the 1 s initial RTO doubling: 1, 2, 4 s);
// - the delayed-ACK class of the ACK of the first FIN: at once (< 10 ms after it arrived) or
//   delayed (Linux's 40 ms ato).
// The lab runs with --stack linux. Where the named lab scenario's application or path does
// something else than the recording's (drops on arrival, who closes first, data, a forger aiming at
// the other end), the comparison plays the recording's situation in the lab instead (MIRRORS,
// from scripts/kernel-scenarios.py), so a difference can only be the stack's: there is none.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { labRun } from '../src/lab/lab-report.js';
import type { Scenario } from '../src/lab/scenario.js';
import { findScenario } from '../src/lab/scenarios/index.js';
import { ipv4String } from '../src/report/tcpdump.js';
import { forEachDecoded } from '../src/wire/capture-bytes.js';
import { ACK, FIN, PSH, RST, SYN } from '../src/wire/packet.js';
import { FIXTURES } from './helpers/paths.js';

interface Seg {
  /** The sender, `IP:PORT` (a simultaneous open on one port has the same port both ways). */
  from: string;
  /** seconds */
  t: number;
  sp: number;
  dp: number;
  seq: number;
  ack: number;
  len: number;
  flags: number;
}

function segments(bytes: Uint8Array): Seg[] {
  const out: Seg[] = [];
  forEachDecoded(bytes, { reassemble: false, verifyChecksums: false }, (p, _status, rec) => {
    if (p.srcPort === 0 && p.dstPort === 0) return;
    out.push({
      t: rec.tsSec + rec.tsNsec / 1e9,
      from: `${ipv4String(p.src, 0)}:${p.srcPort}`,
      sp: p.srcPort,
      dp: p.dstPort,
      seq: p.seq,
      ack: p.ack,
      len: p.payloadLen,
      flags: p.flags,
    });
  });
  return out;
}

const LETTERS: [number, string][] = [
  [SYN, 'S'],
  [FIN, 'F'],
  [RST, 'R'],
  [PSH, 'P'],
  [ACK, '.'],
];

interface Comparison {
  opening: Record<'c2s' | 's2c', string[]>;
  closing: Record<'c2s' | 's2c', string[]>;
  synRetransmits: number;
  synAckRetransmits: number;
  /** Intervals between successive SYNs / SYN+ACKs, rounded to 0.5 s. */
  synIntervals: number[];
  synAckIntervals: number[];
  /** 'immediate' | 'delayed' | 'merged' (the answer carries the FIN) | 'none' */
  finAck: string;
}

function compare(list: Seg[]): Comparison {
  const firstSyn = list.find((s) => s.flags & SYN && !(s.flags & ACK));
  const client = firstSyn ? firstSyn.from : list[0].from;
  // The closing names its numbers afresh: how much data came before does not matter.
  let names = { c2s: new Map<number, string>(), s2c: new Map<number, string>() };
  const sym = (dir: 'c2s' | 's2c', v: number) => {
    const m = names[dir];
    if (!m.has(v)) m.set(v, `${dir[0]}${m.size}`);
    return m.get(v)!;
  };
  const opening = { c2s: [] as string[], s2c: [] as string[] };
  const closing = { c2s: [] as string[], s2c: [] as string[] };
  let opened = false;
  let closingStarted = false;
  for (const s of list) {
    const dir = s.from === client ? 'c2s' : 's2c';
    const other = dir === 'c2s' ? 's2c' : 'c2s';
    if (!closingStarted && s.flags & (FIN | RST)) {
      names = { c2s: new Map<number, string>(), s2c: new Map<number, string>() };
    }
    let f = '';
    for (const [bit, c] of LETTERS) if (s.flags & bit) f += c;
    const text = `${f} ${sym(dir, s.seq)}${s.len ? '+data' : ''}${s.flags & ACK ? ` ack ${sym(other, s.ack)}` : ''}`;
    if (s.len > 0 || s.flags & (FIN | RST)) opened = true;
    if (s.flags & (FIN | RST)) closingStarted = true;
    if (!opened) opening[dir].push(text);
    if (closingStarted) closing[dir].push(text);
  }
  const syns = list.filter((s) => s.flags & SYN && !(s.flags & ACK));
  const synAcks = list.filter((s) => s.flags & SYN && s.flags & ACK);
  const intervals = (l: Seg[]) => l.slice(1).map((s, i) => Math.round((s.t - l[i].t) * 2) / 2);
  const fin = list.find((s) => s.flags & FIN);
  let finAck = 'none';
  if (fin) {
    const answer = list.find(
      (s) => s.from !== fin.from && s.t >= fin.t && s.flags & ACK && ((s.ack - fin.seq - fin.len) | 0) >= 1,
    );
    if (answer) finAck = answer.flags & FIN ? 'merged' : answer.t - fin.t < 0.01 ? 'immediate' : 'delayed';
  }
  return {
    opening,
    closing,
    synRetransmits: Math.max(0, syns.length - 1),
    synAckRetransmits: Math.max(0, synAcks.length - 1),
    synIntervals: intervals(syns),
    synAckIntervals: intervals(synAcks),
    finAck,
  };
}

/** 20 µs one way: the recordings' veth pair between two namespaces. */
const VETH = 0.02;

/** A listener on port 80 and the client's connect() to it, at 0. */
const OPEN_80: Scenario['timeline'] = [
  { at: 0, do: 'listen', port: 80 },
  { at: 0, do: 'connect', conn: 'c1', port: 80 },
];

/** The exchange most recordings make once connected: a 7-byte request, an 8-byte answer. */
const REQUEST_ANSWER = (at: number): Scenario['timeline'] => [
  { at, do: 'send', conn: 'c1', side: 'client', bytes: 7 },
  { at: at + 0.3, do: 'send', conn: 'c1', side: 'server', bytes: 8 },
];

/**
 * The first `count` segments of a handshake `kind` dropped on arrival, then a request, an answer,
 * the client closing 50 ms later and the server 200 ms after that (scripts/kernel-scenarios.py
 * lost_handshake with simple_exchange_and_close).
 */
function handshakeLoss(name: string, kind: 'SYN' | 'SYN+ACK', dir: 'c2s' | 's2c', count: number): Scenario {
  const start = kind === 'SYN' ? 2 ** count * 1000 - 1000 : 1000;
  return {
    name: `${name} (as recorded)`,
    description: '',
    link: {
      latency: VETH,
      rules: [{ match: kind, dir, nth: 1, count, action: 'drop', where: 'at-receiver' }],
    },
    timeline: [
      ...OPEN_80,
      ...REQUEST_ANSWER(start + 12),
      { at: start + 62, do: 'close', conn: 'c1', side: 'client' },
      { at: start + 262, do: 'close', conn: 'c1', side: 'server' },
    ],
  };
}

/** scripts/kernel-scenarios.py simultaneous_open: `count` SYNs of each end dropped on arrival. */
function simultaneousOpen(name: string, count: number): Scenario {
  const start = 2 ** count * 1000 - 1000;
  return {
    name: `${name} (as recorded)`,
    description: '',
    link: {
      latency: VETH,
      rules: (['c2s', 's2c'] as const).map((dir) => ({
        match: 'SYN' as const,
        dir,
        nth: 1,
        count,
        action: 'drop' as const,
        where: 'at-receiver' as const,
      })),
    },
    timeline: [
      { at: 0, do: 'connect', conn: 'c1', port: 5100, localPort: 5100 },
      { at: 0, do: 'connect', conn: 'c1-peer', port: 5100, localPort: 5100, side: 'server' },
      { at: start + 11, do: 'send', conn: 'c1', side: 'client', bytes: 5 },
      { at: start + 11.1, do: 'send', conn: 'c1', side: 'server', bytes: 5 },
      { at: start + 61, do: 'close', conn: 'c1', side: 'client' },
      { at: start + 261, do: 'close', conn: 'c1', side: 'server' },
    ],
  };
}

/**
 * Where a lab scenario does something else than the recording's application and path, the same
 * situation as the recording plays it (scripts/kernel-scenarios.py), so that what differs is the
 * TCP stack's doing alone.
 */
const MIRRORS: Record<string, Scenario> = {
  // The first SYN is dropped on arrival (the client's tap still sees it); the retransmission meets
  // a closed port.
  'rst-refused': {
    name: 'rst-refused (as recorded)',
    description: '',
    link: { latency: VETH, rules: [{ match: 'SYN', dir: 'c2s', nth: 1, action: 'drop' }] },
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      { at: 0, do: 'connect', conn: 'c1', port: 81 },
    ],
  },
  // The third ACK is dropped; the server's banner waits for its SYN+ACK retransmission to be
  // ACKed; a 4-byte reply; the server closes first, 50 ms later; the client 200 ms after that.
  'lost-ack-server-first': {
    name: 'lost-ack-server-first (as recorded)',
    description: '',
    link: { latency: VETH, rules: [{ match: 'ACK', dir: 'c2s', nth: 1, action: 'drop' }] },
    timeline: [
      { at: 0, do: 'listen', port: 25 },
      { at: 0, do: 'connect', conn: 'c1', port: 25 },
      { at: 10, do: 'send', conn: 'c1', side: 'server', bytes: 10 },
      { at: 1027, do: 'send', conn: 'c1', side: 'client', bytes: 4 },
      { at: 1079, do: 'close', conn: 'c1', side: 'server' },
      { at: 1280, do: 'close', conn: 'c1', side: 'client' },
    ],
  },
  // Each side's first FIN is dropped on arrival: the FINs retransmitted by the RTO cross.
  'simultaneous-close': {
    name: 'simultaneous-close (as recorded)',
    description: '',
    link: {
      latency: VETH,
      rules: [
        { match: 'FIN', dir: 'c2s', nth: 1, action: 'drop', where: 'at-receiver' },
        { match: 'FIN', dir: 's2c', nth: 1, action: 'drop', where: 'at-receiver' },
      ],
    },
    timeline: [
      ...OPEN_80,
      ...REQUEST_ANSWER(0.5),
      { at: 365, do: 'close', conn: 'c1', side: 'client' },
      { at: 385, do: 'close', conn: 'c1', side: 'server' },
    ],
  },
  // An answer, the forged RST towards the client, more data each way, the client closes.
  ...Object.fromEntries(
    (
      [
        ['forged-rst-in-window', 1000],
        ['forged-rst-out-of-window', 10_000_000],
      ] as const
    ).map(([name, plus]) => [
      name,
      {
        name: `${name} (as recorded)`,
        description: '',
        link: { latency: VETH },
        timeline: [
          ...OPEN_80,
          { at: 300, do: 'send', conn: 'c1', side: 'server', bytes: 5 },
          {
            at: 365,
            do: 'inject',
            conn: 'c1',
            from: 'server',
            flags: 'R',
            seq: { side: 'client', field: 'rcvNxt', plus },
          },
          { at: 470, do: 'send', conn: 'c1', side: 'server', bytes: 6 },
          { at: 578, do: 'send', conn: 'c1', side: 'client', bytes: 3 },
          { at: 579, do: 'close', conn: 'c1', side: 'client' },
          { at: 780, do: 'close', conn: 'c1', side: 'server' },
        ],
      } satisfies Scenario,
    ]),
  ),
  // The first SYN+ACK is dropped on arrival at the client (its tap sees it); a request and an
  // answer; the client closes 50 ms later, the server 200 ms after that.
  'lost-synack': {
    name: 'lost-synack (as recorded)',
    description: '',
    link: {
      latency: VETH,
      rules: [{ match: 'SYN+ACK', dir: 's2c', nth: 1, action: 'drop', where: 'at-receiver' }],
    },
    timeline: [
      ...OPEN_80,
      ...REQUEST_ANSWER(1019.6),
      { at: 1070, do: 'close', conn: 'c1', side: 'client' },
      { at: 1277, do: 'close', conn: 'c1', side: 'server' },
    ],
  },
  // Both ends bind one port and connect to each other; each one's first SYN (or first two) is
  // dropped on arrival, the next ones cross; 5 bytes each way; the client closes, the server
  // 200 ms later.
  'simultaneous-open': simultaneousOpen('simultaneous-open', 1),
  'simultaneous-open-lost-syns': simultaneousOpen('simultaneous-open-lost-syns', 2),
  // The first three SYNs dropped on arrival at the server: SYNs at 0, 1, 3 and 7 s.
  'syn-lost-3x': handshakeLoss('syn-lost-3x', 'SYN', 'c2s', 3),
  // The first two SYN+ACKs dropped on arrival at the client.
  'synack-lost-2x': handshakeLoss('synack-lost-2x', 'SYN+ACK', 's2c', 2),
  // An idle connection after a request, keep-alive after 1 s idle, every 1 s; closed at 3.5 s.
  keepalive: {
    name: 'keepalive (as recorded)',
    description: '',
    link: { latency: VETH },
    client: { tcp: { keepalive: true, keepaliveIdleUs: 1_000_000, keepaliveIntervalUs: 1_000_000 } },
    timeline: [
      ...OPEN_80,
      { at: 1, do: 'send', conn: 'c1', side: 'client', bytes: 7 },
      { at: 3501, do: 'close', conn: 'c1', side: 'client' },
      { at: 3706, do: 'close', conn: 'c1', side: 'server' },
    ],
  },
  // A request and the half-close at once; the server answers in three writes 50 ms apart, then closes.
  'half-close': {
    name: 'half-close (as recorded)',
    description: '',
    link: { latency: VETH },
    timeline: [
      ...OPEN_80,
      { at: 0.3, do: 'send', conn: 'c1', side: 'client', bytes: 7 },
      { at: 0.5, do: 'shutdown', conn: 'c1', side: 'client' },
      { at: 13, do: 'send', conn: 'c1', side: 'server', bytes: 6 },
      { at: 63, do: 'send', conn: 'c1', side: 'server', bytes: 6 },
      { at: 114, do: 'send', conn: 'c1', side: 'server', bytes: 6 },
      { at: 165, do: 'close', conn: 'c1', side: 'server' },
      { at: 200, do: 'close', conn: 'c1', side: 'client' },
    ],
  },
  // Two connections from the same client port, each a request and an answer, the server closing
  // first; the second SYN meets the server's TIME_WAIT 472 ms after the first.
  // The exact forged RST towards the client (CLOSED at once); the server's next data draws the
  // client's RST (RFC 9293 §3.10.7.1: no connection).
  'forged-rst-exact': {
    name: 'forged-rst-exact (as recorded)',
    description: '',
    link: { latency: VETH },
    timeline: [
      ...OPEN_80,
      { at: 304.5, do: 'send', conn: 'c1', side: 'server', bytes: 5 },
      {
        at: 361.8,
        do: 'inject',
        conn: 'c1',
        from: 'server',
        flags: 'R',
        seq: { side: 'client', field: 'rcvNxt' },
      },
      { at: 481, do: 'send', conn: 'c1', side: 'server', bytes: 6 },
    ],
  },
  // An 11-byte request the server never reads; the server closes 50 ms later: RST, not FIN (RFC 2525 §2.17).
  'rst-unread-data': {
    name: 'rst-unread-data (as recorded)',
    description: '',
    link: { latency: VETH },
    server: { autoRead: false },
    timeline: [
      ...OPEN_80,
      { at: 0.7, do: 'send', conn: 'c1', side: 'client', bytes: 11 },
      { at: 51, do: 'close', conn: 'c1', side: 'server' },
    ],
  },
  // A 7-byte request and the half-close; the server reads it, then aborts from CLOSE_WAIT (SO_LINGER 0).
  'rst-close-wait': {
    name: 'rst-close-wait (as recorded)',
    description: '',
    link: { latency: VETH },
    timeline: [
      ...OPEN_80,
      { at: 2.4, do: 'send', conn: 'c1', side: 'client', bytes: 7 },
      { at: 2.45, do: 'shutdown', conn: 'c1', side: 'client' },
      { at: 2.5, do: 'read', conn: 'c1', side: 'server' },
      { at: 106, do: 'abort', conn: 'c1', side: 'server' },
    ],
  },
  // A request and an answer; both ends close at once, the client's FIN dropped on arrival at the
  // server: the server's FIN crosses it, the client's retransmitted FIN ends it.
  'crossing-fins-retransmitted': {
    name: 'crossing-fins-retransmitted (as recorded)',
    description: '',
    link: {
      latency: VETH,
      rules: [{ match: 'FIN', dir: 'c2s', nth: 1, action: 'drop', where: 'at-receiver' }],
    },
    timeline: [
      ...OPEN_80,
      ...REQUEST_ANSWER(0.5),
      { at: 87, do: 'shutdown', conn: 'c1', side: 'client' },
      { at: 87.1, do: 'shutdown', conn: 'c1', side: 'server' },
    ],
  },
  // The handshake ACK dropped by the client's own output rule, before any tap; its 7-byte request
  // 122 ms later carries that ACK; an 8-byte answer; the client closes 52 ms later, the server 228 ms after that.
  'lost-ack-unseen-client-data': {
    name: 'lost-ack-unseen-client-data (as recorded)',
    description: '',
    link: {
      latency: VETH,
      rules: [{ match: 'ACK', dir: 'c2s', nth: 1, action: 'drop', where: 'at-sender' }],
    },
    timeline: [
      ...OPEN_80,
      { at: 122.3, do: 'send', conn: 'c1', side: 'client', bytes: 7 },
      { at: 129.2, do: 'send', conn: 'c1', side: 'server', bytes: 8 },
      { at: 181.1, do: 'close', conn: 'c1', side: 'client' },
      { at: 409.3, do: 'close', conn: 'c1', side: 'server' },
    ],
  },
  'time-wait-reuse': {
    name: 'time-wait-reuse (as recorded)',
    description: '',
    link: { latency: VETH },
    timeline: [
      { at: 0, do: 'listen', port: 80 },
      ...[0, 472].flatMap((t0, k): Scenario['timeline'] => [
        { at: t0, do: 'connect', conn: `c${k + 1}`, port: 80, localPort: 40000 },
        { at: t0 + 0.7, do: 'send', conn: `c${k + 1}`, side: 'client', bytes: 7 },
        { at: t0 + 0.75, do: 'send', conn: `c${k + 1}`, side: 'server', bytes: 8 },
        { at: t0 + 51, do: 'close', conn: `c${k + 1}`, side: 'server' },
        { at: t0 + 151, do: 'close', conn: `c${k + 1}`, side: 'client' },
      ]),
    ],
  },
};

/** Kernel recording → the lab scenario of the same situation. */
const PAIRS: Record<string, string> = {
  'normal-client-close': 'client-close',
  'normal-server-close': 'server-close',
  'merged-fin-ack': 'merged-fin-ack',
  'half-close': 'half-close',
  'lost-syn': 'syn-lost',
  'lost-synack': 'synack-lost',
  'lost-ack-client-silent': 'third-ack-lost-silent',
  'lost-ack-client-data': 'third-ack-lost-data',
  'lost-ack-server-first': 'third-ack-lost-server-first',
  'simultaneous-open': 'simultaneous-open',
  'simultaneous-close': 'simultaneous-close',
  'rst-refused': 'refused',
  'rst-established': 'client-abort',
  'forged-rst-in-window': 'forged-rst-in-window',
  'forged-rst-out-of-window': 'forged-rst-out-of-window',
  'time-wait-reuse': 'time-wait-port-reuse',
  keepalive: 'keepalive',
  'zero-window': 'zero-window',
  // Recordings no named scenario plays: compared with their mirrors alone.
  'syn-lost-3x': '',
  'synack-lost-2x': '',
  'simultaneous-open-lost-syns': '',
  'forged-rst-exact': '',
  'rst-unread-data': '',
  'rst-close-wait': '',
  'crossing-fins-retransmitted': '',
  'lost-ack-unseen-client-data': '',
};

/**
 * Kernel recordings the comparison above does not play, each with the reason (issue 16: "differences
 * listed"); accept-queue-full has its own comparison below.
 */
const NOT_COMPARED: Record<string, string> = {
  'syn-flood-spoofed':
    "40 spoofed sources (scapy, from the client's namespace) and one real client: the per-direction symbols follow one connection. Its SYN+ACKs (one per request socket, resent 1 s later) are compared with the lab's syn-flood in test/lab-teaching.test.ts.",
  'accept-queue-full': 'compared per connection in its own describe below',
};

test('every kernel recording is compared with the lab, or the reason it is not is written down', () => {
  const recorded = readdirSync(join(FIXTURES, 'kernel'))
    .filter((f) => f.endsWith('.client.pcap'))
    .map((f) => f.replace('.client.pcap', ''));
  assert.ok(recorded.length >= 28, `${recorded.length}`);
  assert.deepEqual(
    recorded.filter((k) => !(k in PAIRS) && !(k in NOT_COMPARED)),
    [],
  );
});

describe('lab (--stack linux) vs Linux 6.18 recordings', () => {
  for (const [kernel, scenario] of Object.entries(PAIRS)) {
    const mirror = MIRRORS[kernel];
    test(`${kernel} ~ lab ${mirror?.name ?? scenario}`, () => {
      const k = compare(segments(readFileSync(join(FIXTURES, 'kernel', `${kernel}.client.pcap`))));
      const found = mirror ?? findScenario(scenario);
      assert.ok(found, scenario);
      const lab = compare(segments(labRun(found, { tap: 'client', stack: 'linux' }).pcap));
      for (const f of Object.keys(k) as (keyof Comparison)[])
        assert.deepEqual(lab[f], k[f], `${kernel} vs ${found.name}: ${f}`);
    });
  }
});

/**
 * accept-queue-full (a listener with backlog 2 that never accepts, Linux 6.18): per connection, in
 * the order of their SYNs, within the recording's span — how many SYNs and SYN+ACKs each had
 * and their intervals, and whether the server ever acknowledged the client's data. The lab plays
 * the recording's situation (scripts/kernel-scenarios.py accept_queue_full): A and B fill the
 * queue to 2, C's handshake ACK dropped on arrival, D completes (3 > backlog 2: full), C's 7-byte
 * request, then E. The one difference, left: the RTO of C's unanswered data after the first
 * retransmission (Linux 0.6 s there, the lab 0.4 s: a SYN+ACK retransmission arrives in between).
 */
describe('lab (--stack linux) vs Linux 6.18: a full accept queue', () => {
  const perConnection = (list: Seg[], span: number) => {
    const t0 = list[0].t;
    const server = list[0].dp;
    const inSpan = list.filter((s) => s.t - t0 <= span);
    const ports = [...new Set(inSpan.filter((s) => s.flags & SYN && !(s.flags & ACK)).map((s) => s.sp))];
    const intervals = (l: Seg[]) => l.slice(1).map((s, i) => Math.round((s.t - l[i].t) * 2) / 2);
    return ports.map((port) => {
      const mine = inSpan.filter((s) => s.sp === port || s.dp === port);
      const fromClient = mine.filter((s) => s.dp === server);
      const fromServer = mine.filter((s) => s.sp === server);
      const syn = fromClient.find((s) => s.flags & SYN)!;
      const data = fromClient.filter((s) => s.len > 0);
      return {
        syns: intervals(fromClient.filter((s) => s.flags & SYN)),
        synAcks: intervals(fromServer.filter((s) => s.flags & SYN)),
        answered: fromServer.length > 0,
        dataSent: data.length > 0,
        dataAcked: fromServer.some((s) => ((s.ack - syn.seq - 1) | 0) > 0),
        reAcks: fromClient.filter((s) => s.len === 0 && !(s.flags & SYN) && s.flags & ACK).length,
      };
    });
  };
  const mirror: Scenario = {
    name: 'accept-queue-full (as recorded)',
    description: '',
    link: {
      latency: VETH,
      rules: [{ match: 'ACK', dir: 'c2s', nth: 3, action: 'drop', where: 'at-receiver' }],
    },
    timeline: [
      { at: 0, do: 'listen', port: 80, backlog: 2, accept: false },
      { at: 0, do: 'connect', conn: 'A', port: 80 },
      { at: 0.35, do: 'connect', conn: 'B', port: 80 },
      { at: 60.85, do: 'connect', conn: 'C', port: 80 },
      { at: 136.9, do: 'connect', conn: 'D', port: 80 },
      { at: 187.15, do: 'send', conn: 'C', side: 'client', bytes: 7 },
      { at: 287.65, do: 'connect', conn: 'E', port: 80 },
    ],
  };
  test('C waits in SYN_RECEIVED resending its SYN+ACK (1, 2 s), E is never answered (SYNs 1, 2 s apart), as Linux', () => {
    const span = 3.8;
    const k = perConnection(
      segments(readFileSync(join(FIXTURES, 'kernel', 'accept-queue-full.client.pcap'))),
      span,
    );
    const lab = perConnection(segments(labRun(mirror, { tap: 'client', stack: 'linux' }).pcap), span);
    assert.equal(k.length, 5);
    assert.deepEqual(
      k.map((c) => c.syns),
      [[], [], [], [], [1, 2]],
    );
    assert.deepEqual(k[2].synAcks, [1, 2]);
    assert.deepEqual(
      lab.map(({ syns, synAcks, answered, dataSent, dataAcked }) => ({
        syns,
        synAcks,
        answered,
        dataSent,
        dataAcked,
      })),
      k.map(({ syns, synAcks, answered, dataSent, dataAcked }) => ({
        syns,
        synAcks,
        answered,
        dataSent,
        dataAcked,
      })),
    );
    // C's client answers every SYN+ACK with an ACK again (its handshake ACK, then two re-ACKs).
    assert.equal(lab[2].reAcks, k[2].reAcks);
  });
});

/**
 * Recordings of the scenarios issue 16 added this session, kept apart from test/fixtures/kernel
 * (the inference's scored set) in test/fixtures/kernel-lab (scripts/kernel-scenarios.py
 * accept_queue_abort, tcp_fast_open; Linux 6.18): each connection of the recording against the same
 * connection of the lab playing its situation, with compare() above.
 */
describe('lab (--stack linux) vs Linux 6.18: tcp_abort_on_overflow and TCP Fast Open', () => {
  const KL = join(FIXTURES, 'kernel-lab');
  /** compare() per connection, connections in the order of their first SYN. */
  const perConnection = (list: Seg[]): Comparison[] => {
    const server = list[0].dp;
    const ports = [...new Set(list.filter((s) => s.flags & SYN && !(s.flags & ACK)).map((s) => s.sp))];
    return ports.map((p) =>
      compare(list.filter((s) => (s.sp === p || s.dp === p) && (s.sp === server || s.dp === server))),
    );
  };
  const REQUEST = 'GET / HTTP/1.1\r\nHost: lab\r\n\r\n';
  const mirrors: Record<string, Scenario> = {
    // A queued; C's handshake ACK dropped on arrival, B fills the queue (backlog 1); C's request.
    'accept-queue-abort': {
      name: 'accept-queue-abort (as recorded)',
      description: '',
      server: { abortOnOverflow: 1 },
      link: {
        latency: VETH,
        rules: [{ match: 'ACK', dir: 'c2s', nth: 2, action: 'drop', where: 'at-receiver' }],
      },
      timeline: [
        { at: 0, do: 'listen', port: 80, backlog: 1, accept: false },
        { at: 0, do: 'connect', conn: 'A', port: 80 },
        { at: 179.6, do: 'connect', conn: 'C', port: 80 },
        { at: 252.9, do: 'connect', conn: 'B', port: 80 },
        { at: 304.3, do: 'send', conn: 'C', side: 'client', bytes: 7 },
      ],
    },
    // Two connections, each a 29-byte request by sendto(MSG_FASTOPEN), a 512-byte answer, the
    // client closing 50 ms after it, the server 200 ms after that.
    'tcp-fast-open': {
      name: 'tcp-fast-open (as recorded)',
      description: '',
      link: { latency: VETH },
      timeline: [
        { at: 0, do: 'listen', port: 80, fastOpen: true },
        ...[0, 551].flatMap((t0, k): Scenario['timeline'] => [
          { at: t0, do: 'connect', conn: `c${k + 1}`, port: 80, fastOpenData: REQUEST },
          { at: t0 + 0.18, do: 'send', conn: `c${k + 1}`, side: 'server', bytes: 512 },
          { at: t0 + 50.4, do: 'close', conn: `c${k + 1}`, side: 'client' },
          { at: t0 + 250.8, do: 'close', conn: `c${k + 1}`, side: 'server' },
        ]),
      ],
    },
  };
  /**
   * The differences left, each with its reason. The second Fast Open connection's server ACKed
   * the client's FIN 3.4 ms after it, neither at once nor after Linux's 40 ms delayed-ACK timeout
   * (the first connection of the same recording: 42 ms, as the lab); most likely the server
   * application's blocking read returning at end of file sent the pending ACK (tcp_cleanup_rbuf),
   * which depends on when the application's thread ran, not on a rule of the stack.
   */
  const DIFFERENCES: Record<string, string> = { 'tcp-fast-open connection 2 finAck': 'delayed vs immediate' };
  for (const [name, mirror] of Object.entries(mirrors)) {
    test(`${name}: every connection as Linux opens and closes it`, () => {
      const k = perConnection(segments(readFileSync(join(KL, `${name}.client.pcap`))));
      const lab = perConnection(segments(labRun(mirror, { tap: 'client', stack: 'linux' }).pcap));
      assert.equal(lab.length, k.length);
      k.forEach((kc, i) => {
        for (const f of Object.keys(kc) as (keyof Comparison)[]) {
          const where = `${name} connection ${i + 1} ${f}`;
          if (DIFFERENCES[where])
            assert.notDeepEqual(lab[i][f], kc[f], `${where} now agrees: drop it from DIFFERENCES`);
          else assert.deepEqual(lab[i][f], kc[f], where);
        }
      });
    });
  }
});
