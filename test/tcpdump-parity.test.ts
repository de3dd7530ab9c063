// The decoding oracle: `synack read --tcpdump` must print, byte for byte, tcpdump 4.99.3's
// `-n -tt` line (cut after `length N`) for every frame where tcpdump shows a TCP header, on every
// corpus capture and on our own fixtures (loopback IPv4/IPv6 and an `-i any` SLL2 capture
// recorded with tcpdump, plus crafted frames for options, encapsulations, extension headers and
// snaplen cuts). tcpdump itself produces the expected output at run time.

import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { capturesIn, type FileParity, parityForFile } from '../scripts/parity-tcpdump.js';
import { FIXTURES, SURICATA_CORPUS, ZEEK_CORPUS } from './helpers/paths.js';
import { hasTcpdump } from './helpers/tools.js';

function describe(r: FileParity): string {
  return r.diffs
    .slice(0, 5)
    .map((d) => `#${d.frame}\n  tcpdump: ${d.tcpdump}\n  synack:  ${d.synack}`)
    .join('\n');
}

/** Frames synack prints that tcpdump does not decode (counted separately, never compared). */
const EXPECTED_BEYOND: Record<string, number> = {
  'gtp-tunnel-s3.pcap': 78, // TCP in GTP-U: tcpdump prints `UDP, length N`
  'pbb-8021ah.pcap': 8, // 802.1ah: tcpdump prints `ethertype Unknown (0x88e7)`
  'fabricpath.pcap': 17, // Cisco FabricPath: tcpdump prints `ethertype Unknown (0x8903)`
  'ldap-midstream-pcapng.pcapng': 3, // IPv4 total length 0 (offload): tcpdump prints `IP bad-len 0`
  'tcpdump-edges.pcap': 2, // TCP in Teredo and in GTP-U
  'teredo-tunnel.pcap': 22, // Teredo between ephemeral ports (Zeek's detection): tcpdump prints `UDP`
  'sv-teredo.pcap': 22, // the same file in the suricata-verify folder
};

for (const [name, dir] of [
  ['zeek corpus', ZEEK_CORPUS],
  ['suricata-verify corpus', SURICATA_CORPUS],
  ['own fixtures', FIXTURES],
] as const) {
  test(`read --tcpdump is identical to tcpdump on every ${name} capture`, async (t) => {
    if (!hasTcpdump) return t.skip('tcpdump not installed');
    const files = capturesIn(dir);
    assert.ok(files.length > 0, `no captures in ${dir}`);
    let same = 0;
    let total = 0;
    for (const file of files) {
      const r = await parityForFile(file);
      assert.ok(r.openable, `${file}: tcpdump could not read it`);
      same += r.identical;
      total += r.total;
      assert.equal(
        r.identical,
        r.total,
        `${basename(file)}: ${r.identical}/${r.total} lines identical\n${describe(r)}`,
      );
      assert.equal(
        r.beyond,
        EXPECTED_BEYOND[basename(file)] ?? 0,
        `${basename(file)}: frames beyond tcpdump`,
      );
    }
    t.diagnostic(`${name}: ${same}/${total} identical lines in ${files.length} files`);
    assert.ok(total > 0);
  });
}

test('recorded fixtures cover IPv4, IPv6 and SLL2 lines', async (t) => {
  if (!hasTcpdump) return t.skip('tcpdump not installed');
  for (const f of ['tcpdump-lo-ipv4.pcap', 'tcpdump-lo-ipv6.pcap', 'tcpdump-any-sll2.pcap']) {
    const r = await parityForFile(join(FIXTURES, f));
    assert.ok(r.total >= 10, `${f}: ${r.total} TCP lines`);
    assert.equal(r.identical, r.total);
  }
});
