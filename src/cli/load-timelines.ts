// Reads captures through the decoder and the tracker (FlowTable with Zeek's summary and
// Wireshark's analysis) and returns each connection as the report layer's ConnTimeline: the
// input of `ladder`, `explain` and `states`. Exit code 2 after a file-level fault, as every
// command does (what came before the fault is still returned).

import { ipv4String, ipv6String } from '../report/tcpdump.js';
import type { ConnTimeline } from '../report/timeline.js';
import { TimelineCollector } from '../report/timeline-from-track.js';
import { FlowTable } from '../track/flow-table.js';
import { AUTO_TAP, parseTap } from '../track/tap.js';
import { TcpAnalysis } from '../track/wireshark.js';
import { ZeekSummary } from '../track/zeek-summary.js';
import { decodeFiles } from './decode-files.js';

export interface LoadOptions {
  timeWaitSec?: number;
  /** --tap as typed (checked by tapOption); default auto. */
  tap?: string;
  /** Keep only the connections this accepts (by id). */
  keep?: (id: number) => boolean;
}

export async function loadTimelines(
  files: string[],
  opts: LoadOptions = {},
): Promise<{ timelines: ConnTimeline[]; code: number }> {
  const collector = new TimelineCollector(opts.keep ? { keep: opts.keep } : {});
  const table = new FlowTable({
    timeWaitSec: opts.timeWaitSec ?? 60,
    tap: parseTap(opts.tap ?? 'auto') ?? AUTO_TAP,
    newSummary: () => new ZeekSummary(),
    analysis: new TcpAnalysis(),
    addrText: (b, v) => (v === 6 ? ipv6String(b, 0) : ipv4String(b, 0)),
    onPacket: collector.onPacket,
    onEnd: collector.onEnd,
  });
  const code = await decodeFiles(files, (pkt) => table.process(pkt));
  table.finish();
  const timelines = collector.timelines.sort((a, b) => a.id - b.id);
  return { timelines, code };
}
