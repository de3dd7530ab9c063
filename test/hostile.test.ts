// Issue 14: every command on every hostile capture (test/helpers/hostile-captures.ts, small sizes;
// scripts/hostile-bench.ts runs them at 10^5–10^6 with time and memory). Each run must end before
// its watchdog, exit 0, 1 or 2 (never 70 or a signal), and write only one-line `synack: …` notes,
// at most one fault line, no stack trace. Then the pinned defects: `conns --zeek` on far-future
// pcapng stamps ended never; ≥ 2^31 s and offset stamps printed where tcpdump prints
// `[Error converting time]` or the 32-bit seconds; negative durations on backwards stamps;
// "no connection matches" before the fault line; decoder notes that did not name their file.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MAX_LAYERS } from '../src/wire/packet.js';
import {
  depthSweep,
  type HostileCapture,
  hostileCaptures,
  SMALL,
  vlanStack,
} from './helpers/hostile-captures.js';
import { HOSTILE_COMMANDS, runHostile } from './helpers/hostile-run.js';
import { CLI } from './helpers/paths.js';
import { synack } from './helpers/synack-cli.js';
import { hasTcpdump } from './helpers/tools.js';

const tmp = mkdtempSync(join(tmpdir(), 'synack-f14-hostile-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const captures = hostileCaptures(SMALL);
const fileOf = new Map<string, string>();
for (const c of captures) {
  const f = join(tmp, `${c.name}.pcap`);
  writeFileSync(f, c.bytes);
  fileOf.set(c.name, f);
}
const file = (name: string) => fileOf.get(name)!;

/** Runs `jobs` at most `n` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}

describe('every command on every hostile capture: ends, exits 0/1/2, one-line stderr', () => {
  for (const c of captures) {
    test(`${c.name}: ${c.what}`, async () => {
      const dir = join(tmp, c.name);
      mkdirSync(dir, { recursive: true });
      const runs = await pool(
        HOSTILE_COMMANDS.map(
          (cmd, i) => () => runHostile(cmd, file(c.name), join(dir, `out-${i}.pcap`), 180_000),
        ),
        3,
      );
      const bad = runs.filter((r) => r.problems.length > 0);
      assert.deepEqual(
        bad.map(
          (r) => `${r.args.slice(0, -1).join(' ')}: ${r.problems.join('; ')} | ${r.stderr.slice(0, 300)}`,
        ),
        [],
      );
    });
  }
});

function cutAfterLength(lines: string): string[] {
  return lines
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('reading from'))
    .map((l) => l.replace(/(, length \d+).*$/, '$1'));
}

test('read --tcpdump prints the times tcpdump -tt prints: 32-bit seconds, [Error converting time] from 2^31', {
  skip: !hasTcpdump && 'tcpdump not installed',
}, () => {
  const names = [
    'pcap-ts-2^31',
    'pcapng-tsoffset-2^62',
    'pcapng-tsoffset-negative',
    'pcapng-tsresol0-far-future',
    'pcap-ts-backwards',
    'pcap-usec-overflow',
    'pcap-nsec-overflow',
  ];
  for (const name of names) {
    const theirs = spawnSync('tcpdump', ['-n', '-tt', '-r', file(name)], { encoding: 'utf8' }).stdout;
    const ours = synack(['read', '--tcpdump', file(name)]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.deepEqual(cutAfterLength(ours.stdout), cutAfterLength(theirs), name);
  }
  const errors = synack(['read', '--tcpdump', file('pcap-ts-2^31')]).stdout;
  assert.match(errors, /^\[Error converting time\] IP 10\.1\.0\.1\.40000 > /);
});

test('pcap fractions of a second ≥ 1 s: read --tcpdump prints them as written, as tcpdump 4.99.3 does', () => {
  // tcpdump's own lines for these files (Debian 12, libpcap 1.10.3), so this runs without it too.
  const us = synack(['read', '--tcpdump', file('pcap-usec-overflow')]);
  assert.equal(us.code, 0, us.stderr);
  assert.deepEqual(
    us.stdout
      .split('\n')
      .slice(0, 3)
      .map((l) => l.split(' ')[0]),
    ['1700000000.1000000', '1700000000.4294967295', '1700000000.1000002'],
  );
  const ns = synack(['read', '--tcpdump', file('pcap-nsec-overflow')]);
  assert.equal(ns.code, 0, ns.stderr);
  // The ns field read as a signed 32-bit number, divided by 1000 (C truncation), printed %06u.
  assert.deepEqual(
    ns.stdout
      .split('\n')
      .slice(0, 4)
      .map((l) => l.split(' ')[0]),
    ['1700000000.1500000', '1700000000.000000', '1700000000.4293672329', '1700000000.999999'],
  );
  // Other modes keep the carried time, with a note.
  const json = JSON.parse(synack(['read', '--json', file('pcap-usec-overflow')]).stdout.split('\n')[0]!);
  assert.equal(json.time, 1700000001);
});

test('if_tsresol finer than 64 bits can count (2^-64…2^-127, 10^-20…): a file fault at the option byte, as libpcap', () => {
  const r = synack(['read', file('pcapng-tsresol-2^-127')]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr.trim(),
    `synack: ${file('pcapng-tsresol-2^-127')}: byte 48: interface description block: if_tsresol 2^-127 is ` +
      'finer than a 64-bit timestamp can count in a second (at most 2^-63 or 10^-19)',
  );
});

test('timestamps going backwards: no negative duration (conns ends at the latest segment; --zeek as Zeek: unset)', () => {
  const r = synack(['conns', '--json', file('pcap-ts-backwards')]);
  assert.equal(r.code, 0);
  const rec = JSON.parse(r.stdout.split('\n')[0]!);
  assert.ok(rec.duration >= 0, `duration ${rec.duration}`);
  assert.equal(rec.end, rec.start + rec.duration);
  const zeek = synack(['conns', '--zeek', file('pcap-ts-backwards')])
    .stdout.split('\n')
    .find((l) => !l.startsWith('#') && l !== '');
  // Zeek logs duration (and the byte counts) only when it is positive.
  assert.equal(zeek!.split('\t')[8], '-');
});

test('conns --zeek ends on far-future pcapng stamps (if_tsresol 0 near 2^64 s, if_tsoffset ±2^62)', () => {
  for (const name of ['pcapng-tsresol0-far-future', 'pcapng-tsoffset-2^62', 'pcapng-tsoffset-negative']) {
    const r = spawnSync(process.execPath, [CLI, 'conns', '--zeek', file(name)], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `${name}: ${r.error ?? r.stderr}`);
    assert.equal(r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length, 1, name);
    // The header's stamps are gmtime's calendar whatever the year (Date gives NaN past ±275 760).
    assert.match(r.stdout, /^#open\t-?\d+-\d\d-\d\d-\d\d-\d\d-\d\d$/m, name);
    assert.doesNotMatch(r.stdout, /NaN/, name);
  }
});

test('ladder, explain, extract: after a fault, the fault line first, then why nothing matched', () => {
  const whole = captures.find((c: HostileCapture) => c.name === 'conversation')!.bytes;
  const cut = join(tmp, 'cut.pcap');
  writeFileSync(cut, whole.subarray(0, whole.length - 10));
  for (const args of [
    ['ladder', '--conn', '7'],
    ['explain', '--conn', '7'],
    ['extract', '--conn', '7', '-w', join(tmp, 'never.pcap')],
  ]) {
    const r = synack([...args, cut]);
    assert.equal(r.code, 2, args[0]);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, new RegExp(`^synack: ${cut}: byte \\d+: `));
    assert.match(lines[1]!, /^synack: no connection matches --conn 7 in the packets before that fault/);
  }
});

test('decoder notes name their file (IP fragment buffer full)', () => {
  for (const cmd of [['conns'], ['read', '--json'], ['states'], ['ladder', '--conn', '1']]) {
    const r = synack([...cmd, file('conversation'), file('fragment-flood')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`^synack: ${file('fragment-flood')}: IP fragment buffer full`, 'm'),
      `${cmd[0]}: ${r.stderr}`,
    );
  }
});

// Around every old limit (GRE 16 and 24, IP-in-IP 24 and 25, 17 extension headers, 32 layers) and
// far past them: tcpdump 4.99 decodes them all.
const DEPTHS = [0, 1, 15, 16, 17, 23, 24, 25, 26, 31, 32, 33, 64, 100, 255, 256, 1000];

test('tunnels nested to any depth: read and read --tcpdump print what tcpdump prints, --json and conns count each', {
  skip: !hasTcpdump && 'tcpdump not installed',
}, () => {
  for (const kind of ['gre', 'ipip', 'ipv6-ext'] as const) {
    const f = join(tmp, `depth-${kind}.pcap`);
    writeFileSync(f, depthSweep(kind, DEPTHS));
    const theirs = cutAfterLength(
      spawnSync('tcpdump', ['-n', '-tt', '-r', f], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout,
    );
    assert.equal(theirs.length, DEPTHS.length, `${kind}: tcpdump printed every depth`);
    const ours = synack(['read', '--tcpdump', f]);
    assert.equal(ours.stderr, '', kind);
    assert.deepEqual(cutAfterLength(ours.stdout), theirs, kind);
    const annotated = synack(['read', f])
      .stdout.split('\n')
      .filter((l) => l !== '');
    assert.equal(annotated.length, DEPTHS.length, `${kind}: read`);
    for (let i = 0; i < DEPTHS.length; i++)
      assert.ok(
        annotated[i]!.startsWith(theirs[i]!.replace(/, length \d+$/, '')),
        `${kind} depth ${DEPTHS[i]}`,
      );
    const json = synack(['read', '--json', f])
      .stdout.split('\n')
      .filter((l) => l !== '');
    assert.deepEqual(
      json.map((l) => JSON.parse(l).seq),
      DEPTHS.map((d) => d),
      `${kind}: --json`,
    );
    assert.equal(
      synack(['conns', '--json', f])
        .stdout.split('\n')
        .filter((l) => l !== '').length,
      DEPTHS.length,
      `${kind}: conns`,
    );
  }
});

test(`past the one nesting limit (${MAX_LAYERS} layers): a note naming the file, the frame counted malformed`, () => {
  const f = join(tmp, 'vlan-stack.pcapng');
  writeFileSync(f, vlanStack(MAX_LAYERS + 10));
  for (const cmd of [['read', '--tcpdump'], ['read', '--json'], ['conns']]) {
    const r = synack([...cmd, f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`^synack: ${f}: frames nested deeper than ${MAX_LAYERS} layers .* are skipped$`, 'm'),
      cmd.join(' '),
    );
    assert.match(r.stderr, new RegExp(`^synack: ${f}: 1 malformed packet skipped$`, 'm'), cmd.join(' '));
  }
  // Just under it, the frame decodes.
  writeFileSync(f, vlanStack(MAX_LAYERS - 10));
  const r = synack(['conns', '--json', f]);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.split('\n').filter((l) => l !== '').length, 2);
});
