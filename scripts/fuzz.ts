// The fuzz campaign runner (issue 14): mutated captures through every stage a command runs
// (reader in random chunk sizes, decoder, tcpdump renderer, read and read --json, conns, Zeek's
// conn.log, ladder, explain, states), in a worker under a watchdog (test/helpers/fuzz-watchdog.ts).
// Crashes and hangs are saved as fixtures (test/fixtures/fuzz/ by default: test/fuzz.test.ts
// replays every file there) and the campaign goes on; the summary goes to stdout.
//
//   node dist/scripts/fuzz.js [--cases N] [--seed S] [--watchdog MS] [--out DIR]
//       [--pipeline K] [--file K] [DIR …]
//
// --pipeline / --file: how many cases in 64 go through every stage / through the reader and the
// decoder (default 8 and 8; the rest are single frames through the decoder).
// Seeds: the corpus and the fixtures (test/corpus, test/fixtures) unless folders are given.
// Exit 1 when anything failed. I/O edge: reads captures, writes the failing inputs.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCampaign } from '../test/helpers/fuzz-watchdog.js';
import { CORPUS, FIXTURES } from '../test/helpers/paths.js';

const args = process.argv.slice(2);
let cases = 1_000_000;
let seed = 1;
let watchdogMs = 20_000;
let out = join(FIXTURES, 'fuzz');
const mix = { file: 8, pipeline: 8 };
const dirs: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--cases') cases = Number(args[++i]);
  else if (args[i] === '--seed') seed = Number(args[++i]);
  else if (args[i] === '--watchdog') watchdogMs = Number(args[++i]);
  else if (args[i] === '--out') out = args[++i]!;
  else if (args[i] === '--pipeline') mix.pipeline = Number(args[++i]);
  else if (args[i] === '--file') mix.file = Number(args[++i]);
  else dirs.push(args[i]!);
}
const share = (k: number) => Number.isInteger(k) && k >= 0 && k <= 64;
const badArgs =
  !Number.isInteger(cases) ||
  cases <= 0 ||
  !Number.isInteger(seed) ||
  !(watchdogMs > 0) ||
  !share(mix.file) ||
  !share(mix.pipeline) ||
  mix.file + mix.pipeline > 64;
if (badArgs) {
  process.stderr.write(
    'usage: fuzz [--cases N] [--seed S] [--watchdog MS] [--out DIR] [--pipeline K] [--file K] [DIR …]\n',
  );
  process.exit(1);
}
const started = performance.now();
const cpu0 = process.cpuUsage();
const r = await runCampaign({
  seedDirs: dirs.length > 0 ? dirs : [CORPUS, FIXTURES],
  cases,
  seed,
  watchdogMs,
  mix,
  batchSize: 5000,
  onProgress: (done, s) => {
    const secs = (performance.now() - started) / 1000;
    process.stderr.write(`\r${done} cases (${s.pipelineCases} through every stage), ${secs.toFixed(0)} s   `);
  },
});
process.stderr.write('\n');
if (r.failures.length > 0) mkdirSync(out, { recursive: true });
for (const f of r.failures) {
  const file = join(out, `${f.kind}-${f.batchSeed}-${f.caseIndex}.bin`);
  writeFileSync(file, f.input);
  process.stderr.write(
    `${f.kind.toUpperCase()} (batch seed ${f.batchSeed}, case ${f.caseIndex}): ${f.message.split('\n')[0]}\n  input written to ${file}\n`,
  );
}
const s = r.stats;
const secs = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${r.cases} cases (mix: ${mix.file} file, ${mix.pipeline} pipeline in 64) from seed ${seed} over ${r.seeds} seed captures in ${secs.toFixed(0)} s ` +
    `(${((cpu.user + cpu.system) / 1e6).toFixed(0)} CPU-s incl. the worker): ` +
    `${s.fileCases} file, ${s.frameCases} frame and ${s.pipelineCases} pipeline cases; ${s.records} records, ` +
    `${s.tcp} TCP, ${s.malformed} malformed, ${s.captureErrors} capture errors, ${s.connections} connections; ` +
    `${r.failures.filter((f) => f.kind === 'crash').length} crashes, ${r.failures.filter((f) => f.kind === 'hang').length} hangs\n`,
);
process.exit(r.failures.length > 0 ? 1 : 0);
