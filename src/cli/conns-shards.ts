// `synack conns --threads N`: flows sharded by flowHash across N worker threads (conns-worker.ts),
// merged here into exactly the output of one table (PRODUCT.md "Connections": ids by first frame,
// records in the order of the frame that ended them, ties by id, open ones last by id).
//
// Every worker reads the whole input and reports, every few thousand frames, how far it got, the
// first frame of each connection it started and each record it ended (with its first and ending
// frame). Once every worker has passed frame M, everything up to M is settled: the connections
// started up to M get their ids in first-frame order, and the records ended up to M are printed
// by (ending frame, id). Memory stays bounded by the open connections, as in one table.
//
// One thing does not shard: --max-conns is a limit on the whole table (the connection idle
// longest anywhere is evicted) and Wireshark's streams are forgotten beyond the same count. While
// the open connections and streams of all shards together stay below it, a shard behaves as its
// part of one table. When they may reach it, the run goes on in this thread with one table,
// re-reading the input and skipping the records already printed, so the output stays identical.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { newFlowTable, type TrackingOptions } from '../report/tracking.js';
import type { ConnRecord } from '../track/record.js';
import { OutputBuffer, readInto } from './cmd-read.js';
import type { EndedConn, ShardJob, ShardMessage } from './conns-worker.js';

export interface ShardedOptions {
  threads: number;
  tracking: TrackingOptions;
  verifyChecksums: boolean;
}

export interface ConnsRun {
  /** Exit code: 0, or 2 after a file-level fault. */
  code: number;
  /** Connections evicted by --max-conns. */
  evicted: number;
}

class ShardState {
  created: number[] = [];
  createdHead = 0;
  ended: EndedConn[] = [];
  endedHead = 0;
  progress = 0;
  streams = 0;
  done: Extract<ShardMessage, { kind: 'done' }> | null = null;

  take(m: Extract<ShardMessage, { kind: 'batch' }>): void {
    if (this.createdHead === this.created.length) {
      this.created = m.created;
      this.createdHead = 0;
    } else for (const f of m.created) this.created.push(f);
    if (this.endedHead === this.ended.length) {
      this.ended = m.ended;
      this.endedHead = 0;
    } else for (const e of m.ended) this.ended.push(e);
    this.progress = m.progress;
    this.streams = m.streams;
  }
}

/**
 * Merges the shards' reports into single-table order. take() in any interleaving; `tooFull` once
 * one table might have reached --max-conns (the caller then goes on with one table, skipping the
 * `printed` records).
 */
export class ShardMerger {
  private readonly shards: ShardState[];
  private readonly idOf = new Map<number, number>();
  private nextId = 1;
  private open = 0;
  private settled = 0;
  private finished = 0;
  printed = 0;
  tooFull = false;

  constructor(
    shards: number,
    private readonly maxConns: number,
    private readonly onRecord: (rec: ConnRecord) => void,
  ) {
    this.shards = Array.from({ length: shards }, () => new ShardState());
  }

  /** True once every shard reported done (or the merge gave up: tooFull). */
  get over(): boolean {
    return this.tooFull || this.finished === this.shards.length;
  }

  /** Shard 0's final report (exit code, stderr text) and the evictions of all shards. */
  result(): { code: number; stderr: string; evicted: number } {
    const first = this.shards[0]!.done!;
    let evicted = 0;
    for (const s of this.shards) evicted += s.done!.evicted;
    return { code: first.code, stderr: first.stderr, evicted };
  }

  take(shard: number, msg: ShardMessage): void {
    if (this.tooFull) return;
    const s = this.shards[shard]!;
    if (msg.kind === 'batch') {
      s.take(msg);
      this.advance(false);
    } else {
      s.done = msg;
      if (++this.finished === this.shards.length) this.advance(true);
    }
  }

