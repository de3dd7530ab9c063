// The writers' output read back by tcpdump, tshark and our reader: the same frames, times, lengths
// and (from the builder) correct IPv4 and TCP checksums.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildFrame, type FrameSpec } from '../src/wire/build.js';
import { forEachRecord } from '../src/wire/capture-bytes.js';
import {
  foldSum,
  internetChecksum,
  ipv4HeaderChecksum,
  ipv4HeaderChecksumOk,
  pseudoHeaderSumV4,
  pseudoHeaderSumV6,
  sum16,
  transportChecksum,
} from '../src/wire/checksum.js';
import { PcapngWriter, type PcapWriterOptions, pcapBytes, writtenBytes } from '../src/wire/pcap-writer.js';
import { hasTcpdump, hasTshark } from './helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'synack-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** tshark's `-T fields` line of each frame of `path`: the `fields`, tab-separated (`options` are its -o settings). */
function tsharkFieldLines(path: string, fields: string[], options: string[] = []): string[] {
  const out = execFileSync(
    'tshark',
    ['-r', path, ...options.flatMap((o) => ['-o', o]), '-T', 'fields', ...fields.flatMap((f) => ['-e', f])],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out.toString().split('\n').slice(0, -1);
}

const client = { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80 } as const;
const server = { src: '10.0.0.2', dst: '10.0.0.1', srcPort: 80, dstPort: 40000 } as const;
const v6 = { src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5555, dstPort: 443 } as const;

/** Specs with the line tcpdump -n (no -v) prints for each, after the timestamp. */
const SPECS: [FrameSpec, string][] = [
  [
    {
      ...client,
      flags: 'S',
      seq: 1000,
      window: 64240,
      mss: 1460,
      sackPermitted: true,
      timestamp: [1, 0],
      wscale: 7,
    },
    'IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0',
  ],
  [
    {
      ...server,
      flags: 'S.',
      seq: 5000,
      ack: 1001,
      window: 65160,
      mss: 1460,
      sackPermitted: true,
      wscale: 7,
    },
    'IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 5000, ack 1001, win 65160, options [mss 1460,nop,nop,sackOK,nop,wscale 7], length 0',
  ],
  [
    {
      ...client,
      flags: 'P.',
      seq: 1001,
      ack: 5001,
      window: 502,
      payload: 'GET / HTTP/1.0\r\n\r\n',
      vlan: 42,
    },
    // tcpdump shows sequence numbers relative to the handshake it saw.
    'IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1:19, ack 1, win 502, length 18: HTTP: GET / HTTP/1.0',
  ],
  [
    {
      ...server,
      flags: '.',
      seq: 5001,
      ack: 1019,
      window: 510,
      sack: [[2000, 3000]],
      timestamp: [7, 8],
      ipOptions: [1, 1, 1, 0],
    },
    'IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [.], ack 19, win 510, options [nop,nop,TS val 7 ecr 8,nop,nop,sack 1 {1000:2000}], length 0',
  ],
  [
    { ...v6, flags: 'F.', seq: 4294967295, ack: 1, window: 100, payload: 3, flowLabel: 0x12345 },
    'IP6 2001:db8::1.5555 > 2001:db8::2.443: Flags [F.], seq 4294967295:2, ack 1, win 100, length 3',
  ],
  [
    { ...client, flags: 'R', seq: 1019, window: 0, ttl: 1, df: false, ipId: 4242 },
    'IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [R], seq 1019, win 0, length 0',
  ],
  [
    { ...client, flags: 'SEW', seq: 7, window: 1, padTo: 60 },
    'IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [SEW], seq 7, win 1, length 0',
  ],
];
const FRAMES = SPECS.map(([spec]) => buildFrame(spec));
const TIMES: [number, number][] = [
  [1700000000, 0],
  [1700000000, 999999999],
  [1700000001, 1000],
  [1700000001, 123456789],
  [2147483647, 5],
  [1, 0],
  [1700000002, 500000000],
];

function ourRecords(bytes: Uint8Array) {
  const out: {
    sec: number;
    nsec: number;
    caplen: number;
    origLen: number;
    linktype: number;
    iface: number;
    data: number[];
  }[] = [];
  forEachRecord(bytes, (rec) => {
    out.push({
      sec: rec.tsSec,
      nsec: rec.tsNsec,
      caplen: rec.caplen,
      origLen: rec.origLen,
      linktype: rec.linktype,
      iface: rec.iface,
      data: Array.from(rec.data),
    });
  });
  return out;
}

function writePcap(name: string, opts: PcapWriterOptions): { path: string; bytes: Uint8Array } {
  const bytes = pcapBytes(
    FRAMES.map((data, i) => ({ tsSec: TIMES[i]![0], tsNsec: TIMES[i]![1], data })),
    opts,
  );
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

const usec = (nsec: number) => String(Math.floor(nsec / 1000)).padStart(6, '0');

for (const [name, opts] of [
  ['µs little-endian', {}],
  ['ns big-endian', { nanosecond: true, bigEndian: true }],
] as const) {
  test(`pcap ${name}: tcpdump prints every frame as built, our reader reads it back`, (t) => {
    const { path, bytes } = writePcap(`w-${opts.nanosecond ? 'ns' : 'us'}.pcap`, opts);
    const ours = ourRecords(bytes);
    assert.deepEqual(
      ours.map((r) => [r.sec, r.nsec, r.caplen, r.origLen, r.linktype]),
      FRAMES.map((f, i) => [
        TIMES[i]![0],
        opts.nanosecond ? TIMES[i]![1] : Number(usec(TIMES[i]![1])) * 1000,
        f.length,
        f.length,
        1,
      ]),
    );
    assert.deepEqual(
      ours.map((r) => r.data),
      FRAMES.map((f) => Array.from(f)),
    );
    if (!hasTcpdump) return t.skip('tcpdump absent');
    const lines = execFileSync('tcpdump', ['-n', '-tt', '-r', path], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trimEnd()
      .split('\n');
    assert.deepEqual(
      lines,
      SPECS.map(([, line], i) => `${TIMES[i]![0]}.${usec(TIMES[i]![1])} ${line}`),
    );
    // -vv verifies the IPv4 header and TCP checksums the builder computed.
    const verbose = execFileSync('tcpdump', ['-n', '-vv', '-r', path], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    assert.equal(verbose.match(/cksum 0x[0-9a-f]+ \(correct\)/g)?.length, FRAMES.length);
    assert.doesNotMatch(verbose, /incorrect|bad/);
  });
}

test('pcap: tshark reads the same times (ns), lengths and good checksums', (t) => {
  if (!hasTshark) return t.skip('tshark absent');
  const { path } = writePcap('w-tshark.pcap', { nanosecond: true });
  const out = tsharkFieldLines(
    path,
    ['frame.time_epoch', 'frame.len', 'tcp.checksum.status', 'vlan.id'],
    ['tcp.check_checksum:TRUE', 'ip.check_checksum:TRUE'],
  );
  assert.deepEqual(
    out,
    FRAMES.map(
      (f, i) =>
        `${TIMES[i]![0]}.${String(TIMES[i]![1]).padStart(9, '0')}\t${f.length}\t1\t${i === 2 ? '42' : ''}`,
    ),
  );
});

test('pcap snaplen: records cut to it keep their wire length', (t) => {
  const { path, bytes } = writePcap('w-snap.pcap', { snaplen: 54 });
  const ours = ourRecords(bytes);
  assert.deepEqual(
    ours.map((r) => [r.caplen, r.origLen]),
    FRAMES.map((f) => [Math.min(54, f.length), f.length]),
  );
  if (!hasTshark) return t.skip('tshark absent');
  assert.deepEqual(
    tsharkFieldLines(path, ['frame.cap_len', 'frame.len']),
    FRAMES.map((f) => `${Math.min(54, f.length)}\t${f.length}`),
  );
});

test('pcapng with interfaces of two link types: tshark and our reader agree', (t) => {
  const rawFrame = buildFrame({ ...v6, link: 'raw', flags: 'S', seq: 9 });
  const bytes = writtenBytes((sink) => {
    const w = new PcapngWriter(sink, { chunkSize: 100 });
    const eth = w.addInterface({ linktype: 1, tsresolDigits: 9 });
    const raw = w.addInterface({ linktype: 101 });
    w.writePacket(eth, TIMES[0]![0], TIMES[0]![1], FRAMES[0]!);
    w.writePacket(raw, TIMES[1]![0], TIMES[1]![1], rawFrame);
    w.writePacket(eth, TIMES[3]![0], TIMES[3]![1], FRAMES[3]!);
    w.flush();
  });
  const path = join(dir, 'w.pcapng');
  writeFileSync(path, bytes);
  const ours = ourRecords(bytes);
  assert.deepEqual(
    ours.map((r) => [r.iface, r.linktype, r.sec, r.nsec, r.caplen]),
    [
      [0, 1, TIMES[0]![0], TIMES[0]![1], FRAMES[0]!.length],
      [1, 101, TIMES[1]![0], 999999000, rawFrame.length], // µs interface
      [0, 1, TIMES[3]![0], TIMES[3]![1], FRAMES[3]!.length],
    ],
  );
  if (!hasTshark) return t.skip('tshark absent');
  const out = tsharkFieldLines(
    path,
    ['frame.interface_id', 'frame.time_epoch', 'frame.len', 'tcp.checksum.status'],
    ['tcp.check_checksum:TRUE'],
  );
  assert.deepEqual(out, [
    `0\t1700000000.000000000\t${FRAMES[0]!.length}\t1`,
    `1\t1700000000.999999000\t${rawFrame.length}\t1`,
    `0\t1700000001.123456789\t${FRAMES[3]!.length}\t1`,
  ]);
});

test('checksums: RFC 1071 example, and every built header verifies to 0', () => {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2 (folded); the checksum is its complement.
  const words = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
  assert.equal(foldSum(sum16(words, 0, 8)), 0xddf2);
  assert.equal(internetChecksum(words, 0, 8), 0x220d);
  // An odd length pads the last byte with zero.
  assert.equal(internetChecksum(Uint8Array.of(0x01, 0x02, 0x03), 0, 3), ~(0x0102 + 0x0300) & 0xffff);
  for (const spec of [
    { ...client, flags: 'P.', payload: 'odd', ipOptions: [1, 1, 1, 1] },
    { ...v6, flags: 'S', mss: 1220, payload: 1 },
    { ...v6, proto: 'udp', payload: 'x' },
    { ...client, proto: 'udp', payload: 0 },
  ] satisfies FrameSpec[]) {
    const f = buildFrame(spec);
    const ip = 14;
    const v4 = f[ip]! >> 4 === 4;
    const l4 = v4 ? ip + (f[ip]! & 0x0f) * 4 : ip + 40;
    const proto = v4 ? f[ip + 9]! : f[ip + 6]!;
    const pseudo = v4
      ? pseudoHeaderSumV4(f, ip, proto, f.length - l4)
      : pseudoHeaderSumV6(f, ip, proto, f.length - l4);
    assert.equal(transportChecksum(f, l4, f.length, pseudo), 0, JSON.stringify(spec));
    if (v4) {
      assert.ok(ipv4HeaderChecksumOk(f, ip));
      assert.equal(ipv4HeaderChecksum(f, ip), (f[ip + 10]! << 8) | f[ip + 11]!);
    }
  }
  const bad = buildFrame({ ...client, flags: 'S', badChecksum: true });
  assert.notEqual(transportChecksum(bad, 34, bad.length, pseudoHeaderSumV4(bad, 14, 6, bad.length - 34)), 0);
});
