// Runs the `synack` command line as a user does, from the built bin/synack after `npm test`'s
// build, or through tsx from the sources when a test runs under `npx tsx --test`.

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, REPO_ROOT } from './paths.js';

const fromDist = fileURLToPath(import.meta.url).includes(join(REPO_ROOT, 'dist'));

export interface CliResult {
  code: number | null;
  /** stdout as bytes (captures written with `-w -`). */
  out: Buffer;
  stdout: string;
  stderr: string;
}

/** The full command line (node first) that runs synack with `args`, for tests that spawn it themselves. */
export function synackArgv(...args: string[]): string[] {
  return fromDist
    ? [process.execPath, CLI, ...args]
    : [process.execPath, '--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), ...args];
}

export function synack(args: string[], input?: Uint8Array): CliResult {
  const [node, ...cmd] = synackArgv(...args);
  const r = spawnSync(node!, cmd, {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  });
  return {
    code: r.status,
    out: r.stdout,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
  };
}

/** What a gathering process has printed so far. */
export interface Gathered {
  stdout: string;
  stderr: string;
}

/**
 * A process started from `argv` (command first, as synackArgv gives it) whose output piles up in
 * `out` as it comes; `until` resolves as soon as the output satisfies a condition (checked on each
 * chunk, so a test waits on the event, not on a guess of time), and rejects, naming what it waited
 * for and showing the output, when the process exits first or after `timeoutMs`.
 */
export function spawnGathering(argv: string[]): {
  proc: ChildProcessWithoutNullStreams;
  out: Gathered;
  until: (what: string, done: (out: Gathered) => boolean, timeoutMs?: number) => Promise<void>;
} {
  const proc = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT });
  const out: Gathered = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  proc.stdout.on('data', (d) => {
    out.stdout += d;
    wake();
  });
  proc.stderr.on('data', (d) => {
    out.stderr += d;
    wake();
  });
  let exited = false;
  proc.once('exit', () => {
    exited = true;
    wake();
  });
  const until = (what: string, done: (o: Gathered) => boolean, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const finish = (err?: Error) => {
        waiters.delete(check);
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const failure = (why: string) =>
        new Error(`${why} waiting for ${what}\n--- stdout\n${out.stdout}--- stderr\n${out.stderr}`);
      const check = () => {
        if (done(out)) finish();
        else if (exited) finish(failure('the process exited'));
      };
      const timer = setTimeout(() => finish(failure(`${timeoutMs} ms passed`)), timeoutMs);
      waiters.add(check);
      check();
    });
  return { proc, out, until };
}

/** One JSON value per non-empty line. */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}
