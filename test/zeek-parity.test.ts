// Zeek parity: every TCP row of every conn.log baseline in test/corpus/zeek (Zeek btest baselines) has our
// conn_state and history, and the extra/ traces' printed histories, conn_states and endpoint
// states agree. Plus unit cases for the rules that produce them (log-scale letters, flips,
// conn_state) and for the conn.log format.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  asBaselineRow,
  BARE_RUN_PORTS,
  checkSynackIds,
  cliZeekRows,
  compareRows,
  compareTrace,
  extraChecks,
  readManifest,
  runTrace,
  synackCli,
  zeekRows,
} from '../scripts/parity-zeek.js';
import { zeekConnLog, zeekUid } from '../src/report/zeek-tsv.js';
import { PortSet } from '../src/track/likely-server-ports.js';
import { flipAtFirstSegment, flipsAfterSynAckStart } from '../src/track/orientation.js';
import { ZeekSummary } from '../src/track/zeek-summary.js';
import { ACK, FIN, Packet, PSH, RST, SYN } from '../src/wire/packet.js';
import { ZEEK_CORPUS } from './helpers/paths.js';

/**
 * Rows where we disagree with Zeek on purpose, or cannot agree through no TCP rule:
 * trace name → reason, and how the comparison is relaxed.
 */
const KNOWN: Record<string, { reason: string; relax: 'drop-X' | 'missing-ok' }> = {
  // 'X' is "connection analysis partial (an analyzer hit a limit)": Zeek's GTP/app analyzers set
  // it, no TCP analysis can produce it. We agree on every other letter.
  'gtp-tunnel-s3': { reason: 'history letter X is an application-analyzer flag', relax: 'drop-X' },
  // The inner IPv6-over-UDP (Teredo) TCP connection needs Teredo decapsulation, which the decoder
  // (src/wire/tunnels.ts) does not do yet: that row is absent, every outer row must agree.
  'teredo-tunnel': { reason: 'inner Teredo TCP row needs decapsulation in src/wire', relax: 'missing-ok' },
};

test('every Zeek baseline: conn_state and history of each TCP row', () => {
  const entries = readManifest(ZEEK_CORPUS);
  assert.ok(entries.length >= 40, `only ${entries.length} traces found`);
  for (const entry of entries) {
    const known = KNOWN[entry.name];
    const r = runTrace(entry);
    if (known?.relax === 'drop-X') {
      for (const d of r.disagreements.filter((x) => /history/.test(x))) {
        const m = /history ours (\S+) zeek (\S+)/.exec(d)!;
        assert.equal(m[1], m[2]!.replace(/[Xx]/g, ''), `${entry.name}: ${d}`);
      }
      assert.deepEqual(r.missing, [], `${entry.name}: missing rows`);
      continue;
    }
    const stateHistory = r.disagreements.filter((d) => /: (conn_state|history) /.test(d));
    assert.deepEqual(stateHistory, [], `${entry.name}: conn_state/history`);
    assert.deepEqual(r.extra, [], `${entry.name}: rows Zeek did not log`);
    if (known?.relax === 'missing-ok') assert.ok(r.missing.length <= 1, `${entry.name}: ${r.missing}`);
    else assert.deepEqual(r.missing, [], `${entry.name}: missing rows`);
  }
});

test('every Zeek baseline: the other unmasked columns', () => {
  for (const entry of readManifest(ZEEK_CORPUS)) {
    const r = runTrace(entry);
    const others = r.disagreements.filter((d) => !/: (conn_state|history) /.test(d));
    assert.deepEqual(others, [], entry.name);
  }
});

test('extra/: histories, conn_states and Zeek endpoint states', () => {
  const checks = extraChecks();
  assert.equal(checks.length, 8);
  for (const c of checks) assert.equal(c.actual, c.expected, c.name);
});

// The CLI itself (`synack conns --zeek`) on traces that exercise each part of it: Zeek's row
// splits and port reuse (pop3-rej-reuse), --verify-checksums where the MANIFEST's Zeek command has
// no -C (both), a bad checksum flagged only when verified (syn-bad-chksum). The whole corpus
// through the CLI: scripts/parity-zeek.ts (slower).
const CLI_TRACES = ['pop3-rej-reuse', 'syn-bad-chksum'];

