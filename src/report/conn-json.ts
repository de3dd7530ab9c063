// `synack conns --json`: one connection record per line, exactly PRODUCT.md "The connection
// record" (field names and order; times in seconds with six decimals from integer µs).
//
// Runs once per connection (a SYN flood prints one line per packet), so the line is one template
// with loops rather than map/join closures: fewer intermediate strings. Values from fixed sets of
// plain words (state names, handshake, close, reset, from, kind) need no JSON escaping and are
// quoted directly; free text (addresses, conn_state, history) goes through JSON.stringify.

import type { ConnRecord } from '../track/record.js';
import { usecString } from './zeek-tsv.js';

const q = JSON.stringify;

/** A `states` list as JSON: `["A", "B"]`. */
function states(l: readonly string[]): string {
  let s = '[';
  for (let i = 0; i < l.length; i++) s += i === 0 ? `"${l[i]}"` : `, "${l[i]}"`;
  return `${s}]`;
}

/** The record as one line of JSON (no newline). */
export function connJson(r: ConnRecord): string {
  let events = '';
  const ev = r.events;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i]!;
    events += `${i === 0 ? '' : ', '}{"frame": ${e.frame}, "time": ${usecString(e.timeUsec)}, "from": "${e.from}", "kind": "${e.kind}"}`;
  }
  const rtt = r.rttHandshakeUsec >= 0 ? `{"handshake": ${usecString(r.rttHandshakeUsec)}}` : '{}';
  return (
    `{"id": ${r.id}, "start": ${usecString(r.startUsec)}, "end": ${usecString(r.endUsec)}, ` +
    `"duration": ${usecString(r.endUsec - r.startUsec)}, ` +
    `"orig": {"ip": ${q(r.orig.ip)}, "port": ${r.orig.port}}, "resp": {"ip": ${q(r.resp.ip)}, "port": ${r.resp.port}}, ` +
    `"handshake": "${r.handshake}", "close": "${r.close}", "reset": ${r.reset === null ? 'null' : `"${r.reset}"`}, ` +
    `"states": {"orig": ${states(r.states.orig)}, "resp": ${states(r.states.resp)}}, ` +
    `"final": {"orig": "${r.final.orig}", "resp": "${r.final.resp}"}, ` +
    `"conn_state": ${q(r.conn_state)}, "history": ${q(r.history)}, "completeness": ${r.completeness}, ` +
    `"packets": {"orig": ${r.packets.orig}, "resp": ${r.packets.resp}}, ` +
    `"bytes": {"orig": ${r.bytes.orig}, "resp": ${r.bytes.resp}}, ` +
    `"rtt": ${rtt}, "evicted": ${r.evicted}, "events": [${events}]}`
  );
}
