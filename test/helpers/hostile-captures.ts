// Hostile captures, generated (issue 14): the shapes an attacker or a broken capture tool hands a
// packet analyser. Far-future, negative, backwards and ≥ 2^31 s timestamps; pcapng interfaces with
// if_tsresol 0 and if_tsoffset ±2^62; caplen extremes; pcapng block lengths that lie; thousands of
// interfaces and sections; tunnels nested past any sane depth (GRE, IP-in-IP, IPv6 extension
// headers); fragment floods; SYN floods from many sources; one host with many sockets. Each maker
// takes a size so CI runs them small (test/hostile.test.ts) and scripts/hostile-bench.ts runs them
// at 10^5–10^6. Deterministic, pure bytes.

import { buildFrame, type FrameSpec } from '../../src/wire/build.js';
import { ipv4HeaderChecksum } from '../../src/wire/checksum.js';
import { PcapWriter, writtenBytes } from '../../src/wire/pcap-writer.js';

export interface HostileCapture {
  name: string;
  bytes: Uint8Array;
  /** What the capture attacks, for reports. */
  what: string;
}

const T0 = 1_700_000_000;

// ---------------------------------------------------------------- raw pcap and pcapng blocks

/**
 * A classic little-endian pcap from raw records (caplen and origLen as given, even when they lie);
 * µs, or ns with `nano` (then `usec` holds the nanoseconds field).
 */
export function rawPcap(
  records: { sec: number; usec: number; data: Uint8Array; caplen?: number; origLen?: number }[],
  snaplen = 262144,
  linktype = 1,
  nano = false,
): Uint8Array {
  let size = 24;
  for (const r of records) size += 16 + r.data.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, nano ? 0xa1b23c4d : 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, snaplen >>> 0, true);
  v.setUint32(20, linktype, true);
  let o = 24;
  for (const r of records) {
    v.setUint32(o, r.sec >>> 0, true);
    v.setUint32(o + 4, r.usec >>> 0, true);
    v.setUint32(o + 8, (r.caplen ?? r.data.length) >>> 0, true);
    v.setUint32(o + 12, (r.origLen ?? r.data.length) >>> 0, true);
    out.set(r.data, o + 16);
    o += 16 + r.data.length;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A little-endian pcapng block: type, body (padded to 4), lengths; `lie` overrides the length fields. */
function block(type: number, body: Uint8Array, lie?: { first?: number; last?: number }): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const len = 12 + padded;
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, (lie?.first ?? len) >>> 0, true);
  out.set(body, 8);
  v.setUint32(len - 4, (lie?.last ?? len) >>> 0, true);
  return out;
}

export function shb(): Uint8Array {
  const body = new Uint8Array(16);
  const v = new DataView(body.buffer);
  v.setUint32(0, 0x1a2b3c4d, true);
  v.setUint16(4, 1, true);
  v.setInt32(8, -1, true);
  v.setInt32(12, -1, true);
  return block(0x0a0d0d0a, body);
}

/** An IDB with optional if_tsresol (raw byte) and if_tsoffset (signed 64-bit seconds). */
export function idb(linktype = 1, opts: { tsresol?: number; tsoffset?: bigint } = {}): Uint8Array {
  const parts: number[] = [];
  const opt = (code: number, value: Uint8Array) => {
    parts.push(code & 0xff, code >> 8, value.length & 0xff, value.length >> 8, ...value);
    while (parts.length % 4 !== 0) parts.push(0);
  };
  if (opts.tsresol !== undefined) opt(9, new Uint8Array([opts.tsresol]));
  if (opts.tsoffset !== undefined) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, opts.tsoffset, true);
    opt(14, b);
  }
  if (parts.length > 0) parts.push(0, 0, 0, 0);
  const body = new Uint8Array(8 + parts.length);
  const v = new DataView(body.buffer);
  v.setUint16(0, linktype, true);
  v.setUint32(4, 0, true);
  body.set(parts, 8);
  return block(1, body);
}

/** An EPB with a 64-bit timestamp in the interface's units. */
export function epb(iface: number, ts: bigint, data: Uint8Array, caplen?: number): Uint8Array {
  const body = new Uint8Array(20 + data.length);
  const v = new DataView(body.buffer);
  v.setUint32(0, iface, true);
  v.setUint32(4, Number((ts >> 32n) & 0xffffffffn), true);
  v.setUint32(8, Number(ts & 0xffffffffn), true);
  v.setUint32(12, (caplen ?? data.length) >>> 0, true);
  v.setUint32(16, data.length, true);
  body.set(data, 20);
  return block(6, body);
}

