// Adapter for `synack states`: the tracker's output (FlowTable onPacket/onEnd) → what the
// host-level view needs of each connection (track/host-states.ts ConnStatesInput), and nothing
// more. A SYN flood is 10^6 connections: the full timelines of ladder and explain (every packet
// with its sequence numbers, tags and roles) do not fit, so a connection keeps only the segments
// the socket table reads — its first and last, each change of either endpoint's state, the first
// from each side (a socket in UNKNOWN shows once its side has spoken) and the first SYN of each
// side (TIME_WAIT exhaustion's connection rate) — in typed-array columns (track/states-columns.ts).
// The report built from these equals the one built from full timelines (test/states-compact.test.ts).

import { STATE_NAMES } from '../tcp/state.js';
import type { Conn } from '../track/connection.js';
import type { HeldPacket } from '../track/held.js';
import type { ConnRecord } from '../track/record.js';
import { StatesColumns } from '../track/states-columns.js';

const STATE_INDEX = new Map<string, number>(STATE_NAMES.map((n, i) => [n, i]));

export interface StatesCollectorOptions {
  /** --filter: keep only the connections whose record it accepts (the span counts them all). */
  keep?: (rec: ConnRecord) => boolean;
}

/** Wire `onPacket` and `onEnd` into a FlowTable; `columns` fills as connections end. */
export class StatesCollector {
  /** The kept connections (src/track/states-columns.ts); `seal` it once the input is over. */
  readonly columns = new StatesColumns();
  /** Earliest first and latest last segment of every connection seen (epoch µs), for --at's default. */
  startUs = Number.POSITIVE_INFINITY;
  endUs = 0;

  constructor(private readonly opts: StatesCollectorOptions = {}) {}

  readonly onPacket = (conn: Conn, h: HeldPacket): void => {
    this.columns.segment(conn.id, h.tsUsec, h.fromA, h.flags, h.stateA, h.stateB);
  };

  readonly onEnd = (rec: ConnRecord, conn: Conn): void => {
    const keep = !this.opts.keep || this.opts.keep(rec);
    const span = this.columns.end(
      conn.id,
      keep
        ? {
            orig: rec.orig,
            resp: rec.resp,
            initialResp: STATE_INDEX.get(rec.states.resp[0] ?? 'UNKNOWN')!,
            origIsA: conn.summary.origIsA,
          }
        : null,
    );
    if (span === undefined) return;
    // The span as captureSpan() reads full timelines: each connection's first and last segment.
    if (span.firstUs < this.startUs) this.startUs = span.firstUs;
    if (span.lastUs > this.endUs) this.endUs = span.lastUs;
  };

  /** The capture's span, as captureSpan() gives it for full timelines. */
  span(): { startUs: number; endUs: number } {
    return { startUs: this.startUs === Number.POSITIVE_INFINITY ? 0 : this.startUs, endUs: this.endUs };
  }
}
