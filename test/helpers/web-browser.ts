// Driving the web UI in Debian's chromium for the browser tests and the web benchmark: `synack
// serve` started on a free port (its printed URL, token included, is what the browser opens), a
// headless chromium with the flags these machines need, long tasks recorded from the first byte
// of the page, and the renderer processes' memory read from /proc.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CLI } from './paths.js';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Served {
  url: string;
  stop: () => void;
}

/** `synack serve FILES --port 0 [extra]`; resolves with the URL it prints (with its token). */
export function startServe(files: string[], extra: string[] = []): Promise<Served> {
  const server: ChildProcess = spawn(process.execPath, [CLI, 'serve', ...files, '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((ok, fail) => {
    let out = '';
    server.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(out);
      if (m) ok({ url: m[0], stop: () => server.kill('SIGTERM') });
    });
    server.stderr!.on('data', (b: Buffer) => process.stderr.write(b));
    server.on('exit', (code) => fail(new Error(`synack serve exited with ${code}: ${out}`)));
  });
}

/** `url` with a hash (the token's query stays). */
export function withHash(url: string, hash: string): string {
  return url.replace(/#.*$/, '') + hash;
}

/** Long tasks on the page's main thread, recorded from the start (PerformanceObserver 'longtask'). */
export const LONGTASK_PROBE = `
  window.__longtasks = [];
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
`;

export async function longTasksSince(
  page: Page,
  since: number,
): Promise<{ start: number; duration: number }[]> {
  return page.evaluate(
    (t) =>
      (
        (globalThis as unknown as { __longtasks: { start: number; duration: number }[] }).__longtasks ?? []
      ).filter((e) => e.start + e.duration >= t),
    since,
  );
}

export interface BrowserSession {
  browser: Browser;
  ctx: BrowserContext;
  page: Page;
  close: () => Promise<void>;
}

/** A fresh headless chromium with one page (light or dark colour scheme). */
export async function launch(
  opts: { dark?: boolean; width?: number; height?: number } = {},
): Promise<BrowserSession> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const downloads = mkdtempSync(join(tmpdir(), 'd12-synack-dl-'));
  const ctx = await browser.newContext({
    viewport: { width: opts.width ?? 1600, height: opts.height ?? 1000 },
    colorScheme: opts.dark ? 'dark' : 'light',
    acceptDownloads: true,
  });
  await ctx.addInitScript(LONGTASK_PROBE);
  const page = await ctx.newPage();
  page.on('pageerror', (err) => process.stderr.write(`page error: ${err.message}\n`));
  return {
    browser,
    ctx,
    page,
    close: async () => {
      await browser.close();
      rmSync(downloads, { recursive: true, force: true });
    },
  };
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/**
 * Resident memory of the chromium renderer processes started under `rootPid` (default: this
 * process, which launched the browser; the page and its worker live in one renderer), in bytes:
 * the largest one.
 */
export function rendererRss(rootPid = process.pid): number {
  let max = 0;
  for (const pid of rendererPids(rootPid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) max = Math.max(max, Number(m[1]) * 1024);
    } catch {
      // exited meanwhile
    }
  }
  return max;
}

/** The chromium renderer processes descended from `rootPid`. */
function rendererPids(rootPid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes('--type=renderer')) continue;
    let p = pid;
    for (let i = 0; i < 6 && p > 1 && p !== rootPid; i++) p = parentOf(p);
    if (p === rootPid) out.push(pid);
  }
  return out;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS = 100;

function cpuTicks(pid: number | 'self', children = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 (utime stime cutime cstime), counted from the state field (3).
  return children ? Number(f[13]) + Number(f[14]) : Number(f[11]) + Number(f[12]);
}

/**
 * CPU milliseconds the chromium renderers under this process have used so far (page and worker
 * threads live in them): a measure the machine's load does not inflate, unlike wall time.
 */
export function rendererCpuMs(rootPid = process.pid): number {
  let ticks = 0;
  for (const pid of rendererPids(rootPid)) {
    try {
      ticks += cpuTicks(pid);
    } catch {
      // exited meanwhile
    }
  }
  return (ticks * 1000) / TICKS;
}

/**
 * The renderers' CPU milliseconds so far by thread name (CrRendererMain is the page, "DedicatedWorker
 * thread" the analysis worker; compositor, IO and V8's helper threads are the rest).
 */
export function rendererThreadCpuMs(rootPid = process.pid): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of rendererPids(rootPid)) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ms = ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
        out.set(name, (out.get(name) ?? 0) + ms);
      } catch {
        // exited meanwhile
      }
    }
  }
  return out;
}

/** CPU milliseconds of this process's waited-for children so far (cutime + cstime). */
export function childrenCpuMs(): number {
  return (cpuTicks('self', true) * 1000) / TICKS;
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            o: unknown,
          ) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    const r = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
