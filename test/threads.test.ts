// `conns --threads N` (src/cli/conns-shards.ts, conns-worker.ts): the sharded run prints exactly
// what one table prints (PRODUCT.md "Connections": ids, order, `--threads N` byte-identical), on
// every corpus capture, on generated ones and on one with IP fragments, with --verify-checksums
// and --dedup, up to a fault mid-file (same stderr, same exit code); and --max-conns eviction
// under a SYN flood bounds the table, marks records `evicted` and counts them on stderr, whatever
// the thread count.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  type BatchSink,
  CHUNK_BYTES,
  runOneTable,
  ShardDispatcher,
  ShardMerger,
  shardSlots,
} from '../src/cli/conns-shards.js';
import { ShardTracker } from '../src/cli/conns-worker.js';
import { readInto } from '../src/cli/input-pipeline.js';
import { OutputBuffer } from '../src/cli/output-buffer.js';
import { connJson } from '../src/report/conn-json.js';
import { DEFAULT_TRACKING, type TrackingOptions } from '../src/report/tracking.js';
import { capturesUnder } from './helpers/captures.js';
import { fragmentedCapture } from './helpers/fragmented-capture.js';
import { generateCapture } from './helpers/generated-capture.js';
import { CLI, CORPUS, FIXTURES, REPO_ROOT } from './helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'synack-threads-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const generate = (name: string, args: string[]): string => generateCapture(tmp, name, args);

/** Shard layouts: alike, and shard 0 (this thread's own in a run) with a smaller share. */
const LAYOUTS: [string, Uint8Array][] = [
  ['2 shards', shardSlots(2)],
  ['4 shards', shardSlots(4)],
  ['3 shards, shard 0 with 10 of 64 slots', shardSlots(3, 10)],
];

interface RunOptions {
  verifyChecksums?: boolean;
  dedup?: boolean;
}

/**
 * The --json lines of a sharded run with every shard in this thread (the dispatcher, the shards'
 * trackers and the merger of a real run, without the threads), and its exit code and stderr.
 */
async function shardedRun(
  file: string,
  slots: Uint8Array,
  tracking: TrackingOptions,
  o: RunOptions = {},
): Promise<{ lines: string[]; code: number; stderr: string }> {
  const lines: string[] = [];
  const onRecord = (r: Parameters<typeof connJson>[0]) => lines.push(connJson(r));
  const shards = Math.max(...slots) + 1;
  const merger = new ShardMerger(shards, tracking.maxConns, onRecord);
  const trackers = Array.from(
    { length: shards },
    (_, s) => new ShardTracker(tracking, (m) => merger.take(s, m)),
  );
  // Shard s runs s batches behind shard 0, as workers of different speed would: the merger sees
  // the shards' reports interleaved unevenly, and shard 0's end long before the others'.
  const pending: DataView[][] = Array.from({ length: shards }, () => []);
  const run = (s: number, lag: number): void => {
    while (pending[s]!.length > lag && !merger.tooFull) trackers[s]!.consume(pending[s]!.shift()!);
  };
  // The chunk each shard writes: a new one per batch (pending ones are still to be read).
  const current: DataView[] = [];
  const sink: BatchSink = {
    claim: (s) => {
      current[s] = new DataView(new ArrayBuffer(CHUNK_BYTES));
      return current[s]!;
    },
    publish: (s) => {
      pending[s]!.push(current[s]!);
      run(s, s);
    },
    get stopped() {
      return merger.tooFull;
    },
  };
  const dispatcher = new ShardDispatcher(sink, slots);
  let stderr = '';
  const r = await readInto(
    [file],
    { onPacket: (pkt) => dispatcher.packet(pkt) },
    new OutputBuffer(() => {}),
    { reassemble: true, verifyChecksums: !!o.verifyChecksums, dedup: !!o.dedup },
    (s) => {
      stderr += s;
    },
  );
  dispatcher.end();
  for (let s = 0; s < shards; s++) run(s, 0);
  if (merger.tooFull) {
    stderr = '';
    const again = await runOneTable(
      [file],
      { tracking, verifyChecksums: !!o.verifyChecksums, dedup: !!o.dedup },
      merger.printed,
      onRecord,
      (s) => {
        stderr += s;
      },
    );
    return { lines, code: again.code, stderr };
  }
  return { lines, code: r.code, stderr };
}

async function shardedLines(file: string, slots: Uint8Array, tracking: TrackingOptions): Promise<string[]> {
  return (await shardedRun(file, slots, tracking)).lines;
}

