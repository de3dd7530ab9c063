// The host view (src/report/socket-table.ts over src/track/host-states.ts): each host's socket
// table at chosen times, TIME_WAIT reuse, port exhaustion, SYN floods, per-state counts over time.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStatesReport, renderStatesText, renderTimelineText } from '../src/report/socket-table.js';
import type { ConnTimeline } from '../src/report/timeline.js';
import { socketIntervals, stateTimeline } from '../src/track/host-states.js';
import { clientClose, makeTimeline, refused } from './helpers/timelines.js';

const T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z in µs

/** A short request: handshake, client closes, server's merged FIN+ACK, client left in TIME_WAIT. */
function shortConn(id: number, clientPort: number, startUs: number, client = '10.0.0.1'): ConnTimeline {
  return makeTimeline({
    id,
    orig: { ip: client, port: clientPort },
    resp: { ip: '10.0.0.2', port: 80 },
    startUs,
    initial: { orig: 'CLOSED', resp: 'LISTEN' },
    steps: [
      [0, 'o', 'S', 0, 0, 0, 'SYN_SENT', 'SYN_RECEIVED', [], 'handshake 1/3'],
      [100, 'r', 'S.', 0, 1, 0, 'ESTABLISHED', 'SYN_RECEIVED', [], 'handshake 2/3'],
      [200, 'o', '.', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED', [], 'handshake 3/3'],
      [300, 'o', 'F.', 1, 1, 0, 'FIN_WAIT_1', 'CLOSE_WAIT', [], 'teardown 1/3'],
      [400, 'r', 'F.', 1, 2, 0, 'TIME_WAIT', 'LAST_ACK', [], 'teardown 2/3'],
      [500, 'o', '.', 2, 2, 0, 'TIME_WAIT', 'CLOSED', [], 'teardown 3/3'],
    ],
  });
}

test('the socket table at chosen times: each host sees its own side', () => {
  const start = clientClose.packets[0].timeUs;
  const conns = [clientClose, refused];
  // Mid-connection (after the 3rd packet): both ESTABLISHED, plus the server's listener.
  const mid = buildStatesReport(conns, { atUs: start + 100 });
  assert.deepEqual(mid.hosts, { '127.0.0.1': { ESTABLISHED: 2, LISTEN: 1 } });
  const states = mid.sockets.map((s) => `${s.local.port}->${s.remote.port} ${s.state} ${s.conn}`);
  assert.deepEqual(states, ['8801->0 LISTEN null', '8801->35098 ESTABLISHED 1', '35098->8801 ESTABLISHED 1']);
  // Between the FIN and the merged FIN+ACK: client FIN_WAIT_1, server CLOSE_WAIT.
  const fin = buildStatesReport(conns, { atUs: clientClose.packets[7].timeUs });
  assert.deepEqual(
    fin.sockets.filter((s) => s.conn === 1).map((s) => s.state),
    ['CLOSE_WAIT', 'FIN_WAIT_1'],
  );
  // At the end of the capture: the client's TIME_WAIT, the server's socket gone; the refused one left nothing.
  const end = buildStatesReport(conns);
  assert.equal(end.at, clientClose.packets[9].timeUs / 1e6);
  assert.deepEqual(
    end.sockets.map((s) => `${s.local.port} ${s.state}`),
    ['8801 LISTEN', '35098 TIME_WAIT'],
  );
  assert.equal(end.sockets[1].since, clientClose.packets[8].timeUs / 1e6);
  // TIME_WAIT runs out after --time-wait.
  const later = buildStatesReport(conns, { atUs: clientClose.packets[8].timeUs + 60_000_000 });
  assert.deepEqual(
    later.sockets.map((s) => s.state),
    ['LISTEN'],
  );
  const shortTw = buildStatesReport(conns, {
    atUs: clientClose.packets[8].timeUs + 2_000_000,
    timeWaitUs: 1_000_000,
  });
  assert.deepEqual(
    shortTw.sockets.map((s) => s.state),
    ['LISTEN'],
  );
  const text = renderStatesText(end, start).join('\n');
  assert.match(text, /\n {2}127\.0\.0\.1:35098 +127\.0\.0\.1:8801 +TIME_WAIT +1 +\+0\.051183\n/);
  assert.match(text, /\n {2}127\.0\.0\.1:8801 +0\.0\.0\.0:\* +LISTEN +- +\+0\.000000\n/);
  assert.ok(text.includes('Too few connections'), text);
});

test('a new connection on the same 4-tuple ends the old TIME_WAIT', () => {
  const a = shortConn(1, 40000, T0);
  const b = shortConn(2, 40000, T0 + 5_000_000);
  const ivs = socketIntervals([a, b]);
  const tw = ivs.filter((i) => i.state === 'TIME_WAIT' && i.side === 'orig');
  assert.equal(tw.length, 2);
  assert.equal(tw[0].toUs, T0 + 5_000_000);
});

test('port exhaustion: 100 ports used up in a second, then the client stops', () => {
  const conns: ConnTimeline[] = [];
  for (let i = 0; i < 100; i++) conns.push(shortConn(i + 1, 40000 + i, T0 + i * 10_000));
  // A late packet elsewhere keeps the capture running 3 s after the last SYN.
  conns.push(shortConn(101, 50000, T0 + 4_000_000, '10.0.0.9'));
  const r = buildStatesReport(conns);
  const tw = r.timewait.find((t) => t.client === '10.0.0.1');
  assert.ok(tw);
  assert.equal(tw.max_time_wait, 100);
  assert.deepEqual(tw.ports, { low: 40000, high: 40099 });
  assert.equal(tw.rate, 100);
  assert.equal(tw.sustainable_rate, 1.667);
  assert.equal(tw.exhausted, true);
  assert.ok(tw.advice.en.includes('tcp_tw_reuse') && tw.advice.zh.includes('连接池'));
  assert.equal(r.hosts['10.0.0.1'].TIME_WAIT, 100);
  // A client whose ports spread over Linux's whole range, one connection a second: no exhaustion.
  const calm: ConnTimeline[] = [];
  for (let i = 0; i < 12; i++) calm.push(shortConn(i + 1, 32768 + ((i * 2351) % 28000), T0 + i * 1_000_000));
  const c = buildStatesReport(calm).timewait[0];
  assert.equal(c.exhausted, false);
  assert.equal(c.rate, 1);
  assert.ok(c.sustainable_rate > 400);
});

test('SYN flood: half-open connections per listener', () => {
  const conns: ConnTimeline[] = [];
  for (let i = 0; i < 30; i++) {
    conns.push(
      makeTimeline({
        id: i + 1,
        orig: { ip: `198.51.100.${i + 1}`, port: 1024 + i },
        resp: { ip: '10.0.0.2', port: 443 },
        startUs: T0 + i * 1000,
        initial: { orig: 'CLOSED', resp: 'LISTEN' },
        steps: [
          [0, 'o', 'S', 0, 0, 0, 'SYN_SENT', 'SYN_RECEIVED', [], 'handshake 1/3'],
          [50, 'r', 'S.', 0, 1, 0, 'SYN_SENT', 'SYN_RECEIVED', [], 'handshake 2/3'],
        ],
      }),
    );
  }
  const r = buildStatesReport(conns);
  assert.deepEqual(r.synflood, [
    { server: '10.0.0.2', port: 443, max_half_open: 30, at: (T0 + 29_000) / 1e6 },
  ]);
  assert.equal(r.hosts['10.0.0.2'].SYN_RECEIVED, 30);
  assert.deepEqual(buildStatesReport(conns.slice(0, 3)).synflood, []);
});

test('per-state counts over time', () => {
  const conns = [shortConn(1, 40000, T0), shortConn(2, 40001, T0 + 1_000_000)];
  const tl = stateTimeline(socketIntervals(conns), T0, T0 + 1_000_500, 3);
  assert.deepEqual(tl.hosts['10.0.0.1'].TIME_WAIT, [0, 1, 2]);
  assert.deepEqual(tl.hosts['10.0.0.1'].SYN_SENT, [1, 0, 0]);
  const text = renderTimelineText(tl, T0).join('\n');
  assert.ok(text.includes('TIME_WAIT    ▄█ max 2') || text.includes('TIME_WAIT     ▄█ max 2'), text);
});
