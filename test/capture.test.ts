// Capture input: pcap (four magics), pcapng (sections, byte orders, if_tsresol, if_tsoffset, SPB,
// obsolete PB, skipped blocks), faults with their offsets, chunk boundaries, gzip, and the merge of
// several files; corpus files checked against tcpdump's frame counts and timestamps.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FileFault, formatFault } from '../src/cli/errors.js';
import { readRecords } from '../src/cli/input.js';
import { buildFrame } from '../src/wire/build.js';
import { CaptureReader } from '../src/wire/capture-reader.js';
import { PcapngWriter, pcapBytes, writtenBytes } from '../src/wire/pcap-writer.js';
import { CaptureError, CaptureRecord } from '../src/wire/record.js';
import { ZEEK_CORPUS } from './helpers/paths.js';
import { hasTcpdump } from './helpers/tools.js';

interface Rec {
  frame: number;
  tsSec: number;
  tsNsec: number;
  linktype: number;
  iface: number;
  caplen: number;
  origLen: number;
  fileOffset: number;
  data: number[];
}

function snapshot(rec: CaptureRecord): Rec {
  const { frame, tsSec, tsNsec, linktype, iface, caplen, origLen, fileOffset } = rec;
  return { frame, tsSec, tsNsec, linktype, iface, caplen, origLen, fileOffset, data: Array.from(rec.data) };
}

/** Reads `chunks` through one reader; returns the records and the error (if any). */
function readAll(chunks: Uint8Array[]): { recs: Rec[]; error: CaptureError | null; reader: CaptureReader } {
  const reader = new CaptureReader();
  const rec = new CaptureRecord();
  const recs: Rec[] = [];
  try {
    for (const c of chunks) {
      reader.push(c);
      while (reader.next(rec)) recs.push(snapshot(rec));
    }
    reader.end();
    while (reader.next(rec)) recs.push(snapshot(rec));
    return { recs, error: null, reader };
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    return { recs, error: err, reader };
  }
}

const read = (bytes: Uint8Array) => readAll([bytes]);

function expectError(bytes: Uint8Array, code: string, offset: number, message?: RegExp) {
  const { error } = read(bytes);
  assert.ok(error, 'expected a CaptureError');
  assert.equal(error.code, code);
  assert.equal(error.offset, offset);
  if (message) assert.match(error.message, message);
}

const syn = buildFrame({
  src: '10.0.0.1',
  dst: '10.0.0.2',
  srcPort: 40000,
  dstPort: 80,
  flags: 'S',
  mss: 1460,
});
const ack = buildFrame({ src: '10.0.0.2', dst: '10.0.0.1', srcPort: 80, dstPort: 40000, flags: 'S.' });

// --- pcap, hand-built so the writer is not tested against itself ---

function pcapHeader(magic: number, le: boolean, snaplen = 65535, linktype = 1): number[] {
  const b = new DataView(new ArrayBuffer(24));
  b.setUint32(0, magic, le);
  b.setUint16(4, 2, le);
  b.setUint16(6, 4, le);
  b.setUint32(16, snaplen, le);
  b.setUint32(20, linktype, le);
  return Array.from(new Uint8Array(b.buffer));
}

function pcapRecord(le: boolean, sec: number, frac: number, data: Uint8Array, origLen = data.length) {
  const b = new DataView(new ArrayBuffer(16));
  b.setUint32(0, sec, le);
  b.setUint32(4, frac, le);
  b.setUint32(8, data.length, le);
  b.setUint32(12, origLen, le);
  return [...new Uint8Array(b.buffer), ...data];
}

