// `synack extract`: one connection's frames, byte for byte with their timestamps, lengths and link
// type, in a capture that tcpdump reads and that `synack conns` describes exactly as it described
// the connection inside the original capture (apart from its id and frame numbers).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { forEachRecord } from '../src/wire/capture-bytes.js';
import { pcapBytes } from '../src/wire/pcap-writer.js';
import { FIXTURES, ZEEK_CORPUS } from './helpers/paths.js';
import { jsonLines, synack } from './helpers/synack-cli.js';
import { tempDir } from './helpers/temp-dir.js';
import { hasTcpdump } from './helpers/tools.js';

const tmp = tempDir('synack-extract');
const SLL2 = join(FIXTURES, 'tcpdump-any-sll2.pcap');

interface Rec {
  frame: number;
  tsSec: number;
  tsNsec: number;
  linktype: number;
  origLen: number;
  data: number[];
}

function records(bytes: Uint8Array): Rec[] {
  const out: Rec[] = [];
  let frame = 0;
  forEachRecord(bytes, (rec) => {
    out.push({
      frame: ++frame,
      tsSec: rec.tsSec,
      tsNsec: rec.tsNsec,
      linktype: rec.linktype,
      origLen: rec.origLen,
      data: [...rec.data],
    });
  });
  return out;
}

type ConnJson = Record<string, unknown> & { id: number; events: { frame: number }[] };

/** The record without what depends on the file it sits in: the id and event frame numbers. */
function portable(r: ConnJson): Record<string, unknown> {
  const { id: _id, ...rest } = r;
  return { ...rest, events: r.events.map(({ frame: _f, ...e }) => e) };
}

function conns(file: string): ConnJson[] {
  return jsonLines<ConnJson>(synack(['conns', '--json', file]).stdout).sort((a, b) => a.id - b.id);
}

/** Frames of connection `id` in `file`, from `read --json`. */
function framesOf(file: string, id: number): number[] {
  return jsonLines<{ frame: number; conn: number }>(synack(['read', '--json', file]).stdout)
    .filter((p) => p.conn === id)
    .map((p) => p.frame);
}

