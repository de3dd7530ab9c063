// Reads captures through the decoder and the tracker (FlowTable with Zeek's summary and
// Wireshark's analysis) and returns each connection as the report layer's ConnTimeline: the
// input of `ladder`, `explain` and `states`. Exit code 2 after a file-level fault, as every
// command does (what came before the fault is still returned).

import type { ConnTimeline } from '../report/timeline.js';
import { type CollectorOptions, TimelineCollector } from '../report/timeline-from-track.js';
import { DEFAULT_TRACKING, newFlowTable } from '../report/tracking.js';
import { decodeFiles } from './decode-files.js';

export interface LoadOptions {
  timeWaitSec?: number;
  /** Keep only the connections this accepts (the others' packets are not kept). */
  keep?: CollectorOptions['keep'];
}

export async function loadTimelines(
  files: string[],
  opts: LoadOptions = {},
): Promise<{ timelines: ConnTimeline[]; code: number }> {
  const collector = new TimelineCollector(opts.keep ? { keep: opts.keep } : {});
  // Wired as `conns` wires it (--idle and --max-conns at their defaults), so ids agree with it and
  // memory follows the open connections, not the capture's length.
  const table = newFlowTable(
    { ...DEFAULT_TRACKING, timeWaitSec: opts.timeWaitSec ?? DEFAULT_TRACKING.timeWaitSec },
    collector.onEnd,
    collector.onPacket,
  );
  const code = await decodeFiles(files, (pkt) => table.process(pkt));
  table.finish();
  const timelines = collector.timelines.sort((a, b) => a.id - b.id);
  return { timelines, code };
}