describe('pcap', () => {
  for (const [name, magic, le, nanos] of [
    ['µs little-endian', 0xa1b2c3d4, true, false],
    ['µs big-endian', 0xa1b2c3d4, false, false],
    ['ns little-endian', 0xa1b23c4d, true, true],
    ['ns big-endian', 0xa1b23c4d, false, true],
  ] as const) {
    test(`reads ${name}`, () => {
      const bytes = Uint8Array.from([
        ...pcapHeader(magic, le, 96, 101),
        ...pcapRecord(le, 1700000000, nanos ? 123456789 : 123456, syn),
        ...pcapRecord(le, 4000000000, nanos ? 999999999 : 999999, ack.subarray(0, 40), ack.length),
      ]);
      const { recs, error, reader } = read(bytes);
      assert.equal(error, null);
      assert.equal(reader.format, 'pcap');
      assert.equal(recs.length, 2);
      assert.deepEqual(
        recs.map((r) => [r.frame, r.tsSec, r.tsNsec, r.linktype, r.caplen, r.origLen, r.fileOffset]),
        [
          [1, 1700000000, nanos ? 123456789 : 123456000, 101, syn.length, syn.length, 24],
          [2, 4000000000, nanos ? 999999999 : 999999000, 101, 40, ack.length, 24 + 16 + syn.length],
        ],
      );
      assert.deepEqual(recs[0]!.data, Array.from(syn));
      assert.deepEqual(recs[1]!.data, Array.from(ack.subarray(0, 40)));
      assert.equal(reader.bytesConsumed, bytes.length);
    });
  }

  test('caplen above snaplen is cut to snaplen as libpcap does, noted once', () => {
    const bytes = Uint8Array.from([
      ...pcapHeader(0xa1b2c3d4, true, 40),
      ...pcapRecord(true, 1, 0, syn),
      ...pcapRecord(true, 2, 0, syn),
    ]);
    const { recs, error, reader } = read(bytes);
    assert.equal(error, null);
    assert.deepEqual(
      recs.map((r) => [r.caplen, r.origLen, r.data.length, r.tsSec]),
      [
        [40, syn.length, 40, 1],
        [40, syn.length, 40, 2],
      ],
    );
    assert.deepEqual(recs[1]!.data, Array.from(syn.subarray(0, 40)));
    assert.equal(reader.notes.length, 1);
    assert.match(
      reader.notes[0]!,
      new RegExp(`captured length ${syn.length} exceeds the snapshot length 40`),
    );
  });

  test('snaplen 0 means the link type maximum (262144), as tcpdump shows', () => {
    const { recs, error } = read(
      Uint8Array.from([...pcapHeader(0xa1b2c3d4, true, 0), ...pcapRecord(true, 1, 0, syn)]),
    );
    assert.equal(error, null);
    assert.equal(recs[0]!.caplen, syn.length);
  });

  test('caplen beyond 262144 is a corrupt record header at its offset', () => {
    const bytes = Uint8Array.from([
      ...pcapHeader(0xa1b2c3d4, true),
      ...pcapRecord(true, 1, 0, syn),
      ...pcapRecord(true, 1, 0, new Uint8Array(0), 300000),
    ]);
    new DataView(bytes.buffer).setUint32(24 + 16 + syn.length + 8, 300000, true);
    expectError(bytes, 'BAD_HEADER', 24 + 16 + syn.length, /invalid captured length 300000/);
  });

  test('a record cut short by the end of input: TRUNCATED_RECORD at that record, earlier ones delivered', () => {
    const full = Uint8Array.from([
      ...pcapHeader(0xa1b2c3d4, true),
      ...pcapRecord(true, 1, 0, syn),
      ...pcapRecord(true, 2, 0, ack),
    ]);
    const second = 24 + 16 + syn.length;
    for (const cut of [second + 3, second + 16, full.length - 1]) {
      const { recs, error } = read(full.subarray(0, cut));
      assert.equal(recs.length, 1);
      assert.equal(error?.code, 'TRUNCATED_RECORD');
      assert.equal(error?.offset, second);
    }
    expectError(full.subarray(0, 20), 'TRUNCATED_HEADER', 0);
  });

  test('archaic version and non-captures are refused with a clear message', () => {
    const old = Uint8Array.from(pcapHeader(0xa1b2c3d4, true));
    old[4] = 1;
    expectError(old, 'UNSUPPORTED_VERSION', 0);
    expectError(
      Uint8Array.from([0x3c, 0x68, 0x74, 0x6d, 0x6c]),
      'NOT_A_CAPTURE',
      0,
      /not a pcap or pcapng file \(starts with 0x3c68746d\)/,
    );
    expectError(new Uint8Array(0), 'NOT_A_CAPTURE', 0, /empty/);
    expectError(Uint8Array.of(0xd4, 0xc3), 'NOT_A_CAPTURE', 0, /only 2 bytes/);
    expectError(Uint8Array.from([0x1f, 0x8b, 8, 0]), 'NOT_A_CAPTURE', 0, /gzip/);
  });
});

