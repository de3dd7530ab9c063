// Deterministic generator of large synthetic captures for the benchmarks: many short connections
// (handshake, request/response, FIN or RST teardown), some bulk flows, IPv4 and IPv6, TCP options,
// some retransmissions, interleaved as concurrent connections. Seeded PRNG (src/tcp/random.ts), no
// Math.random; streams to the output file in chunks, so memory stays constant for any --packets.
//
//   node dist/bench/gen.js OUT.pcap --packets 2000000 [--seed 1] [--ns] [--concurrency 400]
//       [--bulk 0.02] [--snaplen 262144] [--gap-us 40]
//   node dist/bench/gen.js OUT.pcap --synflood N     N SYNs from N distinct 4-tuples to one server
//   node dist/bench/gen.js OUT.pcap --open N         N handshakes, all still open at the end
// --bulk is the share of bulk transfers (fewer, longer connections); --snaplen cuts each record as
// `tcpdump -s` does. The two adversarial shapes exercise --max-conns eviction.

import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededUnitRandom } from '../src/tcp/random.js';
import { buildFrame, type FrameSpec } from '../src/wire/build.js';
import { PcapWriter } from '../src/wire/pcap-writer.js';

const SERVER_PORTS = [80, 443, 443, 443, 22, 25, 3306, 5432, 8080, 6379];
const MSS = 1448;

interface Side {
  ip: string;
  port: number;
  isn: number;
  /** Next sequence number to send (mod 2^32). */
  nxt: number;
  ts: number;
}

/** One connection's packets, produced lazily as a small state machine. */
class Connection {
  private readonly c: Side;
  private readonly s: Side;
  private readonly tsOpt: boolean;
  private readonly queue: FrameSpec[] = [];
  private responseLeft: number;
  private requests: number;
  private done = false;

  constructor(
    private readonly rnd: () => number,
    id: number,
    bulkShare: number,
  ) {
    const v6 = rnd() < 0.3;
    const host = (net: number, n: number) =>
      v6
        ? `2001:db8:${net.toString(16)}::${(n & 0xffff).toString(16)}`
        : `10.${net}.${(n >> 8) & 0xff}.${n & 0xff}`;
    const bulk = rnd() < bulkShare;
    const u32 = () => Math.floor(rnd() * 4294967296) >>> 0;
    this.c = {
      ip: host(1, 1 + Math.floor(rnd() * 2000)),
      port: 32768 + ((id * 7919) % 28000),
      isn: u32(),
      nxt: 0,
      ts: u32(),
    };
    this.s = {
      ip: host(2, 1 + Math.floor(rnd() * 50)),
      port: SERVER_PORTS[Math.floor(rnd() * SERVER_PORTS.length)]!,
      isn: u32(),
      nxt: 0,
      ts: u32(),
    };
    this.c.nxt = this.c.isn;
    this.s.nxt = this.s.isn;
    this.tsOpt = rnd() < 0.7;
    this.requests = bulk ? 1 : 1 + Math.floor(rnd() * 3);
    this.responseLeft = bulk ? 300 + Math.floor(rnd() * 1500) : 1 + Math.floor(rnd() * 4);
    const refused = rnd() < 0.03;
    this.queue.push(this.seg(this.c, this.s, 'S', 0, { mss: 1460, sackPermitted: true, wscale: 7 }));
    if (rnd() < 0.01) this.queue.push(this.queue[0]!); // SYN retransmission
    if (refused) {
      this.queue.push({ ...this.seg(this.s, this.c, 'R.', 0), seq: 0 });
      this.done = true;
      return;
    }
    this.queue.push(this.seg(this.s, this.c, 'S.', 0, { mss: 1460, sackPermitted: true, wscale: 9 }));
    this.queue.push(this.seg(this.c, this.s, '.', 0));
  }

  /** The next packet, or null when the connection is over. */
  next(): FrameSpec | null {
    if (this.queue.length === 0 && !this.done) this.produce();
    return this.queue.shift() ?? null;
  }

  private produce(): void {
    const rnd = this.rnd;
    if (this.requests > 0) {
      this.requests--;
      this.queue.push(this.seg(this.c, this.s, 'P.', 80 + Math.floor(rnd() * 600)));
      let n = this.requests === 0 ? this.responseLeft : 1 + Math.floor(rnd() * 3);
      while (n-- > 0) {
        const len = n === 0 ? 1 + Math.floor(rnd() * MSS) : MSS;
        const data = this.seg(this.s, this.c, n === 0 ? 'P.' : '.', len);
        this.queue.push(data);
        if (rnd() < 0.01) this.queue.push(data); // retransmission of the same segment
        if (n % 2 === 0) this.queue.push(this.seg(this.c, this.s, '.', 0));
      }
      return;
    }
    this.done = true;
    const r = rnd();
    if (r < 0.08) {
      this.queue.push(this.seg(this.c, this.s, 'R.', 0));
    } else {
      const [first, second] = r < 0.7 ? [this.c, this.s] : [this.s, this.c];
      this.queue.push(this.seg(first, second, 'F.', 0));
      this.queue.push(this.seg(second, first, 'F.', 0));
      this.queue.push(this.seg(first, second, '.', 0));
    }
  }

