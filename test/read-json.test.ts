// `synack read --json` field by field against tshark 4.0 (`-T fields`) on corpus captures: the
// IP fields (ttl, id, DF), raw and relative sequence numbers (Wireshark's relative numbering),
// the raw and scaled window, the payload length and the option kinds. Prints the agreement rate
// per field; every field must agree on every packet.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { JsonSink } from '../src/cli/cmd-read.js';
import { readInto } from '../src/cli/input-pipeline.js';
import { OutputBuffer } from '../src/cli/output-buffer.js';
import { PacketJsonState } from '../src/report/packet-json.js';
import { buildFrame } from '../src/wire/build.js';
import { Decoder } from '../src/wire/decode.js';
import { Packet } from '../src/wire/packet.js';
import { CaptureRecord } from '../src/wire/record.js';
import { SURICATA_CORPUS, ZEEK_CORPUS } from './helpers/paths.js';
import { hasTshark } from './helpers/tools.js';

// Few files (tshark takes a second to start), each for a reason: mid-stream start and offload
// lengths, PPPoE in QinQ, IPv6, port reuse, a reordered handshake, a one-sided capture, TFO.
const FILES = [
  join(ZEEK_CORPUS, 'ftp-ipv6.pcap'),
  join(ZEEK_CORPUS, 'ldap-midstream-pcapng.pcapng'),
  join(ZEEK_CORPUS, 'pppoe-over-qinq.pcap'),
  join(ZEEK_CORPUS, 'pop3-rej-reuse.pcap'),
  join(ZEEK_CORPUS, 'extra', 'handshake-reorder.pcap'),
  join(SURICATA_CORPUS, 'sv-async-cli-noasync.pcap'),
  join(SURICATA_CORPUS, 'sv-tcp-fastopen.pcap'),
];

const FIELDS = [
  'frame.number',
  'ip.ttl',
  'ipv6.hlim',
  'ip.id',
  'ip.flags.df',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.seq',
  'tcp.ack',
  'tcp.flags.ack',
  'tcp.window_size_value',
  'tcp.window_size',
  'tcp.len',
  'tcp.option_kind',
];

/**
 * Known disagreements, asserted as such: in these frames the PPPoE session length ends the
 * payload 6 bytes before the IPv4 total length does. The contract's `len` comes from the IP
 * lengths (6, as tcpdump prints `length 6`); tshark bounds TCP by the PPPoE payload (0).
 */
const KNOWN_LEN_DIFFERENCES = new Set([
  'pppoe-over-qinq.pcap#19',
  'pppoe-over-qinq.pcap#33',
  'pppoe-over-qinq.pcap#41',
  'pppoe-over-qinq.pcap#47',
  'pppoe-over-qinq.pcap#63',
  'pppoe-over-qinq.pcap#81',
]);

/** tshark lists the padding after an EOL as more EOLs; synack's option list ends at the EOL. */
function tsharkKinds(v: string | undefined): string[] {
  const kinds = (v ?? '').split(',').filter((k) => k !== '');
  const eol = kinds.indexOf('0');
  return eol >= 0 ? kinds.slice(0, eol + 1) : kinds;
}

/** The innermost value of a tshark field (tunnelled frames list one value per layer). */
function last(v: string | undefined): string {
  if (v === undefined || v === '') return '';
  const parts = v.split(',');
  return parts[parts.length - 1]!;
}

interface JsonRecord {
  frame: number;
  ttl: number;
  ip_id: number | null;
  df: boolean;
  seq: number;
  ack: number;
  rel_seq: number;
  rel_ack: number;
  flags: string;
  win: number;
  win_scaled: number;
  len: number;
  options: { kind: string; type?: number }[];
  ip_version: number;
}

const OPTION_KIND: Record<string, number> = {
  eol: 0,
  nop: 1,
  mss: 2,
  ws: 3,
  sackOK: 4,
  sack: 5,
  ts: 8,
  mptcp: 30,
};

