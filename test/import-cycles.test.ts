// The module graph of src/ has no cycle: every static import (type-only ones too, and
// `export … from`) between src/ files is an edge, and a depth-first walk must find none back to a
// module on its own path. A cycle means two modules own each other's concepts (the cli's input
// pipeline once lived in cmd-read.ts, imported by the commands cmd-read itself imported); the
// layering wire ← tcp ← track ← report ← cli/web/live is checked too.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './helpers/paths.js';

const SRC = join(REPO_ROOT, 'src');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

// `import x from './a.js'`, `import type {…} from`, `export {…} from`, `import './a.js'`, and the
// inline type form `import('./a.js').T`.
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Relative imports of one source file, as paths of .ts files under src/. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  // Comments may quote import lines; strip them first (line and block comments).
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  for (const m of code.matchAll(IMPORT)) {
    const spec = (m[1] ?? m[2])!;
    out.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return out;
}

/** The cycles found by a depth-first walk (each as the list of modules around it). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 1 | 2>(); // 1 on the path, 2 done
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (m: string): void => {
    state.set(m, 1);
    path.push(m);
    for (const n of graph.get(m) ?? []) {
      const s = state.get(n);
      if (s === 1) cycles.push([...path.slice(path.indexOf(n)), n]);
      else if (s === undefined && graph.has(n)) visit(n);
    }
    path.pop();
    state.set(m, 2);
  };
  for (const m of graph.keys()) if (!state.has(m)) visit(m);
  return cycles;
}

function srcGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of sources(SRC)) graph.set(f, importsOf(f, readFileSync(f, 'utf8')));
  return graph;
}

test('the walk finds a cycle when there is one (and none in a chain)', () => {
  const g = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
  ]);
  assert.deepEqual(findCycles(g), [['a', 'b', 'c', 'a']]);
  assert.deepEqual(
    findCycles(
      new Map([
        ['a', ['b']],
        ['b', []],
      ]),
    ),
    [],
  );
  assert.deepEqual(
    importsOf(
      '/r/src/cli/x.ts',
      "import type { A } from './a.js';\nexport { B } from '../b.js';\n// import { C } from './c.js';\nlet t: import('./d.js').D;",
    ),
    ['/r/src/cli/a.ts', '/r/src/b.ts', '/r/src/cli/d.ts'],
  );
});

test('src/ has no import cycle', () => {
  const graph = srcGraph();
  assert.ok(graph.size > 100, `only ${graph.size} modules found under src/`);
  const cycles = findCycles(graph).map((c) => c.map((m) => relative(SRC, m)).join(' → '));
  assert.deepEqual(cycles, [], `import cycles in src/:\n${cycles.join('\n')}`);
});

test('the core imports only downward: wire ← tcp ← track ← report ← cli/web/live', () => {
  const rank: Record<string, number> = { wire: 0, tcp: 1, track: 2, report: 3 };
  const bad: string[] = [];
  for (const [from, tos] of srcGraph()) {
    const layer = relative(SRC, from).split('/')[0]!;
    if (!(layer in rank)) continue;
    for (const to of tos) {
      const target = relative(SRC, to).split('/')[0]!;
      if (!(target in rank) || rank[target]! > rank[layer]!)
        bad.push(`${relative(SRC, from)} → ${relative(SRC, to)}`);
    }
  }
  assert.deepEqual(bad, []);
});
