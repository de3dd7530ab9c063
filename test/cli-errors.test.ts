// The error contract of `synack read` (PRODUCT.md "Exit codes and errors"): a file-level fault
// (not a capture, a record cut short, a corrupt pcapng block, a missing file) prints every packet
// before it, then exactly one stderr line `synack: FILE: byte OFFSET: WHAT`, exit 2; wrong usage
// exits 1; never a stack trace.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, REPO_ROOT, ZEEK_CORPUS } from './helpers/paths.js';
import { synack, synackArgv } from './helpers/synack-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const tmp = tempDir('synack-cli-errors');
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

test('a corrupt pcapng block: packets before it printed, one fault line, exit 2', () => {
  const src = join(ZEEK_CORPUS, 'flip-without-syn-pcapng.pcapng');
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

test('ladder, explain, states, extract: the fault line comes last, after their output and notes', () => {
  const bytes = readFileSync(PCAP);
  const offsets = pcapRecordOffsets(bytes);
  const f = join(tmp, 'cut-late.pcap');
  writeFileSync(f, bytes.subarray(0, offsets[8]! + 20));
  const runs = [
    ['ladder', f, '--conn', '1'],
    ['explain', f, '--conn', '1'],
    ['states', f],
    ['extract', f, '--conn', '1', '-w', join(tmp, 'cut-late-out.pcap')],
  ];
  for (const args of runs) {
    // stdout and stderr into one file, as a terminal or `2>&1` shows them, in the order written.
    const both = join(tmp, `both-${args[0]}.txt`);
    const fd = openSync(both, 'w');
    const [node, ...cmd] = synackArgv(...args);
    const r = spawnSync(node!, cmd, { cwd: REPO_ROOT, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    assert.equal(r.status, 2, args[0]);
    const lines = readFileSync(both, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    assert.ok(lines.length > 1, `${args[0]} printed something before the fault`);
    assert.match(lines.at(-1)!, new RegExp(`^synack: .*cut-late\\.pcap: byte ${offsets[8]}: `), args[0]);
    assert.equal(lines.filter((l) => l.includes(': byte ')).length, 1, args[0]);
  }
});

test('a usage error is one stderr line, exit 1, even when it quotes a multi-line parser error', () => {
  const f = join(tmp, 'not-a-scenario.json');
  writeFileSync(f, 'hello\nworld\n');
  const r = synack(['lab', 'run', f]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^synack lab run: .*not-a-scenario\.json: not JSON: /);
});

test('serve: a missing file or a directory is the usual fault line, exit 2; --msl is an option', () => {
  for (const f of [join(tmp, 'no-such.pcap'), tmp]) {
    const r = synack(['serve', f, '--port', '0']);
    assert.equal(r.code, 2);
    assert.equal(assertOneFaultLine(r.stderr, f), 0);
  }
  const r = synack(['serve', '--msl', 'soon']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^synack serve: --msl wants a non-negative number, not 'soon'\n$/);
});

test("every command's --help explains the options PRODUCT.md lists for it, each default said once", () => {
  const common = ['--filter', '--time-wait', '--msl', '--idle', '--max-conns', '--dedup'];
  const listed: Record<string, string[]> = {
    read: ['--tcpdump', '--json', ...common],
    conns: ['--json', '--zeek', '--parquet', '--sort', ...common],
    ladder: ['--conn', '--all', '--svg', ...common],
    explain: ['--conn', '--lang', ...common],
    extract: ['--conn', '--write', ...common],
    states: ['--at', '--timeline', '--json', ...common],
    watch: ['--once', '--json'],
    live: ['--interface', '--json', '--zeek', '--time-wait', '--msl'],
    serve: ['--port', '--host', '--time-wait', '--msl'],
  };
  for (const [command, options] of Object.entries(listed)) {
    const r = synack([command, '--help']);
    assert.equal(r.code, 0, command);
    for (const option of options)
      assert.match(r.stdout, new RegExp(`${option}[ ,<]`), `synack ${command} --help lacks ${option}`);
    assert.doesNotMatch(r.stdout, /\(default [^)]*\)\s+\(default: /, `synack ${command}: default said twice`);
  }
  const v = synack(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('an output that cannot be written: one line naming it, exit 2', () => {
  const out = join(tmp, 'no-such-dir', 'ladder.svg');
  const r = synack(['ladder', PCAP, '--conn', '1', '--svg', out]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `synack: ${out}: cannot open: no such file or directory\n`);
  const dir = synack(['conns', PCAP, '--parquet', tmp]);
  assert.equal(dir.code, 2);
  assert.equal(dir.stderr, `synack: ${tmp}: cannot open: illegal operation on a directory\n`);
});
