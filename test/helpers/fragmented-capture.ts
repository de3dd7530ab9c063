// A capture whose TCP segments partly arrive as IP fragments (IPv4 and IPv6, some out of order),
// with SACK blocks and a few bad checksums: what the fixtures and the corpus lack, for the
// tests of `conns --threads N` and of its packet records.

import { buildFrame, type FrameSpec } from '../../src/wire/build.js';
import { ipv4HeaderChecksum } from '../../src/wire/checksum.js';
import { pcapBytes, type TimedFrame } from '../../src/wire/pcap-writer.js';

const LINKTYPE_RAW = 101;

const be16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];

function cat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A raw IPv4 packet cut into fragments at the given payload offsets (multiples of 8). */
export function fragmentV4(packet: Uint8Array, cuts: number[]): Uint8Array[] {
  const ihl = (packet[0]! & 0xf) * 4;
  const header = packet.subarray(0, ihl);
  const payload = packet.subarray(ihl);
  const bounds = [0, ...cuts, payload.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const part = payload.subarray(bounds[i]!, bounds[i + 1]!);
    const h = header.slice();
    h.set(be16(ihl + part.length), 2);
    h.set(be16(((i + 2 < bounds.length ? 1 : 0) << 13) | (bounds[i]! >> 3)), 6);
    h[10] = 0;
    h[11] = 0;
    h.set(be16(ipv4HeaderChecksum(h, 0)), 10);
    out.push(cat(h, part));
  }
  return out;
}

/** A raw IPv6 packet cut into fragments (a fragment header with `id`) at the given payload offsets. */
/** A raw IPv6 packet cut into fragments (a fragment header with `id`) at the given payload offsets. */
export function fragmentV6(packet: Uint8Array, cuts: number[], id = 0x1234): Uint8Array[] {
  const upper = packet[6]!;
  const payload = packet.subarray(40);
  const bounds = [0, ...cuts, payload.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const part = payload.subarray(bounds[i]!, bounds[i + 1]!);
    const more = i + 2 < bounds.length ? 1 : 0;
    const frag = [upper, 0, ...be16(bounds[i]! | more), (id >>> 24) & 0xff, (id >>> 16) & 0xff, ...be16(id)];
    const h = packet.slice(0, 40);
    h[6] = 44;
    h.set(be16(8 + part.length), 4);
    out.push(cat(h, frag, part));
  }
  return out;
}

/** `conns` connections, interleaved, each: handshake, fragmented data both ways, SACKs, FIN close. */
export function fragmentedCapture(conns = 40): Uint8Array {
  const events: { t: number; frames: Uint8Array[] }[] = [];
  for (let c = 0; c < conns; c++) {
    const v6 = c % 2 === 1;
    const client = v6 ? `2001:db8::${(c + 1).toString(16)}` : `10.0.${c}.1`;
    const server = v6 ? '2001:db8:ffff::1' : '10.9.9.9';
    const cport = 40000 + c;
    const isn = (c * 7919 * 65536) >>> 0;
    const sisn = (isn + 0x10000000) >>> 0;
    let t = 1_000 * c;
    const seg = (fromClient: boolean, spec: Partial<FrameSpec>): FrameSpec => ({
      link: 'raw',
      src: fromClient ? client : server,
      dst: fromClient ? server : client,
      srcPort: fromClient ? cport : 443,
      dstPort: fromClient ? 443 : cport,
      ipId: (c * 100 + events.length) & 0xffff,
      df: false,
      ...spec,
    });
    const put = (spec: FrameSpec, fragment = false, reverse = false): void => {
      t += 150;
      const whole = buildFrame(spec);
      let frames = [whole];
      if (fragment)
        frames = v6 ? fragmentV6(whole, [512, 1024], 0x10000 + c) : fragmentV4(whole, [512, 1024]);
      if (reverse) frames.reverse();
      events.push({ t, frames });
    };
    put(seg(true, { flags: 'S', seq: isn, ack: 0, mss: 1460, sackPermitted: true, wscale: 7 }));
    put(seg(false, { flags: 'S.', seq: sisn, ack: isn + 1, mss: 1460, sackPermitted: true, wscale: 7 }));
    put(seg(true, { flags: '.', seq: isn + 1, ack: sisn + 1 }));
    put(seg(true, { flags: 'P.', seq: isn + 1, ack: sisn + 1, payload: 1400 }), true, c % 3 === 0);
    // The second data segment's checksum is bad on every fifth connection (--verify-checksums).
    put(seg(false, { flags: 'P.', seq: sisn + 1, ack: isn + 1401, payload: 1400 }), true);
    put(
      seg(false, { flags: 'P.', seq: sisn + 1401, ack: isn + 1401, payload: 1400, badChecksum: c % 5 === 0 }),
      true,
    );
    put(seg(true, { flags: '.', seq: isn + 1401, ack: sisn + 1401, sack: [[sisn + 1401, sisn + 2801]] }));
    put(seg(true, { flags: '.', seq: isn + 1401, ack: sisn + 2801 }));
    put(seg(true, { flags: 'F.', seq: isn + 1401, ack: sisn + 2801 }));
    put(seg(false, { flags: 'F.', seq: sisn + 2801, ack: isn + 1402 }));
    put(seg(true, { flags: '.', seq: isn + 1402, ack: sisn + 2802 }));
  }
  events.sort((a, b) => a.t - b.t);
  const frames: TimedFrame[] = [];
  for (const e of events)
    for (const data of e.frames) frames.push({ tsSec: 1_700_000_000, tsNsec: e.t * 1000, data });
  return pcapBytes(frames, { linktype: LINKTYPE_RAW });
}
