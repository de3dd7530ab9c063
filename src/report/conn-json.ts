// `synack conns --json`: one connection record per line, exactly PRODUCT.md "The connection
// record" (field names and order; times in seconds with six decimals from integer µs).
//
// Runs once per connection (a SYN flood prints one line per packet), so the line is written as
// bytes straight into the output (line-bytes.ts): constant pieces encoded once, numbers as digits,
// no string per field. Values from fixed sets of plain words (state names, handshake, close,
// reset, from, kind) need no JSON escaping and are quoted directly; free text (addresses,
// conn_state, history, service) is escaped as JSON.stringify does.

import type { ConnRecord, SideFigures } from '../track/record.js';
import { serviceName } from '../track/services.js';
import { LineBytes, utf8 } from './line-bytes.js';

/** tcptrace's average RTT of one sender's segments, whole µs (valid when rttSamples > 0). */
export function rttAvgUsec(d: SideFigures): number {
  return Math.round(d.rttSumUsec / d.rttSamples);
}

/** tcptrace's throughput of one sender: unique bytes ÷ duration, bytes per second; null for a zero duration. */
export function throughputBps(r: ConnRecord, d: SideFigures): number | null {
  const dur = r.endUsec - r.startUsec;
  return dur <= 0 ? null : Math.round((d.uniqueBytes * 1e6) / dur);
}

// The line's constant pieces, as bytes once.
const ID = utf8('{"id": ');
const START = utf8(', "start": ');
const END = utf8(', "end": ');
const DURATION = utf8(', "duration": ');
const ORIG_IP = utf8(', "orig": {"ip": ');
const PORT = utf8(', "port": ');
const RESP_IP = utf8('}, "resp": {"ip": ');
const HANDSHAKE = utf8('}, "handshake": "');
const CLOSE = utf8('", "close": "');
const RESET = utf8('", "reset": ');
const NULL = utf8('null');
const STATES = utf8(', "states": {"orig": ');
const RESP = utf8(', "resp": ');
const FINAL = utf8('}, "final": {"orig": "');
const FINAL_RESP = utf8('", "resp": "');
const CONN_STATE = utf8('"}, "conn_state": ');
const HISTORY = utf8(', "history": ');
const COMPLETENESS = utf8(', "completeness": ');
const PACKETS = utf8(', "packets": {"orig": ');
const BYTES = utf8('}, "bytes": {"orig": ');
const RTT_HANDSHAKE = utf8('}, "rtt": {"handshake": ');
const RTT_NONE = utf8('}, "rtt": {');
const EVICTED = utf8('}, "evicted": ');
const TRUE = utf8('true');
const FALSE = utf8('false');
const EVENTS = utf8(', "events": [');
const EVENT_FRAME = utf8('{"frame": ');
const EVENT_TIME = utf8(', "time": ');
const EVENT_FROM = utf8(', "from": "');
const EVENT_KIND = utf8('", "kind": "');
const EVENT_END = utf8('"}');
const COMMA = utf8(', ');
const QUOTE = utf8('"');
const QUOTED_COMMA = utf8('", "');
const SERVICE = utf8(', "service": ');
const IP_BYTES = utf8(', "ip_bytes": {"orig": ');
const RETRANSMISSIONS = utf8('}, "retransmissions": {"orig": ');
const RTT_DATA = utf8('}, "rtt_data": {"orig": ');
const THROUGHPUT = utf8('}, "throughput": {"orig": ');
const SAMPLES = utf8('{"samples": ');
const MIN = utf8(', "min": ');
const AVG = utf8(', "avg": ');
const MAX = utf8(', "max": ');

