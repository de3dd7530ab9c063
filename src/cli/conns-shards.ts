// `synack conns --threads N`: flows sharded by flowHash across N worker threads (conns-worker.ts),
// merged here into exactly the output of one table (PRODUCT.md "Connections": ids by first frame,
// records in the order of the frame that ended them, ties by id, open ones last by id).
//
// This thread reads and decodes the input once (readInto: the reader, IP reassembly, checksums,
// --dedup, notes and faults exactly as one table has them) and writes each TCP segment as a binary
// record (src/wire/packet-codec.ts) into the batch of its shard, and a tick (frame, time) into the
// batches of the others. Each worker has a ring of shared chunks, one batch each; when the ring is
// full this thread waits (Atomics), so memory stays bounded whatever the input. Workers report per
// batch the first frame of each connection they started and each record they ended (with its first
// and ending frame), on ports this thread drains synchronously between batches. Once every shard
// has passed frame M, everything up to M is settled: the connections started up to M get their ids
// in first-frame order, and the records ended up to M are printed by (ending frame, id). Memory
// stays bounded by the open connections, as in one table.
//
// One thing does not shard: --max-conns is a limit on the whole table (the connection idle
// longest anywhere is evicted) and Wireshark's streams are forgotten beyond the same count. While
// the open connections and streams of all shards together stay below it, a shard behaves as its
// part of one table. When they may reach it, the run goes on in this thread with one table,
// re-reading the input and skipping the records already printed, so the output stays identical.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { newFlowTable, type TrackingOptions } from '../report/tracking.js';
import { flowHash } from '../track/flow-table.js';
import type { ConnRecord } from '../track/record.js';
import { DecodeStatus, type Packet } from '../wire/packet.js';
import { encodePacket } from '../wire/packet-codec.js';
import { readRecords } from './conns-records.js';
import {
  BATCH_HEADER_BYTES,
  CONSUMED,
  PACKET_BYTES,
  PUBLISHED,
  RECORD_PACKET,
  RECORD_TICK,
  type ShardJob,
  type ShardMessage,
  ShardTracker,
  TICK_BYTES,
  type WorkerReport,
  writeBatchHeader,
} from './conns-worker.js';
import { StopReading } from './errors.js';
import { readInto } from './input-pipeline.js';
import { OutputBuffer } from './output-buffer.js';

export interface ShardedOptions {
  threads: number;
  tracking: TrackingOptions;
  verifyChecksums: boolean;
  dedup?: boolean;
}

export interface ConnsRun {
  /** Exit code: 0, or 2 after a file-level fault. */
  code: number;
  /** Connections evicted by --max-conns. */
  evicted: number;
}

