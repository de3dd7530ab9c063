// One shard of `synack conns --threads N` (a worker_threads entry point; see conns-shards.ts).
// The worker reads and decodes every record of the input itself (reading and decoding cost a few
// percent of tracking), tracks only the connections whose flowHash falls in its shard, and lets
// the other shards' TCP segments advance its clock (FlowTable.tick) so that idle and TIME_WAIT
// endings fall on the same frame as in one table. It posts, in batches: the first frame of each
// connection it created, each ended record with its first and ending frame, and how far it got.

import { parentPort, workerData } from 'node:worker_threads';
import { newFlowTable, type TrackingOptions } from '../report/tracking.js';
import { flowHash } from '../track/flow-table.js';
import type { ConnRecord } from '../track/record.js';
import { DecodeStatus, type Packet } from '../wire/packet.js';
import { OutputBuffer, readInto } from './cmd-read.js';

export interface ShardJob {
  files: string[];
  shard: number;
  shards: number;
  tracking: TrackingOptions;
  verifyChecksums: boolean;
  /** Only shard 0 reports notes, malformed counts and file faults (every shard sees the same). */
  reportsStderr: boolean;
}

/** An ended connection: its record (shard-local id), first frame and ending frame (0: open at the end). */
export type EndedConn = [firstFrame: number, endFrame: number, rec: ConnRecord];

export type ShardMessage =
  | { kind: 'batch'; created: number[]; ended: EndedConn[]; progress: number; streams: number; open: number }
  | { kind: 'done'; code: number; stderr: string; evicted: number };

/** Frames between two batches: large enough that messaging costs nothing, small enough to stream. */
const BATCH_FRAMES = 16_384;

/** One shard's whole run; `post` gets its reports (a worker posts them to the main thread). */
export async function runShard(job: ShardJob, post: (m: ShardMessage) => void): Promise<void> {
  let created: number[] = [];
  let ended: EndedConn[] = [];
  let frame = 0;
  let finishing = false;
  const table = newFlowTable(job.tracking, (rec, conn) => {
    ended.push([conn.firstFrame, finishing ? 0 : frame, rec]);
  });
  const flush = (): void => {
    post({ kind: 'batch', created, ended, progress: frame, streams: table.streamCount, open: table.size });
    created = [];
    ended = [];
  };
  const onPacket = (pkt: Packet): void => {
    frame = pkt.frame;
    if (pkt.status === DecodeStatus.TCP) {
      if (flowHash(pkt) % job.shards === job.shard) {
        const before = table.started;
        table.process(pkt);
        if (table.started > before) created.push(frame);
      } else {
        table.tick(pkt.tsUsec);
      }
    }
    if (frame % BATCH_FRAMES === 0) flush();
  };
  let stderr = '';
  const r = await readInto(
    job.files,
    { onPacket },
    new OutputBuffer(() => {}),
    { reassemble: true, verifyChecksums: job.verifyChecksums },
    (s) => {
      if (job.reportsStderr) stderr += s;
    },
  );
  finishing = true;
  table.finish();
  flush();
  post({ kind: 'done', code: r.code, stderr, evicted: table.evictedCount });
}

if (parentPort !== null) {
  const port = parentPort;
  void runShard(workerData as ShardJob, (m) => port.postMessage(m));
}