  /** A segment from `from` to `to` that advances `from`'s sequence space by its length (+1 for SYN/FIN). */
  private seg(from: Side, to: Side, flags: string, len: number, extra: Partial<FrameSpec> = {}): FrameSpec {
    const syn = flags.includes('S');
    const spec: FrameSpec = {
      src: from.ip,
      dst: to.ip,
      srcPort: from.port,
      dstPort: to.port,
      seq: from.nxt,
      ack: flags.includes('.') ? to.nxt : 0,
      flags,
      window: syn ? 64240 : 501 + Math.floor(this.rnd() * 20),
      payload: len,
      ipId: Math.floor(this.rnd() * 65536),
      ...extra,
    };
    if (this.tsOpt) {
      from.ts = (from.ts + 1 + Math.floor(this.rnd() * 5)) >>> 0;
      spec.timestamp = [from.ts, flags === 'S' ? 0 : to.ts];
    }
    from.nxt = (from.nxt + len + (syn || flags.includes('F') ? 1 : 0)) >>> 0;
    return spec;
  }
}

/** The i-th distinct client endpoint: 10.64.0.0/10 addresses × 50 000 ports, then IPv6. */
function client(i: number): { ip: string; port: number } {
  const host = Math.floor(i / 50_000);
  return { ip: `10.${64 + (host >> 16)}.${(host >> 8) & 0xff}.${host & 0xff}`, port: 10_000 + (i % 50_000) };
}

/**
 * A SYN flood (n SYNs from n distinct 4-tuples to 10.0.0.1:80, never answered) or n connections
 * open at once (n handshakes interleaved in three rounds: all SYNs, all SYN+ACKs, all ACKs; none
 * closes). Returns the packets written. 1 µs apart, from the same fixed epoch as main().
 */
function adversarial(writer: PcapWriter, n: number, flood: boolean): number {
  const server = { ip: '10.0.0.1', port: 80 };
  let usec = 0;
  let written = 0;
  const put = (spec: FrameSpec) => {
    usec++;
    writer.writePacket(1767225600 + Math.floor(usec / 1e6), (usec % 1e6) * 1000, buildFrame(spec));
    written++;
  };
  const isn = (i: number, side: number) => (Math.imul(i + 1, 2654435761) ^ side) >>> 0;
  const rounds = flood ? 1 : 3;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < n; i++) {
      const c = client(i);
      const cIsn = isn(i, 0);
      const sIsn = isn(i, 0x5a5a5a5a);
      if (round === 0) {
        put({
          src: c.ip,
          dst: server.ip,
          srcPort: c.port,
          dstPort: server.port,
          seq: cIsn,
          flags: 'S',
          mss: 1460,
        });
      } else if (round === 1) {
        put({
          src: server.ip,
          dst: c.ip,
          srcPort: server.port,
          dstPort: c.port,
          seq: sIsn,
          ack: (cIsn + 1) >>> 0,
          flags: 'S.',
          mss: 1460,
        });
      } else {
        put({
          src: c.ip,
          dst: server.ip,
          srcPort: c.port,
          dstPort: server.port,
          seq: (cIsn + 1) >>> 0,
          ack: (sIsn + 1) >>> 0,
          flags: '.',
        });
      }
    }
  }
  return written;
}

function main(argv: string[]): void {
  const out = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const opt = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  if (!out) {
    process.stderr.write(
      'usage: node dist/bench/gen.js OUT.pcap --packets N [--seed S] [--ns] [--concurrency C] [--bulk F] [--snaplen N]\n' +
        '       node dist/bench/gen.js OUT.pcap (--synflood N | --open N) [--snaplen N]\n',
    );
    process.exit(1);
  }
  const packets = opt('packets', 100000);
  const rnd = seededUnitRandom(opt('seed', 1));
  const concurrency = opt('concurrency', 400);
  const bulkShare = opt('bulk', 0.02);
  const gapNs = opt('gap-us', 40) * 1000;
  const fd = openSync(out, 'w');
  const writer = new PcapWriter((chunk) => writeSync(fd, chunk), {
    nanosecond: argv.includes('--ns'),
    chunkSize: 1 << 20,
    snaplen: opt('snaplen', 262144),
  });
  const synflood = opt('synflood', 0);
  const open = opt('open', 0);
  if (synflood > 0 || open > 0) {
    const n = adversarial(writer, synflood > 0 ? synflood : open, synflood > 0);
    writer.flush();
    closeSync(fd);
    process.stderr.write(`wrote ${n} packets in ${synflood || open} connections to ${out}\n`);
    return;
  }
  let ids = 0;
  const active: Connection[] = [];
  for (let i = 0; i < concurrency; i++) active.push(new Connection(rnd, ids++, bulkShare));
  // 2026-01-01T00:00:00Z, then gaps of 0 to --gap-us µs (default 40; in ns).
  let sec = 1767225600;
  let nsec = 0;
  for (let n = 0; n < packets; n++) {
    const slot = Math.floor(rnd() * active.length);
    let spec = active[slot]!.next();
    while (spec === null) {
      active[slot] = new Connection(rnd, ids++, bulkShare);
      spec = active[slot]!.next();
    }
    nsec += Math.floor(rnd() * gapNs);
    if (nsec >= 1e9) {
      sec++;
      nsec -= 1e9;
    }
    writer.writePacket(sec, nsec, buildFrame(spec));
  }
  writer.flush();
  closeSync(fd);
  process.stderr.write(`wrote ${packets} packets in ${ids} connections to ${out}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1]))
  main(process.argv.slice(2));
