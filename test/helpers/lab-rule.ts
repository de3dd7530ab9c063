// PRODUCT.md's rule for the lab under random faults, as a checker shared by the property test
// (test/lab-differential.test.ts) and the long sweep (scripts/lab-sweep.ts): each endpoint's
// inferred states minus UNKNOWN are a subsequence of its true states, and its inferred final
// state is the true final or UNKNOWN. Inferred records are matched to the true connection
// holding most of their frames, endpoints by address and port.

import type { LabRun } from '../../src/lab/lab-report.js';
import type { Scenario } from '../../src/lab/scenario.js';
import type { TrueConnection } from '../../src/lab/timeline-from-lab.js';
import { seqGe } from '../../src/tcp/seq.js';
import { stateFromName, stateName } from '../../src/tcp/state.js';
import { nextState, TcpEvent } from '../../src/tcp/transitions.js';
import { ACK, FIN, RST, SYN } from '../../src/wire/packet.js';

type Addr = { ip: string; port: number };
export const key = (a: Addr) => `${a.ip}:${a.port}`;

/** A record's states keyed by endpoint address (orig may swap between truth and inference). */
export function byEndpoint(r: { orig: Addr; resp: Addr; states: { orig: string[]; resp: string[] } }) {
  return new Map([
    [key(r.orig), r.states.orig],
    [key(r.resp), r.states.resp],
  ]);
}

/**
 * The state an endpoint left by a last move no capture can show, or undefined. A user CLOSE or
 * ABORT of a SYN_SENT or LISTEN endpoint deletes the TCB and sends nothing (RFC 9293 §3.10.4 and
 * §3.10.5, LISTEN and SYN-SENT STATE: "Delete the TCB"): after a lost SYN, or a SYN+ACK lost past
 * the tap, no segment tells that CLOSED from a SYN_SENT waiting for its next retransmission, nor
 * a passive endpoint reset back to LISTEN (§3.10.7.4) and then closed from one still listening.
 * The rule's `final` accepts that previous state as well; every state the analyzer shows must
 * still be in the truth, and once the closed endpoint answers anything (a RST, §3.10.7.1) its
 * CLOSED is visible and must be inferred.
 */
function invisibleLastMoveFrom(conn: TrueConnection, ep: string): string | undefined {
  const mine = [...conn.endpoints.client, ...conn.endpoints.server].filter((e) => key(e.local) === ep);
  const tl = mine[mine.length - 1]?.timeline ?? [];
  const last = tl[tl.length - 1];
  const before = tl[tl.length - 2];
  const silent = before?.state === 'SYN_SENT' || before?.state === 'LISTEN';
  if (last?.state === 'CLOSED' && (last.rfc === '3.10.4' || last.rfc === '3.10.5') && silent)
    return before.state;
  return undefined;
}

/**
 * States PRODUCT.md's presumption ("a segment on the capture is presumed to reach its receiver
 * unless the receiver's later segments contradict it") yields that the truth lacks: an empty ACK
 * captured at this tap but lost after it, of the receiver's FIN (FIN_WAIT_1 → FIN_WAIT_2, CLOSING
 * → TIME_WAIT, LAST_ACK → CLOSED, §3.10.7.4) or of its SYN+ACK (SYN_RECEIVED → ESTABLISHED),
 * taken by the state the receiver would have entered had it arrived. When its sender's next
 * segment acknowledges as much before the receiver says anything, the capture is the same as one
 * where it arrived: no analyzer can tell, and showing UNKNOWN there would make the lossless case
 * inexact. Keyed by endpoint.
 */
