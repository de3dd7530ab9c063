// Reads captures through the decoder and the tracker (FlowTable with Zeek's summary and
// Wireshark's analysis) and returns each connection as the report layer's ConnTimeline: the
// input of `ladder`, `explain` and `states`. Exit code 2 after a file-level fault, as every
// command does (what came before the fault is still returned). The flow table is wired as conns
// wires it, with the same tracking options, so the connection ids are conns' ids.

import type { ConnTimeline } from '../report/timeline.js';
import { TimelineCollector } from '../report/timeline-from-track.js';
import { DEFAULT_TRACKING, newFlowTable } from '../report/tracking.js';
import { decodeFiles } from './decode-files.js';

export interface LoadOptions {
  timeWaitSec?: number;
  /** --idle and --max-conns (defaults: PRODUCT.md's). */
  idleSec?: number;
  maxConns?: number;
  /** --tap as typed and checked (default auto). */
  tap?: string;
  /** --dedup: copies of a segment from another interface dropped. */
  dedup?: boolean;
  /** Keep only the connections this accepts (by id). */
  keep?: (id: number) => boolean;
}

export async function loadTimelines(
  files: string[],
  opts: LoadOptions = {},
): Promise<{ timelines: ConnTimeline[]; code: number }> {
  const collector = new TimelineCollector(opts.keep ? { keep: opts.keep } : {});
  const table = newFlowTable(
    {
      timeWaitSec: opts.timeWaitSec ?? DEFAULT_TRACKING.timeWaitSec,
      idleSec: opts.idleSec ?? DEFAULT_TRACKING.idleSec,
      maxConns: opts.maxConns ?? DEFAULT_TRACKING.maxConns,
      tap: opts.tap,
    },
    collector.onEnd,
    collector.onPacket,
  );
  const code = await decodeFiles(files, (pkt) => table.process(pkt), { dedup: !!opts.dedup });
  table.finish();
  const timelines = collector.timelines.sort((a, b) => a.id - b.id);
  return { timelines, code };
}
