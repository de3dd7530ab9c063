// The observer's side of the lab: the real analyzer (CaptureReader → Decoder → the flow table
// wired as `synack conns` wires it, report/tracking.ts → TimelineCollector) run over one tap's
// capture bytes, in memory. `synack lab run` takes the observer-only fields of its records from
// here, and the differential test compares its `states` with the lab's truth. Pure: no I/O.

import type { ConnTimeline } from '../report/timeline.js';
import { TimelineCollector } from '../report/timeline-from-track.js';
import { DEFAULT_TRACKING, newFlowTable, type TrackingOptions } from '../report/tracking.js';
import type { ConnRecord } from '../track/record.js';
import { forEachDecoded } from '../wire/capture-bytes.js';

export interface Observation {
  /** Connection records in `conns` output order (as connections end; open ones last by id). */
  records: ConnRecord[];
  /** The same connections as the report layer's timelines, by id. */
  timelines: ConnTimeline[];
}

/** Runs the analyzer over a whole capture held in memory (pcap or pcapng bytes). */
export function observeCapture(bytes: Uint8Array, tracking: Partial<TrackingOptions> = {}): Observation {
  const records: ConnRecord[] = [];
  const collector = new TimelineCollector();
  const table = newFlowTable(
    { ...DEFAULT_TRACKING, ...tracking },
    (rec, conn) => {
      records.push(rec);
      collector.onEnd(rec, conn);
    },
    collector.onPacket,
  );
  forEachDecoded(bytes, { reassemble: true, verifyChecksums: false }, (pkt) => table.process(pkt));
  table.finish();
  return { records, timelines: collector.timelines.sort((a, b) => a.id - b.id) };
}