export function presumedArrivalStates(conn: TrueConnection): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const t = conn.timeline;
  const addr = { orig: key(t.orig), resp: key(t.resp) };
  const finEnd: Record<'orig' | 'resp', number | undefined> = { orig: undefined, resp: undefined };
  for (const pk of t.packets) {
    if (pk.flags & FIN) finEnd[pk.from] = (pk.seq + pk.len + 1) >>> 0;
    const to = pk.from === 'orig' ? 'resp' : 'orig';
    if (!pk.lost || pk.len > 0 || (pk.flags & (SYN | FIN | RST | ACK)) !== ACK) continue;
    const before = stateFromName(pk.states[to]);
    if (before === undefined) continue;
    const fin = finEnd[to];
    const event = fin !== undefined && seqGe(pk.ack, fin) ? TcpEvent.RCV_ACK_OF_FIN : TcpEvent.RCV_ACK_OF_SYN;
    const n = nextState(before, event, true);
    if (n === undefined) continue;
    const set = out.get(addr[to]) ?? new Set<string>();
    set.add(stateName(n));
    out.set(addr[to], set);
  }
  return out;
}

/**
 * inferred minus UNKNOWN is a subsequence of the truth; final is the true final or UNKNOWN. With
 * `presumed`, states of presumedArrivalStates() that the truth lacks are left out of the
 * inferred sequence first (the final state is checked as it is).
 */
export function ruleViolations(lab: LabRun, opts: { presumed?: boolean } = {}): string[] {
  const out: string[] = [];
  const truthOfFrame = new Map<number, TrueConnection>();
  for (const c of lab.connections) for (const n of c.frames) truthOfFrame.set(n, c);
  const framesOf = new Map<number, number[]>();
  for (const t of lab.observation.timelines)
    framesOf.set(
      t.id,
      t.packets.map((p) => p.frame),
    );
  for (const rec of lab.observation.records) {
    // The truth connection holding most of this record's frames.
    const votes = new Map<TrueConnection, number>();
    for (const n of framesOf.get(rec.id) ?? []) {
      const t = truthOfFrame.get(n);
      if (t) votes.set(t, (votes.get(t) ?? 0) + 1);
    }
    const conn = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
    if (!conn) continue;
    const truth = conn.record;
    const t = byEndpoint(truth);
    const finals = new Map([
      [key(truth.orig), truth.final.orig],
      [key(truth.resp), truth.final.resp],
    ]);
    const presumed = opts.presumed ? presumedArrivalStates(conn) : new Map<string, Set<string>>();
    for (const [ep, got] of byEndpoint(rec)) {
      const want = t.get(ep) ?? [];
      const excused = presumed.get(ep);
      let j = 0;
      for (const s of got) {
        if (s === 'UNKNOWN') continue;
        if (excused?.has(s) && !want.includes(s as never)) continue;
        while (j < want.length && want[j] !== s) j++;
        if (j === want.length) {
          out.push(`#${rec.id} ${ep}: inferred ${got.join(' ')} ⊄ true ${want.join(' ')}`);
          break;
        }
        j++;
      }
      const final = got[got.length - 1];
      if (final !== 'UNKNOWN' && final !== finals.get(ep) && final !== invisibleLastMoveFrom(conn, ep))
        out.push(`#${rec.id} ${ep}: final ${final}, true ${finals.get(ep)}`);
    }
  }
  return out;
}

export const PROPERTY_SCENARIOS = [
  'client-close',
  'server-close',
  'merged-fin-ack',
  'simultaneous-close',
  'half-close',
  'third-ack-lost-data',
  'syn-lost',
  'client-abort',
];

/**
 * A scenario with random faults drawn from the run's seed: each segment but RSTs lost with
 * probability `loss` (a RST is never retransmitted, so its loss would never show: PRODUCT.md's
 * premise that a loss shows up later), reordering jitter and 5% duplication.
 */
export function faulty(base: Scenario, loss: number): Scenario {
  const rules = [...(base.link?.rules ?? [])];
  rules.push({ match: ['SYN', 'SYN+ACK', 'ACK', 'DATA', 'FIN'], probability: loss, action: 'drop' });
  return { ...base, link: { ...base.link, rules, jitter: 8, reorder: true, duplicate: 0.05 } };
}
