// What `conns --threads N` sends between threads: decoded packets as binary records
// (src/wire/packet-codec.ts) and connection records as numbers and strings (src/cli/conns-records.ts).
// Every field survives the round trip, on every real capture of the fixtures and the corpus.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RecordWriter, readRecords } from '../src/cli/conns-records.js';
import { runOneTable } from '../src/cli/conns-shards.js';
import { decodeFiles } from '../src/cli/decode-files.js';
import { DEFAULT_TRACKING } from '../src/report/tracking.js';
import type { ConnRecord } from '../src/track/record.js';
import { DecodeStatus, Packet } from '../src/wire/packet.js';
import {
  encodePacket,
  ipv4LengthField,
  PACKET_RECORD_BYTES,
  PacketDecoder,
} from '../src/wire/packet-codec.js';
import { capturesUnder } from './helpers/captures.js';
import { fragmentedCapture } from './helpers/fragmented-capture.js';
import { CORPUS, FIXTURES } from './helpers/paths.js';

/** Packet fields the record carries as they are. */
const CARRIED = [
  'frame',
  'tsSec',
  'tsNsec',
  // Derived from the two above on both sides (not stored in the record).
  'tsUsec',
  'linktype',
  'iface',
  'caplen',
  'origLen',
  'status',
  'beyondTcpdump',
  'ipVersion',
  'ttl',
  'ipId',
  'df',
  'tos',
  'flowLabel',
  'ipTotalLen',
  'reassembled',
  'srcPort',
  'dstPort',
  'seq',
  'ack',
  'headerLen',
  'flags',
  'window',
  'checksum',
  'urgent',
  'payloadLen',
  'truncated',
  'checksumStatus',
  'tcpCaptured',
  'mss',
  'wscale',
  'sackPermitted',
  'hasTimestamp',
  'tsVal',
  'tsEcr',
  'sackCount',
  'tfoCookieLen',
  'mptcp',
  'unknownOptions',
  'optionsMalformed',
] as const;
/** Carried in part: the bytes in use (src, dst, sackBlocks) or the one thing read of the frame. */
const PARTLY = ['src', 'dst', 'sackBlocks', 'tcpBuf', 'layerCount', 'layerKind', 'layerOffset'];
/** Views of other fields' bytes (src32, dst32 over src, dst): carried with them. */
const VIEWS = ['src32', 'dst32'];
/** Not carried (no tracker reads them): the frame's text for malformed options, the byte offsets. */
const NOT_CARRIED = [
  'error',
  'errorOffset',
  'reassemblyLayer',
  'tcpOffset',
  'frameOffset',
  'tsRawFrac',
  'tsFracNano',
];

const tmp = mkdtempSync(join(tmpdir(), 'synack-codec-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const fragmented = join(tmp, 'fragmented.pcap');
writeFileSync(fragmented, fragmentedCapture());

const captures = [fragmented, ...capturesUnder(FIXTURES), ...capturesUnder(CORPUS)];

test('every Packet field is either carried by the packet record or listed as not carried', () => {
  const keys = Object.keys(new Packet()).sort();
  assert.deepEqual(keys, [...CARRIED, ...PARTLY, ...VIEWS, ...NOT_CARRIED].sort());
});

test('packet records: every TCP segment of every capture decodes back to the same fields', async () => {
  const view = new DataView(new ArrayBuffer(PACKET_RECORD_BYTES + 8));
  const decoder = new PacketDecoder();
  let segments = 0;
  let reassembled = 0;
  let sacks = 0;
  for (const file of captures) {
    await decodeFiles([file], (pkt: Packet) => {
      if (pkt.status !== DecodeStatus.TCP) return;
      segments++;
      if (pkt.reassembled) reassembled++;
      if (pkt.sackCount > 0) sacks++;
      // At an odd offset too: records follow a kind byte in a batch.
      const off = segments % 2;
      encodePacket(pkt, view, off);
      const back = decoder.decode(view, off);
      const where = `${file} frame ${pkt.frame}`;
      for (const k of CARRIED) assert.equal(back[k], pkt[k], `${where}: ${k}`);
      assert.deepEqual(back.src, pkt.src, `${where}: src`);
      assert.deepEqual(back.dst, pkt.dst, `${where}: dst`);
      const n = 2 * pkt.sackCount;
      assert.deepEqual(back.sackBlocks.subarray(0, n), pkt.sackBlocks.subarray(0, n), `${where}: sackBlocks`);
      // Zeek's IP byte count reads the innermost IPv4 header's length field from the frame.
      assert.equal(ipv4LengthField(back), ipv4LengthField(pkt), `${where}: IPv4 length field`);
      assert.equal(back.tsUsec, pkt.tsUsec);
    });
  }
  assert.ok(segments > 10_000, `${segments} segments`);
  assert.ok(sacks > 0, 'SACK blocks');
  assert.ok(reassembled >= 80, `${reassembled} reassembled segments`);
});

test('connection records in transit: every record of every capture comes back equal', async () => {
  let records = 0;
  for (const file of captures) {
    const recs: ConnRecord[] = [];
    await runOneTable(
      [file],
      { tracking: DEFAULT_TRACKING, verifyChecksums: true },
      0,
      (r) => recs.push(r),
      () => {},
    );
    const w = new RecordWriter();
    for (let i = 0; i < recs.length; i++) w.add(i + 1, 2 * i, recs[i]!);
    assert.equal(w.count, recs.length);
    const back: [number, number, ConnRecord][] = [];
    readRecords(w.take(), (first, end, rec) => back.push([first, end, rec]));
    assert.deepEqual(
      back,
      recs.map((r, i) => [i + 1, 2 * i, r]),
      file,
    );
    // Same key order as buildRecord's objects (consumers may walk them).
    for (let i = 0; i < recs.length; i++) assert.deepEqual(Object.keys(back[i]![2]), Object.keys(recs[i]!));
    records += recs.length;
  }
  assert.ok(records > 100, `${records} records`);
});
