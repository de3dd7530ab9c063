// Keeps the V8 heap near what is live (issue 14: memory bounded by --max-conns; issue 18: flat in
// file length). V8 lets the old generation grow to three or four times what its last full
// collection left before it collects again. On a SYN flood past --max-conns the tracker's live
// set is flat, but what lives a while and then dies (a held line until its connection is evicted,
// the record of each evicted connection) is promoted and fills that room: `read` with
// --max-conns 50000 peaked at 542 MB over a live heap of about 100 MB. Here a full collection runs
// when the heap in use has grown past GROWTH times what the last one left (and past FLOOR), so
// the heap stays within GROWTH times the live set; on short runs it never fires.
//
// The heap is looked at on a timer and, because long stretches of work never yield to the event
// loop (a file's records decoded in one go; the end of input releasing every open connection),
// also every TICK_EVERY calls of heapTick() from those loops.
//
// The collector is reached through V8's --expose-gc set at run time, in a fresh context (no
// global `gc` in ours); where that is refused the governor does nothing and V8 keeps its policy.

import v8 from 'node:v8';
import vm from 'node:vm';

/** The heap in use may grow to this many times what the last full collection left. */
const GROWTH = 1.5;
/** Below this much heap in use (bytes) nothing is forced. */
const FLOOR = 96 << 20;
/** How often the heap is looked at (ms); the check costs a few microseconds. */
const PERIOD_MS = 200;
/** heapTick() calls between two looks at the heap. */
const TICK_EVERY = 8192;

let started = false;
let stopped = false;
let ticks = 0;
// Reached only once the heap passes FLOOR: a new context costs ~1 ms, which short runs never pay.
let gc: (() => void) | null | undefined;
/** The heap in use after the last forced collection. */
let live = 0;

/** Starts the governor for the rest of the run (once; the timer does not keep the process alive). */
export function startHeapGovernor(): void {
  if (started) return;
  started = true;
  const timer = setInterval(() => {
    look();
    if (stopped) clearInterval(timer);
  }, PERIOD_MS);
  timer.unref();
}

/** Called from long synchronous loops (per record, per released segment): looks now and then. */
export function heapTick(): void {
  if (++ticks < TICK_EVERY) return;
  ticks = 0;
  if (started && !stopped) look();
}

/** Looks at the heap now (between long stages of work). */
export function heapLook(): void {
  if (started && !stopped) look();
}

/**
 * A stage has let go of most of what it held (the tracker, once `states` has its columns): a
 * full collection now, so the next stage's growth is measured from what is live after it.
 */
export function heapCollect(): void {
  if (!started || stopped || v8.getHeapStatistics().used_heap_size < FLOOR) return;
  live = 0;
  look();
}

function look(): void {
  const used = v8.getHeapStatistics().used_heap_size;
  if (used < FLOOR || used < GROWTH * live) return;
  if (gc === undefined) gc = collector();
  if (gc === null) {
    stopped = true;
    return;
  }
  gc();
  live = v8.getHeapStatistics().used_heap_size;
}

/** V8's full collection, or null where --expose-gc is refused. */
function collector(): (() => void) | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}
