// Runs every synack command on a capture as a user does (a child process with a watchdog) and
// judges the outcome by the error contract: exit 0, 1 (nothing matched) or 2 (a file fault), never
// 70 or a signal; stderr only `synack: …` lines, at most one fault line, no stack trace; ends
// within the watchdog. With /usr/bin/time, also the wall time and peak RSS. Shared by
// test/hostile.test.ts (small captures) and scripts/hostile-bench.ts (10^5–10^6 sizes).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from './paths.js';

/** The commands every hostile capture goes through (FILE and OUT replaced). */
export const HOSTILE_COMMANDS: string[][] = [
  ['read', 'FILE'],
  ['read', '--tcpdump', 'FILE'],
  ['read', '--json', 'FILE'],
  ['conns', 'FILE'],
  ['conns', '--json', 'FILE'],
  ['conns', '--zeek', 'FILE'],
  ['ladder', '--conn', '1', 'FILE'],
  ['explain', '--conn', '1', 'FILE'],
  ['states', 'FILE'],
  ['states', '--timeline', '--json', 'FILE'],
  ['extract', '--conn', '1', '-w', 'OUT', 'FILE'],
];

export interface HostileRun {
  args: string[];
  code: number | null;
  signal: string | null;
  stderr: string;
  stdoutBytes: number;
  timedOut: boolean;
  /** Wall seconds and peak RSS in KiB, when /usr/bin/time measured them. */
  seconds?: number;
  maxRssKb?: number;
  /** Why the run breaks the contract; empty when it keeps it. */
  problems: string[];
}

const TIME = '/usr/bin/time';

/** Runs one command on `file` (OUT → `out`) with a watchdog of `timeoutMs`. */
export function runHostile(
  command: string[],
  file: string,
  out: string,
  timeoutMs: number,
  measure = false,
): Promise<HostileRun> {
  const args = command.map((a) => (a === 'FILE' ? file : a === 'OUT' ? out : a));
  const timed = measure && existsSync(TIME);
  const argv = timed
    ? [TIME, '-f', 'SYNACK-TIME %e %M', process.execPath, CLI, ...args]
    : [process.execPath, CLI, ...args];
  return new Promise((ok) => {
    // Its own process group, so the watchdog kills synack and not only time(1) above it.
    const proc = spawn(argv[0]!, argv.slice(1), {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdoutBytes = 0;
    let stderr = '';
    let timedOut = false;
    proc.stdout.on('data', (b: Buffer) => {
      stdoutBytes += b.length;
    });
    proc.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 1 << 20) stderr += b.toString();
    });
    const watchdog = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        proc.kill('SIGKILL');
      }
    }, timeoutMs);
    proc.on('close', (code, signal) => {
      clearTimeout(watchdog);
      const run: HostileRun = { args, code, signal, stderr, stdoutBytes, timedOut, problems: [] };
      const m = /SYNACK-TIME ([\d.]+) (\d+)\n?$/.exec(stderr);
      if (m) {
        run.seconds = Number(m[1]);
        run.maxRssKb = Number(m[2]);
        run.stderr = stderr.slice(0, m.index);
        // time(1) reports the child's status on a line of its own when it failed.
        run.stderr = run.stderr.replace(
          /^Command (exited with non-zero status|terminated by signal) \d+\n/m,
          '',
        );
      }
      judge(run);
      ok(run);
    });
  });
}

function judge(r: HostileRun): void {
  const p = r.problems;
  if (r.timedOut) p.push('did not end before the watchdog');
  else if (r.signal !== null) p.push(`killed by ${r.signal}`);
  else if (r.code === 70) p.push('internal error (exit 70)');
  else if (r.code !== 0 && r.code !== 1 && r.code !== 2) p.push(`exit ${r.code}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  const foreign = lines.filter((l) => !l.startsWith('synack: '));
  if (foreign.length > 0) p.push(`stderr not in the one-line format: ${JSON.stringify(foreign[0])}`);
  if (/\n\s+at \S/.test(r.stderr)) p.push('stack trace on stderr');
  const faults = lines.filter((l) => /^synack: .*: byte \d+: /.test(l));
  if (faults.length > 1) p.push(`${faults.length} fault lines`);
  if (r.code === 2 && faults.length !== 1 && !lines.some((l) => /cannot (open|read|write)/.test(l)))
    p.push('exit 2 without its fault line');
}

/** A scratch output path beside the capture for `extract -w`. */
export function scratchOut(dir: string): string {
  return join(dir, 'extract-out.pcap');
}
