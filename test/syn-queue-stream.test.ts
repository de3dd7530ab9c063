// `explain` computes the SYN-flood context of a connection from the tracker's stream
// (src/report/syn-queue-stream.ts) instead of keeping every connection's timeline (issue 14: a
// 10^6-SYN flood kept them all, > 1.5 GB). For every connection of the flood captures — the
// kernel's spoofed flood, the lab's flood at the server and mid-path (the client sees only itself), a generated one with resent SYNs, answered
// and refused sources and a second listener — the stream gives what synQueueContext gives over
// all timelines, under default and tight tracking limits (eviction, idle ends).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { labRun } from '../src/lab/lab-report.js';
import { findScenario } from '../src/lab/scenarios/index.js';
import { synQueueContext } from '../src/report/syn-queue-context.js';
import { SynQueueStream } from '../src/report/syn-queue-stream.js';
import type { ConnTimeline } from '../src/report/timeline.js';
import { TimelineCollector } from '../src/report/timeline-from-track.js';
import { DEFAULT_TRACKING, newFlowTable, type TrackingOptions } from '../src/report/tracking.js';
import { buildFrame } from '../src/wire/build.js';
import { forEachDecoded } from '../src/wire/capture-bytes.js';
import { ACK, RST, SYN } from '../src/wire/packet.js';
import { pcapBytes, type TimedFrame } from '../src/wire/pcap-writer.js';
import { FIXTURES } from './helpers/paths.js';

/** Runs the tracker over `bytes` into `onEnd`/`onPacket` (recycling connections, as the CLI does). */
function track(
  bytes: Uint8Array,
  tracking: TrackingOptions,
  sink: { onEnd: Parameters<typeof newFlowTable>[1]; onPacket: Parameters<typeof newFlowTable>[2] },
): void {
  const table = newFlowTable(tracking, sink.onEnd, sink.onPacket, true);
  forEachDecoded(bytes, { reassemble: true, verifyChecksums: false }, (pkt) => table.process(pkt));
  table.finish();
}

function timelines(bytes: Uint8Array, tracking: TrackingOptions): ConnTimeline[] {
  const c = new TimelineCollector();
  track(bytes, tracking, c);
  return c.timelines.sort((a, b) => a.id - b.id);
}

/** A flood on 10.0.0.1:80 from 30 silent sources (some resend), 3 real clients, 2 refused, and one on :443. */
function generatedFlood(): Uint8Array {
  const frames: TimedFrame[] = [];
  let us = 0;
  const at = (spec: Parameters<typeof buildFrame>[0]) => {
    us += 700;
    frames.push({
      tsSec: 1_700_000_000 + Math.floor(us / 1e6),
      tsNsec: (us % 1e6) * 1000,
      data: buildFrame(spec),
    });
  };
  const server = '10.0.0.1';
  for (let i = 0; i < 30; i++) {
    const src = `198.18.0.${i + 1}`;
    at({ src, dst: server, srcPort: 4000 + i, dstPort: 80, flags: SYN, seq: 1000 * i });
    at({
      src: server,
      dst: src,
      srcPort: 80,
      dstPort: 4000 + i,
      flags: SYN | ACK,
      seq: 77 * i,
      ack: 1000 * i + 1,
    });
    if (i % 3 === 0) at({ src, dst: server, srcPort: 4000 + i, dstPort: 80, flags: SYN, seq: 1000 * i });
    if (i % 10 === 5) {
      // A real client in the middle of the flood: SYN resent once, then the handshake completes.
      const c = `10.9.0.${i}`;
      at({ src: c, dst: server, srcPort: 50000 + i, dstPort: 80, flags: SYN, seq: 5 });
      at({ src: c, dst: server, srcPort: 50000 + i, dstPort: 80, flags: SYN, seq: 5 });
      at({ src: server, dst: c, srcPort: 80, dstPort: 50000 + i, flags: SYN | ACK, seq: 9, ack: 6 });
      at({ src: c, dst: server, srcPort: 50000 + i, dstPort: 80, flags: ACK, seq: 6, ack: 10 });
    }
    if (i % 15 === 7) {
      at({ src: `10.8.0.${i}`, dst: server, srcPort: 6000, dstPort: 80, flags: SYN, seq: 1 });
      at({ src: server, dst: `10.8.0.${i}`, srcPort: 80, dstPort: 6000, flags: RST | ACK, seq: 0, ack: 2 });
    }
    if (i % 4 === 1) at({ src, dst: server, srcPort: 7000 + i, dstPort: 443, flags: SYN, seq: 3 });
  }
  return pcapBytes(frames);
}

const labFlood = (tap: 'server' | 'mid') => () => labRun(findScenario('syn-flood')!, { tap }).pcap;

const CAPTURES: [string, () => Uint8Array][] = [
  [
    'kernel syn-flood-spoofed (server)',
    () => new Uint8Array(readFileSync(join(FIXTURES, 'kernel', 'syn-flood-spoofed.server.pcap'))),
  ],
  ['lab syn-flood at the server', labFlood('server')],
  ['lab syn-flood mid-path', labFlood('mid')],
  ['generated flood', generatedFlood],
];

const TIGHT: TrackingOptions = { ...DEFAULT_TRACKING, maxConns: 7, idleSec: 0.004 };

for (const [name, capture] of CAPTURES) {
  test(`${name}: the streamed SYN-flood context of every connection equals synQueueContext over all timelines`, () => {
    const bytes = capture();
    let floods = 0;
    for (const tracking of [DEFAULT_TRACKING, TIGHT]) {
      const all = timelines(bytes, tracking);
      assert.ok(all.length > 5, `${name}: ${all.length} connections`);
      for (const t of all) {
        const want = synQueueContext(all, t);
        const stream = new SynQueueStream(t);
        track(bytes, tracking, stream);
        assert.deepEqual(
          stream.context(),
          want,
          `${name}, connection ${t.id}, --max-conns ${tracking.maxConns}`,
        );
        if (want !== undefined) floods++;
      }
    }
    // The comparison saw floods, not only connections without one.
    assert.ok(floods > 5, `${name}: ${floods} connections with a flood context`);
  });
}
