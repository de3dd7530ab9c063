// The command line as one file (issue 18, start-up): `npm run build` bundles dist/src/cli/main.js
// and what it imports (our ~150 modules, commander, cli-table3, picocolors) into
// dist/src/cli/main.bundle.js with esbuild, which bin/synack runs when it is newer than main.js.
// Node spent more of every run's start-up finding, reading and linking the modules one by one than
// running them: `synack --version` 0.24 → 0.13 CPU-s here. The bundle sits beside main.js, so
// what is found from import.meta.url (the web UI's folder, the --threads worker, cli-progress)
// is found the same way. Without esbuild (it comes with vite, a devDependency) nothing is
// bundled and bin/synack runs the modules.
//
//   node dist/scripts/bundle-cli.js

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './corpus-dir.js';

interface Esbuild {
  build(opts: Record<string, unknown>): Promise<unknown>;
}

const cli = join(REPO_ROOT, 'dist', 'src', 'cli');
const entry = join(cli, 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('bundle-cli: dist/src/cli/main.js not built (run tsc first)\n');
  process.exit(1);
}
let esbuild: Esbuild;
try {
  // Named through a variable: esbuild is vite's dependency, not declared here.
  const name = 'esbuild';
  esbuild = (await import(name)) as Esbuild;
} catch {
  process.stderr.write('bundle-cli: esbuild not installed; bin/synack runs the modules unbundled\n');
  process.exit(0);
}
await esbuild.build({
  entryPoints: [entry],
  outfile: join(cli, 'main.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // commander and cli-table3 are CommonJS: their require() of node's modules needs a require.
  banner: {
    js: "import { createRequire as __synackRequire } from 'node:module';\nconst require = __synackRequire(import.meta.url);",
  },
});
