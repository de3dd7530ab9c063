// SYNs from sources that never answer (PRODUCT.md "How states are inferred": a source that never
// answers any SYN+ACK is not an established peer; `states` keeps it out of ESTABLISHED rows and
// counts its half-open SYN in the SYN-flood analysis whether or not the server answered).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { observeCapture } from '../src/lab/observe.js';
import { buildStatesReport } from '../src/report/socket-table.js';
import { parseTap } from '../src/track/tap.js';
import { buildFrame } from '../src/wire/build.js';
import { pcapBytes, type TimedFrame } from '../src/wire/pcap-writer.js';
import { FIXTURES } from './helpers/paths.js';
import { runTrace, statePairs } from './helpers/trace.js';

test('a spoofed-source SYN flood (real kernel, scapy): the sources are never ESTABLISHED, the flood is reported', () => {
  const obs = observeCapture(readFileSync(join(FIXTURES, 'kernel', 'syn-flood-spoofed.server.pcap')));
  const spoofed = obs.records.filter((r) => r.orig.ip.startsWith('198.18.'));
  assert.equal(spoofed.length, 40);
  for (const r of spoofed) {
    // The server answered and retransmitted its SYN+ACK; the source never said a word more.
    assert.ok(!r.states.orig.includes('ESTABLISHED'), `${r.orig.ip}: ${r.states.orig.join(' ')}`);
    assert.equal(r.final.resp, 'SYN_RECEIVED');
  }
  const report = buildStatesReport(obs.timelines);
  for (const row of report.sockets)
    assert.ok(!(row.host.startsWith('198.18.') && row.state === 'ESTABLISHED'));
  assert.deepEqual(
    report.synflood.map((f) => [f.server, f.port]),
    [['10.88.0.2', 5250]],
  );
  assert.ok(report.synflood[0]!.max_half_open >= 40);
});

test('20 000 SYNs in 20 ms that the server never answers give a synflood entry', () => {
  const frames: TimedFrame[] = [];
  for (let i = 0; i < 20_000; i++) {
    const usec = i; // one per µs: 20 ms
    frames.push({
      tsSec: 1_800_000_000,
      tsNsec: usec * 1000,
      data: buildFrame({
        src: `198.18.${(i >> 8) & 0xff}.${i & 0xff}`,
        dst: '10.0.0.2',
        srcPort: 1024 + (i % 60000),
        dstPort: 80,
        seq: i * 7919,
        flags: 'S',
      }),
    });
  }
  const obs = observeCapture(pcapBytes(frames));
  assert.equal(obs.records.length, 20_000);
  const report = buildStatesReport(obs.timelines);
  assert.deepEqual(report.synflood, [
    { server: '10.0.0.2', port: 80, max_half_open: 20_000, at: 1_800_000_000.019999 },
  ]);
});

test('a SYN+ACK never resent nor answered while the capture runs on: a SYN cookie, the listener stays LISTEN', () => {
  // RFC 4987 §3.6: a listener whose SYN queue is full answers from LISTEN and keeps nothing; a
  // request socket (SYN_RECEIVED) would resend its SYN+ACK when its 1 s RTO runs out (RFC 6298
  // §2.1). Another connection's segment (D) carries the capture's clock past that.
  const flood = (lastAt: number) => [
    '0.0 C>S S seq=100',
    '0.000030 S>C S. seq=500 ack=101',
    `${lastAt} D>S S seq=7000`,
  ];
  const trace = (where: string, lastAt = 2.0) => {
    const r = runTrace(flood(lastAt), { tap: parseTap(where)! });
    return {
      pairs: statePairs(r).slice(0, 2),
      resp: r.records.find((x) => x.orig.port === 40000)!.states.resp,
    };
  };
  // Beside the listener, the missing resend would be on the capture: no state was kept.
  assert.deepEqual(trace('server'), { pairs: ['SYN_SENT/LISTEN', 'UNKNOWN/LISTEN'], resp: ['LISTEN'] });
  // Elsewhere the resends could have been lost before the tap: LISTEN or SYN_RECEIVED.
  for (const where of ['mid', 'client'])
    assert.deepEqual(
      trace(where).pairs.map((p) => p.split('/')[1]),
      ['UNKNOWN', 'UNKNOWN'],
      where,
    );
  // The capture ends before a request socket's resend was due: the usual SYN_RECEIVED.
  assert.deepEqual(trace('server', 1.2).pairs, ['SYN_SENT/SYN_RECEIVED', 'UNKNOWN/SYN_RECEIVED']);
  // A resent SYN+ACK shows the request socket.
  const resent = runTrace(
    [
      '0.0 C>S S seq=100',
      '0.000030 S>C S. seq=500 ack=101',
      '1.0 S>C S. seq=500 ack=101',
      '3.0 D>S S seq=7000',
    ],
    { tap: parseTap('server')! },
  );
  assert.deepEqual(resent.records.find((x) => x.orig.port === 40000)!.states.resp, [
    'LISTEN',
    'SYN_RECEIVED',
  ]);
});
