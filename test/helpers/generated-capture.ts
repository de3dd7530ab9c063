// Captures from the benchmark generator (bench/gen.ts) for tests that need many connections.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** Runs bench/gen.ts with `args`, writing `dir/name`; returns its path. */
export function generateCapture(dir: string, name: string, args: string[]): string {
  const out = join(dir, name);
  execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'gen.ts'), out, ...args], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  });
  return out;
}
