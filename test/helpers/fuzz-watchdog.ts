// The fuzz campaign (fuzz-campaign.ts) in a worker thread under a watchdog: the worker runs
// batches of cases and, before each case, copies its input into shared memory with the case's
// number; the main thread watches that number. A case that throws is a crash (its input comes with
// the message); a number that stops moving for `watchdogMs` is a hang (the input is read from
// shared memory, the worker is terminated and a new one goes on with the next batch); a worker
// that runs out of memory is a crash of the case it was in. Every failure carries the input that
// reproduces it, so callers save it as a fixture. Used by test/fuzz.test.ts and scripts/fuzz.ts.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  DEFAULT_MIX,
  FuzzFailure,
  type FuzzMix,
  type FuzzStats,
  loadSeeds,
  newStats,
  runFuzz,
} from './fuzz-campaign.js';

export interface CampaignOptions {
  /** Folders of captures (walked recursively) the mutations start from. */
  seedDirs: string[];
  cases: number;
  seed: number;
  /** Cases per batch; each batch has its own derived seed (seed × 1 000 003 + first case). */
  batchSize?: number;
  /** A case running longer than this is a hang (default 20 s). */
  watchdogMs?: number;
  /** Shares of file and pipeline cases out of 64 (default 8 and 8). */
  mix?: FuzzMix;
  /** Called after each batch with the cases done so far. */
  onProgress?: (done: number, stats: FuzzStats) => void;
}

export interface CampaignFailure {
  kind: 'crash' | 'hang';
  message: string;
  /** The batch seed and the case's index in its batch: runFuzz(seeds, index + 1, batchSeed) replays it. */
  batchSeed: number;
  caseIndex: number;
  input: Uint8Array;
}

export interface CampaignResult {
  cases: number;
  stats: FuzzStats;
  failures: CampaignFailure[];
  seeds: number;
}

const INPUT_BYTES = 1 << 20;
// Shared words: [0] cases started (any batch), [1] current case index in its batch, [2] its input length.
const STARTED = 0;
const INDEX = 1;
const LENGTH = 2;

interface WorkerJob {
  synackFuzz: true;
  seedDirs: string[];
  batches: { seed: number; cases: number }[];
  mix: FuzzMix;
  control: SharedArrayBuffer;
  input: SharedArrayBuffer;
}

type WorkerMessage =
  | { kind: 'batch'; batch: number; stats: SerializedStats }
  | {
      kind: 'crash';
      batch: number;
      caseIndex: number;
      message: string;
      input: Uint8Array;
      stats: SerializedStats;
    }
  | { kind: 'seeds'; files: number; frames: number };

type SerializedStats = Omit<FuzzStats, 'errorCodes'> & { errorCodes: string[] };

function serialize(s: FuzzStats): SerializedStats {
  return { ...s, errorCodes: [...s.errorCodes] };
}

function addStats(into: FuzzStats, s: SerializedStats): void {
  for (const k of Object.keys(s) as (keyof SerializedStats)[]) {
    if (k === 'errorCodes') for (const c of s.errorCodes) into.errorCodes.add(c);
    else (into[k] as number) += s[k] as number;
  }
}

function workerMain(job: WorkerJob): void {
  const seeds = loadSeeds(job.seedDirs);
  parentPort!.postMessage({ kind: 'seeds', files: seeds.files.length, frames: seeds.frames.length });
  const control = new Int32Array(job.control);
  const input = new Uint8Array(job.input);
  const hooks = {
    onCase(caseIndex: number, bytes: Uint8Array) {
      const n = Math.min(bytes.length, INPUT_BYTES);
      input.set(bytes.subarray(0, n));
      Atomics.store(control, LENGTH, n);
      Atomics.store(control, INDEX, caseIndex);
      Atomics.add(control, STARTED, 1);
    },
  };
  job.batches.forEach((b, batch) => {
    const stats = newStats();
    try {
      runFuzz(seeds, b.cases, b.seed, stats, hooks, job.mix);
      parentPort!.postMessage({ kind: 'batch', batch, stats: serialize(stats) });
    } catch (err) {
      const f = err instanceof FuzzFailure ? err : null;
      parentPort!.postMessage({
        kind: 'crash',
        batch,
        caseIndex: f?.caseIndex ?? Atomics.load(control, INDEX),
        message: f?.message ?? String((err as Error).stack ?? err),
        input: f?.input ?? input.slice(0, Atomics.load(control, LENGTH)),
        stats: serialize(stats),
      });
    }
  });
}

