// A long fuzzing campaign over the readers and the decoder (the same engine as test/fuzz.test.ts).
// Usage: node dist/scripts/fuzz.js [--cases N] [--seed S] [DIR …]  (default: the zeek and
// suricata-verify corpora). On a failure it writes the offending input to fuzz-failure-<seed>-<case>.bin
// and exits 1. I/O edge: reads files, writes the failing input.

import { writeFileSync } from 'node:fs';
import { FuzzFailure, loadSeeds, newStats, runFuzz } from '../test/helpers/fuzz-campaign.js';
import { SURICATA_CORPUS, ZEEK_CORPUS } from '../test/helpers/paths.js';

const args = process.argv.slice(2);
let cases = 100_000;
let seed = 1;
const dirs: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--cases') cases = Number(args[++i]);
  else if (args[i] === '--seed') seed = Number(args[++i]);
  else dirs.push(args[i]!);
}
if (!Number.isInteger(cases) || cases <= 0 || !Number.isInteger(seed)) {
  process.stderr.write('usage: fuzz [--cases N] [--seed S] [DIR …]\n');
  process.exit(1);
}
const seeds = loadSeeds(dirs.length > 0 ? dirs : [ZEEK_CORPUS, SURICATA_CORPUS]);
if (seeds.files.length === 0) {
  process.stderr.write('no capture files found\n');
  process.exit(1);
}
const stats = newStats();
const started = performance.now();
const BATCH = 10_000;
try {
  // Batches with derived seeds, so progress shows and a failure's batch seed reproduces it.
  for (let done = 0; done < cases; done += BATCH) {
    runFuzz(seeds, Math.min(BATCH, cases - done), seed * 1_000_003 + done, stats);
    const s = (performance.now() - started) / 1000;
    process.stderr.write(`\r${Math.min(done + BATCH, cases)} cases, ${s.toFixed(1)} s`);
  }
} catch (err) {
  if (!(err instanceof FuzzFailure)) throw err;
  const file = `fuzz-failure-${seed}-${err.caseIndex}.bin`;
  writeFileSync(file, err.input);
  process.stderr.write(`\nFAILED: ${err.message}\ninput written to ${file}\n`);
  process.exit(1);
}
const s = (performance.now() - started) / 1000;
process.stderr.write('\n');
process.stdout.write(
  `${stats.fileCases + stats.frameCases} cases (${stats.fileCases} files, ${stats.frameCases} frames) in ${s.toFixed(1)} s: ` +
    `${stats.records} records, ${stats.tcp} TCP, ${stats.malformed} malformed, ${stats.captureErrors} capture errors\n`,
);