test('each connection extracted: the same frames, byte for byte, and the same record', () => {
  const original = records(readFileSync(SLL2));
  const before = conns(SLL2);
  assert.equal(before.length, 5);
  for (const rec of before) {
    const out = join(tmp, `conn-${rec.id}.pcap`);
    const r = synack(['extract', SLL2, '--conn', String(rec.id), '-w', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^synack: \\d+ packets of connection ${rec.id} \\(`));
    const got = records(readFileSync(out));
    const want = framesOf(SLL2, rec.id).map((f) => ({ ...original[f - 1]!, frame: 0 }));
    assert.deepEqual(
      got.map((g) => ({ ...g, frame: 0 })),
      want,
      `connection ${rec.id}: frames, timestamps, lengths, link type`,
    );
    const after = conns(out);
    assert.equal(after.length, 1);
    assert.deepEqual(portable(after[0]!), portable(rec), `connection ${rec.id}: conns record`);
  }
});

test('tcpdump reads the extracted capture: its lines are the original lines of that connection', (t) => {
  if (!hasTcpdump) return t.skip('tcpdump not installed');
  const out = join(tmp, 'conn-4-tcpdump.pcap');
  assert.equal(synack(['extract', SLL2, '--conn', '127.0.0.1:18081-127.0.0.1:54130', '-w', out]).code, 0);
  const lines = (file: string) =>
    spawnSync('tcpdump', ['-n', '-tt', '-r', file], { encoding: 'utf8' }).stdout.trim().split('\n');
  const got = lines(out);
  assert.equal(got.length, 12);
  assert.deepEqual(
    got,
    lines(SLL2).filter((l) => /\.54130[ :]/.test(l)),
  );
});

test('-w - writes the same capture to stdout', () => {
  const file = join(tmp, 'conn-5-file.pcap');
  assert.equal(synack(['extract', SLL2, '--conn', '5', '-w', file]).code, 0);
  const r = synack(['extract', SLL2, '--conn', '5', '-w', '-']);
  assert.equal(r.code, 0);
  assert.ok(r.out.length > 24);
  assert.deepEqual(new Uint8Array(r.out), new Uint8Array(readFileSync(file)));
  assert.match(r.stderr, /written to stdout/);
});

test('never overwrites an input; no match writes nothing; bad usage exits 1', () => {
  const before = readFileSync(SLL2);
  const r = synack(['extract', SLL2, '--conn', '1', '-w', SLL2]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is an input file: refusing to overwrite it/);
  assert.deepEqual(readFileSync(SLL2), before);
  const missing = join(tmp, 'none.pcap');
  const none = synack(['extract', SLL2, '--conn', '42', '-w', missing]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no connection matches --conn 42/);
  assert.equal(existsSync(missing), false);
  assert.equal(synack(['extract', SLL2, '--conn', '1']).code, 1, 'no -w');
  assert.equal(synack(['extract', SLL2, '-w', missing]).code, 1, 'neither --conn nor --filter');
  assert.equal(synack(['extract', SLL2, '--conn', '1.2.3.4', '-w', missing]).code, 1, 'bad selector');
});

test('--filter extracts every selected connection, in frame order', () => {
  const out = join(tmp, 'ipv6.pcap');
  const r = synack(['extract', SLL2, '--filter', 'ip6', '-w', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /of 2 connections/);
  const before = conns(SLL2).filter((c) => c.id === 3 || c.id === 5);
  assert.deepEqual(conns(out).map(portable), before.map(portable));
});

test('the n-th connection on a reused 4-tuple; a nanosecond-magic capture', () => {
  const reuse = join(ZEEK_CORPUS, 'pop3-rej-reuse.pcap');
  const nano = join(ZEEK_CORPUS, 'get-to-ssh-nanosec.pcap');
  const out = join(tmp, 'reuse-2.pcap');
  const r = synack(['extract', reuse, '--conn', '212.227.15.188:110-192.168.0.4:26242#2', '-w', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /of connection 2 /);
  // The same record, except what came from outside it: in the original, Wireshark's analysis saw
  // this SYN repeat the first connection's (same ISN on the same 4-tuple): syn-retransmission.
  // Alone in its file it is a first SYN, as tshark would say too (and no retransmission is counted).
  const inOriginal = portable(conns(reuse)[1]!);
  assert.deepEqual(inOriginal.events, [
    { time: 1377201634.118955, from: 'orig', kind: 'syn-retransmission' },
  ]);
  assert.deepEqual(inOriginal.retransmissions, { orig: 1, resp: 0 });
  assert.deepEqual(conns(out).map(portable), [
    { ...inOriginal, events: [], retransmissions: { orig: 0, resp: 0 } },
  ]);
  // A bare 4-tuple with several connections takes the first and says so.
  const first = synack(['extract', reuse, '--conn', '192.168.0.4:26242-212.227.15.188:110', '-w', '-']);
  assert.match(first.stderr, /3 connections on that 4-tuple \(ids 1, 2, 3\); extracted the first/);
  // A nanosecond file whose stamps are whole microseconds: the values are kept exactly (the
  // writer uses the microsecond magic, which holds them all).
  const nout = join(tmp, 'nano.pcap');
  assert.equal(synack(['extract', nano, '--conn', '1', '-w', nout]).code, 0);
  const src = records(readFileSync(nano));
  assert.deepEqual(
    records(readFileSync(nout)).map((x) => [x.tsSec, x.tsNsec]),
    framesOf(nano, 1).map((f) => [src[f - 1]!.tsSec, src[f - 1]!.tsNsec]),
  );
});

test('nanosecond timestamps are kept to the nanosecond', () => {
  // The fixture's frames rewritten with nanosecond stamps that are not whole microseconds.
  const original = records(readFileSync(SLL2));
  const nanoFile = join(tmp, 'sll2-ns.pcap');
  writeFileSync(
    nanoFile,
    pcapBytes(
      original.map((r, i) => ({
        tsSec: r.tsSec,
        tsNsec: r.tsNsec + 1 + i,
        data: new Uint8Array(r.data),
        origLen: r.origLen,
      })),
      { linktype: original[0]!.linktype, nanosecond: true },
    ),
  );
  const out = join(tmp, 'sll2-ns-conn2.pcap');
  assert.equal(synack(['extract', nanoFile, '--conn', '2', '-w', out]).code, 0);
  const written = readFileSync(out);
  assert.equal(written.readUInt32LE(0), 0xa1b23c4d, 'nanosecond magic');
  const src = records(readFileSync(nanoFile));
  assert.deepEqual(
    records(written).map((x) => [x.tsSec, x.tsNsec, x.data]),
    framesOf(SLL2, 2).map((f) => [src[f - 1]!.tsSec, src[f - 1]!.tsNsec, src[f - 1]!.data]),
  );
});

test('connections from captures of different link types go to one pcapng, an interface per link type', () => {
  const v6 = join(FIXTURES, 'tcpdump-lo-ipv6.pcap'); // Ethernet
  const sll2 = join(FIXTURES, 'tcpdump-sll2-kinds.pcap'); // Linux cooked v2
  const out = join(tmp, 'mixed.pcapng');
  const r = synack(['extract', v6, sll2, '--filter', 'ip6 or port 80', '-w', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(out).readUInt32LE(0), 0x0a0d0d0a, 'a pcapng section header');
  const got = records(readFileSync(out));
  assert.deepEqual([...new Set(got.map((x) => x.linktype))].sort(), [1, 276]);
  const portableSet = (file: string[]) =>
    jsonLines<ConnJson>(synack(['conns', '--json', ...file]).stdout)
      .map(portable)
      .sort((a, b) => Number(a.start) - Number(b.start));
  assert.deepEqual(portableSet([out]), portableSet([v6, sll2]));
});