test("synack conns --zeek: the printed rows equal Zeek's, synack_id names the first packet's connection", {}, () => {
  const entries = readManifest(ZEEK_CORPUS).filter((e) => CLI_TRACES.includes(e.name));
  assert.equal(entries.length, CLI_TRACES.length);
  for (const entry of entries) {
    const rows = cliZeekRows(entry);
    const r = compareRows(entry.name, rows, entry.baseline);
    assert.deepEqual(r.disagreements, [], entry.name);
    assert.deepEqual(r.missing, [], entry.name);
    assert.deepEqual(r.extra, [], entry.name);
    assert.equal(r.exact, r.baselineRows, entry.name);
    // Same rows, same order, as ZeekConnLog run directly (but for synack_id, which it lacks).
    const direct = zeekRows(entry.trace, entry.verifyChecksums).map(asBaselineRow);
    const strip = (x: Record<string, string>) => ({ ...x, synack_id: '' });
    assert.deepEqual(rows.map(strip), direct.map(strip), entry.name);
    assert.deepEqual(checkSynackIds(entry, rows), [], entry.name);
  }
  // syn-bad-chksum: Zeek without -C flags the bad segment ('C'/'c'); without the option we do not.
  const bad = entries.find((e) => e.name === 'syn-bad-chksum')!;
  const verified = cliZeekRows(bad)[0]!.history!;
  assert.match(verified, /[Cc]/);
  const unverified = synackCli(['conns', '--zeek', bad.trace]).stdout;
  assert.doesNotMatch(
    unverified
      .split('\n')
      .filter((l) => !l.startsWith('#'))[0]!
      .split('\t')[15]!,
    /[Cc]/,
  );
  // Usage: --json and --zeek exclude each other.
  assert.equal(synackCli(['conns', '--zeek', '--json', bad.trace]).code, 1);
});

test('a bare Zeek run (no likely server ports) does not flip a lone SYN+ACK start', () => {
  const entry = readManifest(ZEEK_CORPUS).find((e) => e.name === 'localhost-bad-chksum')!;
  const bare = compareTrace(
    entry.name,
    zeekRows(entry.trace, true, { ports: BARE_RUN_PORTS[entry.name]!.ports }),
    entry.baseline,
  );
  assert.equal(bare.exact, 2);
  // With a default run's ports Zeek would flip at once (port 80): a different history.
  const flipped = zeekRows(entry.trace, true);
  assert.ok(flipped.some((r) => r.history.startsWith('^h')));
});

// ---------------------------------------------------------------- unit cases

const A = [10, 0, 0, 1];
const B = [10, 0, 0, 2];

function seg(
  pkt: Packet,
  fromA: boolean,
  tUsec: number,
  flags: number,
  seq: number,
  ack: number,
  len = 0,
  window = 65535,
): Packet {
  pkt.ipVersion = 4;
  pkt.src.set(fromA ? A : B);
  pkt.dst.set(fromA ? B : A);
  pkt.srcPort = fromA ? 40000 : 8443;
  pkt.dstPort = fromA ? 8443 : 40000;
  pkt.setTime(Math.floor(tUsec / 1e6), (tUsec % 1e6) * 1000);
  pkt.flags = flags;
  pkt.seq = seq >>> 0;
  pkt.ack = ack >>> 0;
  pkt.payloadLen = len;
  pkt.headerLen = 20;
  pkt.tcpCaptured = 20 + len;
  pkt.window = window;
  pkt.ipTotalLen = 40 + len;
  pkt.checksumStatus = 'unverified';
  return pkt;
}

test('a normal connection: ShADadFf, SF, sequence-space bytes', () => {
  const s = new ZeekSummary();
  const p = new Packet();
  s.add(seg(p, true, 0, SYN, 1000, 0), true);
  s.add(seg(p, false, 10, SYN | ACK, 5000, 1001), false);
  s.add(seg(p, true, 20, ACK, 1001, 5001), true);
  s.add(seg(p, true, 30, ACK | PSH, 1001, 5001, 100), true);
  s.add(seg(p, false, 35, ACK, 5001, 1101), false);
  s.add(seg(p, false, 40, ACK | PSH, 5001, 1101, 200), false);
  s.add(seg(p, true, 50, ACK | FIN, 1101, 5201), true);
  s.add(seg(p, false, 60, ACK | FIN, 5201, 1102), false);
  s.add(seg(p, true, 70, ACK, 1102, 5202), true);
  assert.equal(s.history(), 'ShADadFf');
  assert.equal(s.connState(), 'SF');
  assert.equal(s.origBytes, 100n);
  assert.equal(s.respBytes, 200n);
  assert.equal(s.origPkts, 5);
  assert.equal(s.respPkts, 4);
  // Duration stops at the second FIN: the last ACK does not count.
  assert.equal(s.durationUsec, 60);
});

test('retransmissions are recorded on a log scale: 1st, 10th, 100th', () => {
  const s = new ZeekSummary();
  const p = new Packet();
  s.add(seg(p, true, 0, SYN, 0, 0), true);
  s.add(seg(p, false, 1, SYN | ACK, 0, 1), false);
  s.add(seg(p, true, 2, ACK | PSH, 1, 1, 10), true);
  for (let i = 0; i < 100; i++) s.add(seg(p, true, 3 + i, ACK | PSH, 1, 1, 10), true);
  assert.equal(s.history(), 'ShDTTT');
  for (let i = 0; i < 50; i++) s.add(seg(p, true, 200 + i, ACK | PSH, 1, 1, 10), true);
  assert.equal(s.history(), 'ShDTTT');
});

