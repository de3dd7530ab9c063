// Deterministic in-process fuzzing of the readers and the decoder on mutated and truncated corpus
// captures (test/helpers/fuzz-campaign.ts): only CaptureError may escape, every loop ends, and
// every decoded Packet is sane. scripts/fuzz.ts runs the same campaign for longer.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSeeds, runFuzz } from './helpers/fuzz-campaign.js';
import { SURICATA_CORPUS, ZEEK_CORPUS } from './helpers/paths.js';

test('4000 mutated captures and frames: no crash, no hang, sane packets', (t) => {
  const seeds = loadSeeds([ZEEK_CORPUS, SURICATA_CORPUS]);
  const started = performance.now();
  const stats = runFuzz(seeds, 4000, 20240601);
  const ms = performance.now() - started;
  t.diagnostic(
    `${stats.fileCases} file cases, ${stats.frameCases} frame cases, ${stats.records} records, ` +
      `${stats.tcp} TCP, ${stats.malformed} malformed, ${stats.captureErrors} capture errors ` +
      `(${[...stats.errorCodes].sort().join(', ')}) in ${ms.toFixed(0)} ms`,
  );
  // The mutations must reach both the decoder's error paths and the readers' typed errors.
  assert.ok(stats.malformed > 100, `only ${stats.malformed} malformed packets`);
  assert.ok(stats.tcp > 1000, `only ${stats.tcp} TCP packets`);
  assert.ok(stats.captureErrors > 50, `only ${stats.captureErrors} capture errors`);
});

test('the campaign is deterministic from its seed', () => {
  const seeds = loadSeeds([SURICATA_CORPUS]);
  const a = runFuzz(seeds, 300, 7);
  const b = runFuzz(seeds, 300, 7);
  assert.deepEqual({ ...a, errorCodes: [...a.errorCodes] }, { ...b, errorCodes: [...b.errorCodes] });
});
