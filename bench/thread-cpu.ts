// CPU seconds per thread of one `synack conns --threads N` run, from /proc/PID/task/*/stat sampled
// every 50 ms (Linux only): the main thread (reads, decodes, ships packets, tracks its own shard,
// merges and prints), each shard worker, and V8's helper threads (garbage collection, compiler)
// together. These are the inputs of the model in docs/threads.md.
//
//   node dist/bench/thread-cpu.js FILE [--threads N] [--runs 3]

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', '..', 'bin', 'synack');
const TICKS = 100; // USER_HZ

/** utime + stime in ticks of every thread of `pid` now. */
function sample(pid: number, into: Map<number, number>): void {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const t of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]);
      // A thread that exited reads 0 at the end: keep its last figure.
      if (ticks >= (into.get(Number(t)) ?? 0)) into.set(Number(t), ticks);
    } catch {
      // The thread ended between readdir and read.
    }
  }
}

async function once(
  file: string,
  threads: number,
): Promise<{ main: number; shards: number[]; helpers: number }> {
  const child = spawn(process.execPath, [CLI, 'conns', '--json', '--threads', String(threads), file], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid!;
  const ticks = new Map<number, number>();
  const timer = setInterval(() => sample(pid, ticks), 50);
  await new Promise((r) => child.on('exit', r));
  clearInterval(timer);
  const main = (ticks.get(pid) ?? 0) / TICKS;
  const others = [...ticks.entries()]
    .filter(([t]) => t !== pid)
    .map(([, v]) => v / TICKS)
    .sort((a, b) => b - a);
  // The busiest other threads are the shard workers; the rest are V8's and libuv's helpers.
  const shards = others.slice(0, threads - 1);
  const helpers = others.slice(threads - 1).reduce((a, b) => a + b, 0);
  return { main, shards, helpers };
}

const args = process.argv.slice(2);
const opt = (name: string, d: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (file === undefined) {
  process.stderr.write('usage: thread-cpu FILE [--threads N] [--runs 3]\n');
  process.exit(1);
}
const threads = opt('threads', 2);
const runs = opt('runs', 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const got: Awaited<ReturnType<typeof once>>[] = [];
for (let r = 0; r < runs; r++) got.push(await once(file, threads));
const shardMedian = Array.from({ length: threads - 1 }, (_, i) => median(got.map((g) => g.shards[i] ?? 0)));
process.stdout.write(
  `${file} --threads ${threads} (median of ${runs}): main ${median(got.map((g) => g.main)).toFixed(2)} CPU-s, ` +
    `shards [${shardMedian.map((s) => s.toFixed(2)).join(', ')}], helpers ${median(got.map((g) => g.helpers)).toFixed(2)}\n`,
);
