// `conns --threads N` (src/cli/conns-shards.ts, conns-worker.ts): the sharded run prints exactly
// what one table prints (PRODUCT.md "Connections": ids, order, `--threads N` byte-identical), on
// every corpus capture and on generated ones, and --max-conns eviction under a SYN flood bounds
// the table, marks records `evicted` and counts them on stderr, whatever the thread count.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runOneTable, ShardMerger } from '../src/cli/conns-shards.js';
import { runShard } from '../src/cli/conns-worker.js';
import { connJson } from '../src/report/conn-json.js';
import { DEFAULT_TRACKING, type TrackingOptions } from '../src/report/tracking.js';
import { capturesUnder } from './helpers/captures.js';
import { CLI, CORPUS, REPO_ROOT } from './helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'synack-threads-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A capture from the benchmark generator (bench/gen.ts), written into the temp dir. */
function generate(name: string, args: string[]): string {
  const out = join(tmp, name);
  execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'gen.ts'), out, ...args], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  });
  return out;
}

/** The --json lines of `shards` shards run one after another in this thread, merged. */
async function shardedLines(file: string, shards: number, tracking: TrackingOptions): Promise<string[]> {
  const lines: string[] = [];
  const onRecord = (r: Parameters<typeof connJson>[0]) => lines.push(connJson(r));
  const merger = new ShardMerger(shards, tracking.maxConns, onRecord);
  for (let shard = 0; shard < shards; shard++) {
    const job = { files: [file], shard, shards, tracking, verifyChecksums: false, reportsStderr: false };
    await runShard(job, (m) => merger.take(shard, m));
  }
  if (merger.tooFull)
    await runOneTable([file], { tracking, verifyChecksums: false }, merger.printed, onRecord, () => {});
  return lines;
}

async function oneTableLines(file: string, tracking: TrackingOptions): Promise<string[]> {
  const lines: string[] = [];
  await runOneTable(
    [file],
    { tracking, verifyChecksums: false },
    0,
    (r) => lines.push(connJson(r)),
    () => {},
  );
  return lines;
}

test('2 and 4 shards merge to the single table’s records on every corpus capture', async (t) => {
  const files = capturesUnder(CORPUS);
  if (files.length === 0) return t.skip('corpus not present');
  let records = 0;
  for (const f of files) {
    const one = await oneTableLines(f, DEFAULT_TRACKING);
    records += one.length;
    for (const n of [2, 4])
      assert.deepEqual(await shardedLines(f, n, DEFAULT_TRACKING), one, `${f}, ${n} shards`);
  }
  assert.ok(records > 100, `corpus gave ${records} records`);
});

test('a generated capture: shards agree, including idle and TIME_WAIT endings and eviction', async () => {
  const f = generate('gen.pcap', ['--packets', '20000', '--seed', '7', '--snaplen', '128']);
  // A short TIME_WAIT and idle time make timers end connections on other shards' frames.
  for (const tracking of [DEFAULT_TRACKING, { timeWaitSec: 0.05, idleSec: 0.2, maxConns: 250_000 }]) {
    const one = await oneTableLines(f, tracking);
    assert.ok(one.length > 1000);
    for (const n of [2, 4]) assert.deepEqual(await shardedLines(f, n, tracking), one, `${n} shards`);
  }
  // Over --max-conns the merge hands over to one table: still the same records.
  const small = { ...DEFAULT_TRACKING, maxConns: 100 };
  const one = await oneTableLines(f, small);
  assert.ok(one.some((l) => l.includes('"evicted": true')));
  assert.deepEqual(await shardedLines(f, 2, small), one);
});

function cli(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test('synack conns --json --threads 1/2/4 print byte-identical output (worker threads)', (t) => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'conns-worker.js'))) return t.skip('not built');
  const f = generate('gen-cli.pcap', ['--packets', '30000', '--seed', '11', '--snaplen', '128']);
  const one = cli(['conns', '--json', '--threads', '1', f]);
  assert.equal(one.status, 0, one.stderr);
  assert.ok(one.stdout.split('\n').length > 1500);
  for (const n of ['2', '4']) {
    const r = cli(['conns', '--json', '--threads', n, f]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, one.stdout, `--threads ${n}`);
    assert.equal(r.stderr, one.stderr);
  }
});

test('a SYN flood of 5000 4-tuples with --max-conns 1000: 4000 evicted, counted on stderr', (t) => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'conns-worker.js'))) return t.skip('not built');
  const f = generate('flood.pcap', ['--synflood', '5000']);
  const outs: string[] = [];
  for (const n of ['1', '2']) {
    const r = cli(['conns', '--json', '--max-conns', '1000', '--threads', n, f]);
    assert.equal(r.status, 0, r.stderr);
    const recs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; evicted: boolean });
    assert.equal(recs.length, 5000);
    assert.equal(recs.filter((x) => x.evicted).length, 4000);
    // Evicted in order of idleness: the oldest SYNs first, then the 1000 still open by id.
    assert.deepEqual(
      recs.slice(0, 3).map((x) => x.id),
      [1, 2, 3],
    );
    assert.match(r.stderr, /4000 connections evicted \(more than --max-conns 1000 open at once\)/);
    outs.push(r.stdout);
  }
  assert.equal(outs[1], outs[0]);
});
