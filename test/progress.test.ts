// The progress bar on stderr (PRODUCT.md, issue 18): every command that reads a capture shows it
// when stderr is a terminal, with packets, bytes of the file, rate and ETA (stdin: packets and
// bytes read), and prints none with --quiet or when stderr is not a terminal. A preloaded module
// makes the child's stderr claim to be a terminal (the bar's escape codes then go to the pipe).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, REPO_ROOT } from './helpers/paths.js';
import { synackArgv } from './helpers/synack-cli.js';

const FILE = join(FIXTURES, 'capture-gaps.pcap');
const TERMINAL = 'data:text/javascript,process.stderr.isTTY=true;process.stderr.columns=160;';

function run(args: string[], terminal: boolean, input?: Buffer): { code: number | null; stderr: string } {
  const [node, ...rest] = synackArgv(...args);
  const r = spawnSync(node!, terminal ? ['--import', TERMINAL, ...rest] : rest, {
    cwd: REPO_ROOT,
    maxBuffer: 256 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  });
  return { code: r.status, stderr: r.stderr.toString('utf8') };
}

const COMMANDS: string[][] = [
  ['conns'],
  ['conns', '--json'],
  ['conns', '--zeek'],
  ['read'],
  ['read', '--json'],
  ['read', '--tcpdump'],
  ['states'],
  ['ladder', '--conn', '1'],
  ['explain', '--conn', '1'],
  ['extract', '--conn', '1', '-w', '-'],
];

test('every command reading a capture draws the bar on a terminal', () => {
  for (const args of COMMANDS) {
    const shown = run([...args, FILE], true);
    assert.equal(shown.code, 0, `${args.join(' ')}: ${shown.stderr}`);
    assert.match(
      shown.stderr,
      /synack .*\d+% \| [\d,]+ packets \| [\d.]+\/[\d.]+ MB \| [\d,]+ pkt\/s \| ETA/,
      args.join(' '),
    );
  }
});

test('no bar with --quiet, nor when stderr is not a terminal (one switch for every command)', () => {
  for (const args of [['read'], ['states']]) {
    const quiet = run(['--quiet', ...args, FILE], true);
    assert.equal(quiet.code, 0);
    assert.doesNotMatch(quiet.stderr, /packets \|/, `${args.join(' ')} --quiet`);
    const piped = run([...args, FILE], false);
    assert.equal(piped.code, 0);
    assert.equal(piped.stderr, '', `${args.join(' ')} with stderr piped`);
  }
});

test('on stdin the bar counts the packets and the bytes read (the size is not known)', () => {
  const bytes = readFileSync(FILE);
  const r = run(['conns', '-'], true, bytes);
  assert.equal(r.code, 0, r.stderr);
  const mb = [...r.stderr.matchAll(/synack ([\d,]+) packets \| ([\d.]+) MB \|/g)];
  assert.ok(mb.length > 0, r.stderr);
  const last = mb[mb.length - 1]!;
  assert.equal(Number(last[2]), Number((bytes.length / (1024 * 1024)).toFixed(1)));
});
