// `--filter EXPR` on the commands (src/track/filter.ts is the language): parsing the option,
// the connection views a filter reads (the record, a report timeline), and the gate `read` puts
// its lines through. A filter selects connections, so a packet line waits until its connection
// is judged: at its first segment when the filter reads only the 4-tuple (host, net, port),
// otherwise when the connection is over (its conn_state, states and events are known then).

import { ipv4String, ipv6String } from '../report/tcpdump.js';
import type { ConnTimeline } from '../report/timeline.js';
import type { Conn } from '../track/connection.js';
import { type ConnFilter, type FilterSubject, parseFilter } from '../track/filter.js';
import type { ConnRecord } from '../track/record.js';

export { FilterError } from '../track/filter.js';

/** Commander's help text for the option. */
export const FILTER_HELP =
  'select connections: host, net, port, portrange, conn_state, state, final.orig=…, event; and/or/not, ( )';

/** The parsed --filter, or null without one; throws FilterError (a usage error, exit 1). */
export function filterOption(text: string | undefined): ConnFilter | null {
  return text === undefined ? null : parseFilter(text);
}

/** The filter's view of a connection drawn from the tracker (ladder, explain, states). */
export function timelineSubject(t: ConnTimeline): FilterSubject {
  const r = t.record;
  return {
    orig: t.orig,
    resp: t.resp,
    conn_state: r?.conn_state ?? '',
    states: r?.states ?? { orig: [t.initial.orig], resp: [t.initial.resp] },
    final: r?.final ?? { orig: t.initial.orig, resp: t.initial.resp },
    events: r?.events ?? [],
  };
}

function addrText(bytes: Uint8Array, version: number): string {
  return version === 6 ? ipv6String(bytes, 0) : ipv4String(bytes, 0);
}

/**
 * Holds `read`'s lines per connection until the filter has judged it. `admit` says at once
 * (true/false) or holds the line (null); `end` returns the held lines of a finished connection,
 * emptied when it was not selected.
 */
export class ConnGate {
  private readonly early = new Map<number, boolean>();
  private readonly held = new Map<number, [number, string][]>();

  constructor(private readonly filter: ConnFilter) {}

  admit(conn: Conn, seq: number, text: string): boolean | null {
    if (!this.filter.needsRecord) {
      let v = this.early.get(conn.id);
      if (v === undefined) {
        const n = conn.ipVersion === 6 ? 16 : 4;
        v = this.filter.matchesTuple({
          orig: { ip: addrText(conn.addrA.subarray(0, n), conn.ipVersion), port: conn.portA },
          resp: { ip: addrText(conn.addrB.subarray(0, n), conn.ipVersion), port: conn.portB },
        });
        this.early.set(conn.id, v);
      }
      return v;
    }
    let list = this.held.get(conn.id);
    if (list === undefined) {
      list = [];
      this.held.set(conn.id, list);
    }
    list.push([seq, text]);
    return null;
  }

  end(rec: ConnRecord): [number, string][] {
    this.early.delete(rec.id);
    const list = this.held.get(rec.id);
    if (list === undefined) return [];
    this.held.delete(rec.id);
    if (!this.filter.matches(rec)) for (const item of list) item[1] = '';
    return list;
  }
}