/** A `states` list as JSON: `["A", "B"]`. */
function states(w: LineBytes, l: readonly string[]): void {
  w.byte(0x5b);
  for (let i = 0; i < l.length; i++) {
    w.bytes(i === 0 ? QUOTE : QUOTED_COMMA);
    w.text(l[i]!);
  }
  if (l.length > 0) w.byte(0x22);
  w.byte(0x5d);
}
/** The record as one line of JSON (no newline) into `w`. */
export function connJsonInto(w: LineBytes, r: ConnRecord): void {
  w.bytes(ID);
  w.num(r.id);
  w.bytes(START);
  w.usec(r.startUsec);
  w.bytes(END);
  w.usec(r.endUsec);
  w.bytes(DURATION);
  w.usec(r.endUsec - r.startUsec);
  w.bytes(ORIG_IP);
  w.json(r.orig.ip);
  w.bytes(PORT);
  w.num(r.orig.port);
  w.bytes(RESP_IP);
  w.json(r.resp.ip);
  w.bytes(PORT);
  w.num(r.resp.port);
  w.bytes(HANDSHAKE);
  w.text(r.handshake);
  w.bytes(CLOSE);
  w.text(r.close);
  w.bytes(RESET);
  if (r.reset === null) w.bytes(NULL);
  else {
    w.byte(0x22);
    w.text(r.reset);
    w.byte(0x22);
  }
  w.bytes(STATES);
  states(w, r.states.orig);
  w.bytes(RESP);
  states(w, r.states.resp);
  w.bytes(FINAL);
  w.text(r.final.orig);
  w.bytes(FINAL_RESP);
  w.text(r.final.resp);
  w.bytes(CONN_STATE);
  w.json(r.conn_state);
  w.bytes(HISTORY);
  w.json(r.history);
  w.bytes(COMPLETENESS);
  w.num(r.completeness);
  w.bytes(PACKETS);
  w.num(r.packets.orig);
  w.bytes(RESP);
  w.num(r.packets.resp);
  w.bytes(BYTES);
  w.num(r.bytes.orig);
  w.bytes(RESP);
  w.num(r.bytes.resp);
  if (r.rttHandshakeUsec >= 0) {
    w.bytes(RTT_HANDSHAKE);
    w.usec(r.rttHandshakeUsec);
  } else w.bytes(RTT_NONE);
  w.bytes(EVICTED);
  w.bytes(r.evicted ? TRUE : FALSE);
  w.bytes(EVENTS);
  const ev = r.events;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i]!;
    if (i > 0) w.bytes(COMMA);
    w.bytes(EVENT_FRAME);
    w.num(e.frame);
    w.bytes(EVENT_TIME);
    w.usec(e.timeUsec);
    w.bytes(EVENT_FROM);
    w.text(e.from);
    w.bytes(EVENT_KIND);
    w.text(e.kind);
    w.bytes(EVENT_END);
  }
  w.byte(0x5d);
  const f = r.figures;
  if (f !== undefined) figuresInto(w, r, f);
  w.byte(0x7d);
}

/** One line's writer for connJson (its storage kept from line to line). */
const scratch = new LineBytes();

/** The record as one line of JSON (no newline). */
export function connJson(r: ConnRecord): string {
  connJsonInto(scratch, r);
  return scratch.take();
}

/**
 * Fields added after PRODUCT.md's (issue 13: tcptrace's and Wireshark Conversations' columns):
 * `service` (the responder port's name, /etc/services), `ip_bytes` (Zeek's orig_ip_bytes),
 * `retransmissions` each way, `rtt_data` (tcptrace's RTT from a segment and its ACK, per sender:
 * samples, min/avg/max seconds, null without samples) and `throughput` (tcptrace's: unique bytes ÷
 * duration, bytes per second; null for a zero duration).
 */
function figuresInto(w: LineBytes, r: ConnRecord, f: NonNullable<ConnRecord['figures']>): void {
  w.bytes(SERVICE);
  w.json(serviceName(r.resp.port));
  w.bytes(IP_BYTES);
  w.num(f.orig.ipBytes);
  w.bytes(RESP);
  w.num(f.resp.ipBytes);
  w.bytes(RETRANSMISSIONS);
  w.num(f.orig.retransmissions);
  w.bytes(RESP);
  w.num(f.resp.retransmissions);
  w.bytes(RTT_DATA);
  rttInto(w, f.orig);
  w.bytes(RESP);
  rttInto(w, f.resp);
  w.bytes(THROUGHPUT);
  bpsInto(w, throughputBps(r, f.orig));
  w.bytes(RESP);
  bpsInto(w, throughputBps(r, f.resp));
  w.byte(0x7d);
}

function rttInto(w: LineBytes, d: SideFigures): void {
  if (d.rttSamples === 0) {
    w.bytes(NULL);
    return;
  }
  w.bytes(SAMPLES);
  w.num(d.rttSamples);
  w.bytes(MIN);
  w.usec(d.rttMinUsec);
  w.bytes(AVG);
  w.usec(rttAvgUsec(d));
  w.bytes(MAX);
  w.usec(d.rttMaxUsec);
  w.byte(0x7d);
}

function bpsInto(w: LineBytes, bps: number | null): void {
  if (bps === null) w.bytes(NULL);
  else w.num(bps);
}