// --- pcapng, hand-built blocks ---

function block(type: number, body: number[], le: boolean): number[] {
  const padded = [...body, ...new Array((4 - (body.length % 4)) % 4).fill(0)];
  const len = 12 + padded.length;
  const v = new DataView(new ArrayBuffer(len));
  v.setUint32(0, type, le);
  v.setUint32(4, len, le);
  new Uint8Array(v.buffer).set(padded, 8);
  v.setUint32(len - 4, len, le);
  return Array.from(new Uint8Array(v.buffer));
}

function u16(n: number, le: boolean): number[] {
  const v = new DataView(new ArrayBuffer(2));
  v.setUint16(0, n, le);
  return Array.from(new Uint8Array(v.buffer));
}
function u32(n: number, le: boolean): number[] {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, n >>> 0, le);
  return Array.from(new Uint8Array(v.buffer));
}
function option(code: number, value: number[], le: boolean): number[] {
  return [
    ...u16(code, le),
    ...u16(value.length, le),
    ...value,
    ...new Array((4 - (value.length % 4)) % 4).fill(0),
  ];
}

const shb = (le: boolean, major = 1, minor = 0) =>
  block(
    0x0a0d0d0a,
    [...u32(0x1a2b3c4d, le), ...u16(major, le), ...u16(minor, le), ...u32(-1, le), ...u32(-1, le)],
    le,
  );
const idb = (le: boolean, linktype: number, snaplen: number, opts: number[] = []) =>
  block(
    1,
    [...u16(linktype, le), 0, 0, ...u32(snaplen, le), ...opts, ...(opts.length ? [0, 0, 0, 0] : [])],
    le,
  );
const epb = (le: boolean, iface: number, hi: number, lo: number, data: Uint8Array, origLen = data.length) =>
  block(
    6,
    [
      ...u32(iface, le),
      ...u32(hi, le),
      ...u32(lo, le),
      ...u32(data.length, le),
      ...u32(origLen, le),
      ...data,
    ],
    le,
  );

