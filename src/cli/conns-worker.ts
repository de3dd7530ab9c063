// One shard of `synack conns --threads N` (a worker_threads entry point; see conns-shards.ts).
// The main thread reads and decodes the input once and writes, for each shard, batches of binary
// records into a ring of shared chunks: each TCP segment of the shard's flows (src/wire/packet-
// codec.ts), and for the other shards' segments a tick (frame, time) that advances this table's
// clock (FlowTable.tick) so that idle and TIME_WAIT endings fall on the same frame as in one table.
// The worker decodes the records into one reused Packet, runs its flow table and posts, per batch:
// the first frame of each connection it created, each ended record with its first and ending
// frame, and how far it got.

import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { newFlowTable, type TrackingOptions } from '../report/tracking.js';
import type { FlowTable } from '../track/flow-table.js';
import { PACKET_RECORD_BYTES, PacketDecoder } from '../wire/packet-codec.js';
import { type EncodedRecords, RecordWriter } from './conns-records.js';

// ---------------------------------------------------------------- the batch format
// A batch: a 16-byte header (u32 bytes used including the header, u32 1 when it is the last
// batch, f64 the last frame the main thread had read when it cut the batch), then records, each
// a kind byte and its body: a packet record, or a tick (f64 frame, f64 time in µs).

export const BATCH_HEADER_BYTES = 16;
export const RECORD_PACKET = 1;
export const RECORD_TICK = 2;
export const PACKET_BYTES = 1 + PACKET_RECORD_BYTES;
export const TICK_BYTES = 17;

/** Writes a batch's header at the start of `view`. */
export function writeBatchHeader(view: DataView, used: number, last: boolean, frame: number): void {
  view.setUint32(0, used, true);
  view.setUint32(4, last ? 1 : 0, true);
  view.setFloat64(8, frame, true);
}

// ---------------------------------------------------------------- what a shard reports

export type ShardMessage =
  | { kind: 'batch'; created: number[]; ended: EncodedRecords; progress: number; streams: number }
  | { kind: 'done'; evicted: number };

/** What a worker posts on its report port: the shard's messages, or how it failed. */
export type WorkerReport = ShardMessage | { kind: 'failed'; error: string };

/** One shard's flow table fed with batches; `post` gets its reports. */
export class ShardTracker {
  private readonly decoder = new PacketDecoder();
  private readonly table: FlowTable;
  private created: number[] = [];
  /** The records ended since the last report, with their first and ending frame. */
  private readonly ended = new RecordWriter();
  private frame = 0;
  private finishing = false;

  constructor(
    tracking: TrackingOptions,
    private readonly post: (m: ShardMessage) => void,
  ) {
    // The Conn is read only here: ended ones are recycled.
    this.table = newFlowTable(
      tracking,
      (rec, conn) => {
        this.ended.add(conn.firstFrame, this.finishing ? 0 : this.frame, rec);
      },
      undefined,
      true,
    );
  }

  /** Runs the batch at the start of `view` and reports; true when it was the last one. */
  consume(view: DataView): boolean {
    const end = view.getUint32(0, true);
    const last = view.getUint32(4, true) !== 0;
    const table = this.table;
    const decoder = this.decoder;
    for (let p = BATCH_HEADER_BYTES; p < end; ) {
      if (view.getUint8(p) === RECORD_PACKET) {
        const pkt = decoder.decode(view, p + 1);
        this.frame = pkt.frame;
        const before = table.started;
        table.process(pkt);
        if (table.started > before) this.created.push(pkt.frame);
        p += PACKET_BYTES;
      } else {
        this.frame = view.getFloat64(p + 1, true);
        table.tick(view.getFloat64(p + 9, true));
        p += TICK_BYTES;
      }
    }
    this.frame = view.getFloat64(8, true);
    if (last) {
      this.finishing = true;
      table.finish();
    }
    this.post({
      kind: 'batch',
      created: this.created,
      ended: this.ended.take(),
      progress: this.frame,
      streams: table.streamCount,
    });
    this.created = [];
    if (last) this.post({ kind: 'done', evicted: table.evictedCount });
    return last;
  }
}

// ---------------------------------------------------------------- the worker thread

/** The shared ring's control words (Int32Array over `ShardJob.control`). */
export const PUBLISHED = 0;
export const CONSUMED = 1;

export interface ShardJob {
  /** Marks a conns shard (the module may be loaded in other threads). */
  synackShard: true;
  tracking: TrackingOptions;
  /** The ring: `ring.byteLength / chunkBytes` chunks, one batch each, filled in turn. */
  ring: SharedArrayBuffer;
  chunkBytes: number;
  /** Int32 [PUBLISHED, CONSUMED]: batches written by the main thread, batches done here. */
  control: SharedArrayBuffer;
  /** Int32 [0]: bumped (and notified) after each batch a worker finished, for the main thread's waits. */
  signal: SharedArrayBuffer;
  /** Where reports go: the main thread drains it synchronously (receiveMessageOnPort). */
  reports: MessagePort;
}

function runWorker(job: ShardJob): void {
  const control = new Int32Array(job.control);
  const signal = new Int32Array(job.signal);
  const slots: DataView[] = [];
  for (let o = 0; o + job.chunkBytes <= job.ring.byteLength; o += job.chunkBytes)
    slots.push(new DataView(job.ring, o, job.chunkBytes));
  const report = (m: WorkerReport): void => job.reports.postMessage(m);
  try {
    const tracker = new ShardTracker(job.tracking, report);
    for (let done = 0; ; ) {
      // This thread has nothing else to do: block until the main thread publishes a batch.
      while (Atomics.load(control, PUBLISHED) === done) Atomics.wait(control, PUBLISHED, done);
      const last = tracker.consume(slots[done % slots.length]!);
      Atomics.store(control, CONSUMED, ++done);
      Atomics.add(signal, 0, 1);
      Atomics.notify(signal, 0);
      if (last) break;
    }
  } catch (err) {
    report({ kind: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  }
}

if (!isMainThread && (workerData as Partial<ShardJob> | null)?.synackShard === true) {
  // Loaded: the main thread starts publishing (failures before this reach it as 'error' events).
  parentPort?.postMessage('ready');
  runWorker(workerData as ShardJob);
}
