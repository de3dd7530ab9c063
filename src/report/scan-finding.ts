// `synack states`' scan finding: one host whose connection attempts fail against many hosts on
// one port (an address scan: seed 002's worm, whose many SYN_SENTs go to many machines) or
// against many ports of one host (a port scan). Modelled on Zeek's policy/misc/scan.zeek: a
// failed attempt is a SYN its receiver never answered with SYN+ACK (unanswered, Zeek's
// connection_attempt, or refused with RST, connection_rejected); an address scan is at least
// 25 distinct hosts on one port within 5 minutes (Scan::addr_scan_threshold 25,
// addr_scan_interval 5 min), a port scan at least 15 distinct ports of one host within 5
// minutes (port_scan_threshold 15, port_scan_interval 5 min). Zeek counts per fixed epoch;
// here the window slides, so a scan split by an epoch boundary is not missed. Pure.

import type { ConnStatesInput } from '../track/host-states.js';
import { ACK, RST, SYN } from '../wire/packet.js';
import { formatSeconds } from './timeline.js';

export interface ScanOptions {
  /** Distinct hosts on one port (default 25, Zeek's Scan::addr_scan_threshold). */
  scanHosts?: number;
  /** Distinct ports of one host (default 15, Zeek's Scan::port_scan_threshold). */
  scanPorts?: number;
  /** Window in seconds (default 300, Zeek's addr_scan_interval / port_scan_interval). */
  scanWindowS?: number;
}

export interface ScanEntry {
  /** 'address': one port on many hosts (a worm, a sweep); 'port': many ports of one host. */
  kind: 'address' | 'port';
  scanner: string;
  /** The port swept (address scan). */
  port?: number;
  /** The host probed (port scan). */
  victim?: string;
  /** The most distinct hosts (address) or ports (port) its failed attempts reached within one window. */
  targets: number;
  /** Of its failed attempts in that window: never answered, refused with RST. */
  unanswered: number;
  refused: number;
  /** Epoch seconds: the first failed attempt of the window with the most targets; when the threshold was first reached. */
  from: number;
  at: number;
  /** The finding in words. */
  text: { en: string; zh: string };
}

/** One failed attempt: who tried whom, when, and how it failed. */
interface Attempt {
  t: number;
  victim: string;
  port: number;
  refused: boolean;
}

/** FNV-1a of a string into `bits` bits: buckets for the first, approximate pass. */
function bucketOf(s: string, bits: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) >>> (32 - bits);
}

/** The first SYN orig sent, and how its receiver answered (undefined: not a failed attempt). */
function failedAttempt(c: ConnStatesInput): { t: number; refused: boolean } | undefined {
  let synAt = -1;
  let refused = false;
  for (const p of c.packets) {
    if (p.from === 'orig') {
      if (synAt < 0 && (p.flags & (SYN | ACK)) === SYN) synAt = p.timeUs;
      continue;
    }
    if (p.flags & SYN) return undefined; // answered: the host is there and the port open
    if (p.flags & RST) refused = true;
  }
  return synAt < 0 ? undefined : { t: synAt, refused };
}

/**
 * The peak of distinct keys within any window of `windowUs` over time-sorted attempts, and when
 * `threshold` distinct keys were first reached (-1: never).
 */
function slide(
  xs: readonly Attempt[],
  key: (a: Attempt) => string | number,
  windowUs: number,
  threshold: number,
): { peak: number; at: number; lo: number; hi: number } {
  const inWindow = new Map<string | number, number>();
  let lo = 0;
  const best = { peak: 0, at: -1, lo: 0, hi: 0 };
  for (let hi = 0; hi < xs.length; hi++) {
    const k = key(xs[hi]);
    inWindow.set(k, (inWindow.get(k) ?? 0) + 1);
    while (xs[hi].t - xs[lo].t > windowUs) {
      const old = key(xs[lo]);
      const n = inWindow.get(old)! - 1;
      if (n === 0) inWindow.delete(old);
      else inWindow.set(old, n);
      lo++;
    }
    if (inWindow.size > best.peak) {
      best.peak = inWindow.size;
      best.lo = lo;
      best.hi = hi;
      if (best.at < 0 && inWindow.size >= threshold) best.at = xs[hi].t;
    }
  }
  return best;
}