describe('pcapng', () => {
  test('sections in both byte orders, global interface ids, resolutions and offsets, SPB, PB, skipped blocks', () => {
    const LE = true;
    const BE = false;
    // 1_700_000_000.123456789 s in ns = 1700000000123456789 = 0x1797_8A26_C0AA_6515 (beyond 2^53).
    const ns = 1700000000123456789n;
    const nsHi = Number(ns >> 32n);
    const nsLo = Number(ns & 0xffffffffn);
    // 2^-20 resolution: 1000.5 s + 1 unit → 1000 s, 500000953 ns (floor of 1e9 × 524289 / 2^20).
    const p2 = 1000n * 2n ** 20n + 2n ** 19n + 1n;
    const bytes = Uint8Array.from([
      ...shb(LE),
      ...idb(LE, 1, 0, option(9, [9], LE)), // ns
      ...idb(LE, 101, 0), // default µs
      ...epb(LE, 1, 0, 1_500_000, syn), // 1.5 s in µs
      ...epb(LE, 0, nsHi, nsLo, ack),
      ...block(4, [0, 0, 0, 0], LE), // NRB
      ...block(5, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], LE), // ISB
      ...block(0x0bad, [1, 2, 3, 4], LE), // custom
      ...block(0x0a, [...u32(0x544c534b, LE), ...u32(4, LE), 1, 2, 3, 4], LE), // DSB
      ...shb(BE),
      ...idb(BE, 228, 50, [...option(9, [0x80 | 20], BE), ...option(14, [0, 0, 0, 0, 0, 0, 0x03, 0xe8], BE)]),
      ...epb(BE, 0, Number(p2 >> 32n), Number(p2 & 0xffffffffn), syn),
      ...block(3, [...u32(syn.length, BE), ...syn], BE), // SPB: caplen = min(74, snaplen 50)
      ...block(
        2,
        [
          ...u16(0, BE),
          0,
          0,
          ...u32(0, BE),
          ...u32(7 * 2 ** 20, BE),
          ...u32(20, BE),
          ...u32(60, BE),
          ...syn.subarray(0, 20),
        ],
        BE,
      ),
      ...block(0x12345678, [9, 9, 9, 9], BE), // unknown: skipped, noted
    ]);
    const { recs, error, reader } = read(bytes);
    assert.equal(error, null);
    assert.equal(reader.format, 'pcapng');
    assert.deepEqual(
      recs.map((r) => [r.frame, r.iface, r.linktype, r.tsSec, r.tsNsec, r.caplen, r.origLen]),
      [
        [1, 1, 101, 1, 500_000_000, syn.length, syn.length],
        [2, 0, 1, 1700000000, 123456789, ack.length, ack.length],
        [3, 2, 228, 1000 + 1000, 500000953, syn.length, syn.length], // if_tsoffset 1000 s
        [4, 2, 228, 0, 0, 50, syn.length],
        [5, 2, 228, 7 + 1000, 0, 20, 60],
      ],
    );
    assert.deepEqual(recs[3]!.data, Array.from(syn.subarray(0, 50)));
    assert.deepEqual(recs[4]!.data, Array.from(syn.subarray(0, 20)));
    assert.deepEqual(reader.notes, ['skipped block(s) of unknown type 0x12345678']);
  });

  test('if_tsresol 10^-3 and 10^-12 convert exactly', () => {
    const LE = true;
    const pico = 17000000001234567891n; // 17000000.001234567891 s at 10^-12
    const bytes = Uint8Array.from([
      ...shb(LE),
      ...idb(LE, 1, 0, option(9, [3], LE)),
      ...idb(LE, 1, 0, option(9, [12], LE)),
      ...epb(LE, 0, Math.floor(1_700_000_000_123 / 2 ** 32), 1_700_000_000_123 % 2 ** 32, syn.subarray(0, 1)),
      ...epb(LE, 1, Number(pico >> 32n), Number(pico & 0xffffffffn), syn.subarray(0, 1)),
    ]);
    const { recs, error } = read(bytes);
    assert.equal(error, null);
    assert.deepEqual(
      recs.map((r) => [r.tsSec, r.tsNsec]),
      [
        [1700000000, 123000000],
        [17000000, 1234567],
      ],
    );
  });

  test('corrupt blocks: a CaptureError with the block offset', () => {
    const LE = true;
    const head = [...shb(LE), ...idb(LE, 1, 0)];
    const at = head.length;
    const good = epb(LE, 0, 0, 0, syn);
    const withLen = (b: number[], len: number) => {
      const c = b.slice();
      c.splice(4, 4, ...u32(len, LE));
      return c;
    };
    expectError(
      Uint8Array.from([...head, ...withLen(good, good.length - 2)]),
      'BAD_BLOCK',
      at,
      /not a multiple of 4/,
    );
    expectError(Uint8Array.from([...head, ...withLen(good, 28)]), 'BAD_BLOCK', at, /below the minimum of 32/);
    const badTrailer = good.slice();
    badTrailer.splice(badTrailer.length - 4, 4, ...u32(good.length + 4, LE));
    expectError(Uint8Array.from([...head, ...badTrailer]), 'BAD_BLOCK', at, /trailing block length/);
    expectError(
      Uint8Array.from([...head, ...epb(LE, 3, 0, 0, syn)]),
      'BAD_BLOCK',
      at,
      /interface 3 is not defined/,
    );
    const capTooBig = good.slice();
    capTooBig.splice(20, 4, ...u32(1000, LE));
    expectError(Uint8Array.from([...head, ...capTooBig]), 'BAD_BLOCK', at, /does not fit/);
    expectError(Uint8Array.from([...head, ...shb(LE, 2, 0)]), 'UNSUPPORTED_VERSION', at, /version 2\.0/);
    const badBom = shb(LE);
    badBom.splice(8, 4, 1, 2, 3, 4);
    expectError(Uint8Array.from(badBom), 'BAD_HEADER', 0, /byte-order magic/);
    expectError(
      Uint8Array.from([...head, ...good].slice(0, at + 40)),
      'TRUNCATED_RECORD',
      at,
      new RegExp(`40 of ${good.length}`),
    );
    expectError(Uint8Array.from(shb(LE).slice(0, 20)), 'TRUNCATED_HEADER', 0);
    expectError(
      Uint8Array.from([...head, ...block(3, [...u32(10, LE), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], LE)].slice(20)),
      'NOT_A_CAPTURE',
      0,
    );
  });

  test('an SPB before any IDB is corrupt', () => {
    const LE = true;
    const at = shb(LE).length;
    expectError(
      Uint8Array.from([...shb(LE), ...block(3, [...u32(4, LE), 1, 2, 3, 4], LE)]),
      'BAD_BLOCK',
      at,
      /interface 0/,
    );
  });
});

