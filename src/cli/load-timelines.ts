// Reads captures through the decoder and the tracker (FlowTable with Zeek's summary and
// Wireshark's analysis) and returns each connection as the report layer's ConnTimeline: the
// input of `ladder`, `explain` and `states`. Exit code 2 after a file-level fault, as every
// command does (what came before the fault is still returned). The flow table is wired as conns
// wires it, with the same tracking options, so the connection ids are conns' ids.

import { StatesCollector } from '../report/states-from-track.js';
import type { ConnTimeline } from '../report/timeline.js';
import { type CollectorOptions, TimelineCollector } from '../report/timeline-from-track.js';
import { DEFAULT_TRACKING, newFlowTable } from '../report/tracking.js';
import type { ConnRecord } from '../track/record.js';
import type { StatesColumns } from '../track/states-columns.js';
import { decodeFiles } from './decode-files.js';
import { heapCollect, heapTick } from './heap-governor.js';
import { evictionNote } from './tracking-options.js';

export interface LoadOptions {
  timeWaitSec?: number;
  /** --idle and --max-conns (defaults: PRODUCT.md's). */
  idleSec?: number;
  maxConns?: number;
  /** --tap as typed and checked (default auto). */
  tap?: string;
  /** --dedup: copies of a segment from another interface dropped. */
  dedup?: boolean;
  /** Keep only the connections this accepts (the others' packets are not kept). */
  keep?: CollectorOptions['keep'];
  /** A second pass over files already read and reported: no notes or eviction count again. */
  quiet?: boolean;
}

export async function loadTimelines(
  files: string[],
  opts: LoadOptions = {},
): Promise<{ timelines: ConnTimeline[]; code: number }> {
  const collector = new TimelineCollector(opts.keep ? { keep: opts.keep } : {});
  const code = await trackInto(files, opts, collector.onEnd, collector.onPacket);
  const timelines = collector.timelines.sort((a, b) => a.id - b.id);
  return { timelines, code };
}

/**
 * What `states` needs of each connection (StatesCollector: the segments the socket table reads,
 * not whole timelines), the ones `keep` accepts, and the whole capture's span.
 */
export async function loadStates(
  files: string[],
  opts: LoadOptions = {},
  keep?: (rec: ConnRecord) => boolean,
): Promise<{ columns: StatesColumns; span: { startUs: number; endUs: number }; code: number }> {
  const collector = new StatesCollector(keep ? { keep } : {});
  const code = await trackInto(files, opts, collector.onEnd, collector.onPacket);
  return { columns: collector.columns.seal(), span: collector.span(), code };
}

/** The flow table wired as conns wires it (so the ids are conns' ids), over every record of `files`. */
export async function trackInto(
  files: string[],
  opts: LoadOptions,
  onEnd: Parameters<typeof newFlowTable>[1],
  onPacket: Parameters<typeof newFlowTable>[2],
): Promise<number> {
  // A second pass (explain's) starts from what is live, not beside the first pass's dead table.
  heapCollect();
  const table = newFlowTable(
    {
      timeWaitSec: opts.timeWaitSec ?? DEFAULT_TRACKING.timeWaitSec,
      idleSec: opts.idleSec ?? DEFAULT_TRACKING.idleSec,
      maxConns: opts.maxConns ?? DEFAULT_TRACKING.maxConns,
      tap: opts.tap,
    },
    (rec, conn) => {
      // The end of input ends every open connection in one go.
      heapTick();
      onEnd(rec, conn);
    },
    onPacket,
    // The collectors read a Conn only inside the callback that hands it over (by id), so an
    // ended connection's objects may serve the next one: no garbage per connection in a flood.
    true,
  );
  const code = await decodeFiles(files, (pkt) => table.process(pkt), {
    dedup: !!opts.dedup,
    quiet: !!opts.quiet,
  });
  table.finish();
  const note = evictionNote(table.evictedCount, opts.maxConns ?? DEFAULT_TRACKING.maxConns);
  if (note !== '' && !opts.quiet) process.stderr.write(note);
  return code;
}