  /** Settles everything up to the frame every shard has passed (all of it once all are done). */
  private advance(final: boolean): void {
    let m = Number.POSITIVE_INFINITY;
    if (!final) for (const s of this.shards) m = Math.min(m, s.progress);
    if (m <= this.settled) return;
    const started: number[] = [];
    let streams = 0;
    for (const s of this.shards) {
      while (s.createdHead < s.created.length && s.created[s.createdHead]! <= m)
        started.push(s.created[s.createdHead++]!);
      streams += s.streams;
    }
    // Could one table have been full anywhere in (settled, m]? (Conservative: all starts first.)
    const span = final ? 0 : m - this.settled;
    if (this.open + started.length >= this.maxConns || streams + span >= this.maxConns) {
      this.tooFull = true;
      return;
    }
    started.sort((x, y) => x - y);
    for (const f of started) this.idOf.set(f, this.nextId++);
    this.open += started.length;
    const done: [number, number, ConnRecord][] = [];
    const stillOpen: [number, number, ConnRecord][] = [];
    for (const s of this.shards) {
      while (s.endedHead < s.ended.length) {
        const [first, end, rec] = s.ended[s.endedHead]!;
        if (end !== 0 && end > m) break;
        s.endedHead++;
        const id = this.idOf.get(first)!;
        this.idOf.delete(first);
        rec.id = id;
        (end === 0 ? stillOpen : done).push([end, id, rec]);
      }
    }
    done.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    stillOpen.sort((x, y) => x[1] - y[1]);
    for (const e of done) this.onRecord(e[2]);
    for (const e of stillOpen) this.onRecord(e[2]);
    this.open -= done.length + stillOpen.length;
    this.printed += done.length + stillOpen.length;
    this.settled = m;
  }
}

/** The worker script: compiled JS beside this file, or the TypeScript source under tsx (tests). */
function workerScript(): { url: URL; execArgv?: string[] } {
  const js = new URL('./conns-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { url: js };
  return { url: new URL('./conns-worker.ts', import.meta.url), execArgv: ['--import', 'tsx'] };
}

/** Reads `files` with `o.threads` shards; calls onRecord with each record in single-table order. */
export async function runSharded(
  files: string[],
  o: ShardedOptions,
  onRecord: (rec: ConnRecord) => void,
  stderr: (s: string) => void,
): Promise<ConnsRun> {
  const merger = new ShardMerger(o.threads, o.tracking.maxConns, onRecord);
  const script = workerScript();
  const workers: Worker[] = [];
  await new Promise<void>((resolve, reject) => {
    for (let shard = 0; shard < o.threads; shard++) {
      const job: ShardJob = {
        files,
        shard,
        shards: o.threads,
        tracking: o.tracking,
        verifyChecksums: o.verifyChecksums,
        reportsStderr: shard === 0,
      };
      const w = new Worker(script.url, { workerData: job, execArgv: script.execArgv });
      workers.push(w);
      w.on('error', (err) => {
        for (const x of workers) void x.terminate();
        reject(err);
      });
      w.on('message', (msg: ShardMessage) => {
        merger.take(shard, msg);
        if (merger.over) {
          for (const x of workers) void x.terminate();
          resolve();
        }
      });
    }
  });
  if (merger.tooFull) return runOneTable(files, o, merger.printed, onRecord, stderr);
  const r = merger.result();
  if (r.stderr !== '') stderr(r.stderr);
  return { code: r.code, evicted: r.evicted };
}

/** One table in this thread, its first `skip` records left out (they were printed already). */
export async function runOneTable(
  files: string[],
  o: Omit<ShardedOptions, 'threads'>,
  skip: number,
  onRecord: (rec: ConnRecord) => void,
  stderr: (s: string) => void,
): Promise<ConnsRun> {
  let seen = 0;
  const table = newFlowTable(o.tracking, (rec) => {
    if (seen++ >= skip) onRecord(rec);
  });
  const r = await readInto(
    files,
    { onPacket: (pkt) => void table.process(pkt) },
    new OutputBuffer(() => {}),
    { reassemble: true, verifyChecksums: o.verifyChecksums },
    stderr,
  );
  table.finish();
  return { code: r.code, evicted: table.evictedCount };
}
