// Deterministic fuzzing (test/helpers/fuzz-campaign.ts) in a worker under a watchdog
// (fuzz-watchdog.ts): 20 000 mutated corpus captures, fixtures and frames through the readers, the
// decoder and every stage a command runs. Only CaptureError may escape the reader, nothing escapes
// anything else, no case hangs, decoded Packets are sane, no output shows NaN or undefined. Inputs
// that once failed (test/fixtures/fuzz/, written by scripts/fuzz.ts) and the hostile captures are
// replayed through every stage. scripts/fuzz.ts runs the same campaign for 10^6 cases.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TRACKING } from '../src/report/tracking.js';
import { loadSeeds, newStats, type PipelineOptions, runFuzz, runPipeline } from './helpers/fuzz-campaign.js';
import { runCampaign } from './helpers/fuzz-watchdog.js';
import { hostileCaptures, SMALL } from './helpers/hostile-captures.js';
import { CORPUS, FIXTURES } from './helpers/paths.js';

test('20 000 mutated cases through every stage: no crash, no hang, sane packets and output', async (t) => {
  const r = await runCampaign({
    seedDirs: [CORPUS, FIXTURES],
    cases: 20_000,
    seed: 20240601,
    batchSize: 2500,
    watchdogMs: 60_000,
  });
  const s = r.stats;
  t.diagnostic(
    `${r.cases} cases over ${r.seeds} seed captures: ${s.fileCases} file, ${s.frameCases} frame, ${s.pipelineCases} pipeline; ` +
      `${s.records} records, ${s.tcp} TCP, ${s.malformed} malformed, ${s.captureErrors} capture errors ` +
      `(${[...s.errorCodes].sort().join(', ')}), ${s.connections} connections, ${s.outputBytes} output bytes`,
  );
  assert.deepEqual(
    r.failures.map((f) => `${f.kind} (batch seed ${f.batchSeed}, case ${f.caseIndex}): ${f.message}`),
    [],
  );
  assert.equal(r.cases, 20_000);
  // The mutations must reach the decoder's error paths, the readers' typed errors and the trackers.
  assert.ok(s.pipelineCases > 2000, `only ${s.pipelineCases} pipeline cases`);
  assert.ok(s.malformed > 500, `only ${s.malformed} malformed packets`);
  assert.ok(s.tcp > 5000, `only ${s.tcp} TCP packets`);
  assert.ok(s.captureErrors > 200, `only ${s.captureErrors} capture errors`);
  assert.ok(s.connections > 5000, `only ${s.connections} connections`);
});

test('the campaign is deterministic from its seed', () => {
  const seeds = loadSeeds([join(CORPUS, 'suricata-verify')]);
  assert.ok(seeds.files.length > 0);
  const a = runFuzz(seeds, 300, 7);
  const b = runFuzz(seeds, 300, 7);
  assert.deepEqual({ ...a, errorCodes: [...a.errorCodes] }, { ...b, errorCodes: [...b.errorCodes] });
});

test('saved failures and the hostile captures pass through every stage', () => {
  const dir = join(FIXTURES, 'fuzz');
  const inputs: { name: string; bytes: Uint8Array }[] = hostileCaptures(SMALL).map((c) => ({
    name: c.name,
    bytes: c.bytes,
  }));
  if (existsSync(dir))
    for (const name of readdirSync(dir).sort())
      inputs.push({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) });
  const stats = newStats();
  for (const { name, bytes } of inputs) {
    for (const small of [false, true]) {
      const o: PipelineOptions = {
        chunk: () => (small ? 7 : 1 << 20),
        reassemble: true,
        verifyChecksums: small,
        tracking: small ? { ...DEFAULT_TRACKING, idleSec: 2, maxConns: 3, timeWaitSec: 1 } : DEFAULT_TRACKING,
        width: small ? 40 : 120,
        pick: [0, 1, 5],
        atFraction: small ? 0.5 : 1,
      };
      assert.doesNotThrow(() => runPipeline(bytes, o, stats), name);
    }
  }
  assert.ok(stats.connections > 1000, `${stats.connections} connections`);
});
