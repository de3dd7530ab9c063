// Runs the `synack` command line as a user does, from the built bin/synack after `npm test`'s
// build, or through tsx from the sources when a test runs under `npx tsx --test`.

import { spawnSync } from 'node:child_process';
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

export function synack(args: string[], input?: Uint8Array): CliResult {
  const cmd = fromDist
    ? [CLI, ...args]
    : ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), ...args];
  const r = spawnSync(process.execPath, cmd, {
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

/** One JSON value per non-empty line. */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

export const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