// ---------------------------------------------------------------- frames

function syn(i: number, src = '10.1.0.1', dst = '10.0.0.1', dport = 80): Uint8Array {
  return buildFrame({ src, dst, srcPort: 1024 + (i % 60000), dstPort: dport, seq: i * 7919, flags: 'S' });
}

function synAck(i: number, src = '10.1.0.1', dst = '10.0.0.1', dport = 80): Uint8Array {
  return buildFrame({
    src: dst,
    dst: src,
    srcPort: dport,
    dstPort: 1024 + (i % 60000),
    seq: 5000,
    ack: i * 7919 + 1,
    flags: 'S.',
  });
}

/** A short conversation (handshake, data, FIN teardown) as frames. */
function conversation(): FrameSpec[] {
  const c = { src: '10.1.0.1', dst: '10.0.0.1', srcPort: 40000, dstPort: 80 };
  const s = { src: '10.0.0.1', dst: '10.1.0.1', srcPort: 80, dstPort: 40000 };
  return [
    { ...c, seq: 100, flags: 'S' },
    { ...s, seq: 900, ack: 101, flags: 'S.' },
    { ...c, seq: 101, ack: 901, flags: '.' },
    { ...c, seq: 101, ack: 901, flags: 'P.', payload: 20 },
    { ...s, seq: 901, ack: 121, flags: 'F.' },
    { ...c, seq: 121, ack: 902, flags: 'F.' },
    { ...s, seq: 902, ack: 122, flags: '.' },
  ];
}

/** An IPv4 header (20 bytes) carrying `payload` with protocol `proto`. */
function ipv4(proto: number, payload: Uint8Array, src = [192, 0, 2, 1], dst = [192, 0, 2, 2]): Uint8Array {
  const out = new Uint8Array(20 + payload.length);
  const v = new DataView(out.buffer);
  out[0] = 0x45;
  v.setUint16(2, Math.min(out.length, 0xffff));
  out[8] = 64;
  out[9] = proto;
  out.set(src, 12);
  out.set(dst, 16);
  v.setUint16(10, ipv4HeaderChecksum(out, 0));
  out.set(payload, 20);
  return out;
}

function ethernet(ethertype: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + payload.length);
  out.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  new DataView(out.buffer).setUint16(12, ethertype);
  out.set(payload, 14);
  return out;
}

/** The TCP/IPv4 packet of `spec` (no link header). */
function rawIp(spec: FrameSpec): Uint8Array {
  return buildFrame({ ...spec, link: 'raw' });
}

/** `depth` IP-in-IP (protocol 4) headers around the packet. */
export function ipInIp(inner: Uint8Array, depth: number): Uint8Array {
  let p = inner;
  for (let i = 0; i < depth; i++) p = ipv4(4, p, [192, 0, 2, (i % 250) + 1], [198, 51, 100, (i % 250) + 1]);
  return ethernet(0x0800, p);
}

/** `depth` GRE (RFC 2784, protocol 47, no options) over IPv4 layers around the packet. */
export function greNest(inner: Uint8Array, depth: number): Uint8Array {
  let p = inner;
  for (let i = 0; i < depth; i++) {
    const gre = new Uint8Array(4 + p.length);
    new DataView(gre.buffer).setUint16(2, 0x0800);
    gre.set(p, 4);
    p = ipv4(47, gre, [192, 0, 2, (i % 250) + 1], [198, 51, 100, (i % 250) + 1]);
  }
  return ethernet(0x0800, p);
}

/** An IPv6 TCP packet behind `count` 8-byte Destination Options extension headers (RFC 8200 §4.6). */
export function ipv6ExtChain(count: number, spec: FrameSpec): Uint8Array {
  const inner = buildFrame({ ...spec, link: 'raw' }); // IPv6 header + TCP
  const tcp = inner.subarray(40);
  const ext = new Uint8Array(8 * count);
  for (let i = 0; i < count; i++) {
    ext[8 * i] = i + 1 < count ? 60 : 6; // next header
    ext[8 * i + 1] = 0; // length in 8-octet units, not counting the first 8
    ext[8 * i + 2] = 1; // PadN option filling the rest
    ext[8 * i + 3] = 4;
  }
  const ip = new Uint8Array(40 + ext.length + tcp.length);
  ip.set(inner.subarray(0, 40), 0);
  const v = new DataView(ip.buffer);
  v.setUint16(4, ext.length + tcp.length);
  ip[6] = count > 0 ? 60 : 6;
  ip.set(ext, 40);
  ip.set(tcp, 40 + ext.length);
  return ethernet(0x86dd, ip);
}

