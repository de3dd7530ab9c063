// The timed per-moment kernel check (issue 17), as the hidden set of real-kernel captures is
// scored: every recording of the folders given (default test/fixtures/kernel and its timed/: the
// issue-3 scenarios recorded again with the 0.5 ms poller), its client and server
// captures each read with `synack read --json --tap T` once at the true tap (client capture →
// client, server capture → server) and once with `--tap auto`, scored by test/helpers/kernel-timed.ts.
// Prints per recording, capture and tap the wrong/doubt figures (and with --show each miss), then
// the totals per tap mode.
//
// Usage: npx tsx scripts/kernel-timed-check.ts [--repo DIR] [--show] [FOLDER]
//   --repo DIR  score the synack built in DIR (its bin/synack; default this repository)
// When that synack has no --tap option yet, captures are read without it (both rows alike).
// I/O edge (spawns synack, reads files): not part of the pure core.

import { spawnSync } from 'node:child_process';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelRecordings, timedRecordings } from '../test/helpers/kernel-recordings.js';
import {
  describeMiss,
  type PacketRecord,
  type Recording,
  scoreRecording,
  TAPS,
} from '../test/helpers/kernel-timed.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
let repo = resolve(here, '..');
let show = false;
const folders: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--repo') repo = resolve(args[++i] ?? '.');
  else if (a === '--show') show = true;
  else folders.push(a);
}
const kernel = join(resolve(here, '..'), 'test', 'fixtures', 'kernel');
if (folders.length === 0) folders.push(kernel, join(kernel, 'timed'));
const cli = join(repo, 'bin', 'synack');

function synack(argv: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...argv], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`synack ${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const tapFlag = synack(['read', '--help']).includes('--tap');
const readJson =
  (dir: string) =>
  (capture: string, tap: string | null): PacketRecord[] =>
    synack(['read', '--json', ...(tap === null ? [] : ['--tap', tap]), join(dir, capture)])
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as PacketRecord);

console.log(`synack: ${cli}${tapFlag ? '' : ' (no --tap option: captures read without it)'}`);
console.log('recording                            capture  tap   checked  wrong  doubt');
const totals = new Map(TAPS.map((t) => [t, { checked: 0, wrong: 0, doubt: 0 }]));
const untimed: string[] = [];
for (const dir of folders) {
  const timed = timedRecordings(dir);
  for (const r of kernelRecordings(dir)) if (!timed.some((t) => t.name === r.name)) untimed.push(r.name);
  for (const rec of timed)
    scoreRecordingRows(rec, readJson(dir), dir === kernel ? '' : `${relative(kernel, dir)}/`);
}

function scoreRecordingRows(rec: Recording, read: ReturnType<typeof readJson>, prefix: string): void {
  for (const r of scoreRecording(rec, read, tapFlag)) {
    const t = totals.get(r.tap)!;
    t.checked += r.score.checked;
    t.wrong += r.score.wrong;
    t.doubt += r.score.doubt;
    const row = `${(prefix + r.name).padEnd(36)} ${r.capture.padEnd(8)} ${r.tap.padEnd(5)} ${String(r.score.checked).padStart(7)} ${String(r.score.wrong).padStart(6)} ${String(r.score.doubt).padStart(6)}`;
    console.log(row);
    if (show) for (const m of r.score.misses) console.log(`    ${describeMiss(m, r.origin)}`);
  }
}
if (untimed.length > 0) console.log(`not timed (recorded before the 0.5 ms poller): ${untimed.join(' ')}`);
for (const [tap, t] of totals)
  console.log(`total tap=${tap}: ${t.checked} checked, ${t.wrong} wrong, ${t.doubt} doubt`);
