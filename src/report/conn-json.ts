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

// The line's constant pieces, as bytes once. Each key carries the separator before it; an
// object's key opens it with its "orig" member, the helpers below close it.
const ID = utf8('{"id": ');
const START = utf8(', "start": ');
const END = utf8(', "end": ');
const DURATION = utf8(', "duration": ');
const ORIG = utf8(', "orig": ');
const RESP = utf8(', "resp": ');
const IP = utf8('{"ip": ');
const PORT = utf8(', "port": ');
const HANDSHAKE = utf8(', "handshake": ');
const CLOSE = utf8(', "close": ');
const RESET = utf8(', "reset": ');
const NULL = utf8('null');
const STATES = utf8(', "states": {"orig": ');
const FINAL = utf8(', "final": {"orig": ');
const CONN_STATE = utf8(', "conn_state": ');
const HISTORY = utf8(', "history": ');
const COMPLETENESS = utf8(', "completeness": ');
const PACKETS = utf8(', "packets": {"orig": ');
const BYTES = utf8(', "bytes": {"orig": ');
const RTT_HANDSHAKE = utf8(', "rtt": {"handshake": ');
const RTT_NONE = utf8(', "rtt": {}');
const EVICTED = utf8(', "evicted": ');
const TRUE = utf8('true');
const FALSE = utf8('false');
const EVENTS = utf8(', "events": [');
const EVENT_FRAME = utf8('{"frame": ');
const EVENT_TIME = utf8(', "time": ');
const EVENT_FROM = utf8(', "from": ');
const EVENT_KIND = utf8(', "kind": ');
const COMMA = utf8(', ');
const SERVICE = utf8(', "service": ');
const IP_BYTES = utf8(', "ip_bytes": {"orig": ');
const RETRANSMISSIONS = utf8(', "retransmissions": {"orig": ');
const RTT_DATA = utf8(', "rtt_data": {"orig": ');
const THROUGHPUT = utf8(', "throughput": {"orig": ');
const SAMPLES = utf8('{"samples": ');
const MIN = utf8(', "min": ');
const AVG = utf8(', "avg": ');
const MAX = utf8(', "max": ');

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;

/** Quoted words as bytes, made at their first use (the sets are small: states, kinds, closes). */
const QUOTED = new Map<string, Uint8Array>();
const MAX_QUOTED = 256;

/** A plain word in quotes (no escaping needed: values from fixed sets). */
function word(w: LineBytes, s: string): void {
  let b = QUOTED.get(s);
  if (b === undefined) {
    if (QUOTED.size >= MAX_QUOTED) {
      w.byte(QUOTE);
      w.text(s);
      w.byte(QUOTE);
      return;
    }
    b = utf8(`"${s}"`);
    QUOTED.set(s, b);
  }
  w.bytes(b);
}

/** `key` (which opens the object with "orig"), then `{… orig, "resp": resp}` as numbers. */
function numPair(w: LineBytes, key: Uint8Array, orig: number, resp: number): void {
  w.bytes(key);
  w.num(orig);
  w.bytes(RESP);
  w.num(resp);
  w.byte(CLOSE_BRACE);
}

/** `{"ip": …, "port": …}`. */
function endpoint(w: LineBytes, e: ConnRecord['orig']): void {
  w.bytes(IP);
  w.json(e.ip);
  w.bytes(PORT);
  w.num(e.port);
  w.byte(CLOSE_BRACE);
}

/** A `states` list as JSON: `["A", "B"]`. */
function states(w: LineBytes, l: readonly string[]): void {
  w.byte(OPEN_BRACKET);
  for (let i = 0; i < l.length; i++) {
    if (i > 0) w.bytes(COMMA);
    word(w, l[i]!);
  }
  w.byte(CLOSE_BRACKET);
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
  w.bytes(ORIG);
  endpoint(w, r.orig);
  w.bytes(RESP);
  endpoint(w, r.resp);
  w.bytes(HANDSHAKE);
  word(w, r.handshake);
  w.bytes(CLOSE);
  word(w, r.close);
  w.bytes(RESET);
  if (r.reset === null) w.bytes(NULL);
  else word(w, r.reset);
  w.bytes(STATES);
  states(w, r.states.orig);
  w.bytes(RESP);
  states(w, r.states.resp);
  w.byte(CLOSE_BRACE);
  w.bytes(FINAL);
  word(w, r.final.orig);
  w.bytes(RESP);
  word(w, r.final.resp);
  w.byte(CLOSE_BRACE);
  w.bytes(CONN_STATE);
  w.json(r.conn_state);
  w.bytes(HISTORY);
  w.json(r.history);
  w.bytes(COMPLETENESS);
  w.num(r.completeness);
  numPair(w, PACKETS, r.packets.orig, r.packets.resp);
  numPair(w, BYTES, r.bytes.orig, r.bytes.resp);
  if (r.rttHandshakeUsec >= 0) {
    w.bytes(RTT_HANDSHAKE);
    w.usec(r.rttHandshakeUsec);
    w.byte(CLOSE_BRACE);
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
    word(w, e.from);
    w.bytes(EVENT_KIND);
    word(w, e.kind);
    w.byte(CLOSE_BRACE);
  }
  w.byte(CLOSE_BRACKET);
  const f = r.figures;
  if (f !== undefined) figuresInto(w, r, f);
  w.byte(CLOSE_BRACE);
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
  numPair(w, IP_BYTES, f.orig.ipBytes, f.resp.ipBytes);
  numPair(w, RETRANSMISSIONS, f.orig.retransmissions, f.resp.retransmissions);
  w.bytes(RTT_DATA);
  rttInto(w, f.orig);
  w.bytes(RESP);
  rttInto(w, f.resp);
  w.byte(CLOSE_BRACE);
  w.bytes(THROUGHPUT);
  bpsInto(w, throughputBps(r, f.orig));
  w.bytes(RESP);
  bpsInto(w, throughputBps(r, f.resp));
  w.byte(CLOSE_BRACE);
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
  w.byte(CLOSE_BRACE);
}

function bpsInto(w: LineBytes, bps: number | null): void {
  if (bps === null) w.bytes(NULL);
  else w.num(bps);
}
