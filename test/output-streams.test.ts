// Output as users pipe it (issue 18): `synack … | head -1` ends the run as soon as the reader has
// gone (EPIPE ends it quietly, exit 0), which needs every streaming command to write before the
// end of its input; and the progress bar appears on a terminal's stderr only, never with --quiet
// and never when stderr is piped. The terminal is a real pseudo-terminal (script(1)).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateCapture } from './helpers/generated-capture.js';
import { REPO_ROOT } from './helpers/paths.js';
import { synack, synackArgv } from './helpers/synack-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'synack-streams-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// ~6 MB over 120 s of capture time, its last record cut short: a run that reads to the end says
// so on stderr and exits 2; a run ended early by its reader never gets there.
const cut = (() => {
  const whole = generateCapture(dir, 'whole.pcap', [
    '--packets',
    '60000',
    '--seed',
    '3',
    '--snaplen',
    '128',
    '--gap-us',
    '2000',
  ]);
  const bytes = readFileSync(whole);
  const f = join(dir, 'cut.pcap');
  writeFileSync(f, bytes.subarray(0, bytes.length - 10));
  return f;
})();

test('the cut capture is a file fault when read to the end', () => {
  const r = synack(['read', '--tcpdump', cut]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cut\.pcap: byte \d+: /);
});

/** Runs synack with `args`, closes its stdout after the first bytes; exit code and stderr. */
function firstLineOnly(args: string[]): Promise<{ code: number | null; stderr: string; got: string }> {
  const [node, ...rest] = synackArgv(...args);
  const proc = spawn(node!, rest, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let got = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  proc.stdout.once('data', (d: Buffer) => {
    got = d.toString('utf8').split('\n')[0]!;
    proc.stdout.destroy();
  });
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stderr, got })));
}

for (const args of [
  ['read', '--tcpdump'],
  ['read'],
  ['read', '--json'],
  ['conns'],
  ['conns', '--json'],
  ['conns', '--zeek'],
]) {
  test(`synack ${args.join(' ')} | head -1 ends the run quietly before the end of the input`, async () => {
    // A 1 s TIME_WAIT ends connections (and so decides their last lines) soon after they close.
    const r = await firstLineOnly([...args, '--time-wait', '1', cut]);
    assert.notEqual(r.got, '', 'a first line was written');
    assert.equal(r.stderr, '', 'no fault: the end of the file was never read');
    assert.equal(r.code, 0);
  });
}

const hasScript = spawnSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' }).status === 0;
const small = join(REPO_ROOT, 'examples', 'loopback-lifecycles.pcap');

/** What a terminal shows while `synack args > /dev/null` runs in it (stderr on the terminal). */
function onTerminal(args: string[]): string {
  const line = [...synackArgv(...args)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', `${line} > /dev/null`, '/dev/null'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('a progress bar with packets, bytes, rate and ETA on a terminal', {
  skip: !hasScript && 'script(1) absent',
}, () => {
  const shown = onTerminal(['conns', '--json', small]);
  assert.match(shown, /synack .*\d+% \| [\d,]+ packets \| [\d.]+\/[\d.]+ MB \| [\d,]+ pkt\/s \| ETA /);
});

test('no progress bar with --quiet, even on a terminal', { skip: !hasScript && 'script(1) absent' }, () => {
  for (const args of [
    ['--quiet', 'conns', '--json', small],
    ['read', '--quiet', small],
  ]) {
    assert.doesNotMatch(onTerminal(args), /packets/);
  }
});

test('no progress bar when stderr is not a terminal', () => {
  const r = synack(['conns', '--json', small]);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
});
