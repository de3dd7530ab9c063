// The provisional event line of `synack live --events` (PRODUCT.md "How states are inferred":
// `live --events` prints provisional states, marked as such): as each segment arrives, who sent
// it, its flags, both endpoints' states as they stand with the evidence so far, and its event
// kinds. The connection's record, printed when it is over, carries the final values. Pure.

import { STATE_NAMES, type TcpState } from '../tcp/state.js';
import { kindsOf } from '../track/kinds.js';
import { tcpdumpFlags } from './tcpdump.js';
import { usecString } from './zeek-tsv.js';

export interface LiveEvent {
  conn: number;
  frame: number;
  timeUsec: number;
  from: 'orig' | 'resp';
  flags: number;
  orig: TcpState;
  resp: TcpState;
  /** Event kind bits (kinds.ts). */
  tags: number;
}

/** `event 1795481857.857983 conn 3 #12 orig [S.] SYN_SENT LISTEN retransmission (provisional)` */
export function liveEventLine(e: LiveEvent): string {
  const kinds = kindsOf(e.tags).join(',');
  return (
    `event ${usecString(e.timeUsec)} conn ${e.conn} #${e.frame} ${e.from} [${tcpdumpFlags(e.flags)}] ` +
    `orig=${STATE_NAMES[e.orig]} resp=${STATE_NAMES[e.resp]}${kinds === '' ? '' : ` ${kinds}`} (provisional)`
  );
}

/** The same as one JSON object; `provisional: true` tells it from a connection record. */
export function liveEventJson(e: LiveEvent): string {
  const q = JSON.stringify;
  return (
    `{"provisional": true, "conn": ${e.conn}, "frame": ${e.frame}, "time": ${usecString(e.timeUsec)}, ` +
    `"from": ${q(e.from)}, "flags": ${q(tcpdumpFlags(e.flags))}, ` +
    `"states": {"orig": ${q(STATE_NAMES[e.orig])}, "resp": ${q(STATE_NAMES[e.resp])}}, "kinds": ${q(kindsOf(e.tags))}}`
  );
}
