// `synack conns --json`: one connection record per line, exactly PRODUCT.md "The connection
// record" (field names and order; times in seconds with six decimals from integer µs).
//
// Runs once per connection (a SYN flood prints one line per packet), so the line is one template
// with loops rather than map/join closures: fewer intermediate strings. Values from fixed sets of
// plain words (state names, handshake, close, reset, from, kind) need no JSON escaping and are
// quoted directly; free text (addresses, conn_state, history) goes through JSON.stringify.

import type { ConnRecord, SideFigures } from '../track/record.js';
import { serviceName } from '../track/services.js';
import { usecString } from './zeek-tsv.js';

const q = JSON.stringify;

/** A `states` list as JSON: `["A", "B"]`. */
function states(l: readonly string[]): string {
  let s = '[';
  for (let i = 0; i < l.length; i++) s += i === 0 ? `"${l[i]}"` : `, "${l[i]}"`;
  return `${s}]`;
}

/** tcptrace's average RTT of one sender's segments, whole µs (valid when rttSamples > 0). */
export function rttAvgUsec(d: SideFigures): number {
  return Math.round(d.rttSumUsec / d.rttSamples);
}

/** tcptrace's throughput of one sender: unique bytes ÷ duration, bytes per second; null for a zero duration. */
export function throughputBps(r: ConnRecord, d: SideFigures): number | null {
  const dur = r.endUsec - r.startUsec;
  return dur <= 0 ? null : Math.round((d.uniqueBytes * 1e6) / dur);
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
  const f = r.figures;
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
    `"rtt": ${rtt}, "evicted": ${r.evicted}, "events": [${events}]` +
    (f === undefined ? '}' : `, ${figuresJson(r, f)}}`)
  );
}

/**
 * Fields added after PRODUCT.md's (issue 13: tcptrace's and Wireshark Conversations' columns):
 * `service` (the responder port's name, /etc/services), `ip_bytes` (Zeek's orig_ip_bytes),
 * `retransmissions` each way, `rtt_data` (tcptrace's RTT from a segment and its ACK, per sender:
 * samples, min/avg/max seconds, null without samples) and `throughput` (tcptrace's: unique bytes ÷
 * duration, bytes per second; null for a zero duration).
 */
function figuresJson(r: ConnRecord, f: NonNullable<ConnRecord['figures']>): string {
  const rtt = (d: SideFigures) =>
    d.rttSamples === 0
      ? 'null'
      : `{"samples": ${d.rttSamples}, "min": ${usecString(d.rttMinUsec)}, "avg": ${usecString(rttAvgUsec(d))}, "max": ${usecString(d.rttMaxUsec)}}`;
  const bps = (d: SideFigures) => String(throughputBps(r, d));
  return (
    `"service": ${JSON.stringify(serviceName(r.resp.port))}, ` +
    `"ip_bytes": {"orig": ${f.orig.ipBytes}, "resp": ${f.resp.ipBytes}}, ` +
    `"retransmissions": {"orig": ${f.orig.retransmissions}, "resp": ${f.resp.retransmissions}}, ` +
    `"rtt_data": {"orig": ${rtt(f.orig)}, "resp": ${rtt(f.resp)}}, ` +
    `"throughput": {"orig": ${bps(f.orig)}, "resp": ${bps(f.resp)}}`
  );
}
