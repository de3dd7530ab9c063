// Where tests find the repository, the external corpus (test/corpus: Zeek and Suricata oracles,
// packetdrill scripts, each with its LICENSE and MANIFEST.tsv), the fixtures and the CLI,
// whether they run from test/ under tsx or from dist/test/ after a build.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();
export const CORPUS = join(REPO_ROOT, 'test', 'corpus');
export const ZEEK_CORPUS = join(CORPUS, 'zeek');
export const SURICATA_CORPUS = join(CORPUS, 'suricata-verify');
export const PACKETDRILL_CORPUS = join(CORPUS, 'packetdrill');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const CLI = join(REPO_ROOT, 'bin', 'synack');