describe('chunk boundaries', () => {
  const pcap = pcapBytes(
    [syn, ack, syn].map((data, i) => ({ tsSec: 10 + i, tsNsec: 5000, data })),
    { nanosecond: true },
  );
  const pcapng = writtenBytes((sink) => {
    const w = new PcapngWriter(sink, { bigEndian: true });
    w.addInterface({ linktype: 1, tsresolDigits: 9 });
    w.addInterface({ linktype: 101 });
    w.writePacket(0, 5, 1, syn);
    w.writePacket(1, 6, 2000, ack.subarray(14));
    w.writePacket(0, 7, 3, ack);
    w.flush();
  });

  for (const [name, file] of [
    ['pcap', pcap],
    ['pcapng', pcapng],
  ] as const) {
    test(`${name}: every split point and one-byte chunks give the same records`, () => {
      const whole = read(file);
      assert.equal(whole.error, null);
      assert.equal(whole.recs.length, 3);
      for (let i = 0; i <= file.length; i++) {
        // Copies, reused the way the CLI reuses its read buffer: the reader must not keep views.
        const a = file.slice(0, i);
        const b = file.slice(i);
        const split = readAll([a, b]);
        assert.deepEqual(split.recs, whole.recs, `split at ${i}`);
        assert.equal(split.error, null);
      }
      const bytewise = readAll(Array.from(file, (x) => Uint8Array.of(x)));
      assert.deepEqual(bytewise.recs, whole.recs);
      assert.equal(bytewise.reader.bytesConsumed, file.length);
    });
  }

  test('a pushed chunk may be overwritten once next() returned false', () => {
    const reader = new CaptureReader();
    const rec = new CaptureRecord();
    const buf = new Uint8Array(7);
    const got: Rec[] = [];
    for (let at = 0; at < pcap.length; at += buf.length) {
      const n = Math.min(buf.length, pcap.length - at);
      buf.set(pcap.subarray(at, at + n));
      reader.push(buf.subarray(0, n));
      while (reader.next(rec)) got.push(snapshot(rec));
      buf.fill(0xee);
    }
    reader.end();
    while (reader.next(rec)) got.push(snapshot(rec));
    assert.deepEqual(got, read(pcap).recs);
  });
});