/** An ended connection: its record (shard-local id), first frame and ending frame (0: open at the end). */
type EndedConn = [firstFrame: number, endFrame: number, rec: ConnRecord];

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
      this.ended = [];
      this.endedHead = 0;
    }
    readRecords(m.ended, (first, end, rec) => this.ended.push([first, end, rec]));
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

  /** Connections evicted by --max-conns, all shards together (once every shard is done). */
  evicted(): number {
    let n = 0;
    for (const s of this.shards) n += s.done!.evicted;
    return n;
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
        // Open at the end (0): only once every shard is done, after all that ended.
        if (end === 0 ? !final : end > m) break;
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

/**
 * Where the batches go: a chunk per shard to write into, handed over when full. In a run, shard 0
 * may be this thread's own and the others workers (ThreadShards); tests run all in this thread.
 */
export interface BatchSink {
  /** A free chunk (CHUNK_BYTES) for shard `s`'s next batch; may wait until a worker frees one. */
  claim(s: number): DataView;
  /** The chunk claimed last for shard `s` holds a batch (header written): hand it over. */
  publish(s: number): void;
  /** True once the run needs no more batches (the merge gave up, or a worker failed). */
  readonly stopped: boolean;
}

/** Bytes of one batch: a few thousand segments (ticks take 17 bytes, segments 177). */
export const CHUNK_BYTES = 256 * 1024;

/** Flows map to shards through this many hash slots (so shards can get unequal shares). */
export const SHARD_SLOTS = 64;

/**
 * The shard of each hash slot: the first `firstSlots` slots to shard 0, the rest in turn to the
 * others (`firstSlots` undefined: all shards alike).
 */
export function shardSlots(shards: number, firstSlots?: number): Uint8Array {
  const table = new Uint8Array(SHARD_SLOTS);
  if (firstSlots === undefined || shards === 1) {
    for (let i = 0; i < SHARD_SLOTS; i++) table[i] = i % shards;
  } else {
    for (let i = firstSlots; i < SHARD_SLOTS; i++) table[i] = 1 + ((i - firstSlots) % (shards - 1));
  }
  return table;
}

/**
 * Splits the decoded packets into per-shard batches: each TCP segment to the shard of its
 * flowHash's slot, a tick (frame, time) to every other shard. All shards' batches are cut
 * together, at the frame read last, which becomes every shard's progress.
 */
export class ShardDispatcher {
  private readonly views: DataView[] = [];
  private readonly used: number[] = [];
  /** Per shard: the time of the last record sent when it was a tick, else -Infinity. */
  private readonly lastTick: Float64Array;
  private readonly shards: number;
  private frame = 0;

  constructor(
    private readonly sink: BatchSink,
    private readonly slots: Uint8Array,
  ) {
    this.shards = Math.max(...slots) + 1;
    this.lastTick = new Float64Array(this.shards).fill(Number.NEGATIVE_INFINITY);
    for (let s = 0; s < this.shards; s++) {
      this.views.push(sink.claim(s));
      this.used.push(BATCH_HEADER_BYTES);
    }
  }

  /** One decoded frame, in capture order (PacketSink.onPacket). */
  packet(pkt: Packet): void {
    if (this.sink.stopped) throw new StopReading('the sharded run stopped');
    this.frame = pkt.frame;
    if (pkt.status !== DecodeStatus.TCP) return;
    const own = this.slots[flowHash(pkt) % SHARD_SLOTS]!;
    const t = pkt.tsUsec;
    let full = false;
    for (let s = 0; s < this.shards; s++) {
      const v = this.views[s]!;
      let p = this.used[s]!;
      if (s === own) {
        v.setUint8(p, RECORD_PACKET);
        encodePacket(pkt, v, p + 1);
        p += PACKET_BYTES;
        this.lastTick[s] = Number.NEGATIVE_INFINITY;
      } else {
        // After a tick at time T, a tick at or before T ends nothing (no segment came between).
        if (t <= this.lastTick[s]!) continue;
        v.setUint8(p, RECORD_TICK);
        v.setFloat64(p + 1, pkt.frame, true);
        v.setFloat64(p + 9, t, true);
        p += TICK_BYTES;
        this.lastTick[s] = t;
      }
      this.used[s] = p;
      if (p + PACKET_BYTES > CHUNK_BYTES) full = true;
    }
    if (full) this.cut(false);
  }

  /** End of input: every shard's last batch. */
  end(): void {
    if (!this.sink.stopped) this.cut(true);
  }

  /** Hands over every shard's batch, shard 0 last (it may run in this thread, the others meanwhile). */
  private cut(last: boolean): void {
    for (let s = this.shards - 1; s >= 0; s--) {
      writeBatchHeader(this.views[s]!, this.used[s]!, last, this.frame);
      this.sink.publish(s);
      if (!last) this.views[s] = this.sink.claim(s);
      this.used[s] = BATCH_HEADER_BYTES;
    }
  }
}

/** Chunks in each worker's ring: enough that this thread rarely waits for a slow batch. */
const RING_CHUNKS = 8;
/** A worker that finishes no batch for this long while this thread waits for it is given up. */
const STALL_MS = 60_000;

/** The worker script: compiled JS beside this file, or the TypeScript source under tsx (tests). */
function workerScript(): { url: URL; execArgv?: string[] } {
  const js = new URL('./conns-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { url: js };
  return { url: new URL('./conns-worker.ts', import.meta.url), execArgv: ['--import', 'tsx'] };
}

/**
 * The shards of a run as a BatchSink: shard 0 in this thread when `local` (its batch runs when
 * published), the others in workers, each with a ring of shared chunks published and freed
 * through two counters. The workers' reports reach the merger whenever this thread publishes or
 * waits. Waiting blocks this thread (Atomics.wait): the packet callback cannot yield, and there is
 * nothing else to do until a worker frees a chunk.
 */
class ThreadShards implements BatchSink {
  private readonly workers: Worker[] = [];
  private readonly reports: MessagePort[] = [];
  private readonly rings: DataView[][] = [];
  private readonly controls: Int32Array[] = [];
  private readonly published: number[] = [];
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  /** Shard 0's chunk when it runs here; once the run stopped, written to and dropped. */
  private readonly here = new DataView(new ArrayBuffer(CHUNK_BYTES));
  private readonly local: ShardTracker | null;
  /** Shard number of worker 0. */
  private readonly first: number;
  failure: Error | null = null;

  private constructor(
    private readonly merger: ShardMerger,
    tracking: TrackingOptions,
    local: boolean,
  ) {
    this.local = local ? new ShardTracker(tracking, (m) => merger.take(0, m)) : null;
    this.first = local ? 1 : 0;
  }

  /** Starts `workers` workers (after shard 0 when `local`) and waits until each has loaded. */
  static async start(
    workers: number,
    local: boolean,
    tracking: TrackingOptions,
    merger: ShardMerger,
  ): Promise<ThreadShards> {
    const pool = new ThreadShards(merger, tracking, local);
    const script = workerScript();
    const loaded: Promise<void>[] = [];
    for (let i = 0; i < workers; i++) {
      const { port1, port2 } = new MessageChannel();
      const ring = new SharedArrayBuffer(RING_CHUNKS * CHUNK_BYTES);
      const control = new SharedArrayBuffer(8);
      const job: ShardJob = {
        synackShard: true,
        tracking,
        ring,
        chunkBytes: CHUNK_BYTES,
        control,
        signal: pool.signal.buffer as SharedArrayBuffer,
        reports: port2,
      };
      const w = new Worker(script.url, { workerData: job, transferList: [port2], execArgv: script.execArgv });
      loaded.push(
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('exit', (code) =>
            reject(new Error(`a --threads worker exited (code ${code}) before it started`)),
          );
          w.on('error', (err) => {
            pool.failure ??= err;
            reject(err);
          });
        }),
      );
      pool.workers.push(w);
      pool.reports.push(port1);
      pool.rings.push(
        Array.from({ length: RING_CHUNKS }, (_, k) => new DataView(ring, k * CHUNK_BYTES, CHUNK_BYTES)),
      );
      pool.controls.push(new Int32Array(control));
      pool.published.push(0);
    }
    try {
      await Promise.all(loaded);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get stopped(): boolean {
    return this.failure !== null || this.merger.tooFull;
  }

  claim(s: number): DataView {
    const w = s - this.first;
    if (w < 0) return this.here;
    const control = this.controls[w]!;
    const n = this.published[w]!;
    this.waitUntil(() => n - Atomics.load(control, CONSUMED) < RING_CHUNKS);
    return this.stopped ? this.here : this.rings[w]![n % RING_CHUNKS]!;
  }

  publish(s: number): void {
    if (this.stopped) return;
    const w = s - this.first;
    if (w < 0) {
      this.local!.consume(this.here);
    } else {
      const control = this.controls[w]!;
      Atomics.store(control, PUBLISHED, ++this.published[w]!);
      Atomics.notify(control, PUBLISHED);
    }
    this.drain();
  }

  /** Waits until every shard has reported its end (or the run stopped). */
  finish(): void {
    this.waitUntil(() => this.merger.over);
  }

  async close(): Promise<void> {
    for (const p of this.reports) p.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Feeds every report that has arrived to the merger. */
  private drain(): void {
    for (let w = 0; w < this.reports.length; w++) {
      const port = this.reports[w]!;
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
        const report = m.message as WorkerReport;
        if (report.kind === 'failed')
          this.failure ??= new Error(`a --threads worker failed: ${report.error}`);
        else this.merger.take(w + this.first, report);
      }
    }
  }

  /** Drains reports until `ready()` or the run stopped, sleeping while no worker finishes a batch. */
  private waitUntil(ready: () => boolean): void {
    let seen = Atomics.load(this.signal, 0);
    let quietSince = Date.now();
    for (;;) {
      this.drain();
      if (this.stopped || ready()) return;
      Atomics.wait(this.signal, 0, seen, 1000);
      const now = Atomics.load(this.signal, 0);
      if (now !== seen) {
        seen = now;
        quietSince = Date.now();
      } else if (Date.now() - quietSince > STALL_MS) {
        this.failure = new Error(`a --threads worker finished no batch in ${STALL_MS / 1000} s`);
      }
    }
  }
}

/**
 * This thread's share of the flows with `threads` threads: besides tracking, it reads, decodes
 * and dispatches every frame and merges and prints every record, about LOAD_HERE of what one
 * table costs. With the rest spread evenly, every thread ends up about as busy.
 */
function hereSlots(threads: number): number {
  const share = Math.max(0, (1 - (threads - 1) * LOAD_HERE) / threads);
  return Math.round(share * SHARD_SLOTS);
}

/** The main thread's own work in a sharded run, as a share of one table's (measured, 1 M packets). */
const LOAD_HERE = 0.45;

/** Reads `files` with `o.threads` threads; calls onRecord with each record in single-table order. */
export async function runSharded(
  files: string[],
  o: ShardedOptions,
  onRecord: (rec: ConnRecord) => void,
  stderr: (s: string) => void,
): Promise<ConnsRun> {
  const here = hereSlots(o.threads);
  const local = here > 0;
  const slots = local ? shardSlots(o.threads, here) : shardSlots(o.threads - 1);
  const shards = local ? o.threads : o.threads - 1;
  const merger = new ShardMerger(shards, o.tracking.maxConns, onRecord);
  const threads = await ThreadShards.start(o.threads - 1, local, o.tracking, merger);
  let notes = '';
  let code = 0;
  try {
    const dispatcher = new ShardDispatcher(threads, slots);
    const r = await readInto(
      files,
      { needsFrame: false, onPacket: (pkt) => dispatcher.packet(pkt) },
      new OutputBuffer(() => {}),
      { reassemble: true, verifyChecksums: o.verifyChecksums, dedup: o.dedup },
      (s) => {
        notes += s;
      },
    );
    code = r.code;
    dispatcher.end();
    threads.finish();
  } finally {
    await threads.close();
  }
  if (threads.failure !== null) throw threads.failure;
  // (A stop also ended reading early: its notes and exit code are the second pass's.)
  if (merger.tooFull) return runOneTable(files, o, merger.printed, onRecord, stderr);
  if (notes !== '') stderr(notes);
  return { code, evicted: merger.evicted() };
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
  const table = newFlowTable(
    o.tracking,
    (rec) => {
      if (seen++ >= skip) onRecord(rec);
    },
    undefined,
    true,
  );
  const r = await readInto(
    files,
    { needsFrame: false, onPacket: (pkt) => void table.process(pkt) },
    new OutputBuffer(() => {}),
    { reassemble: true, verifyChecksums: o.verifyChecksums, dedup: o.dedup },
    stderr,
  );
  table.finish();
  return { code: r.code, evicted: table.evictedCount };
}
