// SYNs from sources that never answer (PRODUCT.md "How states are inferred": a source that never
// answers any SYN+ACK is not an established peer; `states` keeps it out of ESTABLISHED rows and
// counts its half-open SYN in the SYN-flood analysis whether or not the server answered).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { observeCapture } from '../src/lab/observe.js';
import { buildStatesReport } from '../src/report/socket-table.js';
import { buildFrame } from '../src/wire/build.js';
import { pcapBytes, type TimedFrame } from '../src/wire/pcap-writer.js';
import { FIXTURES } from './helpers/paths.js';

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