test('zero windows (W) and bad checksums (C) are log-scale too; a bad segment is otherwise ignored', () => {
  const s = new ZeekSummary();
  const p = new Packet();
  s.add(seg(p, true, 0, SYN, 0, 0), true);
  const bad = seg(p, false, 1, SYN | ACK, 0, 1);
  bad.checksumStatus = 'bad';
  s.add(bad, false);
  assert.equal(s.history(), 'Sc');
  assert.equal(s.respPkts, 0);
  assert.equal(s.connState(), 'S0');
  s.add(seg(p, false, 2, SYN | ACK, 0, 1, 0, 0), false);
  assert.equal(s.history(), 'Schw');
});

test('RST answering a SYN is REJ; a SYN then the originator RST is RSTOS0', () => {
  const p = new Packet();
  const rej = new ZeekSummary();
  rej.add(seg(p, true, 0, SYN, 0, 0), true);
  rej.add(seg(p, false, 1, RST | ACK, 0, 1), false);
  assert.equal(`${rej.history()} ${rej.connState()}`, 'Sr REJ');
  const rsto = new ZeekSummary();
  rsto.add(seg(p, true, 0, SYN, 0, 0), true);
  rsto.add(seg(p, true, 1, RST, 1, 0), true);
  assert.equal(`${rsto.history()} ${rsto.connState()}`, 'SR RSTOS0');
});

test('orientation: Zeek first-segment flip rule and the flip after a SYN+ACK start', () => {
  const ports = new PortSet([80, 6667]);
  assert.equal(flipAtFirstSegment(SYN, 80, 40000, ports), false, 'a plain SYN never flips');
  assert.equal(flipAtFirstSegment(SYN | ACK, 80, 40000, ports), true);
  assert.equal(flipAtFirstSegment(ACK, 40000, 80, ports), false);
  assert.equal(flipAtFirstSegment(SYN | ACK, 80, 6667, ports), false, 'both likely: not a SYN+ACK');
  assert.equal(flipAtFirstSegment(ACK, 80, 6667, ports), true, 'both likely: lower source port flips');
  assert.equal(flipAtFirstSegment(ACK, 6667, 80, ports), false);
  assert.equal(flipsAfterSynAckStart(ACK, 0), true);
  assert.equal(flipsAfterSynAckStart(RST | ACK, 0), false);
  assert.equal(flipsAfterSynAckStart(FIN | ACK, 0), false);

  // Neither port likely: the SYN+ACK sender is orig until the ACK arrives, then ^h.
  const s = new ZeekSummary({ ports: new PortSet() });
  const p = new Packet();
  s.add(seg(p, false, 0, SYN | ACK, 5000, 1001), true);
  assert.equal(s.history(), 'H');
  assert.equal(s.origIsA, true);
  s.add(seg(p, true, 1, ACK, 1001, 5001), false);
  assert.equal(s.history(), '^hA');
  assert.equal(s.origIsA, false);
  s.add(seg(p, true, 2, ACK | PSH, 1001, 5001, 50), false);
  assert.equal(s.connState(), 'S1');
});

test('conn.log: Zeek header, 22 columns plus synack_id, uid in base 62', () => {
  assert.equal(zeekUid(1), 'C1');
  assert.equal(zeekUid(62), 'C10');
  assert.equal(zeekUid(61), 'Cz');
  const text = zeekConnLog(
    [
      {
        zeekId: 3,
        tsUsec: 1_362_692_526_869_344,
        ipVersion: 4,
        origAddr: new Uint8Array([10, 0, 0, 1]),
        origPort: 40000,
        respAddr: new Uint8Array([93, 184, 216, 34]),
        respPort: 80,
        durationUsec: null,
        origBytes: null,
        respBytes: null,
        connState: 'S0',
        missedBytes: 0,
        history: 'S',
        origPkts: 1,
        origIpBytes: 60,
        respPkts: 0,
        respIpBytes: 0,
        synackId: 7,
      },
    ],
    1_362_692_526_869_344,
    1_362_692_527_000_000,
  );
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], '#separator \\x09');
  assert.equal(lines[4], '#path\tconn');
  assert.match(lines[5]!, /^#open\t2013-03-07-21-42-06$/);
  const fields = lines[6]!.split('\t').slice(1);
  assert.equal(fields.length, 23);
  assert.equal(fields[21], 'ip_proto');
  assert.equal(fields[22], 'synack_id');
  assert.equal(
    lines[8],
    '1362692526.869344\tC3\t10.0.0.1\t40000\t93.184.216.34\t80\ttcp\t-\t-\t-\t-\tS0\tT\tF\t0\tS\t1\t60\t0\t0\t-\t6\t7',
  );
  assert.match(lines[9]!, /^#close\t/);
});