/** One SYN per depth, nested by `kind`, a second apart (pcap). */
export function depthSweep(kind: 'gre' | 'ipip' | 'ipv6-ext', depths: readonly number[]): Uint8Array {
  const frames = depths.map((d, i) => {
    const data =
      kind === 'ipv6-ext'
        ? ipv6ExtChain(d, {
            src: 'fd00::1',
            dst: 'fd00::2',
            srcPort: 3000 + i,
            dstPort: 443,
            seq: d,
            flags: 'S',
          })
        : (kind === 'gre' ? greNest : ipInIp)(
            rawIp({ src: '10.9.0.1', dst: '10.9.0.2', srcPort: 2000 + i, dstPort: 80, seq: d, flags: 'S' }),
            d,
          );
    return { sec: T0 + i, usec: 0, data };
  });
  return rawPcap(frames);
}

/** A pcapng frame of `tags` stacked 802.1Q tags around a SYN (past any nesting limit when large). */
export function vlanStack(tags: number): Uint8Array {
  const ip = rawIp({ src: '10.8.0.1', dst: '10.8.0.2', srcPort: 999, dstPort: 80, flags: 'S' });
  const frame = new Uint8Array(14 + 4 * tags + ip.length);
  const v = new DataView(frame.buffer);
  for (let i = 0; i < tags; i++) {
    v.setUint16(12 + 4 * i, 0x8100);
    v.setUint16(14 + 4 * i, (i % 4094) + 1);
  }
  v.setUint16(12 + 4 * tags, 0x0800);
  frame.set(ip, 14 + 4 * tags);
  const ok = buildFrame({ src: '10.8.0.1', dst: '10.8.0.2', srcPort: 998, dstPort: 80, flags: 'S' });
  return concat([
    shb(),
    idb(1),
    epb(0, BigInt(T0) * 1_000_000n, ok),
    epb(0, BigInt(T0 + 1) * 1_000_000n, frame),
  ]);
}

// ---------------------------------------------------------------- the hostile set

function pcapOf(frames: { sec: number; usec: number; data: Uint8Array }[]): Uint8Array {
  return rawPcap(frames);
}

/** Every frame of `specs` at one-millisecond steps from `sec`. */
function timed(specs: FrameSpec[], sec = T0): { sec: number; usec: number; data: Uint8Array }[] {
  return specs.map((s, i) => ({
    sec: sec + Math.floor(i / 1000),
    usec: (i % 1000) * 1000,
    data: buildFrame(s),
  }));
}

export interface HostileSizes {
  /** Sources of the SYN flood (10^5–10^6 in the bench). */
  synFlood: number;
  /** Sockets of the one busy host. */
  hostSockets: number;
  /** Interfaces and sections of the pcapng stress files. */
  interfaces: number;
  sections: number;
  /** Fragments in the flood. */
  fragments: number;
  /** Deepest nesting in the depth sweeps. */
  maxDepth: number;
}

export const SMALL: HostileSizes = {
  synFlood: 3000,
  hostSockets: 3000,
  interfaces: 2000,
  sections: 1000,
  fragments: 5000,
  maxDepth: 40,
};

export const BIG: HostileSizes = {
  synFlood: 1_000_000,
  hostSockets: 150_000,
  interfaces: 50_000,
  sections: 20_000,
  fragments: 200_000,
  maxDepth: 200,
};

