// `synack states`' scan finding (src/report/scan-finding.ts) on captures built packet by packet:
// seed 002's worm (one host's SYN_SENTs to many machines on one port), a port scan, and the
// cases that must not be called scans (below Zeek's thresholds, answered connections, a spread
// over more than the window, a spoofed SYN flood's many sources).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { observeCapture } from '../src/lab/observe.js';
import { buildStatesReport, renderStatesText } from '../src/report/socket-table.js';
import { findTopic, topicText } from '../src/report/topics.js';
import { buildFrame } from '../src/wire/build.js';
import { pcapBytes, type TimedFrame } from '../src/wire/pcap-writer.js';
import { synack } from './helpers/synack-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const T0 = 1_767_225_600;

class Capture {
  readonly frames: { us: number; data: Uint8Array }[] = [];
  private isn = 1000;
  at(
    us: number,
    src: string,
    dst: string,
    sport: number,
    dport: number,
    flags: string,
    seq = 0,
    ack = 0,
  ): void {
    this.frames.push({
      us,
      data: buildFrame({
        src,
        dst,
        srcPort: sport,
        dstPort: dport,
        flags,
        seq,
        ack,
        mss: flags.includes('S') ? 1460 : undefined,
      }),
    });
  }
  /** A SYN from src, sent again after 1 s, never answered (the host is absent or filtered). */
  unanswered(us: number, src: string, sport: number, dst: string, dport: number): void {
    this.isn += 1000;
    const isn = this.isn;
    this.at(us, src, dst, sport, dport, 'S', isn);
    this.at(us + 1_000_000, src, dst, sport, dport, 'S', isn);
  }
  /** A SYN refused with RST+ACK (a closed port). */
  refused(us: number, src: string, sport: number, dst: string, dport: number): void {
    this.isn += 1000;
    const isn = this.isn;
    this.at(us, src, dst, sport, dport, 'S', isn);
    this.at(us + 300, dst, src, dport, sport, 'R.', 0, isn + 1);
  }
  /** A handshake that completes (an open port answering). */
  answered(us: number, src: string, sport: number, dst: string, dport: number): void {
    this.isn += 1000;
    const isn = this.isn;
    this.at(us, src, dst, sport, dport, 'S', isn);
    this.at(us + 300, dst, src, dport, sport, 'S.', 5000, isn + 1);
    this.at(us + 600, src, dst, sport, dport, '.', isn + 1, 5001);
  }
  bytes(): Uint8Array {
    const sorted = [...this.frames].sort((a, b) => a.us - b.us);
    const out: TimedFrame[] = sorted.map((f) => ({
      tsSec: T0 + Math.floor(f.us / 1e6),
      tsNsec: (f.us % 1e6) * 1000,
      data: f.data,
    }));
    return pcapBytes(out);
  }
}

const WORM = '192.168.1.10';

/** Blaster-like: port 135 on `n` random hosts, one every 20 ms; every 5th refused, the rest silent. */
function worm(c: Capture, n: number, everyUs = 20_000, port = 135): void {
  for (let i = 0; i < n; i++) {
    const dst = `10.${(i * 37) % 250}.${(i * 11) % 250}.${1 + (i % 200)}`;
    if (i % 5 === 4) c.refused(i * everyUs, WORM, 1100 + i, dst, port);
    else c.unanswered(i * everyUs, WORM, 1100 + i, dst, port);
  }
}

function report(c: Capture) {
  return buildStatesReport(observeCapture(c.bytes()).timelines);
}

