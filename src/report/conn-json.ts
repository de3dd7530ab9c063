// `synack conns --json`: one connection record per line, exactly PRODUCT.md "The connection
// record" (field names and order; times in seconds with six decimals from integer µs).

import type { ConnRecord } from '../track/record.js';
import { usecString } from './zeek-tsv.js';

const q = JSON.stringify;

/** The record as one line of JSON (no newline). */
export function connJson(r: ConnRecord): string {
  const states = (l: readonly string[]) => `[${l.map((s) => q(s)).join(', ')}]`;
  const events = r.events
    .map(
      (e) =>
        `{"frame": ${e.frame}, "time": ${usecString(e.timeUsec)}, "from": ${q(e.from)}, "kind": ${q(e.kind)}}`,
    )
    .join(', ');
  const rtt = r.rttHandshakeUsec >= 0 ? `{"handshake": ${usecString(r.rttHandshakeUsec)}}` : '{}';
  return (
    `{"id": ${r.id}, "start": ${usecString(r.startUsec)}, "end": ${usecString(r.endUsec)}, ` +
    `"duration": ${usecString(r.endUsec - r.startUsec)}, ` +
    `"orig": {"ip": ${q(r.orig.ip)}, "port": ${r.orig.port}}, "resp": {"ip": ${q(r.resp.ip)}, "port": ${r.resp.port}}, ` +
    `"handshake": ${q(r.handshake)}, "close": ${q(r.close)}, "reset": ${r.reset === null ? 'null' : q(r.reset)}, ` +
    `"states": {"orig": ${states(r.states.orig)}, "resp": ${states(r.states.resp)}}, ` +
    `"final": {"orig": ${q(r.final.orig)}, "resp": ${q(r.final.resp)}}, ` +
    `"conn_state": ${q(r.conn_state)}, "history": ${q(r.history)}, "completeness": ${r.completeness}, ` +
    `"packets": {"orig": ${r.packets.orig}, "resp": ${r.packets.resp}}, ` +
    `"bytes": {"orig": ${r.bytes.orig}, "resp": ${r.bytes.resp}}, ` +
    `"rtt": ${rtt}, "evicted": ${r.evicted}, "events": [${events}]}`
  );
}
