// Cisco FabricPath (issue 17 item 6): SYNs a SPAN port shows twice, plain and inside FabricPath
// (test/fixtures/fabricpath.pcap, scripts/craft-fabricpath.ts, shaped like Zeek's
// cisco-fabric-path.pcap). Both copies are counted, as Zeek counts them (its baseline for that
// trace: every SYN an S0 row with orig_pkts 2, orig_ip_bytes 80 over IPv4 and 120 over IPv6),
// and the copies tcpdump cannot decode are printed in its syntax and counted apart.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES } from './helpers/paths.js';
import { synack } from './helpers/synack-cli.js';

const FILE = join(FIXTURES, 'fabricpath.pcap');

test('conns --zeek counts the SYN copies inside FabricPath in packets and IP bytes', () => {
  const r = synack(['conns', '--zeek', FILE]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const fields = lines
    .find((l) => l.startsWith('#fields'))!
    .split('\t')
    .slice(1);
  const rows = lines
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v])));
  assert.equal(rows.length, 16);
  for (const row of rows) {
    const v6 = row['id.orig_h']!.includes(':');
    // 1.1.1.10's SYN has a third copy, FabricPath behind an 802.1Q tag (Wireshark's 20-byte form).
    const copies = row['id.orig_h'] === '1.1.1.10' ? 3 : 2;
    const where = `${row['id.orig_h']}: ${JSON.stringify(row)}`;
    assert.equal(row.conn_state, 'S0', where);
    assert.equal(row.history, 'S', where);
    assert.equal(row.orig_pkts, String(copies), where);
    assert.equal(row.orig_ip_bytes, String(copies * (v6 ? 60 : 40)), where);
    assert.equal(row.resp_pkts, '0', where);
  }
});

test('read --tcpdump prints the FabricPath copies in tcpdump syntax and counts them apart', () => {
  const r = synack(['read', '--tcpdump', FILE]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 33);
  // Each copy reads exactly as its plain original, one millisecond later.
  assert.equal(lines[1]!.slice(18), lines[0]!.slice(18));
  assert.match(
    lines[1]!,
    /^1529347003\.831000 IP 1\.1\.1\.6\.57005 > 2\.2\.2\.2\.48879: Flags \[S\], seq 4096,/,
  );
  assert.match(r.stderr, /17 frames with TCP that tcpdump does not show/);
});
