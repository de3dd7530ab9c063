// The error contract of `synack read` (PRODUCT.md "Exit codes and errors"): a file-level fault
// (not a capture, a record cut short, a corrupt pcapng block, a missing file) prints every packet
// before it, then exactly one stderr line `synack: FILE: byte OFFSET: WHAT`, exit 2; wrong usage
// exits 1; never a stack trace.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, ZEEK_CORPUS } from './helpers/paths.js';
import { synack } from './helpers/synack-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'synack-cli-errors-'));
const PCAP = join(FIXTURES, 'tcpdump-lo-ipv4.pcap');

function assertOneFaultLine(stderr: string, file: string): number {
  const lines = stderr.split('\n').filter((l) => l !== '');
  const faults = lines.filter((l) => l.startsWith(`synack: ${file}: byte `));
  assert.equal(faults.length, 1, `one fault line expected:\n${stderr}`);
  assert.match(
    faults[0]!,
    new RegExp(`^synack: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: byte \\d+: \\S.*$`),
  );
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  return Number(/: byte (\d+): /.exec(faults[0]!)![1]);
}

/** Offsets of the record headers of a little-endian microsecond pcap. */
function pcapRecordOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let o = 24; o + 16 <= bytes.length; o += 16 + bytes.readUInt32LE(o + 8)) offsets.push(o);
  return offsets;
}

test('a file that is not a capture: one line at byte 0, exit 2, nothing on stdout', () => {
  const f = join(tmp, 'notes.txt');
  writeFileSync(f, 'these are not packets\n'.repeat(10));
  const r = synack(['read', '--tcpdump', f]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(assertOneFaultLine(r.stderr, f), 0);
});

test('a record cut short: the packets before it are printed, then the fault at its offset', () => {
  const bytes = readFileSync(PCAP);
  const offsets = pcapRecordOffsets(bytes);
  const cutRecord = 5; // 0-based: records 0..4 are whole
  const f = join(tmp, 'cut.pcap');
  writeFileSync(f, bytes.subarray(0, offsets[cutRecord]! + 16 + 10));
  const whole = synack(['read', '--tcpdump', PCAP]);
  const r = synack(['read', '--tcpdump', f]);
  assert.equal(r.code, 2);
  const expected = whole.stdout.split('\n').slice(0, cutRecord);
  assert.deepEqual(r.stdout.split('\n').slice(0, -1), expected);
  assert.equal(assertOneFaultLine(r.stderr, f), offsets[cutRecord]);
});

test('--json also prints every record before a fault', () => {
  const bytes = readFileSync(PCAP);
  const offsets = pcapRecordOffsets(bytes);
  const f = join(tmp, 'cut-json.pcap');
  writeFileSync(f, bytes.subarray(0, offsets[3]! + 7));
  const r = synack(['read', '--json', f]);
  assert.equal(r.code, 2);
  const frames = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { frame: number }).frame);
  assert.deepEqual(frames, [1, 2, 3]);
  assertOneFaultLine(r.stderr, f);
});

test('a corrupt pcapng block: packets before it printed, one fault line, exit 2', (t) => {
  const src = join(ZEEK_CORPUS, 'flip-without-syn-pcapng.pcapng');
  if (!existsSync(src)) return t.skip('corpus absent');
  const bytes = Buffer.from(readFileSync(src));
  // Walk the blocks; break the length of the 6th block (its two length fields then disagree).
  const blocks: number[] = [];
  for (let o = 0; o + 12 <= bytes.length; o += bytes.readUInt32LE(o + 4)) blocks.push(o);
  const victim = blocks[5]!;
  bytes.writeUInt32LE(bytes.readUInt32LE(victim + 4) + 4, victim + 4);
  const f = join(tmp, 'corrupt.pcapng');
  writeFileSync(f, bytes);
  const r = synack(['read', '--tcpdump', f]);
  assert.equal(r.code, 2);
  const offset = assertOneFaultLine(r.stderr, f);
  assert.ok(offset >= victim, `fault at ${offset}, corrupted block at ${victim}`);
  const packetsBefore = blocks.slice(0, 5).filter((o) => bytes.readUInt32LE(o) === 6).length;
  assert.equal(r.stdout.split('\n').filter((l) => l !== '').length, packetsBefore);
});

test('a missing file: one line naming it, exit 2', () => {
  const f = join(tmp, 'does-not-exist.pcap');
  const r = synack(['read', '--tcpdump', f]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.startsWith(`synack: ${f}: `), lines[0]);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('wrong usage exits 1: no file, or --tcpdump with --json', () => {
  assert.equal(synack(['read']).code, 1);
  const r = synack(['read', '--tcpdump', '--json', PCAP]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
});

test('a capture that reads cleanly exits 0', () => {
  const r = synack(['read', '--tcpdump', PCAP]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.split('\n').length > 10);
});