async function oneTableRun(
  file: string,
  tracking: TrackingOptions,
  o: RunOptions = {},
): Promise<{ lines: string[]; code: number; stderr: string }> {
  const lines: string[] = [];
  let stderr = '';
  const r = await runOneTable(
    [file],
    { tracking, verifyChecksums: !!o.verifyChecksums, dedup: !!o.dedup },
    0,
    (rec) => lines.push(connJson(rec)),
    (s) => {
      stderr += s;
    },
  );
  return { lines, code: r.code, stderr };
}

async function oneTableLines(file: string, tracking: TrackingOptions): Promise<string[]> {
  return (await oneTableRun(file, tracking)).lines;
}

test('2, 3 and 4 shards merge to the single table’s records on every corpus capture', async () => {
  const files = capturesUnder(CORPUS);
  let records = 0;
  for (const f of files) {
    const one = await oneTableLines(f, DEFAULT_TRACKING);
    records += one.length;
    for (const [name, slots] of LAYOUTS)
      assert.deepEqual(await shardedLines(f, slots, DEFAULT_TRACKING), one, `${f}, ${name}`);
  }
  assert.ok(records > 100, `corpus gave ${records} records`);
});

test('a generated capture: shards agree, including idle and TIME_WAIT endings and eviction', async () => {
  const f = generate('gen.pcap', ['--packets', '20000', '--seed', '7', '--snaplen', '128']);
  // A short TIME_WAIT and idle time make timers end connections on other shards' frames.
  for (const tracking of [DEFAULT_TRACKING, { timeWaitSec: 0.05, idleSec: 0.2, maxConns: 250_000 }]) {
    const one = await oneTableLines(f, tracking);
    assert.ok(one.length > 1000);
    for (const [name, slots] of LAYOUTS) assert.deepEqual(await shardedLines(f, slots, tracking), one, name);
  }
  // Over --max-conns the merge hands over to one table: still the same records.
  const small = { ...DEFAULT_TRACKING, maxConns: 100 };
  const one = await oneTableLines(f, small);
  assert.ok(one.some((l) => l.includes('"evicted": true')));
  for (const [name, slots] of LAYOUTS) assert.deepEqual(await shardedLines(f, slots, small), one, name);
});

test('IP fragments, SACKs and bad checksums: shards agree, with and without --verify-checksums', async () => {
  const f = join(tmp, 'fragmented.pcap');
  writeFileSync(f, fragmentedCapture());
  for (const verifyChecksums of [false, true]) {
    const one = await oneTableRun(f, DEFAULT_TRACKING, { verifyChecksums });
    assert.equal(one.lines.length, 40);
    for (const [name, slots] of LAYOUTS)
      assert.deepEqual(await shardedRun(f, slots, DEFAULT_TRACKING, { verifyChecksums }), one, name);
  }
});

test('a fault mid-file: the records before it, then the same fault line and exit code', async () => {
  const whole = readFileSync(generate('gen-fault.pcap', ['--packets', '5000', '--seed', '3']));
  const f = join(tmp, 'cut.pcap');
  // Cut inside a record two thirds of the way in.
  writeFileSync(f, whole.subarray(0, Math.floor((whole.length * 2) / 3) + 7));
  const one = await oneTableRun(f, DEFAULT_TRACKING);
  assert.equal(one.code, 2);
  assert.match(one.stderr, /^synack: .*cut\.pcap: byte \d+: /m);
  assert.ok(one.lines.length > 100);
  for (const [name, slots] of LAYOUTS)
    assert.deepEqual(await shardedRun(f, slots, DEFAULT_TRACKING), one, name);
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

test('synack conns --threads 2/3 on fragments, --verify-checksums, --dedup and a fault mid-file', (t) => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'conns-worker.js'))) return t.skip('not built');
  const frag = join(tmp, 'fragmented-cli.pcap');
  writeFileSync(frag, fragmentedCapture(60));
  const whole = readFileSync(generate('gen-cli-fault.pcap', ['--packets', '20000', '--seed', '5']));
  const cut = join(tmp, 'cut-cli.pcap');
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2) + 11));
  const runs: [string[], number][] = [
    [['--verify-checksums', frag], 0],
    [[frag], 0],
    [['--dedup', join(FIXTURES, 'tcpdump-any-sll2.pcap')], 0],
    [[cut], 2],
  ];
  for (const [args, code] of runs) {
    const one = cli(['conns', '--json', '--threads', '1', ...args]);
    assert.equal(one.status, code, one.stderr);
    assert.ok(one.stdout.length > 0);
    for (const n of ['2', '3']) {
      const r = cli(['conns', '--json', '--threads', n, ...args]);
      assert.equal(r.stdout, one.stdout, `--threads ${n} ${args.join(' ')}`);
      assert.equal(r.stderr, one.stderr, `--threads ${n} ${args.join(' ')}`);
      assert.equal(r.status, one.status);
    }
  }
});
