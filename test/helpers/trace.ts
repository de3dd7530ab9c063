// Readable packet traces for tracker tests: each line is one segment between a client C
// (10.0.0.1:40000) and a server S (10.0.0.2:80), written like
//   '0.000 C>S S seq=100'            (time in seconds, optional: 1 ms after the previous otherwise)
//   'S>C S. seq=500 ack=101'
//   'C>S P. seq=101 ack=501 len=10 win=0 ttl=50 df=0'
//   'C>S S seq=100 tsval=1000'      (timestamps option: tsval=V tsecr=E)
// Flags use tcpdump's letters (S F P R .). The lines fill the shared Packet as the decoder would,
// and runTrace() feeds them to a FlowTable and returns the connection records and, per packet,
// the role, both endpoints' states (orig/resp) and the tags.

import { ipv4String, ipv6String } from '../../src/report/tcpdump.js';
import { stateName } from '../../src/tcp/state.js';
import { FlowTable, type FlowTableOptions } from '../../src/track/flow-table.js';
import { arrivedOf, ROLE_NAMES } from '../../src/track/held.js';
import { kindsOf } from '../../src/track/kinds.js';
import type { ConnRecord } from '../../src/track/record.js';
import { TcpAnalysis } from '../../src/track/wireshark.js';
import { ZeekSummary } from '../../src/track/zeek-summary.js';
import { ACK, DecodeStatus, FIN, Packet, PSH, RST, SYN } from '../../src/wire/packet.js';

const HOSTS: Record<string, { ip: number[]; port: number }> = {
  C: { ip: [10, 0, 0, 1], port: 40000 },
  S: { ip: [10, 0, 0, 2], port: 80 },
  D: { ip: [10, 0, 0, 3], port: 40001 },
};

export const BASE_SEC = 1_700_000_000;

export interface TracePacket {
  frame: number;
  conn: number;
  from: 'orig' | 'resp';
  /** PRODUCT.md packet record `arrived`. */
  arrived: boolean | null;
  role: string;
  orig: string;
  resp: string;
  tags: string[];
}

/** Fills `pkt` from one trace line; returns the time in µs used. */
export function fillPacket(pkt: Packet, line: string, frame: number, prevUsec: number): number {
  const tok = line.trim().split(/\s+/);
  let i = 0;
  let usec = prevUsec + 1000;
  if (/^[\d.]+$/.test(tok[0]!)) {
    usec = Math.round(Number(tok[0]) * 1e6);
    i++;
  }
  const [src, dst] = tok[i++]!.split('>') as [string, string];
  const letters = tok[i++]!;
  let flags = 0;
  for (const ch of letters) {
    if (ch === 'S') flags |= SYN;
    else if (ch === 'F') flags |= FIN;
    else if (ch === 'R') flags |= RST;
    else if (ch === 'P') flags |= PSH;
    else if (ch === '.') flags |= ACK;
  }
  const kv: Record<string, number> = {
    seq: 0,
    ack: 0,
    len: 0,
    win: 64240,
    ttl: 64,
    df: 1,
    wscale: -1,
    id: 1,
    tsval: -1,
    tsecr: 0,
  };
  for (; i < tok.length; i++) {
    const [k, v] = tok[i]!.split('=') as [string, string];
    kv[k] = Number(v);
  }
  pkt.frame = frame;
  pkt.setTime(BASE_SEC + Math.floor(usec / 1e6), (usec % 1_000_000) * 1000);
  pkt.status = DecodeStatus.TCP;
  pkt.ipVersion = 4;
  pkt.src.fill(0);
  pkt.dst.fill(0);
  pkt.src.set(HOSTS[src]!.ip);
  pkt.dst.set(HOSTS[dst]!.ip);
  pkt.srcPort = HOSTS[src]!.port;
  pkt.dstPort = HOSTS[dst]!.port;
  pkt.flags = flags;
  pkt.seq = kv.seq! >>> 0;
  pkt.ack = kv.ack! >>> 0;
  pkt.payloadLen = kv.len!;
  pkt.window = kv.win!;
  pkt.ttl = kv.ttl!;
  pkt.df = kv.df === 1;
  pkt.ipId = kv.id!;
  pkt.wscale = kv.wscale!;
  pkt.headerLen = 20;
  pkt.ipTotalLen = 40 + kv.len!;
  pkt.checksumStatus = 'unverified';
  // tsval=V [tsecr=E]: the timestamps option (RFC 7323).
  pkt.hasTimestamp = kv.tsval! >= 0;
  pkt.tsVal = Math.max(kv.tsval!, 0) >>> 0;
  pkt.tsEcr = kv.tsecr! >>> 0;
  pkt.layerCount = 0;
  pkt.reassembled = false;
  pkt.tcpBuf = new Uint8Array(20 + kv.len!);
  pkt.tcpOffset = 0;
  pkt.tcpCaptured = 20 + kv.len!;
  return usec;
}

export interface TraceResult {
  records: ConnRecord[];
  packets: TracePacket[];
}

/** Runs trace lines through a FlowTable (with Zeek's summary and Wireshark's analysis). */
export function runTrace(
  lines: readonly string[],
  opts: Partial<Pick<FlowTableOptions, 'timeWaitSec' | 'idleSec' | 'maxConns' | 'tap'>> = {},
): TraceResult {
  const records: ConnRecord[] = [];
  const packets: TracePacket[] = [];
  const table = new FlowTable({
    ...opts,
    newSummary: () => new ZeekSummary(),
    analysis: new TcpAnalysis(),
    addrText: (b, v) => (v === 6 ? ipv6String(b, 0) : ipv4String(b, 0)),
    onEnd: (rec) => records.push(rec),
    onPacket: (conn, h, tags) => {
      const origIsA = conn.summary.origIsA;
      const so = origIsA ? h.stateA : h.stateB;
      const sr = origIsA ? h.stateB : h.stateA;
      packets.push({
        frame: h.frame,
        conn: conn.id,
        from: h.fromA === origIsA ? 'orig' : 'resp',
        arrived: arrivedOf(h),
        role: ROLE_NAMES[h.role],
        orig: stateName(so),
        resp: stateName(sr),
        tags: kindsOf(tags),
      });
    },
  });
  const pkt = new Packet();
  let t = 0;
  lines.forEach((line, idx) => {
    t = fillPacket(pkt, line, idx + 1, t);
    table.process(pkt);
  });
  table.finish();
  packets.sort((x, y) => x.frame - y.frame);
  return { records, packets };
}

/** `orig/resp` per packet, compact for assertions: ['SYN_SENT/SYN_RECEIVED', …]. */
export function statePairs(r: TraceResult): string[] {
  return r.packets.map((p) => `${p.orig}/${p.resp}`);
}
