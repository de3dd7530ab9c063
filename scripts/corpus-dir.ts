// Where the parity scripts find the external corpus: the repository's copy in test/corpus, or
// another folder of the same layout named by SYNACK_CORPUS (e.g. ../shared/corpus, the original).

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the script');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();
/** The corpus root (folders zeek/, suricata-verify/, packetdrill/). */
export const CORPUS_DIR = process.env.SYNACK_CORPUS
  ? resolve(process.env.SYNACK_CORPUS)
  : join(REPO_ROOT, 'test', 'corpus');
