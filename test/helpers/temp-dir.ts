// Temporary directories for tests: made under the OS temp dir with a recognisable prefix and
// removed when the tests that use them end, passed or failed, so no run leaves anything behind.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';

/**
 * A fresh directory `PREFIX-XXXXXX`, removed after the test `t` ends, or without `t` after the
 * file's last test (call it at the top level of the test file then).
 */
export function tempDir(prefix: string, t?: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (t === undefined) after(remove);
  else t.after(remove);
  return dir;
}
