// Byte-identical outputs: runs every output-producing command over every capture of test/corpus
// and test/fixtures (and, with --big, the bench's large captures) with this checkout's build and
// with a reference build, and compares stdout, stderr and the exit code. A refactoring of the
// bookkeeping (issue 18) must not move one byte; the reference's outputs are cached by commit.
//
// Usage: node dist/scripts/identical-outputs.js --ref DIR [--big DIR] [--jobs N] [--only SUBSTR]
//   DIR: a built checkout (git worktree add --detach /tmp/x-ref COMMIT; npx tsc -p tsconfig.json)

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { capturesUnder } from '../test/helpers/captures.js';
import { REPO_ROOT } from './corpus-dir.js';

/** The commands compared (each run on every capture). */
const COMMANDS: string[][] = [
  ['read'],
  ['read', '--json'],
  ['read', '--tcpdump'],
  ['conns'],
  ['conns', '--json'],
  ['conns', '--zeek'],
  ['states'],
  ['states', '--json'],
  ['ladder', '--conn', '1'],
  ['explain', '--conn', '1'],
  ['explain', '--conn', '1', '--lang', 'zh'],
  ['extract', '--conn', '1', '-w', '-'],
  // A full table: eviction order and the evicted flag.
  ['conns', '--json', '--max-conns', '3'],
  ['read', '--json', '--max-conns', '3'],
  ['read', '--max-conns', '3'],
  ['states', '--json', '--max-conns', '3'],
  ['explain', '--conn', '2', '--max-conns', '3'],
];

/** On the large captures only the streaming commands (the others print megabytes of the same). */
const BIG_COMMANDS: string[][] = [
  ['conns', '--json'],
  ['conns', '--zeek'],
  ['states', '--json'],
  ['ladder', '--conn', '1'],
];

interface Case {
  file: string;
  args: string[];
}

interface Outcome {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

function run(root: string, c: Case): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(root, 'dist/src/cli/main.js'), ...c.args, relative(REPO_ROOT, c.file)],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }),
    );
  });
}

/** The reference run again (its cache keeps only a digest): are stdout and the exit code the same? */
async function sameStdout(ref: string, c: Case, got: Outcome): Promise<boolean> {
  const want = await run(ref, c);
  return want.code === got.code && want.stdout.equals(got.stdout);
}

function digest(o: Outcome): string {
  return createHash('sha256')
    .update(`${o.code}\0`)
    .update(o.stdout)
    .update('\0')
    .update(o.stderr)
    .digest('hex');
}

async function pool<T>(items: T[], jobs: number, work: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const ref = opt('--ref');
  if (ref === undefined || !existsSync(join(ref, 'dist/src/cli/main.js'))) {
    process.stderr.write(
      'usage: identical-outputs --ref BUILT_CHECKOUT [--big DIR] [--jobs N] [--only SUBSTR]\n',
    );
    process.exit(1);
  }
  const jobs = Number(opt('--jobs') ?? 2);
  const only = opt('--only');
  const big = opt('--big');
  const cases: Case[] = [];
  for (const file of [
    ...capturesUnder(join(REPO_ROOT, 'test/corpus')),
    ...capturesUnder(join(REPO_ROOT, 'test/fixtures')),
  ]) {
    for (const args of COMMANDS) cases.push({ file, args });
  }
  if (big !== undefined) {
    if (!existsSync(big)) throw new Error(`--big ${big}: no such folder`);
    for (const file of capturesUnder(big)) for (const args of BIG_COMMANDS) cases.push({ file, args });
  }
  const chosen =
    only === undefined ? cases : cases.filter((c) => `${c.args.join(' ')} ${c.file}`.includes(only));

  // The reference's outcomes, cached by its commit.
  const head = execFileSync('git', ['-C', ref, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const cacheDir = join(ref, '..', `outputs-${head.slice(0, 12)}`);
  mkdirSync(cacheDir, { recursive: true });
  // Keyed by the capture's path inside the checkout and its bytes, so every worktree shares it.
  const contentOf = new Map<string, string>();
  const keyOf = (c: Case) => {
    let content = contentOf.get(c.file);
    if (content === undefined) {
      content = createHash('sha256').update(readFileSync(c.file)).digest('hex');
      contentOf.set(c.file, content);
    }
    return createHash('sha256')
      .update(`${c.args.join(' ')}\0${relative(REPO_ROOT, c.file)}\0${content}`)
      .digest('hex');
  };

  let same = 0;
  const differ: string[] = [];
  /** Cases whose stdout and exit code are identical and whose stderr is not (listed for review). */
  const stderrOnly: string[] = [];
  let done = 0;
  await pool(chosen, jobs, async (c) => {
    const key = keyOf(c);
    const cached = join(cacheDir, `${key}.out`);
    let want: string;
    if (existsSync(cached)) want = readFileSync(cached, 'utf8').split('\n')[0]!;
    else {
      const o = await run(ref, c);
      want = digest(o);
      writeFileSync(
        cached,
        `${want}\n${o.code}\n${o.stderr.toString()}\n${o.stdout.length < 1 << 20 ? o.stdout.toString() : ''}`,
      );
    }
    const got = await run(REPO_ROOT, c);
    if (digest(got) === want) same++;
    else if (await sameStdout(ref, c, got)) {
      stderrOnly.push(`synack ${c.args.join(' ')} ${c.file}: ${JSON.stringify(got.stderr.toString())}`);
    } else {
      const name = `synack ${c.args.join(' ')} ${c.file}`;
      differ.push(`${name}  (reference: ${cached})`);
      writeFileSync(
        join(cacheDir, `${key}.got`),
        `${got.code}\n${got.stderr.toString()}\n${got.stdout.toString()}`,
      );
    }
    done++;
    if (process.stderr.isTTY) process.stderr.write(`\r${done}/${chosen.length}`);
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  for (const d of stderrOnly) process.stdout.write(`STDERR ONLY ${d}\n`);
  for (const d of differ) process.stdout.write(`DIFFERS ${d}\n`);
  process.stdout.write(
    `${same}/${chosen.length} identical, ${stderrOnly.length} with only stderr changed, ${differ.length} different (reference ${head.slice(0, 12)})\n`,
  );
  process.exit(differ.length === 0 ? 0 : 1);
}

await main();
