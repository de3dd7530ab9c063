// Issue 14: no test run leaves directories behind in the temp dir. Every test file that makes one
// either removes it itself (rmSync) or takes it from helpers/temp-dir.ts, which removes it when
// its tests end (node:test's after hooks run whatever the outcome); and the helper does remove it.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './helpers/paths.js';
import { tempDir } from './helpers/temp-dir.js';

test('every test file that makes a temp dir removes it', () => {
  const dirs = [join(REPO_ROOT, 'test'), join(REPO_ROOT, 'test', 'helpers')];
  const leaking: string[] = [];
  for (const dir of dirs) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(dir, name), 'utf8');
      if (!/mkdtempSync\(|mkdtemp\(/.test(text) || name === 'temp-dir.ts') continue;
      if (!/\brmSync\(|\brm\(/.test(text)) leaking.push(name);
    }
  }
  assert.deepEqual(leaking, [], 'use tempDir() from helpers/temp-dir.ts');
});

test('tempDir is removed, with what it holds, once its test ends', async (t) => {
  let kept = '';
  await t.test('a subtest writing into its dir', (sub) => {
    kept = tempDir('synack-temp-dir-check', sub);
    writeFileSync(join(kept, 'file'), 'x');
    assert.ok(existsSync(join(kept, 'file')));
  });
  assert.notEqual(kept, '');
  assert.equal(existsSync(kept), false, kept);
});