if (!isMainThread && (workerData as Partial<WorkerJob> | null)?.synackFuzz === true) {
  workerMain(workerData as WorkerJob);
}

/** Runs the campaign; resolves with every crash and hang found (the campaign goes on past them). */
export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const batchSize = o.batchSize ?? 2000;
  const watchdogMs = o.watchdogMs ?? 20_000;
  const batches: { seed: number; cases: number }[] = [];
  for (let done = 0; done < o.cases; done += batchSize)
    batches.push({ seed: o.seed * 1_000_003 + done, cases: Math.min(batchSize, o.cases - done) });
  const stats = newStats();
  const failures: CampaignFailure[] = [];
  let seedsFound = 0;
  let done = 0;
  let next = 0;
  while (next < batches.length) {
    const control = new SharedArrayBuffer(16);
    const input = new SharedArrayBuffer(INPUT_BYTES);
    const words = new Int32Array(control);
    const inputBytes = new Uint8Array(input);
    const first = next;
    const job: WorkerJob = {
      synackFuzz: true,
      seedDirs: o.seedDirs,
      batches: batches.slice(first),
      mix: o.mix ?? DEFAULT_MIX,
      control,
      input,
    };
    const worker = new Worker(new URL(import.meta.url), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: 1536 },
    });
    // Resolves with the first batch the next worker should run (batches.length: all done).
    next = await new Promise<number>((resume) => {
      let lastStarted = -1;
      let lastMove = Date.now();
      let settled = false;
      const finish = (from: number) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        void worker.terminate();
        resume(from);
      };
      const current = () => {
        const i = Atomics.load(words, INDEX);
        return { caseIndex: i, input: inputBytes.slice(0, Atomics.load(words, LENGTH)) };
      };
      let running = first;
      const timer = setInterval(() => {
        const started = Atomics.load(words, STARTED);
        if (started !== lastStarted) {
          lastStarted = started;
          lastMove = Date.now();
        } else if (Date.now() - lastMove > watchdogMs) {
          const c = current();
          failures.push({
            kind: 'hang',
            message: `no progress for ${watchdogMs} ms`,
            batchSeed: batches[running]!.seed,
            ...c,
          });
          done += batches[running]!.cases;
          finish(running + 1);
        }
      }, 250);
      worker.on('message', (m: WorkerMessage) => {
        if (m.kind === 'seeds') {
          seedsFound = m.files;
          return;
        }
        const b = first + m.batch;
        addStats(stats, m.stats);
        done += batches[b]!.cases;
        if (m.kind === 'crash')
          failures.push({
            kind: 'crash',
            message: m.message,
            batchSeed: batches[b]!.seed,
            caseIndex: m.caseIndex,
            input: m.input,
          });
        running = b + 1;
        o.onProgress?.(done, stats);
        if (running === batches.length) finish(batches.length);
      });
      worker.on('error', (err) => {
        // Out of memory (or any failure outside a case's try): the case it was in.
        failures.push({
          kind: 'crash',
          message: String(err),
          batchSeed: batches[running]!.seed,
          ...current(),
        });
        done += batches[running]!.cases;
        finish(running + 1);
      });
      worker.on('exit', () => {
        if (settled || running >= batches.length) return finish(batches.length);
        failures.push({
          kind: 'crash',
          message: 'the worker exited',
          batchSeed: batches[running]!.seed,
          ...current(),
        });
        done += batches[running]!.cases;
        finish(running + 1);
      });
    });
  }
  return { cases: done, stats, failures, seeds: seedsFound };
}