// --- Node input: files, gzip, stdin, merge, faults ---

const dir = mkdtempSync(join(tmpdir(), 'synack-capture-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function collect(paths: string[], opts = {}) {
  const got: { file: string; frame: number; tsSec: number; tsNsec: number; first: number }[] = [];
  const notes: string[] = [];
  let fault: FileFault | null = null;
  try {
    await readRecords(
      paths,
      (rec, f) =>
        got.push({ file: f, frame: rec.frame, tsSec: rec.tsSec, tsNsec: rec.tsNsec, first: rec.data[0]! }),
      {
        onNote: (l) => notes.push(l),
        ...opts,
      },
    );
  } catch (err) {
    if (!(err instanceof FileFault)) throw err;
    fault = err;
  }
  return { got, notes, fault };
}

const frames = (times: [number, number][], marker: number) =>
  times.map(([tsSec, tsNsec]) => ({ tsSec, tsNsec, data: Uint8Array.of(marker, 1, 2, 3) }));

describe('readRecords', () => {
  test('a file read in small chunks gives every record with frames from 1', async () => {
    const p = file(
      'one.pcap',
      pcapBytes(
        frames(
          [
            [1, 0],
            [2, 0],
            [3, 0],
          ],
          7,
        ),
      ),
    );
    const { got, fault } = await collect([p], { chunkSize: 5 });
    assert.equal(fault, null);
    assert.deepEqual(
      got.map((g) => [g.frame, g.tsSec, g.file]),
      [
        [1, 1, p],
        [2, 2, p],
        [3, 3, p],
      ],
    );
  });

  test('gzip input is detected by its magic (file and stdin)', async () => {
    const plain = pcapBytes(
      frames(
        [
          [1, 0],
          [2, 0],
        ],
        9,
      ),
      { nanosecond: true },
    );
    const gz = file('z.pcap.gz', gzipSync(plain));
    const fromFile = await collect([gz], { chunkSize: 16 });
    assert.equal(fromFile.fault, null);
    assert.deepEqual(
      fromFile.got.map((g) => g.tsSec),
      [1, 2],
    );
    const { Readable } = await import('node:stream');
    const fromStdin = await collect(['-'], {
      stdin: Readable.from([gzipSync(plain).subarray(0, 1), gzipSync(plain).subarray(1)]),
    });
    assert.deepEqual(
      fromStdin.got.map((g) => [g.file, g.tsSec]),
      [
        ['stdin', 1],
        ['stdin', 2],
      ],
    );
  });

  test('several files merge by time, ties by argument order, frames renumbered', async () => {
    const a = file(
      'a.pcap',
      pcapBytes(
        frames(
          [
            [1, 0],
            [3, 0],
            [4, 0],
            [7, 0],
          ],
          0xa,
        ),
      ),
    );
    const b = file(
      'b.pcap',
      pcapBytes(
        frames(
          [
            [2, 0],
            [3, 0],
            [3, 400],
            [8, 0],
          ],
          0xb,
        ),
        { nanosecond: true },
      ),
    );
    const c = file(
      'c.pcap.gz',
      gzipSync(
        pcapBytes(
          frames(
            [
              [0, 5000],
              [3, 0],
            ],
            0xc,
          ),
        ),
      ),
    );
    const { got, fault } = await collect([a, b, c]);
    assert.equal(fault, null);
    assert.deepEqual(
      got.map((g) => [g.frame, g.first, g.tsSec, g.tsNsec]),
      [
        [1, 0xc, 0, 5000],
        [2, 0xa, 1, 0],
        [3, 0xb, 2, 0],
        [4, 0xa, 3, 0],
        [5, 0xb, 3, 0],
        [6, 0xc, 3, 0],
        [7, 0xb, 3, 400],
        [8, 0xa, 4, 0],
        [9, 0xa, 7, 0],
        [10, 0xb, 8, 0],
      ],
    );
  });

  test('a truncated file: every record before the fault, then a FileFault with its offset', async () => {
    const whole = pcapBytes(
      frames(
        [
          [1, 0],
          [2, 0],
          [3, 0],
        ],
        1,
      ),
    );
    const p = file('cut.pcap', whole.subarray(0, whole.length - 2));
    const { got, fault } = await collect([p], { chunkSize: 8 });
    assert.deepEqual(
      got.map((g) => g.tsSec),
      [1, 2],
    );
    assert.ok(fault);
    assert.equal(fault.offset, 24 + 2 * 20);
    assert.equal(
      formatFault(fault),
      `synack: ${p}: byte 64: record cut short by the end of the file: 18 of 20 bytes present`,
    );
  });

  test('missing files, non-captures and corrupt gzip are FileFaults', async () => {
    const missing = await collect([join(dir, 'nope.pcap')]);
    assert.equal(missing.fault?.message, 'cannot open: no such file');
    const text = await collect([file('t.txt', new TextEncoder().encode('hello world'))]);
    assert.equal(
      formatFault(text.fault!),
      `synack: ${join(dir, 't.txt')}: byte 0: not a pcap or pcapng file (starts with 0x68656c6c)`,
    );
    const bad = gzipSync(pcapBytes(frames([[1, 0]], 1)));
    bad[bad.length - 5] ^= 0xff; // corrupt the CRC/length trailer
    const gz = await collect([file('bad.gz', bad)]);
    assert.match(gz.fault?.message ?? '', /gzip data is corrupt/);
  });

  test('notes are reported once per file as synack: FILE: NOTE', async () => {
    const p = file(
      'snap.pcap',
      pcapBytes(
        frames(
          [
            [1, 0],
            [2, 0],
          ],
          1,
        ),
        { snaplen: 2 },
      ),
    );
    // The writer cut the data to 2 bytes; rewrite the records' caplen to 4 with 4 bytes present.
    const big = pcapBytes(
      frames(
        [
          [1, 0],
          [2, 0],
        ],
        1,
      ),
    );
    new DataView(big.buffer).setUint32(16, 2, true); // header snaplen 2 < caplen 4
    writeFileSync(p, big);
    const { got, notes } = await collect([p]);
    assert.equal(got.length, 2);
    assert.deepEqual(notes, [
      `synack: ${p}: record at byte 24: captured length 4 exceeds the snapshot length 2; cut to 2 bytes as libpcap does`,
    ]);
  });
});

// --- Corpus: frame counts and first/last timestamps as tcpdump shows them ---

test('corpus captures: frame count and first/last timestamps equal tcpdump -tt', async (t) => {
  if (!hasTcpdump) return t.skip('tcpdump absent');
  const files = readdirSync(ZEEK_CORPUS).filter((f) => /\.pcap(ng)?$/.test(f));
  assert.ok(files.length > 40);
  let agreed = 0;
  for (const f of files) {
    const path = join(ZEEK_CORPUS, f);
    const lines = execFileSync('tcpdump', ['-n', '-tt', '-q', '-r', path], {
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 1 << 26,
    })
      .toString()
      .split('\n')
      .filter((l) => /^\d+\.\d{6} /.test(l))
      .map((l) => l.slice(0, l.indexOf(' ')));
    const times: string[] = [];
    const { fault } = await collect([path]);
    assert.equal(fault, null, f);
    await readRecords(
      [path],
      (rec) => times.push(`${rec.tsSec}.${String(Math.floor(rec.tsNsec / 1000)).padStart(6, '0')}`),
      { onNote: () => {} },
    );
    assert.equal(times.length, lines.length, `${f}: frame count`);
    assert.equal(times[0], lines[0], `${f}: first timestamp`);
    assert.equal(times.at(-1), lines.at(-1), `${f}: last timestamp`);
    agreed++;
  }
  assert.equal(agreed, files.length);
});
