// The packet decoder: every link type and encapsulation, IPv4 options, IPv6 extension headers,
// fragment reassembly, padding, truncation, TCP options (well-formed and malformed), checksums,
// and field-by-field agreement with tshark (and tcpdump, for what it shows) on the shared corpus.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { ipv4String, ipv6String } from '../src/report/tcpdump.js';
import { buildFrame, type FrameSpec } from '../src/wire/build.js';
import { forEachDecoded } from '../src/wire/capture-bytes.js';
import { ipv4HeaderChecksum } from '../src/wire/checksum.js';
import { Decoder, type DecoderOptions } from '../src/wire/decode.js';
import { ACK, AE, DecodeStatus, Layer, MAX_LAYERS, Packet, PSH, SYN } from '../src/wire/packet.js';
import { CaptureRecord } from '../src/wire/record.js';
import { tcpOptions } from '../src/wire/tcp-header.js';
import { fragmentV4, fragmentV6 } from './helpers/fragmented-capture.js';
import { SURICATA_CORPUS, ZEEK_CORPUS } from './helpers/paths.js';
import { haveTool } from './helpers/tools.js';
import { tsharkTcpFields } from './helpers/tshark-fields.js';

// ---------------------------------------------------------------- frame construction helpers

type Bytes = Uint8Array | number[];