test("seed 002's worm: one host's SYNs to 40 hosts on port 135 are an address scan (en, zh), at Zeek's 25th host", () => {
  const c = new Capture();
  worm(c, 40);
  // Its ordinary browsing is no scan and does not count.
  c.answered(5_000, WORM, 2000, '202.108.250.249', 80);
  const r = report(c);
  assert.equal(r.scans?.length, 1, JSON.stringify(r.scans));
  const s = r.scans![0];
  assert.equal(s.kind, 'address');
  assert.equal(s.scanner, WORM);
  assert.equal(s.port, 135);
  assert.equal(s.targets, 40);
  assert.equal(s.refused, 8);
  assert.equal(s.unanswered, 32);
  // The 25th distinct host was tried at 24 × 20 ms.
  assert.equal(Math.round((s.at - T0) * 1e6), 24 * 20_000);
  assert.equal(s.from, T0);
  assert.match(
    s.text.en,
    /sent SYNs to 40 different hosts on port 135 within 300 s \(32 never answered, 8 refused with RST\)/,
  );
  assert.match(s.text.en, /worm or a scanner/);
  assert.match(s.text.zh, /向 40 台不同主机的 135 端口发送 SYN.*蠕虫病毒/);
  // The socket table at the end shows the SYN_SENTs the seed describes, and the finding follows it.
  const text = renderStatesText(r, T0 * 1e6).join('\n');
  assert.match(text, /SYN_SENT/);
  assert.match(text, /\nADDRESS SCAN\? 192\.168\.1\.10 sent SYNs to 40 different hosts on port 135/);
});

test('a port scan: 20 ports of one host refused with RST within a second', () => {
  const c = new Capture();
  for (let p = 0; p < 20; p++) c.refused(p * 50_000, '172.16.0.9', 40000 + p, '10.0.0.2', 20 + p);
  const r = report(c);
  assert.deepEqual(
    r.scans?.map((s) => [s.kind, s.scanner, s.victim, s.targets, s.refused, s.unanswered]),
    [['port', '172.16.0.9', '10.0.0.2', 20, 20, 0]],
  );
  // The 15th distinct port (Zeek's port_scan_threshold) at 14 × 50 ms.
  assert.equal(Math.round((r.scans![0].at - T0) * 1e6), 14 * 50_000);
  assert.match(r.scans![0].text.en, /different ports of 10\.0\.0\.2/);
});

test('no scan: 24 hosts (below 25), answered connections, attempts spread over more than 5 minutes, a spoofed flood', () => {
  const below = new Capture();
  worm(below, 24);
  assert.equal(report(below).scans, undefined);
  // 40 hosts that all answer (a crawler, a monitoring host): not failed attempts.
  const busy = new Capture();
  for (let i = 0; i < 40; i++) busy.answered(i * 10_000, WORM, 3000 + i, `10.1.0.${i + 1}`, 80);
  assert.equal(report(busy).scans, undefined);
  // 40 failed hosts, one every 13 s: at most 24 within any 300 s window (a slow scan Zeek misses too).
  const slow = new Capture();
  worm(slow, 40, 13_000_000);
  assert.equal(report(slow).scans, undefined);
  // A SYN flood from 300 spoofed sources at one listener: many sources, each one attempt.
  const flood = new Capture();
  for (let i = 0; i < 300; i++)
    flood.unanswered(i * 1000, `198.18.${i >> 8}.${i & 255}`, 5000, '10.0.0.2', 80);
  assert.equal(report(flood).scans, undefined);
  // The thresholds are options: 24 hosts are a scan at 20.
  const r = buildStatesReport(observeCapture(below.bytes()).timelines, { scanHosts: 20 });
  assert.equal(r.scans?.[0]?.targets, 24);
});

test('`synack states --json` carries the scan, `states` prints it', (t) => {
  const dir = tempDir('t16-scan', t);
  const c = new Capture();
  worm(c, 30);
  const file = join(dir, 'worm.pcap');
  writeFileSync(file, c.bytes());
  const j = synack(['states', '--json', file]);
  assert.equal(j.code, 0, j.stderr);
  const scans = JSON.parse(j.stdout).scans;
  assert.equal(scans.length, 1);
  assert.equal(scans[0].targets, 30);
  const txt = synack(['states', file]);
  assert.match(txt.stdout, /ADDRESS SCAN\? 192\.168\.1\.10 sent SYNs to 30 different hosts on port 135/);
  // The SYN_SENT topic says what the finding counts, in both languages.
  const topic = findTopic('syn-sent')!;
  assert.match(topicText(topic, 'en').join('\n'), /25 or more hosts on one port \(ADDRESS SCAN\?\)/);
  assert.match(topicText(topic, 'zh').join('\n'), /25 台以上主机（ADDRESS SCAN\?）/);
});