test('read --json agrees with tshark field by field', async (t) => {
  if (!hasTshark) return t.skip('tshark not installed');
  const agree = new Map<string, [number, number]>();
  const disagreements: string[] = [];
  const check = (field: string, file: string, frame: number, ours: unknown, theirs: unknown) => {
    const a = agree.get(field) ?? [0, 0];
    a[1]++;
    if (String(ours) === String(theirs)) a[0]++;
    else if (disagreements.length < 20)
      disagreements.push(`${file}#${frame} ${field}: synack ${ours}, tshark ${theirs}`);
    agree.set(field, a);
  };
  const present = FILES.filter((f) => existsSync(f));
  // tshark starts slowly: run it for every file at once while synack decodes.
  const tsharkOut = present.map(
    (file) =>
      new Promise<string>((done, fail) => {
        const args = ['-n', '-r', file, '-Y', 'tcp', '-T', 'fields', '-E', 'occurrence=a'];
        for (const f of FIELDS) args.push('-e', f);
        execFile('tshark', args, { maxBuffer: 1 << 28 }, (err, stdout) => (err ? fail(err) : done(stdout)));
      }),
  );
  for (const [i, file] of present.entries()) {
    let text = '';
    const out = new OutputBuffer((s) => {
      text += s;
    });
    await readInto([file], new JsonSink(out), out, { reassemble: true, verifyChecksums: false }, () => {});
    const records = new Map<number, JsonRecord>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const r = JSON.parse(line) as JsonRecord;
      records.set(r.frame, r);
    }
    const name = file.split('/').pop()!;
    for (const row of (await tsharkOut[i]!).split('\n')) {
      if (row === '') continue;
      const v = row.split('\t');
      const frame = Number(v[0]);
      const r = records.get(frame);
      check('packet present', name, frame, r !== undefined, true);
      if (r === undefined) continue;
      check('ttl', name, frame, r.ttl, last(r.ip_version === 6 ? v[2] : v[1]));
      if (r.ip_version === 4) {
        check('ip_id', name, frame, r.ip_id, Number.parseInt(last(v[3]), 16));
        check('df', name, frame, r.df, last(v[4]) === '1' || last(v[4]) === 'True');
      }
      check('seq', name, frame, r.seq, last(v[5]));
      check('ack', name, frame, r.ack, last(v[6]));
      check('rel_seq', name, frame, r.rel_seq, last(v[7]));
      if (r.flags.includes('.')) check('rel_ack', name, frame, r.rel_ack, last(v[8]));
      check('win', name, frame, r.win, last(v[10]));
      check('win_scaled', name, frame, r.win_scaled, last(v[11]));
      if (KNOWN_LEN_DIFFERENCES.has(`${name}#${frame}`)) {
        check('len (known PPPoE difference)', name, frame, `${r.len}/${last(v[12])}`, '6/0');
      } else check('len', name, frame, r.len, last(v[12]));
      const theirKinds = tsharkKinds(v[13]);
      // Both TFO spellings (kind 34, and 254 with magic 0xf989) are `tfo` in the record.
      const kinds = r.options.map((o, i) =>
        o.kind === 'tfo' && (theirKinds[i] === '34' || theirKinds[i] === '254')
          ? theirKinds[i]
          : o.kind in OPTION_KIND
            ? OPTION_KIND[o.kind]
            : (o.type ?? -1),
      );
      check('options', name, frame, kinds.join(','), theirKinds.join(','));
    }
  }
  const report = [...agree].map(([f, [a, n]]) => `${f} ${a}/${n} (${((100 * a) / n).toFixed(2)}%)`);
  t.diagnostic(`agreement with tshark: ${report.join('; ')}`);
  for (const d of disagreements) t.diagnostic(d);
  for (const [field, [a, n]] of agree)
    assert.equal(a, n, `${field}: ${a}/${n} agree with tshark\n${disagreements.join('\n')}`);
});

test('read --json forgets a 4-tuple on the tracker’s horizon (--idle, a count), as a conversation joined mid-stream', () => {
  const decoder = new Decoder({});
  const pkt = new Packet();
  const relSeq = (state: PacketJsonState, srcPort: number, seq: number, flags: string, atSec: number) => {
    const data = buildFrame({
      link: 'raw',
      src: '10.0.0.1',
      dst: '10.0.0.2',
      srcPort,
      dstPort: 80,
      seq,
      flags,
    });
    const rec = new CaptureRecord();
    rec.frame = 1;
    rec.linktype = 101;
    rec.data = data;
    rec.caplen = rec.origLen = data.length;
    rec.tsSec = 1_700_000_000 + Math.floor(atSec);
    rec.tsNsec = Math.round((atSec % 1) * 1e9);
    decoder.decode(rec, pkt);
    state.update(pkt, '10.0.0.1', '10.0.0.2');
    return state.relSeq;
  };
  const bounded = new PacketJsonState({ idleUsec: 1_000_000, maxPairs: 4 });
  const unbounded = new PacketJsonState();
  for (const state of [bounded, unbounded]) {
    assert.equal(relSeq(state, 40000, 1000, 'S', 0), 0);
    assert.equal(relSeq(state, 40000, 5001, '.', 0.9), 4001);
  }
  // 1.1 s unseen with --idle 1: counted again from this segment (its base one before it).
  assert.equal(relSeq(bounded, 40000, 6001, '.', 2), 1);
  assert.equal(relSeq(unbounded, 40000, 6001, '.', 2), 5001);
  // Five other 4-tuples: past the count of 4 the oldest is forgotten (memory stays bounded).
  for (let port = 40001; port <= 40005; port++) relSeq(bounded, port, 1, 'S', 2.1);
  assert.equal(relSeq(bounded, 40000, 7001, '.', 2.2), 1);
});
