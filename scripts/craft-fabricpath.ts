// Writes test/fixtures/fabricpath.pcap: TCP SYNs seen twice, as a SPAN port on a Cisco
// FabricPath edge shows them (the shape of Zeek's cisco-fabric-path.pcap trace): each SYN once
// as a plain Ethernet frame and ~1 ms later again inside FabricPath (ethertype 0x8903: a 16-byte
// header — outer hierarchical MACs, the type, FTag and TTL — then the customer's frame and the
// FabricPath FCS), from 8 IPv4 and 8 IPv6 sources to one server port. One more copy carries an
// 802.1Q tag in front of the FabricPath type (Wireshark's 20-byte form). Zeek counts both copies
// of each SYN (S0, orig_pkts 2); tcpdump 4.99.3 prints the FabricPath frames as
// `ethertype Unknown (0x8903)`.
//
// Usage: npx tsx scripts/craft-fabricpath.ts [OUT.pcap]

import { writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { buildFrame, type FrameSpec } from '../src/wire/build.js';
import { pcapBytes, type TimedFrame } from '../src/wire/pcap-writer.js';

const out = process.argv[2] ?? 'test/fixtures/fabricpath.pcap';
const T0 = 1_529_347_003_830_000; // µs

/** Outer hierarchical MAC: switch-id, sub-switch-id, local id (the U/L bit set, as FabricPath does). */
function hmac(swid: number, sswid: number, lid: number): number[] {
  return [0x02, (swid >> 8) & 0x0f, swid & 0xff, sswid, lid >> 8, lid & 0xff];
}

/** The customer frame inside FabricPath, with an optional 802.1Q tag before the FP type, and the FCS. */
function fabricPath(inner: Uint8Array, ftag: number, ttl: number, vlan?: number): Uint8Array {
  const head = [...hmac(0x0a1, 0, 0x0010), ...hmac(0x0b2, 0, 0x0020)];
  if (vlan !== undefined) head.push(0x81, 0x00, (vlan >> 8) & 0x0f, vlan & 0xff);
  head.push(0x89, 0x03, (ftag >> 2) & 0xff, ((ftag & 3) << 6) | (ttl & 0x3f));
  const body = new Uint8Array(head.length + inner.length + 4);
  body.set(head, 0);
  body.set(inner, head.length);
  const fcs = crc32(body.subarray(0, head.length + inner.length));
  // The FCS goes on the wire least significant byte first.
  new DataView(body.buffer).setUint32(head.length + inner.length, fcs, true);
  return body;
}

const frames: TimedFrame[] = [];
let t = T0;
const at = (usec: number, data: Uint8Array) =>
  frames.push({ tsSec: Math.floor(usec / 1e6), tsNsec: (usec % 1e6) * 1000, data });

const sources = [6, 4, 14, 12, 0, 2, 8, 10];
for (const v6 of [false, true]) {
  for (const [i, s] of sources.entries()) {
    const spec: FrameSpec = {
      src: v6 ? `1234::${s.toString(16)}` : `1.1.1.${s}`,
      dst: v6 ? '5678::' : '2.2.2.2',
      srcPort: 57005,
      dstPort: 48879,
      flags: 'S',
      seq: 0x1000 * (i + 1),
      window: 8192,
      srcMac: '00:00:0c:9f:f0:01',
      dstMac: '00:00:0c:07:ac:01',
    };
    const plain = buildFrame(spec);
    at(t, plain);
    at(t + 1000, fabricPath(plain, 1, 63 - i));
    t += 1800;
  }
}
// One more copy of the last IPv4 SYN's connection, its FabricPath header behind an 802.1Q tag.
const tagged = buildFrame({
  src: '1.1.1.10',
  dst: '2.2.2.2',
  srcPort: 57005,
  dstPort: 48879,
  flags: 'S',
  seq: 0x8000,
  window: 8192,
});
at(t + 1000, fabricPath(tagged, 1, 60, 100));

writeFileSync(out, pcapBytes(frames, { linktype: 1 }));
console.log(`${out}: ${frames.length} frames`);
