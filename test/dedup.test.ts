// --dedup (issue 3): a segment seen again on another interface within 1 ms (same 4-tuple and
// direction, IP ID, seq, len) is dropped before tracking and counted on stderr; a repeat on the
// same interface (a real retransmission) and a copy after more than 1 ms are kept. `read` takes the
// same tracking options as `conns` (one definition: src/cli/tracking-options.ts).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { captureInterface, SegmentDedup } from '../src/track/dedup.js';
import { buildFrame, type FrameSpec } from '../src/wire/build.js';
import { CaptureReader } from '../src/wire/capture-reader.js';
import { Decoder } from '../src/wire/decode.js';
import { DecodeStatus, Packet } from '../src/wire/packet.js';
import { PcapngWriter } from '../src/wire/pcap-writer.js';
import { CaptureRecord } from '../src/wire/record.js';
import { synack } from './helpers/synack-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const C = '10.1.0.1';
const S = '10.2.0.1';
const base = (fromClient: boolean, ipId: number, flags: string, seq: number, ack: number, payload = 0) =>
  ({
    src: fromClient ? C : S,
    dst: fromClient ? S : C,
    srcPort: fromClient ? 40000 : 80,
    dstPort: fromClient ? 80 : 40000,
    ipId,
    flags,
    seq,
    ack,
    payload,
  }) satisfies FrameSpec;

/**
 * A router captured on its two interfaces (pcapng, if 0 and if 1): every segment on if 0, and
 * again on if 1 50 µs later with TTL 63; one data segment retransmitted (same IP ID: a repeat on
 * if 0 after 200 ms, kept), and one late copy on if 1 2 ms after its original (kept).
 */
function routerCapture(): { bytes: Uint8Array; copies: number; frames: number } {
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter((c) => chunks.push(c));
  w.addInterface({ linktype: 1 });
  w.addInterface({ linktype: 1 });
  const t0 = 1_700_000_000;
  let frames = 0;
  let copies = 0;
  const both = (usec: number, spec: FrameSpec, copyDelay = 50) => {
    w.writePacket(0, t0, usec * 1000, buildFrame(spec));
    w.writePacket(1, t0, (usec + copyDelay) * 1000, buildFrame({ ...spec, ttl: 63 }));
    frames += 2;
    if (copyDelay <= 1000) copies++;
  };
  both(0, base(true, 1, 'S', 1000, 0));
  both(10_000, base(false, 0, 'S.', 5000, 1001));
  both(20_000, base(true, 2, '.', 1001, 5001));
  both(30_000, base(true, 3, 'P.', 1001, 5001, 100));
  // A retransmission on if 0 with the same IP ID 200 ms later: a repeat on one interface, kept.
  w.writePacket(0, t0, 230_000_000, buildFrame(base(true, 3, 'P.', 1001, 5001, 100)));
  frames++;
  both(240_000, base(false, 1, '.', 5001, 1101));
  both(250_000, base(true, 4, 'F.', 1101, 5001), 2000); // a late copy: 2 ms, kept
  both(260_000, base(false, 2, 'F.', 5001, 1102));
  both(270_000, base(true, 5, '.', 1102, 5002));
  w.flush();
  const n = chunks.reduce((s, c) => s + c.length, 0);
  const bytes = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.length;
  }
  return { bytes, copies, frames };
}

test('SegmentDedup: copies on another interface within 1 ms are dropped, nothing else', () => {
  const { bytes, copies, frames } = routerCapture();
  const reader = new CaptureReader();
  reader.push(bytes);
  reader.end();
  const decoder = new Decoder();
  const rec = new CaptureRecord();
  const pkt = new Packet();
  const dedup = new SegmentDedup();
  const kept: number[] = [];
  while (reader.next(rec)) {
    assert.equal(decoder.decode(rec, pkt), DecodeStatus.TCP);
    if (!dedup.isCopy(pkt, captureInterface(pkt, rec.data, 0))) kept.push(rec.frame);
  }
  assert.equal(dedup.dropped, copies);
  assert.equal(kept.length, frames - copies);
  // Frame 9 (the retransmission on if 0) and frame 13 (the late copy) are kept; 2, 4, 6, 8 dropped.
  assert.ok(kept.includes(9));
  assert.ok(kept.includes(13));
  for (const f of [2, 4, 6, 8, 11, 15, 17]) assert.ok(!kept.includes(f), `frame ${f}`);
  // The same two interfaces in different files are different interfaces too.
  assert.notEqual(captureInterface(pkt, rec.data, 0), captureInterface(pkt, rec.data, 1));
});

test('read and conns --dedup: copies are not tracked, the count goes to stderr', (t) => {
  const { bytes, copies, frames } = routerCapture();
  const dir = tempDir('synack-dedup', t);
  const file = join(dir, 'router.pcapng');
  writeFileSync(file, bytes);

  const plain = synack(['read', '--json', file]);
  assert.equal(plain.code, 0, plain.stderr);
  const plainRecs = plain.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { frame: number; tags: string[] });
  assert.equal(plainRecs.length, frames);
  // Without --dedup the copies look like retransmissions (as tshark says).
  assert.ok(plainRecs.find((r) => r.frame === 8)!.tags.some((t) => /retransmission/.test(t)));
  assert.doesNotMatch(plain.stderr, /duplicate/);

  const dd = synack([
    'read',
    '--json',
    '--dedup',
    '--time-wait',
    '1',
    '--idle',
    '30',
    '--max-conns',
    '10',
    file,
  ]);
  assert.equal(dd.code, 0, dd.stderr);
  const recs = dd.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { frame: number; tags: string[] });
  assert.equal(recs.length, frames - copies);
  assert.ok(!recs.some((r) => r.frame === 8));
  assert.match(
    dd.stderr,
    new RegExp(`^synack: ${copies} duplicate segments seen on another interface dropped \\(--dedup\\)$`, 'm'),
  );
  // The data segment retransmitted on the same interface still is a retransmission.
  assert.ok(recs.find((r) => r.frame === 9)!.tags.includes('retransmission'));

  const conns = synack(['conns', '--json', '--dedup', file]);
  assert.equal(conns.code, 0, conns.stderr);
  const c = JSON.parse(conns.stdout.trim()) as { packets: { orig: number; resp: number }; history: string };
  assert.deepEqual(c.packets, { orig: 7, resp: 3 });
  assert.match(conns.stderr, /duplicate segments seen on another interface dropped/);

  // read validates the shared tracking options as conns does.
  assert.equal(synack(['read', '--max-conns', '0', file]).code, 1);
  assert.equal(synack(['read', '--time-wait', '1', '--msl', '2', file]).code, 1);
});