function cat(...parts: Bytes[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const be16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const MACS = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];

/** An Ethernet II header with `type`, then the payload. */
const eth = (type: number, ...payload: Bytes[]) => cat(MACS, be16(type), ...payload);

const BASE: FrameSpec = {
  link: 'raw',
  src: '10.0.0.1',
  dst: '10.0.0.2',
  srcPort: 40000,
  dstPort: 80,
  seq: 1000,
  ack: 2000,
  flags: 'P.',
  window: 512,
  payload: 10,
};
const BASE6: FrameSpec = { ...BASE, src: '2001:db8::1', dst: '2001:db8::2' };

/** A raw IP packet (no link header) carrying TCP. */
const ipTcp = (spec: Partial<FrameSpec> = {}) => buildFrame({ ...BASE, ...spec, link: 'raw' });
const ip6Tcp = (spec: Partial<FrameSpec> = {}) => buildFrame({ ...BASE6, ...spec, link: 'raw' });

/** An IPv4 header (correct length and checksum) around `payload`. */
function ipv4(
  proto: number,
  payload: Uint8Array,
  opts: { id?: number; fragOffset?: number; more?: boolean } = {},
) {
  const h = new Uint8Array(20);
  h[0] = 0x45;
  h.set(be16(20 + payload.length), 2);
  h.set(be16(opts.id ?? 7), 4);
  h.set(be16(((opts.more ? 1 : 0) << 13) | ((opts.fragOffset ?? 0) >> 3)), 6);
  h[8] = 64;
  h[9] = proto;
  h.set([192, 0, 2, 1, 192, 0, 2, 2], 12);
  h.set(be16(ipv4HeaderChecksum(h, 0)), 10);
  return cat(h, payload);
}

/** An IPv6 header around `payload` whose first header is `nextHeader`. */
function ipv6(nextHeader: number, payload: Uint8Array) {
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h.set(be16(payload.length), 4);
  h[6] = nextHeader;
  h[7] = 64;
  h[8] = 0x20;
  h[9] = 0x01;
  h[23] = 1;
  h[24] = 0x20;
  h[25] = 0x01;
  h[39] = 2;
  return cat(h, payload);
}

/** A UDP header (checksum 0: unchecked) around `payload`. */
const udp = (srcPort: number, dstPort: number, payload: Uint8Array) =>
  cat(be16(srcPort), be16(dstPort), be16(8 + payload.length), [0, 0], payload);

/** Inserts IPv6 extension headers (each [type, body]) between a raw IPv6 packet's header and payload. */
function withExtensions(packet: Uint8Array, exts: [number, Bytes][]): Uint8Array {
  const upper = packet[6]!;
  const parts: Bytes[] = [];
  for (let i = 0; i < exts.length; i++) {
    const [, body] = exts[i]!;
    const next = i + 1 < exts.length ? exts[i + 1]![0] : upper;
    parts.push([next, ...Array.from(body)]);
  }
  const extBytes = cat(...parts);
  const out = cat(packet.subarray(0, 40), extBytes, packet.subarray(40));
  out[6] = exts[0]![0];
  out.set(be16(out.length - 40), 4);
  return out;
}

function record(
  data: Uint8Array,
  linktype = 1,
  opts: { tsSec?: number; origLen?: number } = {},
): CaptureRecord {
  const rec = new CaptureRecord();
  rec.frame = 1;
  rec.linktype = linktype;
  rec.data = data;
  rec.caplen = data.length;
  rec.origLen = opts.origLen ?? data.length;
  rec.tsSec = opts.tsSec ?? 1_700_000_000;
  return rec;
}

function decode(data: Uint8Array, linktype = 1, opts: DecoderOptions = {}) {
  const decoder = new Decoder(opts);
  const pkt = new Packet();
  const status = decoder.decode(record(data, linktype), pkt);
  return { status, pkt, decoder };
}

const layers = (pkt: Packet) => Array.from(pkt.layerKind.subarray(0, pkt.layerCount));
const srcIp = (p: Packet) => (p.ipVersion === 4 ? ipv4String(p.src, 0) : ipv6String(p.src, 0));
const dstIp = (p: Packet) => (p.ipVersion === 4 ? ipv4String(p.dst, 0) : ipv6String(p.dst, 0));

/** Asserts the packet is BASE's (or BASE6's) segment. */
function assertBaseTcp(status: DecodeStatus, pkt: Packet, v6 = false, payloadLen = 10): void {
  assert.equal(status, DecodeStatus.TCP, pkt.error);
  assert.equal(srcIp(pkt), v6 ? '2001:db8::1' : '10.0.0.1');
  assert.equal(dstIp(pkt), v6 ? '2001:db8::2' : '10.0.0.2');
  assert.deepEqual(
    [pkt.srcPort, pkt.dstPort, pkt.seq, pkt.ack, pkt.flags, pkt.window, pkt.payloadLen],
    [40000, 80, 1000, 2000, PSH | ACK, 512, payloadLen],
  );
}

// ---------------------------------------------------------------- link layers

describe('link layers', () => {
  test('Ethernet IPv4: addresses, IP fields, TCP header and options', () => {
    const frame = buildFrame({
      ...BASE,
      link: 'ethernet',
      ttl: 57,
      ipId: 4321,
      df: true,
      tos: 0x10,
      flags: 'S',
      mss: 1460,
      wscale: 7,
      sackPermitted: true,
      timestamp: [111, 222],
      payload: 0,
    });
    const { status, pkt } = decode(frame);
    assert.equal(status, DecodeStatus.TCP);
    assert.deepEqual(layers(pkt), [Layer.ETHERNET, Layer.IPV4, Layer.TCP]);
    assert.deepEqual(Array.from(pkt.layerOffset.subarray(0, 3)), [0, 14, 34]);
    assert.equal(srcIp(pkt), '10.0.0.1');
    assert.deepEqual([pkt.ttl, pkt.ipId, pkt.df, pkt.tos, pkt.ipTotalLen], [57, 4321, true, 0x10, 60]);
    assert.deepEqual([pkt.flags, pkt.headerLen, pkt.payloadLen], [SYN, 40, 0]);
    assert.deepEqual(
      [pkt.mss, pkt.wscale, pkt.sackPermitted, pkt.hasTimestamp, pkt.tsVal, pkt.tsEcr],
      [1460, 7, true, true, 111, 222],
    );
    assert.equal(pkt.tcpOffset, 34);
    assert.equal(pkt.truncated, false);
  });

  test('Ethernet IPv6 and the frame copy of addresses outliving the buffer', () => {
    const frame = buildFrame({ ...BASE6, link: 'ethernet', flowLabel: 0xabcde, tos: 0x20, ttl: 3 });
    const { status, pkt } = decode(frame);
    assertBaseTcp(status, pkt, true);
    frame.fill(0);
    assert.equal(srcIp(pkt), '2001:db8::1');
    assert.deepEqual([pkt.ipVersion, pkt.flowLabel, pkt.tos, pkt.ttl, pkt.ipId], [6, 0xabcde, 0x20, 3, -1]);
  });

  test('Ethernet padding after a short segment is not payload', () => {
    const frame = buildFrame({ ...BASE, link: 'ethernet', payload: 0, padTo: 60 });
    assert.equal(frame.length, 60);
    const { status, pkt } = decode(frame);
    assert.equal(status, DecodeStatus.TCP);
    assert.equal(pkt.payloadLen, 0);
    assert.equal(pkt.truncated, false);
  });

  test('802.1Q and 802.1ad QinQ tags', () => {
    const single = decode(buildFrame({ ...BASE, link: 'ethernet', vlan: 100 }));
    assertBaseTcp(single.status, single.pkt);
    assert.deepEqual(layers(single.pkt), [Layer.ETHERNET, Layer.VLAN, Layer.IPV4, Layer.TCP]);
    const qinq = decode(eth(0x88a8, [0, 10], be16(0x8100), [0, 20], be16(0x0800), ipTcp()));
    assertBaseTcp(qinq.status, qinq.pkt);
    assert.deepEqual(layers(qinq.pkt), [Layer.ETHERNET, Layer.VLAN, Layer.VLAN, Layer.IPV4, Layer.TCP]);
    assert.deepEqual(Array.from(qinq.pkt.layerOffset.subarray(1, 3)), [14, 18]);
  });

  test('MPLS label stacks carrying IPv4 and IPv6', () => {
    const two = decode(eth(0x8847, [0, 0x3e, 0x80, 64], [0, 0x06, 0x31, 64], ipTcp()));
    assertBaseTcp(two.status, two.pkt);
    assert.deepEqual(layers(two.pkt), [Layer.ETHERNET, Layer.MPLS, Layer.IPV4, Layer.TCP]);
    assert.equal(two.pkt.layerOffset[2], 22);
    const v6 = decode(eth(0x8847, [0, 0, 0x11, 64], ip6Tcp()));
    assertBaseTcp(v6.status, v6.pkt, true);
  });

  test('PPPoE session over QinQ', () => {
    const frame = eth(
      0x88a8,
      [0, 1],
      be16(0x8100),
      [0, 2],
      be16(0x8864),
      [0x11, 0, 0x0f, 0x07, 0, 0],
      be16(0x0021),
      ipTcp(),
    );
    const { status, pkt } = decode(frame);
    assertBaseTcp(status, pkt);
    assert.deepEqual(layers(pkt), [
      Layer.ETHERNET,
      Layer.VLAN,
      Layer.VLAN,
      Layer.PPPOE,
      Layer.IPV4,
      Layer.TCP,
    ]);
    assert.equal(pkt.beyondTcpdump, false);
  });

  test('802.1ah PBB (beyond tcpdump)', () => {
    const frame = eth(0x88e7, [0, 0, 0x01, 0x00], MACS, be16(0x0800), ipTcp());
    const { status, pkt } = decode(frame);
    assertBaseTcp(status, pkt);
    assert.deepEqual(layers(pkt), [Layer.ETHERNET, Layer.PBB, Layer.ETHERNET, Layer.IPV4, Layer.TCP]);
    assert.equal(pkt.beyondTcpdump, true);
  });

  test('Cisco FabricPath, plain and behind an 802.1Q tag (beyond tcpdump); a cut header is malformed', () => {
    // Outer hierarchical MACs, 0x8903, FTag/TTL, then the customer's frame and the FCS.
    const fcs = [0xde, 0xad, 0xbe, 0xef];
    const fp = eth(0x8903, [0x00, 0x7f], MACS, be16(0x0800), ipTcp(), fcs);
    const a = decode(fp);
    assertBaseTcp(a.status, a.pkt);
    assert.deepEqual(layers(a.pkt), [
      Layer.ETHERNET,
      Layer.FABRICPATH,
      Layer.ETHERNET,
      Layer.IPV4,
      Layer.TCP,
    ]);
    assert.equal(a.pkt.beyondTcpdump, true);
    const tagged = eth(0x8100, [0, 100], be16(0x8903), [0x00, 0x7f], MACS, be16(0x86dd), ip6Tcp(), fcs);
    const b = decode(tagged);
    assertBaseTcp(b.status, b.pkt, true);
    assert.deepEqual(layers(b.pkt), [
      Layer.ETHERNET,
      Layer.VLAN,
      Layer.FABRICPATH,
      Layer.ETHERNET,
      Layer.IPV6,
      Layer.TCP,
    ]);
    const cut = decode(eth(0x8903, [0x00]));
    assert.equal(cut.status, DecodeStatus.MALFORMED);
    assert.equal(cut.pkt.error, 'truncated FabricPath header');
    assert.equal(cut.pkt.errorOffset, 14);
  });

  test('802.3 with LLC/SNAP, and LLC without SNAP', () => {
    const snap = cat(MACS, be16(0), [0xaa, 0xaa, 0x03, 0, 0, 0], be16(0x0800), ipTcp());
    const a = decode(snap);
    assertBaseTcp(a.status, a.pkt);
    assert.deepEqual(layers(a.pkt), [Layer.ETHERNET, Layer.LLC_SNAP, Layer.IPV4, Layer.TCP]);
    const stp = cat(MACS, be16(38), [0x42, 0x42, 0x03], new Uint8Array(35));
    assert.equal(decode(stp).status, DecodeStatus.NOT_TCP);
  });

  test('Linux cooked captures SLL (113) and SLL2 (276)', () => {
    const sll = cat([0, 0, 0, 1, 0, 6], MACS.slice(0, 8), be16(0x0800), ipTcp());
    const a = decode(sll, 113);
    assertBaseTcp(a.status, a.pkt);
    assert.deepEqual(layers(a.pkt), [Layer.SLL, Layer.IPV4, Layer.TCP]);
    const sll2 = cat(be16(0x86dd), [0, 0], be32(3), be16(1), [4, 6], MACS.slice(0, 8), ip6Tcp());
    const b = decode(sll2, 276);
    assertBaseTcp(b.status, b.pkt, true);
    assert.deepEqual(layers(b.pkt), [Layer.SLL2, Layer.IPV6, Layer.TCP]);
  });

  test('raw IP link types 101, 12, 228 and 229', () => {
    for (const lt of [101, 12]) {
      assertBaseTcp(decode(ipTcp(), lt).status, decode(ipTcp(), lt).pkt);
      const v6 = decode(ip6Tcp(), lt);
      assertBaseTcp(v6.status, v6.pkt, true);
    }
    const v4 = decode(ipTcp(), 228);
    assertBaseTcp(v4.status, v4.pkt);
    const v6 = decode(ip6Tcp(), 229);
    assertBaseTcp(v6.status, v6.pkt, true);
    const wrong = decode(ip6Tcp(), 228);
    assert.equal(wrong.status, DecodeStatus.MALFORMED);
    assert.match(wrong.pkt.error, /version 6/);
  });

  test('BSD NULL (either byte order, every AF_INET6) and LOOP', () => {
    assertBaseTcp(decode(cat([2, 0, 0, 0], ipTcp()), 0).status, decode(cat([2, 0, 0, 0], ipTcp()), 0).pkt);
    assert.equal(decode(cat([0, 0, 0, 2], ipTcp()), 0).status, DecodeStatus.TCP);
    for (const af of [10, 24, 28, 30]) {
      const r = decode(cat([af, 0, 0, 0], ip6Tcp()), 0);
      assertBaseTcp(r.status, r.pkt, true);
    }
    const loop = decode(cat([0, 0, 0, 2], ipTcp()), 108);
    assertBaseTcp(loop.status, loop.pkt);
    assert.deepEqual(layers(loop.pkt), [Layer.NULL_LOOP, Layer.IPV4, Layer.TCP]);
    assert.equal(decode(cat([7, 0, 0, 0], ipTcp()), 0).status, DecodeStatus.NOT_TCP);
  });

  test('FDDI with LLC/SNAP', () => {
    const frame = cat([0x50], MACS, [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00], ipTcp());
    const { status, pkt } = decode(frame, 10);
    assertBaseTcp(status, pkt);
    assert.deepEqual(layers(pkt), [Layer.FDDI, Layer.LLC_SNAP, Layer.IPV4, Layer.TCP]);
  });

  test('unknown link types are noted once and skipped; non-IP ethertypes are not TCP', () => {
    const decoder = new Decoder();
    const pkt = new Packet();
    assert.equal(decoder.decode(record(ipTcp(), 147), pkt), DecodeStatus.UNSUPPORTED_LINK);
    assert.equal(decoder.decode(record(ipTcp(), 147), pkt), DecodeStatus.UNSUPPORTED_LINK);
    assert.deepEqual(decoder.notes, ['unknown link type 147: its frames are skipped']);
    assert.equal(decoder.decode(record(eth(0x0806, new Uint8Array(28))), pkt), DecodeStatus.NOT_TCP);
    const udpFrame = buildFrame({ ...BASE, link: 'ethernet', proto: 'udp' });
    assert.equal(decoder.decode(record(udpFrame), pkt), DecodeStatus.NOT_TCP);
  });
});

// ---------------------------------------------------------------- IP

describe('IPv4 and IPv6 headers', () => {
  test('IPv4 options are skipped by the header length', () => {
    const packet = ipTcp({ ipOptions: [0x94, 0x04, 0, 0, 0x01, 0x07, 7, 4, 0, 0, 0, 0] });
    const { status, pkt } = decode(packet, 101);
    assertBaseTcp(status, pkt);
    assert.equal(pkt.tcpOffset, 32);
    assert.equal(pkt.ipTotalLen, 32 + 20 + 10);
  });

  test('IPv4 header errors are MALFORMED with a reason', () => {
    const shortIhl = ipTcp();
    shortIhl[0] = 0x44;
    assert.match(decode(shortIhl, 101).pkt.error, /header length 16/);
    const shortTotal = ipTcp();
    shortTotal.set(be16(12), 2);
    assert.equal(decode(shortTotal, 101).status, DecodeStatus.MALFORMED);
  });

  test('IPv4 total length 0 (segmentation offload) takes the captured length, noted once', () => {
    const packet = ipTcp({ payload: 100 });
    packet.set([0, 0], 2);
    const { status, pkt, decoder } = decode(packet, 101);
    assert.equal(status, DecodeStatus.TCP);
    assert.equal(pkt.payloadLen, 100);
    assert.equal(decoder.notes.length, 1);
  });

  test('every IPv6 extension header is walked to TCP', () => {
    const hopByHop: [number, Bytes] = [0, [0, 1, 4, 0, 0, 0, 0]];
    const routing: [number, Bytes] = [43, [2, 0, 1, 0, 0, 0, 0, ...new Uint8Array(16)]];
    const dest: [number, Bytes] = [60, [0, 1, 4, 0, 0, 0, 0]];
    const atomicFragment: [number, Bytes] = [44, [0, 0, 0, 0, 0, 0, 9]];
    const ah: [number, Bytes] = [51, [4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, ...new Uint8Array(12)]];
    const mobility: [number, Bytes] = [135, [0, 1, 0, 0, 0, 0, 0]];
    const packet = withExtensions(ip6Tcp(), [hopByHop, routing, dest, atomicFragment, ah, mobility, dest]);
    const { status, pkt } = decode(packet, 101);
    assertBaseTcp(status, pkt, true);
    assert.deepEqual(layers(pkt), [
      Layer.RAW_IP,
      Layer.IPV6,
      ...new Array(7).fill(Layer.IPV6_EXT),
      Layer.TCP,
    ]);
    assert.equal(pkt.ipId, 9);
    assert.equal(pkt.tcpOffset, 40 + 8 + 24 + 8 + 8 + 24 + 8 + 8);
  });

  test('IPv6 with no next header, and extension headers past the payload length', () => {
    const none = withExtensions(ip6Tcp(), [[60, [0, 1, 4, 0, 0, 0, 0]]]);
    none[40] = 59;
    assert.equal(decode(none, 101).status, DecodeStatus.NOT_TCP);
    const long = withExtensions(ip6Tcp(), [[0, [200, 1, 4, 0, 0, 0, 0]]]);
    const r = decode(long, 101);
    assert.equal(r.status, DecodeStatus.MALFORMED);
    assert.match(r.pkt.error, /extension header beyond payload length/);
  });
});

// ---------------------------------------------------------------- fragments

function decodeAll(frames: Uint8Array[], opts: DecoderOptions = {}, times?: number[]) {
  const decoder = new Decoder(opts);
  const pkt = new Packet();
  const errors: string[] = [];
  const statuses = frames.map((f, i) => {
    const status = decoder.decode(record(f, 101, { tsSec: times?.[i] ?? 1000 }), pkt);
    errors.push(pkt.error);
    return status;
  });
  return { statuses, errors, pkt, decoder };
}

describe('IP fragment reassembly', () => {
  const H = DecodeStatus.FRAGMENT_HELD;
  const T = DecodeStatus.TCP;

  test('IPv4 in order: TCP decoded at the last fragment', () => {
    const whole = ipTcp({ payload: 100 });
    const { statuses, pkt } = decodeAll(fragmentV4(whole, [16, 64]));
    assert.deepEqual(statuses, [H, H, T]);
    assert.equal(pkt.reassembled, true);
    assert.equal(pkt.beyondTcpdump, true);
    assert.equal(pkt.payloadLen, 100);
    assert.equal(pkt.ipTotalLen, whole.length);
    assert.deepEqual(
      Array.from(pkt.tcpBuf.subarray(pkt.tcpOffset + 20, pkt.tcpOffset + 30)),
      Array.from(whole.subarray(40, 50)),
    );
    assert.equal(pkt.reassemblyLayer, 2);
  });

  test('IPv4 out of order and with a duplicate', () => {
    const frags = fragmentV4(ipTcp({ payload: 100 }), [24, 64]);
    const { statuses, pkt, decoder } = decodeAll([frags[2]!, frags[0]!, frags[0]!, frags[1]!]);
    assert.deepEqual(statuses, [H, H, H, T]);
    assertBaseTcp(T, pkt, false, 100);
    assert.equal(decoder.pendingFragments, 0);
  });

  test('IPv6 fragments in and out of order, with the fragment id kept', () => {
    const frags = fragmentV6(ip6Tcp({ payload: 300 }), [104, 208]);
    const inOrder = decodeAll(frags);
    assert.deepEqual(inOrder.statuses, [H, H, T]);
    assert.equal(inOrder.pkt.payloadLen, 300);
    assert.equal(inOrder.pkt.ipId, 0x1234);
    const reversed = decodeAll([...frags].reverse());
    assert.deepEqual(reversed.statuses, [H, H, T]);
    assertBaseTcp(T, reversed.pkt, true, 300);
  });

  test('IPv4 overlaps keep the first bytes; IPv6 overlaps drop the datagram (RFC 5722)', () => {
    const whole = ipTcp({ payload: 100 });
    const frags = fragmentV4(whole, [40]);
    // A middle fragment [32, 48) with other contents: its first 8 bytes overlap fragment 0, its last
    // 8 bytes arrive before fragment 1 does.
    const middle = fragmentV4(whole, [32, 48])[1]!.slice();
    middle.fill(0xee, 20);
    const v4 = decodeAll([frags[0]!, middle, frags[1]!]);
    assert.deepEqual(v4.statuses, [H, H, T]);
    const data = v4.pkt.tcpBuf;
    assert.deepEqual(Array.from(data.subarray(32, 40)), Array.from(whole.subarray(52, 60)));
    assert.deepEqual(Array.from(data.subarray(40, 48)), new Array(8).fill(0xee));
    assert.ok(v4.decoder.notes.some((n) => /overlapping IPv4/.test(n)));

    const f6 = fragmentV6(ip6Tcp({ payload: 100 }), [48]);
    const o6 = fragmentV6(ip6Tcp({ payload: 100 }), [40])[1]!;
    const v6 = decodeAll([f6[0]!, o6, f6[1]!]);
    assert.deepEqual(v6.statuses, [H, DecodeStatus.MALFORMED, H]);
    assert.equal(v6.errors[1], 'overlapping IPv6 fragment');
  });

  test('oversized datagrams (ping of death) and the maxFragmentBytes bound are rejected', () => {
    const big = ipv4(6, new Uint8Array(64), { fragOffset: 65528, more: false });
    const r = decodeAll([big]);
    assert.equal(r.statuses[0], DecodeStatus.MALFORMED);
    assert.match(r.pkt.error, /beyond/);
    const frags = fragmentV4(ipTcp({ payload: 2000 }), [1000]);
    const bounded = decodeAll(frags, { maxFragmentBytes: 1500 });
    assert.deepEqual(bounded.statuses, [H, DecodeStatus.MALFORMED]);
  });

  test('incomplete datagrams time out in capture time', () => {
    const frags = fragmentV4(ipTcp({ payload: 100 }), [48]);
    const late = decodeAll(frags, { fragmentTimeoutSec: 30 }, [1000, 1031]);
    assert.deepEqual(late.statuses, [H, H]);
    assert.ok(late.decoder.notes.some((n) => /timed out/.test(n)));
    const inTime = decodeAll(frags, { fragmentTimeoutSec: 30 }, [1000, 1029]);
    assert.deepEqual(inTime.statuses, [H, T]);
  });

  test('without reassembly: the first fragment shows its TCP header (as tcpdump), later ones are not TCP', () => {
    const frags = fragmentV4(ipTcp({ payload: 100 }), [48]);
    const { statuses } = decodeAll(frags, { reassemble: false });
    assert.deepEqual(statuses, [T, DecodeStatus.NOT_TCP]);
    const first = decode(frags[0]!, 101, { reassemble: false });
    assert.equal(first.pkt.payloadLen, 28);
  });

  test('outer fragments of a tunnel are reassembled, then decapsulated', () => {
    const inner = ipTcp({ payload: 200 });
    const gtp = cat([0x30, 0xff], be16(inner.length), be32(1), inner);
    const outer = ipv4(17, udp(2152, 2152, gtp));
    const { statuses, pkt } = decodeAll(fragmentV4(outer, [96]));
    assert.deepEqual(statuses, [H, T]);
    assertBaseTcp(T, pkt, false, 200);
  });
});

// ---------------------------------------------------------------- tunnels

describe('tunnels', () => {
  const outer4 = (proto: number, payload: Uint8Array) => eth(0x0800, ipv4(proto, payload));
  const cases: [string, Uint8Array, boolean, Layer][] = [
    ['IPv4 in IPv4', outer4(4, ipTcp()), false, Layer.IPV4],
    ['IPv6 in IPv4 (6in4)', outer4(41, ip6Tcp()), false, Layer.IPV4],
    ['IPv4 in IPv6', eth(0x86dd, ipv6(4, ipTcp())), false, Layer.IPV6],
    ['GRE IPv4', outer4(47, cat([0, 0], be16(0x0800), ipTcp())), false, Layer.GRE],
    [
      'GRE with checksum, key and sequence',
      outer4(47, cat([0xb0, 0], be16(0x0800), new Uint8Array(12), ipTcp())),
      false,
      Layer.GRE,
    ],
    ['GRE Ethernet (TEB)', outer4(47, cat([0, 0], be16(0x6558), eth(0x0800, ipTcp()))), false, Layer.GRE],
    ['GRE MPLS', outer4(47, cat([0, 0], be16(0x8847), [0, 0, 0x51, 64], ipTcp())), false, Layer.MPLS],
    [
      'PPTP enhanced GRE with PPP',
      outer4(
        47,
        cat(
          [0x30, 0x81],
          be16(0x880b),
          [0, 54, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2],
          [0xff, 0x03, 0, 0x21],
          ipTcp(),
        ),
      ),
      false,
      Layer.GRE,
    ],
    ['ERSPAN type I', outer4(47, cat([0, 0], be16(0x88be), eth(0x0800, ipTcp()))), true, Layer.ERSPAN],
    [
      'ERSPAN type II',
      outer4(47, cat([0x10, 0], be16(0x88be), be32(1), [0x10, 0, 0, 1, 0, 0, 0, 0], eth(0x0800, ipTcp()))),
      true,
      Layer.ERSPAN,
    ],
    [
      'ERSPAN type III',
      outer4(
        47,
        cat([0x10, 0], be16(0x22eb), be32(1), [0x20, 0, 0, 1], new Uint8Array(8), eth(0x86dd, ip6Tcp())),
      ),
      true,
      Layer.ERSPAN,
    ],
    [
      'VXLAN',
      outer4(17, udp(50000, 4789, cat([0x08, 0, 0, 0, 0, 0, 5, 0], eth(0x0800, ipTcp())))),
      false,
      Layer.VXLAN,
    ],
    [
      'Geneve with options',
      outer4(
        17,
        udp(50000, 6081, cat([0x01, 0], be16(0x6558), [0, 0, 5, 0], [1, 2, 3, 4], eth(0x0800, ipTcp()))),
      ),
      false,
      Layer.GENEVE,
    ],
    ['GTP-U', outer4(17, udp(2152, 2152, cat([0x30, 0xff], be16(50), be32(7), ipTcp()))), true, Layer.GTPU],
    [
      'GTP-U with an extension header',
      outer4(
        17,
        udp(2152, 2152, cat([0x34, 0xff], be16(58), be32(7), [0, 0, 0, 0x85], [1, 0x10, 1, 0], ipTcp())),
      ),
      true,
      Layer.GTPU,
    ],
    ['Teredo', outer4(17, udp(3544, 40000, ip6Tcp())), true, Layer.TEREDO],
    [
      'Teredo with origin indication',
      outer4(17, udp(3544, 40000, cat([0, 0, 0x12, 0x34, 1, 2, 3, 4], ip6Tcp()))),
      true,
      Layer.TEREDO,
    ],
  ];
  for (const [name, frame, beyond, layer] of cases) {
    test(name, () => {
      const { status, pkt } = decode(frame);
      assertBaseTcp(status, pkt, srcIp(pkt).includes(':'));
      assert.equal(pkt.beyondTcpdump, beyond, 'beyondTcpdump');
      assert.ok(layers(pkt).includes(layer), `layers ${layers(pkt)}`);
    });
  }

  test('UDP on tunnel ports that is not a tunnel is not TCP', () => {
    const bubble = decode(eth(0x0800, ipv4(17, udp(3544, 40000, ip6Tcp().subarray(0, 40)))));
    assert.equal(bubble.status, DecodeStatus.NOT_TCP);
    const gtpc = decode(
      eth(0x0800, ipv4(17, udp(2152, 2152, cat([0x32, 0x01], be16(4), be32(0), [0, 1, 0, 0])))),
    );
    assert.equal(gtpc.status, DecodeStatus.NOT_TCP);
  });

  test('nesting: 1000 IP-in-IP layers decode, as tcpdump decodes them; past MAX_LAYERS, malformed', () => {
    let p: Uint8Array = ipTcp();
    for (let i = 0; i < 1000; i++) p = ipv4(4, p);
    const deep = decode(p, 101);
    assert.equal(deep.status, DecodeStatus.TCP);
    assert.equal(deep.pkt.layerCount, 1 + 1001 + 1); // raw IP, the IP headers, TCP
    // 802.1Q tags take 4 bytes each: enough of them pass the one limit.
    const tags = MAX_LAYERS + 1;
    const inner = ipTcp();
    const frame = new Uint8Array(14 + 4 * tags + inner.length);
    const v = new DataView(frame.buffer);
    for (let i = 0; i <= tags; i++) v.setUint16(12 + 4 * i, i < tags ? 0x8100 : 0x0800);
    frame.set(inner, 14 + 4 * tags);
    const { status, pkt } = decode(frame, 1);
    assert.equal(status, DecodeStatus.MALFORMED);
    assert.match(pkt.error, new RegExp(`nested deeper than ${MAX_LAYERS} layers`));
  });
});

// ---------------------------------------------------------------- truncation and TCP header errors

describe('truncation and TCP header errors', () => {
  const full = buildFrame({ ...BASE, link: 'ethernet', timestamp: [5, 6], payload: 100 });
  const cut = (n: number) => decode(full.subarray(0, n), 1);
  const cutRec = (n: number) => {
    const decoder = new Decoder({ verifyChecksums: true });
    const pkt = new Packet();
    const status = decoder.decode(record(full.subarray(0, n), 1, { origLen: full.length }), pkt);
    return { status, pkt };
  };

  test('a snaplen cut in the payload: TCP, truncated, payload length from IP', () => {
    const { status, pkt } = cutRec(80);
    assert.equal(status, DecodeStatus.TCP);
    assert.equal(pkt.truncated, true);
    assert.equal(pkt.payloadLen, 100);
    assert.equal(pkt.tcpCaptured, 80 - 34);
    assert.equal(pkt.checksumStatus, 'partial');
    assert.deepEqual([pkt.hasTimestamp, pkt.tsVal], [true, 5]);
  });

  test('a cut inside the options keeps the options before it', () => {
    const { status, pkt } = cut(34 + 20 + 4);
    assert.equal(status, DecodeStatus.TCP);
    assert.equal(pkt.truncated, true);
    assert.equal(pkt.hasTimestamp, false);
    assert.equal(pkt.optionsMalformed, false);
  });

  test('a cut inside the first 20 TCP bytes is MALFORMED (tcpdump: [|tcp]) with ports kept', () => {
    const { status, pkt } = cutRec(34 + 10);
    assert.equal(status, DecodeStatus.MALFORMED);
    assert.equal(pkt.truncated, true);
    assert.match(pkt.error, /truncated TCP header/);
    assert.deepEqual([pkt.srcPort, pkt.dstPort], [40000, 80]);
    const none = cutRec(34 + 2);
    assert.equal(none.status, DecodeStatus.MALFORMED);
    assert.equal(none.pkt.srcPort, 0);
  });

  test('cuts inside the IP and link headers are MALFORMED and truncated, never thrown', () => {
    for (let n = 0; n < 34; n++) {
      const { status, pkt } = cutRec(n);
      assert.equal(status, DecodeStatus.MALFORMED, `cut at ${n}`);
      assert.equal(pkt.truncated, true);
    }
  });

  test('bad TCP data offsets', () => {
    const low = ipTcp();
    low[32] = 0x40;
    assert.match(decode(low, 101).pkt.error, /bad TCP header length 16/);
    const high = ipTcp({ payload: 0 });
    high[32] = 0xf0;
    assert.match(decode(high, 101).pkt.error, /bad TCP header length 60 \(> 20/);
  });

  test('an IP datagram too short for a TCP header', () => {
    const p = ipTcp({ payload: 0 }).slice();
    p.set(be16(30), 2);
    const { status, pkt } = decode(p, 101);
    assert.equal(status, DecodeStatus.MALFORMED);
    assert.match(pkt.error, /leaves 10/);
  });

  test('the AE (formerly NS) bit is flag 0x100', () => {
    const p = ipTcp();
    p[32] |= 0x01;
    assert.equal(decode(p, 101).pkt.flags, PSH | ACK | AE);
  });
});

// ---------------------------------------------------------------- TCP options

describe('TCP options', () => {
  test('SACK blocks, EOL and the JSON list', () => {
    const p = ipTcp({
      timestamp: [1, 2],
      sack: [
        [100, 200],
        [300, 400],
      ],
    });
    const { pkt } = decode(p, 101);
    assert.equal(pkt.sackCount, 2);
    assert.deepEqual(Array.from(pkt.sackBlocks.subarray(0, 4)), [100, 200, 300, 400]);
    assert.deepEqual(tcpOptions(pkt), [
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'ts', val: 1, ecr: 2 },
      { kind: 'nop' },
      { kind: 'nop' },
      {
        kind: 'sack',
        blocks: [
          [100, 200],
          [300, 400],
        ],
      },
    ]);
  });

  test('MSS, wscale, sackOK, TFO (kind 34 and experimental 254), MPTCP, unknown, EOL', () => {
    const raw = [
      2, 4, 5, 0xb4, 3, 3, 8, 4, 2, 34, 6, 0xde, 0xad, 0xbe, 0xef, 254, 6, 0xf9, 0x89, 1, 2, 30, 4, 0x21,
      0x05, 77, 3, 9, 0,
    ];
    const { status, pkt } = decode(ipTcp({ flags: 'S', rawOptions: raw }), 101);
    assert.equal(status, DecodeStatus.TCP);
    assert.deepEqual(
      [pkt.mss, pkt.wscale, pkt.sackPermitted, pkt.tfoCookieLen, pkt.mptcp, pkt.unknownOptions],
      [1460, 8, true, 2, true, 1],
    );
    assert.equal(pkt.optionsMalformed, false);
    assert.deepEqual(tcpOptions(pkt), [
      { kind: 'mss', value: 1460 },
      { kind: 'ws', shift: 8 },
      { kind: 'sackOK' },
      { kind: 'tfo', cookie: 'deadbeef' },
      { kind: 'tfo', cookie: '0102' },
      { kind: 'mptcp', subtype: 'dss', data: '2105' },
      { kind: 'unknown', type: 77, data: '09' },
      { kind: 'eol' },
    ]);
  });

  test('a TFO cookie request has an empty cookie', () => {
    const { pkt } = decode(ipTcp({ flags: 'S', rawOptions: [34, 2] }), 101);
    assert.equal(pkt.tfoCookieLen, 0);
    assert.deepEqual(tcpOptions(pkt)[0], { kind: 'tfo', cookie: '' });
  });

  test('malformed options are flagged, earlier ones kept, the packet still TCP', () => {
    const zeroLen = decode(ipTcp({ rawOptions: [2, 4, 1, 0, 8, 0, 1, 1] }), 101);
    assert.equal(zeroLen.status, DecodeStatus.TCP);
    assert.equal(zeroLen.pkt.optionsMalformed, true);
    assert.equal(zeroLen.pkt.mss, 256);
    assert.deepEqual(tcpOptions(zeroLen.pkt).at(-1), { kind: 'malformed', type: 8, data: '08000101' });

    const pastHeader = decode(ipTcp({ rawOptions: [1, 1, 8, 10, 0, 0, 0, 1] }), 101);
    assert.equal(pastHeader.pkt.optionsMalformed, true);
    assert.equal(pastHeader.pkt.hasTimestamp, false);

    const badMssLen = decode(ipTcp({ rawOptions: [2, 3, 1, 1] }), 101);
    assert.equal(badMssLen.pkt.optionsMalformed, true);
    assert.equal(badMssLen.pkt.mss, -1);
    assert.deepEqual(tcpOptions(badMssLen.pkt)[0], { kind: 'malformed', type: 2, data: '020301' });

    const oddSack = decode(ipTcp({ rawOptions: [5, 6, 0, 0, 0, 1, 0, 0] }), 101);
    assert.equal(oddSack.pkt.optionsMalformed, true);
    assert.equal(oddSack.pkt.sackCount, 0);
  });
});

// ---------------------------------------------------------------- checksums

describe('checksum verification', () => {
  for (const [name, spec] of [
    ['IPv4', BASE],
    ['IPv6', BASE6],
  ] as const) {
    test(`${name}: good and bad`, () => {
      const good = decode(buildFrame({ ...spec, link: 'ethernet', payload: 33 }), 1, {
        verifyChecksums: true,
      });
      assert.equal(good.pkt.checksumStatus, 'good');
      const bad = decode(buildFrame({ ...spec, link: 'ethernet', payload: 33, badChecksum: true }), 1, {
        verifyChecksums: true,
      });
      assert.equal(bad.status, DecodeStatus.TCP);
      assert.equal(bad.pkt.checksumStatus, 'bad');
      const off = decode(buildFrame({ ...spec, link: 'ethernet', badChecksum: true }));
      assert.equal(off.pkt.checksumStatus, 'unverified');
    });
  }

  test('IPv6 with a routing header: the pseudo-header uses the final destination (RFC 8200 §8.1)', () => {
    // The sender checksummed for 2001:db8::99, the address the routing header still has to visit.
    const sent = ip6Tcp({ dst: '2001:db8::99' });
    const finalDst = Array.from(sent.subarray(24, 40));
    const inFlight = withExtensions(sent, [[43, [2, 2, 1, 0, 0, 0, 0, ...finalDst]]]);
    inFlight.set(ip6Tcp().subarray(24, 40), 24);
    const routed = decode(inFlight, 101, { verifyChecksums: true });
    assert.equal(dstIp(routed.pkt), '2001:db8::2');
    assert.equal(routed.pkt.checksumStatus, 'good');
    inFlight[40 + 3] = 0; // no segments left: the header's destination is final, and wrong
    assert.equal(decode(inFlight, 101, { verifyChecksums: true }).pkt.checksumStatus, 'bad');
  });

  test('a reassembled datagram is verified whole', () => {
    const decoder = new Decoder({ verifyChecksums: true });
    const pkt = new Packet();
    let status = DecodeStatus.NOT_TCP;
    for (const f of fragmentV6(ip6Tcp({ payload: 200 }), [96])) status = decoder.decode(record(f, 101), pkt);
    assert.equal(status, DecodeStatus.TCP);
    assert.equal(pkt.checksumStatus, 'good');
  });
});

// ---------------------------------------------------------------- the corpus against tshark and tcpdump

interface OurFrame {
  status: DecodeStatus;
  fields: string;
  beyondTcpdump: boolean;
}

function decodeFile(path: string): OurFrame[] {
  const out: OurFrame[] = [];
  forEachDecoded(new Uint8Array(readFileSync(path)), {}, (pkt, status) => {
    const fields =
      status === DecodeStatus.TCP
        ? [
            srcIp(pkt),
            pkt.srcPort,
            dstIp(pkt),
            pkt.dstPort,
            pkt.seq,
            pkt.ack,
            pkt.flags,
            pkt.window,
            pkt.payloadLen,
          ].join(' ')
        : '-';
    out.push({ status, fields, beyondTcpdump: pkt.beyondTcpdump });
  });
  return out;
}

const captures = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => /\.pcap(ng)?$/.test(n))
        .sort()
        .map((n) => join(dir, n))
    : [];