/** The hostile captures at `sizes`. */
export function hostileCaptures(sizes: HostileSizes = SMALL): HostileCapture[] {
  const out: HostileCapture[] = [];
  const add = (name: string, what: string, bytes: Uint8Array) => out.push({ name, what, bytes });
  const conv = conversation().map((s) => buildFrame(s));

  // Timestamps.
  add(
    'pcapng-tsresol0-far-future',
    'if_tsresol 0 (seconds) and a timestamp near 2^64 s',
    concat([
      shb(),
      idb(1, { tsresol: 0 }),
      ...conv.map((f, i) => epb(0, 0xffffffff_fffff000n + BigInt(i), f)),
    ]),
  );
  add(
    'pcapng-tsoffset-2^62',
    'if_tsoffset 2^62 seconds',
    concat([shb(), idb(1, { tsoffset: 1n << 62n }), ...conv.map((f, i) => epb(0, BigInt(i) * 1000n, f))]),
  );
  add(
    'pcapng-tsoffset-negative',
    'if_tsoffset -2^62 seconds',
    concat([shb(), idb(1, { tsoffset: -(1n << 62n) }), ...conv.map((f, i) => epb(0, BigInt(i) * 1000n, f))]),
  );
  add(
    'pcapng-tsresol-2^-127',
    'if_tsresol 0xff (2^-127 s units) with the largest timestamps',
    concat([
      shb(),
      idb(1, { tsresol: 0xff }),
      ...conv.map((f, i) => epb(0, 0xffffffff_ffffffffn - BigInt(i), f)),
    ]),
  );
  add(
    'pcap-ts-2^31',
    'seconds ≥ 2^31 (tcpdump: [Error converting time]) up to 2^32 − 1',
    pcapOf(conv.map((data, i) => ({ sec: i < 4 ? 0x80000000 + i : 0xffffffff, usec: 999_999, data }))),
  );
  add(
    'pcap-ts-backwards',
    'timestamps going backwards within connections',
    pcapOf(conv.map((data, i) => ({ sec: T0 - i * 100, usec: 0, data }))),
  );
  add(
    'pcap-usec-overflow',
    'microseconds ≥ 10^6 and 0xffffffff',
    pcapOf(conv.map((data, i) => ({ sec: T0, usec: i % 2 ? 0xffffffff : 1_000_000 + i, data }))),
  );
  add(
    'pcap-nsec-overflow',
    'a nanosecond pcap with fractions ≥ 10^9, ≥ 2^31 and 0xffffffff',
    rawPcap(
      conv.map((data, i) => ({
        sec: T0,
        usec: [1_500_000_000, 0xffffffff, 3_000_000_000, 999_999_999][i % 4]!,
        data,
      })),
      262144,
      1,
      true,
    ),
  );

  // Lengths.
  add(
    'pcap-caplen-extremes',
    'caplen 0, origLen 0, origLen < caplen, origLen 2^32 − 1, snaplen 0',
    rawPcap(
      [
        { sec: T0, usec: 0, data: new Uint8Array(0) },
        { sec: T0, usec: 1, data: conv[0]!, origLen: 0 },
        { sec: T0, usec: 2, data: conv[1]!, origLen: 10 },
        { sec: T0, usec: 3, data: conv[2]!, origLen: 0xffffffff },
        { sec: T0, usec: 4, data: conv[3]!.subarray(0, 14) },
        { sec: T0, usec: 5, data: conv[4]!.subarray(0, 34) },
      ],
      0,
    ),
  );
  add(
    'pcap-caplen-huge',
    'a record claiming caplen 2^32 − 1',
    rawPcap([
      { sec: T0, usec: 0, data: conv[0]! },
      { sec: T0, usec: 1, data: conv[1]!, caplen: 0xffffffff },
    ]),
  );
  add(
    'pcapng-block-length-lies',
    'an EPB whose two length fields disagree, then one of length 0xfffffff0',
    concat([
      shb(),
      idb(1),
      epb(0, 1n, conv[0]!),
      block(6, new Uint8Array(24), { last: 12 }),
      block(6, new Uint8Array(24), { first: 0xfffffff0 }),
    ]),
  );
  add(
    'pcapng-epb-caplen-past-block',
    'an EPB whose caplen runs past its block',
    concat([shb(), idb(1), epb(0, 1n, conv[0]!, 5000), epb(0, 2n, conv[1]!)]),
  );
  {
    const parts = [shb()];
    for (let i = 0; i < sizes.interfaces; i++) parts.push(idb(i % 3 === 0 ? 1 : 101));
    for (let i = 0; i < conv.length; i++)
      parts.push(epb(sizes.interfaces - 1 - (i % 3) * 3, BigInt(T0 + i) * 1_000_000n, conv[i]!));
    add('pcapng-many-interfaces', `${sizes.interfaces} interfaces, packets on the last`, concat(parts));
  }
  {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < sizes.sections; i++) {
      parts.push(shb(), idb(1), epb(0, BigInt(T0) * 1_000_000n + BigInt(i), conv[i % conv.length]!));
    }
    add(
      'pcapng-many-sections',
      `${sizes.sections} sections of one interface and one packet each`,
      concat(parts),
    );
  }

  // Nesting depth sweeps: each depth once, a SYN then a SYN+ACK inside.
  const inner = (i: number, flags: string) =>
    rawIp({
      src: '10.9.0.1',
      dst: '10.9.0.2',
      srcPort: 2000 + i,
      dstPort: 80,
      seq: i,
      ack: flags === 'S.' ? i + 1 : 0,
      flags,
    });
  const sweep = (wrap: (p: Uint8Array, d: number) => Uint8Array) => {
    const frames: { sec: number; usec: number; data: Uint8Array }[] = [];
    for (let d = 0; d <= sizes.maxDepth; d++) {
      frames.push({ sec: T0 + d, usec: 0, data: wrap(inner(d, 'S'), d) });
    }
    return pcapOf(frames);
  };
  add('gre-depth-sweep', `GRE nested 0..${sizes.maxDepth} deep`, sweep(greNest));
  add('ipip-depth-sweep', `IP-in-IP nested 0..${sizes.maxDepth} deep`, sweep(ipInIp));
  {
    const frames: { sec: number; usec: number; data: Uint8Array }[] = [];
    for (let n = 0; n <= sizes.maxDepth; n++) {
      frames.push({
        sec: T0 + n,
        usec: 0,
        data: ipv6ExtChain(n, {
          src: 'fd00::1',
          dst: 'fd00::2',
          srcPort: 3000 + n,
          dstPort: 443,
          seq: n,
          flags: 'S',
        }),
      });
    }
    add('ipv6-ext-sweep', `IPv6 with 0..${sizes.maxDepth} extension headers`, pcapOf(frames));
  }

  // Fragment flood: first fragments of distinct datagrams that never complete, then overlaps.
  {
    const frames: { sec: number; usec: number; data: Uint8Array }[] = [];
    const tcp = rawIp({
      src: '10.7.0.1',
      dst: '10.7.0.2',
      srcPort: 5555,
      dstPort: 80,
      flags: 'P.',
      payload: 64,
    });
    for (let i = 0; i < sizes.fragments; i++) {
      const frag = tcp.slice(0, 20 + 24);
      const v = new DataView(frag.buffer);
      v.setUint16(2, frag.length);
      v.setUint16(4, i & 0xffff);
      v.setUint16(6, 0x2000 | (i % 7 === 0 ? 1 : 0)); // MF, sometimes an offset: overlaps
      frag[12] = 10;
      frag[13] = 7;
      frag[14] = (i >> 16) & 0xff;
      frag[15] = 1;
      v.setUint16(10, 0);
      v.setUint16(10, ipv4HeaderChecksum(frag, 0));
      frames.push({ sec: T0 + Math.floor(i / 100_000), usec: i % 1_000_000, data: ethernet(0x0800, frag) });
    }
    add('fragment-flood', `${sizes.fragments} first fragments that never complete`, pcapOf(frames));
  }

  // Floods.
  add(
    'syn-flood',
    `a SYN flood from ${sizes.synFlood} sources`,
    writtenBytes((sink) => {
      const w = new PcapWriter(sink, { chunkSize: 1 << 20 });
      for (let i = 0; i < sizes.synFlood; i++) {
        const src = `10.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;
        w.writePacket(T0 + Math.floor(i / 1e6), (i % 1e6) * 1000, syn(i, src));
      }
      w.flush();
    }),
  );
  add(
    'one-host-many-sockets',
    `one client with ${sizes.hostSockets} half-open sockets to one server`,
    writtenBytes((sink) => {
      const w = new PcapWriter(sink, { chunkSize: 1 << 20 });
      for (let i = 0; i < sizes.hostSockets; i++) {
        const dport = 1 + Math.floor(i / 60000);
        w.writePacket(T0, (i * 1000) % 1e9, syn(i, '10.1.0.1', '10.0.0.1', dport));
        w.writePacket(T0, (i * 1000 + 500) % 1e9, synAck(i, '10.1.0.1', '10.0.0.1', dport));
      }
      w.flush();
    }),
  );
  add('conversation', 'an ordinary connection (the control)', pcapOf(timed(conversation())));
  return out;
}
