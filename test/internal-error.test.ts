// Issue 14 item 5: an internal error (a bug of synack's, here one injected into the decoder with
// `node --import`; runs from the build, as npm test does) must never pose as a fault of the user's file: every command exits 70 with one
// stderr line that says it is a bug and asks for a report, and no stack trace. File faults keep 2.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI, FIXTURES, REPO_ROOT } from './helpers/paths.js';
import { tempDir } from './helpers/temp-dir.js';

const BREAK = fileURLToPath(new URL('./helpers/break-decoder.js', import.meta.url));
const PCAP = join(FIXTURES, 'tcpdump-lo-ipv4.pcap');
const tmp = tempDir('synack-f14-internal');

const COMMANDS: string[][] = [
  ['read', PCAP],
  ['read', '--tcpdump', PCAP],
  ['read', '--json', PCAP],
  ['conns', PCAP],
  ['conns', '--zeek', PCAP],
  ['conns', '--json', '--threads', '2', PCAP],
  ['ladder', '--conn', '1', PCAP],
  ['explain', '--conn', '1', PCAP],
  ['states', PCAP],
  ['extract', '--conn', '1', '-w', join(tmp, 'out.pcap'), PCAP],
];

for (const args of COMMANDS) {
  test(`${args.slice(0, -1).join(' ')}: an internal error is one line and exit 70`, () => {
    const r = spawnSync(process.execPath, ['--import', BREAK, CLI, ...args], { cwd: REPO_ROOT });
    const stderr = r.stderr.toString();
    assert.equal(r.status, 70, stderr);
    const lines = stderr.split('\n').filter((l) => l !== '');
    const bug = lines.filter((l) => l.includes('internal error'));
    assert.equal(bug.length, 1, stderr);
    assert.match(
      bug[0]!,
      /^synack: internal error \(a bug in synack, not a fault of the input\): .*please report it/,
    );
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(stderr, /byte \d+:/, 'not a file fault');
  });
}