/**
 * Known, explained disagreements with tshark. pppoe-over-qinq: the PPPoE length field says the
 * IP datagram is 6 bytes shorter than its own total length (the frame holds all of it); tshark
 * honours the PPPoE length (tcp.len 0), tcpdump and Zeek the IP length (6), as do we.
 */
const TSHARK_EXCEPTIONS = new Set([19, 33, 41, 47, 63, 81].map((f) => `pppoe-over-qinq.pcap#${f}`));

describe('corpus agreement', () => {
  for (const dir of [ZEEK_CORPUS, SURICATA_CORPUS]) {
    test(`${basename(dir)}: (addresses, ports, seq, ack, flags, window, length) as tshark for every frame`, (t) => {
      const files = captures(dir);
      if (!haveTool('tshark') || !haveTool('mergecap')) return t.skip('tshark/mergecap not installed');
      const ours = files.map(decodeFile);
      const theirs = tsharkTcpFields(
        files,
        ours.map((o) => o.length),
      );
      let agree = 0;
      let total = 0;
      let excepted = 0;
      const mismatches: string[] = [];
      for (let i = 0; i < files.length; i++) {
        for (let j = 0; j < ours[i]!.length; j++) {
          const th = theirs[i]![j]!;
          const expected = th.tcp
            ? [th.src, th.srcPort, th.dst, th.dstPort, th.seq, th.ack, th.flags, th.window, th.len].join(' ')
            : '-';
          total++;
          const where = `${basename(files[i]!)}#${j + 1}`;
          if (expected === ours[i]![j]!.fields) agree++;
          else if (TSHARK_EXCEPTIONS.has(where)) excepted++;
          else mismatches.push(`${where}: ours ${ours[i]![j]!.fields} tshark ${expected}`);
        }
      }
      t.diagnostic(
        `${basename(dir)}: ${agree}/${total} frames agree with tshark (${excepted} known exceptions)`,
      );
      assert.deepEqual(mismatches, []);
    });
  }

  test('frames tcpdump shows with a TCP header are exactly those not marked beyondTcpdump', (t) => {
    const names = [
      'teredo-tunnel.pcap',
      'gtp-tunnel-s3.pcap',
      'pbb-8021ah.pcap',
      'mpls-in-vlan.pcap',
      'pppoe-over-qinq.pcap',
      'vlan-mpls-mixed.pcap',
      'llc-fddi-rst-only.pcap',
      'tcp-syslog-rawip.pcap',
      'http-connect-null-dlt.pcap',
      'irc-starttls-sll.pcap',
      'tcp-http-padding.pcap',
    ];
    const files = names.map((n) => join(ZEEK_CORPUS, n)).filter(existsSync);
    if (!haveTool('tcpdump')) return t.skip('tcpdump not installed');
    let frames = 0;
    let beyond = 0;
    for (const file of files) {
      const text = execFileSync('tcpdump', ['-n', '-tt', '-r', file], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString();
      // One frame per line starting with a timestamp; VXLAN and friends continue on the next line.
      const shown: boolean[] = [];
      for (const line of text.split('\n')) {
        if (/^\d+\.\d{6} /.test(line)) shown.push(/Flags \[|\[\|tcp\]/.test(line));
        else if (line !== '' && shown.length > 0 && /Flags \[/.test(line)) shown[shown.length - 1] = true;
      }
      const ours = decodeFile(file);
      assert.equal(shown.length, ours.length, `${file}: frame count`);
      for (let i = 0; i < ours.length; i++) {
        const o = ours[i]!;
        const weShowLikeTcpdump = o.status === DecodeStatus.TCP && !o.beyondTcpdump;
        // Held first fragments: tcpdump shows their TCP header; we decode at the last fragment.
        if (o.status === DecodeStatus.FRAGMENT_HELD) continue;
        assert.equal(weShowLikeTcpdump, shown[i], `${basename(file)} frame ${i + 1}`);
        frames++;
        if (o.beyondTcpdump) beyond++;
      }
    }
    t.diagnostic(`${frames} frames checked against tcpdump, ${beyond} with TCP beyond tcpdump`);
  });
});