function words(e: Omit<ScanEntry, 'text'>, windowS: number, startUs: number): ScanEntry['text'] {
  const from = formatSeconds(Math.round(e.from * 1e6) - startUs);
  const at = formatSeconds(Math.round(e.at * 1e6) - startUs);
  const how = `${e.unanswered} never answered, ${e.refused} refused with RST`;
  const zhHow = `${e.unanswered} 个没有应答，${e.refused} 个被 RST 拒绝`;
  if (e.kind === 'address')
    return {
      en: `${e.scanner} sent SYNs to ${e.targets} different hosts on port ${e.port} within ${windowS} s (${how}), from +${from} s; it reached Zeek's address-scan threshold at +${at} s. Many SYN_SENT sockets to many machines are what a worm or a scanner looks like from the infected host (netstat shows them as SYN_SENT: connect()s that get no answer).`,
      zh: `${e.scanner} 在 ${windowS} 秒内向 ${e.targets} 台不同主机的 ${e.port} 端口发送 SYN（${zhHow}），从 +${from} 秒开始；在 +${at} 秒达到 Zeek 的地址扫描阈值。向许多不同机器发出大量 SYN_SENT，正是中了蠕虫病毒或正在扫描的主机的样子（netstat 中显示为 SYN_SENT：得不到应答的 connect()）。`,
    };
  return {
    en: `${e.scanner} sent SYNs to ${e.targets} different ports of ${e.victim} within ${windowS} s (${how}), from +${from} s; it reached Zeek's port-scan threshold at +${at} s: a port scan (each refused port answered with RST is closed, each unanswered one filtered or the host absent).`,
    zh: `${e.scanner} 在 ${windowS} 秒内向 ${e.victim} 的 ${e.targets} 个不同端口发送 SYN（${zhHow}），从 +${from} 秒开始；在 +${at} 秒达到 Zeek 的端口扫描阈值：这是端口扫描（以 RST 拒绝的端口是关闭的，没有应答的端口被过滤，或主机不存在）。`,
  };
}

/** The scans in a capture's connections: address scans first, then port scans, by scanner. */
export function scanAnalysis(
  conns: readonly ConnStatesInput[],
  startUs: number,
  opts: ScanOptions = {},
): ScanEntry[] {
  const hosts = opts.scanHosts ?? 25;
  const ports = opts.scanPorts ?? 15;
  const windowS = opts.scanWindowS ?? 300;
  const windowUs = windowS * 1e6;
  const need = Math.min(hosts, ports);
  // First pass, in bounded memory: failed attempts per bucket of scanner address. A spoofed
  // flood's million one-SYN sources spread over the buckets; only a bucket that reaches the
  // smaller threshold can hold a scanner.
  // Twice as many buckets as connections (up to 2^22): a bucket then holds under one source on
  // average, and 15 by chance almost never.
  const BITS = Math.min(22, Math.max(10, Math.ceil(Math.log2(conns.length + 1)) + 1));
  const counts = new Uint32Array(1 << BITS);
  for (const c of conns) if (failedAttempt(c)) counts[bucketOf(c.orig.ip, BITS)]++;
  const byScanner = new Map<string, Attempt[]>();
  for (const c of conns) {
    if (counts[bucketOf(c.orig.ip, BITS)] < need) continue;
    const f = failedAttempt(c);
    if (!f) continue;
    let list = byScanner.get(c.orig.ip);
    if (!list) {
      list = [];
      byScanner.set(c.orig.ip, list);
    }
    list.push({ t: f.t, victim: c.resp.ip, port: c.resp.port, refused: f.refused });
  }
  const out: ScanEntry[] = [];
  const found = (
    kind: ScanEntry['kind'],
    scanner: string,
    xs: Attempt[],
    key: (a: Attempt) => string | number,
    threshold: number,
  ) => {
    const s = slide(xs, key, windowUs, threshold);
    if (s.at < 0) return;
    let refused = 0;
    for (let i = s.lo; i <= s.hi; i++) if (xs[i].refused) refused++;
    const e: Omit<ScanEntry, 'text'> = {
      kind,
      scanner,
      ...(kind === 'address' ? { port: xs[0].port } : { victim: xs[0].victim }),
      targets: s.peak,
      unanswered: s.hi - s.lo + 1 - refused,
      refused,
      from: xs[s.lo].t / 1e6,
      at: s.at / 1e6,
    };
    out.push({ ...e, text: words(e, windowS, startUs) });
  };
  const scanners = [...byScanner.keys()].sort();
  for (const kind of ['address', 'port'] as const) {
    for (const scanner of scanners) {
      const all = byScanner.get(scanner)!;
      if (all.length < (kind === 'address' ? hosts : ports)) continue;
      const groups = new Map<string | number, Attempt[]>();
      for (const a of all) {
        const g = kind === 'address' ? a.port : a.victim;
        let list = groups.get(g);
        if (!list) {
          list = [];
          groups.set(g, list);
        }
        list.push(a);
      }
      const keys = [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const g of keys) {
        const xs = groups.get(g)!.sort((a, b) => a.t - b.t);
        if (kind === 'address') found(kind, scanner, xs, (a) => a.victim, hosts);
        else found(kind, scanner, xs, (a) => a.port, ports);
      }
    }
  }
  return out;
}
