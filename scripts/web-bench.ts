// The web UI on a big generated capture, against the CLI on the same machine (issue 12's figures):
// time until the connection list is shown (page opened → list and count on screen) beside the
// wall time of `synack conns` on the same file, interleaved run by run; the Hosts tab after the
// list; the longest main-thread task after the list was shown (PerformanceObserver 'longtask',
// while sorting, opening a connection, clicking an arrow, opening Hosts and Events, searching), and the same
// tasks' CPU time from a chromium trace (the thread's own time: what a loaded machine does not
// inflate, unlike the wall time a long task is judged by); the renderer's CPU by thread (page,
// worker, V8's helpers) when the list was shown; the renderer process's resident memory (page and
// worker). Prints medians and every run.
//
//   node dist/scripts/web-bench.js [--packets 1000000] [--runs 3] [--file CAPTURE]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCapture } from '../test/helpers/generated-capture.js';
import { CLI } from '../test/helpers/paths.js';
import {
  childrenCpuMs,
  launch,
  longTasksSince,
  rendererCpuMs,
  rendererRss,
  rendererThreadCpuMs,
  startServe,
} from '../test/helpers/web-browser.js';

export interface WebRun {
  cliMs: number;
  /** CPU of `synack conns` and of the renderers until the list was shown (load does not inflate these). */
  cliCpuMs: number;
  listCpuMs: number;
  listMs: number;
  hostsMs: number;
  maxTaskMs: number;
  /** CPU time of the main thread's most expensive task after the list (trace: RunTask's tdur). */
  maxTaskCpuMs: number;
  /** Renderer CPU by thread when the list was shown: page, worker, the rest. */
  threads: { page: number; worker: number; other: number };
  rssBytes: number;
  conns: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The capture shape of issue 12's report: many short connections, a few bulk ones, headers only. */
export function benchCapture(dir: string, packets: number): string {
  return generateCapture(dir, `d12-web-${packets}.pcap`, [
    '--packets',
    String(packets),
    '--bulk',
    '0.004',
    '--snaplen',
    '128',
  ]);
}

/** Wall and CPU milliseconds of `synack conns FILE`. */
export function cliConns(file: string): { ms: number; cpuMs: number } {
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  execFileSync(process.execPath, [CLI, 'conns', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 30,
  });
  return { ms: performance.now() - t0, cpuMs: childrenCpuMs() - c0 };
}

/** One page load of `file` through `synack serve`, with the interactions after the list. */
export async function webRun(file: string): Promise<Omit<WebRun, 'cliMs' | 'cliCpuMs'>> {
  const served = await startServe([file]);
  const s = await launch();
  try {
    const { page } = s;
    const c0 = rendererCpuMs();
    const t0 = performance.now();
    await page.goto(served.url);
    await page.getByTestId('conn-count').waitFor({ timeout: 600_000 });
    await page.locator('[data-testid="conn-list"] .row').first().waitFor();
    const listMs = performance.now() - t0;
    const listCpuMs = rendererCpuMs() - c0;
    const byThread = rendererThreadCpuMs();
    const page0 = byThread.get('chromium') ?? 0;
    const worker0 = byThread.get('DedicatedWorker') ?? 0;
    const threads = { page: page0, worker: worker0, other: listCpuMs - page0 - worker0 };
    const shownAt = await page.evaluate(() => performance.now());
    await s.browser.startTracing(page, {
      categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'],
    });
    const conns = Number((await page.getByTestId('conn-count').textContent())?.replace(/\D/g, ''));
    // A sort, a connection, an arrow: what a user does first.
    await page.locator('.connlist .head button[data-sort="packets"]').click();
    await page.locator('[data-testid="conn-list"] .row').first().click();
    await page.locator('[data-testid="ladder"] g.pkt').first().waitFor();
    await page.locator('[data-testid="ladder"] g.pkt line.hit').nth(1).click();
    const h0 = performance.now();
    await page.getByRole('tab', { name: /Hosts/ }).click();
    await page.getByTestId('hosts').waitFor({ timeout: 600_000 });
    const hostsMs = performance.now() - h0;
    await page.getByRole('tab', { name: /Events/ }).click();
    await page.getByTestId('events').waitFor();
    // A search over every row, then back to all of them.
    const all = await page.getByTestId('shown').textContent();
    await page.getByTestId('filter-text').fill('rst');
    await page.waitForFunction(
      (was) => document.querySelector('[data-testid="shown"]')?.textContent !== was,
      all,
    );
    await page.getByTestId('filter-text').fill('');
    await page.waitForFunction(
      (was) => document.querySelector('[data-testid="shown"]')?.textContent === was,
      all,
    );
    await page.waitForTimeout(300);
    const tasks = await longTasksSince(page, shownAt);
    const maxTaskMs = tasks.reduce((m, t) => Math.max(m, t.duration), 0);
    const maxTaskCpuMs = mainTaskCpu(await s.browser.stopTracing());
    const rssBytes = rendererRss();
    return { listMs, listCpuMs, hostsMs, maxTaskMs, maxTaskCpuMs, threads, rssBytes, conns };
  } finally {
    await s.close();
    served.stop();
  }
}

/** The largest thread-CPU time of one task on a renderer's main thread in a chromium trace, ms. */
export function mainTaskCpu(trace: Buffer): number {
  const events = (JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] }).traceEvents;
  const main = new Set(
    events
      .filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  let max = 0;
  for (const e of events)
    if (e.name === 'RunTask' && e.ph === 'X' && main.has(`${e.pid}:${e.tid}`))
      max = Math.max(max, (e.tdur ?? 0) / 1000);
  return max;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  tdur?: number;
  args?: { name?: string };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, def: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : def;
  };
  const packets = Number(opt('--packets', '1000000'));
  const runs = Number(opt('--runs', '3'));
  const dir = mkdtempSync(join(tmpdir(), 'd12-web-bench-'));
  try {
    const file = opt('--file', '') || benchCapture(dir, packets);
    process.stdout.write(`capture: ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB)\n`);
    const all: WebRun[] = [];
    for (let i = 0; i < runs; i++) {
      const cli = cliConns(file);
      const w = await webRun(file);
      const r = { cliMs: cli.ms, cliCpuMs: cli.cpuMs, ...w };
      all.push(r);
      process.stdout.write(
        `run ${i + 1}: conns ${r.conns}; CLI conns ${r.cliMs.toFixed(0)} ms (CPU ${r.cliCpuMs.toFixed(0)} ms); list shown ${r.listMs.toFixed(0)} ms (${(r.listMs / r.cliMs).toFixed(2)}×; renderer CPU ${r.listCpuMs.toFixed(0)} ms, ${(r.listCpuMs / r.cliCpuMs).toFixed(2)}×); Hosts ${r.hostsMs.toFixed(0)} ms after the click; longest task after the list ${r.maxTaskMs.toFixed(0)} ms (most CPU in one task ${r.maxTaskCpuMs.toFixed(0)} ms); renderer CPU by thread: page ${r.threads.page.toFixed(0)}, worker ${r.threads.worker.toFixed(0)}, other ${r.threads.other.toFixed(0)} ms; renderer RSS ${(r.rssBytes / 2 ** 20).toFixed(0)} MiB\n`,
      );
    }
    const m = (f: (r: WebRun) => number) => median(all.map(f));
    process.stdout.write(
      `median: CLI conns ${m((r) => r.cliMs).toFixed(0)} ms, list ${m((r) => r.listMs).toFixed(0)} ms, ratio ${m((r) => r.listMs / r.cliMs).toFixed(2)}× (CPU ${m((r) => r.listCpuMs / r.cliCpuMs).toFixed(2)}×), Hosts ${m((r) => r.hostsMs).toFixed(0)} ms, longest task ${m((r) => r.maxTaskMs).toFixed(0)} ms (CPU ${m((r) => r.maxTaskCpuMs).toFixed(0)} ms), renderer RSS ${(m((r) => r.rssBytes) / 2 ** 20).toFixed(0)} MiB\n`,
    );
    process.stdout.write(
      `load average while measuring: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' })}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('web-bench.js')) await main();
